/* The framebuffer text console (drivers/fbcon.h) on a fake framebuffer in
 * host memory: glyphs land in the right cells with the right pixel values,
 * long lines wrap, the bottom line scrolls the grid up, backspace and the
 * line editor's escape sequences behave, the stride's padding and the
 * partial cell at the edges are never written, and framebuffers fbcon
 * cannot draw on are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/fbcon.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))

/* A test font: PSF1 without a table, 8x4; every row of glyph c is the byte
 * c (so a cell's first pixel row spells its character), except the space,
 * which is empty as in a real font. */
#define GH 4
static uint8_t font_bytes[4 + 256 * GH];
static struct psf_font font;

/* 10 columns and 3 rows of 8x4 cells, plus 3 pixels and 1 line that hold
 * no whole cell; 7 pixels of padding at the end of each scan line. */
#define W      83
#define H      13
#define STRIDE 90
#define PAD    0xdeadbeef
static uint32_t fb[H * STRIDE];
static struct fbcon con;
static const uint32_t GREY = 0x00c0c0c0;

static int setup(void **state UNUSED)
{
    font_bytes[0] = 0x36;
    font_bytes[1] = 0x04;
    font_bytes[3] = GH;
    for (unsigned c = 0; c < 256; c++)
        memset(font_bytes + 4 + c * GH, c == ' ' ? 0 : (int)c, GH);
    assert_int_equal(psf_parse(&font, font_bytes, sizeof(font_bytes)), 0);
    for (size_t i = 0; i < ARRAY_SIZE(fb); i++)
        fb[i] = PAD;
    struct fb_info info = { .base = fb, .width = W, .height = H,
                            .stride = STRIDE, .format = FB_BGRX };
    assert_int_equal(fbcon_init(&con, &info, &font), 0);
    return 0;
}

/* What cell (row, col) shows, read back from the pixels: each of its rows
 * but the last (where the cursor's line may be) must spell the same byte;
 * blank is ' '. */
static char screen_at(unsigned row, unsigned col)
{
    uint8_t first = 0;
    for (unsigned y = 0; y < GH - 1; y++) {
        uint8_t byte = 0;
        for (unsigned x = 0; x < 8; x++) {
            uint32_t px = fb[(row * GH + y) * STRIDE + col * 8 + x];
            assert_true(px == GREY || px == 0);
            if (px == GREY)
                byte |= (uint8_t)(0x80 >> x);
        }
        if (y == 0)
            first = byte;
        assert_int_equal(byte, first);
    }
    return first ? (char)first : ' ';
}

/* Row r of the screen as a string, trailing blanks cut. */
static const char *screen_row(unsigned r)
{
    static char line[16];
    unsigned n = 0;
    for (unsigned c = 0; c < 10; c++)
        line[n++] = screen_at(r, c);
    while (n && line[n - 1] == ' ')
        n--;
    line[n] = 0;
    return line;
}

static void put(const char *s) { fbcon_write(&con, s, strlen(s)); }

/* Is the cursor's line (the last pixel row of a 4-row cell) drawn under
 * cell (row, col)? */
static bool cursor_at(unsigned row, unsigned col)
{
    for (unsigned x = 0; x < 8; x++)
        if (fb[(row * GH + GH - 1) * STRIDE + col * 8 + x] != GREY)
            return false;
    return true;
}

static void test_init_clears_inside_only(void **state UNUSED)
{
    assert_int_equal(con.cols, 10);
    assert_int_equal(con.rows, 3);
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < STRIDE; x++)
            if (y != GH - 1 || x >= 8)    /* the cursor, at (0, 0) */
                assert_int_equal(fb[y * STRIDE + x], x < W ? 0 : PAD);
    assert_true(cursor_at(0, 0));
}

static void test_cursor_follows(void **state UNUSED)
{
    put("ab");
    assert_true(cursor_at(0, 2));
    assert_false(cursor_at(0, 0));
    /* 'a' = 0x61 has bit 7 clear: its last row is background again. */
    assert_int_equal(fb[(GH - 1) * STRIDE + 0], 0);
    put("\n");
    assert_true(cursor_at(1, 0));
    assert_false(cursor_at(0, 2));
    put("0123456789");              /* a full line: no cursor until the wrap */
    for (unsigned c = 0; c < 10; c++)
        assert_false(cursor_at(1, c));
    put("x");
    assert_true(cursor_at(2, 1));
}

static void test_glyphs_in_cells(void **state UNUSED)
{
    put("AB");
    assert_string_equal(screen_row(0), "AB");
    assert_int_equal(con.col, 2);
    /* 'A' = 0x41: pixels 1 and 7 of each row lit, the rest background. */
    assert_int_equal(fb[1], GREY);
    assert_int_equal(fb[7], GREY);
    assert_int_equal(fb[0], 0);
    put("\x80");   /* not ASCII: the font's '?' */
    assert_string_equal(screen_row(0), "AB?");
}

static void test_wrap_and_scroll(void **state UNUSED)
{
    put("0123456789ab");               /* 12 bytes on 10 columns */
    assert_string_equal(screen_row(0), "0123456789");
    assert_string_equal(screen_row(1), "ab");
    put("\nline3\nline4");             /* the fourth line scrolls */
    /* The scroll moved the grid; the pixels wait for fbcon_flush (a
     * burst of lines is drawn once). */
    assert_true(fbcon_stale(&con));
    assert_string_equal(screen_row(0), "0123456789");
    assert_string_equal(screen_row(2), "line3");
    fbcon_flush(&con);
    assert_false(fbcon_stale(&con));
    assert_string_equal(screen_row(0), "ab");
    assert_string_equal(screen_row(1), "line3");
    assert_string_equal(screen_row(2), "line4");
    put("\r\n");
    fbcon_flush(&con);
    assert_string_equal(screen_row(0), "line3");
    assert_string_equal(screen_row(1), "line4");
    assert_string_equal(screen_row(2), "");
    assert_int_equal(con.row, 2);
    assert_int_equal(con.col, 0);
    assert_true(cursor_at(2, 0));
    /* Nothing was ever drawn outside the whole cells. */
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < STRIDE; x++)
            if (x >= 80 || y >= 12)
                assert_int_equal(fb[y * STRIDE + x], x < W ? 0 : PAD);
}

static void test_line_editing(void **state UNUSED)
{
    put("abc\b \b");                   /* a shell erasing one character */
    assert_string_equal(screen_row(0), "ab");
    assert_int_equal(con.col, 2);
    put("\tX");                        /* tab to column 8 */
    assert_string_equal(screen_row(0), "ab      X");
    put("\rhello\x1b[K");              /* EL: erase to the end of line */
    assert_string_equal(screen_row(0), "hello");
    put("\x1b[3D\x1b[1;31m!");         /* CUB 3, colours ignored */
    assert_string_equal(screen_row(0), "he!lo");
    put("\x1b[2J");                    /* ED 2: all */
    assert_string_equal(screen_row(0), "");
    put("\x1b[3;2Hz");                 /* CUP row 3, column 2 */
    assert_string_equal(screen_row(2), " z");
    put("\x1b(B\a\x11ok");             /* charset choice, BEL, XON: nothing */
    assert_string_equal(screen_row(2), " zok");
}

static void test_bitmask_format(void **state UNUSED)
{
    /* 5:6:5 bits in a 32-bit pixel: 0xC0 becomes 0x18, 0x30, 0x18. */
    struct fb_info info = { .base = fb, .width = W, .height = H,
                            .stride = STRIDE, .format = FB_BITMASK,
                            .red_mask = 0xf800, .green_mask = 0x07e0,
                            .blue_mask = 0x001f };
    assert_int_equal(fbcon_init(&con, &info, &font), 0);
    assert_int_equal(con.fg, 0xc618);
}

static void test_refused(void **state UNUSED)
{
    struct fb_info good = { .base = fb, .width = W, .height = H,
                            .stride = STRIDE, .format = FB_RGBX };
    struct fb_info bad = good;
    bad.format = FB_BLT_ONLY;
    assert_int_equal(fbcon_init(&con, &bad, &font), -EINVAL);
    bad = good;
    bad.format = FB_BITMASK;          /* masks all zero */
    assert_int_equal(fbcon_init(&con, &bad, &font), -EINVAL);
    bad = good;
    bad.stride = W - 1;
    assert_int_equal(fbcon_init(&con, &bad, &font), -EINVAL);
    bad = good;
    bad.height = GH - 1;
    assert_int_equal(fbcon_init(&con, &bad, &font), -EINVAL);
    bad = good;
    bad.base = NULL;
    assert_int_equal(fbcon_init(&con, &bad, &font), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_clears_inside_only, setup),
        cmocka_unit_test_setup(test_glyphs_in_cells, setup),
        cmocka_unit_test_setup(test_cursor_follows, setup),
        cmocka_unit_test_setup(test_wrap_and_scroll, setup),
        cmocka_unit_test_setup(test_line_editing, setup),
        cmocka_unit_test_setup(test_bitmask_format, setup),
        cmocka_unit_test_setup(test_refused, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
