/* A guest's physical memory map (mm/guest_mem.h). Slots are kept sorted by
 * guest-physical address and never overlap, so a range that spans slots is
 * followed slot by slot. Every length check is written so that it cannot
 * wrap: gpa and len come from the guest. */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/guest_mem.h"

/* The guest-physical address one past the slot's last byte. Slots are
 * checked on insert so that this fits in 64 bits. */
static gpa_t slot_end(const struct mem_slot *s)
{
    return s->gpa + s->size;
}

int gmem_add_slot(struct guest_mem *gm, gpa_t gpa, uint64_t size, hpa_t hpa)
{
    if (!IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(hpa, PAGE_SIZE) ||
        !IS_ALIGNED(size, PAGE_SIZE) || size == 0)
        return -EINVAL;
    /* Neither end may wrap; an end of exactly 2^64 is refused too, so
     * slot_end() is always representable. */
    if (size > UINT64_MAX - gpa || size > UINT64_MAX - hpa)
        return -EINVAL;

    unsigned i = 0;
    while (i < gm->nr_slots && slot_end(&gm->slots[i]) <= gpa)
        i++;
    if (i < gm->nr_slots && gm->slots[i].gpa < gpa + size)
        return -EBUSY;
    if (gm->nr_slots == GMEM_MAX_SLOTS)
        return -ENOMEM;

    memmove(&gm->slots[i + 1], &gm->slots[i],
            (gm->nr_slots - i) * sizeof(gm->slots[0]));
    gm->slots[i] = (struct mem_slot){ .gpa = gpa, .size = size, .hpa = hpa };
    gm->nr_slots++;
    gm->ram_bytes += size;
    return 0;
}

const struct mem_slot *gmem_find(const struct guest_mem *gm, gpa_t gpa)
{
    for (unsigned i = 0; i < gm->nr_slots; i++) {
        const struct mem_slot *s = &gm->slots[i];
        if (gpa >= s->gpa && gpa - s->gpa < s->size)
            return s;
    }
    return NULL;
}

bool gmem_is_ram(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
    if (len == 0)
        return gmem_find(gm, gpa) != NULL;
    /* The last byte, gpa + len - 1, must not wrap. */
    if (len - 1 > UINT64_MAX - gpa)
        return false;
    while (len) {
        const struct mem_slot *s = gmem_find(gm, gpa);
        if (!s)
            return false;
        uint64_t avail = slot_end(s) - gpa;
        if (len <= avail)
            return true;
        len -= avail;
        gpa += avail;   /* the next slot must start exactly here */
    }
    return true;
}

void *gmem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
    const struct mem_slot *s = gmem_find(gm, gpa);
    if (!s || len > slot_end(s) - gpa)
        return NULL;
    return hpa_ptr(s->hpa + (gpa - s->gpa));
}

/* Copy len bytes between guest RAM at gpa and buf; to_guest picks the
 * direction. The whole range is checked first, so a failed copy copies
 * nothing. */
static int copy(const struct guest_mem *gm, gpa_t gpa, void *buf,
                uint64_t len, bool to_guest)
{
    uint8_t *b = buf;

    if (len == 0)
        return 0;
    if (!gmem_is_ram(gm, gpa, len))
        return -EFAULT;
    while (len) {
        const struct mem_slot *s = gmem_find(gm, gpa);
        uint64_t n = MIN(len, slot_end(s) - gpa);
        void *host = hpa_ptr(s->hpa + (gpa - s->gpa));
        if (to_guest)
            memcpy(host, b, n);
        else
            memcpy(b, host, n);
        b += n;
        gpa += n;
        len -= n;
    }
    return 0;
}

int gmem_read(const struct guest_mem *gm, gpa_t gpa, void *buf, uint64_t len)
{
    return copy(gm, gpa, buf, len, false);
}

int gmem_write(const struct guest_mem *gm, gpa_t gpa, const void *buf,
               uint64_t len)
{
    /* copy() only reads buf when copying from the host to the guest. */
    int rc = copy(gm, gpa, (void *)buf, len, true);
    if (!rc && gm->on_write)
        gm->on_write(gm->on_write_ctx, gpa, len);
    return rc;
}

void gmem_wrote(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
    if (gm->on_write)
        gm->on_write(gm->on_write_ctx, gpa, len);
}
