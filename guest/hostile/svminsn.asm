; Hostile (issue 11): the SVM instructions. Keel forces the guest's
; EFER.SVME on (VMRUN needs it) but hides SVM in CPUID, so every SVM
; instruction must be intercepted and raise #UD, as on a CPU without SVM
; (APM2 15.9 "Instruction Intercepts"); INVLPGA would otherwise flush TLB
; entries of any ASID, another VM's among them. RDPMC must #GP (Keel
; offers no counters) rather than read the host's; WBINVD completes
; (Keel does it as a no-op).
%include "lib.inc"


section .text
; SKINIT is spelled in bytes (0F 01 DE): NASM takes it only in 64-bit code.
main:
    expect_fault 2, invlpga, "svminsn: INVLPGA raises #UD"
    expect_fault 2, vmrun, "svminsn: VMRUN raises #UD"
    expect_fault 2, vmload, "svminsn: VMLOAD raises #UD"
    expect_fault 2, vmsave, "svminsn: VMSAVE raises #UD"
    expect_fault 2, stgi, "svminsn: STGI raises #UD"
    expect_fault 2, clgi, "svminsn: CLGI raises #UD"
    expect_fault 2, {db 0x0f, 0x01, 0xde}, "svminsn: SKINIT raises #UD"
    expect_fault 1, rdpmc, "svminsn: RDPMC raises #GP"
    expect_fault 0, wbinvd, "svminsn: WBINVD completes"
    mov eax, [failures]
    ret
