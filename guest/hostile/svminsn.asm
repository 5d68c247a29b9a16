; Hostile (issue 11): the SVM instructions. Keel forces the guest's
; EFER.SVME on (VMRUN needs it) but hides SVM in CPUID, so every SVM
; instruction must be intercepted and raise #UD, as on a CPU without SVM
; (APM2 15.9 "Instruction Intercepts"); INVLPGA would otherwise flush TLB
; entries of any ASID, another VM's among them. RDPMC must #GP (Keel
; offers no counters) rather than read the host's; WBINVD completes
; (Keel does it as a no-op).
%include "lib.inc"

; EXPECT kind, insn, text: run insn (EAX = ECX = 0) and check
; [fault_vector] afterwards: 2 = a fault without an error code (#UD),
; 1 = with one (#GP), 0 = no fault.
%macro EXPECT 3
    mov dword [fault_vector], 0
    mov dword [fault_resume], %%after
    xor eax, eax
    xor ecx, ecx
    %2
%%after:
    mov eax, [fault_vector]
    cmp eax, %1
    sete al
    movzx eax, al
    mov esi, %%s
    call check
section .data
%%s: db %3, 0
section .text
%endmacro

section .text
; SKINIT is spelled in bytes (0F 01 DE): NASM takes it only in 64-bit code.
main:
    EXPECT 2, invlpga, "svminsn: INVLPGA raises #UD"
    EXPECT 2, vmrun, "svminsn: VMRUN raises #UD"
    EXPECT 2, vmload, "svminsn: VMLOAD raises #UD"
    EXPECT 2, vmsave, "svminsn: VMSAVE raises #UD"
    EXPECT 2, stgi, "svminsn: STGI raises #UD"
    EXPECT 2, clgi, "svminsn: CLGI raises #UD"
    EXPECT 2, {db 0x0f, 0x01, 0xde}, "svminsn: SKINIT raises #UD"
    EXPECT 1, rdpmc, "svminsn: RDPMC raises #GP"
    EXPECT 0, wbinvd, "svminsn: WBINVD completes"
    mov eax, [failures]
    ret
