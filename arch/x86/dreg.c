/* Switching the debug registers DR0-DR3 and DR6 between vCPUs. Guests
 * move to and from them without an exit (no DR intercepts on SVM, MOV-DR
 * exiting off on VMX), and no world switch saves them: DR7 is in the VMCB
 * and the VMCS, DR6 only in the VMCB (APM2 15.5.1 "Basic Operation", SDM
 * 3C 27.3.1 "Saving Control Registers, Debug Registers, and MSRs", 28.3.2
 * "Loading Host Control Registers, Debug Registers, MSRs"). Keel sets no
 * breakpoints itself, so like the FPU state a vCPU's registers stay in
 * the CPU until another vCPU runs (vcpu_dreg_load in hv/core/vcpu.c).
 * On SVM the DR6 of the guest is the VMCB's; switching the CPU's copy
 * too is harmless and keeps this vendor-neutral. */
#include "arch/x86/dreg.h"

#define DR6_INIT 0xffff0ff0ull

void dreg_init_state(struct dreg_state *d)
{
    *d = (struct dreg_state){ .dr6 = DR6_INIT };
}

#define DREG_ACCESS(n)                                                      \
    static uint64_t r_dr##n(void)                                           \
    {                                                                       \
        uint64_t v;                                                         \
        __asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));                   \
        return v;                                                           \
    }                                                                       \
    static void w_dr##n(uint64_t v)                                         \
    {                                                                       \
        __asm__ volatile("mov %0, %%dr" #n : : "r"(v));                     \
    }
DREG_ACCESS(0)
DREG_ACCESS(1)
DREG_ACCESS(2)
DREG_ACCESS(3)
DREG_ACCESS(6)

void dreg_set_dr6_bits(uint64_t bits)
{
    w_dr6(r_dr6() | bits);
}

void dreg_switch(struct dreg_state *save, const struct dreg_state *load)
{
    if (save) {
        save->dr[0] = r_dr0();
        save->dr[1] = r_dr1();
        save->dr[2] = r_dr2();
        save->dr[3] = r_dr3();
        save->dr6 = r_dr6();
    }
    w_dr0(load->dr[0]);
    w_dr1(load->dr[1]);
    w_dr2(load->dr[2]);
    w_dr3(load->dr[3]);
    w_dr6(load->dr6);
}
