/* The platform functions (hv/platform.h) and kzalloc (hv/heap.h) for host
 * unit tests: the console is stdout, time is a variable the test moves. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "hv/heap.h"
#include "hv/platform.h"
#include "test/unit/host_stubs.h"

uint64_t stub_now_ns;
uint64_t stub_tsc_hz = 1000000000ULL; /* 1 GHz: one tick per nanosecond */
uint64_t stub_wall_seconds = 1700000000ULL;

void console_write(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
void console_write_raw(const char *s, size_t n) { fwrite(s, 1, n, stdout); }
const uint8_t *stub_console_in;    /* console_getc() returns these */
size_t stub_console_in_len, stub_console_in_pos;
int console_getc(void)
{
    if (stub_console_in_pos >= stub_console_in_len)
        return -1;
    return stub_console_in[stub_console_in_pos++];
}
uint64_t platform_now_ns(void) { return stub_now_ns; }
uint64_t platform_tsc_hz(void) { return stub_tsc_hz; }
uint64_t platform_rdtsc(void) { return stub_now_ns * (stub_tsc_hz / 1000000000ULL); }
uint64_t platform_wall_seconds(void) { return stub_wall_seconds; }

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

void *kzalloc(size_t size) { return calloc(1, size); }

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
