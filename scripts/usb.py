#!/usr/bin/env python3
"""make usb: write a USB stick image, a GPT disk with one EFI System
Partition holding Keel (EFI/BOOT/BOOTX64.EFI), its keel.cfg
(EFI/keel/keel.cfg) and the files the configuration names, laid out as
`make run` lays out its volume (test/boot/keelrun.py, make_esp). See
docs/hardware.md for writing it to a stick.

Usage: scripts/usb.py [--config keel.cfg] [--out build/keel-usb.img]
Exit status 0, or 2 with one line naming what is missing."""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test" / "boot"))
import keelrun  # noqa: E402

# Devices of keel.cfg that need something on the host machine besides the
# CPU: on a PC they need that hardware (docs/hardware.md).
HOST_DEVICES = {"virtio-net": "an Intel e1000 NIC as the uplink",
                "virtio-blk-host": "a virtio-blk PCI disk"}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write Keel's USB stick image")
    ap.add_argument("--config", default=str(keelrun.ROOT / "configs" /
                                            "minimal.cfg"),
                    help="the keel.cfg to put on it (default: %(default)s)")
    ap.add_argument("--out", default=str(keelrun.BUILD / "keel-usb.img"),
                    help="the image to write (default: %(default)s)")
    args = ap.parse_args(argv)
    try:
        machine = keelrun.Machine(args.config)
    except keelrun.ConfigError as e:
        print(f"keel: make usb: {e}")
        return 2
    if not (keelrun.BUILD / "keel.efi").is_file():
        print(f"keel: make usb: no {keelrun.BUILD / 'keel.efi'} (make all)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="keel-usb-"))
    try:
        out = keelrun.make_usb_image(work, machine.cfg_text, machine.files,
                                     args.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"keel: wrote {out} ({out.stat().st_size >> 20} MiB, GPT, one EFI "
          f"System Partition) with {args.config}")
    for key, value in machine._settings():
        dtype = value.split(":")[0].strip()
        if key == "device" and dtype in HOST_DEVICES:
            print(f"keel:   note: device = {value} needs "
                  f"{HOST_DEVICES[dtype]} on the machine")
    print("keel:   to write it to a stick see docs/hardware.md (check the "
          "device with lsblk first)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
