; A halted vCPU's timer must wake it while another VM keeps its own CPU
; busy. Two roles, chosen by the command line:
;   "spin":  run a loop for 3 s of TSC time, never halting: the scheduler
;            always has this VM to run, so it never idles;
;   "sleep": arm the LAPIC timer one-shot for about 20 ms, STI; HLT, and
;            check that the interrupt came within 1 s. A Keel that brings
;            a VM's device timers up to date only when it runs one of its
;            vCPUs or when the CPU idles would leave this VM asleep until
;            the spinner ends, 3 s later.
; The LAPIC timer: SDM 3A 11.5.4 (one-shot mode, divide configuration);
; CPUID 0x40000010 EAX is Keel's TSC (and LAPIC timer) frequency in kHz.
%include "lib.inc"

APIC equ 0xfee00000
APIC_EOI equ APIC + 0xb0
APIC_SVR equ APIC + 0xf0
APIC_LVT_TIMER equ APIC + 0x320
APIC_TIMER_INIT equ APIC + 0x380
APIC_TIMER_DIV equ APIC + 0x3e0
TIMER_VECTOR equ 31                  ; the last entry of lib.inc's 32-entry IDT

section .text
main:
    mov eax, 0x40000010
    cpuid
    mov [khz], eax
    mov ebx, [boot_ebx]
    mov esi, [ebx + 16]              ; the command line
    cmp dword [esi], 'spin'
    je spin

    ; sleep
    mov ecx, TIMER_VECTOR
    mov eax, timer_irq
    call set_gate
    mov dword [APIC_SVR], 0x1ff
    mov dword [APIC_TIMER_DIV], 0xb  ; divide by 1
    mov dword [APIC_LVT_TIMER], TIMER_VECTOR   ; one-shot, unmasked
    rdtsc
    mov [t_start], eax
    mov [t_start + 4], edx
    mov eax, [khz]
    imul eax, eax, 20                ; 20 ms of timer ticks
    mov [APIC_TIMER_INIT], eax
.wait:
    sti
    hlt                              ; the interrupt ends the HLT
    cli
    cmp dword [woke], 0
    je .wait
    rdtsc
    sub eax, [t_start]
    sbb edx, [t_start + 4]
    ; ticks / khz = ms (EDX < khz for any wait shorter than 2^32 ms)
    div dword [khz]
    mov [ms], eax
    mov esi, s_slept
    call puts
    mov eax, [ms]
    call puthex
    mov al, 10
    call putc
    cmp dword [ms], 1000
    check_if b, s_woke
    mov eax, [failures]
    ret

spin:
    mov esi, s_spin
    call puts
    mov eax, [khz]
    mov ecx, 3000
    mul ecx                          ; EDX:EAX = ticks in 3 s
    mov ebx, eax
    mov ebp, edx
    rdtsc
    add ebx, eax
    adc ebp, edx                     ; EBP:EBX = the end
.loop:
    rdtsc
    cmp edx, ebp
    jb .loop
    ja .done
    cmp eax, ebx
    jb .loop
.done:
    mov esi, s_spun
    call puts
    xor eax, eax
    ret

timer_irq:
    mov dword [woke], 1
    mov dword [APIC_EOI], 0
    iret

section .data
khz:     dd 0
woke:    dd 0
ms:      dd 0
t_start: dq 0
s_spin:  db "timerwake: spinning for 3 s", 10, 0
s_spun:  db "timerwake: spun 3 s", 10, 0
s_slept: db "timerwake: the timer interrupt came after ms 0x", 0
s_woke:  db "timerwake: woken by the timer within 1 s beside a busy VM", 0
