#!/usr/bin/env python3
"""Where the exits of a quiet Linux boot and issue 12's workload come from.

Boots Debian's kernel under Keel (QEMU TCG, -cpu qemu64,+svm,+npt, the
command line of `make run`) with `console=ttyS0 quiet` and `trace = yes` in
keel.cfg, runs WORKLOAD at the guest shell, powers the guest off and reads
the trace Keel prints at VM end (`trace: <ns> <REASON> <decoded>` lines,
hv/debug/trace.h). Prints the exits by reason, then the IO exits by port,
the MSR exits by index and direction, the CPUID exits by leaf, and the NPF
exits by 4 KiB page. `make bench` (scripts/bench.py) uses the same boot.

The trace ring keeps the last 65536 exits (TRACE_RING_LONG); when the run
had more, the breakdown covers only those and says so."""
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import PROMPT, linux_config, linux_files, sh  # noqa: E402

QUIET = "console=ttyS0 quiet"
# Issue 12's workload: 64 MiB through a pipe into md5sum, then a
# 200,000-iteration shell loop (pure guest CPU work).
WORKLOAD = ("dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum; "
            "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo $i")

TRACE = re.compile(r"^trace: (\d+) ([A-Z_]+)(?: (.*))?$")


def keel_config(memory):
    cfg = linux_config(memory=memory, cmdline=QUIET)
    return cfg.replace("[keel]\n", "[keel]\ntrace = yes\n", 1)


def run_keel(work, memory="256M"):
    """Boot under Keel, run WORKLOAD, power off. Returns a dict: boot
    (seconds from QEMU start to KEEL-GUEST-READY), keel_start (seconds until
    Keel's first line), workload (host seconds of WORKLOAD), output (its
    output), summary (Keel's 'vcpu0: N exits ...' line), stats (Keel's
    statistics table lines) and text (the whole console)."""
    esp = keelrun.make_esp(work, keel_config(memory), linux_files())
    t0 = time.monotonic()
    con = Console(keelrun.qemu_command(esp, work, memory="1G", accel="tcg"),
                  cwd=work)
    con.expect(r"keel: Keel hypervisor", timeout=120)
    keel_start = time.monotonic() - t0
    con.expect("KEEL-GUEST-READY", timeout=300)
    boot = time.monotonic() - t0
    con.expect(re.escape(PROMPT), timeout=60)
    t1 = time.monotonic()
    out, _ = sh(con, WORKLOAD, timeout=600)
    workload = time.monotonic() - t1
    con.sendline("poweroff -f")
    con.expect(r"keel: all VMs have ended", timeout=600)
    con.wait_exit(timeout=60)
    text = con.text().replace("\r", "")
    lines = text.splitlines()
    summary = [l.replace("keel:   ", "") for l in lines
               if l.startswith("keel:   vcpu0:")]
    stats = [l.replace("keel:     ", "") for l in lines
             if l.startswith("keel:       ") or
             l.startswith("keel:     vm ")]
    return {"boot": boot, "keel_start": keel_start, "workload": workload,
            "output": out, "summary": summary, "stats": stats, "text": text}


def parse(text):
    """[(ns, reason, decoded)] of every trace line in a console capture."""
    events, inside = [], False
    for line in text.splitlines():
        if line.startswith("keel: trace begin"):
            inside = True
        elif line.startswith("keel: trace end"):
            inside = False
        elif inside:
            m = TRACE.match(line)
            if m:
                events.append((int(m.group(1)), m.group(2), m.group(3) or ""))
    return events


def key(reason, decoded):
    """What an exit is counted under: the port and direction for IO, the
    index and direction for MSRs, the leaf for CPUID, the page for NPF."""
    if reason == "IO":
        m = re.search(r"(rep )?(ins?|outs?) port (0x[0-9a-f]+|0) size (\d)",
                      decoded)
        if m:
            return f"{m.group(2)} port {m.group(3)} size {m.group(4)}"
    if reason in ("MSR_READ", "MSR_WRITE"):
        m = re.search(r"msr (0x[0-9a-f]+)", decoded)
        if m:
            return f"msr {m.group(1)}"
    if reason == "CPUID":
        m = re.search(r"leaf (0x[0-9a-f]+|0)", decoded)
        if m:
            return f"leaf {m.group(1)}"
    if reason == "NPF":
        m = re.search(r"gpa (0x[0-9a-f]+)", decoded)
        if m:
            return f"page {int(m.group(1), 16) & ~0xfff:#x}"
    return ""


def breakdown(events):
    """{reason: Counter(key -> count)}."""
    out = collections.defaultdict(collections.Counter)
    for _, reason, decoded in events:
        out[reason][key(reason, decoded)] += 1
    return out


def print_breakdown(events, top=12, file=sys.stdout):
    by = breakdown(events)
    total = sum(sum(c.values()) for c in by.values())
    print(f"exits in the trace: {total}", file=file)
    for reason, c in sorted(by.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(c.values())
        print(f"  {reason:<12} {n:>7}", file=file)
        if list(c) == [""]:
            continue
        for k, m in c.most_common(top):
            print(f"      {k:<34} {m:>7}", file=file)
        rest = n - sum(m for _, m in c.most_common(top))
        if rest:
            print(f"      {'(others)':<34} {rest:>7}", file=file)


def main():
    work = Path(tempfile.mkdtemp(prefix="keel-exits-"))
    r = run_keel(work)
    print(f"boot to KEEL-GUEST-READY {r['boot']:.1f} s (Keel's first line "
          f"after {r['keel_start']:.1f} s), workload {r['workload']:.1f} s")
    for line in r["summary"]:
        print(line)
    print_breakdown(parse(r["text"]))
    (work / "console.log").write_text(r["text"])
    print(f"console: {work / 'console.log'}")


if __name__ == "__main__":
    main()
