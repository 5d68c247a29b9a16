/* The guest CPUID policy: what each leaf shows a guest, derived from the
 * host CPU with every feature Keel does not virtualise removed.
 * Reference: SDM 2 "CPUID" (Tables 3-8 to 3-17), APM3 Appendix E. */
#include "arch/x86/platform.h"
#include "drivers/timer.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/dev/pv_eoi.h"
#include "hv/dev/pvclock.h"
#include "hv/dev/vlapic.h"
#include "hv/exit/cpuid.h"
#include "lib/string.h"

#define A 0
#define B 1
#define C 2
#define D 3

/* Leaf 1 ECX: SSE3, PCLMULQDQ, SSSE3, FMA, CX16, SSE4.1, SSE4.2, MOVBE,
 * POPCNT, AES, XSAVE, AVX, F16C, RDRAND. Not: MONITOR (no MWAIT for
 * guests), VMX, SMX, EST/TM2 (power), PDCM, PCID (no INVPCID), DCA. */
#define LEAF1_ECX_KEEP 0x76d83203u
/* Leaf 1 EDX: FPU, VME, DE, PSE, TSC, MSR, PAE, CX8, APIC, SEP, PGE, CMOV,
 * PAT, PSE36, CLFSH, MMX, FXSR, SSE, SSE2. Not: MCE/MCA (no machine-check
 * MSRs), MTRR (no MTRR MSRs), DS, ACPI, SS, HTT, TM, PBE. */
#define LEAF1_EDX_KEEP 0x078bab7fu
/* Leaf 7.0 EBX: FSGSBASE, BMI1, AVX2, SMEP, BMI2, ERMS, RDSEED, ADX, SMAP,
 * CLFLUSHOPT, CLWB, SHA. Not: TSC_ADJUST, HLE/RTM, INVPCID, MPX, AVX-512,
 * PQM/PQE. */
#define LEAF7_EBX_KEEP 0x219c03a9u
/* Leaf 0x80000001 ECX: LAHF/SAHF, ABM, SSE4A, MISALIGNSSE,
 * 3DNowPrefetch. Not: SVM, IBS, SKINIT, WDT, TOPOEXT, perf counters. */
#define LEAF81_ECX_KEEP 0x000001e1u
/* Leaf 0x80000001 EDX: SYSCALL, NX, MMXEXT, FXSR_OPT, PDPE1GB, RDTSCP, LM
 * plus the leaf-1 mirror bits AMD repeats there. */
#define LEAF81_EDX_KEEP 0x2fd3ab7fu

static void host(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    platform_cpuid(leaf, subleaf, out);
}

void cpuid_guest(const struct vcpu *v, uint32_t leaf, uint32_t subleaf,
                 uint32_t out[4])
{
    uint32_t h[4];

    out[A] = out[B] = out[C] = out[D] = 0;
    switch (leaf) {
    case 0x0: /* max basic leaf and vendor: the host's vendor string */
        host(0, 0, h);
        out[A] = MIN(h[A], 0xdu);
        out[B] = h[B];
        out[C] = h[C];
        out[D] = h[D];
        break;
    case 0x1:
        host(1, 0, h);
        out[A] = h[A];                               /* family/model */
        out[B] = (h[B] & 0x0000ff00u)                /* CLFLUSH line size */
                 | (1u << 16)                        /* one logical CPU */
                 | ((uint32_t)v->id << 24);          /* initial APIC id */
        /* x2APIC and TSC-deadline: Keel's own vLAPIC offers both. */
        out[C] = (h[C] & LEAF1_ECX_KEEP) | CPUID_1_ECX_HYPERVISOR |
                 CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
        /* OSXSAVE mirrors the guest's own CR4.OSXSAVE. */
        if (v->state.cr4 & CR4_OSXSAVE)
            out[C] |= CPUID_1_ECX_OSXSAVE;
        else
            out[C] &= ~CPUID_1_ECX_OSXSAVE;
        out[D] = h[D] & LEAF1_EDX_KEEP;
        /* "When IA32_APIC_BASE[11] is 0, the processor is functionally
         * equivalent to an IA-32 processor without an on-chip APIC. The
         * CPUID feature flag for the APIC (see Section 11.4.2) is also set
         * to 0." (SDM 3A 11.4.3 "Enabling or Disabling the Local APIC") */
        if (!v->lapic || !vlapic_hw_enabled(v->lapic))
            out[D] &= ~CPUID_1_EDX_APIC;
        break;
    case 0x7:
        if (subleaf == 0) {
            host(7, 0, h);
            out[B] = h[B] & LEAF7_EBX_KEEP;
        }
        break;
    case 0xd: /* XSAVE state components: the host's (Keel saves and
               * restores them per vCPU, arch/x86/fpu.c) */
        host(0xd, subleaf, out);
        if (subleaf == 1) {
            /* XSAVEOPT, XSAVEC, XGETBV1 yes; XSAVES no: it needs IA32_XSS,
             * which the MSR policy does not offer. */
            out[A] &= 0x7;
            out[C] = out[D] = 0;
        }
        break;
    case CPUID_KEEL_BASE:
        out[A] = CPUID_KEEL_MAX;
        memcpy(&out[B], CPUID_KEEL_SIGNATURE, 4);
        memcpy(&out[C], &CPUID_KEEL_SIGNATURE[4], 4);
        memcpy(&out[D], &CPUID_KEEL_SIGNATURE[8], 4);
        break;
    case CPUID_KEEL_TIMING:
        out[A] = (uint32_t)(timer_tsc_hz() / 1000);
        out[B] = (uint32_t)(VLAPIC_BUS_HZ / 1000);
        break;
    case CPUID_KVM_BASE:
        out[A] = CPUID_KVM_FEATURES;
        memcpy(&out[B], CPUID_KVM_SIGNATURE, 4);
        memcpy(&out[C], &CPUID_KVM_SIGNATURE[4], 4);
        memcpy(&out[D], &CPUID_KVM_SIGNATURE[8], 4);
        break;
    case CPUID_KVM_FEATURES:  /* the clock (hv/dev/pvclock.h) and, with a
                               * vLAPIC, paravirtual EOI (hv/dev/pv_eoi.h) */
        out[A] = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
        if (v->lapic)
            out[A] |= KVM_FEATURE_PV_EOI;
        break;
    case 0x80000000:
        host(0x80000000, 0, h);
        out[A] = MIN(h[A], 0x80000008u);
        out[B] = h[B];
        out[C] = h[C];
        out[D] = h[D];
        break;
    case 0x80000001:
        host(0x80000001, 0, h);
        out[A] = h[A];
        out[C] = h[C] & LEAF81_ECX_KEEP;
        out[D] = h[D] & LEAF81_EDX_KEEP;
        break;
    case 0x80000002: /* brand string */
    case 0x80000003:
    case 0x80000004:
    case 0x80000005: /* L1 cache and TLB (AMD) */
    case 0x80000006: /* L2/L3 cache */
        host(leaf, 0, out);
        break;
    case 0x80000007: /* only the invariant-TSC bit (EDX 8) */
        host(leaf, 0, h);
        out[D] = h[D] & BIT(8);
        break;
    case 0x80000008: /* address sizes; no core count */
        host(leaf, 0, h);
        out[A] = h[A] & 0xffff;
        break;
    default:
        break;
    }
}

void cpuid_handle_exit(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: CPUID from Keel's policy, then step over it */
    uint32_t out[4];
    cpuid_guest(v, (uint32_t)v->state.gpr[GPR_RAX],
                (uint32_t)v->state.gpr[GPR_RCX], out);
    v->state.gpr[GPR_RAX] = out[0];
    v->state.gpr[GPR_RBX] = out[1];
    v->state.gpr[GPR_RCX] = out[2];
    v->state.gpr[GPR_RDX] = out[3];
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: cpuid_handle_exit is not written");
    */
    /* LAB 2 END */
}
