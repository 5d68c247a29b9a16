"""make bench, network part: an HTTP fetch of a 16 MiB file from a server
on the host's loopback (10.0.2.2 in the guest, QEMU user networking), by
the same Debian kernel and busybox initramfs, bare on QEMU's own
virtio-net-pci and under Keel (its virtio-net, switch and e1000 uplink
driver on QEMU's e1000). Both under TCG. Each side: `wget -O /dev/null`
(network only) and `wget | sha256sum` (with the check), best of RUNS.
Nothing is asserted: these are measurements (docs/bench.md)."""
import functools
import hashlib
import http.server
import random
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import LINUX, PROMPT, linux_config, linux_files, sh  # noqa: E402
from test_virtio_net import DHCP_SCRIPT, QuietHandler, quoted  # noqa: E402

CPU = ["-accel", "tcg", "-cpu", "qemu64,+svm,+npt"]
MiB = 1 << 20
BLOB_MIB = 16
RUNS = 3


def serve(directory):
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(con, port, want):
    """DHCP, then RUNS timed fetches of each kind; returns (best seconds
    to /dev/null, best seconds through sha256sum)."""
    out, rc = sh(con, f"printf '%s\\n' {quoted(DHCP_SCRIPT)} > /tmp/dhcp.sh"
                      " && chmod +x /tmp/dhcp.sh && ip link set eth0 up && "
                      "udhcpc -i eth0 -s /tmp/dhcp.sh -n -q -t 10 -T 3",
                 timeout=120)
    if rc != 0 or "LEASE" not in out:
        con.fail(f"no DHCP lease: {out}")
    url = f"http://10.0.2.2:{port}/blob"
    null, summed = [], []
    for _ in range(RUNS):
        t0 = time.monotonic()
        sh(con, f"wget -q -O /dev/null {url}", timeout=900)
        null.append(time.monotonic() - t0)
        t0 = time.monotonic()
        out, _ = sh(con, f"wget -q -O - {url} | sha256sum", timeout=900)
        summed.append(time.monotonic() - t0)
        if want not in out:
            con.fail(f"sha256 mismatch: {out!r}")
    return min(null), min(summed)


def run_bare(work, port, want):
    cmd = ["qemu-system-x86_64", "-machine", "q35", *CPU, "-m", "256M",
           "-kernel", str(LINUX / "vmlinuz"), "-initrd",
           str(LINUX / "initrd.img"), "-append", "console=ttyS0",
           "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-no-reboot", "-netdev", "user,id=n0",
           "-device", "virtio-net-pci,netdev=n0,romfile="]
    con = Console(cmd, cwd=work)
    try:
        con.expect("KEEL-GUEST-READY", timeout=300)
        con.expect(re.escape(PROMPT), timeout=60)
        return measure(con, port, want)
    finally:
        con.kill()


def run_keel(work, port, want):
    esp = keelrun.make_esp(work, linux_config(extra="device = virtio-net\n"),
                           linux_files())
    con = Console(keelrun.qemu_command(
        esp, work, memory="1G", accel="tcg",
        extra=["-netdev", "user,id=n0",
               "-device", "e1000,netdev=n0,romfile="]), cwd=work)
    try:
        con.expect("KEEL-GUEST-READY", timeout=300)
        con.expect(re.escape(PROMPT), timeout=60)
        return measure(con, port, want)
    finally:
        con.kill()


def measure_all():
    """Serve the blob and fetch it bare and under Keel: {"wget -O
    /dev/null": (bare MiB/s, Keel MiB/s), "wget | sha256sum": (...)}."""
    work = Path(tempfile.mkdtemp(prefix="keel-bench-net-"))
    www = work / "www"
    www.mkdir()
    data = random.Random(5).randbytes(BLOB_MIB * MiB)
    (www / "blob").write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    server = serve(www)
    port = server.server_address[1]
    (bare_dir := work / "bare").mkdir()
    (keel_dir := work / "keel").mkdir()
    bare = run_bare(bare_dir, port, want)
    keel = run_keel(keel_dir, port, want)
    server.shutdown()
    return {"wget -O /dev/null": (BLOB_MIB / bare[0], BLOB_MIB / keel[0]),
            "wget | sha256sum": (BLOB_MIB / bare[1], BLOB_MIB / keel[1])}


def main():
    print(f"keel bench (net): {BLOB_MIB} MiB HTTP fetch from 127.0.0.1, "
          f"QEMU TCG, best of {RUNS}")
    print()
    print(f"{'':22}{'bare QEMU':>15}{'under Keel':>15}{'ratio':>8}")
    print(f"{'':22}{'virtio-net':>15}{'virtio-net':>15}")
    for name, (b, k) in measure_all().items():
        print(f"{name:22}{b:>9.2f} MiB/s{k:>9.2f} MiB/s{k / b:>8.2f}")
    print("(MiB/s of host time; ratio: Keel's rate / bare)")


if __name__ == "__main__":
    main()
