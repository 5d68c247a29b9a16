/* The virtual local APIC of one vCPU: the xAPIC register page (MMIO), the
 * x2APIC MSRs, interrupt priority, EOI, IPIs and the APIC timer.
 * Intel SDM Volume 3A (Order 325384-080), chapter 11 "Advanced Programmable
 * Interrupt Controller (APIC)".
 *
 * A plain object: it never injects anything itself. The core's injection
 * point asks vlapic_pending_vector() and calls vlapic_accept() when it has
 * injected that vector; it polls NMI/INIT/SIPI with vlapic_take_*(). Not
 * thread-safe: the caller serialises all calls for one VM. */
#ifndef KEEL_DEV_VLAPIC_H
#define KEEL_DEV_VLAPIC_H

#include "arch/x86/msr_index.h"
#include "hv/dev/apic_route.h"
#include "lib/apic_regs.h"
#include "lib/types.h"

/* Guest-physical base of the xAPIC page and its length in bytes. */
#define APIC_DEFAULT_BASE 0xFEE00000ULL
#define APIC_MMIO_SIZE    0x1000ULL

/* The APIC timer's input clock ("bus clock" / core crystal): 1 GHz, so one
 * timer tick with divide-by-1 is exactly one nanosecond. The core reports it
 * to the guest (CPUID 0x15 ECX, 0x16 ECX in MHz, 0x40000010 EBX in kHz), so
 * Linux needs no calibration of the LAPIC timer against the PIT. */
#define VLAPIC_BUS_HZ       1000000000ULL
#define VLAPIC_NS_PER_TICK  (1000000000ULL / VLAPIC_BUS_HZ)

/* Shortest period of the periodic timer, in ns: a guest programming a
 * tinier one would starve every other vCPU (KVM clamps the same way). */
#define VLAPIC_MIN_PERIOD_NS 100000ULL

/* Version register: version 0x14 (integrated xAPIC), max LVT entry 5 (six
 * LVTs: timer, thermal, PMC, LINT0, LINT1, error), no directed EOI. See:
 * SDM 3A 11.4.8 "Local APIC Version Register". */
#define APIC_VERSION_VALUE  0x00050014u

/* Indices of the six LVT entries in struct vlapic.lvt. */
enum { LVT_TIMER, LVT_THERMAL, LVT_PMC, LVT_LINT0, LVT_LINT1, LVT_ERROR,
       LVT_COUNT };

/* What the VM provides to a LAPIC. Every function may be NULL. */
struct vlapic_host_ops {
    /* Send an IPI written to the ICR to the other LAPICs of the VM (normally
     * through apic_route()). Self-only IPIs never come here. */
    void (*send_ipi)(void *ctx, unsigned src_id, const struct apic_irq *irq);
    /* The guest ended a level-triggered interrupt (its TMR bit was set):
     * broadcast the EOI to the IOAPIC (vioapic_eoi()). */
    void (*eoi_level)(void *ctx, uint8_t vector);
    /* The guest's TSC now (host TSC + offset). NULL: timer_rdtsc(). */
    uint64_t (*guest_tsc)(void *ctx);
    /* Something became pending (interrupt, NMI, INIT, SIPI): wake the vCPU
     * if it is halted or waiting, or make it exit if it is running. */
    void (*kick)(void *ctx);
};

/* The state of one LAPIC. Fields are private to hv/dev/vlapic*.c; use the
 * functions below. The 256-bit sets are 8 words, bit v%32 of word v/32. */
struct vlapic {
    uint32_t id;                 /* x2APIC ID = vCPU id; xAPIC ID = id<<24 */
    const struct vlapic_host_ops *ops;
    void *ctx;
    uint64_t apic_base;          /* IA32_APIC_BASE */
    uint32_t tpr, ldr, dfr, svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr;                /* value the guest reads */
    uint32_t esr_pending;        /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t tmict, tdcr;        /* timer initial count, divide config */
    uint64_t tsc_deadline;       /* IA32_TSC_DEADLINE as written (0: off) */
    bool timer_armed;
    uint64_t timer_deadline_ns;  /* next expiry, when armed */
    uint64_t timer_period_ns;    /* periodic mode: reload interval */
    bool nmi_pending, init_pending, sipi_pending;
    uint8_t sipi_vector;
};

/* Allocate a LAPIC in its reset state (xAPIC mode, enabled, software
 * disabled, all LVTs masked) for vCPU `id`; vCPU 0 is the BSP. ops (which
 * must outlive it) and ctx are passed to the callbacks. Returns NULL when
 * out of memory. See: SDM 3A 11.4.7.1 "Local APIC State After Power-Up". */
struct vlapic *vlapic_create(unsigned id, const struct vlapic_host_ops *ops,
                             void *ctx);

/* Back to the power-up state (INIT keeps the ID and IA32_APIC_BASE; a full
 * reset does not). See: SDM 3A 11.4.7.3 "Local APIC State After an INIT
 * Reset (Wait-for-SIPI State)". */
void vlapic_reset(struct vlapic *lapic, bool init_only);

/* The MMIO bus callbacks for [APIC_DEFAULT_BASE, +APIC_MMIO_SIZE): 4-byte
 * accesses at 16-byte aligned offsets (others are logged and read as 0 /
 * dropped). While the APIC is globally disabled (IA32_APIC_BASE.EN = 0)
 * the page does not decode: any read gives all-ones, writes are dropped
 * (SDM 3A 11.4.3). dev is the struct vlapic. Return 0 (hardware never faults an
 * xAPIC access; bad registers set ESR bit 7). */
int vlapic_mmio_read(void *dev, uint64_t offset, unsigned size,
                     uint64_t *val);
int vlapic_mmio_write(void *dev, uint64_t offset, unsigned size,
                      uint64_t val);

/* True for the MSRs the LAPIC owns: IA32_APIC_BASE, IA32_TSC_DEADLINE and
 * 0x800-0x8FF. */
bool vlapic_msr_owned(uint32_t msr);

/* RDMSR/WRMSR of one of those MSRs. Return 0, -ENOENT if the MSR is not
 * the LAPIC's, or -EINVAL when the CPU would raise #GP(0) (the core injects
 * it): x2APIC MSRs outside x2APIC mode, reads of write-only and writes of
 * read-only registers, reserved bits, invalid IA32_APIC_BASE transitions.
 * See: SDM 3A 11.12.1.2 "x2APIC Register Address Space", 11.12.5 "x2APIC
 * State Transitions". */
int vlapic_rdmsr(struct vlapic *lapic, uint32_t msr, uint64_t *val);
int vlapic_wrmsr(struct vlapic *lapic, uint32_t msr, uint64_t val);

/* Mode queries. */
bool vlapic_hw_enabled(const struct vlapic *lapic);   /* IA32_APIC_BASE.EN */
bool vlapic_sw_enabled(const struct vlapic *lapic);   /* and SVR bit 8 */
bool vlapic_x2apic_mode(const struct vlapic *lapic);  /* EXTD */

/* Offer an interrupt message already routed to this LAPIC (fixed, lowest
 * priority, NMI, INIT, SIPI, ExtINT is ignored: see vlapic_accepts_pic()).
 * Returns true if it was accepted. Calls ops->kick when something became
 * pending. See: SDM 3A 11.6.1 Table "Delivery Mode". */
bool vlapic_deliver_irq(struct vlapic *lapic, const struct apic_irq *irq);

/* Set the IRR bit of a fixed interrupt (level: remember it in the TMR so
 * its EOI reaches the IOAPIC). Vectors below 16 are refused with ESR bit 6.
 * Returns true if accepted (false also when software disabled). */
bool vlapic_deliver(struct vlapic *lapic, uint8_t vector, bool level);

/* Does irq (its destination fields, not its shorthand) name this LAPIC?
 * See: SDM 3A 11.6.2.1 physical and 11.6.2.2 logical destination mode. */
bool vlapic_match_dest(const struct vlapic *lapic, const struct apic_irq *irq);

/* The highest requested vector whose priority class is above the PPR, or -1
 * when none may be injected now. See: SDM 3A 11.8.3 "Interrupt, Task, and
 * Processor Priority". */
int vlapic_pending_vector(struct vlapic *lapic);

/* The processor priority (PPR, 0-255): TPR if TPR's class is at least the
 * highest in-service class, else that class. See: SDM 3A 11.8.3.1 "Task
 * and Processor Priorities". */
uint32_t vlapic_ppr(const struct vlapic *lapic);

/* May the next EOI wait until the next VM exit (paravirtual EOI,
 * hv/dev/pv_eoi.h)? Only when it changes nothing that must happen at
 * once: no vector is requested (IRR empty; the EOI could unblock one), a
 * vector is in service, and that vector is edge-triggered (TMR clear; a
 * level-triggered EOI goes on to the IOAPIC). KVM applies the same rule. */
bool vlapic_eoi_deferrable(const struct vlapic *lapic);

/* The core injected `vector` (from vlapic_pending_vector()): move it from
 * the IRR to the ISR. See: SDM 3A 11.8.4 "Interrupt Acceptance". */
void vlapic_accept(struct vlapic *lapic, uint8_t vector);

/* Should a halted vCPU wake: an injectable vector, NMI, INIT or SIPI. */
bool vlapic_has_pending_wakeup(struct vlapic *lapic);

/* Does the 8259's INTR reach this CPU: the APIC is globally disabled (the
 * pin goes straight to the core) or LVT LINT0 is unmasked in ExtINT mode.
 * See: SDM 3A 11.5.1 and 10.1 "Local and I/O APIC Overview". */
bool vlapic_accepts_pic(const struct vlapic *lapic);

/* Poll and clear the NMI / INIT pending flags; the SIPI also yields its
 * vector (start address = vector << 12). Return true if one was pending. */
bool vlapic_take_nmi(struct vlapic *lapic);
/* Is an NMI pending (without taking it)? */
bool vlapic_nmi_pending(const struct vlapic *lapic);
bool vlapic_take_init(struct vlapic *lapic);
bool vlapic_take_sipi(struct vlapic *lapic, uint8_t *vector);

/* The APIC timer (hv/dev/vlapic_timer.c). See: SDM 3A 11.5.4 "APIC Timer".
 *
 * vlapic_next_deadline: if the timer is armed, store its next expiry (ns on
 * the timer_now_ns() clock) in *ns and return 0; else return -ENOENT.
 * vlapic_update_timer: fire a timer that expired by now_ns (ns) into the
 * IRR (unless its LVT is masked); periodic timers reload from their own
 * deadline, so periods do not drift with exit latency. */
int vlapic_next_deadline(struct vlapic *lapic, uint64_t *ns);
void vlapic_update_timer(struct vlapic *lapic, uint64_t now_ns);

/* Internal to hv/dev/vlapic*.c. */
uint32_t vlapic_x2apic_ldr(uint32_t x2apic_id);     /* SDM 3A 11.12.10.2 */
uint32_t vlapic_apr(const struct vlapic *lapic);    /* SDM 3A 11.6.2.4 */
void vlapic_error(struct vlapic *lapic, uint32_t esr_bit);
void vlapic_eoi(struct vlapic *lapic);
void vlapic_send_icr(struct vlapic *lapic, uint32_t icr_lo, uint32_t dest,
                     bool x2apic);

/* Timer register accesses, used by the register file (now_ns in ns). */
uint32_t vlapic_timer_read_tmcct(struct vlapic *lapic, uint64_t now_ns);
void vlapic_timer_write_tmict(struct vlapic *lapic, uint32_t val,
                              uint64_t now_ns);
void vlapic_timer_write_tdcr(struct vlapic *lapic, uint32_t val,
                             uint64_t now_ns);
void vlapic_timer_write_lvt(struct vlapic *lapic, uint32_t val,
                            uint64_t now_ns);
uint64_t vlapic_timer_read_deadline(struct vlapic *lapic);
void vlapic_timer_write_deadline(struct vlapic *lapic, uint64_t tsc,
                                 uint64_t now_ns);

#endif
