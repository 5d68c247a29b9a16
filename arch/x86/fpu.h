/* The x87/SSE/AVX state of guests (arch/x86/fpu.c). Keel itself is built
 * with -mgeneral-regs-only and never touches it, so a vCPU's state stays
 * in the CPU until another vCPU runs (vcpu_fpu_load in hv/core/vcpu.c).
 * SDM 1 13 "Managing State Using the XSAVE Feature Set". */
#ifndef KEEL_FPU_H
#define KEEL_FPU_H

#include "lib/types.h"

/* Guest x87/SSE/AVX state: the size in bytes of one save area (64-byte
 * aligned by the caller), an area in the power-on state with its XCR0,
 * and the switch from one vCPU's state to another's. save may be NULL
 * (nothing worth keeping is loaded). */
void fpu_init(void);
size_t fpu_area_size(void);
void fpu_init_area(void *area, uint64_t *xcr0);
void fpu_switch(void *save, uint64_t *save_xcr0, const void *load,
                         uint64_t load_xcr0);

#endif
