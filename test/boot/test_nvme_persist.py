"""The persistent virtio-blk back end on NVMe (issue 14, item 4): Keel
drives the outer QEMU's NVMe controller (`-device nvme`, PCI class
01:08:02) with drivers/nvme.c and serves namespace 1 to the guest as its
virtio-blk disk (`device = virtio-blk-nvme:0`). The image starts as an
empty ext4 file system made on the host; the guest mounts it, writes
files, syncs, unmounts and powers off; then Debian's e2fsprogs read the
host image: e2fsck -fn must be clean and the files equal byte for byte.
With `:ro` the guest sees a read-only disk and the image stays unchanged.

Needs `make linux` (build/linux/vmlinuz, initrd.img with ext4.ko and its
dependencies) and e2fsprogs on the host (mke2fs, debugfs, e2fsck).
"""
import hashlib
import re
import shutil
import subprocess
import time

import keelrun
from linuxguest import linux_config, linux_files, sh, wait_shell
from test_virtio_persist import (FILE_MIB, FS_MODULES, MiB, TEXT, WORD,
                                 assert_image_holds_the_files, pattern,
                                 run_ok)

DISK_MIB = 64
# drivers/nvme.c names the controller and namespace 1 once it is up.
CONTROLLER = (r"nvme [0-9a-f:.]+ \(1b36:0010\): model \"QEMU NVMe Ctrl\", "
              r"serial \"keel0\", firmware \"[^\"]*\", NVMe \d+\.\d+; "
              rf"namespace 1: {DISK_MIB * MiB // 512} LBAs of 512 bytes "
              rf"\({DISK_MIB} MiB\)")


def nvme_disk(img):
    """QEMU arguments for the machine's own NVMe controller."""
    return ["-drive", f"file={img},if=none,id=nv0,format=raw",
            "-device", "nvme,drive=nv0,serial=keel0"]


def tool(name):
    return shutil.which(name) or f"/usr/sbin/{name}"


def make_ext4(img, seed=None):
    """An ext4 image of DISK_MIB, made on the host (from folder seed)."""
    subprocess.run(["truncate", "-s", f"{DISK_MIB}M", str(img)], check=True)
    cmd = [tool("mke2fs"), "-q", "-F", "-t", "ext4", "-L", "keel-nvme"]
    if seed:
        cmd += ["-d", str(seed)]
    subprocess.run(cmd + [str(img), f"{DISK_MIB}M"], check=True)


def timed_mib_s(con, cmd, mib):
    """Run cmd in the guest and return mib / its wall time in MiB/s, as
    seen from the host (busybox's dd prints no rate); the round trip of an
    empty command is subtracted."""
    t0 = time.monotonic()
    run_ok(con, "true")
    t1 = time.monotonic()
    run_ok(con, cmd, timeout=300)
    t2 = time.monotonic()
    return mib / max((t2 - t1) - (t1 - t0), 0.001)


def test_ext4_on_nvme_survives_poweroff(boot, tmp_path):
    img = tmp_path / "nvme.img"
    make_ext4(img)
    cfg = linux_config(extra="device = virtio-blk-nvme:0\n")
    con = boot(cfg, linux_files(), extra=nvme_disk(img))
    con.expect(CONTROLLER + r"[^\r\n]*", timeout=120)
    print(con.child.after.strip())
    con.expect(r"virtio-blk NVMe controller 0: host NVMe namespace, "
               rf"{DISK_MIB * MiB // 512} sectors, read-write; persistent: "
               r"writes are kept, guest FLUSH reaches", timeout=30)
    wait_shell(con, timeout=300)

    for m in FS_MODULES:
        run_ok(con, f"insmod /lib/modules/{m}.ko")
    run_ok(con, "mkdir -p /mnt && mount -t ext4 /dev/vda /mnt")
    run_ok(con, f"yes '{WORD.decode().strip()}' | head -c {FILE_MIB * MiB}"
                " > /mnt/pattern", timeout=300)
    run_ok(con, f"echo '{TEXT}' > /mnt/hello.txt")
    out = run_ok(con, "sha256sum /mnt/pattern", timeout=300)
    assert hashlib.sha256(pattern()).hexdigest() in out
    # Throughput through Keel's NVMe path, for the record only (TCG).
    wr = timed_mib_s(con, "dd if=/dev/zero of=/mnt/zero bs=1M count=16 "
                          "conv=fsync 2>/dev/null", 16)
    run_ok(con, "sync && echo 3 > /proc/sys/vm/drop_caches")
    rd = timed_mib_s(con, "dd if=/dev/vda of=/dev/null bs=1M count=32 "
                          "2>/dev/null", 32)
    print(f"guest dd over virtio-blk-nvme (TCG): write {wr:.1f} MiB/s, "
          f"read {rd:.1f} MiB/s")
    run_ok(con, "rm /mnt/zero && sync && umount /mnt", timeout=300)
    con.sendline("poweroff")
    assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS

    assert_image_holds_the_files(img)


def test_read_only_nvme_refuses_writes(boot, tmp_path):
    """virtio-blk-nvme:0:ro: the guest's disk is read-only (VIRTIO_BLK_F_RO,
    /sys/block/vda/ro), a raw write fails, the files read back, and the
    host image is the same byte for byte afterwards."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "hello.txt").write_text(TEXT + "\n")
    img = tmp_path / "nvme-ro.img"
    make_ext4(img, seed)
    before = hashlib.sha256(img.read_bytes()).hexdigest()
    cfg = linux_config(extra="device = virtio-blk-nvme:0:ro\n")
    con = boot(cfg, linux_files(), extra=nvme_disk(img))
    con.expect(CONTROLLER, timeout=120)
    con.expect(r"virtio-blk NVMe controller 0: .*, read-only;", timeout=30)
    wait_shell(con, timeout=300)

    assert run_ok(con, "cat /sys/block/vda/ro").strip() == "1"
    out, status = sh(con, "dd if=/dev/zero of=/dev/vda bs=4096 count=1 "
                          "conv=fsync 2>&1", timeout=120)
    assert status != 0, f"a write to the read-only disk succeeded:\n{out}"
    for m in FS_MODULES:
        run_ok(con, f"insmod /lib/modules/{m}.ko")
    run_ok(con, "mkdir -p /mnt && mount -t ext4 -o ro /dev/vda /mnt")
    assert run_ok(con, "cat /mnt/hello.txt").strip() == TEXT
    out, status = sh(con, "echo no > /mnt/new.txt 2>&1")
    assert status != 0, out
    run_ok(con, "umount /mnt")
    con.sendline("poweroff")
    assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS
    assert hashlib.sha256(img.read_bytes()).hexdigest() == before


def test_missing_nvme_controller_is_an_error(boot, tmp_path):
    """No NVMe controller on the machine: the VM cannot be created, and the
    log says why (no hang, no silent in-memory fallback)."""
    cfg = linux_config(extra="device = virtio-blk-nvme:0\n")
    con = boot(cfg, linux_files())
    con.expect(re.escape("device virtio-blk-nvme: cannot create (ENODEV)"),
               timeout=120)
