; enum vmx_result vmx_enter(uint64_t *gprs: rdi, int launched: esi)
; One guest entry and exit on Intel VMX (SDM 3C 26 "VM Entries", 27 "VM
; Exits", 30.3 VMLAUNCH/VMRESUME). Unlike SVM's VMRUN, VMX keeps only RSP
; and RIP of the guest in the VMCS: RAX and the other 14 GPRs are loaded
; here before the entry and saved here after the exit. The exit itself
; loads the host state from the VMCS (27.5): CR0/3/4, segment selectors,
; FS/GS/TR/GDTR/IDTR bases, EFER, PAT, RSP = HOST_RSP, RIP = HOST_RIP, and
; RFLAGS = 2 (so IF = 0, as Keel always runs).
;
; Returns (in EAX) VMX_OK (0) after a VM exit, VMX_FAIL_INVALID (1) or
; VMX_FAIL_VALID (2) if VMLAUNCH/VMRESUME (or the VMWRITE of the host RSP
; or RIP) failed, in which case no guest instruction ran.
bits 64
default rel
section .text
global vmx_enter

; VMCS field encodings (SDM 3C Appendix B.4.4).
%define VMCS_HOST_RSP 0x6c14
%define VMCS_HOST_RIP 0x6c16

%include "arch/x86/gprs.inc"

vmx_enter:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rdi                ; [rsp]: gprs, found again after the exit

    ; The exit lands on .vm_exit with RSP as it is now.
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
    jbe .failed             ; CF=1: VMfailInvalid, ZF=1: VMfailValid
    mov rax, VMCS_HOST_RIP
    lea rdx, [.vm_exit]
    vmwrite rax, rdx
    jbe .failed

    mov rax, rdi
    test esi, esi           ; flags survive the MOVs below
    LOAD_GUEST_GPRS rax
    mov rsi, [rax + G_RSI]
    mov rax, [rax + G_RAX]  ; the base register goes last
    jnz .resume
    vmlaunch
    jmp .failed             ; only reached if VMLAUNCH failed
.resume:
    vmresume
    ; fall through: VMRESUME failed

.failed:
    ; No entry happened and RSP is unchanged. CF=1 means VMfailInvalid,
    ; otherwise ZF=1 (VMfailValid). MOV does not touch the flags.
    mov eax, 2
    jnc .out
    mov eax, 1
    jmp .out

.vm_exit:
    ; The VM exit: RSP = HOST_RSP, so [rsp] is gprs again.
    push rax                ; the guest's RAX
    mov rax, [rsp + 8]
    pop qword [rax + G_RAX]
    mov [rax + G_RSI], rsi
    SAVE_GUEST_GPRS rax
    ; With external-interrupt exiting and "acknowledge interrupt on exit"
    ; clear, a host interrupt that ended the guest's run is still pending
    ; in the LAPIC. Open a one-instruction window so it is taken through
    ; Keel's IDT now, as SVM's STGI does in svm_run.asm (STI delays
    ; recognition by one instruction: the NOP).
    sti
    nop
    cli
    xor eax, eax

.out:
    add rsp, 8              ; gprs
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
