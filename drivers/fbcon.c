/* Text console on a linear framebuffer (drivers/fbcon.h). Reference: UEFI
 * 2.9, 12.9 "Graphics Output Protocol" (pixel formats); ECMA-48 for the
 * escape sequences (CUF, CUB, EL, ED, CUP). */
#include "drivers/fbcon.h"
#include "lib/errno.h"
#include "lib/string.h"

#define TEXT_LEVEL 0xc0   /* light grey: 0xC0 in each colour */
#define TAB_WIDTH  8

/* After nothing, ESC, ESC [, or ESC and an intermediate byte (ESC ( B
 * chooses a character set: three bytes, all swallowed). */
enum { ESC_NONE, ESC_SEEN, ESC_CSI, ESC_INTERMEDIATE };

/* A colour level (0-255) placed in the bits of mask, scaled to its width. */
static uint32_t channel(uint32_t mask, uint32_t level)
{
    if (!mask)
        return 0;
    unsigned shift = 0, bits = 0;
    while (!(mask >> shift & 1))
        shift++;
    while (shift + bits < 32 && (mask >> (shift + bits) & 1))
        bits++;
    uint32_t v = bits >= 8 ? level << (bits - 8) : level >> (8 - bits);
    return (v << shift) & mask;
}

static int pixel_grey(const struct fb_info *fb, uint32_t level, uint32_t *out)
{
    switch (fb->format) {
    case FB_RGBX:
    case FB_BGRX:
        /* The same byte in red, green and blue: the order does not matter. */
        *out = level | level << 8 | level << 16;
        return 0;
    case FB_BITMASK:
        if (!fb->red_mask || !fb->green_mask || !fb->blue_mask)
            return -EINVAL;
        *out = channel(fb->red_mask, level) | channel(fb->green_mask, level) |
               channel(fb->blue_mask, level);
        return 0;
    }
    return -EINVAL;
}

/* Draw cell (row, col) from con->cells and note it as shown. */
static void draw_cell(struct fbcon *con, unsigned row, unsigned col)
{
    const struct psf_font *f = con->font;
    uint8_t c = con->cells[row][col];
    uint32_t *px = con->fb.base + (size_t)row * f->height * con->fb.stride +
                   (size_t)col * f->width;
    const uint8_t *g = psf_glyph(f, c);
    for (uint32_t y = 0; y < f->height; y++, px += con->fb.stride) {
        const uint8_t *bits = g + y * f->row_bytes;
        for (uint32_t x = 0; x < f->width; x++)
            px[x] = bits[x / 8] & (0x80 >> (x % 8)) ? con->fg : con->bg;
    }
    con->shown[row][col] = c;
}

/* The cursor: the bottom eighth of the cell at (row, col), at least one
 * pixel row, in the text colour; shown between writes, taken away (the
 * cell drawn again) before the next one changes anything. */
static void cursor_show(struct fbcon *con)
{
    const struct psf_font *f = con->font;
    if (con->col >= con->cols)
        return;     /* past the last column: the next byte wraps */
    uint32_t lines = MAX(f->height / 8, 1u);
    uint32_t *px = con->fb.base +
                   ((size_t)con->row * f->height + f->height - lines) *
                   con->fb.stride + (size_t)con->col * f->width;
    for (uint32_t y = 0; y < lines; y++, px += con->fb.stride)
        for (uint32_t x = 0; x < f->width; x++)
            px[x] = con->fg;
    con->cursor_row = con->row;
    con->cursor_col = con->col;
    con->cursor_on = true;
}

static void cursor_hide(struct fbcon *con)
{
    if (con->cursor_on)
        draw_cell(con, con->cursor_row, con->cursor_col);
    con->cursor_on = false;
}

/* Bring the screen in line with con->cells. */
static void redraw(struct fbcon *con)
{
    for (unsigned r = 0; r < con->rows; r++)
        for (unsigned c = 0; c < con->cols; c++)
            if (con->cells[r][c] != con->shown[r][c])
                draw_cell(con, r, c);
}

static void clear_cells(struct fbcon *con, unsigned row, unsigned from,
                        unsigned to)
{
    for (unsigned c = from; c < to && c < con->cols; c++)
        con->cells[row][c] = ' ';
}

static void scroll_up(struct fbcon *con)
{
    memmove(con->cells[0], con->cells[1],
            sizeof(con->cells[0]) * (con->rows - 1));
    clear_cells(con, con->rows - 1, 0, con->cols);
    con->stale = true;      /* drawn by fbcon_flush */
}

static void newline(struct fbcon *con)
{
    con->col = 0;
    if (con->row + 1 < con->rows)
        con->row++;
    else
        scroll_up(con);
}

static void put_char(struct fbcon *con, uint8_t c)
{
    if (con->col >= con->cols)
        newline(con);        /* wrap: the line was full */
    con->cells[con->row][con->col] = c;
    if (!con->stale && con->shown[con->row][con->col] != c)
        draw_cell(con, con->row, con->col);
    con->col++;
}

/* The end of ESC [ args final: move or erase (ECMA-48 8.3). */
static void csi(struct fbcon *con, uint8_t final)
{
    unsigned n = con->nr_args && con->arg[0] ? con->arg[0] : 1;
    switch (final) {
    case 'C':   /* CUF: cursor forward n */
        con->col = MIN(con->col + n, con->cols - 1);
        break;
    case 'D':   /* CUB: cursor back n */
        con->col = con->col > n ? con->col - n : 0;
        break;
    case 'K':   /* EL 0: erase to the end of the line */
        clear_cells(con, con->row, con->col, con->cols);
        break;
    case 'J':   /* ED 0: erase to the end of the screen; ED 2: all */
        if (con->nr_args && con->arg[0] == 2) {
            for (unsigned r = 0; r < con->rows; r++)
                clear_cells(con, r, 0, con->cols);
        } else {
            clear_cells(con, con->row, con->col, con->cols);
            for (unsigned r = con->row + 1; r < con->rows; r++)
                clear_cells(con, r, 0, con->cols);
        }
        break;
    case 'H':   /* CUP: row;col, 1-based */
        con->row = MIN(n, con->rows) - 1;
        n = con->nr_args > 1 && con->arg[1] ? con->arg[1] : 1;
        con->col = MIN(n, con->cols) - 1;
        break;
    default:    /* colours (m) and the rest: ignored */
        return;
    }
    if (!con->stale)
        redraw(con);
}

/* One byte inside an escape sequence. */
static void escape(struct fbcon *con, uint8_t c)
{
    if (con->esc == ESC_INTERMEDIATE) {
        con->esc = c >= 0x20 && c <= 0x2f ? ESC_INTERMEDIATE : ESC_NONE;
        return;
    }
    if (con->esc == ESC_SEEN) {
        con->esc = c == '[' ? ESC_CSI :
                   c >= 0x20 && c <= 0x2f ? ESC_INTERMEDIATE : ESC_NONE;
        con->nr_args = 0;
        con->arg[0] = con->arg[1] = 0;
        return;
    }
    if (c >= '0' && c <= '9') {
        if (!con->nr_args)
            con->nr_args = 1;
        unsigned *a = &con->arg[con->nr_args - 1];
        *a = MIN(*a * 10 + (unsigned)(c - '0'), 9999u);
    } else if (c == ';') {
        if (!con->nr_args)
            con->nr_args = 1;
        if (con->nr_args < ARRAY_SIZE(con->arg))
            con->nr_args++;
    } else if (c >= 0x40 && c <= 0x7e) {
        con->esc = ESC_NONE;
        csi(con, c);
    } else if (c != '?' ) {
        con->esc = ESC_NONE;    /* not a sequence we know: drop it */
    }
}

void fbcon_write(struct fbcon *con, const char *s, size_t n)
{
    cursor_hide(con);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (con->esc != ESC_NONE) {
            escape(con, c);
            continue;
        }
        switch (c) {
        case '\n':
            newline(con);
            break;
        case '\r':
            con->col = 0;
            break;
        case '\b':
            if (con->col)
                con->col--;
            break;
        case '\t':
            do
                put_char(con, ' ');
            while (con->col % TAB_WIDTH && con->col < con->cols);
            break;
        case 0x1b:
            con->esc = ESC_SEEN;
            break;
        default:
            if (c >= 0x20)
                put_char(con, c < 0x7f ? c : '?');
            break;      /* other control bytes (BEL, XON, ...) draw nothing */
        }
    }
    if (!con->stale)
        cursor_show(con);
}

bool fbcon_stale(const struct fbcon *con)
{
    return con->stale;
}

void fbcon_flush(struct fbcon *con)
{
    if (!con->stale)
        return;
    redraw(con);
    con->stale = false;
    cursor_show(con);
}

int fbcon_init(struct fbcon *con, const struct fb_info *fb,
               const struct psf_font *font)
{
    uint32_t fg;
    if (!fb->base || fb->stride < fb->width ||
        fb->width < font->width || fb->height < font->height ||
        pixel_grey(fb, TEXT_LEVEL, &fg))
        return -EINVAL;
    con->fb = *fb;
    con->font = font;
    con->fg = fg;
    con->bg = 0;
    con->cols = MIN(fb->width / font->width, (uint32_t)FBCON_MAX_COLS);
    con->rows = MIN(fb->height / font->height, (uint32_t)FBCON_MAX_ROWS);
    con->col = con->row = 0;
    con->esc = ESC_NONE;
    for (uint32_t y = 0; y < fb->height; y++)
        for (uint32_t x = 0; x < fb->width; x++)
            fb->base[(size_t)y * fb->stride + x] = con->bg;
    /* The screen is black: every cell shows a blank (drawn as background
     * in any font whose space glyph is empty). */
    memset(con->cells, ' ', sizeof(con->cells));
    memset(con->shown, ' ', sizeof(con->shown));
    con->cursor_on = false;
    con->stale = false;
    cursor_show(con);
    return 0;
}
