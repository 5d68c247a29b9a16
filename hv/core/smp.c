/* INIT and SIPI handling for application processors (hv/core/smp.h). */
#include "arch/x86/msr_index.h"
#include "hv/core/smp.h"
#include "hv/core/vcpu.h"
#include "hv/core/vm.h"
#include "hv/dev/vlapic.h"
#include "lib/log.h"
#include "lib/string.h"

void smp_set_startup_state(struct vcpu *v, unsigned vector)
{
    struct vcpu_state *st = &v->state;
    /* Real-mode segments: 64 KiB limit; code execute/read accessed, data
     * read/write accessed; present (SDM 3A 9.1.1 Table 9-1). */
    const uint16_t code = 0x0b | SEG_ATTR_S | SEG_ATTR_P;
    const uint16_t data = 0x03 | SEG_ATTR_S | SEG_ATTR_P;

    memset(st, 0, sizeof(*st));
    v->state_replaced = true;
    for (int i = 0; i < SEG_COUNT; i++)
        st->seg[i] = (struct segment){ 0, data, 0xffff, 0 };
    st->seg[SEG_CS] = (struct segment){ (uint16_t)(vector << 8), code,
                                        0xffff, (uint64_t)vector << 12 };
    st->seg[SEG_LDTR] = (struct segment){ 0, 0x02 | SEG_ATTR_P, 0xffff, 0 };
    st->seg[SEG_TR] = (struct segment){ 0, 0x0b | SEG_ATTR_P, 0xffff, 0 };
    st->gdtr.limit = 0xffff;
    st->idtr.limit = 0xffff;
    st->cr0 = CR0_ET;   /* reset value without CD/NW: caches on */
    st->rflags = RFLAGS_FIXED;
    st->rip = 0;
    st->pat = PAT_POWER_ON;
    v->event.valid = false;
    v->want_intr_window = false;
    /* One TSC for the whole VM, as on a real multiprocessor. */
    v->tsc_offset = v->vm->vcpus[0]->tsc_offset;
}

void smp_poll(struct vcpu *v)
{
    uint8_t vector;

    if (!v->lapic || v->run_state == VCPU_STOPPED)
        return;
    if (vlapic_take_init(v->lapic) && v->id != 0)
        v->run_state = VCPU_WAIT_SIPI;
    /* A SIPI reaches only a processor waiting for one (SDM 3A 9.4.4.1);
     * the others drop it, as hardware does. */
    if (vlapic_take_sipi(v->lapic, &vector) &&
        v->run_state == VCPU_WAIT_SIPI) {
        smp_set_startup_state(v, vector);
        v->run_state = VCPU_RUNNABLE;
        log_info("vm %s: vCPU %u started at %#x (SIPI vector %#x)",
                 v->vm->name, v->id, vector << 12, vector);
    }
}
