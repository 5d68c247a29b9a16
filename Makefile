# Keel: build, run and test. `make run` and `make test` install missing
# Debian packages first (scripts/deps.sh). See README.md.

BUILD   ?= build
CC      := gcc
LD      := ld
NASM    := nasm
OBJCOPY := objcopy
PYTEST  := /usr/bin/python3 -m pytest

EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
# The hypervisor never uses SSE/x87, so guest FPU state stays in the
# registers across exits without being saved (docs/architecture.md).
HV_CFLAGS := -std=gnu11 -O2 -g $(WARN) -I. -I$(EFI_INC) -I$(EFI_INC)/x86_64 \
	-ffreestanding -fno-builtin -fpic -fshort-wchar -fno-stack-protector \
	-fno-strict-aliasing -mno-red-zone -mgeneral-regs-only -mno-sse -mno-mmx \
	-mno-80387 -DKEEL_HYPERVISOR
# -z defs: a shared object may otherwise link with undefined symbols that
# only fail (as a jump to nowhere) at run time.
HV_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -z defs -T linker.ld \
	-L$(EFI_LIB)

# Sources: every .c/.asm in these folders (one file per job; adding a file
# needs no Makefile change).
HV_DIRS := boot hv hv/core hv/exit hv/machine hv/debug arch/x86/svm arch/x86/vmx \
	hv/dev hv/virtio hv/net hv/loader hv/emulate hv/acpi arch/x86 drivers mm lib
HV_C    := $(foreach d,$(HV_DIRS),$(wildcard $(d)/*.c))
HV_ASM  := $(foreach d,$(HV_DIRS),$(wildcard $(d)/*.asm))
HV_OBJ  := $(HV_C:%.c=$(BUILD)/hv/%.o) $(HV_ASM:%.asm=$(BUILD)/hv/%.o) \
	$(BUILD)/hv/gen/console_font.o

# The screen console's font (docs/console.md): a PSF from Debian's
# console-setup-linux, turned into a C array at build time.
FONT ?= /usr/share/consolefonts/Lat15-VGA16.psf.gz

# Pure parts compiled for the Linux host (unit tests): hv/, mm/ and lib/ without
# the freestanding libc subset, the exception table hv/ names vectors by,
# SVM's choice of instruction-length/byte sources and its VMRUN checks
# (test_svm_assist, test_svm_check), the NVMe driver (test_nvme*.c; its
# PCI and MMIO hooks are weak stubs), the host LAPIC's register mapping and
# the pure console drivers (PSF font, framebuffer text console, scancodes).
HOST_C   := $(filter-out lib/string.c,$(filter hv/% mm/% lib/%,$(HV_C))) \
	arch/x86/exception.c arch/x86/svm/svm_assist.c \
	arch/x86/svm/svm_check.c drivers/nvme.c drivers/nvme_queue.c \
	drivers/lapic_regs.c drivers/acpi_host_madt.c drivers/psf.c drivers/fbcon.c drivers/scancode.c
HOST_OBJ := $(HOST_C:%.c=$(BUILD)/host/%.o)
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -DKEEL_HOST_TEST \
	-fsanitize=address,undefined -fno-omit-frame-pointer
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/unit/%)
# Shared test fixtures (test/unit/*.c other than tests and the stubs), in an
# archive so a test links only the ones it uses.
UNIT_FIX := $(filter-out $(UNIT_SRC) test/unit/host_stubs.c,$(wildcard test/unit/*.c))
UNIT_FIX_LIB := $(BUILD)/host/libfixtures.a

GUEST_ASM := $(wildcard guest/tests/*.asm)
GUEST_BIN := $(patsubst guest/tests/%.asm,$(BUILD)/guest/tests/%.elf,$(filter-out %-flat.asm,$(GUEST_ASM))) \
	$(patsubst guest/tests/%.asm,$(BUILD)/guest/tests/%.bin,$(filter %-flat.asm,$(GUEST_ASM)))

.PHONY: all deps run test unit bench clean guests linux usb
all: $(BUILD)/keel.efi guests

deps:
	@sh scripts/deps.sh

$(BUILD)/hv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/console_font.c: scripts/psf2c.py $(FONT)
	/usr/bin/python3 scripts/psf2c.py $(FONT) $@
$(BUILD)/hv/gen/console_font.o: $(BUILD)/gen/console_font.c
	@mkdir -p $(dir $@)
	$(CC) $(HV_CFLAGS) -c $< -o $@

$(BUILD)/hv/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -I. $< -o $@

$(BUILD)/keel.so: $(HV_OBJ) linker.ld
	$(LD) $(HV_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(HV_OBJ) -o $@ -lefi -lgnuefi

$(BUILD)/keel.efi: $(BUILD)/keel.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@
	@echo "keel.efi: $$(stat -c %s $@) bytes"

# Test guests: Multiboot ELF (*.asm) and flat binaries (*-flat.asm).
# One recipe for every Multiboot ELF guest (tests, hostile, labs).
define multiboot_elf
@mkdir -p $(dir $@)
$(NASM) -f elf32 -I guest/tests/ $< -o $(@:.elf=.o)
$(LD) -m elf_i386 --no-warn-rwx-segments -T guest/tests/guest.ld $(@:.elf=.o) -o $@
endef
guests: $(GUEST_BIN)
$(BUILD)/guest/tests/%.elf: guest/tests/%.asm guest/tests/lib.inc guest/tests/guest.ld
	$(multiboot_elf)
$(BUILD)/guest/tests/%.bin: guest/tests/%.asm guest/tests/lib.inc
	@mkdir -p $(dir $@)
	$(NASM) -f bin -I guest/tests/ $< -o $@

# Hostile guests (issue 11, test/boot/test_hostile.py): Multiboot ELF too.
# Those written in C (a driver is easier to read in C) are freestanding
# 32-bit objects linked with cstart.asm, lib.inc's start code; with
# -malign-double so 64-bit fields sit where the virtio structures of lib/
# put them (the i386 ABI would align them to 4).
HOSTILE_ASM := $(filter-out guest/hostile/cstart.asm,$(wildcard guest/hostile/*.asm))
HOSTILE_BIN := $(patsubst guest/hostile/%.asm,$(BUILD)/guest/hostile/%.elf,$(HOSTILE_ASM)) \
               $(patsubst guest/hostile/%.c,$(BUILD)/guest/hostile/%.elf,$(wildcard guest/hostile/*.c))
GUEST_CFLAGS := -m32 -malign-double -ffreestanding -fno-pic -fno-stack-protector -nostdlib \
                -O2 -Wall -Wextra -Werror -I.
guests: $(HOSTILE_BIN)
$(BUILD)/guest/hostile/%.elf: guest/hostile/%.asm guest/tests/lib.inc guest/tests/guest.ld
	$(multiboot_elf)
$(BUILD)/guest/hostile/%.elf: guest/hostile/%.c guest/hostile/cstart.asm guest/tests/lib.inc guest/tests/guest.ld lib/virtio_ring.h lib/virtio_spec.h
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -I guest/tests/ guest/hostile/cstart.asm -o $(@:.elf=.start.o)
	$(CC) $(GUEST_CFLAGS) -c $< -o $(@:.elf=.o)
	$(LD) -m elf_i386 --no-warn-rwx-segments -z noexecstack -T guest/tests/guest.ld $(@:.elf=.start.o) $(@:.elf=.o) -o $@

# Lab guests (docs/labs/): Multiboot ELF like the test guests.
LAB_BIN := $(patsubst guest/labs/%.asm,$(BUILD)/guest/labs/%.elf,$(wildcard guest/labs/*.asm))
guests: $(LAB_BIN)
$(BUILD)/guest/labs/%.elf: guest/labs/%.asm guest/tests/lib.inc guest/tests/guest.ld
	$(multiboot_elf)

# Host unit tests (cmocka).
$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/host/libkeel.a: $(HOST_OBJ)
	rm -f $@; ar rcs $@ $^
$(UNIT_FIX_LIB): $(UNIT_FIX:%.c=$(BUILD)/host/%.o)
	rm -f $@; ar rcs $@ $^
$(BUILD)/unit/%: test/unit/%.c test/unit/host_stubs.c $(wildcard test/unit/*.h) \
		$(UNIT_FIX_LIB) $(BUILD)/host/libkeel.a
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $< test/unit/host_stubs.c $(UNIT_FIX_LIB) \
		$(BUILD)/host/libkeel.a -lcmocka -lcapstone -o $@
unit: $(UNIT_BIN)

# Fuzzing (docs/fuzzing.md): libFuzzer targets test/fuzz/fuzz_*.c, built
# with clang against the same host sources as the unit tests (its own
# objects: the fuzzer's coverage instrumentation must be in the core too).
# `make fuzz` runs each for FUZZ_RUNS executions, one after another
# (FUZZ_TARGET=emulate: just one); `make fuzz-smoke` FUZZ_SECONDS each.
FUZZ_CC     := clang
FUZZ_RUNS   ?= 10000000
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -I. -DKEEL_HOST_TEST \
	-fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:test/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/libkeel.a: $(HOST_C:%.c=$(BUILD)/fuzz/obj/%.o)
	rm -f $@; ar rcs $@ $^
$(BUILD)/fuzz/%: test/fuzz/%.c test/fuzz/fuzz.h $(BUILD)/fuzz/obj/test/unit/host_stubs.o \
		$(BUILD)/fuzz/libkeel.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< \
		$(BUILD)/fuzz/obj/test/unit/host_stubs.o $(BUILD)/fuzz/libkeel.a -o $@
.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: $(FUZZ_BIN)
fuzz: deps fuzz-build
	@/usr/bin/python3 scripts/fuzz.py --runs $(FUZZ_RUNS) $(FUZZ_TARGET)
fuzz-smoke: deps fuzz-build
	@/usr/bin/python3 scripts/fuzz.py --seconds $(FUZZ_SECONDS) $(FUZZ_TARGET)

# The Linux guest (Debian's kernel + busybox initramfs), issue 3.
linux:
	@$(MAKE) -s -f guest/linux/linux.mk BUILD=$(BUILD)

# CONFIG=path/keel.cfg boots another configuration (default
# configs/default.cfg; docs/config.md, "make run").
run: deps all linux
	@sh scripts/run.sh $(if $(CONFIG),--config $(CONFIG))

# A USB stick image (docs/hardware.md): a GPT disk with one EFI System
# Partition laid out as make run's volume; USB_CONFIG=file puts another
# keel.cfg on it (default configs/minimal.cfg: Linux on the UART, no device
# that needs host hardware), USB_OUT=path writes it elsewhere.
USB_CONFIG ?= configs/minimal.cfg
USB_OUT    ?= $(BUILD)/keel-usb.img
usb: deps all linux
	@KEEL_BUILD=$(BUILD) /usr/bin/python3 scripts/usb.py \
		--config $(USB_CONFIG) --out $(USB_OUT)

# Two pytest workers (python3-pytest-xdist), one test file each at a time
# (--dist loadfile keeps a file's shared boots in one worker): the boots
# are single-threaded QEMU/Bochs, so two cores run two. With both cores
# busy by design, timeouts are stretched 2x unless KEEL_TIMEOUT_SCALE says
# otherwise (test/boot/console.py).
test: deps all unit linux fuzz-build
	@KEEL_TIMEOUT_SCALE=$${KEEL_TIMEOUT_SCALE:-2} $(PYTEST) -q -n 2 --durations=15 \
		--dist loadfile test/

# The same suite beside stress-ng on every CPU, waits stretched 3x
# (scripts/test-load.sh; README.md, Tests). ARGS=... narrows it.
.PHONY: test-load
test-load: deps all unit linux fuzz-build
	@sh scripts/test-load.sh $(ARGS)

# Speed: a quiet Linux boot and a workload bare (SeaBIOS, OVMF) and under
# Keel with Keel's exits and their cost, a fork loop on two vCPUs, CPUID
# exits in instructions under Bochs VMX and SVM, dd on virtio-blk and a
# 16 MiB HTTP fetch over virtio-net, side by side, then one table of
# every figure; then two Linux VMs running the same shell loop at once,
# time-sliced vs pinned (docs/bench.md).
bench: deps all linux
	@/usr/bin/python3 scripts/bench.py
	@/usr/bin/python3 scripts/bench_partitions.py

# Watching the hypervisor: QEMU's gdbstub with Keel's symbols placed where
# UEFI loaded it (docs/debugging.md); the exit trace of a Linux boot as a
# PNG, or of a console capture with LOG=file (docs/monitor.md).
.PHONY: debug trace-plot
debug: deps all linux
	@/usr/bin/python3 scripts/debug.py
trace-plot: deps all linux
	@/usr/bin/python3 scripts/trace_plot.py $(if $(LOG),--log $(LOG))

# Labs (docs/labs/README.md): `make handout LAB=n OUT=dir` writes the
# student tree; `make grade LAB=n` scores one lab (LAB=all: every lab).
.PHONY: handout grade
handout:
	@/usr/bin/python3 scripts/handout.py $(LAB) $(OUT)
# VENDOR=vmx boots the lab guests under Bochs VMX; FORMAT=gradescope|junit
# OUT=path also writes a course platform's report (docs/labs/README.md).
grade:
	@/usr/bin/python3 test/labs/grade.py --build $(LAB) \
		$(if $(VENDOR),--vendor $(VENDOR)) \
		$(if $(FORMAT),--format $(FORMAT)) $(if $(OUT),--out $(OUT))

clean:
	rm -rf $(BUILD)

# -type f: the guest's initramfs tree holds an etc/init.d folder.
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
