/* The architectural state of one guest vCPU as the vendor-neutral core sees
 * it. The vendor code (arch/x86/{svm,vmx}) copies VMCB/VMCS fields into this
 * structure after every VM exit and back before the next entry, so handlers,
 * the emulator and loaders never touch vendor structures. */
#ifndef KEEL_VCPU_STATE_H
#define KEEL_VCPU_STATE_H

#include "lib/types.h"

/* General-purpose registers in x86 encoding order (ModRM reg/rm numbers). */
enum gpr {
    GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
    GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
    GPR_COUNT
};

/* Segment registers in x86 encoding order (sreg field), then LDTR and TR. */
enum seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
           SEG_COUNT };

/* Segment attributes in the packed 12-bit form of the VMCB (APM2 15.5.1
 * "Segment State in the VMCB"): bits 0-7 are descriptor bits 40-47 (type, S,
 * DPL, P) and bits 8-11 are descriptor bits 52-55 (AVL, L, D/B, G). The VMX
 * code converts to and from its access-rights format (SDM 3C 24.4.1). */
#define SEG_ATTR_TYPE(a)  ((a) & 0xf)
#define SEG_ATTR_S        BIT(4)
#define SEG_ATTR_DPL(a)   (((a) >> 5) & 3)
#define SEG_ATTR_P        BIT(7)
#define SEG_ATTR_AVL      BIT(8)
#define SEG_ATTR_L        BIT(9)
#define SEG_ATTR_DB       BIT(10)
#define SEG_ATTR_G        BIT(11)

struct segment {
    uint16_t selector;
    uint16_t attr;   /* SEG_ATTR_* form; 0 means unusable */
    uint32_t limit;  /* byte-granular (already expanded for G=1) */
    uint64_t base;
};

struct dtable {
    uint64_t base;
    uint16_t limit;
};

/* RFLAGS bits the core uses (SDM 1 3.4.3). */
#define RFLAGS_CF   BIT(0)
#define RFLAGS_FIXED BIT(1)
#define RFLAGS_PF   BIT(2)
#define RFLAGS_AF   BIT(4)
#define RFLAGS_ZF   BIT(6)
#define RFLAGS_SF   BIT(7)
#define RFLAGS_TF   BIT(8)
#define RFLAGS_IF   BIT(9)
#define RFLAGS_DF   BIT(10)
#define RFLAGS_OF   BIT(11)
#define RFLAGS_IOPL_SHIFT 12  /* IOPL, bits 13:12 (SDM 1 3.4.3.3) */
#define RFLAGS_RF   BIT(16)
#define RFLAGS_VM   BIT(17)   /* virtual-8086 mode */

/* Control register and EFER bits (SDM 3A 2.5, 2.2.1). */
#define CR0_PE  BIT(0)
#define CR0_MP  BIT(1)
#define CR0_ET  BIT(4)
#define CR0_NE  BIT(5)
#define CR0_WP  BIT(16)
#define CR0_NW  BIT(29)
#define CR0_CD  BIT(30)
#define CR0_PG  BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_LA57 BIT(12)
#define CR4_VMXE BIT(13)
#define CR4_OSXSAVE BIT(18)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE  BIT(22)
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

struct vcpu_state {
    uint64_t gpr[GPR_COUNT];
    uint64_t rip;
    uint64_t rflags;
    uint64_t cr0, cr2, cr3, cr4;
    uint64_t efer;
    uint64_t pat;        /* IA32_PAT as the guest set it (SVM G_PAT) */
    struct segment seg[SEG_COUNT];
    struct dtable gdtr, idtr;
    /* Blocking by STI or MOV SS (SDM 3C 24.4.2 "interruptibility state",
     * APM2 15.21.5 INTERRUPT_SHADOW): no interrupt may be injected now. */
    bool interrupt_shadow;
    /* Blocking by NMI (SDM 3A 6.7.1 "Handling Multiple NMIs"): set when an
     * NMI is delivered, cleared when the next IRET completes. VMX keeps it
     * in the interruptibility state (virtual-NMI blocking, SDM 3C 24.4.2
     * bit 3); SVM has no such field, so arch/x86/svm tracks it with the
     * IRET intercept (APM2 15.20 "Event Injection"). */
    bool nmi_blocked;
};

/* CPU mode of the code at RIP, derived from CR0, EFER and CS. */
enum cpu_mode { MODE_REAL, MODE_PROT16, MODE_PROT32, MODE_LONG64 };

static inline enum cpu_mode vcpu_state_mode(const struct vcpu_state *s)
{
    if (!(s->cr0 & CR0_PE))
        return MODE_REAL;
    if ((s->efer & EFER_LMA) && (s->seg[SEG_CS].attr & SEG_ATTR_L))
        return MODE_LONG64;
    return (s->seg[SEG_CS].attr & SEG_ATTR_DB) ? MODE_PROT32 : MODE_PROT16;
}

#endif
