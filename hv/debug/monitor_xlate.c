/* The monitor's "xlate" command: a guest-linear address through the guest's
 * own page tables (SDM 3A chapter 4, the emulator's walker in its read-only
 * recording mode, hv/emulate/translate.c), then the guest-physical result
 * through the nested page table Keel built (APM2 15.25 "Nested Paging",
 * mm/pt.h). */
#include "hv/core/vm.h"
#include "hv/debug/monitor.h"
#include "hv/emulate/emulate.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "mm/pt.h"

/* Print the flag bits of a guest paging-structure entry by their SDM
 * names (SDM 3A 4.5 tables 4-15 .. 4-20). */
static void print_flags(uint64_t e, unsigned esize)
{
    static const struct { unsigned bit; const char *name; } f[] = {
        { 0, "P" }, { 1, "RW" }, { 2, "US" }, { 3, "PWT" }, { 4, "PCD" },
        { 5, "A" }, { 6, "D" }, { 7, "PS" }, { 8, "G" }, { 63, "XD" },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(f); i++)
        if (f[i].bit < esize * 8 && (e & BIT(f[i].bit)))
            kprintf(" %s", f[i].name);
}

/* The walker's only way into guest memory here: reads (write_ram stays
 * NULL, so looking cannot change the guest). */
static int read_ram(void *ctx, gpa_t gpa, void *buf, size_t len)
{
    return gmem_read(ctx, gpa, buf, len);
}

void monitor_translate(struct vcpu *v, uint64_t gva)
{
    struct vm *vm = v->vm;
    const struct emu_ops ops = { .ctx = &vm->mem, .read_ram = read_ram };
    struct emu_walk w;
    int rc = emulate_translate_record(&v->state, &ops, gva, &w);

    kprintf("keel: xlate vm %s vcpu%u gva %#llx (%s paging, cr3 %#llx)\n",
            vm->name, v->id, (unsigned long long)gva, w.mode,
            (unsigned long long)v->state.cr3);
    for (unsigned i = 0; i < w.nr; i++) {
        const struct emu_walk_level *l = &w.lv[i];
        kprintf("  %-5s [%3u] at gpa %#llx = %#018llx",
                emulate_level_name(l->level), l->index,
                (unsigned long long)l->entry_gpa,
                (unsigned long long)l->entry);
        print_flags(l->entry, w.esize);
        kprintf("\n");
    }
    if (rc == -ENOENT) {
        kprintf("  not present: the guest would take a #PF here\n");
        return;
    }
    if (rc == -EIO) {
        kprintf("  that table is not in guest RAM\n");
        return;
    }
    kprintf("  gva %#llx -> gpa %#llx (%llu KiB page)\n",
            (unsigned long long)gva, (unsigned long long)w.gpa,
            (unsigned long long)(w.page_size >> 10));

    hpa_t hpa;
    unsigned perms;
    uint64_t size;
    if (pt_lookup(&vm->npt, w.gpa, &hpa, &perms, &size)) {
        kprintf("  gpa %#llx is not mapped in the %s (a device page or a "
                "hole: an access exits as NPF)\n",
                (unsigned long long)w.gpa, vm->npt.fmt->name);
        return;
    }
    kprintf("  gpa %#llx -> hpa %#llx (%s, %llu KiB page, %s%s%s)\n",
            (unsigned long long)w.gpa, (unsigned long long)hpa,
            vm->npt.fmt->name, (unsigned long long)(size >> 10),
            perms & PT_R ? "r" : "-", perms & PT_W ? "w" : "-",
            perms & PT_X ? "x" : "-");
}
