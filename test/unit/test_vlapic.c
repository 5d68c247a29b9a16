/* Unit tests of the virtual LAPIC (hv/dev/vlapic*.c) and the router
 * (hv/dev/apic_route.c), after kvm-unit-tests x86/apic.c: timer modes at the
 * right simulated time, priorities, EOI, IPIs and the x2APIC MSR rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/dev/apic_route.h"
#include "hv/dev/vlapic.h"
#include "lib/errno.h"
#include "test/unit/host_stubs.h"

#define NCPU 3

/* A tiny VM: NCPU LAPICs routed through apic_route(). */
static struct vlapic *cpus[NCPU];
static unsigned eoi_count;
static uint8_t eoi_vector;
static unsigned kicks;

static void t_send_ipi(void *ctx UNUSED, unsigned src, const struct apic_irq *irq)
{
    apic_route(cpus, NCPU, irq, (int)src);
}
static void t_eoi_level(void *ctx UNUSED, uint8_t vector)
{
    eoi_count++;
    eoi_vector = vector;
}
static void t_kick(void *ctx UNUSED) { kicks++; }

static const struct vlapic_host_ops ops = {
    .send_ipi = t_send_ipi, .eoi_level = t_eoi_level, .kick = t_kick,
};

/* xAPIC MMIO accesses. Their return value is always 0 (an xAPIC access
 * never faults; SDM 3A 11.5.3: a bad register sets ESR bit 7), so the
 * tests check what the registers read back instead. */
static uint32_t rd(struct vlapic *l, uint32_t off)
{
    uint64_t v = 0xdead;
    vlapic_mmio_read(l, off, 4, &v);
    return (uint32_t)v;
}
static void wr(struct vlapic *l, uint32_t off, uint32_t v)
{
    vlapic_mmio_write(l, off, 4, v);
}

/* MSRs that always read successfully (IA32_APIC_BASE, IA32_TSC_DEADLINE):
 * their value. */
static uint64_t rdmsr_value(struct vlapic *l, uint32_t msr)
{
    uint64_t v = 0xdead;
    vlapic_rdmsr(l, msr, &v);
    return v;
}

static int setup(void **state UNUSED)
{
    stub_now_ns = 1000000;
    stub_tsc_hz = 1000000000ULL;
    eoi_count = 0;
    kicks = 0;
    for (unsigned i = 0; i < NCPU; i++) {
        cpus[i] = vlapic_create(i, &ops, NULL);
        assert_non_null(cpus[i]);
        wr(cpus[i], APIC_REG_SVR, APIC_SVR_ENABLE | 0xFF);
    }
    return 0;
}
static int teardown(void **state UNUSED)
{
    for (unsigned i = 0; i < NCPU; i++)
        free(cpus[i]);
    return 0;
}

/* Deliver, inject and return the vector the core would inject, or -1. */
static int inject(struct vlapic *l)
{
    int v = vlapic_pending_vector(l);
    if (v >= 0)
        vlapic_accept(l, (uint8_t)v);
    return v;
}

/* Inject and immediately end the interrupt, for tests about routing. */
static int take(struct vlapic *l)
{
    int v = inject(l);
    if (v >= 0)
        wr(l, APIC_REG_EOI, 0);
    return v;
}

static void test_reset_state(void **state UNUSED)
{
    struct vlapic *l = vlapic_create(0, &ops, NULL);
    assert_int_equal(rd(l, APIC_REG_VERSION), 0x50014);
    assert_int_equal(rd(l, APIC_REG_ID), 0);
    assert_int_equal(rd(l, APIC_REG_SVR), 0xFF);
    assert_int_equal(rd(l, APIC_REG_DFR), 0xFFFFFFFF);
    for (uint32_t off = APIC_LVT_TIMER; off <= APIC_LVT_ERROR; off += 0x10)
        assert_int_equal(rd(l, off), APIC_LVT_MASKED);
    assert_int_equal(rdmsr_value(l, MSR_IA32_APIC_BASE),
                     APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_BSP);
    assert_int_equal(rdmsr_value(cpus[1], MSR_IA32_APIC_BASE),
                     APIC_DEFAULT_BASE | APIC_BASE_EN);     /* not the BSP */
    assert_int_equal(rd(cpus[2], APIC_REG_ID), 2u << 24);
    assert_int_equal(vlapic_pending_vector(l), -1);
    free(l);
}

/* SDM 3A 11.4.3: globally disabled, the page no longer decodes: every
 * read (any size, any offset) floats to all-ones and writes are dropped
 * (old code: read 0 and logged "bad MMIO access size 1"). */
static void test_disabled_page_floats(void **state UNUSED)
{
    struct vlapic *l = vlapic_create(0, &ops, NULL);
    uint64_t v = 0;
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE,
                                  APIC_DEFAULT_BASE | APIC_BASE_BSP), 0);
    assert_int_equal(vlapic_mmio_read(l, APIC_REG_VERSION, 4, &v), 0);
    assert_int_equal(v, 0xFFFFFFFF);
    assert_int_equal(vlapic_mmio_read(l, APIC_REG_ID, 1, &v), 0);
    assert_int_equal(v, 0xFF);
    assert_int_equal(vlapic_mmio_write(l, APIC_REG_TPR, 4, 0x20), 0);
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE |
                                  APIC_BASE_BSP | APIC_BASE_EN), 0);
    assert_int_equal(rd(l, APIC_REG_TPR), 0);           /* write was dropped */
    assert_int_equal(rd(l, APIC_REG_VERSION), 0x50014);
    free(l);
}

static void test_timer_oneshot(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    uint64_t dl;
    uint64_t t0 = stub_now_ns;
    wr(l, APIC_REG_TDCR, 0xB);                     /* divide by 1 */
    wr(l, APIC_LVT_TIMER, 0x40);                   /* one-shot, unmasked */
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
    wr(l, APIC_REG_TMICT, 1000);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 1000);
    assert_int_equal(rd(l, APIC_REG_TMCCT), 1000);
    stub_now_ns = t0 + 400;
    assert_int_equal(rd(l, APIC_REG_TMCCT), 600);
    stub_now_ns = t0 + 999;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(vlapic_pending_vector(l), -1);
    stub_now_ns = t0 + 1000;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(inject(l), 0x40);
    assert_int_equal(rd(l, APIC_REG_TMCCT), 0);
    assert_int_equal(rd(l, APIC_REG_TMICT), 1000);
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
    wr(l, APIC_REG_EOI, 0);
    stub_now_ns = t0 + 5000;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(vlapic_pending_vector(l), -1);   /* fired only once */
}

static void test_timer_periodic_no_drift(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    uint64_t dl, t0 = stub_now_ns;
    wr(l, APIC_REG_TDCR, 0x0);                     /* divide by 2 */
    wr(l, APIC_LVT_TIMER, 0x41 | (APIC_TIMER_PERIODIC << 17));
    wr(l, APIC_REG_TMICT, 100000);                 /* 200 us period */
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 200000);
    for (int i = 1; i <= 3; i++) {
        stub_now_ns = t0 + 200000ULL * i + 7;      /* a little late */
        vlapic_update_timer(l, stub_now_ns);
        assert_int_equal(inject(l), 0x41);
        wr(l, APIC_REG_EOI, 0);
        assert_int_equal(vlapic_next_deadline(l, &dl), 0);
        assert_int_equal(dl, t0 + 200000ULL * (i + 1));  /* no drift */
    }
    /* Counting down inside a period: 50 us into period 4 -> 75000 left. */
    stub_now_ns = t0 + 600000 + 50000;
    assert_int_equal(rd(l, APIC_REG_TMCCT), 75000);
    /* Three periods missed coalesce into one interrupt. */
    stub_now_ns = t0 + 1450000;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(inject(l), 0x41);
    assert_int_equal(vlapic_pending_vector(l), -1);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 1600000);
    /* Writing 0 to the initial count stops it. */
    wr(l, APIC_REG_TMICT, 0);
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
}

static void test_timer_masked(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    uint64_t dl, t0 = stub_now_ns;
    wr(l, APIC_REG_TDCR, 0xB);
    wr(l, APIC_LVT_TIMER, APIC_LVT_MASKED | 0x42);
    wr(l, APIC_REG_TMICT, 500);
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
    stub_now_ns = t0 + 200;
    assert_int_equal(rd(l, APIC_REG_TMCCT), 300);  /* still counts */
    stub_now_ns = t0 + 600;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(vlapic_pending_vector(l), -1);
    /* Unmasking after the expiry raises nothing stale. */
    wr(l, APIC_LVT_TIMER, 0x42);
    vlapic_update_timer(l, stub_now_ns + 1000);
    assert_int_equal(vlapic_pending_vector(l), -1);
}

static void test_timer_divide(void **state UNUSED)
{
    static const struct { uint32_t tdcr; uint64_t div; } t[] = {
        {0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64},
        {0xA, 128}, {0xB, 1},
    };
    struct vlapic *l = cpus[1];
    wr(l, APIC_LVT_TIMER, 0x43);
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint64_t dl, t0 = stub_now_ns;
        wr(l, APIC_REG_TDCR, t[i].tdcr);
        assert_int_equal(rd(l, APIC_REG_TDCR), t[i].tdcr);
        wr(l, APIC_REG_TMICT, 1000);
        assert_int_equal(vlapic_next_deadline(l, &dl), 0);
        assert_int_equal(dl - t0, 1000 * t[i].div * VLAPIC_NS_PER_TICK);
        stub_now_ns = t0 + 10 * t[i].div;
        assert_int_equal(rd(l, APIC_REG_TMCCT), 990);
        stub_now_ns = dl;
        vlapic_update_timer(l, dl);
        assert_int_equal(inject(l), 0x43);
        wr(l, APIC_REG_EOI, 0);
    }
    /* Changing the divider mid-count keeps the remaining count. */
    uint64_t dl, t0 = stub_now_ns;
    wr(l, APIC_REG_TDCR, 0xB);
    wr(l, APIC_REG_TMICT, 1000);
    stub_now_ns = t0 + 400;
    wr(l, APIC_REG_TDCR, 0x0);                     /* now divide by 2 */
    assert_int_equal(rd(l, APIC_REG_TMCCT), 600);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 400 + 1200);
}

static void test_timer_tsc_deadline(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    uint64_t dl, t0 = stub_now_ns;      /* stub TSC = ns at 1 GHz */
    /* Not in TSC-deadline mode: the MSR reads 0 and ignores writes
     * (SDM 3A 11.5.4.1), arming nothing. */
    wr(l, APIC_LVT_TIMER, 0x44);                   /* one-shot mode */
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, t0 + 10);
    assert_int_equal(rdmsr_value(l, MSR_IA32_TSC_DEADLINE), 0);
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
    stub_now_ns = t0 + 20;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(vlapic_pending_vector(l), -1);
    stub_now_ns = t0;
    wr(l, APIC_LVT_TIMER, 0x44 | (APIC_TIMER_TSC_DEADLINE << 17));
    wr(l, APIC_REG_TMICT, 12345);                  /* ignored */
    assert_int_equal(rd(l, APIC_REG_TMICT), 0);
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, t0 + 5000);
    assert_int_equal(rdmsr_value(l, MSR_IA32_TSC_DEADLINE), t0 + 5000);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 5000);
    assert_int_equal(rd(l, APIC_REG_TMCCT), 0);
    stub_now_ns = t0 + 4999;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(vlapic_pending_vector(l), -1);
    stub_now_ns = t0 + 5000;
    vlapic_update_timer(l, stub_now_ns);
    assert_int_equal(inject(l), 0x44);
    assert_int_equal(rdmsr_value(l, MSR_IA32_TSC_DEADLINE), 0); /* fired */
    wr(l, APIC_REG_EOI, 0);
    /* A deadline in the past fires at once; 0 disarms. */
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, 1);
    assert_int_equal(inject(l), 0x44);
    wr(l, APIC_REG_EOI, 0);
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, stub_now_ns + 100);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, 0);
    assert_int_equal(vlapic_next_deadline(l, &dl), -ENOENT);
    assert_int_equal(rdmsr_value(l, MSR_IA32_TSC_DEADLINE), 0);
    /* A 2 GHz TSC: 5000 ticks are 2500 ns. */
    stub_tsc_hz = 2000000000ULL;
    t0 = stub_now_ns;
    vlapic_wrmsr(l, MSR_IA32_TSC_DEADLINE, 2 * t0 + 5000);
    assert_int_equal(vlapic_next_deadline(l, &dl), 0);
    assert_int_equal(dl, t0 + 2500);
}

static void test_priority_tpr_ppr(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    wr(l, APIC_REG_TPR, 0x40);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x40);
    vlapic_deliver(l, 0x35, false);
    vlapic_deliver(l, 0x45, false);
    assert_int_equal(vlapic_pending_vector(l), -1);   /* class 4 <= TPR */
    assert_false(vlapic_has_pending_wakeup(l));
    vlapic_deliver(l, 0x55, false);
    assert_true(vlapic_has_pending_wakeup(l));
    assert_int_equal(inject(l), 0x55);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x50);       /* ISR class wins */
    assert_int_equal(rd(l, APIC_REG_ISR + 0x20), 1u << (0x55 - 64));
    vlapic_deliver(l, 0x5A, false);
    assert_int_equal(vlapic_pending_vector(l), -1);   /* same class */
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x40);
    assert_int_equal(inject(l), 0x5A);
    wr(l, APIC_REG_EOI, 0);
    wr(l, APIC_REG_TPR, 0);
    assert_int_equal(inject(l), 0x45);
    assert_int_equal(rd(l, APIC_REG_IRR + 0x10), 1u << (0x35 - 32));
}

static void test_eoi_highest_isr(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    vlapic_deliver(l, 0x30, false);
    assert_int_equal(inject(l), 0x30);
    vlapic_deliver(l, 0x80, false);
    assert_int_equal(inject(l), 0x80);             /* nests above 0x30 */
    assert_int_equal(rd(l, APIC_REG_ISR + 0x40), 1);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(rd(l, APIC_REG_ISR + 0x40), 0);
    assert_int_equal(rd(l, APIC_REG_ISR + 0x10), 1u << 16);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(rd(l, APIC_REG_ISR + 0x10), 0);
    assert_int_equal(eoi_count, 0);                /* all edge */
    /* Level-triggered: TMR set, EOI goes back to the IOAPIC. */
    vlapic_deliver(l, 0x61, true);
    assert_int_equal(rd(l, APIC_REG_TMR + 0x30), 1u << 1);
    assert_int_equal(inject(l), 0x61);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(eoi_count, 1);
    assert_int_equal(eoi_vector, 0x61);
    wr(l, APIC_REG_EOI, 0);                        /* nothing in service */
    assert_int_equal(eoi_count, 1);
}

static void test_self_ipi(void **state UNUSED)
{
    struct vlapic *l = cpus[1];
    wr(l, APIC_REG_ICR_LO, (APIC_SH_SELF << 18) | 0x70);
    assert_int_equal(inject(l), 0x70);
    assert_int_equal(vlapic_pending_vector(cpus[0]), -1);
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE,
                                  APIC_DEFAULT_BASE | APIC_BASE_EN |
                                  APIC_BASE_EXTD), 0);
    assert_int_equal(vlapic_wrmsr(l, 0x83F, 0x71), 0);
    assert_int_equal(vlapic_pending_vector(l), -1);   /* below ISR 0x70 */
    assert_int_equal(vlapic_wrmsr(l, 0x80B, 0), 0);   /* EOI */
    assert_int_equal(inject(l), 0x71);
    assert_int_equal(vlapic_wrmsr(l, 0x83F, 0x100), -EINVAL);
}

static void test_ipi_between_cpus(void **state UNUSED)
{
    /* Physical fixed to CPU 2. */
    wr(cpus[0], APIC_REG_ICR_HI, 2u << 24);
    wr(cpus[0], APIC_REG_ICR_LO, 0x50);
    assert_int_equal(take(cpus[2]), 0x50);
    assert_int_equal(vlapic_pending_vector(cpus[1]), -1);
    assert_int_equal(rd(cpus[0], APIC_REG_ICR_LO) & APIC_ICR_PENDING, 0);
    /* Logical flat: CPU n has bit n. */
    for (unsigned i = 0; i < NCPU; i++)
        wr(cpus[i], APIC_REG_LDR, (1u << i) << 24);
    wr(cpus[0], APIC_REG_ICR_HI, 0x06u << 24);     /* CPUs 1 and 2 */
    wr(cpus[0], APIC_REG_ICR_LO, APIC_ICR_LOGICAL | 0x51);
    assert_int_equal(take(cpus[1]), 0x51);
    assert_int_equal(take(cpus[2]), 0x51);
    assert_int_equal(vlapic_pending_vector(cpus[0]), -1);
    /* All excluding self. */
    wr(cpus[1], APIC_REG_ICR_LO, (APIC_SH_ALL_EXCL << 18) | 0x52);
    assert_int_equal(take(cpus[0]), 0x52);
    assert_int_equal(take(cpus[2]), 0x52);
    assert_int_equal(vlapic_pending_vector(cpus[1]), -1);
    /* All including self. */
    wr(cpus[1], APIC_REG_ICR_LO, (APIC_SH_ALL_INCL << 18) | 0x60);
    for (unsigned i = 0; i < NCPU; i++)
        assert_int_equal(take(cpus[i]), 0x60);
    /* Lowest priority goes to the CPU with the lowest TPR. */
    wr(cpus[0], APIC_REG_TPR, 0x20);
    wr(cpus[1], APIC_REG_TPR, 0x10);
    wr(cpus[2], APIC_REG_TPR, 0x30);
    wr(cpus[0], APIC_REG_ICR_HI, 0xFFu << 24);     /* broadcast */
    wr(cpus[0], APIC_REG_ICR_LO, (APIC_DM_LOWEST << 8) | 0x90);
    assert_int_equal(take(cpus[1]), 0x90);
    assert_int_equal(vlapic_pending_vector(cpus[0]), -1);
    assert_int_equal(vlapic_pending_vector(cpus[2]), -1);
    /* Cluster model: cluster 1, member bit 0 -> 0x11. */
    for (unsigned i = 0; i < NCPU; i++) {
        wr(cpus[i], APIC_REG_DFR, APIC_DFR_CLUSTER);
        wr(cpus[i], APIC_REG_LDR, (0x10u | (1u << i)) << 24);
    }
    assert_int_equal(rd(cpus[0], APIC_REG_DFR), APIC_DFR_CLUSTER);
    wr(cpus[0], APIC_REG_ICR_HI, 0x14u << 24);     /* CPU 2 */
    wr(cpus[0], APIC_REG_ICR_LO, APIC_ICR_LOGICAL | 0xA0);
    assert_int_equal(take(cpus[2]), 0xA0);
    assert_int_equal(vlapic_pending_vector(cpus[1]), -1);
}

static void test_init_sipi_nmi(void **state UNUSED)
{
    uint8_t vec = 0;
    kicks = 0;
    wr(cpus[2], APIC_REG_TPR, 0x30);
    wr(cpus[0], APIC_REG_ICR_HI, 2u << 24);
    wr(cpus[0], APIC_REG_ICR_LO, (APIC_DM_INIT << 8) | APIC_ICR_ASSERT |
                                 APIC_ICR_LEVEL);
    assert_int_equal(kicks, 1);                    /* the target woke */
    /* INIT de-assert does nothing. */
    wr(cpus[0], APIC_REG_ICR_LO, (APIC_DM_INIT << 8) | APIC_ICR_LEVEL);
    assert_int_equal(kicks, 1);
    assert_true(vlapic_has_pending_wakeup(cpus[2]));
    assert_true(vlapic_take_init(cpus[2]));
    assert_false(vlapic_take_init(cpus[2]));
    assert_int_equal(rd(cpus[2], APIC_REG_TPR), 0);   /* INIT reset */
    assert_int_equal(rd(cpus[2], APIC_REG_ID), 2u << 24);
    wr(cpus[0], APIC_REG_ICR_LO, (APIC_DM_STARTUP << 8) | APIC_ICR_ASSERT |
                                 0x9A);
    assert_int_equal(kicks, 2);
    assert_true(vlapic_take_sipi(cpus[2], &vec));
    assert_int_equal(vec, 0x9A);
    assert_false(vlapic_take_sipi(cpus[2], &vec));
    wr(cpus[0], APIC_REG_ICR_LO, (APIC_DM_NMI << 8) | APIC_ICR_ASSERT);
    assert_int_equal(kicks, 3);
    assert_true(vlapic_take_nmi(cpus[2]));
    assert_false(vlapic_take_nmi(cpus[2]));
    assert_false(vlapic_take_nmi(cpus[1]));
}

static void test_x2apic_msr_rules(void **state UNUSED)
{
    struct vlapic *l = cpus[1];
    uint64_t v;
    const uint64_t xapic = APIC_DEFAULT_BASE | APIC_BASE_EN;
    const uint64_t x2 = xapic | APIC_BASE_EXTD;
    /* x2APIC MSRs #GP in xAPIC mode. */
    assert_int_equal(vlapic_rdmsr(l, 0x802, &v), -EINVAL);
    assert_int_equal(vlapic_rdmsr(l, 0x10, &v), -ENOENT);
    /* Invalid transitions. */
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE,
                                  APIC_DEFAULT_BASE | APIC_BASE_EXTD), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, xapic | BIT(9)),
                     -EINVAL);                     /* reserved bit */
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, x2), 0);
    assert_true(vlapic_x2apic_mode(l));
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, xapic), -EINVAL);
    /* ID, LDR derived; version. */
    assert_int_equal(vlapic_rdmsr(l, 0x802, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(vlapic_rdmsr(l, 0x80D, &v), 0);
    assert_int_equal(v, 1u << 1);
    assert_int_equal(vlapic_rdmsr(l, 0x803, &v), 0);
    assert_int_equal(v, APIC_VERSION_VALUE);
    /* Writes to read-only registers. */
    assert_int_equal(vlapic_wrmsr(l, 0x802, 5), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, 0x803, 0), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, 0x80D, 0), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, 0x80A, 0), -EINVAL);     /* PPR */
    assert_int_equal(vlapic_wrmsr(l, 0x820, 0), -EINVAL);     /* IRR */
    assert_int_equal(vlapic_wrmsr(l, 0x839, 0), -EINVAL);     /* TMCCT */
    /* Reads of write-only registers. */
    assert_int_equal(vlapic_rdmsr(l, 0x80B, &v), -EINVAL);    /* EOI */
    assert_int_equal(vlapic_rdmsr(l, 0x83F, &v), -EINVAL);    /* SELF IPI */
    /* Registers absent in x2APIC mode. */
    assert_int_equal(vlapic_rdmsr(l, 0x809, &v), -EINVAL);    /* APR */
    assert_int_equal(vlapic_rdmsr(l, 0x80E, &v), -EINVAL);    /* DFR */
    assert_int_equal(vlapic_rdmsr(l, 0x831, &v), -EINVAL);    /* ICR hi */
    assert_int_equal(vlapic_wrmsr(l, 0x831, 0), -EINVAL);
    assert_int_equal(vlapic_rdmsr(l, 0x82F, &v), -EINVAL);    /* CMCI */
    /* Reserved bits. */
    assert_int_equal(vlapic_wrmsr(l, 0x808, 0x100), -EINVAL); /* TPR */
    assert_int_equal(vlapic_wrmsr(l, 0x808, 1ULL << 32), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, 0x80B, 1), -EINVAL);     /* EOI != 0 */
    assert_int_equal(vlapic_wrmsr(l, 0x828, 1), -EINVAL);     /* ESR != 0 */
    assert_int_equal(vlapic_wrmsr(l, 0x83E, 0x10), -EINVAL);  /* TDCR */
    assert_int_equal(vlapic_wrmsr(l, 0x830, BIT(13)), -EINVAL);
    /* A valid TPR round trip. */
    assert_int_equal(vlapic_wrmsr(l, 0x808, 0x20), 0);
    assert_int_equal(vlapic_rdmsr(l, 0x808, &v), 0);
    assert_int_equal(v, 0x20);
    /* 64-bit ICR to x2APIC ID 2, and the MMIO page is dead. */
    assert_int_equal(vlapic_wrmsr(l, 0x830, (2ULL << 32) | 0x77), 0);
    assert_int_equal(inject(cpus[2]), 0x77);
    assert_int_equal(vlapic_rdmsr(l, 0x830, &v), 0);
    assert_int_equal(v, (2ULL << 32) | 0x77);
    assert_int_equal(rd(l, APIC_REG_TPR), 0);
    /* x2APIC -> disabled is fine; disabled -> x2APIC is not. */
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE), 0);
    assert_false(vlapic_hw_enabled(l));
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, x2), -EINVAL);
    assert_int_equal(vlapic_wrmsr(l, MSR_IA32_APIC_BASE, xapic), 0);
    assert_int_equal(rdmsr_value(l, MSR_IA32_APIC_BASE), xapic); /* not BSP */
    assert_int_equal(rd(l, APIC_REG_SVR), 0xFF);   /* reset on disable */
}

static void test_esr_and_svr(void **state UNUSED)
{
    struct vlapic *l = cpus[0];
    /* ESR: errors show only after a write. */
    wr(l, APIC_REG_ICR_LO, (APIC_SH_SELF << 18) | 0x05);   /* illegal */
    assert_int_equal(rd(l, APIC_REG_ESR), 0);
    wr(l, APIC_REG_ESR, 0);
    assert_int_equal(rd(l, APIC_REG_ESR), APIC_ESR_SEND_ILLEGAL_VECTOR);
    wr(l, APIC_REG_ESR, 0);
    assert_int_equal(rd(l, APIC_REG_ESR), 0);
    rd(l, 0x2F0);                                  /* absent: illegal reg */
    wr(l, APIC_REG_ESR, 0);
    assert_int_equal(rd(l, APIC_REG_ESR), APIC_ESR_ILLEGAL_REGISTER);
    /* Unmasked LVT error raises its vector. */
    wr(l, APIC_LVT_ERROR, 0xFE);
    assert_false(vlapic_deliver(l, 3, false));
    assert_int_equal(inject(l), 0xFE);
    /* Software disable masks the LVTs and keeps them masked. */
    wr(l, APIC_LVT_LINT0, APIC_DM_EXTINT << 8);
    assert_true(vlapic_accepts_pic(l));
    wr(l, APIC_REG_SVR, 0xFF);
    assert_int_equal(rd(l, APIC_LVT_LINT0), APIC_LVT_MASKED | (7u << 8));
    assert_false(vlapic_accepts_pic(l));
    wr(l, APIC_LVT_TIMER, 0x40);
    assert_int_equal(rd(l, APIC_LVT_TIMER), APIC_LVT_MASKED | 0x40);
    assert_false(vlapic_deliver(l, 0x40, false));
    wr(l, APIC_REG_SVR, APIC_SVR_ENABLE | 0xFF);
    assert_int_equal(rd(l, APIC_LVT_TIMER), APIC_LVT_MASKED | 0x40);
    wr(l, APIC_LVT_TIMER, 0x40);
    assert_int_equal(rd(l, APIC_LVT_TIMER), 0x40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_reset_state),
        T(test_disabled_page_floats),
        T(test_timer_oneshot),
        T(test_timer_periodic_no_drift),
        T(test_timer_masked),
        T(test_timer_divide),
        T(test_timer_tsc_deadline),
        T(test_priority_tpr_ppr),
        T(test_eoi_highest_isr),
        T(test_self_ipi),
        T(test_ipi_between_cpus),
        T(test_init_sipi_nmi),
        T(test_x2apic_msr_rules),
        T(test_esr_and_svr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
