/* The tiny AML writer (hv/acpi/aml.h). ACPI 6.4 chapter 20 and 6.4. */
#include "hv/acpi/aml.h"
#include "lib/string.h"

void aml_init(struct aml *a, void *buf, size_t cap)
{
    a->buf = buf;
    a->cap = cap;
    a->len = 0;
    a->overflow = false;
}

void aml_byte(struct aml *a, uint8_t b)
{
    if (a->len < a->cap)
        a->buf[a->len] = b;
    else
        a->overflow = true;
    a->len++;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        aml_byte(a, b[i]);
}

static void aml_le(struct aml *a, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* 20.2.4 "Package Length Encoding": the lead byte's bits 7:6 count the bytes
 * that follow; with none, bits 5:0 are the length; otherwise bits 3:0 are
 * the low nibble and each following byte the next 8 bits. */
unsigned aml_pkglen_encode(uint8_t *out, size_t body)
{
    unsigned n;
    if (body + 1 <= 0x3F)
        n = 1;
    else if (body + 2 <= 0xFFF)
        n = 2;
    else if (body + 3 <= 0xFFFFF)
        n = 3;
    else if (body + 4 <= AML_PKG_MAX)
        n = 4;
    else
        return 0;
    uint32_t total = (uint32_t)(body + n);
    if (n == 1) {
        out[0] = (uint8_t)total;
        return 1;
    }
    out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xF));
    for (unsigned i = 1; i < n; i++)
        out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    return n;
}

size_t aml_pkg_begin(struct aml *a)
{
    size_t mark = a->len;
    for (unsigned i = 0; i < AML_PKG_RESERVE; i++)
        aml_byte(a, 0);
    return mark;
}

/* The length is only known once the body is written, so the body was
 * written after a 4-byte gap; encode the length and slide the body down. */
void aml_pkg_end(struct aml *a, size_t mark)
{
    size_t body = a->len - mark - AML_PKG_RESERVE;
    uint8_t enc[AML_PKG_RESERVE];
    unsigned n = aml_pkglen_encode(enc, body);
    if (n == 0) {
        a->overflow = true;
        return;
    }
    if (!a->overflow) {
        memcpy(a->buf + mark, enc, n);
        memmove(a->buf + mark + n, a->buf + mark + AML_PKG_RESERVE, body);
    }
    a->len -= AML_PKG_RESERVE - n;
}

/* 20.2.2 "Name Objects Encoding": NameSeg := LeadNameChar NameChar{3}. */
static bool lead_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_';
}

static void name_seg(struct aml *a, const char *s, size_t n)
{
    if (n == 0 || n > 4 || !lead_name_char(s[0]))
        a->overflow = true;   /* a malformed name is a Keel bug */
    for (size_t i = 0; i < 4; i++) {
        char c = i < n ? s[i] : '_';
        if (i < n && !lead_name_char(c) && !(c >= '0' && c <= '9'))
            a->overflow = true;
        aml_byte(a, (uint8_t)c);
    }
}

void aml_name_string(struct aml *a, const char *path)
{
    /* NameString := RootChar NamePath | PrefixPath NamePath: a '^' after
     * the root has no encoding; left in the path it fails as a segment's
     * lead character (the fuzzer wrote "\\^" unflagged before). */
    if (*path == '\\') {
        aml_byte(a, AML_ROOT_CHAR);
        path++;
    } else {
        while (*path == '^') {
            aml_byte(a, AML_PARENT_PREFIX);
            path++;
        }
    }
    unsigned segs = 0;
    for (const char *p = path; *p; p++)
        if (p == path || p[-1] == '.')
            segs++;
    if (segs == 0) {
        aml_byte(a, 0x00);   /* NullName */
        return;
    }
    if (segs == 2) {
        aml_byte(a, AML_DUAL_NAME_PREFIX);
    } else if (segs > 2) {
        if (segs > 255)
            a->overflow = true;   /* SegCount is one byte (20.2.2) */
        aml_byte(a, AML_MULTI_NAME_PREFIX);
        aml_byte(a, (uint8_t)segs);
    }
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        name_seg(a, path, n);
        path += n + (dot ? 1 : 0);
    }
}

/* 20.2.3 "Data Objects Encoding". */
void aml_integer(struct aml *a, uint64_t v)
{
    if (v == 0) {
        aml_byte(a, AML_ZERO_OP);
    } else if (v == 1) {
        aml_byte(a, AML_ONE_OP);
    } else if (v == UINT64_MAX) {
        aml_byte(a, AML_ONES_OP);
    } else if (v <= 0xFF) {
        aml_byte(a, AML_BYTE_PREFIX);
        aml_le(a, v, 1);
    } else if (v <= 0xFFFF) {
        aml_byte(a, AML_WORD_PREFIX);
        aml_le(a, v, 2);
    } else if (v <= 0xFFFFFFFF) {
        aml_byte(a, AML_DWORD_PREFIX);
        aml_le(a, v, 4);
    } else {
        aml_byte(a, AML_QWORD_PREFIX);
        aml_le(a, v, 8);
    }
}

void aml_string(struct aml *a, const char *s)
{
    aml_byte(a, AML_STRING_PREFIX);
    aml_bytes(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* EISA IDs (6.1.5): three letters of 5 bits each ('A' = 1), then four hex
 * digits, stored so that the bytes read in memory order are the big-endian
 * form: "PNP0501" -> 0x41D00501 -> bytes 41 D0 05 01 -> value 0x0105D041.
 * Returns 0 for a malformed ID. */
uint32_t aml_eisaid_value(const char *id)
{
    if (strlen(id) != 7)
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 3; i++) {
        if (id[i] < 'A' || id[i] > 'Z')
            return 0;
        v = (v << 5) | (uint32_t)(id[i] - 0x40);
    }
    for (int i = 3; i < 7; i++) {
        int d = hex_digit(id[i]);
        if (d < 0)
            return 0;
        v = (v << 4) | (uint32_t)d;
    }
    return ((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) |
           (v >> 24);
}

void aml_eisaid(struct aml *a, const char *id)
{
    uint32_t v = aml_eisaid_value(id);
    if (!v)
        a->overflow = true;
    /* Always the DWord form, as ASL compilers emit EISAID(). */
    aml_byte(a, AML_DWORD_PREFIX);
    aml_le(a, v, 4);
}

void aml_name(struct aml *a, const char *path)
{
    aml_byte(a, AML_NAME_OP);
    aml_name_string(a, path);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_SCOPE_OP);
    size_t mark = aml_pkg_begin(a);
    aml_name_string(a, path);
    return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
    aml_byte(a, AML_EXT_OP_PREFIX);
    aml_byte(a, AML_DEVICE_OP);
    size_t mark = aml_pkg_begin(a);
    aml_name_string(a, path);
    return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t nelems)
{
    aml_byte(a, AML_PACKAGE_OP);
    size_t mark = aml_pkg_begin(a);
    aml_byte(a, nelems);
    return mark;
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
    aml_byte(a, AML_BUFFER_OP);
    size_t mark = aml_pkg_begin(a);
    aml_integer(a, n);
    aml_bytes(a, bytes, n);
    aml_pkg_end(a, mark);
}

/* ---- Resource descriptors (6.4) ---------------------------------------- */

/* Small item tag byte (6.4.2): bit 7 = 0, bits 6:3 item name, 2:0 length. */
#define RT_SMALL(name, len) ((uint8_t)(((name) << 3) | (len)))
#define RT_IRQ_NAME       0x04
#define RT_IO_NAME        0x08
#define RT_END_NAME       0x0F
/* Large item tag byte (6.4.3): bit 7 = 1, bits 6:0 item name. */
#define RT_MEMORY32_FIXED 0x86
#define RT_EXT_IRQ        0x89

void aml_rt_io(struct aml *rt, uint16_t min, uint16_t max, uint8_t align,
               uint8_t len)
{
    aml_byte(rt, RT_SMALL(RT_IO_NAME, 7));
    aml_byte(rt, 0x01);          /* Information: decodes 16 address bits */
    aml_le(rt, min, 2);
    aml_le(rt, max, 2);
    aml_byte(rt, align);
    aml_byte(rt, len);
}

void aml_rt_irq_noflags(struct aml *rt, unsigned irq)
{
    if (irq > 15)
        rt->overflow = true;
    aml_byte(rt, RT_SMALL(RT_IRQ_NAME, 2));
    aml_le(rt, 1u << (irq & 15), 2);   /* IRQ mask: bit n = IRQ n */
}

void aml_rt_memory32_fixed(struct aml *rt, bool writable, uint32_t base,
                           uint32_t len)
{
    aml_byte(rt, RT_MEMORY32_FIXED);
    aml_le(rt, 9, 2);            /* bytes after the 3-byte header */
    aml_byte(rt, writable ? 1 : 0);
    aml_le(rt, base, 4);
    aml_le(rt, len, 4);
}

void aml_rt_interrupt(struct aml *rt, bool edge, uint32_t gsi)
{
    aml_byte(rt, RT_EXT_IRQ);
    aml_le(rt, 6, 2);            /* flags + count + one DWord */
    /* Flags: bit 0 consumer, bit 1 edge (0 level), bit 2 active low (0),
     * bit 3 shared (0: exclusive). */
    aml_byte(rt, (uint8_t)(0x01 | (edge ? 0x02 : 0)));
    aml_byte(rt, 1);             /* interrupt table length */
    aml_le(rt, gsi, 4);
}

void aml_rt_end(struct aml *rt)
{
    aml_byte(rt, RT_SMALL(RT_END_NAME, 1));
    uint8_t sum = 0;
    for (size_t i = 0; i < rt->len && i < rt->cap; i++)
        sum = (uint8_t)(sum + rt->buf[i]);
    aml_byte(rt, (uint8_t)(0x100 - sum));
}
