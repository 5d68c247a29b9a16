/* Switching the x87/SSE/AVX state and XCR0 between vCPUs. Keel itself is
 * built without SSE and never touches this state, so a vCPU's registers
 * stay in the CPU across its exits; only when another vCPU (of this or
 * another VM) is about to run must they be saved and the other's loaded.
 * Uses XSAVE/XRSTOR where the CPU has them (SDM 1 13 "Managing State Using
 * the XSAVE Feature Set"), else FXSAVE/FXRSTOR (SDM 1 10.5).
 * Keel's own FPU control state is never used, so nothing is kept for it. */
#include "arch/x86/cpu.h"
#include "arch/x86/fpu.h"
#include "arch/x86/vcpu_state.h"

#define CPUID_1_ECX_XSAVE BIT(26)
#define FXSAVE_SIZE 512
#define XSAVE_HEADER_END 576   /* legacy area + 64-byte XSAVE header */

static bool use_xsave;
static uint64_t host_xcr0_mask;   /* components the CPU supports */
static size_t area_size;

void fpu_init(void)
{
    /* FXSAVE/FXRSTOR include the XMM registers only with CR4.OSFXSR. */
    w_cr4(r_cr4() | CR4_OSFXSR | BIT(10) /* OSXMMEXCPT */);
    use_xsave = (cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE) &&
                (r_cr4() & CR4_OSXSAVE);
    if (use_xsave) {
        struct cpuid_regs r = cpuid(0xd, 0);
        host_xcr0_mask = ((uint64_t)r.edx << 32) | r.eax;
        area_size = r.ecx;        /* size for every supported component */
    } else {
        area_size = FXSAVE_SIZE;
    }
}

size_t fpu_area_size(void)
{
    return area_size < XSAVE_HEADER_END ? XSAVE_HEADER_END : area_size;
}

void fpu_init_area(void *area, uint64_t *xcr0)
{
    uint8_t *a = area;
    /* Power-on values (SDM 3A 9.1.1): FCW 0x037F, MXCSR 0x1F80; an XSAVE
     * header with XSTATE_BV = 0 makes XRSTOR load the init state. */
    for (size_t i = 0; i < fpu_area_size(); i++)
        a[i] = 0;
    a[0] = 0x7f;
    a[1] = 0x03;
    a[24] = 0x80;
    a[25] = 0x1f;
    *xcr0 = 1;   /* x87 only */
}

void fpu_switch(void *save, uint64_t *save_xcr0, const void *load,
                         uint64_t load_xcr0)
{
    if (use_xsave) {
        if (save) {
            *save_xcr0 = xgetbv(0);
            __asm__ volatile("xsave64 (%0)" ::"r"(save), "a"(~0u), "d"(~0u)
                             : "memory");
        }
        /* XRSTOR restores only what XCR0 enables: load the vCPU's XCR0
         * first (it was valid when that vCPU set it). */
        xsetbv(0, (load_xcr0 & host_xcr0_mask) | 1);
        __asm__ volatile("xrstor64 (%0)" ::"r"(load), "a"(~0u), "d"(~0u)
                         : "memory");
    } else {
        if (save) {
            *save_xcr0 = 1;
            __asm__ volatile("fxsave64 (%0)" ::"r"(save) : "memory");
        }
        __asm__ volatile("fxrstor64 (%0)" ::"r"(load) : "memory");
    }
}
