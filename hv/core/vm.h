/* A virtual machine: its memory map and nested page table, its vCPUs, its
 * buses and devices, and how it ended. Created from one [vm] section of the
 * boot configuration by hv/machine/machine.c. */
#ifndef KEEL_VM_H
#define KEEL_VM_H

#include "hv/core/config.h"
#include "hv/core/dirty_log.h"
#include "hv/core/vcpu.h"
#include "hv/dev/bus.h"
#include "lib/types.h"
#include "mm/guest_mem.h"
#include "mm/pt.h"

struct acpi_pm;
struct pci_host;
struct uart16550;
struct vioapic;
struct vlapic;
struct vpic;
struct vpit;
struct vrtc;
struct vm_devices;
struct virtio_dev;

/* How a VM ended (reported in the summary). */
enum vm_end {
    VM_END_NONE,          /* still running */
    VM_END_DEBUG_EXIT,    /* wrote a status to port 0xF4 */
    VM_END_POWEROFF,      /* ACPI S5 */
    VM_END_RESET,         /* (unused: a reset restarts the VM) */
    VM_END_HALTED,        /* every vCPU halted with interrupts disabled */
    VM_END_TRIPLE_FAULT,
    VM_END_CRASHED,       /* stopped by Keel for misbehaviour */
};

const char *vm_end_name(enum vm_end end);

struct vm {
    unsigned id;
    const struct vm_config *cfg;
    char name[CFG_NAME_MAX];
    struct guest_mem mem;
    struct pt npt;                   /* GPA -> HPA, vendor entry format */
    struct vcpu *vcpus[CFG_MAX_VCPUS];
    struct vlapic *lapics[CFG_MAX_VCPUS]; /* vcpus[i]->lapic, for routing */
    unsigned nr_vcpus;
    struct vcpu *current;            /* the vCPU whose exit is handled */
    struct bus pio;
    struct bus mmio;
    struct uart16550 *uart;          /* COM1 */
    struct vioapic *ioapic;
    struct vpic *pic;
    struct vpit *pit;
    struct vrtc *rtc;
    struct acpi_pm *pm;
    struct pci_host *pci;
    void *vendor;                    /* ASID / VPID */
    uint64_t rsdp_gpa;               /* ACPI RSDP Keel built, 0 if none */
    const struct blob *kernel;       /* the payload, kept for resets */
    const struct blob *initrd;
    const struct blob *device_files; /* per cfg->devices[i] (images) */
    /* Set by the builder (hv/machine): print the VM's partial console
     * line, so it comes before the line saying how the VM ended. */
    void (*console_flush)(struct vm *vm);
    struct virtio_dev *virtio[CFG_MAX_DEVICES]; /* its virtio devices */
    unsigned nr_virtio;
    struct dirty_log dirty;          /* pages the guest wrote (lab 9) */
    bool reset_pending;              /* restart at the next scheduling point */
    unsigned resets;                 /* how many times it was reset */
    /* A reset in progress (hv/machine/machine.c): RAM cleared up to
     * byte clear_off of slot clear_slot; and the rate limit's window. */
    bool resetting;
    unsigned clear_slot;
    uint64_t clear_off;
    uint64_t reset_window_ns;        /* start of the current window */
    unsigned reset_window_count;     /* resets in it */
    enum vm_end end;
    int exit_status;                 /* debug-exit value */
    char end_reason[160];
    uint64_t start_ns, end_ns;
};

/* Stop the VM for good with how it ended and a reason (printf-style).
 * All its vCPUs stop; other VMs are untouched. */
void vm_stop(struct vm *vm, enum vm_end end, const char *fmt, ...)
    PRINTF(3, 4);

/* Guest misbehaviour: log "vm <name> crashed: <reason>", dump the vCPU,
 * stop the VM (DESIGN.md, "Errors"). */
void vm_crash(struct vm *vm, const char *fmt, ...) PRINTF(2, 3);

static inline bool vm_running(const struct vm *vm)
{
    return vm->end == VM_END_NONE;
}

/* Ask for a reset (ACPI reset register, as a PC's reset line): the VM
 * restarts from its payload at the next scheduling point (machine_reset). */
void vm_request_reset(struct vm *vm, const char *why);

#endif
