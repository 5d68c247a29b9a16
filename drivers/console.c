/* Keel's console: serial port and screen out, serial port and keyboard in
 * (drivers/console.h). */
#include "arch/x86/cpu.h"
#include "drivers/console.h"
#include "drivers/i8042.h"
#include "drivers/psf.h"
#include "drivers/serial.h"
#include "drivers/timer.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"

/* The font: the bytes of a gunzipped PSF file, written at build time by
 * scripts/psf2c.py into $(BUILD)/gen/console_font.c (Makefile FONT). */
extern const uint8_t console_font_psf[];
extern const size_t console_font_psf_size;

static struct psf_font font;
static struct fbcon screen;
static bool screen_on;
static bool held;               /* console_screen_hold .. _map */
static char held_text[2048];
static size_t held_len;
/* During a burst of scrolling lines the screen is redrawn at most this
 * many times a second (fbcon.h, stale); console_screen_flush draws the
 * rest when the burst is over. */
#define SCREEN_REDRAWS_PER_S 20
static uint64_t last_redraw_tsc;

static bool above_4g(void)
{
    hpa_t base = (hpa_t)(uintptr_t)screen.fb.base;
    return base + (uint64_t)screen.fb.stride * screen.fb.height * 4 > GiB(4);
}

int console_screen_start(const struct fb_info *fb)
{
    int err = psf_parse(&font, console_font_psf, console_font_psf_size);
    if (!err)
        err = fbcon_init(&screen, fb, &font);
    screen_on = !err;
    return err;
}

void console_screen_hold(void)
{
    held = screen_on && above_4g();
}

void console_screen_map(void)
{
    if (!held)
        return;
    hpa_t base = (hpa_t)(uintptr_t)screen.fb.base;
    if (arch_map_mmio(base, (uint64_t)screen.fb.stride * screen.fb.height * 4))
        panic("cannot map the framebuffer at %#llx",
              (unsigned long long)base);
    held = false;
    console_write_screen(held_text, held_len);
    held_len = 0;
}

void console_screen_size(unsigned *cols, unsigned *rows)
{
    *cols = screen_on ? screen.cols : 0;
    *rows = screen_on ? screen.rows : 0;
}

void console_write_screen(const char *s, size_t n)
{
    if (!screen_on)
        return;
    if (held) {
        size_t keep = MIN(n, sizeof(held_text) - held_len);
        memcpy(held_text + held_len, s, keep);
        held_len += keep;
        return;
    }
    fbcon_write(&screen, s, n);
    if (fbcon_stale(&screen)) {
        /* Before the TSC is calibrated (early boot, a few lines) every
         * write is drawn at once. */
        uint64_t hz = timer_tsc_hz();
        if (!hz || timer_rdtsc() - last_redraw_tsc >= hz / SCREEN_REDRAWS_PER_S)
            console_screen_flush();
    }
}

void console_screen_flush(void)
{
    if (screen_on && !held && fbcon_stale(&screen)) {
        fbcon_flush(&screen);
        last_redraw_tsc = timer_rdtsc();
    }
}

void console_write(const char *s, size_t n)
{
    serial_write(s, n);
    console_write_screen(s, n);
}

void console_write_raw(const char *s, size_t n)
{
    serial_write_raw(s, n);
    console_write_screen(s, n);
}

int console_getc(void)
{
    int c = serial_getc();
    return c >= 0 ? c : i8042_getc();
}
