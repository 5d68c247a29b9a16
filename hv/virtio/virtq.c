/* Split virtqueue, device side (hv/virtio/virtq.h).
 * Virtual I/O Device (VIRTIO) Version 1.2, 2.7 "Split Virtqueues". */
#include "hv/virtio/virtq.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/guest_mem.h"

const char *virtq_error_name(enum virtq_error e)
{
    static const char *const names[] = {
        [VIRTQ_OK] = "no error",
        [VIRTQ_ERR_RING_ADDR] = "ring not in guest RAM or misaligned",
        [VIRTQ_ERR_AVAIL_IDX] = "available index moved past the queue size",
        [VIRTQ_ERR_HEAD] = "descriptor index out of range",
        [VIRTQ_ERR_LOOP] = "descriptor chain loops",
        [VIRTQ_ERR_TOO_MANY] = "descriptor chain has too many buffers",
        [VIRTQ_ERR_BUFFER] = "buffer outside guest RAM",
        [VIRTQ_ERR_DIRECTION] = "device-readable buffer after a writable one",
        [VIRTQ_ERR_INDIRECT] = "malformed indirect descriptor",
        [VIRTQ_ERR_USED_ID] = "used entry for a chain not taken",
    };
    return (unsigned)e < ARRAY_SIZE(names) ? names[e] : "?";
}

/* The driver and device share the rings; a pinned VM's vCPUs run on
 * other CPUs while Keel touches them, so the order of our ring accesses
 * matters to the CPU as well as to the compiler (2.7.13.3.1: the device
 * writes the used element before the index). */
static inline void ring_fence(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int fail(struct virtq *q, enum virtq_error e)
{
    if (!q->err)
        q->err = e;
    return -EIO;
}

void virtq_reset(struct virtq *q)
{
    memset(q, 0, sizeof(*q));
}

int virtq_start(struct virtq *q, const struct guest_mem *mem, uint16_t size,
                gpa_t desc, gpa_t avail, gpa_t used, bool event_idx)
{
    virtq_reset(q);
    q->mem = mem;
    if (size == 0 || (size & (size - 1)) != 0 ||
        !IS_ALIGNED(desc, VIRTQ_DESC_ALIGN) ||
        !IS_ALIGNED(avail, VIRTQ_AVAIL_ALIGN) ||
        !IS_ALIGNED(used, VIRTQ_USED_ALIGN) ||
        !gmem_is_ram(mem, desc, virtq_desc_bytes(size)) ||
        !gmem_is_ram(mem, avail, virtq_avail_bytes(size)) ||
        !gmem_is_ram(mem, used, virtq_used_bytes(size))) {
        q->err = VIRTQ_ERR_RING_ADDR;
        return -EINVAL;
    }
    q->size = size;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->event_idx = event_idx;
    q->ready = true;
    return 0;
}

static int read16(struct virtq *q, gpa_t gpa, uint16_t *v)
{
    return gmem_read(q->mem, gpa, v, sizeof(*v)) ? fail(q, VIRTQ_ERR_RING_ADDR)
                                                 : 0;
}

static int write16(struct virtq *q, gpa_t gpa, uint16_t v)
{
    return gmem_write(q->mem, gpa, &v, sizeof(v)) ? fail(q, VIRTQ_ERR_RING_ADDR)
                                                  : 0;
}

/* With EVENT_IDX, avail_event (after the used ring) tells the driver the
 * next index whose addition deserves a notification: the one we will take
 * next. See: 2.7.10. */
static int publish_avail_event(struct virtq *q)
{
    if (!q->event_idx)
        return 0;
    return write16(q, q->used + 4 + 8ULL * q->size, q->last_avail);
}

/* Append one descriptor's buffer to the chain, checking its direction and
 * that it is RAM. See: 2.7.4.2 (writable buffers come after readable). */
static int add_buf(struct virtq *q, struct virtq_chain *c,
                   const struct virtq_desc *d)
{
    unsigned n = c->nr_out + c->nr_in;
    bool write = d->flags & VIRTQ_DESC_F_WRITE;

    if (n == VIRTQ_MAX_SG)
        return fail(q, VIRTQ_ERR_TOO_MANY);
    if (!write && c->nr_in)
        return fail(q, VIRTQ_ERR_DIRECTION);
    if (d->len && !gmem_is_ram(q->mem, d->addr, d->len))
        return fail(q, VIRTQ_ERR_BUFFER);
    c->buf[n] = (struct virtq_buf){ d->addr, d->len, write };
    if (write) {
        c->nr_in++;
        c->in_bytes += d->len;
    } else {
        c->nr_out++;
        c->out_bytes += d->len;
    }
    return 0;
}

/* Walk the chain at `head`. The table being walked is the ring's own
 * descriptor table or, after an INDIRECT descriptor, the indirect table;
 * either way no chain may visit more descriptors than the table holds
 * (more means a loop). See: 2.7.5.3.1 "Driver Requirements: Indirect
 * Descriptors" (no NEXT with INDIRECT, no INDIRECT inside a table). */
static int walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
    /* LAB 8 BEGIN: walk one descriptor chain, direct or indirect */
    gpa_t table = q->desc;
    uint32_t table_len = q->size, idx = head, visited = 0;
    bool indirect = false;

    c->head = head;
    c->nr_out = c->nr_in = 0;
    c->out_bytes = c->in_bytes = 0;
    for (;;) {
        struct virtq_desc d;
        if (idx >= table_len)
            return fail(q, VIRTQ_ERR_HEAD);
        if (++visited > table_len)
            return fail(q, VIRTQ_ERR_LOOP);
        if (gmem_read(q->mem, table + 16ULL * idx, &d, sizeof(d)))
            return fail(q, indirect ? VIRTQ_ERR_INDIRECT
                                    : VIRTQ_ERR_RING_ADDR);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 ||
                d.len % sizeof(struct virtq_desc) != 0 ||
                d.len / sizeof(struct virtq_desc) > VIRTQ_SIZE_MAX ||
                !IS_ALIGNED(d.addr, VIRTQ_DESC_ALIGN) ||
                !gmem_is_ram(q->mem, d.addr, d.len))
                return fail(q, VIRTQ_ERR_INDIRECT);
            /* The table's own entries chain from entry 0. */
            table = d.addr;
            table_len = d.len / sizeof(struct virtq_desc);
            idx = 0;
            visited = 0;
            indirect = true;
            continue;
        }
        int rc = add_buf(q, c, &d);
        if (rc)
            return rc;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        idx = d.next;
    }
    /* LAB 8 STUB
    (void)add_buf;
    c->head = head;
    c->nr_out = c->nr_in = 0;
    return fail(q, VIRTQ_ERR_HEAD);
    */
    /* LAB 8 END */
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t avail_idx, head;

    if (!q->ready || q->err)
        return 0;
    if (read16(q, q->avail + 2, &avail_idx))
        return -EIO;
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
    if (pending == 0) {
        if (publish_avail_event(q))
            return -EIO;
        if (!q->event_idx)
            return 0;
        /* A driver on another CPU may have added an entry after our read
         * and checked avail_event before our write, and so not notify:
         * look once more after the fence (2.7.10). */
        ring_fence();
        if (read16(q, q->avail + 2, &avail_idx))
            return -EIO;
        pending = (uint16_t)(avail_idx - q->last_avail);
        if (pending == 0)
            return 0;
    }
    /* 2.7.6: idx only grows, by at most the entries that exist. */
    if (pending > q->size)
        return fail(q, VIRTQ_ERR_AVAIL_IDX);
    ring_fence();  /* read the entry after the index (2.7.13.3) */
    if (read16(q, q->avail + 4 + 2ULL * (q->last_avail % q->size), &head))
        return -EIO;
    if (head >= q->size)
        return fail(q, VIRTQ_ERR_HEAD);
    if (walk(q, head, c))
        return -EIO;
    q->last_avail++;
    q->inflight++;
    if (publish_avail_event(q))
        return -EIO;
    return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
    if (!q->ready || q->err)
        return -EIO;
    if (q->inflight == 0 || head >= q->size)
        return fail(q, VIRTQ_ERR_USED_ID);
    struct virtq_used_elem e = { head, written };
    if (gmem_write(q->mem, q->used + 4 + 8ULL * (q->used_idx % q->size), &e,
                   sizeof(e)))
        return fail(q, VIRTQ_ERR_RING_ADDR);
    ring_fence();  /* the element before the index (2.7.8.2) */
    q->used_idx++;
    q->inflight--;
    return write16(q, q->used + 2, q->used_idx);
}

bool virtq_should_interrupt(struct virtq *q)
{
    uint16_t old = q->signalled, v;

    if (!q->ready || q->err || old == q->used_idx)
        return false;
    q->signalled = q->used_idx;
    ring_fence();  /* our index before their suppression fields */
    if (q->event_idx) {
        if (read16(q, q->avail + 4 + 2ULL * q->size, &v))
            return false;
        return virtq_need_event(v, q->used_idx, old);
    }
    if (read16(q, q->avail, &v))
        return false;
    return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Copy between buf and the stream formed by bufs[0..n) from byte off. */
static int chain_copy(const struct virtq *q, const struct virtq_buf *bufs,
                      unsigned n, uint64_t total, uint64_t off, void *buf,
                      uint64_t len, bool to_guest)
{
    uint8_t *p = buf;

    if (off > total || len > total - off)
        return -EFAULT;
    for (unsigned i = 0; i < n && len; i++) {
        if (off >= bufs[i].len) {
            off -= bufs[i].len;
            continue;
        }
        uint64_t chunk = MIN(len, bufs[i].len - off);
        gpa_t gpa = bufs[i].gpa + off;
        int rc = to_guest ? gmem_write(q->mem, gpa, p, chunk)
                          : gmem_read(q->mem, gpa, p, chunk);
        if (rc)
            return rc;
        p += chunk;
        len -= chunk;
        off = 0;
    }
    return len ? -EFAULT : 0;
}

int virtq_chain_piece(const struct virtq_chain *c, bool writable,
                      uint64_t off, gpa_t *gpa, uint64_t *len)
{
    const struct virtq_buf *b = writable ? c->buf + c->nr_out : c->buf;
    unsigned n = writable ? c->nr_in : c->nr_out;

    for (unsigned i = 0; i < n; i++, b++) {
        if (off < b->len) {
            *gpa = b->gpa + off;
            *len = b->len - off;
            return 0;
        }
        off -= b->len;
    }
    return -EFAULT;
}

int virtq_chain_read(const struct virtq *q, const struct virtq_chain *c,
                     uint64_t off, void *buf, uint64_t len)
{
    return chain_copy(q, c->buf, c->nr_out, c->out_bytes, off, buf, len,
                      false);
}

int virtq_chain_write(const struct virtq *q, const struct virtq_chain *c,
                      uint64_t off, const void *buf, uint64_t len)
{
    return chain_copy(q, c->buf + c->nr_out, c->nr_in, c->in_bytes, off,
                      (void *)buf, len, true);
}
