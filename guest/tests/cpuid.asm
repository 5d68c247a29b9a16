; CPUID exit: check the values of Keel's CPUID policy (hv/exit/cpuid.c).
%include "lib.inc"
section .text
main:
    mov eax, 1
    cpuid
    mov eax, ecx
    and eax, 1 << 31                 ; hypervisor present
    mov esi, s_hv
    call check
    mov eax, 1
    cpuid
    mov eax, ecx
    not eax
    and eax, 1 << 5                  ; VMX hidden
    mov esi, s_vmx
    call check
    mov eax, 0x80000001
    cpuid
    mov eax, ecx
    not eax
    and eax, 1 << 2                  ; SVM hidden
    mov esi, s_svm
    call check
    mov eax, 0x40000000
    cpuid
    mov [sig], ebx
    mov [sig + 4], ecx
    mov [sig + 8], edx
    xor eax, eax
    cmp dword [sig], 'Keel'
    jne .nosig
    cmp dword [sig + 4], 'Keel'
    jne .nosig
    cmp dword [sig + 8], 'Keel'
    jne .nosig
    inc eax
.nosig:
    mov esi, s_sig
    call check
    mov esi, s_said
    call puts
    mov esi, sig
    call puts
    mov al, 10
    call putc
    mov eax, [failures]
    ret
section .data
s_hv:   db "cpuid: hypervisor bit set", 0
s_vmx:  db "cpuid: VMX hidden", 0
s_svm:  db "cpuid: SVM hidden", 0
s_sig:  db "cpuid: leaf 0x40000000 signature KeelKeelKeel", 0
s_said: db "cpuid: signature is ", 0
sig:    times 13 db 0
