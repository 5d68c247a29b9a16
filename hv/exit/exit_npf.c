/* Nested page faults and EPT violations (hv/exit/exit.h): an access to a
 * device's guest-physical range is emulated instruction by instruction
 * (hv/emulate) against the VM's MMIO bus, an access to an address nothing
 * decodes against the floating bus (reads all-ones, writes dropped); only
 * a fetch from such an address or an instruction the emulator cannot
 * decode stops the VM.
 * APM2 15.25.6 "Nested versus Guest Page Faults, Fault Ordering"; SDM 3C
 * 28.3.3.2 "EPT Violations". */
#include "arch/x86/exception.h"
#include "hv/core/dirty_log.h"
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/emulate/emulate.h"
#include "hv/exit/exit.h"
#include "lib/once.h"

void exit_handle_npf(struct vcpu *v, const struct vm_exit *exit)
{
    /* A write to RAM the dirty log protects (hv/core/dirty_log.h): the
     * translation exists, only writing is not allowed. */
    if (exit->npf.write && exit->npf.present &&
        dirty_log_write_fault(v->vm, exit->npf.gpa))
        return;
    /* LAB 4 BEGIN: a nested page fault is either MMIO or a guest bug */
    struct vm *vm = v->vm;
    gpa_t gpa = exit->npf.gpa;

    if (!bus_find(&vm->mmio, gpa)) {
        /* Nothing decodes this address. On a PC such a read floats to
         * all-ones and a write goes nowhere (PCI 3.0 3.7.3 master abort;
         * the same as an empty port, docs/platform.md), so the access is
         * emulated against that floating bus (vcpu_emu_ops). Code cannot
         * run from it: a fetch stops the VM. */
        if (exit->npf.fetch) {
            vm_crash(vm, "instruction fetch from unbacked guest-physical "
                     "address %#llx at rip %#llx: no RAM or ROM there",
                     (unsigned long long)gpa,
                     (unsigned long long)v->state.rip);
            return;
        }
        /* Once per VM and page: the key is the VM id above the page. */
        ONCE_TABLE(seen, 64, "unbacked guest-physical pages");
        once_log(&seen, (uint64_t)vm->id << 52 | gpa >> PAGE_SHIFT,
                 LOG_WARN, "vm %s: %s of unbacked guest-physical address "
                 "%#llx at rip %#llx: floating bus (reads all-ones, writes dropped; "
                 "logged once per page)",
                 vm->name, exit->npf.write ? "write" : "read",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
    }
    struct emu_ops ops;
    struct emu_result res = { 0 };
    vcpu_emu_ops(v, &ops);
    /* SVM decode assists: the bytes the CPU fetched (none otherwise). */
    ops.prefetched = exit->npf.insn_bytes;
    ops.prefetched_len = exit->npf.insn_nbytes;
    switch (emulate_insn(&v->state, &ops, &res)) {
    case EMU_OK:
        vcpu_complete_insn(v);
        return;
    case EMU_FAULT:
        vcpu_inject_emu_fault(v, &res);
        return;
    case EMU_UNHANDLED: {
        char hex[3 * 15 + 1];
        for (unsigned i = 0; i < res.nbytes && i < 15; i++) {
            static const char digits[] = "0123456789abcdef";
            hex[i * 3] = digits[res.bytes[i] >> 4];
            hex[i * 3 + 1] = digits[res.bytes[i] & 15];
            hex[i * 3 + 2] = ' ';
        }
        hex[res.nbytes ? res.nbytes * 3 - 1 : 0] = '\0';
        vm_crash(vm, "cannot emulate the instruction at rip %#llx (bytes "
                 "%s) accessing guest-physical %#llx: not decodable or not "
                 "emulated", (unsigned long long)v->state.rip, hex,
                 (unsigned long long)gpa);
        return;
    }
    case EMU_ERROR:
        vm_crash(vm, "MMIO access to %#llx at rip %#llx failed",
                 (unsigned long long)gpa, (unsigned long long)v->state.rip);
        return;
    }
    /* LAB 4 STUB
    vm_crash(v->vm, "lab 4: exit_handle_npf is not written (gpa %#llx)",
             (unsigned long long)exit->npf.gpa);
    */
    /* LAB 4 END */
}
