; Lab 6 guest: the local APIC timer (SDM 3A 11.5.4 "APIC Timer"), event
; injection and the interrupt window. Vector 0x40, one-shot mode, divide
; by 1. Every wait is bounded: a missing interrupt is reported, never a
; hang.
%include "lib.inc"
LAPIC   equ 0xfee00000
VECTOR  equ 0x40
NR_IDT  equ VECTOR + 1
section .text
main:
    call setup_idt6
    mov ebx, LAPIC
    mov dword [ebx + 0xf0], 0x1ff        ; SVR: APIC enabled, spurious 0xFF
    mov dword [ebx + 0x3e0], 0xb         ; TDCR: divide by 1
    mov dword [ebx + 0x320], VECTOR      ; LVT timer: one-shot, unmasked

    ; 1. With IF=1 the expired timer's vector is injected.
    mov dword [ebx + 0x380], 20000       ; TMICT: 20 us at 1 GHz
    sti
    mov ecx, 50000
.wait1:
    cmp dword [ticks], 0
    jne .got1
    in al, 0x61                          ; an exit: Keel updates its timers
    loop .wait1
.got1:
    cli
    cmp dword [ticks], 1
    sete al
    movzx eax, al
    mov esi, msg_inj
    call check
    cmp dword [ticks], 1
    jne .out                             ; no interrupts: stop here

    ; 2. HLT with IF=1 sleeps until the timer wakes the vCPU.
    mov dword [ebx + 0x380], 200000      ; 200 us
    sti
    hlt                                  ; STI's shadow covers HLT
    cli
    cmp dword [ticks], 2
    sete al
    movzx eax, al
    mov esi, msg_hlt
    call check

    ; 3. The interrupt window: the timer fires while IF=0; the vector must
    ; be delivered right after STI's one-instruction shadow, with no
    ; other exit in between.
    mov dword [ebx + 0x380], 100
.wait3:
    mov eax, [ebx + 0x390]               ; TMCCT counts down to 0
    test eax, eax
    jnz .wait3
    in al, 0x61
    sti
    nop                                  ; the shadow
    nop
    nop
    mov edx, [ticks]                     ; RAM: no exit here
    cli
    cmp edx, 3
    sete al
    movzx eax, al
    mov esi, msg_win
    call check
.out:
    mov eax, [failures]
    ret

timer_isr:
    inc dword [ticks]
    mov dword [LAPIC + 0xb0], 0          ; EOI
    iret

; Vectors 0-31 go to lib.inc's fault handler, VECTOR to timer_isr.
setup_idt6:
    mov ecx, NR_IDT
    mov edi, idt6
    xor edx, edx
.fill:
    mov eax, fault_stub
    cmp edx, VECTOR
    jne .gate
    mov eax, timer_isr
.gate:
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8e00           ; present, 32-bit interrupt gate
    shr eax, 16
    mov [edi + 6], ax
    add edi, 8
    inc edx
    loop .fill
    lidt [idt6_desc]
    ret

section .data
align 8
idt6_desc:
    dw NR_IDT * 8 - 1
    dd idt6
ticks:   dd 0
msg_inj: db "lab6: timer interrupt injected", 0
msg_hlt: db "lab6: HLT woke on the timer interrupt", 0
msg_win: db "lab6: interrupt taken right after STI's shadow", 0
section .bss
align 8
idt6: resb NR_IDT * 8
