"""Host x2APIC (issue 14): Keel runs with its own LAPIC in x2APIC mode
(IA32_APIC_BASE.EXTD set) as well as in xAPIC mode, choosing MMIO or MSR
access once at start (drivers/lapic.c) and logging the mode.

No firmware here hands the LAPIC over in x2APIC mode (OVMF enables it only
for APIC IDs above 255), and QEMU 7.2's TCG LAPIC has no x2APIC at all. So
keel.cfg's test-only `x2apic = force` makes Keel set EXTD (with EN) itself
before anything uses the LAPIC, standing in for such firmware, and the
x2APIC boot runs under Bochs (corei7_skylake_x has x2APIC, and VMX), in
test_vmx.py's one Bochs Linux boot: Linux boots under Keel to its shell,
its timer ticks (Keel's idle wake-ups and time slices come from the host
LAPIC timer, now programmed through MSRs), and power-off ends the machine
with a pass. Here, on QEMU: the default log says xAPIC, and
`x2apic = force` on a CPU without x2APIC is refused with a message and the
boot goes on in xAPIC mode.
"""
import re

import keelrun
from conftest import TESTS

XAPIC_LINE = re.compile(r"keel: host LAPIC: xAPIC mode, as the firmware left "
                        r"it \(IA32_APIC_BASE 0x[0-9a-f]+\), APIC ID 0")
X2APIC_LINE = re.compile(r"keel: host LAPIC: x2APIC mode, switched by Keel "
                         r"\(x2apic = force\) \(IA32_APIC_BASE 0x[0-9a-f]*"
                         r"[cdef]00\), APIC ID 0")


def with_x2apic(cfg):
    """cfg with `x2apic = force` in its [keel] section."""
    return cfg.replace("[keel]\n", "[keel]\nx2apic = force\n", 1)


def hlt_config():
    return ("[keel]\nlog = info\ntest-exit = yes\n\n[vm hlt]\nmemory = 16M\n"
            "format = multiboot\nkernel = \\EFI\\keel\\hlt.elf\n"
            "expect = halted\n"), {"EFI/keel/hlt.elf": TESTS / "hlt.elf"}


def test_xapic_mode_logged_on_qemu(tmp_path):
    cfg, files = hlt_config()
    con, status = keelrun.boot_until_ended(tmp_path, cfg, files)
    try:
        assert status == keelrun.EXIT_PASS, con.tail()
        assert XAPIC_LINE.search(con.text()), con.tail()
    finally:
        con.kill()


def test_force_without_cpu_support_stays_xapic(tmp_path):
    """qemu64 under TCG has no x2APIC (CPUID.01H:ECX[21] clear)."""
    cfg, files = hlt_config()
    con, status = keelrun.boot_until_ended(tmp_path, with_x2apic(cfg), files)
    try:
        text = con.text()
        assert "x2apic = force: this CPU has no x2APIC" in text, con.tail()
        assert XAPIC_LINE.search(text), con.tail()
        assert status == keelrun.EXIT_PASS, con.tail()
    finally:
        con.kill()
