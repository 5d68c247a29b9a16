/* A tiny ACPI Machine Language writer: just the encodings Keel's DSDT
 * needs, written into a caller-owned byte buffer.
 * Spec: ACPI 6.4 chapter 20 "ACPI Machine Language (AML) Specification"
 * (20.2 grammar) and 6.4 "Resource Data Types for ACPI".
 * Writers never fail midway: running out of space sets `overflow`, further
 * output is dropped, and the caller checks once at the end. */
#ifndef KEEL_ACPI_AML_H
#define KEEL_ACPI_AML_H

#include "lib/types.h"

/* Opcodes (20.3 "AML Byte Stream Byte Values"). */
#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0A
#define AML_WORD_PREFIX     0x0B
#define AML_DWORD_PREFIX    0x0C
#define AML_STRING_PREFIX   0x0D
#define AML_QWORD_PREFIX    0x0E
#define AML_SCOPE_OP        0x10
#define AML_BUFFER_OP       0x11
#define AML_PACKAGE_OP      0x12
#define AML_DUAL_NAME_PREFIX  0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX   0x5B
#define AML_DEVICE_OP       0x82   /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR       0x5C   /* '\' */
#define AML_PARENT_PREFIX   0x5E   /* '^' */
#define AML_ONES_OP         0xFF

/* PkgLength (20.2.4) counts itself; one byte holds up to 63, four bytes up
 * to 2^28 - 1. */
#define AML_PKG_MAX        ((1u << 28) - 1)
#define AML_PKG_RESERVE    4

struct aml {
    uint8_t *buf;
    size_t cap;     /* bytes */
    size_t len;     /* bytes written (or that would have been) */
    bool overflow;
};

void aml_init(struct aml *a, void *buf, size_t cap);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* Encode a PkgLength whose total (itself included) covers `body` bytes that
 * follow it, in the fewest bytes, at out (4 bytes room). Returns the
 * number of bytes used (1-4), 0 if body is too large. */
unsigned aml_pkglen_encode(uint8_t *out, size_t body);

/* Open a PkgLength-prefixed region: reserves room and returns a mark for
 * aml_pkg_end(), which writes the final length and closes the gap. While a
 * package is open the writer uses up to 3 bytes more than the final size,
 * so a buffer needs that much headroom per nesting level. */
size_t aml_pkg_begin(struct aml *a);
void aml_pkg_end(struct aml *a, size_t mark);

/* NameString (20.2.2) from a dotted path: "\\_SB.COM1", "_HID", "^FOO".
 * Segments shorter than 4 characters are padded with '_'; a segment must
 * start with 'A'-'Z' or '_' and hold only those and digits (else overflow
 * is set, which the caller reports as a bug). */
void aml_name_string(struct aml *a, const char *path);

/* Data objects: the shortest integer encoding (ZeroOp, OneOp, OnesOp,
 * Byte/Word/DWord/QWord prefix), a NUL-terminated string, an EISA ID such
 * as "PNP0501" compressed into a DWord (6.1.5 "_HID"). */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id);
uint32_t aml_eisaid_value(const char *id);

/* Name(path, ...): NameOp and the name; the caller writes the value. */
void aml_name(struct aml *a, const char *path);
/* Scope(path){...} and Device(path){...}: open with _begin, which returns
 * the mark to pass to aml_pkg_end() after the body. */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
/* Package(n){...}: n elements follow; close with aml_pkg_end(). */
size_t aml_package_begin(struct aml *a, uint8_t nelems);
/* Buffer(){bytes}: BufferOp, PkgLength, BufferSize, bytes. */
void aml_buffer(struct aml *a, const void *bytes, size_t n);

/* ---- Resource descriptors (6.4), for _CRS buffers ------------------------ */
/* IO(Decode16, min, max, align, len): small item, type 0x08 (6.4.2.5). */
void aml_rt_io(struct aml *rt, uint16_t min, uint16_t max, uint8_t align,
               uint8_t len);
/* IRQNoFlags(){irq}: small item, type 0x04, 2-byte form (6.4.2.1). ISA
 * semantics: edge-triggered, active high. */
void aml_rt_irq_noflags(struct aml *rt, unsigned irq);
/* Memory32Fixed(ReadWrite, base, len): large item 0x86 (6.4.3.4). */
void aml_rt_memory32_fixed(struct aml *rt, bool writable, uint32_t base,
                           uint32_t len);
/* Interrupt(ResourceConsumer, edge/level, ActiveHigh, Exclusive){gsi}:
 * large item 0x89, Extended Interrupt Descriptor (6.4.3.6). */
void aml_rt_interrupt(struct aml *rt, bool edge, uint32_t gsi);
/* End tag (6.4.2.9) with the checksum that makes the template sum to 0. */
void aml_rt_end(struct aml *rt);

#endif
