#!/bin/sh
# Install the Debian packages Keel needs to build, run and test, when missing.
# Idempotent and quiet when everything is present. Needs root (or sudo) only
# when something is missing.
set -eu

PKGS="gcc make binutils gnu-efi nasm ovmf qemu-system-x86 bochs bochs-term bochsbios vgabios
busybox-static mtools dosfstools gdisk e2fsprogs cpio gzip xz-utils
libcmocka-dev libcapstone-dev python3 python3-pytest python3-pytest-xdist python3-pexpect gdb gnuplot-nox
stress-ng python3-junitparser clang libfuzzer-14-dev
console-setup-linux tesseract-ocr tesseract-ocr-eng python3-pil"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
