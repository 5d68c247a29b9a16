/* The PC platform of a VM (hv/machine/pc.h): creating the devices and wiring their
 * interrupt lines. The devices themselves are in hv/dev/. */
#include "drivers/timer.h"
#include "hv/acpi/acpi.h"
#include "hv/core/vm.h"
#include "hv/dev/acpi_pm.h"
#include "hv/dev/apic_route.h"
#include "hv/dev/bus.h"
#include "hv/dev/pci_host.h"
#include "hv/dev/uart16550.h"
#include "hv/dev/vioapic.h"
#include "hv/dev/vlapic.h"
#include "hv/dev/vpic.h"
#include "hv/dev/vpit.h"
#include "hv/dev/vrtc.h"
#include "hv/machine/debug_exit.h"
#include "hv/machine/pc.h"
#include "hv/machine/vconsole.h"
#include "hv/net/net.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/heap.h"

#define COM1_PORT 0x3f8
#define COM1_IRQ  4
#define POST_PORT 0x80     /* POST code / I/O delay: writes ignored */

/* ISA IRQ n drives 8259 pin n and IOAPIC pin n, but IRQ 0 (the PIT)
 * reaches IOAPIC pin 2 (the MADT interrupt source override). */
static void isa_irq(void *ctx, unsigned irq, bool level)
{
    struct vm *vm = ctx;
    vpic_set_irq(vm->pic, irq, level);
    vioapic_set_irq(vm->ioapic, irq == 0 ? 2 : irq, level);
}

static void uart_irq(void *ctx, bool level)
{
    isa_irq(ctx, COM1_IRQ, level);
}

static void uart_tx(void *ctx, uint8_t byte)
{
    vconsole_set_input(ctx, NULL, NULL);  /* input follows the output */
    vconsole_putc(ctx, (char)byte);
}

static void ioapic_deliver(void *ctx, const struct apic_irq *irq)
{
    struct vm *vm = ctx;
    apic_route(vm->lapics, vm->nr_vcpus, irq, -1);
}

/* vLAPIC callbacks; ctx is the vCPU. */
static void lapic_send_ipi(void *ctx, unsigned src, const struct apic_irq *irq)
{
    struct vcpu *v = ctx;
    apic_route(v->vm->lapics, v->vm->nr_vcpus, irq, (int)src);
}

static void lapic_eoi_level(void *ctx, uint8_t vector)
{
    struct vcpu *v = ctx;
    vioapic_eoi(v->vm->ioapic, vector);
}

static uint64_t lapic_guest_tsc(void *ctx)
{
    struct vcpu *v = ctx;
    return timer_rdtsc() + v->tsc_offset;
}

static void lapic_kick(void *ctx)
{
    /* On its own CPU the scheduler looks at every vCPU's pending
     * interrupts before it runs or idles. A vCPU on another physical CPU
     * (a pinned VM) may be in its guest or idle there: a host IPI makes
     * it look (vcpu_kick). And when the vCPU running here made another
     * one's interrupt pending (an IPI), it ends its slice after this
     * exit, so a target on this CPU runs within microseconds instead of
     * after a whole slice. */
    struct vcpu *target = ctx, *cur = target->vm->current;
    vcpu_kick(target);
    if (cur && cur != target) {
        cur->yield = true;
        if (!target->woken_tsc)
            target->woken_tsc = timer_rdtsc();
    }
}

/* The 8259 pair reaches vCPU 0 only (through LINT0, pic_reaches): on
 * another physical CPU it needs a kick too. */
static void pic_kick(void *ctx)
{
    struct vm *vm = ctx;
    if (vm->nr_vcpus)
        vcpu_kick(vm->vcpus[0]);
}

static const struct vlapic_host_ops lapic_ops = {
    .send_ipi = lapic_send_ipi,
    .eoi_level = lapic_eoi_level,
    .guest_tsc = lapic_guest_tsc,
    .kick = lapic_kick,
};

/* The xAPIC page is one GPA for every vCPU; the LAPIC it reaches is the
 * one of the vCPU that made the access (SDM 3A 11.4.1). */
static int lapic_mmio_read(void *dev, uint64_t off, unsigned size,
                           uint64_t *val)
{
    struct vm *vm = dev;
    return vlapic_mmio_read(vm->current->lapic, off, size, val);
}

static int lapic_mmio_write(void *dev, uint64_t off, unsigned size,
                            uint64_t val)
{
    struct vm *vm = dev;
    return vlapic_mmio_write(vm->current->lapic, off, size, val);
}

static void pm_sleep(void *ctx, unsigned slp_typ)
{
    struct vm *vm = ctx;
    if (slp_typ == ACPI_SLP_TYP_S5)
        vm_stop(vm, VM_END_POWEROFF, "ACPI S5 (power-off) requested");
    else
        log_once(LOG_WARN, "vm %s: ACPI sleep type %u not supported; "
                 "ignored", vm->name, slp_typ);
}

static void pm_reset(void *ctx)
{
    vm_request_reset(ctx, "ACPI reset register written");
}

static int post_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    (void)dev;
    (void)off;
    *val = bus_all_ones(size);
    return 0;
}

static int post_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    (void)dev;
    (void)off;
    (void)size;
    (void)val;
    return 0;
}

int pc_create(struct vm *vm)
{
    int rc = 0;

    vm->uart = kzalloc(sizeof(*vm->uart));
    vm->pm = kzalloc(sizeof(*vm->pm));
    vm->pci = kzalloc(sizeof(*vm->pci));
    vm->ioapic = vioapic_create(ioapic_deliver, vm);
    vm->pic = vpic_create(pic_kick, vm);
    vm->pit = vpit_create(isa_irq, vm);
    vm->rtc = vrtc_create(isa_irq, vm);
    if (!vm->uart || !vm->pm || !vm->pci || !vm->ioapic || !vm->pic ||
        !vm->pit || !vm->rtc)
        return -ENOMEM;
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        struct vcpu *v = vm->vcpus[i];
        v->lapic = vlapic_create(v->id, &lapic_ops, v);
        if (!v->lapic)
            return -ENOMEM;
        vm->lapics[i] = v->lapic;
    }
    uart_init(vm->uart, uart_tx, uart_irq, vm);
    pci_host_init(vm->pci);
    acpi_pm_init(vm->pm, pm_sleep, pm_reset, vm);

    struct bus *p = &vm->pio;
    rc = rc ? rc : bus_register(p, COM1_PORT, 8, vm->uart, uart_read,
                                uart_write, "uart16550 COM1");
    rc = rc ? rc : bus_register(p, PIC_MASTER_PORT, PIC_PORTS, vm->pic,
                                vpic_master_read, vpic_master_write,
                                "8259 master");
    rc = rc ? rc : bus_register(p, PIC_SLAVE_PORT, PIC_PORTS, vm->pic,
                                vpic_slave_read, vpic_slave_write,
                                "8259 slave");
    rc = rc ? rc : bus_register(p, PIC_ELCR_PORT, 2, vm->pic, vpic_elcr_read,
                                vpic_elcr_write, "8259 ELCR");
    rc = rc ? rc : bus_register(p, PIT_PORT, PIT_PORTS, vm->pit, vpit_read,
                                vpit_write, "8254 PIT");
    rc = rc ? rc : bus_register(p, PIT_PORT_SYSCTL, 1, vm->pit,
                                vpit_sysctl_read, vpit_sysctl_write,
                                "port 0x61 (PIT gate, speaker)");
    rc = rc ? rc : bus_register(p, RTC_PORT, RTC_PORTS, vm->rtc, vrtc_read,
                                vrtc_write, "CMOS RTC");
    rc = rc ? rc : bus_register(p, ACPI_PM_PORT_BASE, ACPI_PM_PORT_COUNT,
                                vm->pm, acpi_pm_read, acpi_pm_write,
                                "ACPI PM");
    rc = rc ? rc : bus_register(p, PCI_CONFIG_ADDRESS, PCI_CONFIG_PORTS,
                                vm->pci, pci_host_read, pci_host_write,
                                "PCI configuration");
    rc = rc ? rc : bus_register(&vm->mmio, PCI_MMIO_BASE, PCI_MMIO_SIZE,
                                vm->pci, pci_host_mmio_read,
                                pci_host_mmio_write, "PCI memory window");
    rc = rc ? rc : bus_register(p, POST_PORT, 1, NULL, post_read, post_write,
                                "POST/delay port");
    rc = rc ? rc : debug_exit_register(vm);
    rc = rc ? rc : bus_register(&vm->mmio, IOAPIC_DEFAULT_BASE,
                                IOAPIC_MMIO_SIZE, vm->ioapic,
                                vioapic_mmio_read, vioapic_mmio_write,
                                "IOAPIC");
    rc = rc ? rc : bus_register(&vm->mmio, APIC_DEFAULT_BASE, APIC_MMIO_SIZE,
                                vm, lapic_mmio_read, lapic_mmio_write,
                                "LAPIC (xAPIC page)");
    return rc;
}

void pc_reset(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vlapic_reset(vm->vcpus[i]->lapic, false);
    vioapic_reset(vm->ioapic);
    vpic_reset(vm->pic);
    vpit_reset(vm->pit);
    vrtc_reset(vm->rtc);
    uart_init(vm->uart, uart_tx, uart_irq, vm);
    acpi_pm_init(vm->pm, pm_sleep, pm_reset, vm);
    pci_host_reset(vm->pci);
}

void pc_update(struct vm *vm, uint64_t now_ns)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vlapic_update_timer(vm->vcpus[i]->lapic, now_ns);
    vpit_update(vm->pit, now_ns);
    vrtc_update(vm->rtc, now_ns);
}

bool pc_next_deadline(struct vm *vm, uint64_t *ns)
{
    uint64_t best = ~0ULL, t;
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        if (vlapic_next_deadline(vm->vcpus[i]->lapic, &t) == 0)
            best = MIN(best, t);
    if (vpit_next_deadline(vm->pit, &t) == 0)
        best = MIN(best, t);
    if (vrtc_next_deadline(vm->rtc, &t) == 0)
        best = MIN(best, t);
    *ns = best;
    return best != ~0ULL;
}
