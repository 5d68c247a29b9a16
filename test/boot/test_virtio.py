"""Boot tests of Keel's virtio devices (issue 5) with Debian's stock kernel:
the guest finds them on Keel's PCI bus with its own virtio modules, runs
its shell on virtio-console (hvc0), and moves 64 MiB through virtio-blk.

Needs `make linux` (build/linux/vmlinuz, initrd.img); skipped without it.
Images are created per test in pytest's tmp_path with truncate.
"""
import hashlib
import re
import subprocess
import time


import keelrun
from linuxguest import LINUX, PROMPT, sh

MiB = 1 << 20
PATTERN_MIB = 64
PATTERN_WORD = "keel-virtio-blk-pattern-0123456789"



def config(console="ttyS0", devices=()):
    lines = "\n".join(f"device = {d}" for d in devices)
    return f"""[keel]
log = info
test-exit = yes

[vm linux]
memory = 256M
kernel = \\EFI\\keel\\vmlinuz
initrd = \\EFI\\keel\\initrd.img
cmdline = console={console}
{lines}
expect = poweroff
"""


def files(**images):
    f = {"EFI/keel/vmlinuz": LINUX / "vmlinuz",
         "EFI/keel/initrd.img": LINUX / "initrd.img"}
    for name, path in images.items():
        f[f"EFI/keel/{name}.img"] = path
    return f


def image(tmp_path, name, mib):
    p = tmp_path / f"{name}.img"
    subprocess.run(["truncate", "-s", f"{mib}M", str(p)], check=True)
    return p


def shell(con, cmd, timeout=120):
    """Run cmd in the guest shell; returns its output (linuxguest.sh)."""
    return sh(con, cmd, timeout)[0]


def boot_to_shell(boot, cfg, fls):
    """Boot and wait for /init's banner and the shell, on whichever console
    the command line names (/init reopens /dev/console after loading
    virtio_console, so the banner reaches hvc0 too)."""
    con = boot(cfg, fls)
    con.expect("KEEL-GUEST-READY", timeout=300)
    con.expect(re.escape(PROMPT), timeout=300)
    return con


def poweroff(con):
    con.sendline("poweroff")
    assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS


def test_devices_listed(boot, tmp_path):
    """Console + a read-write and a read-only disk: the stock modules bind
    to them and sysfs shows the virtio device ids (3 console, 2 block)."""
    rw = image(tmp_path, "disk", 8)
    ro = image(tmp_path, "ro", 4)
    con = boot_to_shell(boot, config(devices=(
        "virtio-console", "virtio-blk:\\EFI\\keel\\disk.img",
        "virtio-blk:\\EFI\\keel\\ro.img:ro")), files(disk=rw, ro=ro))
    text = con.text()
    assert "writes are NOT kept after power-off" in text
    assert "init: insmod" not in text

    out = shell(con, "ls /sys/bus/virtio/devices")
    assert out.split() == ["virtio0", "virtio1", "virtio2"], out
    out = shell(con, "for d in /sys/bus/virtio/devices/*; do "
                     "echo $(basename $d) $(cat $d/device) "
                     "$(basename $(readlink $d/driver)); done")
    ids = {line.split()[0]: line.split()[1:] for line in out.splitlines()
           if line.startswith("virtio")}
    assert ids == {"virtio0": ["0x0003", "virtio_console"],
                   "virtio1": ["0x0002", "virtio_blk"],
                   "virtio2": ["0x0002", "virtio_blk"]}, out
    # Capacity in 512-byte sectors, read-only flag, sector size.
    out = shell(con, "cat /sys/block/vda/size /sys/block/vdb/size "
                     "/sys/block/vda/ro /sys/block/vdb/ro "
                     "/sys/block/vda/queue/logical_block_size")
    assert out.split() == [str(8 * 2048), str(4 * 2048), "0", "1", "512"], out
    out = shell(con, "echo x | dd of=/dev/vdb 2>&1; echo rc=$?")
    assert "rc=0" not in out, out
    poweroff(con)


def test_hvc0_console(boot, tmp_path):
    """The kernel console and the shell on virtio-console (hvc0)."""
    con = boot_to_shell(boot, config(console="hvc0",
                                     devices=("virtio-console",)), files())
    out = shell(con, "cat /sys/class/tty/console/active; tty; "
                     "echo $((6 * 7))")
    assert out.split() == ["hvc0", "/dev/hvc0", "42"], out
    out = shell(con, "cat /sys/bus/virtio/devices/*/device")
    assert out.split() == ["0x0003"], out
    out = shell(con, "uname -r; grep -c virtio /proc/modules")
    assert out.split()[0].startswith("6."), out
    poweroff(con)


def test_blk_pattern_64mib(boot, tmp_path):
    """Write a known 64 MiB pattern to /dev/vda (in-memory image back end),
    drop the guest's caches, read it back: same SHA-256 as the host's.

    Every MiB is an 8-digit block number and a fixed 1 MiB - 8 pattern, so
    a block written to the wrong place changes the hash. (`yes | head` over
    the whole 64 MiB would take minutes under nested TCG; the pattern is
    made once in tmpfs and copied.)"""
    disk = image(tmp_path, "disk", PATTERN_MIB + 16)
    con = boot_to_shell(boot, config(devices=(
        "virtio-blk:\\EFI\\keel\\disk.img",)), files(disk=disk))
    line = (PATTERN_WORD + "\n").encode()
    body = (line * (MiB // len(line) + 1))[:MiB - 8]
    want = hashlib.sha256(b"".join(b"%08d" % i + body
                                   for i in range(1, PATTERN_MIB + 1)))
    shell(con, f"yes {PATTERN_WORD} | head -c {MiB - 8} > /tmp/p")

    t0 = time.monotonic()
    shell(con, f"for i in $(seq {PATTERN_MIB}); do printf %08d $i; "
               f"cat /tmp/p; done > /dev/vda; sync", timeout=900)
    t_write = time.monotonic() - t0
    shell(con, "echo 3 > /proc/sys/vm/drop_caches")
    t0 = time.monotonic()
    out = shell(con, f"dd if=/dev/vda bs=1M count={PATTERN_MIB} 2>/dev/null"
                     " | sha256sum", timeout=900)
    t_read = time.monotonic() - t0
    assert want.hexdigest() in out, (want.hexdigest(), out)
    print(f"\nvirtio-blk {PATTERN_MIB} MiB: write+sync {t_write:.1f} s "
          f"({PATTERN_MIB / t_write:.1f} MiB/s), read+sha256 {t_read:.1f} s "
          f"({PATTERN_MIB / t_read:.1f} MiB/s)")
    poweroff(con)
