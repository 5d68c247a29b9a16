; Hostile (issue 11): an interrupt storm. For at least 300 ms the guest
; runs its LAPIC timer in periodic mode with the smallest count (1, divide
; by 1) and sends itself fixed IPIs back to back, acknowledging each with
; an EOI. Keel must keep every other VM running on time (the good VM's
; checks span the same 300 ms) and stay responsive itself; the storm VM
; just gets the interrupts its own slices allow. How many that is in
; 300 ms depends on how many slices the host's load leaves it, so the
; storm goes on until 100 interrupts have arrived, for at most 10 s: a
; Keel that stops delivering them fails, a busy host does not.
%include "lib.inc"

APIC equ 0xfee00000
APIC_EOI equ APIC + 0xb0
APIC_SVR equ APIC + 0xf0
APIC_ICR_LO equ APIC + 0x300
APIC_LVT_TIMER equ APIC + 0x320
APIC_TIMER_INIT equ APIC + 0x380
APIC_TIMER_DIV equ APIC + 0x3e0
TIMER_VECTOR equ 0x40
IPI_VECTOR equ 0x41
ICR_SELF_FIXED equ 0x44000 | IPI_VECTOR  ; self shorthand, level assert

section .text
main:
    ; A 256-entry IDT: every vector to lib.inc's fault_stub, then the two
    ; interrupt vectors to irq_handler.
    mov ecx, 256
    mov edi, big_idt
.fill:
    mov eax, fault_stub
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    add edi, 8
    loop .fill
    mov eax, irq_handler
    mov [big_idt + TIMER_VECTOR * 8], ax
    mov [big_idt + IPI_VECTOR * 8], ax
    shr eax, 16
    mov [big_idt + TIMER_VECTOR * 8 + 6], ax
    mov [big_idt + IPI_VECTOR * 8 + 6], ax
    lidt [big_idt_desc]

    mov eax, 0x40000010              ; Keel: EAX = TSC kHz
    cpuid
    mov ebx, eax
    imul eax, eax, 300               ; ticks in 300 ms
    mov [ticks], eax
    mov eax, ebx
    mov ecx, 10000
    mul ecx                          ; EDX:EAX = ticks in 10 s
    mov [ticks_max], eax
    mov [ticks_max + 4], edx

    mov dword [APIC_SVR], 0x1ff
    mov dword [APIC_TIMER_DIV], 0xb  ; divide by 1
    mov dword [APIC_LVT_TIMER], 0x20000 | TIMER_VECTOR   ; periodic
    mov dword [APIC_TIMER_INIT], 1
    sti
    rdtsc
    mov [t_start], eax
    mov [t_start + 4], edx
.storm:
    mov dword [APIC_ICR_LO], ICR_SELF_FIXED
    rdtsc
    sub eax, [t_start]
    sbb edx, [t_start + 4]           ; EDX:EAX = ticks since the start
    jnz .long                        ; 2^32 ticks and more: past 300 ms
    cmp eax, [ticks]
    jb .storm                        ; the first 300 ms, whatever the count
.long:
    cmp edx, [ticks_max + 4]
    ja .done                         ; 10 s: give up (the check fails)
    jb .more
    cmp eax, [ticks_max]
    jae .done
.more:
    cmp dword [irqs], 100
    jb .storm
.done:
    cli
    mov dword [APIC_TIMER_INIT], 0   ; timer stopped
    mov dword [APIC_LVT_TIMER], 0x10000  ; masked

    mov esi, s_count
    call puts
    mov eax, [irqs]
    call puthex
    mov al, 10
    call putc
    cmp dword [irqs], 100
    check_if a, s_delivered
    mov eax, [failures]
    ret

irq_handler:
    inc dword [irqs]
    mov dword [APIC_EOI], 0
    iret

section .data
align 8
big_idt_desc:
    dw 256 * 8 - 1
    dd big_idt
irqs:    dd 0
ticks:   dd 0
ticks_max: dq 0
t_start: dq 0
s_count:     db "storm: interrupts taken in 300 ms: ", 0
s_delivered: db "storm: timer and IPI interrupts delivered throughout", 0

section .bss
alignb 8
big_idt: resb 256 * 8
