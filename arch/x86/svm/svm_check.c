/* VMRUN's consistency checks in software (arch/x86/svm/svm_check.h).
 * APM2 15.5.1 "Basic Operation", the list "VMRUN performs the following
 * consistency checks on host and guest state"; illegal event injection
 * (15.20) is judged by the injection code itself. */
#include "arch/x86/svm/svm_check.h"
#include "arch/x86/vcpu_state.h"
#include "lib/log.h"

/* EFER bits that must be zero: 63:16, 9 and 7:1 (APM2 3.1.7; bit 8 LME,
 * 10 LMA, 11 NXE, 12 SVME, 13 LMSLE, 14 FFXSR, 15 TCE may be set). */
#define EFER_MBZ (~0xffffULL | BIT(9) | 0xfeULL)

#define RULE(broken, ...)                                                  \
    do {                                                                   \
        if (broken) {                                                      \
            log_err("VMRUN consistency check failed (APM2 15.5.1): "      \
                    __VA_ARGS__);                                          \
            failed++;                                                      \
        }                                                                  \
    } while (0)

unsigned svm_check_vmcb(const struct vmcb *vmcb)
{
    const struct vmcb_control *c = &vmcb->control;
    const struct vmcb_save *s = &vmcb->save;
    bool lme_pg = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
    unsigned failed = 0;

    RULE(!(c->intercept_misc2 & SVM_INTERCEPT_VMRUN),
         "the VMRUN intercept is clear (intercept_misc2 bit 0 must be set: "
         "a guest's VMRUN always exits to the hypervisor)");
    RULE(c->guest_asid == 0,
         "guest_asid is 0 (ASID 0 is the host's)");
    RULE(!(s->efer & EFER_SVME), "guest EFER.SVME is clear");
    RULE(s->efer & EFER_MBZ, "guest EFER %#llx sets must-be-zero bits",
         (unsigned long long)s->efer);
    RULE(!(s->cr0 & CR0_CD) && (s->cr0 & CR0_NW),
         "guest CR0.NW is set with CR0.CD clear (%#llx)",
         (unsigned long long)s->cr0);
    RULE(s->cr0 >> 32, "guest CR0 bits 63:32 are not zero (%#llx)",
         (unsigned long long)s->cr0);
    RULE(s->dr6 >> 32, "guest DR6 bits 63:32 are not zero (%#llx)",
         (unsigned long long)s->dr6);
    RULE(s->dr7 >> 32, "guest DR7 bits 63:32 are not zero (%#llx)",
         (unsigned long long)s->dr7);
    RULE(lme_pg && !(s->cr4 & CR4_PAE),
         "guest EFER.LME and CR0.PG are set but CR4.PAE is clear");
    RULE(lme_pg && !(s->cr0 & CR0_PE),
         "guest EFER.LME and CR0.PG are set but CR0.PE is clear");
    RULE(lme_pg && (s->cr4 & CR4_PAE) && (s->cs.attrib & SEG_ATTR_L) &&
         (s->cs.attrib & SEG_ATTR_DB),
         "guest long mode with both CS.L and CS.D set");
    return failed;
}
