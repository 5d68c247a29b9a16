"""make bench: issue 12's table first: Debian's kernel with `console=ttyS0
quiet` and a busybox initramfs, booted bare (QEMU -kernel with SeaBIOS),
bare under OVMF (OVMF loads the same -kernel/-initrd: the fair baseline for
a UEFI boot) and under Keel (OVMF -> Keel -> the guest), each timed from
QEMU's start to the guest's KEEL-GUEST-READY banner and then running the
same workload at the shell (scripts/exit_breakdown.py: 64 MiB through
md5sum and a 200,000-iteration shell loop); the ratios; Keel's exits for
that boot and workload by reason and by port/MSR; the cost of each exit
reason in host TSC cycles (min / median / max, from the trace). Then a
guest `sleep 10` in host time and a fork loop with two vCPUs, bare -smp 2
and under Keel, with how long a vCPU woken by the other waited to enter.
Then the instructions Keel runs per CPUID exit under Bochs VMX and SVM
(scripts/bench_cpuid.py), sequential dd on virtio-blk bare and under Keel
(scripts/bench_blk.py) and a 16 MiB HTTP fetch over virtio-net bare and
under Keel (scripts/bench_net.py), and last issue 12's one table with
every figure: bare, Keel, ratio, goal.
Nothing here is asserted: these are measurements (docs/bench.md)."""
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_blk  # noqa: E402
import bench_cpuid  # noqa: E402
import bench_net  # noqa: E402
import exit_breakdown  # noqa: E402
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import LINUX, PROMPT, linux_config, linux_files, sh  # noqa: E402

CPU = ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt"]


def bare_command(work, memory, firmware, cmdline, smp="1"):
    """QEMU -kernel/-initrd: with SeaBIOS ("seabios") or OVMF ("ovmf",
    which loads the kernel from fw_cfg and starts its EFI stub)."""
    cmd = ["qemu-system-x86_64", "-machine", "q35", *CPU, "-smp", smp,
           "-m", memory, "-kernel", str(LINUX / "vmlinuz"), "-initrd",
           str(LINUX / "initrd.img"), "-append", cmdline,
           "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-no-reboot", "-net", "none"]
    if firmware == "ovmf":
        vars_copy = Path(work) / "OVMF_VARS.bare.fd"
        vars_copy.write_bytes(keelrun.OVMF_VARS.read_bytes())
        cmd += ["-drive", "if=pflash,format=raw,readonly=on,"
                f"file={keelrun.OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    return cmd


def run_bare(work, memory, firmware):
    """(seconds to KEEL-GUEST-READY, seconds of the workload)."""
    t0 = time.monotonic()
    con = Console(bare_command(work, memory, firmware, exit_breakdown.QUIET),
                  cwd=work)
    con.expect("KEEL-GUEST-READY", timeout=300)
    boot = time.monotonic() - t0
    con.expect(re.escape(PROMPT), timeout=60)
    t1 = time.monotonic()
    sh(con, exit_breakdown.WORKLOAD, timeout=600)
    workload = time.monotonic() - t1
    con.kill()
    return boot, workload


def costs(events):
    """{reason: (count, min, median, max)} of the traced handler cycles."""
    by = {}
    for _, reason, decoded in events:
        m = re.search(r" cycles (\d+)$", decoded)
        if m:
            by.setdefault(reason, []).append(int(m.group(1)))
    return {r: (len(c), min(c), int(statistics.median(c)), max(c))
            for r, c in by.items()}


def print_main_table(bare_bios, bare_efi, keel):
    print()
    print(f"{'':26}{'SeaBIOS':>9}{'OVMF':>9}{'Keel':>9}"
          f"{'Keel/OVMF':>11}{'Keel/SeaBIOS':>14}")
    for name, i in (("boot to KEEL-GUEST-READY", 0), ("workload", 1)):
        b, e, k = bare_bios[i], bare_efi[i], keel[i]
        print(f"{name:26}{b:>8.1f}s{e:>8.1f}s{k:>8.1f}s"
              f"{k / e:>11.2f}{k / b:>14.2f}")


def print_costs(table, tsc_mhz):
    print("Keel's handling cost per exit reason (host TSC cycles from the "
          "exit reaching the run loop to its handler's return; QEMU TCG):")
    print(f"  {'reason':<13}{'count':>8}{'min':>9}{'median':>9}{'max':>10}"
          f"{'median us':>11}")
    for r, (n, lo, med, hi) in sorted(table.items(), key=lambda kv: -kv[1][0]):
        us = med / tsc_mhz if tsc_mhz else 0
        print(f"  {r:<13}{n:>8}{lo:>9}{med:>9}{hi:>10}{us:>11.1f}")


FORK_LOOP = "for i in $(seq 300); do /bin/true; done"


def smp_bare(work, memory):
    """Bare QEMU -smp 2: host seconds for FORK_LOOP."""
    cmd = ["qemu-system-x86_64", "-machine", "q35", *CPU, "-smp", "2",
           "-m", memory, "-kernel", str(LINUX / "vmlinuz"), "-initrd",
           str(LINUX / "initrd.img"), "-append", "console=ttyS0",
           "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-no-reboot", "-net", "none"]
    con = Console(cmd, cwd=work)
    con.expect("KEEL-GUEST-READY", timeout=300)
    con.expect(re.escape(PROMPT), timeout=60)
    t0 = time.monotonic()
    sh(con, FORK_LOOP, timeout=600)
    t = time.monotonic() - t0
    con.kill()
    return t


def smp_keel(work, memory):
    """Keel with vcpus = 2 (both on the boot CPU): host seconds for
    FORK_LOOP, and Keel's lines on how fast a vCPU woken by the other one
    (IPIs, TLB shootdowns) entered the guest."""
    esp = keelrun.make_esp(work, linux_config(memory=memory,
                                              extra="vcpus = 2\n"),
                           linux_files())
    con = Console(keelrun.qemu_command(esp, work, memory="1G",
                                       accel="tcg"), cwd=work)
    con.expect("KEEL-GUEST-READY", timeout=300)
    con.expect(re.escape(PROMPT), timeout=60)
    t0 = time.monotonic()
    sh(con, "sleep 10", timeout=60)
    slept = time.monotonic() - t0
    t0 = time.monotonic()
    sh(con, FORK_LOOP, timeout=600)
    t = time.monotonic() - t0
    con.sendline("poweroff -f")
    con.expect(r"keel: all VMs have ended", timeout=60)
    con.wait_exit(timeout=60)
    woken = [l.replace("keel:   ", "") for l in con.text().splitlines()
             if "times by another vCPU" in l]
    return t, woken, slept


def total_exits(summary):
    """The exits of Keel's summary lines ("vcpu0: 28011 exits IO=..."),
    all vCPUs together; None if there is none."""
    counts = [int(m.group(1)) for line in summary
              for m in [re.search(r"vcpu\d+: (\d+) exits", line)] if m]
    return sum(counts) if counts else None


def summary_rows(bare_efi, keel, exits, cpuid, blk, net):
    """Issue 12's table: (what, unit, bare, Keel, goal) rows; a figure not
    measured is None. bare_efi and keel are (boot s, workload s); cpuid is
    bench_cpuid.measure()'s result, blk bench_blk.measure()'s, net
    bench_net.measure_all()'s."""
    rows = [("boot to KEEL-GUEST-READY", "s", bare_efi[0], keel[0], ""),
            ("workload (dd | md5sum, loop)", "s", bare_efi[1], keel[1], ""),
            ("exits, boot + workload", "", None, exits, "")]
    for vendor in ("VMX", "SVM"):
        r = cpuid.get(vendor)
        rows.append((f"CPUID exit, Bochs {vendor}", "insns", None,
                     r[2] if r else None, "<= 300"))
    for name, (b, k) in blk.items():
        rows.append((f"virtio-blk dd {name}", "MB/s", b, k, ">= 0.9x"))
    for name, (b, k) in net.items():
        rows.append((f"virtio-net {name}", "MiB/s", b, k, ">= 0.8x"))
    return rows


def format_rows(rows):
    """The lines of the table: ratio is Keel / bare where both exist."""
    def num(x):
        return "-" if x is None else f"{x:.0f}" if x >= 100 else f"{x:.1f}"
    lines = [f"{'':34}{'unit':>6}{'bare':>9}{'Keel':>9}{'ratio':>7}"
             f"  goal"]
    for what, unit, b, k, goal in rows:
        ratio = f"{k / b:.2f}" if b and k is not None else "-"
        lines.append(f"{what:34}{unit:>6}{num(b):>9}{num(k):>9}{ratio:>7}"
                     f"  {goal}".rstrip())
    return lines


def main():
    memory = "256M"
    work = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    print("keel bench: Debian kernel + busybox initramfs, QEMU TCG "
          f"(-cpu qemu64,+svm,+npt, -smp 1), guest RAM {memory}, "
          f"cmdline '{exit_breakdown.QUIET}'")
    print(f"workload: {exit_breakdown.WORKLOAD}")
    bare_bios = run_bare(work, memory, "seabios")
    bare_efi = run_bare(work, memory, "ovmf")
    (work / "keel").mkdir()
    r = exit_breakdown.run_keel(work / "keel", memory)
    print_main_table(bare_bios, bare_efi, (r["boot"], r["workload"]))
    print(f"  (under Keel, OVMF until Keel's first line: {r['keel_start']:.1f} s)")
    print("Keel exits for that boot, the workload and power-off:")
    for line in r["summary"]:
        print("  " + line)
    events = exit_breakdown.parse(r["text"])
    exit_breakdown.print_breakdown(events, top=6)
    m = re.search(r"keel: TSC ([0-9.]+) MHz", r["text"])
    print_costs(costs(events), float(m.group(1)) if m else 0)

    bare_smp = smp_bare(work, memory)
    keel_smp, woken, slept = smp_keel(work, memory)
    print()
    print(f"guest 'sleep 10' under Keel took {slept:.2f} s of host time "
          "(includes one shell round trip)")
    print(f"two vCPUs, guest '{FORK_LOOP}':")
    print(f"{'':34}{'bare QEMU':>12}{'under Keel':>12}{'ratio':>8}")
    print(f"{'host seconds':34}{bare_smp:>11.2f}s{keel_smp:>11.2f}s"
          f"{keel_smp / bare_smp:>8.2f}")
    print("Keel: wake-ups of one vCPU by the other, until it entered:")
    for line in woken:
        print("  " + line)

    cpuid = bench_cpuid.measure()
    print()
    for vendor, c in cpuid.items():
        if c:
            (p3, p7), lo, med = c
            print(f"CPUID round trip under Bochs {vendor}: {lo:.0f} "
                  f"instructions at the min, {med:.0f} at the median "
                  f"(TSC ticks per instruction {p3:.3f} / {p7:.3f})")
    blk = bench_blk.measure(memory)
    net = bench_net.measure_all()
    print()
    print("issue 12, every figure (bare: QEMU TCG without Keel, OVMF for "
          "the boot; CPUID: Keel's instructions per exit, median; ratio: "
          "Keel / bare):")
    for line in format_rows(summary_rows(
            bare_efi, (r["boot"], r["workload"]), total_exits(r["summary"]),
            cpuid, blk, net)):
        print(line)


if __name__ == "__main__":
    main()
