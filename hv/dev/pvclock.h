/* A paravirtual clock in the KVM-compatible "kvmclock" format, which
 * Linux supports built-in. Under emulation every PIT or PM-timer read is a
 * VM exit, too slow for Linux's TSC calibration loops; with kvmclock the
 * guest reads the TSC frequency and time directly from memory.
 * Keel's own signature stays at CPUID 0x40000000; the KVM-compatible leaves
 * sit at 0x40000100, where Linux scans for them in steps of 0x100 (the
 * same arrangement Xen uses to offer two interfaces).
 * Reference: Linux Documentation/virt/kvm/x86/msr.rst ("MSR_KVM_SYSTEM_TIME_NEW",
 * "MSR_KVM_WALL_CLOCK_NEW"), cpuid.rst ("KVM_FEATURE_CLOCKSOURCE2"). */
#ifndef KEEL_PVCLOCK_H
#define KEEL_PVCLOCK_H

#include "lib/types.h"

struct guest_mem;

/* One vCPU's kvmclock MSRs as the guest last wrote them. */
struct pvclock {
    uint64_t system_time_msr;     /* MSR_KVM_SYSTEM_TIME_NEW */
    uint64_t wall_clock_msr;      /* MSR_KVM_WALL_CLOCK_NEW */
};

#define CPUID_KVM_BASE            0x40000100
#define CPUID_KVM_FEATURES        0x40000101
#define CPUID_KVM_SIGNATURE       "KVMKVMKVM\0\0\0"
#define KVM_FEATURE_CLOCKSOURCE2  BIT(3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT BIT(24)

#define MSR_KVM_WALL_CLOCK_NEW    0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW   0x4b564d01

/* struct pvclock_vcpu_time_info (msr.rst): time in ns is
 * system_time + ((tsc - tsc_timestamp) scaled by mul and shift). */
struct PACKED pvclock_vcpu_time_info {
    uint32_t version;          /* odd while Keel updates the structure */
    uint32_t pad0;
    uint64_t tsc_timestamp;    /* guest TSC at system_time */
    uint64_t system_time;      /* ns */
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;             /* PVCLOCK_TSC_STABLE_BIT */
    uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock is 32 bytes");

struct PACKED pvclock_wall_clock {
    uint32_t version;
    uint32_t sec;              /* wall time at system_time 0 */
    uint32_t nsec;
};
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "wall clock is 12 bytes");

#define PVCLOCK_TSC_STABLE_BIT    BIT(0)

/* The mul/shift pair that turns TSC ticks at tsc_hz into nanoseconds:
 * ns = ((ticks << shift) * mul) >> 32 (a right shift when shift < 0). */
void pvclock_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift);

/* Is index one of the kvmclock MSRs? */
bool pvclock_msr_owned(uint32_t index);

/* WRMSR of a kvmclock MSR of one vCPU: for MSR_KVM_SYSTEM_TIME_NEW bit 0
 * enables and the rest is the GPA of its time structure; for
 * MSR_KVM_WALL_CLOCK_NEW the value is the GPA of the wall clock. Either
 * must be 4-byte aligned inside mem's RAM, not crossing a page. The time
 * structure is written at once, with the vCPU's guest TSC = host TSC +
 * tsc_offset. Returns 0 or -EINVAL (the guest gets #GP). */
int pvclock_wrmsr(struct pvclock *pc, const struct guest_mem *mem,
                  uint64_t tsc_offset, uint32_t index, uint64_t val);

/* RDMSR of a kvmclock MSR: the value last written. Returns 0. */
int pvclock_rdmsr(const struct pvclock *pc, uint32_t index, uint64_t *val);

#endif
