/* Data accesses for the emulator: segment:offset to linear address
 * (segmentation checks), and reads/writes of up to 8 bytes that go through
 * the guest page tables to ops->phys_read/phys_write, split at page
 * boundaries.
 * Reference: Intel SDM Volume 3A (order no. 253668), 3.4 "Segment
 * Selectors", 5.3 "Limit Checking", 5.4 "Type Checking", 3.3.7.1
 * "Canonical Addressing"; Volume 1 3.3.7. */
#include "hv/emulate/insn.h"
#include "lib/errno.h"

/* Segment descriptor type bits for S = 1 (SDM 3A 3.4.5.1 table 3-1). */
#define SEG_TYPE_CODE      BIT(3)
#define SEG_TYPE_DATA_DOWN BIT(2)   /* data: expand-down */
#define SEG_TYPE_DATA_W    BIT(1)   /* data: writable */
#define SEG_TYPE_CODE_R    BIT(1)   /* code: readable */

/* #GP(0), or #SS(0) when the stack segment is at fault (SDM 3A 6.15
 * "Interrupt 12 - Stack Fault Exception"). */
static int seg_fault(int seg, struct emu_result *res)
{
    emu_set_fault(res, seg == SEG_SS ? VEC_SS : VEC_GP, true, 0, 0);
    return -EFAULT;
}

/* SDM 3A 3.3.7.1: bits 63 down to the top implemented bit (47, or 56 with
 * LA57) must be equal. */
static bool is_canonical(const struct vcpu_state *st, uint64_t la)
{
    unsigned width = (st->cr4 & CR4_LA57) ? 57 : 48;
    int64_t s = (int64_t)(la << (64 - width)) >> (64 - width);
    return (uint64_t)s == la;
}

/* Limit and type checks of a protected-mode segment (SDM 3A 5.3, 5.4).
 * Real mode checks only the limit, which the hidden part of the segment
 * register still holds (SDM 3A 20.1.1 "Address Translation in Real-Address
 * Mode" and "unreal" mode). */
static bool seg_ok(const struct vcpu_state *st, const struct segment *s,
                   uint64_t off, unsigned size, enum emu_access acc)
{
    uint64_t last = off + size - 1;
    uint32_t type = SEG_ATTR_TYPE(s->attr);
    bool prot = (st->cr0 & CR0_PE) != 0;

    if (prot && acc != EMU_ACC_FETCH) {
        if (!(s->attr & SEG_ATTR_P) || !(s->attr & SEG_ATTR_S))
            return false;           /* unusable or a system segment */
        if (type & SEG_TYPE_CODE) {
            if (acc == EMU_ACC_WRITE || !(type & SEG_TYPE_CODE_R))
                return false;
        } else if (acc == EMU_ACC_WRITE && !(type & SEG_TYPE_DATA_W)) {
            return false;
        }
        if (!(type & SEG_TYPE_CODE) && (type & SEG_TYPE_DATA_DOWN)) {
            uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffff;
            return off > s->limit && last <= upper;
        }
    }
    return last <= s->limit;
}

int emu_linear(const struct vcpu_state *st, int seg, uint64_t offset,
               unsigned size, enum emu_access acc, gva_t *la,
               struct emu_result *res)
{
    const struct segment *s = &st->seg[seg];

    if (vcpu_state_mode(st) == MODE_LONG64) {
        /* SDM 3A 3.2.4: only FS and GS keep a base in 64-bit mode, and
         * no limit is checked. */
        uint64_t base = (seg == SEG_FS || seg == SEG_GS) ? s->base : 0;
        uint64_t a = base + offset;
        if (!is_canonical(st, a) || !is_canonical(st, a + size - 1))
            return seg_fault(seg, res);
        *la = a;
        return 0;
    }
    if (!seg_ok(st, s, offset, size, acc))
        return seg_fault(seg, res);
    *la = (s->base + offset) & 0xffffffffULL;
    return 0;
}

/* Linear addresses wrap at 4 GiB outside 64-bit mode. */
static gva_t la_add(const struct vcpu_state *st, gva_t la, uint64_t n)
{
    gva_t r = la + n;
    return vcpu_state_mode(st) == MODE_LONG64 ? r : (r & 0xffffffffULL);
}

/* Translate both pages of an access before touching either, as the CPU
 * checks the whole access before any part of it is performed. Out: gpa[2]
 * and n1, the bytes that fall in the first page. */
static int translate_span(const struct vcpu_state *st,
                          const struct emu_ops *ops, gva_t la, unsigned size,
                          enum emu_access acc, gpa_t gpa[2], unsigned *n1,
                          struct emu_result *res)
{
    unsigned room = (unsigned)(PAGE_SIZE - (la & (PAGE_SIZE - 1)));
    int err;

    *n1 = size < room ? size : room;
    if ((err = emulate_translate(st, ops, la, acc, &gpa[0], res)))
        return err;
    gpa[1] = 0;
    if (*n1 < size)
        err = emulate_translate(st, ops, la_add(st, la, *n1), acc, &gpa[1],
                                res);
    return err;
}

/* Largest power of two (<= 8) not above n. */
static unsigned chunk(unsigned n)
{
    return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

/* n bytes at gpa within one page, as 8/4/2/1-byte phys accesses. */
static int phys_read_n(const struct emu_ops *ops, gpa_t gpa, unsigned n,
                       uint64_t *val, unsigned shift)
{
    while (n) {
        unsigned c = chunk(n);
        uint64_t v = 0;
        if (ops->phys_read(ops->ctx, gpa, c, &v))
            return -EIO;
        *val |= (v & emu_size_mask(c)) << shift;
        gpa += c;
        shift += 8 * c;
        n -= c;
    }
    return 0;
}

static int phys_write_n(const struct emu_ops *ops, gpa_t gpa, unsigned n,
                        uint64_t val)
{
    while (n) {
        unsigned c = chunk(n);
        if (ops->phys_write(ops->ctx, gpa, c, val & emu_size_mask(c)))
            return -EIO;
        gpa += c;
        val = c >= 8 ? 0 : val >> (8 * c);
        n -= c;
    }
    return 0;
}

int emu_mem_read(const struct vcpu_state *st, const struct emu_ops *ops,
                 gva_t la, unsigned size, bool write_check, uint64_t *val,
                 struct emu_result *res)
{
    gpa_t gpa[2];
    unsigned n1;
    int err;

    err = translate_span(st, ops, la, size,
                         write_check ? EMU_ACC_WRITE : EMU_ACC_READ, gpa, &n1,
                         res);
    if (err)
        return err;
    *val = 0;
    if ((err = phys_read_n(ops, gpa[0], n1, val, 0)))
        return err;
    if (n1 < size)
        err = phys_read_n(ops, gpa[1], size - n1, val, 8 * n1);
    return err;
}

int emu_mem_write(const struct vcpu_state *st, const struct emu_ops *ops,
                  gva_t la, unsigned size, uint64_t val,
                  struct emu_result *res)
{
    gpa_t gpa[2];
    unsigned n1;
    int err;

    err = translate_span(st, ops, la, size, EMU_ACC_WRITE, gpa, &n1, res);
    if (err)
        return err;
    if ((err = phys_write_n(ops, gpa[0], n1, val)))
        return err;
    if (n1 < size)
        err = phys_write_n(ops, gpa[1], size - n1, val >> (8 * n1));
    return err;
}

int emu_mem_check(const struct vcpu_state *st, const struct emu_ops *ops,
                  gva_t la, unsigned size, enum emu_access acc,
                  struct emu_result *res)
{
    gpa_t gpa[2];
    unsigned n1;

    return translate_span(st, ops, la, size, acc, gpa, &n1, res);
}
