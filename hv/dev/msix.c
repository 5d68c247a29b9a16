/* MSI-X table, pending bits and message decoding (hv/dev/msix.h). */
#include "hv/dev/bus.h"
#include "hv/dev/msix.h"
#include "lib/errno.h"
#include "lib/string.h"

/* MSI address: 0xFEE in bits 31:20, destination ID in 19:12, redirection
 * hint bit 3, destination mode bit 2 (1 = logical). Data: vector 7:0,
 * delivery mode 10:8 (level 14 and trigger mode 15 are not used). */
#define MSI_ADDR_BASE_MASK  0xfff00000u
#define MSI_ADDR_BASE       0xfee00000u
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_DEST_LOGICAL BIT(2)
#define MSI_DATA_DM_SHIFT   8

bool msi_decode(uint64_t addr, uint32_t data, struct apic_irq *irq)
{
    if ((addr & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE || (addr >> 32))
        return false;
    memset(irq, 0, sizeof(*irq));
    irq->dest = (uint32_t)(addr >> MSI_ADDR_DEST_SHIFT) & 0xff;
    irq->logical = addr & MSI_ADDR_DEST_LOGICAL;
    irq->vector = data & 0xff;
    irq->delivery = (data >> MSI_DATA_DM_SHIFT) & 7;
    irq->shorthand = APIC_SH_NONE;
    /* A level-triggered MSI has no EOI path back to a device; treat every
     * message as an edge (as hardware effectively does). */
    irq->level = false;
    irq->assert = true;
    irq->x2apic = false;
    return true;
}

static uint16_t flags(const struct msix *m)
{
    return (uint16_t)pci_cfg_get(m->pci, m->cap + PCI_MSIX_FLAGS, 2);
}

bool msix_enabled(const struct msix *m)
{
    return m->pci && (flags(m) & PCI_MSIX_FLAGS_ENABLE);
}

static bool vector_masked(const struct msix *m, unsigned v)
{
    return (flags(m) & PCI_MSIX_FLAGS_MASKALL) ||
           (m->table[v][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void send(struct msix *m, unsigned v)
{
    struct apic_irq irq;
    uint64_t addr = m->table[v][0] | (uint64_t)m->table[v][1] << 32;
    if (msi_decode(addr, m->table[v][2], &irq) && m->send)
        m->send(m->ctx, &irq);
}

void msix_notify(struct msix *m, unsigned v)
{
    if (v >= m->nr || !msix_enabled(m))
        return;
    if (vector_masked(m, v)) {
        m->pending |= BIT(v);
        return;
    }
    send(m, v);
}

/* Send what became unmasked. */
static void flush_pending(struct msix *m)
{
    if (!msix_enabled(m))
        return;
    for (unsigned v = 0; v < m->nr; v++) {
        if ((m->pending & BIT(v)) && !vector_masked(m, v)) {
            m->pending &= ~BIT(v);
            send(m, v);
        }
    }
}

int msix_init(struct msix *m, struct pci_dev *pci, unsigned nr, unsigned bar,
              uint32_t table_off, uint32_t pba_off, msix_send_fn send_fn,
              void *ctx)
{
    uint8_t cap[PCI_MSIX_CAP_SIZE] = { 0 };

    if (nr == 0 || nr > MSIX_MAX_VECTORS || bar >= PCI_NUM_BARS ||
        (table_off | pba_off) & 7)
        return -EINVAL;
    memset(m, 0, sizeof(*m));
    m->pci = pci;
    m->nr = nr;
    m->send = send_fn;
    m->ctx = ctx;
    for (unsigned v = 0; v < nr; v++)
        m->table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    uint16_t fl = (uint16_t)(nr - 1);
    memcpy(&cap[PCI_MSIX_FLAGS], &fl, 2);
    uint32_t t = table_off | bar, p = pba_off | bar;
    memcpy(&cap[PCI_MSIX_TABLE], &t, 4);
    memcpy(&cap[PCI_MSIX_PBA], &p, 4);
    m->cap = pci_add_cap(pci, PCI_CAP_ID_MSIX, cap, sizeof(cap));
    if (!m->cap)
        return -EINVAL;
    /* Only Enable and Function Mask are writable. */
    pci->wmask[m->cap + PCI_MSIX_FLAGS + 1] =
        (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
    return 0;
}

void msix_cfg_written(struct msix *m)
{
    flush_pending(m);
}

int msix_table_read(struct msix *m, uint64_t off, unsigned size,
                    uint64_t *val)
{
    uint64_t v = off / PCI_MSIX_ENTRY_SIZE, w = (off % 16) / 4;
    if (v >= m->nr || (size != 4 && size != 8) || (off & (size - 1))) {
        *val = bus_all_ones(size);
        return 0;
    }
    *val = m->table[v][w];
    if (size == 8)
        *val |= (uint64_t)m->table[v][w + 1] << 32;
    return 0;
}

int msix_table_write(struct msix *m, uint64_t off, unsigned size,
                     uint64_t val)
{
    uint64_t v = off / PCI_MSIX_ENTRY_SIZE, w = (off % 16) / 4;
    if (v >= m->nr || (size != 4 && size != 8) || (off & (size - 1)))
        return 0;
    m->table[v][w] = (uint32_t)val;
    if (size == 8)
        m->table[v][w + 1] = (uint32_t)(val >> 32);
    m->table[v][3] &= PCI_MSIX_ENTRY_CTRL_MASKBIT;  /* other bits reserved */
    flush_pending(m);
    return 0;
}

int msix_pba_read(struct msix *m, uint64_t off, unsigned size,
                  uint64_t *val)
{
    *val = off == 0 ? m->pending : 0;
    if (size == 4 && off == 4)
        *val = m->pending >> 32;
    else if (size < 8)
        *val &= (1ULL << (size * 8)) - 1;
    return 0;
}
