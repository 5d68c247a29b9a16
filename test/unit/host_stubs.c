/* What the hypervisor gets from the machine, for host unit tests: the
 * console (drivers/serial.h) is stdout or a capture buffer, console input a
 * script the test sets, time (drivers/timer.h) a variable the test moves,
 * CPUID a fixed AMD-like CPU (arch/x86/platform.h), kzalloc (mm/heap.h)
 * calloc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "arch/x86/dreg.h"
#include "arch/x86/fpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "drivers/lapic_timer.h"
#include "drivers/console.h"
#include "drivers/serial.h"
#include "drivers/timer.h"
#include "drivers/hostpci.h"
#include "drivers/virtio_blk_host.h"
#include "hv/core/vendor.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/heap.h"
#include "test/unit/host_stubs.h"

uint64_t stub_now_ns;
uint64_t stub_tsc_hz = 1000000000ULL; /* 1 GHz: one tick per nanosecond */
uint64_t stub_wall_seconds = 1700000000ULL;

/* Console output: appended to the capture buffer between
 * stub_capture_begin() and stub_capture_end(), else stdout. */
static char *capture;
static size_t capture_len, capture_cap;
static bool capturing;

void stub_capture_begin(void)
{
    capture_len = 0;
    capturing = true;
    if (capture)
        capture[0] = '\0';
}

const char *stub_capture_end(void)
{
    capturing = false;
    return capture ? capture : "";
}

void serial_write(const char *s, size_t n)
{
    if (!capturing) {
        fwrite(s, 1, n, stdout);
        return;
    }
    if (capture_len + n + 1 > capture_cap) {
        capture_cap = (capture_len + n + 1) * 2;
        capture = realloc(capture, capture_cap);
        if (!capture)
            abort();
    }
    memcpy(capture + capture_len, s, n);
    capture_len += n;
    capture[capture_len] = '\0';
}
void serial_write_raw(const char *s, size_t n) { serial_write(s, n); }

/* Keel's console (drivers/console.h) is the serial stub: the screen is not
 * there in host tests. */
void console_write(const char *s, size_t n) { serial_write(s, n); }
void console_write_raw(const char *s, size_t n) { serial_write(s, n); }
void console_screen_flush(void) {}

/* Console input: the bytes of stub_console_input(), then -1 ("nothing
 * waiting"). A reader that polls on after its script ran out (the
 * monitor's line editor busy-waits) would hang the test: abort instead. */
const uint8_t *stub_console_in;
size_t stub_console_in_len, stub_console_in_pos;
static unsigned long idle_polls;

void stub_console_input(const char *s)
{
    stub_console_in = (const uint8_t *)s;
    stub_console_in_len = strlen(s);
    stub_console_in_pos = 0;
    idle_polls = 0;
}

int serial_getc(void)
{
    if (stub_console_in_pos < stub_console_in_len) {
        idle_polls = 0;
        return stub_console_in[stub_console_in_pos++];
    }
    if (++idle_polls > 1000000) {
        fprintf(stderr, "serial_getc() polled after the script ended\n");
        abort();
    }
    return -1;
}
int console_getc(void) { return serial_getc(); }
void (*stub_timer_hook)(void);
uint64_t timer_now_ns(void)
{
    if (stub_timer_hook)
        stub_timer_hook();
    return stub_now_ns;
}
uint64_t timer_tsc_hz(void) { return stub_tsc_hz; }
uint64_t timer_rdtsc(void) { return stub_now_ns * (stub_tsc_hz / 1000000000ULL); }
uint64_t stub_tsc_at_boot;
uint64_t timer_tsc_at_boot(void) { return stub_tsc_at_boot; }
uint64_t timer_wall_seconds(void) { return stub_wall_seconds; }

void platform_halt(void)
{
    fprintf(stderr, "platform_halt() called in a unit test\n");
    abort();
}

void platform_poweroff(int status)
{
    fprintf(stderr, "platform_poweroff(%d) called in a unit test\n", status);
    abort();
}

void platform_fatal(void)
{
    fprintf(stderr, "panic in a unit test\n");
    abort();
}

/* kzalloc: calloc, counted, never freed by Keel (as mm/heap.c). */
uint64_t stub_kzalloc_bytes;
void *kzalloc(size_t size)
{
    stub_kzalloc_bytes += size;
    return calloc(1, size);
}

/* The log's sink is the stub console, as hv's boot path sets it. */
__attribute__((constructor)) static void stub_log_output(void)
{
    log_set_output(serial_write);
}

/* Linked in with the run loop and the VM builder but never reached by the
 * host tests: calling one is a test bug. */
static void unreachable(const char *what)
{
    fprintf(stderr, "%s called in a unit test\n", what);
    abort();
}
int platform_xsetbv(uint32_t index, uint64_t value)
{
    (void)index, (void)value;
    unreachable("platform_xsetbv");
    return -1;
}
void lapic_timer_arm(uint64_t deadline_ns) { (void)deadline_ns; }
void lapic_timer_idle(void) { unreachable("lapic_timer_idle"); }

/* arch/x86/percpu.h: the tests run on the boot CPU alone. */
unsigned percpu_index(void) { return 0; }
void percpu_kick(unsigned index) { (void)index; }
uint64_t percpu_online_mask(void) { return 1; }
size_t fpu_area_size(void) { return 4096; }
void fpu_init_area(void *area, uint64_t *xcr0)
{
    (void)area;
    *xcr0 = 1;
}
void fpu_switch(void *save, uint64_t *save_xcr0, const void *load,
                         uint64_t load_xcr0)
{
    (void)save, (void)save_xcr0, (void)load, (void)load_xcr0;
}
void dreg_init_state(struct dreg_state *d)
{
    *d = (struct dreg_state){ .dr6 = 0xffff0ff0 };
}
void dreg_switch(struct dreg_state *save, const struct dreg_state *load)
{
    (void)save, (void)load;
}
int virtio_blk_host_init(struct virtio_blk_host *h, unsigned index)
{
    (void)h, (void)index;
    return -ENODEV;   /* no host disk */
}
int virtio_blk_host_rw(struct virtio_blk_host *h, bool write,
                       uint64_t sector, void *buf, uint64_t len)
{
    (void)h, (void)write, (void)sector, (void)buf, (void)len;
    unreachable("virtio_blk_host_rw");
    return -1;
}
int virtio_blk_host_rwv(struct virtio_blk_host *h, bool write,
                        uint64_t sector, const struct vblk_host_seg *segs,
                        unsigned n)
{
    (void)h, (void)write, (void)sector, (void)segs, (void)n;
    unreachable("virtio_blk_host_rwv");
    return -1;
}
int virtio_blk_host_flush(struct virtio_blk_host *h)
{
    (void)h;
    unreachable("virtio_blk_host_flush");
    return -1;
}

/* The host's PCI bus has no functions; weak, so a test with a fake
 * device (test_nvme_ctrl.c) brings its own. */
__attribute__((weak)) int hostpci_find_class(uint8_t class_code,
                                             uint8_t subclass,
                                             uint8_t prog_if, unsigned index,
                                             struct hostpci_dev *out)
{
    (void)class_code, (void)subclass, (void)prog_if, (void)index, (void)out;
    return -ENODEV;
}
__attribute__((weak)) uint64_t hostpci_bar(const struct hostpci_dev *d,
                                           unsigned bar, uint64_t *size,
                                           bool *is_io)
{
    (void)d, (void)bar, (void)size, (void)is_io;
    unreachable("hostpci_bar");
    return 0;
}
__attribute__((weak)) void hostpci_enable(const struct hostpci_dev *d)
{
    (void)d;
}
__attribute__((weak)) int arch_map_mmio(hpa_t base, uint64_t size)
{
    (void)base, (void)size;
    return 0;
}

/* A fixed CPU for CPUID policy tests: an AMD family 17h-like host. */
void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    (void)subleaf;
    out[0] = out[1] = out[2] = out[3] = 0;
    if (leaf == 0) { out[0] = 0xd; out[1] = 0x68747541; out[2] = 0x444d4163; out[3] = 0x69746e65; }
    else if (leaf == 1) { out[0] = 0x00800f12; out[2] = 0x7ed8320b; out[3] = 0x178bfbff; }
    else if (leaf == 0x80000000) out[0] = 0x8000001f;
    else if (leaf == 0x80000001) { out[2] = 0x35c233ff; out[3] = 0x2fd3fbff; }
}

/* The vendor tables hv/core/vendor.c names, for tests that reach it only
 * through vcpu.c and select no vendor; weak, so the fake vendor
 * (fake_vm.c) and test_machine_reset.c bring their own. */
__attribute__((weak)) const struct vendor_ops svm_ops;
__attribute__((weak)) const struct vendor_ops vmx_ops;
