/* Keel's own console: what Keel and the guests print goes to the serial
 * port (COM1, when the machine has one) and to the screen (the UEFI GOP
 * framebuffer, once console_screen_start has taken it); typed bytes come
 * from the serial port, then the PS/2 keyboard. Without a serial port the
 * screen and the keyboard are the console. See docs/console.md. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include "drivers/fbcon.h"
#include "lib/types.h"

/* Draw the console on fb from now on, in the font built into Keel (a PSF
 * from Debian's console-setup, converted at build time; Makefile FONT).
 * Clears the screen. Returns 0, or -EINVAL when fb is not a framebuffer
 * fbcon can draw on (drivers/fbcon.h) or the built-in font does not parse;
 * then output stays on the serial port alone. Call once, after
 * ExitBootServices (before it the firmware owns the screen). */
int console_screen_start(const struct fb_info *fb);

/* Around the switch to Keel's own page tables (platform_init): a
 * framebuffer above 4 GiB (a 64-bit BAR) is not in Keel's identity map
 * until console_screen_map maps it (uncached, arch_map_mmio), so between
 * console_screen_hold and console_screen_map its text is kept (up to 2 KiB)
 * and drawn afterwards. Below 4 GiB both do nothing: the identity map has
 * it. console_screen_map panics when the mapping fails (drawing would
 * fault). Neither does anything without a screen. */
void console_screen_hold(void);
void console_screen_map(void);

/* The screen's size in cells (0 x 0 before console_screen_start). */
void console_screen_size(unsigned *cols, unsigned *rows);

/* Write n bytes of Keel's text: serial (LF sent as CR LF) and screen. */
void console_write(const char *s, size_t n);

/* Write n bytes unchanged (guest output, which has its own CR LF): serial
 * and screen. */
void console_write_raw(const char *s, size_t n);

/* Write n bytes to the screen only (text the serial port already had:
 * the boot messages printed before ExitBootServices). */
void console_write_screen(const char *s, size_t n);

/* Draw what a burst of scrolling output left undrawn on the screen
 * (drivers/fbcon.h, stale): writes redraw the screen at most 20 times a
 * second. Called when Keel idles or waits, and before it stops. */
void console_screen_flush(void);

/* The next typed byte: from the serial port if one is waiting there,
 * else from the PS/2 keyboard (drivers/i8042.h, which must have been
 * started by i8042_init); -1 when none is waiting. */
int console_getc(void);

#endif
