/* Dirty-page logging: which 4 KiB pages of a VM's RAM the guest wrote, found
 * with nested paging write protection (lab 9, docs/labs/lab9-dirty.md).
 *
 * While the log is on, every RAM page is mapped read+execute in the VM's
 * NPT/EPT. The guest's first write to a page exits as a nested page fault
 * (APM2 15.25.6: error code P=1, RW=1) or an EPT violation (SDM 3C 28.3.3.2:
 * qualification bit 1 with bit 3 set, the entry readable but not writable);
 * Keel sets the page's bit and maps that page writable again, so each page
 * costs one exit until the log is read. Reading the log clears the bits it
 * returns and write-protects those pages again, as Linux's
 * KVM_GET_DIRTY_LOG does: the building block of live migration and of
 * working-set measurement. */
#ifndef KEEL_DIRTY_LOG_H
#define KEEL_DIRTY_LOG_H

#include "lib/types.h"
#include "mm/guest_mem.h"

struct vm;

/* One VM's log. bits[i] has one bit per 4 KiB page of vm->mem.slots[i]
 * (bit n: the page at slots[i].gpa + n * 4 KiB), allocated by the first
 * dirty_log_start and kept for the VM's life. */
struct dirty_log {
    bool on;
    uint64_t *bits[GMEM_MAX_SLOTS];
    uint64_t dirty;       /* bits set now */
    uint64_t faults;      /* write faults logged since the last start */
};

/* Start logging (or restart it: every bit is cleared). Write-protects all
 * of the VM's RAM and flushes every vCPU's guest TLB. Returns 0, or
 * -ENOMEM (a bitmap or a page table could not be allocated; the log is
 * then off and RAM writable again). */
int dirty_log_start(struct vm *vm);

/* Stop logging: RAM writable again, bits cleared. Harmless when off. */
void dirty_log_stop(struct vm *vm);

/* A nested page fault for a write to gpa (a guest-physical byte address)
 * whose translation exists but is not writable. Returns true when the log
 * took it: the page is marked and writable again (the guest retries the
 * instruction), or the VM was crashed because the page table could not
 * grow. Returns false when the log is off or gpa is not RAM (the fault is
 * someone else's: MMIO or a guest bug). */
bool dirty_log_write_fault(struct vm *vm, gpa_t gpa);

/* Mark [gpa, gpa+len) dirty (bytes; parts outside RAM are ignored): the
 * pages Keel itself writes, which nested paging does not see. While the
 * log is on, every gmem_write calls it (guest_mem's on_write); writes
 * through a gmem_ptr pointer must call it themselves. No effect while
 * the log is off. */
void dirty_log_mark(struct vm *vm, gpa_t gpa, uint64_t len);

/* Read and clear the log of the npages 4 KiB pages from first (4 KiB
 * aligned GPA): bit n of bitmap (LSB first in each byte, (npages + 7) / 8
 * bytes, zeroed here) says whether page first + n * 4 KiB was written
 * since the last read; pages that are not RAM read 0. The returned pages
 * are write-protected again. Returns how many bits were set, or -EINVAL
 * (log off, first unaligned or the range wraps). */
int64_t dirty_log_get(struct vm *vm, gpa_t first, uint64_t npages,
                      uint8_t *bitmap);

#endif
