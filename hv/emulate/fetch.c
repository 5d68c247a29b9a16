/* Instruction fetch: read the bytes at CS:RIP through the guest's
 * segmentation and paging, and decode them; emulate_insn_length().
 * Reference: Intel SDM Volume 3A (order no. 253668), 5.3 "Limit Checking"
 * (code segment), 4.6 (fetch rights); Volume 2 2.3.11 (15-byte limit). */
#include "hv/emulate/insn.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Read n code bytes at linear la into insn->bytes[avail..]; n never crosses
 * a page. */
static int fetch_bytes(const struct vcpu_state *st, const struct emu_ops *ops,
                       struct emu_insn *insn, gva_t la, unsigned n,
                       struct emu_result *res)
{
    gpa_t gpa;
    int err = emulate_translate(st, ops, la, EMU_ACC_FETCH, &gpa, res);

    if (err)
        return err;
    if (ops->read_ram(ops->ctx, gpa, insn->bytes + insn->avail, n))
        return -EIO;
    insn->avail = (uint8_t)(insn->avail + n);
    return 0;
}

static void copy_bytes(const struct emu_insn *insn, struct emu_result *res)
{
    if (!res)
        return;
    memcpy(res->bytes, insn->bytes, insn->avail);
    res->nbytes = insn->avail;
    res->len = insn->len;
}

int emu_fetch_decode(const struct vcpu_state *st, const struct emu_ops *ops,
                     struct emu_insn *insn, struct emu_result *res)
{
    const struct segment *cs = &st->seg[SEG_CS];
    unsigned max = INSN_MAX_LEN;
    gva_t la;
    int err;

    insn->mode = vcpu_state_mode(st);
    insn->avail = 0;
    if (insn->mode == MODE_LONG64) {
        la = st->rip;
        uint64_t top = (st->cr4 & CR4_LA57) ? 56 : 47;
        int64_t s = (int64_t)(la << (63 - top)) >> (63 - top);
        if ((uint64_t)s != la) {
            emu_set_fault(res, VEC_GP, true, 0, 0);
            return -EFAULT;
        }
    } else {
        /* SDM 3A 5.3: every byte fetched must lie within CS.limit. */
        if (st->rip > cs->limit) {
            emu_set_fault(res, VEC_GP, true, 0, 0);
            return -EFAULT;
        }
        if (cs->limit - st->rip + 1 < max)
            max = (unsigned)(cs->limit - st->rip + 1);
        la = (cs->base + st->rip) & 0xffffffffULL;
    }

    err = 0;
    if (ops->prefetched_len) {
        /* Bytes the CPU fetched (and checked) for this very exit. */
        unsigned n = MIN((unsigned)ops->prefetched_len, max);
        memcpy(insn->bytes, ops->prefetched, n);
        insn->avail = (uint8_t)n;
        err = emu_decode(insn);
    }
    /* Take what the current page offers, and the next page only if the
     * instruction really continues there: the CPU raises #PF for the
     * second page only in that case. */
    while (!insn->avail || (err && insn->truncated && insn->avail < max)) {
        bool first = !insn->avail;
        gva_t at = la + insn->avail;
        if (insn->mode != MODE_LONG64)
            at &= 0xffffffffULL;
        unsigned room = (unsigned)(PAGE_SIZE - (at & (PAGE_SIZE - 1)));
        err = fetch_bytes(st, ops, insn, at, MIN(room, max - insn->avail),
                          res);
        if (err && first)
            return err;
        if (err)
            break;
        err = emu_decode(insn);
    }
    copy_bytes(insn, res);
    if (err && insn->truncated && max < INSN_MAX_LEN) {
        emu_set_fault(res, VEC_GP, true, 0, 0); /* ran past CS.limit */
        return -EFAULT;
    }
    return err;
}

int emulate_insn_length(const struct vcpu_state *st, const struct emu_ops *ops,
                        struct emu_result *res)
{
    struct emu_insn insn;
    int err = emu_fetch_decode(st, ops, &insn, res);

    if (err)
        return err;
    return insn.len;
}
