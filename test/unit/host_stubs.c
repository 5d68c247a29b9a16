/* What the hypervisor gets from the machine, for host unit tests: the
 * console (drivers/serial.h) is stdout, time (drivers/timer.h) is a variable
 * the test moves, CPUID is a fixed AMD-like CPU (arch/x86/platform.h), and
 * kzalloc (mm/heap.h) is calloc. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/log.h"
#include "mm/heap.h"
#include "drivers/serial.h"
#include "drivers/timer.h"
#include "arch/x86/platform.h"
#include "test/unit/host_stubs.h"

uint64_t stub_now_ns;
uint64_t stub_tsc_hz = 1000000000ULL; /* 1 GHz: one tick per nanosecond */
uint64_t stub_wall_seconds = 1700000000ULL;

void serial_write(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
void serial_write_raw(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
int serial_getc(void) { return -1; }
uint64_t timer_now_ns(void) { return stub_now_ns; }
uint64_t timer_tsc_hz(void) { return stub_tsc_hz; }
uint64_t timer_rdtsc(void) { return stub_now_ns * (stub_tsc_hz / 1000000000ULL); }
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
