"""The persistent virtio-blk back end (issue 5): Keel drives the outer
QEMU's virtio-blk-pci device (modern only, disable-legacy=on) backed by a
host image file and serves it to the guest as its virtio-blk disk
(`device = virtio-blk-host:0`). The guest makes an ext2 file system on
/dev/vda, writes files, syncs, unmounts and powers off; the test then reads
the host image with Debian's e2fsprogs: nothing may be lost.

Needs `make linux` (build/linux/vmlinuz, initrd.img with ext4.ko and its
dependencies) and e2fsprogs on the host (debugfs, e2fsck).
"""
import hashlib
import re
import shutil
import subprocess

import keelrun
from linuxguest import linux_config, linux_files, sh, wait_shell

MiB = 1 << 20
FILE_MIB = 4
WORD = b"keel-persistent-0123456789\n"
TEXT = "written by the guest through Keel"
FS_MODULES = ("crc16", "mbcache", "jbd2", "crc32c_generic", "ext4")


def host_disk(img):
    """QEMU arguments for the machine's own virtio-blk-pci device."""
    return ["-drive", f"file={img},if=none,format=raw,id=hd1",
            "-device", "virtio-blk-pci,drive=hd1,disable-legacy=on"]


def pattern():
    n = FILE_MIB * MiB
    return (WORD * (n // len(WORD) + 1))[:n]


def run_ok(con, cmd, timeout=120):
    out, status = sh(con, cmd, timeout)
    assert status == 0, f"{cmd!r} failed ({status}):\n{out}"
    return out


def debugfs_cat(img, path):
    r = subprocess.run([shutil.which("debugfs") or "/usr/sbin/debugfs",
                        "-R", f"cat {path}", str(img)],
                       capture_output=True, check=True)
    return r.stdout


def assert_image_holds_the_files(img):
    """The host image, read without Keel: e2fsck -fn finds it clean and
    both files the guest wrote are there byte for byte."""
    fsck = subprocess.run([shutil.which("e2fsck") or "/usr/sbin/e2fsck",
                           "-fn", str(img)], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert debugfs_cat(img, "/hello.txt").decode() == TEXT + "\n"
    data = debugfs_cat(img, "/pattern")
    assert len(data) == FILE_MIB * MiB
    assert data == pattern()


def test_ext2_survives_poweroff(boot, tmp_path):
    img = tmp_path / "persist.img"
    subprocess.run(["truncate", "-s", "64M", str(img)], check=True)
    cfg = linux_config(extra="device = virtio-blk-host:0\n")
    con = boot(cfg, linux_files(), extra=host_disk(img))
    con.expect(r"virtio-blk host device 0: .*persistent: writes are kept, "
               r"guest FLUSH reaches", timeout=120)
    wait_shell(con, timeout=300)

    for m in FS_MODULES:
        run_ok(con, f"insmod /lib/modules/{m}.ko")
    run_ok(con, "busybox mke2fs /dev/vda", timeout=300)
    run_ok(con, "mkdir -p /mnt && mount -t ext2 /dev/vda /mnt")
    run_ok(con, f"yes '{WORD.decode().strip()}' | head -c {FILE_MIB * MiB}"
                " > /mnt/pattern", timeout=300)
    run_ok(con, f"echo '{TEXT}' > /mnt/hello.txt")
    out = run_ok(con, "sha256sum /mnt/pattern", timeout=300)
    assert hashlib.sha256(pattern()).hexdigest() in out
    run_ok(con, "sync && umount /mnt", timeout=300)
    con.sendline("poweroff")
    assert con.wait_exit(timeout=120) == keelrun.EXIT_PASS

    assert_image_holds_the_files(img)


def test_missing_host_device_is_an_error(boot, tmp_path):
    """No virtio-blk-pci on the machine: the VM cannot be created, and the
    log says why (no hang, no silent in-memory fallback)."""
    cfg = linux_config(extra="device = virtio-blk-host:0\n")
    con = boot(cfg, linux_files())
    con.expect(re.escape("device virtio-blk-host: cannot create"),
               timeout=120)
