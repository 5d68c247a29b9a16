/* A text console drawn on a linear framebuffer (the one UEFI's Graphics
 * Output Protocol describes before ExitBootServices): a grid of character
 * cells in a PSF font, written left to right, wrapped at the right edge
 * and scrolled up a line at the bottom. Understands LF, CR, BS, TAB and the
 * few ANSI/VT100 sequences a shell's line editor sends (ESC [ n C/D/K/J/H);
 * other sequences are swallowed. The cursor is a line under its cell. Pure memory writes: the framebuffer may
 * be real video memory or a host buffer (unit tests).
 * Reference: UEFI 2.9, 12.9 "Graphics Output Protocol"
 * (EFI_GRAPHICS_OUTPUT_MODE_INFORMATION, EFI_GRAPHICS_PIXEL_FORMAT). */
#ifndef KEEL_FBCON_H
#define KEEL_FBCON_H

#include "drivers/psf.h"
#include "lib/types.h"

/* EFI_GRAPHICS_PIXEL_FORMAT (UEFI 12.9): how a 32-bit pixel holds colour.
 * PixelBltOnly (3) has no framebuffer and is refused. */
enum fb_format {
    FB_RGBX = 0,     /* PixelRedGreenBlueReserved8BitPerColor: byte 0 red */
    FB_BGRX = 1,     /* PixelBlueGreenRedReserved8BitPerColor: byte 0 blue */
    FB_BITMASK = 2,  /* PixelBitMask: the masks below say where */
    FB_BLT_ONLY = 3, /* PixelBltOnly: no linear framebuffer */
};

/* A framebuffer as GOP's mode information describes it. */
struct fb_info {
    uint32_t *base;          /* first pixel, top left; 4 bytes per pixel */
    uint32_t width, height;  /* visible pixels */
    uint32_t stride;         /* pixels per scan line (PixelsPerScanLine) */
    uint32_t format;         /* enum fb_format */
    uint32_t red_mask, green_mask, blue_mask; /* FB_BITMASK only */
};

/* Cells are kept for a screen of at most this many columns and rows (3840
 * x 2160 with an 8x16 font); a larger screen uses only this part. */
#define FBCON_MAX_COLS 480
#define FBCON_MAX_ROWS 160

struct fbcon {
    struct fb_info fb;
    const struct psf_font *font;
    uint32_t fg, bg;         /* pixel values of text and background */
    unsigned cols, rows;     /* the grid, in cells */
    unsigned col, row;       /* the cursor: where the next byte goes */
    bool cursor_on;          /* the cursor's mark is drawn at: */
    unsigned cursor_row, cursor_col;
    unsigned esc;            /* escape sequence state (fbcon.c) */
    unsigned arg[2], nr_args;
    /* What each cell should show, and what it shows now: a cell is drawn
     * only when the two differ, so scrolling redraws only changed cells
     * and never reads video memory. */
    uint8_t cells[FBCON_MAX_ROWS][FBCON_MAX_COLS];
    uint8_t shown[FBCON_MAX_ROWS][FBCON_MAX_COLS];
    /* A scroll moved the grid and the pixels are not redrawn yet: a
     * scroll changes nearly every cell (about a million pixel stores at
     * 1280x800), so a burst of lines is drawn once, by fbcon_flush. */
    bool stale;
};

/* Take fb for a console of font's cells (light grey on black), clear it and
 * put the cursor at the top left. fb and font are copied / referenced:
 * font must outlive con. Returns 0, or -EINVAL when fb has no base or no
 * linear framebuffer (FB_BLT_ONLY, an unknown format, a zero mask), its
 * stride is below its width, or it is smaller than one cell. */
int fbcon_init(struct fbcon *con, const struct fb_info *fb,
               const struct psf_font *font);

/* Put n bytes of text at the cursor (bytes above 0x7F as '?'). Text on
 * the current screen is drawn at once; once a line scrolls the screen,
 * the pixels wait for fbcon_flush (con->stale) so a burst of output costs
 * one redraw instead of one per line. */
void fbcon_write(struct fbcon *con, const char *s, size_t n);

/* Has a scroll left the pixels behind the text grid? */
bool fbcon_stale(const struct fbcon *con);

/* Bring the pixels in line with the grid (only the cells that differ)
 * and show the cursor. Cheap when nothing is stale. */
void fbcon_flush(struct fbcon *con);

#endif
