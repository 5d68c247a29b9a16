/* Architectural MSR numbers Keel uses, in one place for the core (guest
 * MSR policy, vLAPIC) and the arch code (host set-up). Names and numbers:
 * SDM 4 "Model-Specific Registers", APM2 Appendix A. The VMX capability
 * MSRs are in arch/x86/vmx/vmcs.h, the x2APIC range in hv/dev/vlapic.h. */
#ifndef KEEL_MSR_INDEX_H
#define KEEL_MSR_INDEX_H

#define MSR_IA32_TSC             0x00000010
#define MSR_IA32_PLATFORM_ID     0x00000017
#define MSR_IA32_APIC_BASE       0x0000001b
#define MSR_IA32_FEATURE_CONTROL 0x0000003a
/* Its bits (SDM 3C 23.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCK            0x1ULL
#define FEATURE_CONTROL_VMX_IN_SMX      0x2ULL
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX 0x4ULL
#define MSR_IA32_BIOS_SIGN_ID    0x0000008b
#define MSR_IA32_MTRRCAP         0x000000fe
#define MSR_IA32_SYSENTER_CS     0x00000174
#define MSR_IA32_SYSENTER_ESP    0x00000175
#define MSR_IA32_SYSENTER_EIP    0x00000176
#define MSR_IA32_MCG_CAP         0x00000179
#define MSR_IA32_MCG_STATUS      0x0000017a
#define MSR_IA32_MISC_ENABLE     0x000001a0
#define MSR_IA32_PAT             0x00000277
/* IA32_PAT after power-up or reset: entries PA0..PA7 = WB, WT, UC-, UC,
 * WB, WT, UC-, UC (SDM 3A 11.12.4 "Programming the PAT", table 11-12). */
#define PAT_POWER_ON             0x0007040600070406ULL
#define MSR_IA32_TSC_DEADLINE    0x000006e0
#define MSR_EFER                 0xc0000080
#define MSR_STAR                 0xc0000081
#define MSR_LSTAR                0xc0000082
#define MSR_CSTAR                0xc0000083
#define MSR_SFMASK               0xc0000084
#define MSR_FS_BASE              0xc0000100
#define MSR_GS_BASE              0xc0000101
#define MSR_KERNEL_GS_BASE       0xc0000102
#define MSR_TSC_AUX              0xc0000103
/* AMD legacy performance counters. See: APM2 13.2.1 "Performance Counter
 * MSRs" (PerfEvtSel0-3 at 0xC0010000, PerfCtr0-3 at 0xC0010004). */
#define MSR_K7_EVNTSEL0          0xc0010000
#define MSR_K7_PERFCTR3          0xc0010007
#define MSR_K8_INT_PENDING_MSG   0xc0010055 /* AMD C1E state (BKDG fam 10h-16h) */
#define MSR_VM_CR                0xc0010114
/* Its bits (APM2 15.30.1 "VM_CR MSR"): LOCK makes SVMDIS read-only;
 * SVMDIS set means EFER.SVME cannot be set. */
#define VM_CR_LOCK               0x8ULL
#define VM_CR_SVMDIS             0x10ULL
#define MSR_VM_HSAVE_PA          0xc0010117

#endif
