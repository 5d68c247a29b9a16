; Hostile (issue 11): for about 300 ms it writes other values into the
; registers a VM could share with another through the CPU (TSC_AUX,
; DR0-DR3) and IA32_PAT, as fast as it can. Keel must keep them per vCPU,
; so the good VM beside it (good.asm) never sees them; this VM ends
; normally with its own values intact.
%include "lib.inc"
section .text
main:
    mov eax, 0x40000010              ; Keel: EAX = TSC kHz
    cpuid
    imul eax, eax, 300
    mov [ticks], eax
    rdtsc
    mov [t_start], eax
.spin:
    mov ecx, 0xc0000103              ; TSC_AUX
    mov eax, 0xbadbad00
    xor edx, edx
    wrmsr
    mov eax, 0xbad00000
    mov dr0, eax
    mov dr1, eax
    mov dr2, eax
    mov dr3, eax
    mov ecx, 0x277                   ; IA32_PAT: every entry UC
    xor eax, eax
    xor edx, edx
    wrmsr
    rdtsc
    sub eax, [t_start]
    cmp eax, [ticks]
    jb .spin

    ; Its own values are still its own.
    mov ecx, 0xc0000103
    rdmsr
    cmp eax, 0xbadbad00
    sete al
    movzx eax, al
    mov esi, s_aux
    call check
    mov eax, dr3
    cmp eax, 0xbad00000
    sete al
    movzx eax, al
    mov esi, s_dr
    call check
    mov esi, s_done
    call puts
    mov eax, [failures]
    ret
section .data
s_aux:  db "clobber: own TSC_AUX kept", 0
s_dr:   db "clobber: own DR3 kept", 0
s_done: db "clobber: wrote TSC_AUX, DR0-DR3 and PAT for 300 ms", 10, 0
ticks:   dd 0
t_start: dd 0
