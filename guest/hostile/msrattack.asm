; Hostile (issue 11): the MSRs that control virtualization in the host.
; Keel hides SVM and VMX from its guests, so to a guest these are MSRs of
; a feature its CPU does not have: every write must #GP and none may reach
; the physical CPU, where VM_CR.SVMDIS or LOCK would switch SVM off for
; every VM, VM_HSAVE_PA would move the host state VMRUN saves, and
; IA32_FEATURE_CONTROL would unlock or disable VMX (APM2 15.30.1 "VM_CR",
; 15.30.4 "VM_HSAVE_PA"; SDM 3C 23.7 "Enabling and Entering VMX
; Operation"). EFER.SVME reads 0 and cannot be set (APM2 3.1.7: reserved
; without SVM), although Keel keeps it on in the real VMCB.
%include "lib.inc"

MSR_EFER equ 0xc0000080
MSR_VM_CR equ 0xc0010114
MSR_VM_HSAVE_PA equ 0xc0010117
MSR_IA32_FEATURE_CONTROL equ 0x3a
EFER_SVME equ 0x1000

; expect_wrmsr kind, msr, edx, eax, text: WRMSR and check the fault kind
; (0 none, 1 #GP) as expect_fault does.
%macro expect_wrmsr 5
    mov dword [fault_vector], 0
    mov dword [fault_resume], %%after
    mov ecx, %2
    mov edx, %3
    mov eax, %4
    wrmsr
%%after:
    mov eax, [fault_vector]
    cmp eax, %1
    sete al
    movzx eax, al
    mov esi, %%s
    call check
section .data
%%s: db %5, 0
section .text
%endmacro

section .text
main:
    expect_wrmsr 1, MSR_VM_CR, 0, 0x18, "msrattack: WRMSR VM_CR (SVMDIS|LOCK) raises #GP"
    expect_wrmsr 1, MSR_VM_HSAVE_PA, 0, 0x1000, "msrattack: WRMSR VM_HSAVE_PA raises #GP"
    expect_wrmsr 1, MSR_IA32_FEATURE_CONTROL, 0, 0x1, "msrattack: WRMSR IA32_FEATURE_CONTROL raises #GP"

    mov ecx, MSR_EFER
    rdmsr
    mov [efer], eax
    test eax, EFER_SVME
    setz al
    movzx eax, al
    mov esi, s_svme_zero
    call check
    mov eax, [efer]
    or eax, EFER_SVME
    expect_wrmsr 1, MSR_EFER, 0, eax, "msrattack: WRMSR EFER with SVME raises #GP"
    mov eax, [efer]
    expect_wrmsr 0, MSR_EFER, 0, eax, "msrattack: WRMSR EFER unchanged completes"
    ; SVM is still off for this guest, and on for Keel: VMRUN #UDs and the
    ; guest keeps running.
    expect_fault 2, vmrun, "msrattack: VMRUN still raises #UD"
    mov eax, [failures]
    ret

section .data
efer: dd 0
s_svme_zero: db "msrattack: EFER.SVME reads 0", 0
