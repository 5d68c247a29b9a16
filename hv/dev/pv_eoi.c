/* Paravirtual EOI (hv/dev/pv_eoi.h). */
#include "hv/dev/pv_eoi.h"
#include "hv/dev/vlapic.h"
#include "lib/errno.h"
#include "mm/guest_mem.h"

/* The guest word, or NULL when PV EOI is off or the word is not RAM. */
static uint32_t *word(const struct pv_eoi *p, const struct guest_mem *mem)
{
    if (!(p->msr & PV_EOI_MSR_ENABLED))
        return NULL;
    return gmem_ptr(mem, p->msr & ~3ULL, sizeof(uint32_t));
}

int pv_eoi_wrmsr(struct pv_eoi *p, const struct guest_mem *mem, uint64_t val)
{
    if (val & PV_EOI_MSR_RESERVED)
        return -EINVAL;
    if ((val & PV_EOI_MSR_ENABLED) &&
        !gmem_ptr(mem, val & ~3ULL, sizeof(uint32_t)))
        return -EINVAL;
    p->msr = val;
    p->armed = false;
    return 0;
}

uint64_t pv_eoi_rdmsr(const struct pv_eoi *p)
{
    return p->msr;
}

void pv_eoi_arm(struct pv_eoi *p, const struct guest_mem *mem,
                struct vlapic *l)
{
    uint32_t *w = word(p, mem);
    if (!w || p->armed || !vlapic_eoi_deferrable(l))
        return;
    *(volatile uint32_t *)w |= PV_EOI_PENDING;
    p->armed = true;
}

void pv_eoi_sync(struct pv_eoi *p, const struct guest_mem *mem,
                 struct vlapic *l)
{
    if (!p->armed)
        return;
    p->armed = false;
    uint32_t *w = word(p, mem);
    if (!w)
        return;
    volatile uint32_t *vw = w;
    if (*vw & PV_EOI_PENDING)
        *vw &= ~PV_EOI_PENDING;       /* no EOI yet: take the offer back */
    else {
        vlapic_eoi(l);                /* the guest's EOI, by clearing it */
        p->done++;
    }
}
