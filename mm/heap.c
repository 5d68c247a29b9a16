/* kzalloc (mm/heap.h): small objects are carved from a page-sized arena,
 * large ones take their own frames. */
#include "lib/string.h"
#include "mm/frame.h"
#include "mm/guest_mem.h"
#include "mm/heap.h"

static uint8_t *arena;
static size_t arena_left;

void *kzalloc(size_t size)
{
    size = ALIGN_UP(size, 16);
    if (size >= PAGE_SIZE / 2) {
        uint64_t pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
        hpa_t hpa = frame_alloc(pages, PAGE_SIZE);
        if (!hpa)
            return NULL;
        memset(hpa_ptr(hpa), 0, pages * PAGE_SIZE);
        return hpa_ptr(hpa);
    }
    if (size > arena_left) {
        hpa_t hpa = frame_alloc(1, PAGE_SIZE);
        if (!hpa)
            return NULL;
        arena = hpa_ptr(hpa);
        arena_left = PAGE_SIZE;
    }
    void *p = arena;
    arena += size;
    arena_left -= size;
    memset(p, 0, size);
    return p;
}
