/* The interrupt router of a VM: hands one message (from the IOAPIC, an MSI
 * or a LAPIC's ICR) to the LAPICs it names.
 * Intel SDM Volume 3A (Order 325384-080), 11.6.2 "Determining IPI
 * Destination". */
#include "hv/dev/apic_route.h"
#include "hv/dev/vlapic.h"

/* Lowest priority: the named LAPIC with the lowest processor priority
 * (SDM 3A 11.6.2.4; the focus-processor rule is optional and skipped).
 * Ties go to the first, which keeps the choice deterministic. */
static unsigned route_lowest(struct vlapic *const *lapics, unsigned n,
                             const struct apic_irq *irq)
{
    struct vlapic *best = NULL;
    uint32_t best_prio = 0;
    for (unsigned i = 0; i < n; i++) {
        struct vlapic *l = lapics[i];
        if (!l || !vlapic_sw_enabled(l) || !vlapic_match_dest(l, irq))
            continue;
        uint32_t ppr = vlapic_ppr(l);
        if (!best || ppr < best_prio) {
            best = l;
            best_prio = ppr;
        }
    }
    return best && vlapic_deliver_irq(best, irq) ? 1 : 0;
}

unsigned apic_route(struct vlapic *const *lapics, unsigned n,
                    const struct apic_irq *irq, int src)
{
    unsigned count = 0;
    switch (irq->shorthand) {
    case APIC_SH_SELF:
        if (src >= 0 && (unsigned)src < n && lapics[src])
            count += vlapic_deliver_irq(lapics[src], irq);
        return count;
    case APIC_SH_ALL_INCL:
    case APIC_SH_ALL_EXCL:
        for (unsigned i = 0; i < n; i++) {
            if (!lapics[i])
                continue;
            if (irq->shorthand == APIC_SH_ALL_EXCL && (int)i == src)
                continue;
            count += vlapic_deliver_irq(lapics[i], irq);
        }
        return count;
    default:
        break;
    }
    if (irq->delivery == APIC_DM_LOWEST)
        return route_lowest(lapics, n, irq);
    for (unsigned i = 0; i < n; i++)
        if (lapics[i] && vlapic_match_dest(lapics[i], irq))
            count += vlapic_deliver_irq(lapics[i], irq);
    return count;
}
