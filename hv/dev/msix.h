/* MSI-X for an emulated PCI function: the capability, the vector table and
 * pending-bit array in one of its memory BARs, masking, and turning a
 * message (address, data) into an interrupt for the virtual LAPICs.
 * PCI Local Bus Specification 3.0, 6.8.2 "MSI-X Capability and Table
 * Structure"; Intel SDM Volume 3A, 11.11 "Message Signalled Interrupts". */
#ifndef KEEL_DEV_MSIX_H
#define KEEL_DEV_MSIX_H

#include "hv/dev/apic_route.h"
#include "hv/dev/pci.h"
#include "lib/types.h"

/* Capability layout (offsets from the capability). See: 6.8.2.1-6.8.2.5. */
#define PCI_MSIX_FLAGS          2
#define PCI_MSIX_FLAGS_QSIZE    0x07ff   /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL  0x4000
#define PCI_MSIX_FLAGS_ENABLE   0x8000
#define PCI_MSIX_TABLE          4        /* offset | BIR */
#define PCI_MSIX_PBA            8
#define PCI_MSIX_CAP_SIZE       12

/* Table entry layout. See: 6.8.2.6-6.8.2.9. */
#define PCI_MSIX_ENTRY_SIZE         16
#define PCI_MSIX_ENTRY_LOWER_ADDR   0
#define PCI_MSIX_ENTRY_UPPER_ADDR   4
#define PCI_MSIX_ENTRY_DATA         8
#define PCI_MSIX_ENTRY_VECTOR_CTRL  12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1

/* "No vector" as virtio-pci writes it (virtio 1.2 4.1.5.1.2). */
#define MSIX_NO_VECTOR 0xffff

#define MSIX_MAX_VECTORS 16

/* Where messages go: an MSI decoded into the neutral interrupt message
 * (hv/dev/apic_route.h); the VM routes it with apic_route(). */
typedef void (*msix_send_fn)(void *ctx, const struct apic_irq *irq);

struct msix {
    struct pci_dev *pci;
    unsigned cap;                       /* capability offset in config space */
    unsigned nr;                        /* vectors, 1..MSIX_MAX_VECTORS */
    uint32_t table[MSIX_MAX_VECTORS][4];
    uint64_t pending;                   /* the PBA, one bit per vector */
    msix_send_fn send;
    void *ctx;
};

/* Add the capability to pci with nr vectors whose table and PBA lie in
 * memory BAR `bar` at byte offsets table_off and pba_off (8-byte aligned).
 * Every vector starts masked (6.8.2.9). Returns 0 or -EINVAL. */
int msix_init(struct msix *m, struct pci_dev *pci, unsigned nr, unsigned bar,
              uint32_t table_off, uint32_t pba_off, msix_send_fn send,
              void *ctx);

/* MSI-X enabled in the capability (the function then uses no INTx). */
bool msix_enabled(const struct msix *m);

/* Signal vector v: sent now, or its pending bit set while it (or the
 * whole function) is masked. A vector >= nr (e.g. MSIX_NO_VECTOR) is
 * dropped, as virtio specifies. */
void msix_notify(struct msix *m, unsigned v);

/* Table and PBA accesses at byte offset off inside them (4 or 8 bytes;
 * other sizes read all-ones / are ignored). */
int msix_table_read(struct msix *m, uint64_t off, unsigned size,
                    uint64_t *val);
int msix_table_write(struct msix *m, uint64_t off, unsigned size,
                     uint64_t val);
int msix_pba_read(struct msix *m, uint64_t off, unsigned size,
                  uint64_t *val);

/* Call after any config write touching the capability: an unmask sends
 * pending messages. */
void msix_cfg_written(struct msix *m);

/* Decode an MSI address/data pair (SDM 3A 11.11.1, 11.11.2) into irq.
 * Returns false when the address is not in the 0xFEExxxxx range. */
bool msi_decode(uint64_t addr, uint32_t data, struct apic_irq *irq);

#endif
