/* PSF1/PSF2 font reading (drivers/psf.h). Reference: kbd 2.5,
 * doc/font-formats/psf: "The PSF1 format", "The PSF2 format", and the
 * Unicode table of each. All header fields are little-endian. */
#include "drivers/psf.h"
#include "lib/errno.h"

#define PSF1_MAGIC0       0x36
#define PSF1_MAGIC1       0x04
#define PSF1_MODE512      0x01  /* 512 glyphs instead of 256 */
#define PSF1_MODEHASTAB   0x02  /* a Unicode table follows the glyphs */
#define PSF1_MODEHASSEQ   0x04
#define PSF1_HEADER_SIZE  4
#define PSF1_SEPARATOR    0xffff /* ends one glyph's entry (UCS-2) */
#define PSF1_STARTSEQ     0xfffe /* a combining sequence follows */

#define PSF2_MAGIC        0x864ab572
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_HEADER_SIZE  32
#define PSF2_SEPARATOR    0xff   /* ends one glyph's entry (UTF-8) */
#define PSF2_STARTSEQ     0xfe

#define PSF_MAX_PIXELS    64
#define NO_GLYPH          0xffff

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Record that glyph g shows code point cp (only ASCII is kept; the first
 * glyph named for a code point wins). */
static void map_code(struct psf_font *f, uint32_t cp, uint32_t g)
{
    if (cp < ARRAY_SIZE(f->ascii) && f->ascii[cp] == NO_GLYPH)
        f->ascii[cp] = (uint16_t)g;
}

/* PSF1 table: per glyph, UCS-2 code points, then optional sequences after
 * 0xFFFE, ended by 0xFFFF. Sequences (combining characters) are skipped. */
static void read_table1(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
    for (uint32_t g = 0; g < f->nr_glyphs && p + 2 <= end; g++) {
        bool seq = false;
        for (; p + 2 <= end; p += 2) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8;
            if (u == PSF1_SEPARATOR) {
                p += 2;
                break;
            }
            if (u == PSF1_STARTSEQ)
                seq = true;
            else if (!seq)
                map_code(f, u, g);
        }
    }
}

/* PSF2 table: per glyph, UTF-8 code points, then sequences after 0xFE,
 * ended by 0xFF. Only one-byte (ASCII) code points matter here; the bytes
 * of longer UTF-8 characters are 0x80-0xFD and never taken for ASCII. */
static void read_table2(struct psf_font *f, const uint8_t *p, const uint8_t *end)
{
    for (uint32_t g = 0; g < f->nr_glyphs && p < end; g++) {
        bool seq = false;
        for (; p < end; p++) {
            if (*p == PSF2_SEPARATOR) {
                p++;
                break;
            }
            if (*p == PSF2_STARTSEQ)
                seq = true;
            else if (!seq && *p < 0x80)
                map_code(f, *p, g);
        }
    }
}

static int parse_header(struct psf_font *f, const uint8_t *b, size_t size,
                        size_t *glyphs_at, bool *has_table, bool *v2)
{
    if (size >= PSF1_HEADER_SIZE && b[0] == PSF1_MAGIC0 && b[1] == PSF1_MAGIC1) {
        f->nr_glyphs = b[2] & PSF1_MODE512 ? 512 : 256;
        f->width = 8;
        f->height = b[3];
        *has_table = b[2] & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ);
        *glyphs_at = PSF1_HEADER_SIZE;
        *v2 = false;
    } else if (size >= PSF2_HEADER_SIZE && get32(b) == PSF2_MAGIC) {
        /* magic, version, headersize, flags, length, charsize, height,
         * width: eight 32-bit fields. */
        *glyphs_at = get32(b + 8);
        *has_table = get32(b + 12) & PSF2_HAS_UNICODE_TABLE;
        f->nr_glyphs = get32(b + 16);
        f->height = get32(b + 24);
        f->width = get32(b + 28);
        *v2 = true;
        if (*glyphs_at < PSF2_HEADER_SIZE || *glyphs_at > size)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (!f->width || !f->height || !f->nr_glyphs ||
        f->width > PSF_MAX_PIXELS || f->height > PSF_MAX_PIXELS ||
        f->nr_glyphs > NO_GLYPH)
        return -EINVAL;
    f->row_bytes = (f->width + 7) / 8;
    f->glyph_size = f->row_bytes * f->height;
    if (*v2 && get32(b + 20) != f->glyph_size)
        return -EINVAL;     /* charsize must be height * row bytes */
    return 0;
}

int psf_parse(struct psf_font *f, const void *data, size_t size)
{
    const uint8_t *b = data;
    size_t at = 0;
    bool has_table = false, v2 = false;
    int err = parse_header(f, b, size, &at, &has_table, &v2);
    if (err)
        return err;
    if ((size - at) / f->glyph_size < f->nr_glyphs)
        return -EINVAL;
    f->glyphs = b + at;
    for (unsigned i = 0; i < ARRAY_SIZE(f->ascii); i++)
        f->ascii[i] = NO_GLYPH;
    const uint8_t *table = f->glyphs + (size_t)f->nr_glyphs * f->glyph_size;
    if (!has_table) {
        for (uint32_t i = 0; i < ARRAY_SIZE(f->ascii) && i < f->nr_glyphs; i++)
            f->ascii[i] = (uint16_t)i;
    } else if (v2) {
        read_table2(f, table, b + size);
    } else {
        read_table1(f, table, b + size);
    }
    uint16_t fallback = f->ascii['?'] == NO_GLYPH ? 0 : f->ascii['?'];
    for (unsigned i = 0; i < ARRAY_SIZE(f->ascii); i++)
        if (f->ascii[i] == NO_GLYPH)
            f->ascii[i] = fallback;
    return 0;
}

const uint8_t *psf_glyph(const struct psf_font *f, uint8_t c)
{
    uint16_t g = c < ARRAY_SIZE(f->ascii) ? f->ascii[c] : f->ascii['?'];
    return f->glyphs + (size_t)g * f->glyph_size;
}
