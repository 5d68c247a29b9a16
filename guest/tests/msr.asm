; RDMSR/WRMSR exits: emulated MSRs work, unknown or invalid ones raise #GP
; in the guest (Keel's MSR policy, hv/exit/msr.c).
%include "lib.inc"
section .text
main:
    ; IA32_PAT (0x277): write a valid value, read it back.
    mov ecx, 0x277
    mov eax, 0x00070406
    mov edx, 0x00070106              ; entry 5 becomes WT (1)
    wrmsr
    xor eax, eax
    xor edx, edx
    rdmsr
    cmp edx, 0x00070106
    sete al
    movzx eax, al
    mov esi, s_pat
    call check

    ; EFER reads back 0 (no long mode, SVME hidden from the guest).
    mov ecx, 0xc0000080
    rdmsr
    cmp eax, 0
    sete al
    movzx eax, al
    mov esi, s_efer
    call check

    ; An unknown MSR must #GP, a fault: the saved EIP is the RDMSR's own
    ; (SDM 3A 6.5), not the next instruction's.
    mov dword [fault_vector], 0
    mov dword [fault_resume], .after_unknown
    mov ecx, 0x4b564d99
.rdmsr_unknown:
    rdmsr
.after_unknown:
    mov eax, [fault_vector]
    cmp eax, 1                       ; #GP carries an error code
    sete al
    cmp dword [fault_eip], .rdmsr_unknown
    sete ah
    and al, ah
    movzx eax, al
    mov esi, s_unknown
    call check

    ; A reserved PAT memory type (2) must #GP too.
    mov dword [fault_vector], 0
    mov dword [fault_resume], .after_bad
    mov ecx, 0x277
    mov eax, 0x00000002
    xor edx, edx
.wrmsr_bad:
    wrmsr
.after_bad:
    mov eax, [fault_vector]
    cmp eax, 1
    sete al
    cmp dword [fault_eip], .wrmsr_bad
    sete ah
    and al, ah
    movzx eax, al
    mov esi, s_badpat
    call check

    mov eax, [failures]
    ret
section .data
s_pat:     db "msr: IA32_PAT write and read back", 0
s_efer:    db "msr: EFER reads 0", 0
s_unknown: db "msr: #GP on unknown MSR", 0
s_badpat:  db "msr: #GP on reserved PAT type", 0
