; Conformance: an NMI that arrives while the NMI handler runs is held until
; the handler's IRET, then delivered (SDM 3A 6.7.1 "Handling Multiple
; NMIs": "the processor blocks the delivery of subsequent NMIs until the
; next execution of the IRET instruction"). The NMIs are sent to this CPU
; through its local APIC's ICR (delivery mode NMI, 11.6.1).
%include "lib.inc"
APIC equ 0xfee00000
APIC_ID equ APIC + 0x20
APIC_SVR equ APIC + 0xf0
APIC_ICR_LO equ APIC + 0x300
APIC_ICR_HI equ APIC + 0x310
ICR_NMI equ 0x4400                  ; delivery mode NMI, level assert
section .text
main:
    mov ecx, 2
    mov eax, nmi_handler
    call set_gate
    mov dword [APIC_SVR], 0x1ff     ; APIC software-enabled
    call send_nmi
    mov ecx, 200000000              ; wait for both, with a bound
.wait:
    cmp dword [nmi_count], 2
    jae .waited
    dec ecx
    jnz .wait
.waited:
    cmp dword [nmi_count], 1
    check_if ae, s_first
    cmp dword [count_in_handler], 1
    check_if e, s_held
    cmp dword [nested], 0
    check_if e, s_not_nested
    cmp dword [nmi_count], 2
    check_if e, s_after
    mov eax, [failures]
    ret

; An NMI to this CPU's own APIC ID (physical destination).
send_nmi:
    mov eax, [APIC_ID]
    and eax, 0xff000000
    mov [APIC_ICR_HI], eax
    mov dword [APIC_ICR_LO], ICR_NMI
    ret

; The first NMI sends a second one to itself and gives it time to arrive;
; it must not arrive before this handler's IRET.
nmi_handler:
    push eax
    push ecx
    inc dword [depth]
    cmp dword [depth], 1
    je .alone
    mov dword [nested], 1
.alone:
    inc dword [nmi_count]
    cmp dword [nmi_count], 1
    jne .out
    call send_nmi
    mov ecx, 1000000
.spin:
    dec ecx
    jnz .spin
    mov eax, [nmi_count]
    mov [count_in_handler], eax
.out:
    dec dword [depth]
    pop ecx
    pop eax
    iret

section .data
nmi_count:        dd 0
count_in_handler: dd 0
depth:            dd 0
nested:           dd 0
s_first:      db "conf-nmi: an NMI sent through the ICR is delivered", 0
s_held:       db "conf-nmi: a second NMI is held while the first is handled", 0
s_not_nested: db "conf-nmi: the NMI handler is never re-entered", 0
s_after:      db "conf-nmi: the held NMI is delivered after the handler's IRET", 0
