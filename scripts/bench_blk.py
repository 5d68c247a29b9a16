"""make bench, disk part: sequential dd of 256 MiB on a virtio-blk disk
backed by one host image file, bare on QEMU's own virtio-blk (`-drive
if=virtio`) and under Keel (`device = virtio-blk-host:0`: Keel's
virtio-blk served from QEMU's virtio-blk-pci through Keel's driver,
hv/virtio/blk_host.c, drivers/virtio_blk_host.c). The same Debian kernel
and busybox initramfs, QEMU TCG. Four runs each: write and read, with
O_DIRECT (oflag/iflag=direct: every request reaches the disk) and
buffered (write with conv=fsync; read after dropping the page cache).
MB/s are 10^6 bytes per host second around the dd (the shell round trip
included). Nothing is asserted: these are measurements (docs/bench.md)."""
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "boot"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import keelrun  # noqa: E402
from console import Console  # noqa: E402
from linuxguest import PROMPT, linux_config, linux_files, sh  # noqa: E402
from test_virtio_persist import host_disk  # noqa: E402

MIB = 256
DISK_MIB = MIB + 16
# (name, guest command); the disk is /dev/vda on both sides.
RUNS = (
    ("write direct", f"dd if=/dev/zero of=/dev/vda bs=1M count={MIB} "
                     "oflag=direct"),
    ("read direct", f"dd if=/dev/vda of=/dev/null bs=1M count={MIB} "
                    "iflag=direct"),
    ("write buffered", f"dd if=/dev/zero of=/dev/vda bs=1M count={MIB} "
                       "conv=fsync"),
    ("read buffered", "echo 3 > /proc/sys/vm/drop_caches && "
                      f"dd if=/dev/vda of=/dev/null bs=1M count={MIB}"),
)


def rate(seconds):
    """MB/s (10^6 bytes per second) of MIB MiB in seconds."""
    return MIB * (1 << 20) / 1e6 / seconds


def workload(con):
    """Run RUNS at the shell of con; {name: MB/s}, None for a failed dd."""
    out = {}
    for name, cmd in RUNS:
        t0 = time.monotonic()
        text, rc = sh(con, cmd, timeout=1200)
        t = time.monotonic() - t0
        out[name] = rate(t) if rc == 0 else None
        if rc != 0:
            print(f"  {name}: failed ({rc}): {text.strip()[-200:]}")
    return out


def image(work):
    img = Path(work) / "blk.img"
    subprocess.run(["truncate", "-s", f"{DISK_MIB}M", str(img)], check=True)
    return img


def bare(work, memory):
    from bench import bare_command   # bench imports this module
    cmd = bare_command(work, memory, "seabios", "console=ttyS0")
    cmd += ["-drive", f"file={image(work)},if=virtio,format=raw"]
    return boot_and_measure(Console(cmd, cwd=work))


def boot_and_measure(con):
    """Wait for the guest's shell on con, run the dd workload, stop it."""
    try:
        con.expect("KEEL-GUEST-READY", timeout=300)
        con.expect(re.escape(PROMPT), timeout=60)
        return workload(con)
    finally:
        con.kill()


def keel(work, memory):
    esp = keelrun.make_esp(work, linux_config(
        memory=memory, extra="device = virtio-blk-host:0\n"), linux_files())
    return boot_and_measure(Console(
        keelrun.qemu_command(esp, work, memory="1G", accel="tcg",
                             extra=host_disk(image(work))), cwd=work))


def measure(memory="256M"):
    """{run name: (bare MB/s, Keel MB/s)}."""
    work = Path(tempfile.mkdtemp(prefix="keel-bench-blk-"))
    (work / "bare").mkdir()
    (work / "keel").mkdir()
    b = bare(work / "bare", memory)
    k = keel(work / "keel", memory)
    return {name: (b.get(name), k.get(name)) for name, _ in RUNS}


if __name__ == "__main__":
    for name, (b, k) in measure().items():
        ratio = f"{k / b:.2f}" if b and k else "-"
        print(f"dd {name:16} bare {b or 0:8.1f} MB/s  Keel {k or 0:8.1f} "
              f"MB/s  {ratio}")
