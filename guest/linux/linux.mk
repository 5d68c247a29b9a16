# The Linux guest image: Debian's stock kernel (byte-for-byte) and a small
# busybox initramfs. Run from the repository root:
#     make -f guest/linux/linux.mk BUILD=build
# Outputs: $(BUILD)/linux/vmlinuz and $(BUILD)/linux/initrd.img.
# Reruns do nothing while the outputs are newer than their inputs; the
# downloaded .deb stays cached in $(BUILD)/linux/deb/ so a rebuild of the
# initramfs needs no network. See docs/linux-guest.md.

BUILD   ?= build
OUT     := $(BUILD)/linux
HERE    := guest/linux
BUSYBOX ?= /bin/busybox

.PHONY: all clean-linux
all: $(OUT)/vmlinuz $(OUT)/initrd.img

# Fetch + extract: also leaves the modules in $(OUT)/modules/.
$(OUT)/vmlinuz: $(HERE)/fetch-kernel.sh
	@sh $(HERE)/fetch-kernel.sh $(OUT)

ROOTFS  := $(HERE)/rootfs
ROOTFS_FILES := $(shell find $(ROOTFS) -type f)
$(OUT)/initrd.img: $(OUT)/vmlinuz $(HERE)/init $(HERE)/mkinitrd.sh $(BUSYBOX) \
		$(ROOTFS_FILES)
	@sh $(HERE)/mkinitrd.sh $(OUT) $(HERE)/init $(BUSYBOX) $(ROOTFS)

clean-linux:
	rm -rf $(OUT)/vmlinuz $(OUT)/initrd.img $(OUT)/modules $(OUT)/initrd-root \
		$(OUT)/pkg
