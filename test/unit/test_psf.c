/* PSF fonts (drivers/psf.h): PSF1 and PSF2 headers, glyph lookup through
 * the Unicode table (sequences skipped, the first glyph for a code point
 * kept, '?' for what the font lacks), fonts without a table, and refusal
 * of bad headers and truncated files. Fonts are built here in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/psf.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))

static uint8_t buf[16384];

static size_t put32(size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        buf[at + i] = (uint8_t)(v >> (8 * i));
    return at + 4;
}

/* A PSF2 font of 4 glyphs, 10x3 pixels (2 bytes a row, 6 a glyph); glyph
 * g's bytes are all 0x10 + g. Table: 0: 'A'; 1: 'B' 'b'; 2: "é" (UTF-8)
 * and '?'; 3: 'B' again (not taken: glyph 1 was first) and a sequence
 * holding 'C' (not a single code point: not taken). Returns its size. */
static size_t make_psf2(void)
{
    static const uint8_t table[] = {
        'A', 0xff, 'B', 'b', 0xff, 0xc3, 0xa9, '?', 0xff,
        'B', 0xfe, 'C', 0xcc, 0x81, 0xff,
    };
    memset(buf, 0, sizeof(buf));
    size_t at = put32(0, 0x864ab572);
    at = put32(at, 0);          /* version */
    at = put32(at, 32);         /* headersize */
    at = put32(at, 1);          /* flags: has a Unicode table */
    at = put32(at, 4);          /* length: glyphs */
    at = put32(at, 6);          /* charsize */
    at = put32(at, 3);          /* height */
    at = put32(at, 10);         /* width */
    for (unsigned g = 0; g < 4; g++)
        memset(buf + at + g * 6, 0x10 + g, 6);
    at += 24;
    memcpy(buf + at, table, sizeof(table));
    return at + sizeof(table);
}

static unsigned glyph_index(const struct psf_font *f, uint8_t c)
{
    return (unsigned)((psf_glyph(f, c) - f->glyphs) / f->glyph_size);
}

static void test_psf2_table(void **state UNUSED)
{
    struct psf_font f;
    size_t size = make_psf2();
    assert_int_equal(psf_parse(&f, buf, size), 0);
    assert_int_equal(f.width, 10);
    assert_int_equal(f.height, 3);
    assert_int_equal(f.row_bytes, 2);
    assert_int_equal(f.glyph_size, 6);
    assert_int_equal(f.nr_glyphs, 4);
    assert_ptr_equal(f.glyphs, buf + 32);
    assert_int_equal(glyph_index(&f, 'A'), 0);
    assert_int_equal(glyph_index(&f, 'B'), 1);
    assert_int_equal(glyph_index(&f, 'b'), 1);
    assert_int_equal(glyph_index(&f, '?'), 2);
    assert_int_equal(glyph_index(&f, 'C'), 2);     /* only in a sequence */
    assert_int_equal(glyph_index(&f, 'z'), 2);     /* not in the font */
    assert_int_equal(glyph_index(&f, 0xe9), 2);    /* not ASCII */
    assert_int_equal(psf_glyph(&f, 'b')[5], 0x11);
}

/* PSF1, 512 glyphs of 8x16, with a UCS-2 table: glyph 5 is 'A' and 'a',
 * glyph 7 is '?', glyph 9 'A' again (ignored), the rest nothing. */
static size_t make_psf1(bool table)
{
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x36;
    buf[1] = 0x04;
    buf[2] = 0x01 | (table ? 0x02 : 0);
    buf[3] = 16;
    for (unsigned g = 0; g < 512; g++)
        buf[4 + g * 16] = (uint8_t)g;
    size_t at = 4 + 512 * 16;
    if (!table)
        return at;
    for (unsigned g = 0; g < 512; g++) {
        uint16_t codes[3] = { 0xffff, 0xffff, 0xffff };
        if (g == 5) { codes[0] = 'A'; codes[1] = 'a'; }
        if (g == 7) codes[0] = '?';
        if (g == 9) { codes[0] = 0xfffe; codes[1] = 'A'; }
        for (unsigned i = 0; i < 3; i++) {
            buf[at++] = (uint8_t)codes[i];
            buf[at++] = (uint8_t)(codes[i] >> 8);
            if (codes[i] == 0xffff)
                break;
        }
    }
    return at;
}

static void test_psf1_table(void **state UNUSED)
{
    struct psf_font f;
    size_t size = make_psf1(true);
    assert_int_equal(psf_parse(&f, buf, size), 0);
    assert_int_equal(f.nr_glyphs, 512);
    assert_int_equal(f.width, 8);
    assert_int_equal(f.height, 16);
    assert_int_equal(glyph_index(&f, 'A'), 5);
    assert_int_equal(glyph_index(&f, 'a'), 5);
    assert_int_equal(glyph_index(&f, 'x'), 7);
    assert_int_equal(psf_glyph(&f, 'a')[0], 5);
}

static void test_psf1_no_table(void **state UNUSED)
{
    struct psf_font f;
    size_t size = make_psf1(false);
    assert_int_equal(psf_parse(&f, buf, size), 0);
    assert_int_equal(glyph_index(&f, 'x'), 'x');
    assert_int_equal(glyph_index(&f, 0x80), '?');
}

static void test_bad_fonts(void **state UNUSED)
{
    struct psf_font f;
    size_t size = make_psf2();
    assert_int_equal(psf_parse(&f, buf, 31), -EINVAL);       /* header */
    assert_int_equal(psf_parse(&f, buf, 32 + 23), -EINVAL);  /* glyphs */
    put32(20, 7);                                             /* charsize */
    assert_int_equal(psf_parse(&f, buf, size), -EINVAL);
    size = make_psf2();
    put32(28, 0);                                             /* width 0 */
    assert_int_equal(psf_parse(&f, buf, size), -EINVAL);
    size = make_psf2();
    put32(8, 1 << 20);                                        /* headersize */
    assert_int_equal(psf_parse(&f, buf, size), -EINVAL);
    size = make_psf1(false);
    assert_int_equal(psf_parse(&f, buf, size - 1), -EINVAL);
    buf[1] = 0x05;                                            /* magic */
    assert_int_equal(psf_parse(&f, buf, size), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psf2_table),
        cmocka_unit_test(test_psf1_table),
        cmocka_unit_test(test_psf1_no_table),
        cmocka_unit_test(test_bad_fonts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
