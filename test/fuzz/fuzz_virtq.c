/* Fuzz target: the split virtqueue walker (hv/virtio/virtq.c), device side,
 * against a guest that writes anything into its rings. Guest RAM is two
 * slots with a hole between them, each its own heap block so that ASan
 * sees any byte read or written outside the guest's RAM:
 *   [0x0000, 0x8000) and [0x9000, 0xb000).
 *
 * Input: the queue's size, the GPAs of its three parts and EVENT_IDX; 16
 * device actions (pop a chain, push one back, push a head it does not own,
 * read or write a held chain, ask whether to interrupt, or let the driver
 * poke a 16-bit value into RAM between actions); then the image of the
 * first slot (descriptors, rings, indirect tables, buffers).
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - virtq_pop returns 1, 0 or -EIO; every chain it returns has a head
 *    below the queue size, at most VIRTQ_MAX_SG buffers, the readable ones
 *    first, byte totals that match its buffers, and every buffer inside
 *    guest RAM (gmem_is_ram);
 *  - an error names its reason (q.err set, a name for it) and kills the
 *    queue: later pops return 0, pushes -EIO, no interrupt;
 *  - every call returns (loops in the descriptor graph terminate; the
 *    fuzzer's -timeout catches a hang);
 *  - virtq_chain_read/write move exactly the bytes of the chain's buffers
 *    at that offset (checked against a gather of our own), or refuse with
 *    -EFAULT when off + len is beyond the chain's part;
 *  - after a push the used index in guest RAM is the queue's used_idx. */
#include <stdlib.h>

#include "hv/virtio/virtq.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "mm/guest_mem.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

#define SLOT_A_GPA  0x0000u
#define SLOT_A_SIZE 0x8000u
#define SLOT_B_GPA  0x9000u
#define SLOT_B_SIZE 0x2000u
#define NR_ACTIONS  16
#define HELD_MAX    4       /* chains the fake device holds at once */
#define COPY_MAX    0x3000u /* longest chain read/write tried */

static uint8_t *slot_a, *slot_b;
static struct guest_mem gm;
static struct virtq q;
static struct virtq_chain held[HELD_MAX];
static unsigned nr_held;
static uint8_t mine[COPY_MAX], theirs[COPY_MAX];

static void check_chain(const struct virtq_chain *c)
{
    uint64_t out = 0, in = 0;

    FUZZ_CHECK(c->head < q.size);
    FUZZ_CHECK(c->nr_out + c->nr_in <= VIRTQ_MAX_SG);
    for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
        const struct virtq_buf *b = &c->buf[i];
        FUZZ_CHECK(b->write == (i >= c->nr_out));
        FUZZ_CHECK(b->len == 0 || gmem_is_ram(&gm, b->gpa, b->len));
        *(b->write ? &in : &out) += b->len;
    }
    FUZZ_CHECK(out == c->out_bytes && in == c->in_bytes);
}

/* The queue broke: it must say why and stay dead. */
static void check_dead(void)
{
    struct virtq_chain c;
    FUZZ_CHECK(q.err != VIRTQ_OK);
    FUZZ_CHECK(strcmp(virtq_error_name(q.err), "?") != 0);
    FUZZ_CHECK(virtq_pop(&q, &c) == 0);
    FUZZ_CHECK(virtq_push(&q, 0, 0) == -EIO);
    FUZZ_CHECK(!virtq_should_interrupt(&q));
}

/* Our own gather of [off, off+len) of the chain's readable (write=false)
 * or writable part into buf. */
static void gather(const struct virtq_chain *c, bool write, uint64_t off,
                   uint8_t *buf, uint64_t len)
{
    unsigned first = write ? c->nr_out : 0;
    unsigned n = write ? c->nr_in : c->nr_out;
    for (unsigned i = first; i < first + n && len; i++) {
        const struct virtq_buf *b = &c->buf[i];
        if (off >= b->len) {
            off -= b->len;
            continue;
        }
        uint64_t chunk = MIN(len, b->len - off);
        FUZZ_CHECK(gmem_read(&gm, b->gpa + off, buf, chunk) == 0);
        buf += chunk;
        len -= chunk;
        off = 0;
    }
    FUZZ_CHECK(len == 0);
}

static void copy(const struct virtq_chain *c, bool write, uint16_t off,
                 uint16_t len)
{
    uint64_t total = write ? c->in_bytes : c->out_bytes;
    len %= COPY_MAX;
    if (write) {
        for (unsigned i = 0; i < len; i++)
            mine[i] = (uint8_t)(off + i * 7);
        int rc = virtq_chain_write(&q, c, off, mine, len);
        FUZZ_CHECK(rc == ((uint64_t)off + len <= total ? 0 : -EFAULT));
        if (rc == 0) {
            /* Buffers may overlap each other: then a later one wins, and
             * what reads back differs. Only check when they do not. */
            bool overlap = false;
            for (unsigned i = c->nr_out; i < c->nr_out + c->nr_in; i++)
                for (unsigned j = i + 1; j < c->nr_out + c->nr_in; j++)
                    if (c->buf[i].gpa < c->buf[j].gpa + c->buf[j].len &&
                        c->buf[j].gpa < c->buf[i].gpa + c->buf[i].len)
                        overlap = true;
            gather(c, true, off, theirs, len);
            FUZZ_CHECK(overlap || memcmp(mine, theirs, len) == 0);
        }
    } else {
        int rc = virtq_chain_read(&q, c, off, theirs, len);
        FUZZ_CHECK(rc == ((uint64_t)off + len <= total ? 0 : -EFAULT));
        if (rc == 0) {
            gather(c, false, off, mine, len);
            FUZZ_CHECK(memcmp(mine, theirs, len) == 0);
        }
    }
}

static void check_used_idx(void)
{
    uint16_t idx;
    FUZZ_CHECK(gmem_read(&gm, q.used + 2, &idx, 2) == 0);
    FUZZ_CHECK(idx == q.used_idx);
}

static void act(uint8_t op, uint8_t a8, uint16_t a16)
{
    struct virtq_chain *c = nr_held ? &held[nr_held - 1] : NULL;
    int rc;

    switch (op % 8) {
    case 0: case 1:
        if (nr_held == HELD_MAX)   /* the device finishes its oldest */
            memmove(&held[0], &held[1], sizeof(held[0]) * --nr_held);
        rc = virtq_pop(&q, &held[nr_held]);
        FUZZ_CHECK(rc == 1 || rc == 0 || rc == -EIO);
        if (rc == 1)
            check_chain(&held[nr_held++]);
        else if (rc == -EIO)
            check_dead();
        break;
    case 2:
        if (!c)
            break;
        rc = virtq_push(&q, c->head, (uint32_t)(a16 % (c->in_bytes + 1)));
        nr_held--;
        if (rc == 0)
            check_used_idx();
        else
            check_dead();
        break;
    case 3:   /* a head the device may not own */
        if (virtq_push(&q, a16, a8) == 0)
            check_used_idx();
        else
            check_dead();
        break;
    case 4: case 5:
        if (c)
            copy(c, op % 8 == 5, (uint16_t)(a8 * 16), a16);
        break;
    case 6:
        virtq_should_interrupt(&q);
        break;
    case 7:   /* the driver writes its ring while the device works */
        memcpy(slot_a + (a8 * 64u + (a16 >> 10)) % (SLOT_A_SIZE - 1), &a16, 2);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!slot_a) {
        slot_a = aligned_alloc(4096, SLOT_A_SIZE);
        slot_b = aligned_alloc(4096, SLOT_B_SIZE);
        if (!slot_a || !slot_b ||
            gmem_add_slot(&gm, SLOT_A_GPA, SLOT_A_SIZE, ptr_hpa(slot_a)) ||
            gmem_add_slot(&gm, SLOT_B_GPA, SLOT_B_SIZE, ptr_hpa(slot_b)))
            abort();
        log_set_level(LOG_ERR);
    }
    stub_capture_begin();

    struct fuzz_in in = { data, size };
    uint8_t sel = fuzz_u8(&in);
    uint16_t raw_size = fuzz_u16(&in);
    uint16_t qsize = (sel & 0x80) ? raw_size : (uint16_t)(1u << (sel % 10));
    gpa_t desc = fuzz_u32(&in), avail = fuzz_u32(&in), used = fuzz_u32(&in);
    bool event_idx = fuzz_u8(&in) & 1;
    uint8_t actions[NR_ACTIONS][4];
    memset(actions, 0, sizeof(actions));
    fuzz_bytes(&in, actions, sizeof(actions));
    memset(slot_a, 0, SLOT_A_SIZE);
    memset(slot_b, 0, SLOT_B_SIZE);
    fuzz_bytes(&in, slot_a, SLOT_A_SIZE);

    nr_held = 0;
    memset(&q, 0, sizeof(q));
    int rc = virtq_start(&q, &gm, qsize, desc, avail, used, event_idx);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (rc) {
        FUZZ_CHECK(!q.ready && q.err != VIRTQ_OK);
        return 0;
    }
    /* What virtq_start accepted: every part inside RAM. */
    FUZZ_CHECK(gmem_is_ram(&gm, desc, 16ULL * qsize));
    FUZZ_CHECK(gmem_is_ram(&gm, avail, 4 + 2ULL * qsize + 2 * event_idx));
    FUZZ_CHECK(gmem_is_ram(&gm, used, 4 + 8ULL * qsize + 2 * event_idx));
    for (unsigned i = 0; i < NR_ACTIONS; i++)
        act(actions[i][0], actions[i][1],
            (uint16_t)(actions[i][2] | actions[i][3] << 8));
    return 0;
}
