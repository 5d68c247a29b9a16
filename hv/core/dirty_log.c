/* Dirty-page logging with nested paging write protection
 * (hv/core/dirty_log.h; lab 9). */
#include "hv/core/dirty_log.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/pt.h"

/* RAM while the log is on: readable and executable, never writable. */
#define PT_LOGGED (PT_R | PT_X)

static uint64_t slot_pages(const struct mem_slot *slot)
{
    return slot->size >> PAGE_SHIFT;
}

static uint64_t bitmap_bytes(const struct mem_slot *slot)
{
    return DIV_ROUND_UP(slot_pages(slot), 64) * sizeof(uint64_t);
}

/* After an NPT/EPT change: every vCPU of the VM flushes its guest-physical
 * TLB entries before it next enters (a stale writable entry would let
 * writes past the log); one in its guest on another CPU is kicked out so
 * that happens soon (not waited for: see docs/architecture.md, "Several
 * CPUs"). */
static void flush_all(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        vendor->flush_guest_tlb(vm->vcpus[i]);
        vcpu_kick(vm->vcpus[i]);
    }
}

/* Map pages [first, first + n) of slot with perms. Returns 0 or -ENOMEM. */
static int map_pages(struct vm *vm, const struct mem_slot *slot,
                     uint64_t first, uint64_t n, unsigned perms)
{
    uint64_t off = first << PAGE_SHIFT;
    return pt_map(&vm->npt, slot->gpa + off, slot->hpa + off,
                  n << PAGE_SHIFT, perms);
}

static void clear_bits(struct vm *vm)
{
    for (unsigned i = 0; i < vm->mem.nr_slots; i++)
        if (vm->dirty.bits[i])
            memset(vm->dirty.bits[i], 0, bitmap_bytes(&vm->mem.slots[i]));
    vm->dirty.dirty = 0;
    vm->dirty.faults = 0;
}

/* guest_mem's on_write: Keel's own writes to guest RAM. */
static void keel_wrote(void *ctx, gpa_t gpa, uint64_t len)
{
    dirty_log_mark(ctx, gpa, len);
}

int dirty_log_start(struct vm *vm)
{
    struct dirty_log *log = &vm->dirty;

    for (unsigned i = 0; i < vm->mem.nr_slots; i++) {
        if (!log->bits[i])
            log->bits[i] = kzalloc(bitmap_bytes(&vm->mem.slots[i]));
        if (!log->bits[i]) {
            log_warn("vm %s: no memory for the dirty log", vm->name);
            return -ENOMEM;
        }
    }
    clear_bits(vm);
    log->on = true;
    vm->mem.on_write = keel_wrote;
    vm->mem.on_write_ctx = vm;
    for (unsigned i = 0; i < vm->mem.nr_slots; i++) {
        const struct mem_slot *slot = &vm->mem.slots[i];
        if (map_pages(vm, slot, 0, slot_pages(slot), PT_LOGGED)) {
            log_warn("vm %s: no memory for page tables: dirty log off",
                     vm->name);
            dirty_log_stop(vm);
            return -ENOMEM;
        }
    }
    flush_all(vm);
    return 0;
}

void dirty_log_stop(struct vm *vm)
{
    /* Mapping whole slots RWX again puts back the 2 MiB leaves the write
     * faults split, so the VM runs as fast as before the log. pt_map only
     * fails for want of a table, and a whole slot needs none it does not
     * already have. */
    for (unsigned i = 0; i < vm->mem.nr_slots; i++) {
        const struct mem_slot *slot = &vm->mem.slots[i];
        if (map_pages(vm, slot, 0, slot_pages(slot), PT_RWX))
            vm_crash(vm, "dirty log: cannot make RAM writable again");
    }
    clear_bits(vm);
    vm->dirty.on = false;
    vm->mem.on_write = NULL;
    flush_all(vm);
}

bool dirty_log_write_fault(struct vm *vm, gpa_t gpa)
{
    struct dirty_log *log = &vm->dirty;
    const struct mem_slot *slot = gmem_find(&vm->mem, gpa);

    if (!log->on || !slot)
        return false;
    /* LAB 9 BEGIN: log the page, make it writable, let the guest retry */
    unsigned s = (unsigned)(slot - vm->mem.slots);
    uint64_t page = (gpa - slot->gpa) >> PAGE_SHIFT;
    uint64_t *word = &log->bits[s][page / 64];

    if (!(*word & BIT(page % 64))) {
        *word |= BIT(page % 64);
        log->dirty++;
    }
    log->faults++;
    /* Only this 4 KiB page becomes writable: the first write into a 2 MiB
     * leaf splits it into 512 small ones (pt_map), which may need a table
     * frame. */
    if (map_pages(vm, slot, page, 1, PT_RWX)) {
        vm_crash(vm, "dirty log: no memory for a page table at gpa %#llx",
                 (unsigned long long)gpa);
        return true;
    }
    flush_all(vm);
    return true;
    /* LAB 9 STUB
    vm_crash(vm, "lab 9: dirty_log_write_fault is not written (gpa %#llx)",
             (unsigned long long)gpa);
    return true;
    */
    /* LAB 9 END */
}

void dirty_log_mark(struct vm *vm, gpa_t gpa, uint64_t len)
{
    struct dirty_log *log = &vm->dirty;
    if (!log->on || !len)
        return;
    gpa_t last = gpa + len - 1 < gpa ? UINT64_MAX : gpa + len - 1;
    for (gpa_t p = ALIGN_DOWN(gpa, PAGE_SIZE); p <= last; p += PAGE_SIZE) {
        const struct mem_slot *slot = gmem_find(&vm->mem, p);
        if (slot) {
            unsigned s = (unsigned)(slot - vm->mem.slots);
            uint64_t page = (p - slot->gpa) >> PAGE_SHIFT;
            if (!(log->bits[s][page / 64] & BIT(page % 64))) {
                log->bits[s][page / 64] |= BIT(page % 64);
                log->dirty++;
            }
        }
        if (p > UINT64_MAX - PAGE_SIZE)
            break;
    }
}

int64_t dirty_log_get(struct vm *vm, gpa_t first, uint64_t npages,
                      uint8_t *bitmap)
{
    struct dirty_log *log = &vm->dirty;

    if (!log->on || !IS_ALIGNED(first, PAGE_SIZE) ||
        npages > (UINT64_MAX - first) >> PAGE_SHIFT)
        return -EINVAL;
    memset(bitmap, 0, DIV_ROUND_UP(npages, 8));
    int64_t count = 0;
    for (uint64_t n = 0; n < npages; n++) {
        gpa_t gpa = first + (n << PAGE_SHIFT);
        const struct mem_slot *slot = gmem_find(&vm->mem, gpa);
        if (!slot)
            continue;
        /* LAB 9 BEGIN: report the page and clear it: protect it again */
        unsigned s = (unsigned)(slot - vm->mem.slots);
        uint64_t page = (gpa - slot->gpa) >> PAGE_SHIFT;
        uint64_t *word = &log->bits[s][page / 64];

        if (!(*word & BIT(page % 64)))
            continue;
        *word &= ~BIT(page % 64);
        log->dirty--;
        bitmap[n / 8] |= (uint8_t)(1u << (n % 8));
        count++;
        /* The page is a 4 KiB leaf since its write fault split it (or a
         * dirty_log_mark page, whose leaf pt_map splits now). */
        if (map_pages(vm, slot, page, 1, PT_LOGGED)) {
            vm_crash(vm, "dirty log: no memory for a page table at gpa "
                     "%#llx", (unsigned long long)gpa);
            return -ENOMEM;
        }
        /* LAB 9 STUB
        (void)log;
        (void)slot;
        return -ENOSYS;
        */
        /* LAB 9 END */
    }
    if (count)
        flush_all(vm);
    return count;
}
