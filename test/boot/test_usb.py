"""make usb (issue 14): the image is a GPT disk with one EFI System
Partition laid out as make run's volume, and it boots as a USB stick.

test_make_usb_boots_as_a_stick: `make usb` (default configuration,
configs/minimal.cfg) writes the image; QEMU TCG + OVMF with the image as
usb-storage on an xHCI controller and no other disk shows OVMF starting
the USB drive, Keel's banner on the serial console, then the Linux
guest's shell, which answers a command; `poweroff` ends QEMU with status 0.

test_make_usb_layout_with_usb_config: `make usb USB_CONFIG=file` puts that
file on the partition as EFI/keel/keel.cfg, byte for byte, beside
BOOTX64.EFI and the files it names; the partition table holds one EF00
partition at LBA 2048 whose FAT boot sector counts 2048 hidden sectors.
No boot: the first test boots the same layout."""
import os
import re
import subprocess
import time

import keelrun
from console import Console
from linuxguest import sh, wait_shell

MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")


def make_usb(out, config=None):
    cmd = ["make", "-s", "usb", f"USB_OUT={out}"]
    if config:
        cmd.append(f"USB_CONFIG={config}")
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=keelrun.ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"keel: wrote {out}" in r.stdout, r.stdout
    print(f"\nmake usb: {time.monotonic() - start:.1f} s")
    return r.stdout


def esp(img):
    """The image's EFI System Partition as an mtools drive (image@@offset)."""
    return f"{img}@@{keelrun.ESP_FIRST_LBA * keelrun.SECTOR}"


def test_make_usb_boots_as_a_stick(tmp_path):
    img = tmp_path / "keel-usb.img"
    make_usb(img)
    con = Console(keelrun.usb_command(img, tmp_path), cwd=tmp_path)
    try:
        start = time.monotonic()
        con.expect(r"BdsDxe: starting Boot\w+ \"[^\"]*USB[^\"]*\"",
                   timeout=120)
        con.expect(r"keel: Keel hypervisor, image at", timeout=60)
        banner = time.monotonic() - start
        con.expect(r"keel: vm linux: loaded \\EFI\\keel\\vmlinuz", timeout=60)
        wait_shell(con, timeout=300)
        shell = time.monotonic() - start
        print(f"usb boot: Keel's banner {banner:.1f} s, guest shell "
              f"{shell:.1f} s after QEMU started")
        out, rc = sh(con, "echo usb-$((6 * 7)); cat /proc/cmdline")
        assert rc == 0, out
        assert "usb-42" in out.split(), out
        assert "console=ttyS0" in out, out
        con.sendline("poweroff")
        con.expect(r"keel: vm linux: ended \(power-off\)", timeout=120)
        assert con.wait_exit(timeout=60) == 0, con.tail()
    finally:
        con.kill()


def test_make_usb_layout_with_usb_config(tmp_path):
    cfg = tmp_path / "stick.cfg"
    cfg.write_text("# a test configuration\n[keel]\nlog = debug\n\n"
                   "[vm hello]\nmemory = 16M\nformat = multiboot\n"
                   "kernel = \\EFI\\keel\\uart.elf\n")
    img = tmp_path / "keel-usb.img"
    make_usb(img, cfg)

    table = subprocess.run(["sgdisk", "--print", str(img)],
                           capture_output=True, text=True, check=True).stdout
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+(\w+)", table,
                      re.M)
    assert len(rows) == 1, table
    number, first, last, code = rows[0]
    assert (number, int(first), code) == ("1", keelrun.ESP_FIRST_LBA,
                                          "EF00"), table
    with open(img, "rb") as f:
        f.seek(int(first) * keelrun.SECTOR)
        boot = f.read(keelrun.SECTOR)
    assert boot[510:512] == b"\x55\xaa", boot[:16]
    assert boot[82:90] == b"FAT32   ", boot[82:90]           # BS_FilSysType
    assert int.from_bytes(boot[28:32], "little") == keelrun.ESP_FIRST_LBA

    ls = subprocess.run(["mdir", "-/", "-b", "-i", esp(img), "::/"],
                        capture_output=True, text=True, env=MTOOLS_ENV,
                        check=True).stdout.split()
    ls = [x for x in ls if not x.endswith("/")]          # folders
    assert sorted(ls) == ["::/EFI/BOOT/BOOTX64.EFI", "::/EFI/keel/keel.cfg",
                          "::/EFI/keel/uart.elf"], ls
    got = subprocess.run(["mtype", "-i", esp(img), "::/EFI/keel/keel.cfg"],
                         capture_output=True, env=MTOOLS_ENV,
                         check=True).stdout
    assert got == cfg.read_bytes()
    efi = subprocess.run(["mtype", "-i", esp(img),
                          "::/EFI/BOOT/BOOTX64.EFI"],
                         capture_output=True, env=MTOOLS_ENV,
                         check=True).stdout
    assert efi == (keelrun.BUILD / "keel.efi").read_bytes()
