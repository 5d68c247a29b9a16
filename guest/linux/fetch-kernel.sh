#!/bin/sh
# Fetch Debian's stock x86-64 kernel package (linux-image-6.1.0-<abi>-amd64-
# unsigned), extract it, and copy out the bzImage (unchanged) and the virtio
# modules the guest init loads.
#   usage: fetch-kernel.sh <outdir>
# Leaves <outdir>/vmlinuz, <outdir>/modules/*.ko, <outdir>/kernel-release.
# The .deb is cached in <outdir>/deb/; a cached one is used without asking
# apt again, so reruns work offline.
set -eu

out=$1
deb_dir=$out/deb
pkg_dir=$out/pkg
mod_dir=$out/modules
mkdir -p "$deb_dir"

# The modules /init loads; their dependencies were read from each module's
# .modinfo "depends=" line and must stay in sync with guest/linux/init.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci virtio_mmio virtio_blk failover net_failover virtio_net
virtio_console"
# Loaded not by /init but by the tests that mount a file system
# (test/boot/test_virtio_persist.py: ext2 through ext4.ko), in this order.
FS_MODULES="crc16 mbcache jbd2 crc32c_generic ext4"

deb=$(ls "$deb_dir"/linux-image-6.1.0-*-amd64-unsigned_*_amd64.deb 2>/dev/null \
      | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
    # linux-image-amd64 is the metapackage that depends on the current ABI.
    if ! apt-cache policy linux-image-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        echo "linux: apt lists are empty, running apt-get update" >&2
        apt-get update -q >&2
    fi
    image=$(apt-cache depends linux-image-amd64 2>/dev/null \
            | sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9][0-9]*-amd64\)$/\1/p' \
            | head -n 1)
    if [ -z "$image" ]; then
        echo "linux: cannot find the kernel ABI (apt-cache depends linux-image-amd64)" >&2
        exit 1
    fi
    echo "linux: downloading $image-unsigned" >&2
    # apt-get download writes into the current directory.
    (cd "$deb_dir" && apt-get download -q "$image-unsigned" >&2)
    deb=$(ls "$deb_dir"/"$image"-unsigned_*_amd64.deb | tail -n 1)
fi

rm -rf "$pkg_dir" "$mod_dir"
mkdir -p "$pkg_dir" "$mod_dir"
dpkg-deb -x "$deb" "$pkg_dir"

set -- "$pkg_dir"/boot/vmlinuz-*
if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then
    echo "linux: $deb holds no single boot/vmlinuz-*" >&2
    exit 1
fi
release=${1##*/vmlinuz-}

kdir=$pkg_dir/lib/modules/$release/kernel
for m in $MODULES $FS_MODULES; do
    f=$(find "$kdir" \( -name "$m.ko" -o -name "$m.ko.xz" \) | head -n 1)
    if [ -z "$f" ]; then
        echo "linux: warning: module $m not in the package" >&2
        continue
    fi
    case $f in
    # busybox insmod passes the file straight to init_module(), which does
    # not decompress, so store plain .ko files.
    *.xz) xz -dc "$f" > "$mod_dir/$m.ko" ;;
    *)    cp "$f" "$mod_dir/$m.ko" ;;
    esac
done
echo "$release" > "$out/kernel-release"

# Last, so that an interrupted run is retried: vmlinuz is the make target.
cp "$1" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "linux: $out/vmlinuz ($release, $(stat -c %s "$out/vmlinuz") bytes)" >&2
