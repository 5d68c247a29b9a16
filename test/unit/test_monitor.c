/* Unit tests of the serial monitor (hv/debug/monitor.c, monitor_xlate.c):
 * each command run on two minimal VMs (test/unit/fake_vm.h) with its
 * printed output captured, and the key filter in front of guest input
 * driven by a console input script (test/unit/host_stubs.h).
 * Commands: docs/monitor.md. Page walk: SDM 3A 4.5 "4-Level Paging". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/debug/monitor.h"
#include "hv/debug/trace.h"
#include "hv/machine/vconsole.h"
#include "test/unit/fake_vm.h"
#include "test/unit/host_stubs.h"

static struct vm *vms[2];
static const char *out;

static int setup(void **state)
{
    (void)state;
    vms[0] = fake_vm_create(2, 0);
    vms[1] = fake_vm_create(1, 0);
    strcpy(vms[1]->name, "other");
    vms[0]->vcpus[0]->state.rip = 0x1000;
    vms[1]->vcpus[0]->state.rip = 0x2000;
    /* Every test starts on vm 0, vCPU 0. */
    stub_capture_begin();
    assert_true(monitor_command(vms, 2, "vm 0"));
    stub_capture_end();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_vm_destroy(vms[0]);
    fake_vm_destroy(vms[1]);
    return 0;
}

/* Run one command line; its output is in `out`. */
static bool run(const char *line)
{
    stub_capture_begin();
    bool more = monitor_command(vms, 2, line);
    out = stub_capture_end();
    return more;
}

#define assert_out_has(s) do {                                            \
        if (!strstr(out, (s)))                                            \
            fail_msg("output lacks \"%s\":\n%s", (s), out);              \
    } while (0)

static void test_monitor_list(void **state)
{
    (void)state;
    vms[0]->vcpus[0]->stats.count[EXIT_IO] = 7;
    vms[0]->vcpus[0]->stats.count[EXIT_HLT] = 2;
    vms[1]->end = VM_END_HALTED;
    /* vm 1 pinned to CPUs 1-2 (keel.cfg cpus = 1-2); vm 0 not pinned. */
    static struct vm_config pinned;
    pinned = *vms[1]->cfg;
    pinned.cpus = 0x6;
    vms[1]->cfg = &pinned;
    assert_true(run("list"));
    assert_out_has("keel: * vm 0 test: running, 64 MiB, 2 vCPUs, "
                   "cpus shared\n");
    assert_out_has("vcpu0: runnable, rip 0x1000, 9 exits\n");
    assert_out_has("vcpu1: wait-for-SIPI, rip 0, 0 exits\n");
    assert_out_has("keel:   vm 1 other: halted, 64 MiB, 1 vCPU, cpus 1-2\n");
}

static void test_monitor_select_vm_and_vcpu(void **state)
{
    (void)state;
    assert_true(run("vm other"));
    assert_out_has("keel: selected vm other vcpu0\n");
    run("list");
    assert_out_has("keel: * vm 1 other");
    run("vm 0");
    run("vcpu 1");
    assert_out_has("keel: selected vm test vcpu1\n");
    run("vcpu 2");
    assert_out_has("keel: no vCPU '2' in the selected VM\n");
    run("vm nope");
    assert_out_has("keel: no VM 'nope' (see 'list')\n");
    /* The selection stayed on vm 0 vcpu 1. */
    vms[0]->vcpus[1]->state.rip = 0xabc;
    run("regs");
    assert_out_has("vcpu1 registers");
    assert_out_has("rip 0000000000000abc");
}

static void test_monitor_regs(void **state)
{
    (void)state;
    struct vcpu_state *s = &vms[0]->vcpus[0]->state;
    s->gpr[GPR_RAX] = 0xdeadbeef;
    s->gpr[GPR_R15] = 0x1515;
    s->cr3 = 0x7000;
    assert_true(run("regs"));
    assert_out_has("keel: vm test vcpu0 registers:\n");
    assert_out_has("rip 0000000000001000 rflags 0000000000000202");
    assert_out_has("rax 00000000deadbeef");
    assert_out_has("r15 0000000000001515");
    assert_out_has("cr3 7000");
}

static void test_monitor_stats(void **state)
{
    (void)state;
    struct exit_stats *st = &vms[0]->vcpus[1]->stats;
    st->count[EXIT_CPUID] = 4;
    st->cycles[EXIT_CPUID] = 400;
    st->min[EXIT_CPUID] = 50;
    st->max[EXIT_CPUID] = 250;
    assert_true(run("stats"));
    assert_out_has("keel: vm test vcpu0 exit statistics (0 exits;");
    assert_out_has("keel: vm test vcpu1 exit statistics (4 exits;");
    assert_out_has("CPUID                  4         50        100        250");
    assert_null(strstr(out, "vm other"));
}

static void test_monitor_trace(void **state)
{
    (void)state;
    struct vcpu *v = vms[0]->vcpus[0];
    struct vm_exit e = fake_exit(EXIT_IO, 1);
    e.io.port = 0x3f8;
    e.io.size = 1;
    trace_record(v, &e, 100);
    e = fake_exit(EXIT_HLT, 1);
    trace_record(v, &e, 300);
    assert_true(run("trace"));
    assert_out_has("last 2 of 2 exits");
    assert_out_has("IO out port 0x3f8 size 1 (byte)");
    run("trace 1");
    assert_out_has("last 1 of 2 exits");
    assert_null(strstr(out, "IO out"));
    run("trace lots");
    assert_out_has("keel: usage: trace [count]\n");
    run("vm other");
    run("trace");
    assert_out_has("keel: vm other vcpu0: no exits traced\n");
}

/* A 4-level walk (SDM 3A 4.5) of guest tables in guest RAM: every entry
 * read is shown, then the nested page table's mapping of the result. */
static void test_monitor_xlate(void **state)
{
    (void)state;
    struct vcpu *v = vms[0]->vcpus[0];
    uint8_t *ram = fake_vm_add_ram(vms[0], 0, 0x10000);
    uint64_t *pml4 = (uint64_t *)(ram + 0x1000);
    uint64_t *pdpt = (uint64_t *)(ram + 0x2000);
    uint64_t *pd = (uint64_t *)(ram + 0x3000);
    uint64_t *pt = (uint64_t *)(ram + 0x4000);
    pml4[0] = 0x2000 | 3;
    pdpt[0] = 0x3000 | 3;
    pd[2] = 0x4000 | 3;                      /* GVA 0x400000 */
    pt[1] = 0x5000 | 1;                      /* GVA 0x401000, read-only */
    v->state.cr3 = 0x1000;
    v->state.cr0 |= CR0_PG;
    v->state.cr4 = CR4_PAE;
    v->state.efer = EFER_LME | EFER_LMA;
    v->state.rip = 0x401abc;

    assert_true(run("xlate rip"));
    assert_out_has("gva 0x401abc (4-level paging, cr3 0x1000)");
    assert_out_has("PML4E [  0] at gpa 0x1000 = 0x0000000000002003 P RW\n");
    assert_out_has("PDE   [  2] at gpa 0x3010 = 0x0000000000004003 P RW\n");
    assert_out_has("PTE   [  1] at gpa 0x4008 = 0x0000000000005001 P\n");
    assert_out_has("gva 0x401abc -> gpa 0x5abc (4 KiB page)");
    char hpa[64];
    snprintf(hpa, sizeof(hpa), "gpa 0x5abc -> hpa %#llx (npt",
             (unsigned long long)(uintptr_t)(ram + 0x5abc));
    assert_out_has(hpa);

    run("xlate 0x800000");                   /* PD[4] not present */
    assert_out_has("PDE   [  4] at gpa 0x3020 = ");
    assert_out_has("not present: the guest would take a #PF here\n");
    run("xlate");
    assert_out_has("keel: usage: xlate <gva (decimal or 0x hex) | rip>\n");
}

/* Paging off: the GVA is the GPA; a GPA outside RAM is not in the NPT. */
static void test_monitor_xlate_unmapped_gpa(void **state)
{
    (void)state;
    assert_true(run("xlate 0xfee00000"));
    assert_out_has("gva 0xfee00000 -> gpa 0xfee00000");
    assert_out_has("gpa 0xfee00000 is not mapped in the npt");
}

static void test_monitor_vmcb_dumps_through_vendor(void **state)
{
    (void)state;
    assert_true(run("vmcb"));
    assert_out_has("keel: FAKE of vm test vcpu0\n");
    assert_int_equal(fake_vendor_dumps, 1);
}

static void test_monitor_resume_and_unknown(void **state)
{
    (void)state;
    assert_false(run("resume"));
    assert_false(run("c"));
    assert_false(run("  q  "));
    assert_true(run("frobnicate now"));
    assert_string_equal(out,
                        "keel: unknown command 'frobnicate' ('help' lists them)\n");
    assert_true(run(""));
    assert_string_equal(out, "");
    /* Every line of the help, though it is longer than one kprintf. */
    assert_true(run("help"));
    assert_out_has("  tracedump         the whole trace ring");
    assert_out_has("  resume            leave the monitor (also: c, q, Ctrl-D)\n");
}

/* ---- the key filter (monitor_getkey) ----------------------------------- */

/* The bytes monitor_getkey hands to the guest (up to 16) while script is
 * typed, running the monitor when it asks, as the scheduler does: a fixed
 * number of polls, well past the script's end. */
static unsigned getc_all(const char *script, int *got)
{
    unsigned n = 0;
    stub_console_input(script);
    stub_capture_begin();
    for (unsigned i = 0; i < 64 && n < 16; i++) {
        bool open = false;
        int c = monitor_getkey(&open);
        if (open)
            monitor_run(vms, 2);
        if (c >= 0)
            got[n++] = c;
    }
    out = stub_capture_end();
    return n;
}

/* Guest input passes; Ctrl-] Ctrl-] is one Ctrl-]; Ctrl-] x is both. */
static void test_monitor_getkey_passes_guest_bytes(void **state)
{
    (void)state;
    int got[16];
    assert_int_equal(getc_all("a\x1d\x1d" "b\x1dx", got), 5);
    assert_int_equal(got[0], 'a');
    assert_int_equal(got[1], MONITOR_ESCAPE);
    assert_int_equal(got[2], 'b');
    assert_int_equal(got[3], MONITOR_ESCAPE);
    assert_int_equal(got[4], 'x');
    assert_string_equal(out, "");
}

/* Ctrl-] m opens the monitor: a prompt, commands typed with backspace
 * editing, "resume" returns; the guest gets nothing of it. */
static void test_monitor_getkey_opens_monitor(void **state)
{
    (void)state;
    int got[16];
    assert_int_equal(getc_all("1\x1dmlisx\x7ft\rfoo\rresume\r2", got), 2);
    assert_int_equal(got[0], '1');
    assert_int_equal(got[1], '2');
    assert_out_has("keel: monitor: guests paused");
    assert_out_has("keel-mon> lisx\b \bt\n");          /* echo, erase */
    assert_out_has("keel: * vm 0 test: running");
    assert_out_has("keel: unknown command 'foo'");
    assert_out_has("keel: monitor: resuming the guests after 0 ms\n");
}

/* Ctrl-] n is the console switch: the filter hands VCONSOLE_NEXT_VM on
 * (hv/machine/vconsole.c moves the input), the guest gets no byte of it. */
static void test_monitor_getkey_next_vm(void **state)
{
    (void)state;
    int got[16];
    assert_int_equal(getc_all("a\x1dnb", got), 3);
    assert_int_equal(got[0], 'a');
    assert_int_equal(got[1], VCONSOLE_NEXT_VM);
    assert_int_equal(got[2], 'b');
}

/* Ctrl-D at the prompt leaves the monitor too. */
static void test_monitor_getkey_ctrl_d_leaves(void **state)
{
    (void)state;
    int got[16];
    assert_int_equal(getc_all("\x1dm\x04z", got), 1);
    assert_int_equal(got[0], 'z');
    assert_out_has("resuming the guests");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_monitor_list),
        T(test_monitor_select_vm_and_vcpu),
        T(test_monitor_regs),
        T(test_monitor_stats),
        T(test_monitor_trace),
        T(test_monitor_xlate),
        T(test_monitor_xlate_unmapped_gpa),
        T(test_monitor_vmcb_dumps_through_vendor),
        T(test_monitor_resume_and_unknown),
        T(test_monitor_getkey_passes_guest_bytes),
        T(test_monitor_getkey_opens_monitor),
        T(test_monitor_getkey_ctrl_d_leaves),
        T(test_monitor_getkey_next_vm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
