#!/usr/bin/env python3
"""make trace-plot: Keel's exit trace as a PNG of exits per reason over time.

Without a log file it captures one: boots Debian's kernel under Keel (QEMU,
the same command line as `make run`) with `trace = yes` in keel.cfg, waits
for the guest shell, runs a few commands, powers the guest off and keeps the
console, where Keel prints every vCPU's trace ring between
`keel: trace begin` and `keel: trace end` as `trace: <ns> <REASON> <decoded>`
lines (hv/debug/trace.h). With --log FILE it reads a console capture instead (for
example a monitor `tracedump`).

It writes OUT/trace.dat (one row per time bin: the bin's start in ms, then
the exit count of each reason, with a header naming the reasons) and
OUT/exits.png drawn by gnuplot (Debian package gnuplot-nox).
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "boot"))

TRACE_LINE = re.compile(r"^trace: (\d+) ([A-Z_]+)(?: .*)?$")


def parse_trace(text):
    """[(ns, reason)] from every trace block in a console capture."""
    events, inside = [], False
    for line in text.replace("\r", "").splitlines():
        if line.startswith("keel: trace begin"):
            inside = True
        elif line.startswith("keel: trace end"):
            inside = False
        elif inside:
            m = TRACE_LINE.match(line)
            if m:
                events.append((int(m.group(1)), m.group(2)))
    return events


def bin_events(events, bins=120):
    """(reasons, rows): rows of [t_ms, count per reason] over bins bins."""
    reasons = sorted({r for _, r in events})
    t0 = min(t for t, _ in events)
    span = max(max(t for t, _ in events) - t0, 1)
    width = span / bins
    counts = [[0] * len(reasons) for _ in range(bins)]
    col = {r: i for i, r in enumerate(reasons)}
    for t, r in events:
        b = min(int((t - t0) / width), bins - 1)
        counts[b][col[r]] += 1
    rows = [[(t0 + i * width) / 1e6] + counts[i] for i in range(bins)]
    return reasons, rows, width / 1e6


def write_data(path, reasons, rows):
    with open(path, "w") as f:
        f.write("t_ms " + " ".join(reasons) + "\n")
        for row in rows:
            f.write(f"{row[0]:.3f} " + " ".join(str(c) for c in row[1:]) + "\n")


def plot(dat, png, reasons, bin_ms, nexits):
    script = f"""
set terminal pngcairo size 1200,600 font ",10" noenhanced
set output '{png}'
set title "Keel: VM exits per reason over time ({nexits} exits, {bin_ms:.2f} ms bins)"
set xlabel "time since the first traced exit (ms)"
set ylabel "exits per bin"
set key outside right top
set grid
set logscale y
set yrange [0.8:*]
plot for [i=2:{len(reasons) + 1}] '{dat}' using 1:(column(i) > 0 ? column(i) : 1/0) \\
     with linespoints pointsize 0.5 title columnheader(i)
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def capture(timeout=300):
    """Boot Linux under Keel with trace = yes; return the console text."""
    import keelrun
    from console import Console
    from linuxguest import linux_config, linux_files, sh, wait_shell

    work = Path(tempfile.mkdtemp(prefix="keel-trace-"))
    cfg = linux_config().replace("test-exit = yes\n",
                                 "test-exit = yes\ntrace = yes\n")
    esp = keelrun.make_esp(work, cfg, linux_files())
    con = Console(keelrun.qemu_command(esp, work), cwd=work)
    try:
        wait_shell(con, timeout=timeout)
        sh(con, "ls /proc > /dev/null; cat /proc/interrupts > /dev/null")
        con.sendline("poweroff -f")
        con.expect(r"keel: all VMs have ended", timeout=timeout)
        con.wait_exit(timeout=60)
    finally:
        con.kill()
    return con.text()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--log", help="console capture to read (default: boot "
                    "Linux under Keel and capture one)")
    ap.add_argument("--out", default=str(ROOT / "build" / "trace"),
                    help="output folder (default build/trace)")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = Path(args.log).read_text(errors="replace") if args.log else capture()
    if not args.log:
        (out / "console.log").write_text(text)
    events = parse_trace(text)
    if not events:
        print("trace-plot: no 'trace:' lines between 'keel: trace begin' and "
              "'keel: trace end' in the log", file=sys.stderr)
        return 1
    reasons, rows, bin_ms = bin_events(events)
    write_data(out / "trace.dat", reasons, rows)
    plot(out / "trace.dat", out / "exits.png", reasons, bin_ms, len(events))
    print(f"trace-plot: {len(events)} exits ({', '.join(reasons)}) -> "
          f"{out / 'exits.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
