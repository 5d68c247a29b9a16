/* Unit tests of the interrupt injection point (hv/core/inject.c) on the
 * minimal VM of test/unit/fake_vm.h: when a vLAPIC or 8259 vector is
 * injected, when an interrupt window is requested instead, and the order
 * among an exception, an NMI and maskable interrupts.
 * SDM 3A 6.9 "Priority Among Simultaneous Exceptions and Interrupts",
 * 6.8.1 "Masking Maskable Hardware Interrupts", 6.8.3 "Masking Exceptions
 * and Interrupts When Switching Stacks" (the MOV SS/STI shadow), 11.8.4
 * "Interrupt Acceptance for Fixed Interrupts", 10.1 / 11.5.1 (LINT0 in
 * ExtINT mode passes the 8259's INTR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/x86/msr_index.h"
#include "hv/core/inject.h"
#include "hv/dev/pv_eoi.h"
#include "hv/dev/pvclock.h"
#include "hv/exit/cpuid.h"
#include "hv/exit/msr.h"
#include "lib/errno.h"
#include "hv/dev/vlapic.h"
#include "hv/dev/vpic.h"
#include "test/unit/fake_vm.h"

static struct vm *vm;
static struct vcpu *bsp, *ap;

static int setup(void **state)
{
    (void)state;
    vm = fake_vm_create(2, FAKE_VM_LAPIC | FAKE_VM_PIC);
    bsp = vm->vcpus[0];
    ap = vm->vcpus[1];
    ap->run_state = VCPU_RUNNABLE;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_vm_destroy(vm);
    return 0;
}

static uint32_t lapic_reg(struct vcpu *v, uint32_t off)
{
    uint64_t val;
    vlapic_mmio_read(v->lapic, off, 4, &val);
    return (uint32_t)val;
}

static void lapic_write(struct vcpu *v, uint32_t off, uint32_t val)
{
    vlapic_mmio_write(v->lapic, off, 4, val);
}

/* Is vector set in the 256-bit register at off (ISR, IRR, TMR)? */
static bool lapic_bit(struct vcpu *v, uint32_t off, uint8_t vector)
{
    return lapic_reg(v, off + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

static void assert_event(const struct vcpu *v, uint8_t type, uint8_t vector)
{
    assert_true(v->event.valid);
    assert_int_equal(v->event.type, type);
    assert_int_equal(v->event.vector, vector);
}

/* Nothing was injected; an interrupt window was asked for or not. */
static void assert_no_event(const struct vcpu *v, bool window)
{
    assert_false(v->event.valid);
    assert_int_equal(v->want_intr_window, window);
}

/* The 8259 as Linux programs it (master base 0x30), IRQ1 unmasked and
 * raised. */
static void pic_raise_irq1(void)
{
    static const uint8_t icw[] = { 0x30, 0x04, 0x01 };
    vpic_master_write(vm->pic, 0, 1, 0x11);           /* ICW1 */
    for (unsigned i = 0; i < 3; i++)
        vpic_master_write(vm->pic, 1, 1, icw[i]);    /* ICW2-4 */
    vpic_master_write(vm->pic, 1, 1, 0xfd);          /* OCW1: IRQ1 only */
    vpic_set_irq(vm->pic, 1, true);
    assert_int_equal(vpic_pending_vector(vm->pic), 0x31);
}

/* ---- maskable interrupts from the vLAPIC ------------------------------ */

/* IF=1, no shadow: the highest IRR vector is injected as an external
 * interrupt and moves from the IRR to the ISR (SDM 3A 11.8.4). */
static void test_lapic_vector_injected_when_if_set(void **state)
{
    (void)state;
    assert_true(vlapic_deliver(bsp->lapic, 0x41, false));
    assert_true(vlapic_deliver(bsp->lapic, 0x52, false));
    assert_true(inject_pending(bsp));
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x52);
    assert_false(bsp->want_intr_window);
    assert_true(lapic_bit(bsp, APIC_REG_ISR, 0x52));
    assert_false(lapic_bit(bsp, APIC_REG_IRR, 0x52));
    assert_true(lapic_bit(bsp, APIC_REG_IRR, 0x41));   /* still waiting */
}

/* IF=0: nothing is injected, the vector stays requested, and the vCPU
 * asks to exit as soon as it can take it. */
static void test_if_clear_requests_window(void **state)
{
    (void)state;
    bsp->state.rflags &= ~RFLAGS_IF;
    vlapic_deliver(bsp->lapic, 0x41, false);
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
    assert_true(lapic_bit(bsp, APIC_REG_IRR, 0x41));
    assert_false(lapic_bit(bsp, APIC_REG_ISR, 0x41));
    /* The window opens: the next entry injects it. */
    bsp->state.rflags |= RFLAGS_IF;
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x41);
    assert_false(bsp->want_intr_window);
}

/* The STI / MOV SS shadow blocks the interrupt for one instruction even
 * with IF=1 (SDM 3A 6.8.3; SDM 3C 24.4.2 "Interruptibility state"). */
static void test_interrupt_shadow_requests_window(void **state)
{
    (void)state;
    bsp->state.interrupt_shadow = true;
    vlapic_deliver(bsp->lapic, 0x41, false);
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
    assert_true(lapic_bit(bsp, APIC_REG_IRR, 0x41));
}

/* "sti; hlt" with the interrupt already waiting in the shadow: the HLT
 * halts and wakes at once and the interrupt returns past it (SDM 2A
 * "HLT"), so Keel retires the HLT and injects now. (QEMU TCG's VMRUN
 * drops the shadow: a window would open before the HLT and the guest
 * would sleep past its one-shot timer; hv/core/inject.c.) */
static void test_shadowed_hlt_is_retired_and_interrupt_taken(void **state)
{
    (void)state;
    uint8_t *code = fake_vm_add_ram(vm, 0x1000, 0x1000);
    code[0x10] = 0xf4;                     /* hlt */
    bsp->state.rip = 0x1010;
    bsp->state.interrupt_shadow = true;
    vlapic_deliver(bsp->lapic, 0x41, false);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x41);
    assert_int_equal(bsp->state.rip, 0x1011);
    assert_false(bsp->state.interrupt_shadow);
    assert_false(bsp->want_intr_window);
}

/* Any other instruction in the shadow runs first: the window is asked
 * for and RIP stays; so does a shadowed HLT with nothing waiting, or with
 * IF=0 (a MOV SS shadow: the HLT must really halt). */
static void test_shadowed_other_insn_waits_for_window(void **state)
{
    (void)state;
    uint8_t *code = fake_vm_add_ram(vm, 0x1000, 0x1000);
    code[0x10] = 0x90;                     /* nop */
    code[0x20] = 0xf4;                     /* hlt */
    bsp->state.rip = 0x1010;
    bsp->state.interrupt_shadow = true;
    vlapic_deliver(bsp->lapic, 0x41, false);
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
    assert_int_equal(bsp->state.rip, 0x1010);
    assert_true(bsp->state.interrupt_shadow);

    bsp->state.rip = 0x1020;
    bsp->state.rflags &= ~RFLAGS_IF;
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
    assert_int_equal(bsp->state.rip, 0x1020);

    bsp->state.rflags |= RFLAGS_IF;
    ap->state.rip = 0x1020;
    ap->state.interrupt_shadow = true;     /* nothing waits for the AP */
    inject_prepare_entry(ap);
    assert_no_event(ap, false);
    assert_int_equal(ap->state.rip, 0x1020);
}

/* Nothing pending: no event, no window, whatever IF says. */
static void test_nothing_pending_no_window(void **state)
{
    (void)state;
    bsp->state.rflags &= ~RFLAGS_IF;
    bsp->want_intr_window = true;          /* left from an earlier entry */
    inject_prepare_entry(bsp);
    assert_no_event(bsp, false);
    assert_false(inject_pending(bsp));
}

/* A vector the TPR masks (SDM 3A 11.8.3) is not pending for injection. */
static void test_tpr_masks_vector(void **state)
{
    (void)state;
    lapic_write(bsp, APIC_REG_TPR, 0x50);
    vlapic_deliver(bsp->lapic, 0x45, false);
    assert_false(inject_pending(bsp));
    inject_prepare_entry(bsp);
    assert_no_event(bsp, false);
}

/* ---- events already queued ---------------------------------------------- */

/* An exception queued by a handler is not overwritten by an interrupt; a
 * window is requested so the interrupt follows it. */
static void test_pending_exception_not_overwritten(void **state)
{
    (void)state;
    vcpu_inject_exception(bsp, VEC_PF, true, 2);
    vlapic_deliver(bsp->lapic, 0x41, false);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXCEPTION, VEC_PF);
    assert_int_equal(bsp->event.error_code, 2);
    assert_true(bsp->want_intr_window);
    assert_true(lapic_bit(bsp, APIC_REG_IRR, 0x41));
    assert_false(lapic_bit(bsp, APIC_REG_ISR, 0x41));
}

/* With nothing else pending the queued exception asks for no window. */
static void test_pending_exception_alone_no_window(void **state)
{
    (void)state;
    vcpu_inject_exception(bsp, VEC_UD, false, 0);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXCEPTION, VEC_UD);
    assert_false(bsp->want_intr_window);
}

/* ---- NMI ------------------------------------------------------------------ */

/* NMI has priority over maskable interrupts (SDM 3A 6.9) and is not
 * masked by IF (6.7.1); the maskable vector stays in the IRR. */
static void test_nmi_before_maskable_interrupts(void **state)
{
    (void)state;
    struct apic_irq nmi = { .delivery = APIC_DM_NMI, .assert = true,
                            .dest = 0, .shorthand = APIC_SH_NONE };
    vlapic_deliver(bsp->lapic, 0x41, false);
    assert_true(vlapic_deliver_irq(bsp->lapic, &nmi));
    bsp->state.rflags &= ~RFLAGS_IF;
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_NMI, VEC_NMI);
    assert_true(lapic_bit(bsp, APIC_REG_IRR, 0x41));
    /* Delivered: the NMI is consumed; next the maskable one waits for IF. */
    bsp->event.valid = false;
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
}

/* While an NMI is being handled (blocked until its IRET, SDM 3A 6.7.1) a
 * second one stays pending and the NMI window is asked for; once the
 * blocking ends it is injected. */
static void test_nmi_held_while_nmis_are_blocked(void **state)
{
    (void)state;
    struct apic_irq nmi = { .delivery = APIC_DM_NMI, .assert = true,
                            .dest = 0, .shorthand = APIC_SH_NONE };
    assert_true(vlapic_deliver_irq(bsp->lapic, &nmi));
    bsp->state.nmi_blocked = true;
    inject_prepare_entry(bsp);
    assert_no_event(bsp, false);
    assert_true(bsp->want_nmi_window);
    assert_true(vlapic_nmi_pending(bsp->lapic));
    /* A blocked NMI does not end HLT either. */
    assert_false(inject_pending(bsp));

    bsp->state.nmi_blocked = false;
    assert_true(inject_pending(bsp));
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_NMI, VEC_NMI);
    assert_false(bsp->want_nmi_window);
    assert_false(vlapic_nmi_pending(bsp->lapic));
}

/* The STI/MOV SS shadow holds an NMI for its one instruction too (SDM 3A
 * 6.8.3): the NMI window is asked for instead. */
static void test_nmi_waits_for_the_interrupt_shadow(void **state)
{
    (void)state;
    struct apic_irq nmi = { .delivery = APIC_DM_NMI, .assert = true,
                            .dest = 0, .shorthand = APIC_SH_NONE };
    assert_true(vlapic_deliver_irq(bsp->lapic, &nmi));
    bsp->state.interrupt_shadow = true;
    inject_prepare_entry(bsp);
    assert_false(bsp->event.valid);
    assert_true(bsp->want_nmi_window);
    bsp->state.interrupt_shadow = false;
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_NMI, VEC_NMI);
}

/* An exception queued first goes first; a pending NMI asks for its window
 * so it follows at once. */
static void test_nmi_window_after_a_queued_exception(void **state)
{
    (void)state;
    struct apic_irq nmi = { .delivery = APIC_DM_NMI, .assert = true,
                            .dest = 0, .shorthand = APIC_SH_NONE };
    assert_true(vlapic_deliver_irq(bsp->lapic, &nmi));
    vcpu_inject_gp(bsp);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXCEPTION, VEC_GP);
    assert_true(bsp->want_nmi_window);
}

/* ---- the 8259 through LINT0 ---------------------------------------------- */

/* LINT0 masked (its reset state): the 8259's INTR does not reach the
 * vCPU (SDM 3A 11.5.1). */
static void test_pic_blocked_by_masked_lint0(void **state)
{
    (void)state;
    pic_raise_irq1();
    assert_false(inject_pending(bsp));
    inject_prepare_entry(bsp);
    assert_no_event(bsp, false);
    assert_int_equal(vpic_pending_vector(vm->pic), 0x31);
}

/* LINT0 unmasked in ExtINT mode: the BSP takes the 8259's vector through
 * an INTA cycle (IRR -> ISR in the 8259, not in the vLAPIC). */
static void test_pic_reaches_bsp_through_extint_lint0(void **state)
{
    (void)state;
    pic_raise_irq1();
    lapic_write(bsp, APIC_LVT_LINT0, APIC_DM_EXTINT << APIC_LVT_DM_SHIFT);
    assert_true(inject_pending(bsp));
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x31);
    assert_int_equal(vpic_pending_vector(vm->pic), -1);   /* acknowledged */
    assert_false(lapic_bit(bsp, APIC_REG_ISR, 0x31));
}

/* With the APIC globally disabled the INTR pin goes straight to the core
 * (SDM 3A 11.4.3). */
static void test_pic_reaches_bsp_with_apic_disabled(void **state)
{
    (void)state;
    pic_raise_irq1();
    assert_int_equal(vlapic_wrmsr(bsp->lapic, MSR_IA32_APIC_BASE,
                                  APIC_DEFAULT_BASE | APIC_BASE_BSP), 0);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x31);
}

/* Only the BSP's LINT0 is wired to the 8259: an AP never gets its vector,
 * even with its own LINT0 in ExtINT mode. */
static void test_pic_never_reaches_an_ap(void **state)
{
    (void)state;
    pic_raise_irq1();
    lapic_write(ap, APIC_LVT_LINT0, APIC_DM_EXTINT << APIC_LVT_DM_SHIFT);
    assert_false(inject_pending(ap));
    inject_prepare_entry(ap);
    assert_no_event(ap, false);
    assert_int_equal(vpic_pending_vector(vm->pic), 0x31);
}

/* A vLAPIC vector goes before the 8259's; the 8259 keeps its request. */
static void test_lapic_vector_before_pic(void **state)
{
    (void)state;
    pic_raise_irq1();
    lapic_write(bsp, APIC_LVT_LINT0, APIC_DM_EXTINT << APIC_LVT_DM_SHIFT);
    vlapic_deliver(bsp->lapic, 0x22, false);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x22);
    assert_int_equal(vpic_pending_vector(vm->pic), 0x31);
}

/* An 8259 vector with IF=0 waits (no INTA yet) and asks for a window. */
static void test_pic_with_if_clear_requests_window(void **state)
{
    (void)state;
    pic_raise_irq1();
    lapic_write(bsp, APIC_LVT_LINT0, APIC_DM_EXTINT << APIC_LVT_DM_SHIFT);
    bsp->state.rflags &= ~RFLAGS_IF;
    inject_prepare_entry(bsp);
    assert_no_event(bsp, true);
    assert_int_equal(vpic_pending_vector(vm->pic), 0x31);
}


/* ---- Paravirtual EOI (hv/dev/pv_eoi.h; Linux msr.rst MSR_KVM_PV_EOI_EN) --
 * The guest's word at PV_EOI_GPA in 64 KiB of fake RAM. */

#define PV_EOI_GPA 0x2000

static uint32_t *pv_word;

static int pv_setup(void **state)
{
    setup(state);
    uint8_t *ram = fake_vm_add_ram(vm, 0, 0x10000);
    pv_word = (uint32_t *)(ram + PV_EOI_GPA);
    assert_int_equal(msr_write(bsp, MSR_KVM_PV_EOI_EN,
                               PV_EOI_GPA | PV_EOI_MSR_ENABLED), 0);
    return 0;
}

/* An edge-triggered vector injected with nothing else requested: Keel
 * sets the bit; the guest's EOI is clearing it, and the next exit ends
 * the vector in the vLAPIC as an EOI register write would have. */
static void test_pv_eoi_guest_clears_bit_ends_vector(void **state)
{
    (void)state;
    uint64_t val;
    assert_int_equal(msr_read(bsp, MSR_KVM_PV_EOI_EN, &val), 0);
    assert_int_equal(val, PV_EOI_GPA | PV_EOI_MSR_ENABLED);
    vlapic_deliver(bsp->lapic, 0xec, false);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0xec);
    assert_int_equal(*pv_word, PV_EOI_PENDING);
    *pv_word = 0;                       /* the guest's handler: its EOI */
    bsp->event.valid = false;           /* delivered */
    inject_after_exit(bsp);
    assert_false(lapic_bit(bsp, APIC_REG_ISR, 0xec));
    assert_int_equal(*pv_word, 0);
    assert_int_equal(bsp->pv_eoi.done, 1);
}

/* The guest did not EOI before the exit: Keel takes the offer back (the
 * bit is clear, the vector still in service) and offers it again at the
 * next entry while it is still safe. */
static void test_pv_eoi_not_done_stays_in_service(void **state)
{
    (void)state;
    vlapic_deliver(bsp->lapic, 0xec, false);
    inject_prepare_entry(bsp);
    bsp->event.valid = false;
    inject_after_exit(bsp);
    assert_true(lapic_bit(bsp, APIC_REG_ISR, 0xec));
    assert_int_equal(*pv_word, 0);
    inject_prepare_entry(bsp);
    assert_int_equal(*pv_word, PV_EOI_PENDING);
    /* A guest EOI register write instead (the bit was clear to it): the
     * exit takes the offer back first, then the register ends the vector. */
    inject_after_exit(bsp);
    assert_true(lapic_bit(bsp, APIC_REG_ISR, 0xec));
    lapic_write(bsp, APIC_REG_EOI, 0);
    assert_false(lapic_bit(bsp, APIC_REG_ISR, 0xec));
}

/* Not offered when the EOI must be seen at once: another vector is
 * requested (the EOI may unblock it), the vector is level-triggered (its
 * EOI goes on to the IOAPIC), or nothing is in service. */
static void test_pv_eoi_not_offered_when_unsafe(void **state)
{
    (void)state;
    inject_prepare_entry(bsp);                          /* nothing */
    assert_int_equal(*pv_word, 0);
    vlapic_deliver(bsp->lapic, 0xec, false);
    vlapic_deliver(bsp->lapic, 0x41, false);            /* lower, waits */
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0xec);
    assert_int_equal(*pv_word, 0);
    bsp->event.valid = false;
    lapic_write(bsp, APIC_REG_EOI, 0);
    inject_prepare_entry(bsp);                          /* 0x41 now */
    assert_event(bsp, EVENT_EXT_INT, 0x41);
    assert_int_equal(*pv_word, PV_EOI_PENDING);
    inject_after_exit(bsp);
    bsp->event.valid = false;
    lapic_write(bsp, APIC_REG_EOI, 0);
    vlapic_deliver(bsp->lapic, 0x61, true);             /* level */
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0x61);
    assert_int_equal(*pv_word, 0);
}

/* The MSR: reserved bit 1 and a word outside RAM #GP; 0 disables (the
 * EOI register again, no bit set). */
static void test_pv_eoi_msr_checks_and_disable(void **state)
{
    (void)state;
    assert_int_equal(msr_write(bsp, MSR_KVM_PV_EOI_EN,
                               PV_EOI_GPA | PV_EOI_MSR_ENABLED |
                               PV_EOI_MSR_RESERVED), -EINVAL);
    assert_int_equal(msr_write(bsp, MSR_KVM_PV_EOI_EN,
                               0x40000000 | PV_EOI_MSR_ENABLED), -EINVAL);
    assert_int_equal(msr_write(bsp, MSR_KVM_PV_EOI_EN, 0), 0);
    vlapic_deliver(bsp->lapic, 0xec, false);
    inject_prepare_entry(bsp);
    assert_event(bsp, EVENT_EXT_INT, 0xec);
    assert_int_equal(*pv_word, 0);
    uint32_t out[4];
    cpuid_guest(bsp, CPUID_KVM_FEATURES, 0, out);
    assert_true(out[0] & KVM_FEATURE_PV_EOI);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lapic_vector_injected_when_if_set),
        T(test_if_clear_requests_window),
        T(test_interrupt_shadow_requests_window),
        T(test_shadowed_hlt_is_retired_and_interrupt_taken),
        T(test_shadowed_other_insn_waits_for_window),
        T(test_nothing_pending_no_window),
        T(test_tpr_masks_vector),
        T(test_pending_exception_not_overwritten),
        T(test_pending_exception_alone_no_window),
        T(test_nmi_before_maskable_interrupts),
        T(test_nmi_held_while_nmis_are_blocked),
        T(test_nmi_window_after_a_queued_exception),
        T(test_nmi_waits_for_the_interrupt_shadow),
        T(test_pic_blocked_by_masked_lint0),
        T(test_pic_reaches_bsp_through_extint_lint0),
        T(test_pic_reaches_bsp_with_apic_disabled),
        T(test_pic_never_reaches_an_ap),
        T(test_lapic_vector_before_pic),
        T(test_pic_with_if_clear_requests_window),
#define TP(f) cmocka_unit_test_setup_teardown(f, pv_setup, teardown)
        TP(test_pv_eoi_guest_clears_bit_ends_vector),
        TP(test_pv_eoi_not_done_stays_in_service),
        TP(test_pv_eoi_not_offered_when_unsafe),
        TP(test_pv_eoi_msr_checks_and_disable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
