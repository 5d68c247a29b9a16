"""The pure helpers of make bench's scripts (scripts/bench.py,
scripts/bench_cpuid.py): parsing the cpuidbench guest's lines, turning TSC
ticks into instructions, counting Keel's exits and laying out issue 12's
table. No emulator runs here; the figures are made up."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench  # noqa: E402
import bench_cpuid  # noqa: E402

CPUIDBENCH = """keel: vm cpuidbench: started
cpuidbench: loop3 00007530
cpuidbench: loop7 00011170
cpuidbench: empty min 00000005 median 00000006
cpuidbench: cpuid min 000006e5 median 000006f0
"""


def test_cpuidbench_lines_parse():
    assert bench_cpuid.parse(CPUIDBENCH) == {
        "loop3": 30000, "loop7": 70000, "empty": (5, 6),
        "cpuid": (1765, 1776)}
    assert bench_cpuid.parse("nothing here") == {}


def test_ticks_become_instructions():
    (per3, per7), lo, med = bench_cpuid.instructions(
        bench_cpuid.parse(CPUIDBENCH))
    assert per3 == per7 == 1.0
    assert (lo, med) == (1760, 1770)
    # Two ticks per instruction halve the count.
    r = {"loop3": 60000, "loop7": 140000, "empty": (10, 10),
         "cpuid": (410, 610)}
    assert bench_cpuid.instructions(r)[1:] == (200, 300)


def test_total_exits_adds_the_vcpus():
    assert bench.total_exits(["vcpu0: 100 exits IO=90 HLT=10",
                              "vcpu1: 20 exits HLT=20", "other"]) == 120
    assert bench.total_exits(["no summary"]) is None


def test_table_ratio_is_keel_over_bare():
    rows = bench.summary_rows(
        (10.0, 4.0), (12.0, 5.0), 2500,
        {"VMX": ((1.0, 1.0), 250, 260), "SVM": None},
        {"read direct": (1000.0, 900.0)}, {"wget -O /dev/null": (60.0, None)})
    cells = {l[:34].strip(): l[34:].split() for l in bench.format_rows(rows)}
    assert cells["boot to KEEL-GUEST-READY"] == ["s", "10.0", "12.0", "1.20"]
    assert cells["exits, boot + workload"] == ["-", "2500", "-"]
    assert cells["CPUID exit, Bochs VMX"] == ["insns", "-", "260", "-",
                                              "<=", "300"]
    assert cells["CPUID exit, Bochs SVM"] == ["insns", "-", "-", "-",
                                              "<=", "300"]
    assert cells["virtio-blk dd read direct"] == ["MB/s", "1000", "900",
                                                  "0.90", ">=", "0.9x"]
    assert cells["virtio-net wget -O /dev/null"] == ["MiB/s", "60.0", "-",
                                                     "-", ">=", "0.8x"]
