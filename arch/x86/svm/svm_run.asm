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

    LOAD_GUEST_GPRS rsi     ; guest RAX and RSP are in the VMCB
    mov rsi, [rsi + G_RSI]  ; the base register goes last

    vmload                  ; the three take the VMCB address in RAX
    vmrun
    vmsave

    ; RAX is the guest VMCB again (host RAX restored by #VMEXIT).
    push rsi
    mov rsi, [rsp + 8]      ; gprs
    pop qword [rsi + G_RSI]
    SAVE_GUEST_GPRS rsi

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
