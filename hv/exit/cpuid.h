/* The guest CPUID policy (hv/exit/cpuid.c): one table saying, leaf by leaf, what
 * a guest sees. */
#ifndef KEEL_CPUID_H
#define KEEL_CPUID_H

#include "lib/types.h"

struct vcpu;
struct vm_exit;

/* Keel's hypervisor leaves (the range 0x40000000-0x400000FF is reserved
 * for hypervisors: SDM 2, CPUID "Hypervisor"). EBX:ECX:EDX of 0x40000000
 * spell the signature. */
#define CPUID_KEEL_BASE        0x40000000
#define CPUID_KEEL_MAX         0x40000010
#define CPUID_KEEL_SIGNATURE   "KeelKeelKeel"
#define CPUID_KEEL_TIMING      0x40000010 /* EAX TSC kHz, EBX LAPIC bus kHz */

/* Feature bits the policy names (SDM 2 Table 3-8, 3-10; APM3 E.3). */
#define CPUID_1_ECX_MONITOR    BIT(3)
#define CPUID_1_ECX_VMX        BIT(5)
#define CPUID_1_ECX_X2APIC     BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_1_ECX_OSXSAVE    BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_1_EDX_APIC       BIT(9)
#define CPUID_80000001_ECX_SVM BIT(2)

/* Fill out[0..3] (EAX..EDX) with what vCPU v sees for CPUID(leaf,
 * subleaf). Never fails: unknown leaves read as zeros, as on hardware past
 * the maximum leaf (SDM 2 CPUID: "returns the highest basic leaf" is an
 * Intel quirk Keel does not copy). */
void cpuid_guest(const struct vcpu *v, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4]);

/* The CPUID exit: EAX..EDX from cpuid_guest for the leaf in EAX and the
 * subleaf in ECX, then RIP past the instruction. SDM 2A "CPUID". */
void cpuid_handle_exit(struct vcpu *v, const struct vm_exit *exit);

#endif
