; Extended-state isolation: two VMs run this guest at once with different
; command lines. Each puts a value from its command line into XMM0, XMM7
; and the x87 stack, then spins for about 300 ms (many 10 ms time slices,
; so Keel switches between the VMs again and again) checking that the
; values stay its own. Keel must save and restore the x87/SSE state and
; XCR0 per vCPU (arch/x86/fpu.c).
%include "lib.inc"
section .text
main:
    mov eax, cr0
    and eax, ~(1 << 2)               ; EM = 0: x87 present
    or eax, 1 << 1                   ; MP = 1
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10)     ; OSFXSR, OSXMMEXCPT: SSE on
    mov cr4, eax

    mov ebx, [boot_ebx]
    mov esi, [ebx + 16]              ; the command line
    mov eax, [esi]
    mov [pattern], eax
    movd xmm0, eax
    pshufd xmm0, xmm0, 0
    movdqa xmm7, xmm0
    fninit
    fild dword [pattern]

    mov eax, 0x40000010              ; Keel: EAX = TSC kHz
    cpuid
    imul eax, eax, 300               ; ticks in 300 ms (low 32 bits enough)
    mov [ticks], eax
    rdtsc
    mov [t_start], eax
.spin:
    movd eax, xmm0
    cmp eax, [pattern]
    jne .bad
    pextrw eax, xmm7, 7
    cmp ax, [pattern + 2]
    jne .bad
    rdtsc
    sub eax, [t_start]
    cmp eax, [ticks]
    jb .spin

    fistp dword [result]
    mov eax, [result]
    cmp eax, [pattern]
    jne .bad
    mov esi, s_ok
    call puts
    xor eax, eax
    ret
.bad:
    mov esi, s_bad
    call puts
    mov eax, 1
    ret
section .data
s_ok:    db "fpu: XMM0, XMM7 and ST0 kept this VM's values for 300 ms", 10, 0
s_bad:   db "fpu: extended state changed under this VM FAILED", 10, 0
pattern: dd 0
ticks:   dd 0
t_start: dd 0
result:  dd 0
