/* The guest MSR policy: a short pass-through list, a table of emulated
 * MSRs, and #GP(0) for everything else with one log line per MSR.
 * Reference: SDM 4 "Model-Specific Registers" (names), SDM 3A 2.2.1
 * (EFER), 11.12 (PAT); APM2 3.1.7 (EFER), 13.2 (legacy PMU). */
#include "arch/x86/msr_index.h"
#include "drivers/timer.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/dev/pv_eoi.h"
#include "hv/dev/pvclock.h"
#include "hv/dev/vlapic.h"
#include "hv/exit/cpuid.h"
#include "hv/exit/msr.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/once.h"


const struct msr_pass msr_passthrough[MSR_PASSTHROUGH_COUNT] = {
    { MSR_FS_BASE, MSR_PASS_RW },
    { MSR_GS_BASE, MSR_PASS_RW },
    { MSR_KERNEL_GS_BASE, MSR_PASS_RW },
    { MSR_STAR, MSR_PASS_RW },
    { MSR_LSTAR, MSR_PASS_RW },
    { MSR_CSTAR, MSR_PASS_RW },
    { MSR_SFMASK, MSR_PASS_RW },
    { MSR_TSC_AUX, MSR_PASS_RW },
    { MSR_IA32_SYSENTER_CS, MSR_PASS_RW },
    { MSR_IA32_SYSENTER_ESP, MSR_PASS_RW },
    { MSR_IA32_SYSENTER_EIP, MSR_PASS_RW },
};

/* EFER bits a guest may set: SCE, LME, LMA (read-only in effect), NXE
 * (SDM 3A 2.2.1). SVME stays Keel's. */
#define EFER_GUEST_MASK (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* The power-on PAT and the memory types a PAT entry may hold (SDM 3A
 * 11.12.2: 0, 1, 4, 5, 6, 7; 2 and 3 are reserved). */
static bool pat_valid(uint64_t pat)
{
    for (int i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (i * 8));
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

/* MSRs with a fixed value: the policy's one table of decisions for MSRs
 * that hold no guest state (docs/platform.md "MSR policy"). A read gives
 * `value`; a write is refused (#GP) unless `writes`, and then also if it
 * sets a `reserved` bit or changes a bit outside `ignored` (read-only
 * bits must be written as read); `ignored` bits are accepted and
 * dropped. */
struct msr_fixed {
    uint32_t first, last;
    bool amd_only;              /* exists only on AMD CPUs (vendor check) */
    bool writes;
    uint64_t value, reserved, ignored;
};

/* IA32_MISC_ENABLE (SDM 4 Table 2-2): R/W bits 0 fast strings, 3 TCC,
 * 16 EIST, 18 MONITOR FSM, 22 limit CPUID maxval, 23 xTPR disable, 34 XD
 * disable (accepted, ignored); read-only bits 7 perfmon available (0: no
 * PMU, CPUID 0xA is 0), 11 BTS and 12 PEBS unavailable (1); the rest is
 * reserved. */
#define MISC_ENABLE_VALUE   (BIT(0) | BIT(11) | BIT(12))
#define MISC_ENABLE_RW      (BIT(0) | BIT(3) | BIT(16) | BIT(18) | BIT(22) | \
                             BIT(23) | BIT(34))
#define MISC_ENABLE_RO      (BIT(7) | BIT(11) | BIT(12))

#define ONE(msr) .first = (msr), .last = (msr)

static const struct msr_fixed msr_fixed[] = {
    /* No microcode revision to report; writing 0 before CPUID(1) is the
     * revision-reading idiom (SDM 3A 10.11.7.1). */
    { ONE(MSR_IA32_BIOS_SIGN_ID), .writes = true, .ignored = ~0ULL },
    { ONE(MSR_IA32_PLATFORM_ID) },
    /* No MTRRs (CPUID.1:EDX.MTRR = 0), no machine-check banks. */
    { ONE(MSR_IA32_MTRRCAP) },
    { ONE(MSR_IA32_MCG_CAP) },
    { ONE(MSR_IA32_MCG_STATUS), .writes = true, .ignored = ~0ULL },
    { ONE(MSR_IA32_MISC_ENABLE), .writes = true, .value = MISC_ENABLE_VALUE,
      .reserved = ~(MISC_ENABLE_RW | MISC_ENABLE_RO),
      .ignored = MISC_ENABLE_RW },
    /* The AMD legacy PMU (APM2 13.2 "Performance Monitoring Counters"):
     * every AMD64 CPU has it, so it cannot #GP there; without a virtual
     * PMU it reads as zero and ignores writes, as KVM does. The Intel
     * architectural PMU MSRs stay #GP: CPUID 0xA reports no counters. */
    { .first = MSR_K7_EVNTSEL0, .last = MSR_K7_PERFCTR3, .amd_only = true,
      .writes = true, .ignored = ~0ULL },
    /* No C1E: Linux reads it on AMD CPUs (BKDG fam 10h-16h). */
    { ONE(MSR_K8_INT_PENDING_MSG), .amd_only = true },
};

/* The vendor the guest sees (CPUID 0 EBX: "Auth" of AuthenticAMD, "Hygo"
 * of HygonGenuine). */
static bool guest_is_amd(const struct vcpu *v)
{
    uint32_t r[4];
    cpuid_guest(v, 0, 0, r);
    return r[1] == 0x68747541u || r[1] == 0x6f677948u;
}

static const struct msr_fixed *fixed_find(const struct vcpu *v, uint32_t index)
{
    for (unsigned i = 0; i < ARRAY_SIZE(msr_fixed); i++) {
        const struct msr_fixed *f = &msr_fixed[i];
        if (index >= f->first && index <= f->last)
            return f->amd_only && !guest_is_amd(v) ? NULL : f;
    }
    return NULL;
}

/* Log an unhandled MSR once per index (lib/once.h: after the table
 * fills, further MSRs are still refused, just not logged). */
static void log_unknown(const struct vcpu *v, uint32_t index, bool write)
{
    ONCE_TABLE(seen, 64, "unhandled MSRs");
    once_log(&seen, index, LOG_WARN,
             "vm %s: %s of unhandled MSR %#x: #GP to the guest",
             v->vm->name, write ? "WRMSR" : "RDMSR", index);
}

int msr_read(struct vcpu *v, uint32_t index, uint64_t *val)
{
    /* IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range belong to
     * the vCPU's virtual LAPIC. */
    if (v->lapic && vlapic_msr_owned(index))
        return vlapic_rdmsr(v->lapic, index, val) ? -EINVAL : 0;
    if (pvclock_msr_owned(index))
        return pvclock_rdmsr(&v->pvclock, index, val);
    if (index == MSR_KVM_PV_EOI_EN && v->lapic) {
        *val = pv_eoi_rdmsr(&v->pv_eoi);
        return 0;
    }
    switch (index) {
    case MSR_IA32_TSC:
        *val = timer_rdtsc() + v->tsc_offset;
        return 0;
    case MSR_EFER:
        *val = v->state.efer;
        return 0;
    case MSR_IA32_PAT:
        *val = v->state.pat;
        return 0;
    default: {
        const struct msr_fixed *f = fixed_find(v, index);
        if (!f) {
            log_unknown(v, index, false);
            return -EINVAL;
        }
        *val = f->value;
        return 0;
    }
    }
}

int msr_write(struct vcpu *v, uint32_t index, uint64_t val)
{
    if (v->lapic && vlapic_msr_owned(index))
        return vlapic_wrmsr(v->lapic, index, val) ? -EINVAL : 0;
    if (pvclock_msr_owned(index))
        return pvclock_wrmsr(&v->pvclock, &v->vm->mem, v->tsc_offset, index,
                             val);
    if (index == MSR_KVM_PV_EOI_EN && v->lapic)
        return pv_eoi_wrmsr(&v->pv_eoi, &v->vm->mem, val);
    switch (index) {
    case MSR_IA32_TSC:
        v->tsc_offset = val - timer_rdtsc();
        return 0;
    case MSR_EFER:
        if (val & ~EFER_GUEST_MASK)
            return -EINVAL;
        /* LME may not change while paging is on (SDM 3A 9.8.5). */
        if ((v->state.cr0 & CR0_PG) &&
            ((val ^ v->state.efer) & EFER_LME))
            return -EINVAL;
        /* LMA is set by the CPU, not by WRMSR: keep the current value. */
        v->state.efer = (val & ~EFER_LMA) | (v->state.efer & EFER_LMA);
        return 0;
    case MSR_IA32_PAT:
        if (!pat_valid(val))
            return -EINVAL;
        v->state.pat = val;
        return 0;
    default: {
        const struct msr_fixed *f = fixed_find(v, index);
        if (!f) {
            log_unknown(v, index, true);
            return -EINVAL;
        }
        /* Reserved bits and a change of a read-only bit #GP; the bits
         * that may change are accepted and ignored. */
        if (!f->writes || (val & f->reserved) ||
            ((val ^ f->value) & ~(f->reserved | f->ignored)))
            return -EINVAL;
        return 0;
    }
    }
}

void msr_handle_read(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: RDMSR: EDX:EAX from the MSR policy, or #GP */
    uint64_t val;
    if (msr_read(v, exit->msr.index, &val)) {
        vcpu_inject_gp(v);
        return;
    }
    v->state.gpr[GPR_RAX] = (uint32_t)val;
    v->state.gpr[GPR_RDX] = val >> 32;
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: msr_handle_read is not written");
    */
    /* LAB 2 END */
}

void msr_handle_write(struct vcpu *v, const struct vm_exit *exit)
{
    /* LAB 2 BEGIN: WRMSR: EDX:EAX to the MSR policy, or #GP */
    uint64_t val = (uint32_t)v->state.gpr[GPR_RAX] |
                   (v->state.gpr[GPR_RDX] << 32);
    if (msr_write(v, exit->msr.index, val)) {
        vcpu_inject_gp(v);
        return;
    }
    vcpu_skip_insn(v, exit);
    /* LAB 2 STUB
    vm_crash(v->vm, "lab 2: msr_handle_write is not written");
    */
    /* LAB 2 END */
}
