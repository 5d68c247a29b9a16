/* Fuzz target: the ACPI table builder and AML writer (hv/acpi/), in two
 * modes chosen by the first input byte.
 *
 * Build mode: acpi_build() with a fuzzed VM description (vCPU count, up to
 * 17 MMIO devices with their _HID, window and GSI) into a fuzzed region of
 * a 1 MiB guest whose other bytes hold a canary. Checked on success: every
 * byte outside [gpa, gpa + size) is untouched; `used` fits in the region
 * and every table lies inside [gpa, gpa + used); the RSDP's two checksums
 * and every table's signature, length and checksum are right; the XSDT and
 * RSDT list the FADT and MADT, the FADT points at the FACS and DSDT; the
 * MADT has one local APIC per vCPU; the DSDT's AML parses (below). A
 * refusal is -EINVAL, -EFAULT or -ENOMEM.
 *
 * Writer mode: a sequence of AML writer calls (integers, strings, EISA
 * IDs, buffers, name strings from fuzzed paths, nested Scope/Device/
 * Package) into a buffer of a fuzzed capacity allocated at exactly that
 * size. Checked: nothing is written past the capacity (ASan); a length
 * beyond the capacity is flagged as overflow; without overflow the bytes
 * parse as AML with every PkgLength inside its parent (aml_pkg_end slid
 * each body into place), each NameString well formed and each Buffer's
 * size equal to its bytes; aml_pkglen_encode round-trips.
 *
 * The AML reader here is our own, minimal, for exactly the terms Keel
 * writes: Name, Scope, Device, Package, Buffer, integers, strings and
 * NameStrings (ACPI 6.4, 20.2). */
#include <stdlib.h>

#include "hv/acpi/acpi.h"
#include "hv/acpi/acpi_tables.h"
#include "hv/acpi/aml.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

#define RAM_SIZE  MiB(1)
#define CANARY    0xa5
#define MAX_DEPTH 16

static uint8_t *ram;
static uint8_t canary[RAM_SIZE];
static struct guest_mem gm;

/* ---- a minimal AML reader ----------------------------------------------- */

static bool name_char(uint8_t c, bool lead)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

/* NameString at *p (20.2.2); advances *p, false if malformed. */
static bool read_name(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *q = *p;
    unsigned segs;

    if (q < end && *q == AML_ROOT_CHAR)
        q++;
    else
        while (q < end && *q == AML_PARENT_PREFIX)
            q++;
    if (q >= end)
        return false;
    if (*q == 0x00) {
        segs = 0;
        q++;
    } else if (*q == AML_DUAL_NAME_PREFIX) {
        segs = 2;
        q++;
    } else if (*q == AML_MULTI_NAME_PREFIX) {
        if (q + 1 >= end || q[1] == 0)
            return false;
        segs = q[1];
        q += 2;
    } else {
        segs = 1;
    }
    for (unsigned s = 0; s < segs; s++, q += 4) {
        if (end - q < 4)
            return false;
        for (int i = 0; i < 4; i++)
            if (!name_char(q[i], i == 0))
                return false;
    }
    *p = q;
    return true;
}

/* PkgLength at *p: sets *pkg_end (the end of the package it prefixes). */
static bool read_pkglen(const uint8_t **p, const uint8_t *end,
                        const uint8_t **pkg_end)
{
    const uint8_t *start = *p;
    if (start >= end)
        return false;
    unsigned follow = start[0] >> 6;
    uint32_t len;
    if (follow == 0) {
        len = start[0] & 0x3f;
    } else {
        if ((start[0] & 0x30) || end - start < 1 + (long)follow)
            return false;
        len = start[0] & 0x0f;
        for (unsigned i = 0; i < follow; i++)
            len |= (uint32_t)start[1 + i] << (4 + 8 * i);
    }
    if (len < 1 + follow || len > (uint64_t)(end - start))
        return false;
    *p = start + 1 + follow;
    *pkg_end = start + len;
    return true;
}

static bool read_object(const uint8_t **p, const uint8_t *end, unsigned depth);

static bool read_terms(const uint8_t *p, const uint8_t *end, unsigned depth)
{
    while (p < end)
        if (!read_object(&p, end, depth))
            return false;
    return p == end;
}

/* One term or data object at *p. */
static bool read_object(const uint8_t **p, const uint8_t *end, unsigned depth)
{
    const uint8_t *q = *p, *pkg_end;
    static const unsigned int_size[] = {
        [AML_BYTE_PREFIX] = 1, [AML_WORD_PREFIX] = 2,
        [AML_DWORD_PREFIX] = 4, [AML_QWORD_PREFIX] = 8,
    };

    if (q >= end || depth > MAX_DEPTH)
        return false;
    uint8_t op = *q++;
    switch (op) {
    case AML_ZERO_OP: case AML_ONE_OP: case AML_ONES_OP:
        break;
    case AML_BYTE_PREFIX: case AML_WORD_PREFIX: case AML_DWORD_PREFIX:
    case AML_QWORD_PREFIX:
        if ((unsigned long)(end - q) < int_size[op])
            return false;
        q += int_size[op];
        break;
    case AML_STRING_PREFIX:
        while (q < end && *q && *q < 0x80)
            q++;
        if (q >= end || *q)
            return false;
        q++;
        break;
    case AML_NAME_OP:
        if (!read_name(&q, end) || !read_object(&q, end, depth + 1))
            return false;
        break;
    case AML_SCOPE_OP:
        if (!read_pkglen(&q, end, &pkg_end) || !read_name(&q, pkg_end) ||
            !read_terms(q, pkg_end, depth + 1))
            return false;
        q = pkg_end;
        break;
    case AML_EXT_OP_PREFIX:
        if (q >= end || *q++ != AML_DEVICE_OP ||
            !read_pkglen(&q, end, &pkg_end) || !read_name(&q, pkg_end) ||
            !read_terms(q, pkg_end, depth + 1))
            return false;
        q = pkg_end;
        break;
    case AML_PACKAGE_OP:
        if (!read_pkglen(&q, end, &pkg_end) || q >= pkg_end)
            return false;
        q++;   /* NumElements: the writer's caller promises it */
        if (!read_terms(q, pkg_end, depth + 1))
            return false;
        q = pkg_end;
        break;
    case AML_BUFFER_OP: {
        if (!read_pkglen(&q, end, &pkg_end))
            return false;
        const uint8_t *size_at = q;
        if (!read_object(&q, pkg_end, depth + 1))
            return false;
        uint64_t n = 0;
        if (*size_at == AML_ONE_OP)
            n = 1;
        else if (*size_at != AML_ZERO_OP)
            memcpy(&n, size_at + 1, (size_t)(q - size_at - 1));
        if (n != (uint64_t)(pkg_end - q))
            return false;
        q = pkg_end;
        break;
    }
    default:   /* a bare NameString */
        q--;
        if (!read_name(&q, end))
            return false;
    }
    *p = q;
    return true;
}

/* ---- build mode ------------------------------------------------------- */

static uint8_t sum8(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *b++);
    return s;
}

/* The table at gpa: signature sig, length and checksum right, inside
 * [lo, hi). */
static const struct acpi_sdt_header *table(gpa_t gpa, const char *sig,
                                           gpa_t lo, gpa_t hi)
{
    FUZZ_CHECK(gpa >= lo && gpa + sizeof(struct acpi_sdt_header) <= hi);
    const struct acpi_sdt_header *h = (const void *)(ram + gpa);
    FUZZ_CHECK(memcmp(h->signature, sig, 4) == 0);
    FUZZ_CHECK(h->length >= sizeof(*h) && gpa + h->length <= hi);
    FUZZ_CHECK(sum8(h, h->length) == 0);
    return h;
}

static void check_tables(gpa_t gpa, uint64_t size,
                         const struct acpi_config *cfg,
                         const struct acpi_tables *t)
{
    FUZZ_CHECK(t->used <= size && t->rsdp == gpa);
    gpa_t hi = gpa + t->used;
    const struct acpi_rsdp *r = (const void *)(ram + gpa);
    FUZZ_CHECK(memcmp(r->signature, "RSD PTR ", 8) == 0);
    FUZZ_CHECK(sum8(r, 20) == 0 && sum8(r, r->length) == 0);
    FUZZ_CHECK(r->xsdt_address == t->xsdt && r->rsdt_address == t->rsdt);

    const struct acpi_sdt_header *x = table(t->xsdt, "XSDT", gpa, hi);
    const struct acpi_sdt_header *rs = table(t->rsdt, "RSDT", gpa, hi);
    FUZZ_CHECK((x->length - sizeof(*x)) % 8 == 0);
    FUZZ_CHECK((rs->length - sizeof(*rs)) % 4 == 0);
    bool fadt = false, madt = false;
    for (uint32_t off = sizeof(*x); off < x->length; off += 8) {
        uint64_t e;
        memcpy(&e, (const uint8_t *)x + off, 8);
        fadt |= e == t->fadt;
        madt |= e == t->madt;
    }
    FUZZ_CHECK(fadt && madt);
    const struct acpi_fadt *f = (const void *)table(t->fadt, "FACP", gpa, hi);
    FUZZ_CHECK(f->dsdt == t->dsdt && f->firmware_ctrl == t->facs);
    FUZZ_CHECK(t->facs >= gpa && t->facs + 64 <= hi && t->facs % 64 == 0);
    FUZZ_CHECK(memcmp(ram + t->facs, "FACS", 4) == 0);

    const struct acpi_sdt_header *m = table(t->madt, "APIC", gpa, hi);
    unsigned lapics = 0;
    const uint8_t *e = (const uint8_t *)m + sizeof(*m) + 8;
    const uint8_t *mend = (const uint8_t *)m + m->length;
    while (e + 2 <= mend) {
        FUZZ_CHECK(e[1] >= 2 && e + e[1] <= mend);
        lapics += e[0] == 0;   /* Processor Local APIC */
        e += e[1];
    }
    FUZZ_CHECK(e == mend && lapics == cfg->nr_vcpus);

    const struct acpi_sdt_header *d = table(t->dsdt, "DSDT", gpa, hi);
    const uint8_t *aml = (const uint8_t *)d + sizeof(*d);
    FUZZ_CHECK(read_terms(aml, (const uint8_t *)d + d->length, 0));
}

static void fuzz_build(struct fuzz_in *in)
{
    static struct acpi_mmio_device mmio[ACPI_MAX_MMIO_DEVICES + 1];
    static char hids[ACPI_MAX_MMIO_DEVICES + 1][10];
    struct acpi_config cfg = { 0 };
    struct acpi_tables t;

    cfg.nr_vcpus = fuzz_u8(in);
    cfg.nr_mmio = fuzz_u8(in) % (ACPI_MAX_MMIO_DEVICES + 2);
    gpa_t gpa = fuzz_u32(in) % (RAM_SIZE + 0x1000);
    uint64_t size = fuzz_u32(in) % (2 * ACPI_TABLES_SIZE);
    for (unsigned i = 0; i < cfg.nr_mmio; i++) {
        memset(hids[i], 0, sizeof(hids[i]));
        fuzz_bytes(in, hids[i], fuzz_u8(in) % sizeof(hids[i]));
        mmio[i] = (struct acpi_mmio_device){
            .hid = hids[i], .base = fuzz_u32(in), .size = fuzz_u32(in),
            .gsi = fuzz_u8(in), .edge = fuzz_u8(in) & 1,
        };
    }
    cfg.mmio = cfg.nr_mmio ? mmio : NULL;

    memset(ram, CANARY, RAM_SIZE);
    int rc = acpi_build(&gm, gpa, size, &cfg, &t);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EFAULT || rc == -ENOMEM);
    if (rc) {
        /* A refusal before zeroing leaves RAM alone; after it, only the
         * region may have changed. */
        if (gpa < RAM_SIZE) {
            uint64_t n = MIN(size, RAM_SIZE - gpa);
            FUZZ_CHECK(memcmp(ram, canary, gpa) == 0);
            FUZZ_CHECK(memcmp(ram + gpa + n, canary, RAM_SIZE - gpa - n) == 0);
        }
        return;
    }
    FUZZ_CHECK(gpa + size <= RAM_SIZE);
    FUZZ_CHECK(memcmp(ram, canary, gpa) == 0);
    FUZZ_CHECK(memcmp(ram + gpa + size, canary, RAM_SIZE - gpa - size) == 0);
    check_tables(gpa, size, &cfg, &t);
}

/* ---- writer mode ------------------------------------------------------ */

/* A NUL-terminated string of up to max-1 input bytes (its length first). */
static const char *take_string(struct fuzz_in *in, char *buf, size_t max)
{
    size_t n = fuzz_u16(in) % max;
    memset(buf, 0, max);
    fuzz_bytes(in, buf, n);
    return buf;
}

static void fuzz_writer(struct fuzz_in *in)
{
    static char s[1100];
    size_t cap = fuzz_u16(in) % 4096;
    uint8_t *buf = malloc(cap ? cap : 1);
    size_t marks[MAX_DEPTH];
    unsigned depth = 0;
    struct aml a;

    if (!buf)
        abort();
    aml_init(&a, buf, cap);
    for (unsigned ops = 0; in->left && ops < 64; ops++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 10) {
        case 0: aml_integer(&a, fuzz_u64(in)); break;
        case 1: {
            /* A string object holds ASCII without NUL (20.2.3). */
            take_string(in, s, 64);
            for (char *c = s; *c; c++)
                *c = (char)((*c & 0x7f) ? (*c & 0x7f) : 'x');
            aml_string(&a, s);
            break;
        }
        case 2: aml_eisaid(&a, take_string(in, s, 9)); break;
        case 3: {
            uint8_t bytes[64];
            size_t n = fuzz_bytes(in, bytes, fuzz_u8(in) % sizeof(bytes));
            aml_buffer(&a, bytes, n);
            break;
        }
        case 4: aml_name_string(&a, take_string(in, s, sizeof(s))); break;
        case 5:
            aml_name(&a, take_string(in, s, sizeof(s)));
            aml_integer(&a, fuzz_u8(in));
            break;
        case 6: case 7: case 8:
            if (depth == MAX_DEPTH - 1)
                break;
            marks[depth++] =
                op % 10 == 6 ? aml_scope_begin(&a, take_string(in, s, 64)) :
                op % 10 == 7 ? aml_device_begin(&a, take_string(in, s, 64)) :
                               aml_package_begin(&a, fuzz_u8(in));
            break;
        case 9:
            if (depth)
                aml_pkg_end(&a, marks[--depth]);
            break;
        }
        if (a.len > cap)
            FUZZ_CHECK(a.overflow);
    }
    while (depth)
        aml_pkg_end(&a, marks[--depth]);
    if (a.len > cap)
        FUZZ_CHECK(a.overflow);
    if (!a.overflow)
        FUZZ_CHECK(read_terms(buf, buf + a.len, 0));
    free(buf);

    /* PkgLength encodings round-trip. */
    uint8_t enc[AML_PKG_RESERVE];
    size_t body = fuzz_u32(in) & 0x1fffffff;
    unsigned n = aml_pkglen_encode(enc, body);
    if (n) {
        unsigned follow = enc[0] >> 6;
        FUZZ_CHECK(n <= 4 && follow + 1 == n);
        uint32_t len = follow ? enc[0] & 0x0f : enc[0] & 0x3f;
        for (unsigned i = 0; i < follow; i++)
            len |= (uint32_t)enc[1 + i] << (4 + 8 * i);
        FUZZ_CHECK(len == body + n);
    } else {
        FUZZ_CHECK(body + 4 > AML_PKG_MAX);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ram) {
        ram = aligned_alloc(PAGE_SIZE, RAM_SIZE);
        if (!ram || gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)))
            abort();
        memset(canary, CANARY, sizeof(canary));
        log_set_level(LOG_ERR);
    }
    stub_capture_begin();
    struct fuzz_in in = { data, size };
    if (fuzz_u8(&in) & 1)
        fuzz_writer(&in);
    else
        fuzz_build(&in);
    return 0;
}
