/* Which physical CPU runs which vCPU (hv/core/pin.h). */
#include "hv/core/pin.h"

/* Set bits of mask (Keel links no libgcc for __builtin_popcountll). */
static unsigned count_cpus(uint64_t mask)
{
    unsigned n = 0;
    for (; mask; mask &= mask - 1)
        n++;
    return n;
}

unsigned pin_cpu(uint64_t mask, unsigned vcpu)
{
    if (!mask)
        return 0;
    unsigned nth = vcpu % count_cpus(mask);
    for (unsigned cpu = 0;; cpu++) {
        if (!(mask & (1ULL << cpu)))
            continue;
        if (nth-- == 0)
            return cpu;
    }
}

int pin_missing(uint64_t mask, uint64_t online)
{
    uint64_t missing = mask & ~online;
    return missing ? __builtin_ctzll(missing) : -1;
}
