/* PC Screen Font (PSF) fonts: the bitmap fonts of Linux's console, as
 * Debian's console-setup and kbd packages ship them (/usr/share/consolefonts,
 * gunzipped). Both versions are read: PSF1 (magic 36 04, 8 pixels wide,
 * 256 or 512 glyphs) and PSF2 (magic 72 B5 4A 86, any width), each with its
 * optional Unicode table. Reference: kbd's doc/font-formats/psf (the
 * "psf" notes of kbd 2.5, "The PSF1 format", "The PSF2 format"). */
#ifndef KEEL_PSF_H
#define KEEL_PSF_H

#include "lib/types.h"

/* A parsed font. It points into the caller's font bytes (which must outlive
 * it); nothing is copied except the ASCII map. */
struct psf_font {
    const uint8_t *glyphs;  /* nr_glyphs bitmaps of glyph_size bytes each */
    uint32_t nr_glyphs;
    uint32_t glyph_size;    /* bytes per glyph: height * row_bytes */
    uint32_t width;         /* pixels */
    uint32_t height;        /* pixels (rows of the bitmap) */
    uint32_t row_bytes;     /* bytes per bitmap row: (width + 7) / 8, the
                               leftmost pixel is bit 7 of the first byte */
    uint16_t ascii[128];    /* glyph index of each ASCII code */
};

/* Parse the font in data[0..size): its header, its glyphs and, when it has
 * one, its Unicode table, from which the glyph of each ASCII code point is
 * found (without a table, glyph i is code point i). A code point the font
 * has no glyph for is drawn as '?', or as glyph 0 if there is no '?'.
 * Returns 0, or -EINVAL when the magic is not PSF's, the header or the
 * glyphs do not fit in size bytes, or a dimension is 0 or above 64
 * pixels. */
int psf_parse(struct psf_font *font, const void *data, size_t size);

/* The bitmap of byte c (height rows of row_bytes bytes). Bytes above 0x7F
 * (not ASCII) get the glyph of '?'. */
const uint8_t *psf_glyph(const struct psf_font *font, uint8_t c);

#endif
