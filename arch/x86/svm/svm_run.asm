; svm_vmrun(guest_vmcb_pa: rdi, gprs: rsi, host_vmcb_pa: rdx)
; One guest entry and exit on AMD SVM (APM2 15.5 "VMRUN Instruction", 15.6
; "#VMEXIT", 15.5.2 "VMSAVE and VMLOAD"). #VMEXIT restores only part of the
; host state (RSP, RAX, CR*, EFER, GDTR/IDTR, segment selectors); FS/GS
; bases, TR, LDTR and the SYSCALL MSRs come back from host_vmcb by VMLOAD.
bits 64
default rel
section .text
global svm_vmrun

%include "arch/x86/gprs.inc"

svm_vmrun:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rdx                ; [rsp+8]: host VMCB
    push rsi                ; [rsp]:   gprs

    clgi                    ; no interrupts until the guest runs
    mov rax, rdx
    vmsave                  ; RAX = host VMCB: FS/GS/TR/LDTR/SYSCALL MSRs
    sti                     ; host IF=1: with V_INTR_MASKING a host
                            ; interrupt in the guest makes an INTR exit
    mov rax, rdi

    mov rcx, [rsi + G_RCX]
    mov rdx, [rsi + G_RDX]
    mov rbx, [rsi + G_RBX]
    mov rbp, [rsi + G_RBP]
    mov rdi, [rsi + G_RDI]
    mov r8,  [rsi + G_R8]
    mov r9,  [rsi + G_R9]
    mov r10, [rsi + G_R10]
    mov r11, [rsi + G_R11]
    mov r12, [rsi + G_R12]
    mov r13, [rsi + G_R13]
    mov r14, [rsi + G_R14]
    mov r15, [rsi + G_R15]
    mov rsi, [rsi + G_RSI]

    vmload                  ; the three take the VMCB address in RAX
    vmrun
    vmsave

    ; RAX is the guest VMCB again (host RAX restored by #VMEXIT).
    push rsi
    mov rsi, [rsp + 8]      ; gprs
    pop qword [rsi + G_RSI]
    mov [rsi + G_RCX], rcx
    mov [rsi + G_RDX], rdx
    mov [rsi + G_RBX], rbx
    mov [rsi + G_RBP], rbp
    mov [rsi + G_RDI], rdi
    mov [rsi + G_R8],  r8
    mov [rsi + G_R9],  r9
    mov [rsi + G_R10], r10
    mov [rsi + G_R11], r11
    mov [rsi + G_R12], r12
    mov [rsi + G_R13], r13
    mov [rsi + G_R14], r14
    mov [rsi + G_R15], r15

    mov rax, [rsp + 8]
    vmload                  ; host FS/GS/TR/LDTR back
    stgi                    ; a pending host interrupt is taken here
    cli

    add rsp, 16
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
