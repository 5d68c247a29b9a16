/* The VM-entry state explainer: the checks the CPU makes on the guest-state
 * area, done in software against the current VMCS so that Keel can name
 * the check that fails (the CPU only says "invalid guest state").
 * Reference: Intel SDM Volume 3C (Order No. 326019), 26.3.1 "Checks on the
 * Guest State Area": 26.3.1.1 control registers, debug registers and MSRs;
 * 26.3.1.2 segment registers; 26.3.1.3 descriptor-table registers;
 * 26.3.1.4 RIP and RFLAGS; 26.3.1.5 non-register state. Checks that
 * concern features Keel never enables (SMM, CET, PKS, shadow VMCS,
 * virtual-8086 guests, PDPTEs) are left out. */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmx.h"
#include "lib/log.h"

/* One failing check: the SDM subsection, what the rule is, the values. */
#define CHECK(cond, sec, ...)                                              \
    do {                                                                   \
        if (!(cond)) {                                                     \
            log_err("VMX entry check failed (SDM 3C " sec "): "           \
                    __VA_ARGS__);                                          \
            failed++;                                                      \
        }                                                                  \
    } while (0)

static bool canonical(uint64_t a)
{
    return (uint64_t)(((int64_t)a << 16) >> 16) == a;
}

/* Segment access-rights fields (Table 24-2). */
#define AR_TYPE(ar)  ((ar) & 0xf)
#define AR_S(ar)     (((ar) >> 4) & 1)
#define AR_DPL(ar)   (((ar) >> 5) & 3)
#define AR_P(ar)     (((ar) >> 7) & 1)
#define AR_L(ar)     (((ar) >> 13) & 1)
#define AR_DB(ar)    (((ar) >> 14) & 1)
#define AR_G(ar)     (((ar) >> 15) & 1)
#define AR_RESERVED  0xfffe0f00u

/* "If any bit in the limit field in the range 11:0 is 0, G must be 0; if
 * any bit in the range 31:20 is 1, G must be 1" (26.3.1.2). */
static bool limit_g_ok(uint32_t limit, uint32_t ar)
{
    if ((limit & 0xfff) != 0xfff && AR_G(ar))
        return false;
    if ((limit & 0xfff00000u) && !AR_G(ar))
        return false;
    return true;
}

static const char *const seg_names[SEG_COUNT] = {
    "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR",
};

struct seg_fields {
    uint16_t sel;
    uint64_t base;
    uint32_t limit, ar;
};

static struct seg_fields read_seg(unsigned i)
{
    /* The encodings of ES..TR step by 2 in each group (Appendix B). */
    return (struct seg_fields){
        .sel = (uint16_t)vmcs_read_named(VMCS_GUEST_ES_SELECTOR + 2 * i,
                                         "GUEST_*_SELECTOR"),
        .base = vmcs_read_named(VMCS_GUEST_ES_BASE + 2 * i, "GUEST_*_BASE"),
        .limit = (uint32_t)vmcs_read_named(VMCS_GUEST_ES_LIMIT + 2 * i,
                                           "GUEST_*_LIMIT"),
        .ar = (uint32_t)vmcs_read_named(VMCS_GUEST_ES_ACCESS_RIGHTS + 2 * i,
                                        "GUEST_*_ACCESS_RIGHTS"),
    };
}

static int check_control_regs(uint64_t cr0, uint64_t cr4, bool ia32e,
                               bool unrestricted)
{
    const struct vmx_caps *c = &vmx_caps;
    int failed = 0;
    uint64_t fixed0 = c->cr0_fixed0;
    if (unrestricted)
        fixed0 &= ~(uint64_t)(CR0_PE | CR0_PG);

    CHECK((cr0 & fixed0) == fixed0 && !(cr0 & ~c->cr0_fixed1), "26.3.1.1",
          "GUEST_CR0 %#llx violates IA32_VMX_CR0_FIXED0/1 (%#llx/%#llx)",
          (unsigned long long)cr0, (unsigned long long)fixed0,
          (unsigned long long)c->cr0_fixed1);
    CHECK(!(cr0 & CR0_PG) || (cr0 & CR0_PE), "26.3.1.1",
          "GUEST_CR0 %#llx has PG=1 without PE=1", (unsigned long long)cr0);
    CHECK((cr4 & c->cr4_fixed0) == c->cr4_fixed0 && !(cr4 & ~c->cr4_fixed1),
          "26.3.1.1", "GUEST_CR4 %#llx violates IA32_VMX_CR4_FIXED0/1 "
          "(%#llx/%#llx)", (unsigned long long)cr4,
          (unsigned long long)c->cr4_fixed0,
          (unsigned long long)c->cr4_fixed1);
    if (ia32e)
        CHECK((cr0 & CR0_PG) && (cr4 & CR4_PAE), "26.3.1.1",
              "IA-32e mode guest needs CR0.PG=1 and CR4.PAE=1 (CR0 %#llx, "
              "CR4 %#llx)", (unsigned long long)cr0, (unsigned long long)cr4);
    else
        CHECK(!(cr4 & BIT(17)), "26.3.1.1",
              "CR4.PCIDE must be 0 outside IA-32e mode (CR4 %#llx)",
              (unsigned long long)cr4);
    uint64_t cr3 = vmcs_read(VMCS_GUEST_CR3);
    unsigned maxphys = cpuid(0x80000008, 0).eax & 0xff;
    CHECK(maxphys >= 64 || !(cr3 >> maxphys), "26.3.1.1",
          "GUEST_CR3 %#llx has bits above MAXPHYADDR %u",
          (unsigned long long)cr3, maxphys);
    uint64_t dr7 = vmcs_read(VMCS_GUEST_DR7);
    CHECK(!(dr7 >> 32), "26.3.1.1", "GUEST_DR7 %#llx: bits 63:32 must be 0",
          (unsigned long long)dr7);
    return failed;
}

static int check_msrs(uint64_t cr0, bool ia32e)
{
    int failed = 0;
    uint64_t efer = vmcs_read(VMCS_GUEST_IA32_EFER);
    CHECK(!(efer & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)),
          "26.3.1.1", "GUEST_IA32_EFER %#llx has reserved bits set",
          (unsigned long long)efer);
    CHECK(!!(efer & EFER_LMA) == ia32e, "26.3.1.1",
          "GUEST_IA32_EFER.LMA (%d) must equal the IA-32e mode guest "
          "entry control (%d)", !!(efer & EFER_LMA), ia32e);
    if (cr0 & CR0_PG)
        CHECK(!!(efer & EFER_LMA) == !!(efer & EFER_LME), "26.3.1.1",
              "with CR0.PG=1 GUEST_IA32_EFER.LMA must equal LME (EFER "
              "%#llx)", (unsigned long long)efer);
    uint64_t pat = vmcs_read(VMCS_GUEST_IA32_PAT);
    for (int i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xff;
        CHECK(t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || t == 7,
              "26.3.1.1", "GUEST_IA32_PAT %#llx: entry %d has invalid "
              "memory type %u", (unsigned long long)pat, i, t);
    }
    return failed;
}

static int check_segments(bool ia32e, bool unrestricted, uint64_t cr0)
{
    int failed = 0;
    struct seg_fields s[SEG_COUNT];
    for (unsigned i = 0; i < SEG_COUNT; i++)
        s[i] = read_seg(i);
    const struct seg_fields *cs = &s[SEG_CS], *ss = &s[SEG_SS];
    const struct seg_fields *tr = &s[SEG_TR], *ldtr = &s[SEG_LDTR];

    /* TR: always usable, a busy TSS. */
    CHECK(!(tr->sel & 4), "26.3.1.2", "TR selector %#x: TI must be 0",
          tr->sel);
    CHECK(!(tr->ar & VMX_AR_UNUSABLE), "26.3.1.2", "TR must be usable "
          "(access rights %#x)", tr->ar);
    if (ia32e)
        CHECK(AR_TYPE(tr->ar) == 11, "26.3.1.2", "TR type %u must be 11 "
              "(busy 64-bit TSS) in IA-32e mode (access rights %#x)",
              AR_TYPE(tr->ar), tr->ar);
    else
        CHECK(AR_TYPE(tr->ar) == 3 || AR_TYPE(tr->ar) == 11, "26.3.1.2",
              "TR type %u must be 3 or 11 (busy TSS) (access rights %#x)",
              AR_TYPE(tr->ar), tr->ar);
    CHECK(!AR_S(tr->ar) && AR_P(tr->ar), "26.3.1.2",
          "TR must be a present system descriptor (S=0, P=1; access "
          "rights %#x)", tr->ar);
    CHECK(canonical(tr->base), "26.3.1.2", "TR base %#llx not canonical",
          (unsigned long long)tr->base);

    if (!(ldtr->ar & VMX_AR_UNUSABLE)) {
        CHECK(!(ldtr->sel & 4), "26.3.1.2", "LDTR selector %#x: TI must be "
              "0", ldtr->sel);
        CHECK(AR_TYPE(ldtr->ar) == 2 && !AR_S(ldtr->ar) && AR_P(ldtr->ar),
              "26.3.1.2", "a usable LDTR must be type 2, S=0, P=1 (access "
              "rights %#x)", ldtr->ar);
        CHECK(canonical(ldtr->base), "26.3.1.2", "LDTR base %#llx not "
              "canonical", (unsigned long long)ldtr->base);
    }

    /* CS: always usable (26.3.1.2 lists its types without an unusable
     * case). */
    unsigned cst = AR_TYPE(cs->ar);
    CHECK(cst == 9 || cst == 11 || cst == 13 || cst == 15 ||
          (unrestricted && cst == 3), "26.3.1.2", "CS type %u must be an "
          "accessed code segment (9/11/13/15%s) (access rights %#x)", cst,
          unrestricted ? ", or 3 with unrestricted guest" : "", cs->ar);
    if (cst == 3)
        CHECK(AR_DPL(cs->ar) == 0, "26.3.1.2", "CS type 3 needs DPL 0 "
              "(access rights %#x)", cs->ar);
    if (cst == 9 || cst == 11)
        CHECK(AR_DPL(cs->ar) == AR_DPL(ss->ar), "26.3.1.2", "non-conforming "
              "CS DPL %u must equal SS DPL %u", AR_DPL(cs->ar),
              AR_DPL(ss->ar));
    if (cst == 13 || cst == 15)
        CHECK(AR_DPL(cs->ar) <= AR_DPL(ss->ar), "26.3.1.2", "conforming CS "
              "DPL %u must not exceed SS DPL %u", AR_DPL(cs->ar),
              AR_DPL(ss->ar));
    if (ia32e && AR_L(cs->ar))
        CHECK(!AR_DB(cs->ar), "26.3.1.2", "64-bit CS (L=1) needs D/B=0 "
              "(access rights %#x)", cs->ar);
    CHECK(!(cs->base >> 32), "26.3.1.2", "CS base %#llx: bits 63:32 must be "
          "0", (unsigned long long)cs->base);

    if (!(ss->ar & VMX_AR_UNUSABLE)) {
        CHECK(AR_TYPE(ss->ar) == 3 || AR_TYPE(ss->ar) == 7, "26.3.1.2",
              "SS type %u must be 3 or 7 (read/write, accessed) (access "
              "rights %#x)", AR_TYPE(ss->ar), ss->ar);
        if (unrestricted && !(cr0 & CR0_PE))
            CHECK(AR_DPL(ss->ar) == 0, "26.3.1.2", "SS DPL must be 0 with "
                  "CR0.PE=0 (access rights %#x)", ss->ar);
    }
    if (cst == 3)
        CHECK(AR_DPL(ss->ar) == 0, "26.3.1.2", "SS DPL must be 0 when CS "
              "type is 3 (SS access rights %#x)", ss->ar);

    for (unsigned i = 0; i < SEG_COUNT; i++) {
        const struct seg_fields *g = &s[i];
        if (g->ar & VMX_AR_UNUSABLE)
            continue;
        CHECK(!(g->ar & AR_RESERVED), "26.3.1.2", "%s access rights %#x: "
              "reserved bits 11:8 and 31:17 must be 0", seg_names[i], g->ar);
        CHECK(limit_g_ok(g->limit, g->ar), "26.3.1.2", "%s limit %#x does "
              "not match its granularity (G=%u)", seg_names[i], g->limit,
              AR_G(g->ar));
        if (i == SEG_LDTR || i == SEG_TR || i == SEG_CS)
            continue;
        CHECK(AR_S(g->ar) && AR_P(g->ar), "26.3.1.2", "usable %s must be a "
              "present code/data segment (S=1, P=1; access rights %#x)",
              seg_names[i], g->ar);
        CHECK(AR_TYPE(g->ar) & 1, "26.3.1.2", "usable %s must have the "
              "accessed bit set (type %u)", seg_names[i], AR_TYPE(g->ar));
        if (AR_TYPE(g->ar) & 8)
            CHECK(AR_TYPE(g->ar) & 2, "26.3.1.2", "a code segment in %s "
                  "must be readable (type %u)", seg_names[i],
                  AR_TYPE(g->ar));
        if (i == SEG_FS || i == SEG_GS)
            CHECK(canonical(g->base), "26.3.1.2", "%s base %#llx not "
                  "canonical", seg_names[i], (unsigned long long)g->base);
        else
            CHECK(!(g->base >> 32), "26.3.1.2", "%s base %#llx: bits 63:32 "
                  "must be 0", seg_names[i], (unsigned long long)g->base);
    }
    return failed;
}

static int check_rip_rflags_and_events(bool ia32e, uint64_t cr0)
{
    int failed = 0;
    uint64_t rip = vmcs_read(VMCS_GUEST_RIP);
    uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
    uint32_t cs_ar = (uint32_t)vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);
    uint32_t intr = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
    uint32_t inject = (uint32_t)vmcs_read(VMCS_VM_ENTRY_INTERRUPTION_INFO);
    uint32_t inj_type = (inject & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;

    if (!ia32e || !AR_L(cs_ar))
        CHECK(!(rip >> 32), "26.3.1.4", "GUEST_RIP %#llx: bits 63:32 must "
              "be 0 outside 64-bit mode", (unsigned long long)rip);
    else
        CHECK(canonical(rip), "26.3.1.4", "GUEST_RIP %#llx not canonical",
              (unsigned long long)rip);
    CHECK((rflags & RFLAGS_FIXED) &&
          !(rflags & (0xffffffffffc00000ULL | BIT(15) | BIT(5) | BIT(3))),
          "26.3.1.4", "GUEST_RFLAGS %#llx: bit 1 must be 1 and bits 63:22, "
          "15, 5, 3 must be 0", (unsigned long long)rflags);
    if (ia32e || !(cr0 & CR0_PE))
        CHECK(!(rflags & BIT(17)), "26.3.1.4", "GUEST_RFLAGS.VM must be 0 "
              "in IA-32e mode or with CR0.PE=0 (RFLAGS %#llx)",
              (unsigned long long)rflags);
    bool injecting = inject & INTR_INFO_VALID;
    if (injecting && inj_type == INTR_TYPE_EXT_INTR)
        CHECK(rflags & RFLAGS_IF, "26.3.1.4", "injecting an external "
              "interrupt needs RFLAGS.IF=1 (RFLAGS %#llx)",
              (unsigned long long)rflags);

    CHECK(!(intr & ~0x1fu), "26.3.1.5", "interruptibility state %#x: bits "
          "31:5 must be 0", intr);
    CHECK((intr & 3) != 3, "26.3.1.5", "interruptibility state %#x: not "
          "both blocking by STI and by MOV SS", intr);
    if (intr & GUEST_INTR_STATE_STI)
        CHECK(rflags & RFLAGS_IF, "26.3.1.5", "blocking by STI needs "
              "RFLAGS.IF=1 (RFLAGS %#llx)", (unsigned long long)rflags);
    if (injecting && (inj_type == INTR_TYPE_EXT_INTR ||
                      inj_type == INTR_TYPE_NMI))
        CHECK(!(intr & 3), "26.3.1.5", "injecting an %s needs no blocking "
              "by STI or MOV SS (interruptibility %#x)",
              inj_type == INTR_TYPE_NMI ? "NMI" : "external interrupt", intr);
    CHECK(vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_ACTIVE,
          "26.3.1.5", "activity state must be active (Keel never uses "
          "others)");
    CHECK(vmcs_read(VMCS_VMCS_LINK_POINTER) == ~0ULL, "26.3.1.5",
          "VMCS link pointer must be FFFFFFFF_FFFFFFFFH (no shadow VMCS)");
    return failed;
}

int vmx_check_guest_state(void)
{
    uint32_t entry = (uint32_t)vmcs_read(VMCS_VM_ENTRY_CONTROLS);
    uint32_t proc2 = (uint32_t)vmcs_read(
        VMCS_SECONDARY_PROC_BASED_VM_EXEC_CONTROL);
    bool ia32e = entry & VM_ENTRY_IA32E_MODE_GUEST;
    bool unrestricted = proc2 & SECONDARY_UNRESTRICTED_GUEST;
    uint64_t cr0 = vmcs_read(VMCS_GUEST_CR0);
    uint64_t cr4 = vmcs_read(VMCS_GUEST_CR4);
    int failed = 0;

    failed += check_control_regs(cr0, cr4, ia32e, unrestricted);
    failed += check_msrs(cr0, ia32e);
    failed += check_segments(ia32e, unrestricted, cr0);

    uint64_t gdtr = vmcs_read(VMCS_GUEST_GDTR_BASE);
    uint64_t idtr = vmcs_read(VMCS_GUEST_IDTR_BASE);
    CHECK(canonical(gdtr) && canonical(idtr), "26.3.1.3", "GDTR base %#llx "
          "and IDTR base %#llx must be canonical", (unsigned long long)gdtr,
          (unsigned long long)idtr);

    failed += check_rip_rflags_and_events(ia32e, cr0);
    return failed;
}
