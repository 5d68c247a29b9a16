"""make bench, CPUID part: the instructions Keel runs per CPUID exit, under
Bochs with VMX (corei7_skylake_x) and SVM (ryzen). The test guest
guest/tests/cpuidbench.asm times CPUID round trips with RDTSC and two loops
of a known number of instructions; under Bochs with `clock: sync=none`
the TSC advances by a fixed amount per emulated instruction (the loops
check that: both must give the same ticks per instruction), so a round
trip's ticks less those of the same sequence with a NOP, divided by the
ticks per instruction, are the instructions of the exit: Keel's exit
path, its CPUID handler and the entry, plus the VM exit and entry that
Bochs counts as one instruction each. Nothing is asserted."""
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
import keelrun  # noqa: E402

TESTS = keelrun.BUILD / "guest" / "tests"
LOOP_ITERATIONS = 10000          # K of cpuidbench.asm
VENDORS = {"VMX": keelrun.BOCHS_VMX_CPU, "SVM": keelrun.BOCHS_SVM_CPU}


def parse(text):
    """The cpuidbench lines of a console text -> {"loop3": ticks, "loop7":
    ticks, "empty": (min, median), "cpuid": (min, median)}; missing lines
    are missing keys."""
    out = {}
    for m in re.finditer(r"cpuidbench: (loop[37]) ([0-9a-f]{8})", text):
        out[m.group(1)] = int(m.group(2), 16)
    for m in re.finditer(r"cpuidbench: (empty|cpuid) min ([0-9a-f]{8}) "
                         r"median ([0-9a-f]{8})", text):
        out[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
    return out


def instructions(r):
    """From parse()'s result: (ticks per instruction from each loop (two
    floats that should agree), instructions per CPUID exit at the min and
    at the median)."""
    per3 = r["loop3"] / (3 * LOOP_ITERATIONS)
    per7 = r["loop7"] / (7 * LOOP_ITERATIONS)
    per = (r["loop7"] - r["loop3"]) / (4 * LOOP_ITERATIONS)
    lo = (r["cpuid"][0] - r["empty"][0]) / per
    med = (r["cpuid"][1] - r["empty"][1]) / per
    return (per3, per7), lo, med


def run(vendor_cpu, work):
    """Boot cpuidbench under Keel on Bochs with that CPU model; returns
    parse() of its output."""
    cfg = ("[keel]\nlog = info\ntest-exit = yes\n\n[vm cpuidbench]\n"
           "memory = 16M\nformat = multiboot\n"
           "kernel = \\EFI\\keel\\cpuidbench.elf\nexpect = pass\n")
    esp = keelrun.make_esp(work, cfg,
                           {"EFI/keel/cpuidbench.elf":
                            TESTS / "cpuidbench.elf"})
    con = keelrun.bochs_console(esp, work, vendor_cpu, timeout_s=900)
    try:
        con.expect(r"keel: all VMs have ended", timeout=600)
        return parse(con.text())
    finally:
        con.kill()


def measure():
    """{"VMX": (ticks per insn, min, median), "SVM": ...}; a vendor whose
    run failed maps to None."""
    out = {}
    for name, cpu in VENDORS.items():
        work = Path(tempfile.mkdtemp(prefix=f"keel-bench-cpuid-{name}-"))
        try:
            out[name] = instructions(run(cpu, work))
        except (AssertionError, KeyError, OSError) as e:
            print(f"cpuid bench under Bochs {name}: {e}")
            out[name] = None
    return out


if __name__ == "__main__":
    for name, r in measure().items():
        if r:
            (p3, p7), lo, med = r
            print(f"{name}: ticks per instruction {p3:.3f} / {p7:.3f}; "
                  f"instructions per CPUID exit min {lo:.0f} median {med:.0f}")
