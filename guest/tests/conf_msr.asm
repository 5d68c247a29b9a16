; Conformance: the MSRs every guest's start-up touches (run bare on QEMU
; and under Keel, test/boot/test_conformance.py).
; - AMD legacy performance counters 0xC0010000-0xC0010007 (PerfEvtSel0-3,
;   PerfCtr0-3) exist on every AMD64 CPU (APM2 13.2.1 "Performance Counter
;   MSRs"): RDMSR and WRMSR do not #GP.
; - IA32_MISC_ENABLE (0x1A0, SDM 4 Table 2-2): writing back the value read
;   is accepted; a reserved bit (1) #GPs.
; - With CPUID 0xA reporting no general-purpose counters, IA32_PMC0
;   (0xC1) does not exist: RDMSR #GPs (SDM 3B 20.2.1).
%include "lib.inc"
section .text
main:
    xor eax, eax
    cpuid
    mov [max_leaf], eax
    cmp ebx, 0x68747541              ; "Auth" of AuthenticAMD
    jne .not_amd

    xor ebp, ebp                     ; OR of every value read
    mov edi, 0xc0010000
.rd:
    faults .rd_next
    mov ecx, edi
    xor eax, eax
    xor edx, edx
    rdmsr
    or ebp, eax
    or ebp, edx
.rd_next:
    mov eax, [fault_vector]
    or [pmu_faults], eax
    inc edi
    cmp edi, 0xc0010008
    jb .rd
    cmp dword [pmu_faults], 0
    check_if e, s_pmu_rd
    cmp ebp, 0
    check_if e, s_pmu_zero

    mov dword [pmu_faults], 0
    mov edi, 0xc0010000
.wr:
    faults .wr_next
    mov ecx, edi
    xor eax, eax
    xor edx, edx
    wrmsr
.wr_next:
    mov eax, [fault_vector]
    or [pmu_faults], eax
    inc edi
    cmp edi, 0xc0010008
    jb .wr
    cmp dword [pmu_faults], 0
    check_if e, s_pmu_wr
    jmp .misc
.not_amd:
    mov esi, s_not_amd
    call puts

.misc:
    faults .misc_rd
    mov ecx, 0x1a0
    rdmsr
    mov [misc], eax
    mov [misc + 4], edx
    wrmsr                            ; the value just read
.misc_rd:
    mov eax, [fault_vector]
    cmp eax, 0
    check_if e, s_misc_same
    faults .misc_bad
    mov ecx, 0x1a0
    mov eax, [misc]
    mov edx, [misc + 4]
    or eax, 2                        ; bit 1: reserved
    wrmsr
.misc_bad:
    mov eax, [fault_vector]
    cmp eax, 1
    check_if e, s_misc_rsvd

    ; IA32_PMC0 #GPs when CPUID 0xA has no counters (or no leaf 0xA).
    xor ebx, ebx
    cmp dword [max_leaf], 0xa
    jb .no_leaf_a
    mov eax, 0xa
    xor ecx, ecx
    cpuid
    mov ebx, eax
    shr ebx, 8
    and ebx, 0xff                    ; number of GP counters
.no_leaf_a:
    test ebx, ebx
    jnz .done
    faults .pmc_after
    mov ecx, 0xc1
    rdmsr
.pmc_after:
    mov eax, [fault_vector]
    cmp eax, 1
    check_if e, s_pmc0
.done:
    mov eax, [failures]
    ret
section .data
max_leaf:   dd 0
pmu_faults: dd 0
misc:       dq 0
s_not_amd:  db "conf-msr: not an AMD CPU: legacy PMU lines skipped", 10, 0
s_pmu_rd:   db "conf-msr: RDMSR 0xC0010000-7 (PerfEvtSel0-3, PerfCtr0-3) no #GP", 0
s_pmu_zero: db "conf-msr: RDMSR 0xC0010000-7 read 0", 0
s_pmu_wr:   db "conf-msr: WRMSR 0 to 0xC0010000-7 no #GP", 0
s_misc_same: db "conf-msr: WRMSR IA32_MISC_ENABLE with the value read no #GP", 0
s_misc_rsvd: db "conf-msr: WRMSR IA32_MISC_ENABLE reserved bit 1 #GP", 0
s_pmc0:     db "conf-msr: RDMSR IA32_PMC0 without CPUID 0xA counters #GP", 0
