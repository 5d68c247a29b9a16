"""make bench, issue 13's part: the same CPU-bound busybox shell loop in two
Linux VMs at once, in two Keel boots side by side:

* time-sliced: neither VM pinned, QEMU -smp 1: both share the boot CPU
  through Keel's round-robin scheduler;
* pinned: `cpus = 1` and `cpus = 2`, QEMU -smp 3: each VM on its own CPU.

Each loop is typed to its VM (Ctrl-] n between them) and timed in host
seconds from the first keystroke to its end marker; the table gives both
VMs' times and the ratio time-sliced / pinned of the slower one. With
each VM on a CPU of its own and QEMU's multi-threaded TCG the ratio
approaches 2 when the host has a free core for each QEMU CPU thread;
on fewer host cores the threads share them and it stays lower.
Nothing is asserted (docs/bench.md)."""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import Partitions, linux_files, two_linux_config  # noqa: E402

LOOP = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"
NAMES = ("a", "b")
SETUPS = (("time-sliced", (None, None), 1), ("pinned", ("1", "2"), 3))


def run(work, cpus, smp):
    """One Keel boot of two quiet Linux VMs; LOOP in both at once.
    Returns {vm: host seconds}."""
    esp = keelrun.make_esp(work, two_linux_config(NAMES, cpus,
                                                  "console=ttyS0 quiet"),
                           linux_files())
    con = Console(keelrun.qemu_command(esp, work, memory="1G", accel="tcg",
                                       smp=smp), cwd=work)
    try:
        p = Partitions(con, NAMES)
        p.wait_shells(timeout=900)
        time.sleep(2)            # let both shells settle at their prompts
        # The loop as a shell function, so the line typed at the start is
        # short enough for the shell to echo it on one line (start waits
        # for that echo before it moves the input to the next VM).
        for vm in NAMES:
            p.sh(vm, f"l() {{ {LOOP}; }}")
        t0 = time.monotonic()
        tags = {vm: p.start(vm, "l") for vm in NAMES}
        ends = p.finish(list(tags.values()), timeout=1800)
        return {vm: ends[tag] - t0 for vm, tag in tags.items()}
    finally:
        con.kill()


def main():
    print(f"keel bench, partitions: two Linux VMs (256 MiB, quiet) each "
          f"running '{LOOP}' at the same time")
    results = {}
    for name, cpus, smp in SETUPS:
        work = Path(tempfile.mkdtemp(prefix=f"keel-bench-{name}-"))
        results[name] = run(work, cpus, smp)
    print(f"{'host seconds':22}{'time-sliced':>14}{'pinned':>10}")
    print(f"{'':22}{'(-smp 1)':>14}{'(-smp 3)':>10}")
    for vm in NAMES:
        print(f"{'vm ' + vm:22}{results['time-sliced'][vm]:>13.2f}s"
              f"{results['pinned'][vm]:>9.2f}s")
    slow = {k: max(v.values()) for k, v in results.items()}
    print(f"{'both done':22}{slow['time-sliced']:>13.2f}s"
          f"{slow['pinned']:>9.2f}s")
    print(f"ratio time-sliced / pinned: {slow['time-sliced'] / slow['pinned']:.2f}"
          " (2 at best: each pinned VM has a CPU of its own, given free host"
          " cores for QEMU's threads)")


if __name__ == "__main__":
    main()
