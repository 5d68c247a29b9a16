"""Issue 6, "Plots": `make trace-plot` (scripts/trace_plot.py) boots Linux
under Keel with `trace = yes`, reads the exit trace Keel prints at VM end
and draws a PNG of exits per reason over time with gnuplot."""
import re
import struct
import subprocess
import sys

import keelrun
from console import scaled

SCRIPT = keelrun.ROOT / "scripts" / "trace_plot.py"


def test_trace_plot_from_a_real_linux_boot(tmp_path):
    out = tmp_path / "plot"
    r = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)],
                       capture_output=True, text=True, timeout=scaled(420))
    assert r.returncode == 0, r.stdout + r.stderr

    log = (out / "console.log").read_text()
    assert "keel: trace begin linux vcpu0" in log and "keel: trace end" in log
    lines = re.findall(r"^trace: (\d+) ([A-Z_]+)(?: .*)?$", log, re.M)
    # Every exit up to the long ring's 65536 (a boot has fewer since
    # issue 12): the total is in Keel's end report.
    total = int(re.search(r"keel:   vcpu0: (\d+) exits", log).group(1))
    kept = min(total, 65536)
    assert len(lines) == kept, (len(lines), total)
    times = [int(t) for t, _ in lines]
    assert times == sorted(times)               # oldest first, one vCPU

    # The data file: a header naming the series, one row per time bin.
    dat = (out / "trace.dat").read_text().splitlines()
    header = dat[0].split()
    assert header[0] == "t_ms"
    for reason in ("IO", "NPF", "MSR_WRITE", "INTR"):
        assert reason in header, header
    rows = [list(map(float, l.split())) for l in dat[1:]]
    assert len(rows) == 120 and all(len(r) == len(header) for r in rows)
    assert sum(sum(r[1:]) for r in rows) == kept
    io = header.index("IO")
    assert sum(r[io] for r in rows) > 1000       # the console is port I/O

    # A valid PNG: signature, then IHDR with the size gnuplot was given.
    png = (out / "exits.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert kind == b"IHDR" and length == 13 and (width, height) == (1200, 600)
    assert png[-12:-8] == b"\0\0\0\0" and png[-8:-4] == b"IEND"
    assert len(png) > 10000                     # more than an empty frame
