#!/bin/sh
# Smoke test of Keel's Linux loader and ACPI tables without the hypervisor:
# mkimage runs hv/loader/linux.c and hv/acpi/ on the host, a Multiboot stub
# (stub.asm) copies the result into a QEMU TCG guest and enters the kernel
# in the exact 64-bit state linux_load() produced. Passes when the Debian
# kernel reaches the initramfs banner.
#   usage: guest/linux/smoke/run.sh [BUILD]     (from the repository root)
set -eu
build=${1:-build}
out=$build/linux/smoke
here=guest/linux/smoke
make -s -f guest/linux/linux.mk BUILD="$build"
mkdir -p "$out"
gcc -std=gnu11 -O1 -Wall -Wextra -Werror -I. -DKEEL_HOST_TEST -o "$out/mkimage" \
    $here/mkimage.c hv/loader/linux.c hv/acpi/acpi.c hv/acpi/aml.c hv/acpi/acpi_dsdt.c \
    mm/guest_mem.c lib/printf.c
nasm -f elf32 $here/stub.asm -o "$out/stub.o"
ld -m elf_i386 --no-warn-rwx-segments -T $here/stub.ld "$out/stub.o" -o "$out/stub.elf"
mods=$("$out/mkimage" "$build/linux/vmlinuz" "$build/linux/initrd.img" "$out" | paste -sd, -)
timeout 120 qemu-system-x86_64 -accel tcg -m 512 -kernel "$out/stub.elf" \
    -initrd "$mods" -display none -serial stdio -no-reboot </dev/null \
    > "$out/serial.log" 2>&1 &
qemu=$!
for _ in $(seq 120); do
    if grep -q KEEL-GUEST-READY "$out/serial.log"; then
        kill "$qemu" 2>/dev/null || true
        grep -E 'ACPI: (RSDP|XSDT|FACP|DSDT|APIC)|ttyS0 at|KEEL-GUEST-READY' "$out/serial.log"
        echo "smoke: PASS"
        exit 0
    fi
    kill -0 "$qemu" 2>/dev/null || break
    sleep 1
done
kill "$qemu" 2>/dev/null || true
tail -30 "$out/serial.log"
echo "smoke: FAIL (no KEEL-GUEST-READY; log in $out/serial.log)"
exit 1
