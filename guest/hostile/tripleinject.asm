; Hostile (issue 11): a triple fault during Keel's own event injection.
; The guest loads an IDT of limit 0, makes a fixed self-IPI pending and
; opens its interrupt window: the interrupt Keel injects cannot be
; delivered (#GP), nor can the #GP or the #DF that follow, so the CPU
; shuts down (SDM 3A 6.15 "Interrupt 8 - Double Fault Exception"). Keel
; must end this VM as a triple fault and nothing else.
%include "lib.inc"

APIC equ 0xfee00000
APIC_SVR equ APIC + 0xf0
APIC_ICR_LO equ APIC + 0x300

section .text
main:
    mov esi, s_go
    call puts
    mov dword [APIC_SVR], 0x1ff
    lidt [empty_idt]
    mov dword [APIC_ICR_LO], 0x44041  ; self, fixed, vector 0x41
    sti
.wait:
    hlt                              ; never reached: injection fails first
    jmp .wait

section .data
align 8
empty_idt:
    dw 0
    dd 0
s_go: db "tripleinject: IDT limit 0, a self-IPI pending, STI", 10, 0
