#!/bin/sh
# Build the guest initramfs: a gzip-compressed newc cpio holding busybox
# (static), /init, the files under <rootfs> (/etc/inittab, /etc/init.d/...)
# and the modules fetch-kernel.sh left in <outdir>/modules.
#   usage: mkinitrd.sh <outdir> <init script> <busybox binary> <rootfs dir>
# Every file is owned by root in the archive; timestamps are cleared so the
# same inputs give the same bytes.
set -eu

out=$1
init=$2
busybox=$3
rootfs=$4
root=$out/initrd-root

if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    # `file` may be missing; only refuse when it positively says dynamic.
    if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
        echo "linux: $busybox is not static (install busybox-static)" >&2
        exit 1
    fi
fi

rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
         "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root" \
         "$root/lib/modules"
cp "$busybox" "$root/bin/busybox"
cp -R "$rootfs"/. "$root/"
mkdir -p "$root/mnt" "$root/var" "$root/run"
ln -s busybox "$root/bin/sh"
cp "$init" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
if ls "$out"/modules/*.ko >/dev/null 2>&1; then
    cp "$out"/modules/*.ko "$root/lib/modules/"
fi

# No /dev/console here: the kernel's built-in initramfs (usr/default_cpio_list)
# already holds it, and ours is unpacked on top.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort \
    | cpio --quiet -o -H newc --owner=0:0 --reproducible) \
    | gzip -9 -n > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "linux: $out/initrd.img ($(stat -c %s "$out/initrd.img") bytes)" >&2
