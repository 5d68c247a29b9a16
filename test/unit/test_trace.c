/* Unit tests of the exit trace (hv/debug/trace.c): the text one recorded
 * exit shows (what the monitor's "trace" and panic reports print), taken
 * from the vm_exit and the registers at the exit, and the ring keeping the
 * newest exits when it wraps around. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/debug/trace.h"
#include "test/unit/fake_vm.h"
#include "test/unit/host_stubs.h"

static struct vm *vm;
static struct vcpu *v;
static uint64_t tsc;

static int setup(void **state)
{
    (void)state;
    vm = fake_vm_create(1, 0);
    v = vm->vcpus[0];
    stub_tsc_hz = 1000000000ULL;
    tsc = 1000;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_vm_destroy(vm);
    return 0;
}

/* Record e (at the next TSC tick) and format the entry it became. */
static const char *record_and_format(const struct vm_exit *e)
{
    static char buf[128];
    trace_record(v, e, tsc++);
    assert_non_null(v->trace);
    /* The newest entry is the one the ring's dump lists last. */
    stub_capture_begin();
    trace_dump(v, 1);
    const char *out = stub_capture_end();
    const char *line = strstr(out, "\n  -");
    assert_non_null(line);
    line = strstr(line, "rip ");
    assert_non_null(line);
    line += strlen("rip ") + 16 + 1;        /* past the RIP and a space */
    size_t n = strcspn(line, "\n");
    assert_true(n < sizeof(buf));
    memcpy(buf, line, n);
    buf[n] = '\0';
    return buf;
}

static struct vm_exit io_exit(uint16_t port, uint8_t size, bool in)
{
    struct vm_exit e = fake_exit(EXIT_IO, 1);
    e.io.port = port;
    e.io.size = size;
    e.io.in = in;
    return e;
}

static void test_trace_format_io(void **state)
{
    (void)state;
    struct vm_exit e = io_exit(0x3f8, 1, false);
    assert_string_equal(record_and_format(&e),
                        "IO out port 0x3f8 size 1 (byte)");
    e = io_exit(0xcfc, 4, true);
    assert_string_equal(record_and_format(&e),
                        "IO in port 0xcfc size 4 (dword)");
    e = io_exit(0x1f0, 2, false);
    e.io.string = e.io.rep = true;
    assert_string_equal(record_and_format(&e),
                        "IO rep outs port 0x1f0 size 2 (word)");
}

/* NPF: the GPA and the access (APM2 15.25.6 EXITINFO1 bits). */
static void test_trace_format_npf(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_NPF, 0);
    e.npf.gpa = 0xfee000b0;
    e.npf.write = e.npf.present = true;
    assert_string_equal(record_and_format(&e),
                        "NPF gpa 0xfee000b0 write present");
    e = fake_exit(EXIT_NPF, 0);
    e.npf.gpa = 0x100000000ULL;
    e.npf.fetch = true;
    assert_string_equal(record_and_format(&e),
                        "NPF gpa 0x100000000 fetch not-present");
    e = fake_exit(EXIT_NPF, 0);
    e.npf.gpa = 0xc0000000;
    e.npf.read = true;
    assert_string_equal(record_and_format(&e),
                        "NPF gpa 0xc0000000 read not-present");
}

/* RDMSR shows ECX; WRMSR also EDX:EAX as it was at the exit (SDM 2B
 * "WRMSR": the upper halves of RAX and RDX are ignored). */
static void test_trace_format_msr(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_MSR_READ, 2);
    e.msr.index = 0xc0000080;
    assert_string_equal(record_and_format(&e), "MSR_READ msr 0xc0000080");
    e = fake_exit(EXIT_MSR_WRITE, 2);
    e.msr.index = 0x6e0;
    v->state.gpr[GPR_RAX] = 0xdeadbeef12345678ULL;
    v->state.gpr[GPR_RDX] = 0xffffffff00000001ULL;
    assert_string_equal(record_and_format(&e),
                        "MSR_WRITE msr 0x6e0 value 0x112345678");
}

/* CPUID: the leaf (EAX) and subleaf (ECX) at the exit. */
static void test_trace_format_cpuid(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    v->state.gpr[GPR_RAX] = 0xffffffff80000001ULL;
    v->state.gpr[GPR_RCX] = 0x2;
    assert_string_equal(record_and_format(&e),
                        "CPUID leaf 0x80000001 subleaf 0x2");
}

/* Exceptions by their SDM 3A 6.3.1 mnemonic, with the error code and CR2
 * when one was pushed. */
static void test_trace_format_exception(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_EXCEPTION, 0);
    e.exception.vector = VEC_PF;
    e.exception.has_error = true;
    e.exception.error_code = 0x6;
    e.exception.cr2 = 0x7fffdead000ULL;
    assert_string_equal(record_and_format(&e),
                        "EXCEPTION vector 14 #PF error 0x6 cr2 0x7fffdead000");
    e = fake_exit(EXIT_EXCEPTION, 0);
    e.exception.vector = VEC_UD;
    assert_string_equal(record_and_format(&e), "EXCEPTION vector 6 #UD");
    e.exception.vector = 30;
    assert_string_equal(record_and_format(&e), "EXCEPTION vector 30 #30");
}

static void test_trace_format_other_reasons(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CR_ACCESS, 3);
    e.cr.cr = 4;
    e.cr.write = true;
    e.cr.gpr = GPR_RBX;
    assert_string_equal(record_and_format(&e), "CR_ACCESS mov-to cr4 gpr 3");
    e = fake_exit(EXIT_UNEXPECTED, 0);
    e.raw_reason = 0x7f;
    e.raw.info1 = 0x1234;
    assert_string_equal(record_and_format(&e),
                        "UNEXPECTED raw 0x7f info1 0x1234");
    e = fake_exit(EXIT_HLT, 1);
    assert_string_equal(record_and_format(&e), "HLT");
}

/* trace_format into a small buffer truncates and still terminates. */
static void test_trace_format_truncates(void **state)
{
    (void)state;
    struct trace_entry t = { .reason = EXIT_IO, .a = 0x3f8, .b = 1 };
    char buf[9];
    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(trace_format(&t, buf, sizeof(buf)), buf);
    assert_string_equal(buf, "IO out p");
}

/* Count the lines of out starting with prefix. */
static unsigned count_lines(const char *out, const char *prefix)
{
    unsigned n = 0;
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (!strncmp(p, prefix, strlen(prefix)))
            n++;
    return n;
}

/* After more exits than the ring holds, it keeps the newest
 * TRACE_RING_DEFAULT, oldest first; "trace n" shows the last n with
 * times before the newest. */
static void test_trace_ring_wraps_keeping_newest(void **state)
{
    (void)state;
    const unsigned total = TRACE_RING_DEFAULT + 5;
    struct vm_exit e = fake_exit(EXIT_HLT, 1);
    for (unsigned i = 0; i < total; i++) {
        v->state.rip = i;
        trace_record(v, &e, 10000 + 100 * i);
    }
    stub_capture_begin();
    trace_dump(v, 0);
    const char *out = stub_capture_end();
    assert_non_null(strstr(out, "last 256 of 261 exits"));
    assert_int_equal(count_lines(out, "  -"), TRACE_RING_DEFAULT);
    /* The oldest kept is exit 5 (rips 0-4 were overwritten), first. */
    const char *first = strstr(out, "rip ");
    assert_non_null(first);
    assert_memory_equal(first, "rip 0000000000000005 HLT", 24);
    assert_null(strstr(out, "rip 0000000000000004 "));
    assert_non_null(strstr(out, "-     25500ns rip 0000000000000005"));
    assert_non_null(strstr(out, "-         0ns rip 0000000000000104 HLT\n"));

    stub_capture_begin();
    trace_dump(v, 2);
    out = stub_capture_end();
    assert_non_null(strstr(out, "last 2 of 261 exits"));
    assert_int_equal(count_lines(out, "  -"), 2);
    assert_non_null(strstr(out, "-       100ns rip 0000000000000103 HLT\n"));
}

/* The machine-readable dump has one "trace:" line per kept exit, with the
 * exit decoded as trace_format writes it (scripts/exit_breakdown.py counts
 * exits per port and MSR from it). */
static void test_trace_dump_machine_lines(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    for (unsigned i = 0; i < 3; i++)
        trace_record(v, &e, tsc++);
    e = io_exit(0x3f8, 1, false);
    trace_record(v, &e, tsc++);
    trace_record_cycles(v, 12345);
    stub_capture_begin();
    trace_dump_machine(v);
    const char *out = stub_capture_end();
    assert_non_null(strstr(out, "keel: trace begin test vcpu0\n"));
    assert_int_equal(count_lines(out, "trace: "), 4);
    assert_non_null(strstr(out, " CPUID leaf "));
    assert_non_null(strstr(out, " IO out port 0x3f8 size 1 (byte) rip "));
    assert_non_null(strstr(out, " cycles 12345\n"));
    assert_int_equal(count_lines(out, "trace: "), 4);
    assert_int_equal(count_lines(out, "keel: trace end"), 1);
    assert_ptr_equal(trace_last_vcpu(), v);
}

static void test_trace_dump_nothing_recorded(void **state)
{
    (void)state;
    stub_capture_begin();
    trace_dump(v, 0);
    assert_string_equal(stub_capture_end(),
                        "keel: vm test vcpu0: no exits traced\n");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_trace_format_io),
        T(test_trace_format_npf),
        T(test_trace_format_msr),
        T(test_trace_format_cpuid),
        T(test_trace_format_exception),
        T(test_trace_format_other_reasons),
        T(test_trace_format_truncates),
        T(test_trace_ring_wraps_keeping_newest),
        T(test_trace_dump_machine_lines),
        T(test_trace_dump_nothing_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
