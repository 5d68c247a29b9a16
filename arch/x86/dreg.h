/* The debug address registers of guests (arch/x86/dreg.c). Neither VMCB
 * nor VMCS holds DR0-DR3 (APM2 15.5.1 "Basic Operation", SDM 3C 28.3.1
 * "Saving Control Registers, Debug Registers, and MSRs"), and the VMCS
 * has no DR6, so the CPU's copies are whichever vCPU ran last. */
#ifndef KEEL_DREG_H
#define KEEL_DREG_H

#include "lib/types.h"

/* DR0-DR3 and DR6 of one vCPU while another vCPU's are in the CPU. */
struct dreg_state {
    uint64_t dr[4];
    uint64_t dr6;
};

/* The power-on values (SDM 3A 10.1.1 "Processor State After Reset":
 * DR0-DR3 0, DR6 FFFF0FF0H). */
void dreg_init_state(struct dreg_state *d);
/* Save the CPU's DR0-DR3/DR6 into save (if not NULL), load load's. */
void dreg_switch(struct dreg_state *save, const struct dreg_state *load);
/* OR bits into the CPU's DR6 (a debug exception Keel raises for the vCPU
 * whose registers the CPU holds, SDM 3A 17.2.3). */
void dreg_set_dr6_bits(uint64_t bits);

#endif
