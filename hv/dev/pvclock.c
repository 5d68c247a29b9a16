/* kvmclock-compatible paravirtual clock (hv/dev/pvclock.h). */
#include "drivers/timer.h"
#include "hv/dev/pvclock.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/guest_mem.h"

void pvclock_scale(uint64_t tsc_hz, uint32_t *mul, int8_t *shift)
{
    /* mul / 2^32 * 2^shift = 1e9 / tsc_hz, with mul in [2^31, 2^32) for
     * precision. */
    const uint64_t ns = 1000000000ULL;
    int s = 0;
    uint64_t hz = tsc_hz ? tsc_hz : 1;
    while ((s < 31) && (s >= 0 ? hz << s : hz >> -s) <= ns)
        s++;
    while (s > -31 && (s >= 0 ? hz << s : hz >> -s) > 2 * ns)
        s--;
    uint64_t scaled = s >= 0 ? hz << s : hz >> -s;
    *mul = (uint32_t)((ns << 32) / scaled);
    *shift = (int8_t)s;
}

bool pvclock_msr_owned(uint32_t index)
{
    return index == MSR_KVM_WALL_CLOCK_NEW || index == MSR_KVM_SYSTEM_TIME_NEW;
}

static int write_system_time(const struct guest_mem *mem, gpa_t gpa,
                             uint64_t tsc_offset)
{
    struct pvclock_vcpu_time_info *ti = gmem_ptr(mem, gpa, sizeof(*ti));
    if (!ti || (gpa & 3))
        return -EINVAL;
    uint32_t mul;
    int8_t shift;
    pvclock_scale(timer_tsc_hz(), &mul, &shift);
    /* Keel's TSC is constant-rate and shared by every vCPU, and the stable
     * bit tells the guest it may compare clock readings made on different
     * vCPUs without a guard (Linux then skips its last_value check). So
     * every vCPU gets the same snapshot, Keel's time origin (TSC
     * tsc_at_boot = 0 ns), as KVM's master clock does: each vCPU's clock
     * is then one and the same function of the VM's TSC. A snapshot of
     * "now" per vCPU, taken at different times from two separate reads
     * (rdtsc, then timer_now_ns), left the vCPUs' clocks apart by the
     * time between the reads and the rounding of mul/shift, so time could
     * step back when a task went from one vCPU to the other. */
    ti->version |= 1;
    __asm__ volatile("" ::: "memory");
    ti->tsc_timestamp = timer_tsc_at_boot() + tsc_offset;
    ti->system_time = 0;
    ti->tsc_to_system_mul = mul;
    ti->tsc_shift = shift;
    ti->flags = PVCLOCK_TSC_STABLE_BIT;
    __asm__ volatile("" ::: "memory");
    ti->version += 1;
    gmem_wrote(mem, gpa, sizeof(*ti));
    return 0;
}

static int write_wall_clock(const struct guest_mem *mem, gpa_t gpa)
{
    struct pvclock_wall_clock *wc = gmem_ptr(mem, gpa, sizeof(*wc));
    if (!wc || (gpa & 3))
        return -EINVAL;
    /* Wall time at system_time 0 = now (RTC) - time since Keel started. */
    uint64_t now = timer_now_ns();
    uint64_t wall_ns = timer_wall_seconds() * 1000000000ULL;
    uint64_t boot_ns = wall_ns > now ? wall_ns - now : 0;
    wc->version |= 1;
    __asm__ volatile("" ::: "memory");
    wc->sec = (uint32_t)(boot_ns / 1000000000ULL);
    wc->nsec = (uint32_t)(boot_ns % 1000000000ULL);
    __asm__ volatile("" ::: "memory");
    wc->version += 1;
    gmem_wrote(mem, gpa, sizeof(*wc));
    return 0;
}

int pvclock_wrmsr(struct pvclock *pc, const struct guest_mem *mem,
                  uint64_t tsc_offset, uint32_t index, uint64_t val)
{
    if (index == MSR_KVM_WALL_CLOCK_NEW) {
        pc->wall_clock_msr = val;
        return write_wall_clock(mem, val);
    }
    pc->system_time_msr = val;
    if (!(val & 1))
        return 0;               /* disabled */
    return write_system_time(mem, val & ~1ULL, tsc_offset);
}

int pvclock_rdmsr(const struct pvclock *pc, uint32_t index, uint64_t *val)
{
    *val = index == MSR_KVM_WALL_CLOCK_NEW ? pc->wall_clock_msr
                                           : pc->system_time_msr;
    return 0;
}
