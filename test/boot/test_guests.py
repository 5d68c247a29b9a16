"""Issue 2: every foundation test guest runs under Keel (QEMU TCG, SVM +
NPT, OVMF) in one boot, as separate VMs: each guest's expected serial
lines appear, the misbehaving ones are stopped with a clear report, and
the hypervisor survives them and ends with a summary."""
import pytest

import keelrun
from conftest import TESTS

# name -> (file, format, expect, extra keel.cfg lines)
GUESTS = {
    "hlt": ("hlt.elf", "multiboot", "halted", ""),
    "cpuid": ("cpuid.elf", "multiboot", "pass", ""),
    "uart": ("uart.elf", "multiboot", "pass", ""),
    "msr": ("msr.elf", "multiboot", "pass", ""),
    "unmapped": ("unmapped.elf", "multiboot", "crashed", ""),
    "triple": ("triple.elf", "multiboot", "triple-fault", ""),
    "mbinfo": ("mbinfo.elf", "multiboot", "pass",
               "cmdline = quick brown fox\n"),
    "flat": ("hello-flat.bin", "flat", "pass", "load-addr = 0x200000\n"),
    # Resets itself at once, every boot: stopped after 10 resets in 10 s.
    "resetloop": ("resetloop.elf", "multiboot", "crashed", ""),
    # Two VMs at once with different values: the FPU isolation test.
    "fpu-a": ("fpu.elf", "multiboot", "pass", "cmdline = 1234\n"),
    "fpu-b": ("fpu.elf", "multiboot", "pass", "cmdline = 9876\n"),
    # A halted VM's LAPIC timer wakes it while another VM never idles.
    "spinner": ("timerwake.elf", "multiboot", "pass", "cmdline = spin\n"),
    "sleeper": ("timerwake.elf", "multiboot", "pass", "cmdline = sleep\n"),
}


def all_guests_config():
    cfg = "[keel]\nlog = info\ntest-exit = yes\n"
    files = {}
    for name, (f, fmt, expect, extra) in GUESTS.items():
        cfg += (f"\n[vm {name}]\nmemory = 16M\nformat = {fmt}\n"
                f"kernel = \\EFI\\keel\\{f}\nexpect = {expect}\n{extra}")
        files[f"EFI/keel/{f}"] = TESTS / f
    return cfg, files


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Boot every test guest once; the tests below read the log."""
    tmp = tmp_path_factory.mktemp("guests")
    cfg, files = all_guests_config()
    con, status = keelrun.boot_until_ended(tmp, cfg, files)
    yield con, status
    con.kill()


def lines(run, prefix):
    con, _ = run
    return [l for l in con.text().splitlines() if l.startswith(prefix)]


def assert_lines(run, name, expected):
    got = lines(run, f"[{name}] ")
    con, _ = run
    for e in expected:
        if f"[{name}] {e}" not in got:
            con.fail(f"guest {name}: missing line {e!r}; its lines: {got}")


def assert_ended(run, name, how):
    con, _ = run
    text = con.text()
    if f"keel: vm {name}: ended as expected" not in text:
        con.fail(f"vm {name} did not end as expected")
    summary = [l for l in text.splitlines()
               if l.startswith(f"keel: vm {name}: {how}")]
    if not summary:
        con.fail(f"no summary line 'keel: vm {name}: {how} ...'")


def test_keel_exit_status_says_all_as_expected(run):
    con, status = run
    assert status == keelrun.EXIT_PASS, con.tail()


def test_hlt(run):
    assert_lines(run, "hlt", ["hlt: halting with interrupts disabled"])
    assert_ended(run, "hlt", "halted")
    assert "hlt: woke up" not in run[0].text()


def test_cpuid(run):
    assert_lines(run, "cpuid", [
        "cpuid: hypervisor bit set ok", "cpuid: VMX hidden ok",
        "cpuid: SVM hidden ok",
        "cpuid: leaf 0x40000000 signature KeelKeelKeel ok",
        "cpuid: signature is KeelKeelKeel"])
    assert_ended(run, "cpuid", "debug-exit status 0 (pass)")


def test_uart(run):
    assert_lines(run, "uart", [
        "uart: scratch register ok", "uart: line status THRE|TEMT ok",
        "uart: loopback modem status ok", "uart: loopback data ready ok",
        "uart: loopback echo ok",
        "uart: hello from a guest, through Keel's virtual 16550"])
    assert_ended(run, "uart", "debug-exit status 0 (pass)")


def test_msr(run):
    assert_lines(run, "msr", [
        "msr: IA32_PAT write and read back ok", "msr: EFER reads 0 ok",
        "msr: #GP on unknown MSR ok", "msr: #GP on reserved PAT type ok"])
    assert_ended(run, "msr", "debug-exit status 0 (pass)")
    # The unknown MSR is logged once by Keel.
    assert "RDMSR of unhandled MSR 0x4b564d99: #GP to the guest" in \
        run[0].text()


def test_unmapped_gpa_floats_and_a_fetch_stops_only_that_vm(run):
    assert_lines(run, "unmapped", [
        "unmapped: writing and reading guest-physical 0x80000000",
        "unmapped: the read floats to all-ones ok",
        "unmapped: jumping to 0x80000000"])
    text = run[0].text()
    assert ("vm unmapped: write of unbacked guest-physical address "
            "0x80000000") in text, run[0].tail()
    assert ("vm unmapped crashed: instruction fetch from unbacked "
            "guest-physical address 0x80000000") in text, run[0].tail()
    assert_ended(run, "unmapped", "crashed")


def test_triple_fault_is_named(run):
    assert_lines(run, "triple", ["triple: loading an empty IDT and raising #BP"])
    assert "vm triple: ended (triple fault): triple fault (VMEXIT_SHUTDOWN)" \
        in run[0].text(), run[0].tail()
    assert_ended(run, "triple", "triple fault")


def test_multiboot_info(run):
    assert_lines(run, "mbinfo", [
        "mbinfo: EAX is 0x2BADB002 ok", "mbinfo: flags mem|cmdline|mods|mmap ok",
        "mbinfo: mem_upper 15360 KiB ok", "mbinfo: memory map of 3 entries ok",
        "mbinfo: cmdline: quick brown fox"])
    assert_ended(run, "mbinfo", "debug-exit status 0 (pass)")


def test_flat_binary(run):
    assert_lines(run, "flat", ["flat: hello from a flat binary at 0x200000"])
    assert_ended(run, "flat", "debug-exit status 0 (pass)")


def test_fpu_state_is_per_vm(run):
    for name in ("fpu-a", "fpu-b"):
        assert_lines(run, name, [
            "fpu: XMM0, XMM7 and ST0 kept this VM's values for 300 ms"])
        assert_ended(run, name, "debug-exit status 0 (pass)")


def test_reset_loop_is_stopped(run):
    """Issue 11: a VM that resets in a loop is stopped by the rate limit
    (10 resets within 10 s), its devices reset in place each time, while
    the other VMs (the FPU pair runs 300 ms) go on."""
    got = lines(run, "[resetloop] ")
    assert got.count("[resetloop] resetloop: writing the ACPI reset "
                     "register") == 11, got
    text = run[0].text()
    assert ("vm resetloop: ended (crashed): reset more than 10 times "
            "within 10 s") in text, run[0].tail()
    assert_ended(run, "resetloop", "crashed")
    assert "and 10 resets" in text, run[0].tail()


def test_summary_counts_exits(run):
    text = run[0].text()
    assert f"keel: summary: {len(GUESTS)} VMs" in text
    # Every VM reports its exits per reason; the UART guest made IO exits.
    uart = text[text.index("keel: vm uart: debug-exit"):]
    assert "IO=" in uart.splitlines()[1], uart


def test_halted_vm_wakes_beside_a_busy_one(run):
    """A halted vCPU's one-shot LAPIC timer (20 ms) wakes it within 1 s
    while another VM spins for 3 s without halting, so Keel's CPU is never
    idle: device timers of every VM are brought up to date between
    slices, not only when a VM's own vCPU runs or the CPU idles."""
    assert_lines(run, "sleeper", [
        "timerwake: woken by the timer within 1 s beside a busy VM ok"])
    assert_lines(run, "spinner", ["timerwake: spun 3 s"])
    for name in ("sleeper", "spinner"):
        assert_ended(run, name, "debug-exit status 0 (pass)")
