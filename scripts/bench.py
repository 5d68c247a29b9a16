"""make bench: time from QEMU start to the Linux guest's shell banner, bare
(QEMU -kernel/-initrd) and under Keel (OVMF -> Keel -> the same kernel and
initrd), in one run side by side; then the guest's `sleep 10` measured in
host time, and Keel's exit counts per reason for the boot; then a fork loop
with two vCPUs, bare -smp 2 and under Keel, with how long a vCPU woken by
the other waited to enter. Nothing here is asserted: these are
measurements (docs/bench.md)."""
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import LINUX, PROMPT, linux_config, linux_files, sh  # noqa: E402

CPU = ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt"]


def boot_bare(work, memory):
    cmd = ["qemu-system-x86_64", "-machine", "q35", *CPU, "-m", memory,
           "-kernel", str(LINUX / "vmlinuz"), "-initrd",
           str(LINUX / "initrd.img"), "-append", "console=ttyS0",
           "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-no-reboot", "-net", "none"]
    t0 = time.monotonic()
    con = Console(cmd, cwd=work)
    con.expect("KEEL-GUEST-READY", timeout=300)
    t = time.monotonic() - t0
    con.expect(re.escape(PROMPT), timeout=60)
    con.kill()
    return t


def boot_keel(work, memory):
    esp = keelrun.make_esp(work, linux_config(memory=memory), linux_files())
    t0 = time.monotonic()
    con = Console(keelrun.qemu_command(esp, work, memory="1G",
                                       accel="tcg"), cwd=work)
    con.expect(r"keel: Keel hypervisor", timeout=120)
    t_keel = time.monotonic() - t0
    con.expect("KEEL-GUEST-READY", timeout=300)
    t = time.monotonic() - t0
    con.expect(re.escape(PROMPT), timeout=60)
    return con, t, t_keel


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
    sh(con, FORK_LOOP, timeout=600)
    t = time.monotonic() - t0
    con.sendline("poweroff -f")
    con.expect(r"keel: all VMs have ended", timeout=60)
    con.wait_exit(timeout=60)
    woken = [l.replace("keel:   ", "") for l in con.text().splitlines()
             if "times by another vCPU" in l]
    return t, woken


def main():
    memory = "256M"
    work = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    print("keel bench: Debian kernel + busybox initramfs, QEMU TCG "
          "(-cpu qemu64,+svm,+npt), guest RAM", memory)
    bare = boot_bare(work, memory)
    con, keel, keel_start = boot_keel(work, memory)

    t0 = time.monotonic()
    sh(con, "sleep 10", timeout=60)
    slept = time.monotonic() - t0

    con.sendline("poweroff -f")
    con.expect(r"keel: all VMs have ended", timeout=60)
    con.wait_exit(timeout=60)
    summary = [l for l in con.text().splitlines()
               if l.startswith("keel:   vcpu0:")]

    print()
    print(f"{'':34}{'bare QEMU':>12}{'under Keel':>12}{'ratio':>8}")
    print(f"{'QEMU start -> KEEL-GUEST-READY':34}{bare:>11.1f}s{keel:>11.1f}s"
          f"{keel / bare:>8.2f}")
    print(f"  (of which OVMF until Keel's first line: {keel_start:.1f} s)")
    print(f"guest 'sleep 10' took {slept:.2f} s of host time "
          "(includes one shell round trip)")
    print("Keel exits during boot, shell commands and power-off:")
    for line in summary:
        print("  " + line.replace("keel:   ", ""))

    bare_smp = smp_bare(work, memory)
    keel_smp, woken = smp_keel(work, memory)
    print()
    print(f"two vCPUs, guest '{FORK_LOOP}':")
    print(f"{'':34}{'bare QEMU':>12}{'under Keel':>12}{'ratio':>8}")
    print(f"{'host seconds':34}{bare_smp:>11.2f}s{keel_smp:>11.2f}s"
          f"{keel_smp / bare_smp:>8.2f}")
    print("Keel: wake-ups of one vCPU by the other, until it entered:")
    for line in woken:
        print("  " + line)


if __name__ == "__main__":
    main()
