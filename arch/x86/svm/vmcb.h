/* The AMD Virtual Machine Control Block and SVM constants.
 * Reference: AMD64 Architecture Programmer's Manual Volume 2, Revision 3.40:
 * Appendix B "Layout of VMCB" (Tables B-1, B-2), Appendix C "SVM Intercept
 * Exit Codes", 15.20 "Event Injection", 15.10.2 "IN and OUT Behavior". */
#ifndef KEEL_VMCB_H
#define KEEL_VMCB_H

#include "lib/types.h"

/* VMCB control area, intercept vector 3 (offset 0x00C), APM2 Table B-1. */
#define SVM_INTERCEPT_INTR        BIT(0)
#define SVM_INTERCEPT_NMI         BIT(1)
#define SVM_INTERCEPT_SMI         BIT(2)
#define SVM_INTERCEPT_INIT        BIT(3)
#define SVM_INTERCEPT_VINTR       BIT(4)
#define SVM_INTERCEPT_RDTSC       BIT(14)
#define SVM_INTERCEPT_RDPMC       BIT(15)
#define SVM_INTERCEPT_CPUID       BIT(18)
#define SVM_INTERCEPT_RSM         BIT(19)
#define SVM_INTERCEPT_IRET        BIT(20)
#define SVM_INTERCEPT_INVD        BIT(22)
#define SVM_INTERCEPT_PAUSE       BIT(23)
#define SVM_INTERCEPT_HLT         BIT(24)
#define SVM_INTERCEPT_INVLPGA     BIT(26)
#define SVM_INTERCEPT_IOIO_PROT   BIT(27)
#define SVM_INTERCEPT_MSR_PROT    BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE BIT(30)
#define SVM_INTERCEPT_SHUTDOWN    BIT(31)
/* Intercept vector 4 (offset 0x010). */
#define SVM_INTERCEPT_VMRUN       BIT(0)
#define SVM_INTERCEPT_VMMCALL     BIT(1)
#define SVM_INTERCEPT_VMLOAD      BIT(2)
#define SVM_INTERCEPT_VMSAVE      BIT(3)
#define SVM_INTERCEPT_STGI        BIT(4)
#define SVM_INTERCEPT_CLGI        BIT(5)
#define SVM_INTERCEPT_SKINIT      BIT(6)
#define SVM_INTERCEPT_RDTSCP      BIT(7)
#define SVM_INTERCEPT_ICEBP       BIT(8)
#define SVM_INTERCEPT_WBINVD      BIT(9)
#define SVM_INTERCEPT_MONITOR     BIT(10)
#define SVM_INTERCEPT_MWAIT       BIT(11)
#define SVM_INTERCEPT_XSETBV      BIT(13)

/* V_INTR fields (offset 0x060). */
#define SVM_V_TPR_MASK            0xffULL
#define SVM_V_IRQ                 BIT(8)
#define SVM_V_INTR_PRIO_SHIFT     16
#define SVM_V_IGN_TPR             BIT(20)
#define SVM_V_INTR_MASKING        BIT(24)

/* TLB_CONTROL (offset 0x05C). */
#define SVM_TLB_CONTROL_DO_NOTHING   0
#define SVM_TLB_CONTROL_FLUSH_ALL    1
#define SVM_TLB_CONTROL_FLUSH_ASID   3

/* EVENTINJ / EXITINTINFO (APM2 15.20, Figure 15-3). */
#define SVM_EVTINJ_VEC_MASK       0xffULL
#define SVM_EVTINJ_TYPE_SHIFT     8
#define SVM_EVTINJ_EV             BIT(11)
#define SVM_EVTINJ_V              BIT(31)

/* IOIO EXITINFO1 (APM2 15.10.2, Figure 15-2). */
#define SVM_IOIO_TYPE_IN          BIT(0)
#define SVM_IOIO_STR              BIT(2)
#define SVM_IOIO_REP              BIT(3)
#define SVM_IOIO_SZ8              BIT(4)
#define SVM_IOIO_SZ16             BIT(5)
#define SVM_IOIO_SZ32             BIT(6)
#define SVM_IOIO_PORT_SHIFT       16

/* NPF EXITINFO1 (APM2 15.25.6): a #PF-style error code. */
#define SVM_NPF_P                 BIT(0)
#define SVM_NPF_RW                BIT(1)
#define SVM_NPF_US                BIT(2)
#define SVM_NPF_RSV               BIT(3)
#define SVM_NPF_ID                BIT(4)

/* Exit codes (APM2 Appendix C, Table C-1). */
enum svm_exit_code {
    SVM_EXIT_READ_CR0 = 0x000,
    SVM_EXIT_WRITE_CR0 = 0x010,
    SVM_EXIT_EXCP_BASE = 0x040,   /* + vector, up to 0x05f */
    SVM_EXIT_INTR = 0x060,
    SVM_EXIT_NMI = 0x061,
    SVM_EXIT_SMI = 0x062,
    SVM_EXIT_INIT = 0x063,
    SVM_EXIT_VINTR = 0x064,
    SVM_EXIT_CR0_SEL_WRITE = 0x065,
    SVM_EXIT_RDTSC = 0x06e,
    SVM_EXIT_RDPMC = 0x06f,
    SVM_EXIT_PUSHF = 0x070,
    SVM_EXIT_POPF = 0x071,
    SVM_EXIT_CPUID = 0x072,
    SVM_EXIT_RSM = 0x073,
    SVM_EXIT_IRET = 0x074,
    SVM_EXIT_SWINT = 0x075,
    SVM_EXIT_INVD = 0x076,
    SVM_EXIT_PAUSE = 0x077,
    SVM_EXIT_HLT = 0x078,
    SVM_EXIT_INVLPG = 0x079,
    SVM_EXIT_INVLPGA = 0x07a,
    SVM_EXIT_IOIO = 0x07b,
    SVM_EXIT_MSR = 0x07c,
    SVM_EXIT_TASK_SWITCH = 0x07d,
    SVM_EXIT_FERR_FREEZE = 0x07e,
    SVM_EXIT_SHUTDOWN = 0x07f,
    SVM_EXIT_VMRUN = 0x080,
    SVM_EXIT_VMMCALL = 0x081,
    SVM_EXIT_VMLOAD = 0x082,
    SVM_EXIT_VMSAVE = 0x083,
    SVM_EXIT_STGI = 0x084,
    SVM_EXIT_CLGI = 0x085,
    SVM_EXIT_SKINIT = 0x086,
    SVM_EXIT_RDTSCP = 0x087,
    SVM_EXIT_ICEBP = 0x088,
    SVM_EXIT_WBINVD = 0x089,
    SVM_EXIT_MONITOR = 0x08a,
    SVM_EXIT_MWAIT = 0x08b,
    SVM_EXIT_MWAIT_COND = 0x08c,
    SVM_EXIT_XSETBV = 0x08d,
    SVM_EXIT_RDPRU = 0x08e,
    SVM_EXIT_NPF = 0x400,
    SVM_EXIT_INVALID = -1,
};

/* Segment in the VMCB save area (APM2 Table B-2): attrib is the packed
 * 12-bit form arch/x86/vcpu_state.h uses too. */
struct PACKED vmcb_seg {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};

struct PACKED vmcb_control {
    uint32_t intercept_cr;        /* 0x000: reads 15:0, writes 31:16 */
    uint32_t intercept_dr;        /* 0x004 */
    uint32_t intercept_exceptions;/* 0x008: one bit per vector */
    uint32_t intercept_misc1;     /* 0x00c: SVM_INTERCEPT_INTR... */
    uint32_t intercept_misc2;     /* 0x010: SVM_INTERCEPT_VMRUN... */
    uint32_t intercept_misc3;     /* 0x014 */
    uint8_t reserved1[0x03c - 0x018];
    uint16_t pause_filter_thresh; /* 0x03c */
    uint16_t pause_filter_count;  /* 0x03e */
    uint64_t iopm_base_pa;        /* 0x040 */
    uint64_t msrpm_base_pa;       /* 0x048 */
    uint64_t tsc_offset;          /* 0x050 */
    uint32_t guest_asid;          /* 0x058 */
    uint8_t tlb_control;          /* 0x05c */
    uint8_t reserved2[3];
    uint64_t v_intr;              /* 0x060: V_TPR, V_IRQ, ..., V_INTR_VECTOR */
    uint64_t interrupt_shadow;    /* 0x068: bit 0 shadow, bit 1 guest IF */
    uint64_t exitcode;            /* 0x070 */
    uint64_t exitinfo1;           /* 0x078 */
    uint64_t exitinfo2;           /* 0x080 */
    uint64_t exitintinfo;         /* 0x088 */
    uint64_t np_enable;           /* 0x090: bit 0 NP_ENABLE */
    uint64_t avic_apic_bar;       /* 0x098 */
    uint64_t ghcb_pa;             /* 0x0a0 */
    uint64_t eventinj;            /* 0x0a8 */
    uint64_t n_cr3;               /* 0x0b0 */
    uint64_t lbr_virt_enable;     /* 0x0b8 */
    uint32_t vmcb_clean;          /* 0x0c0 */
    uint32_t reserved3;
    uint64_t nrip;                /* 0x0c8: next RIP (with NRIPS) */
    uint8_t insn_len;             /* 0x0d0: bytes fetched (decode assists) */
    uint8_t insn_bytes[15];       /* 0x0d1 */
    uint8_t reserved4[0x400 - 0x0e0];
};

struct PACKED vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 */
    struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 */
    uint8_t reserved1[0x4cb - 0x4a0];
    uint8_t cpl;                  /* 0x4cb */
    uint32_t reserved2;
    uint64_t efer;                /* 0x4d0 */
    uint8_t reserved3[0x548 - 0x4d8];
    uint64_t cr4;                 /* 0x548 */
    uint64_t cr3;                 /* 0x550 */
    uint64_t cr0;                 /* 0x558 */
    uint64_t dr7;                 /* 0x560 */
    uint64_t dr6;                 /* 0x568 */
    uint64_t rflags;              /* 0x570 */
    uint64_t rip;                 /* 0x578 */
    uint8_t reserved4[0x5d8 - 0x580];
    uint64_t rsp;                 /* 0x5d8 */
    uint64_t s_cet, ssp, isst_addr; /* 0x5e0 */
    uint64_t rax;                 /* 0x5f8 */
    uint64_t star;                /* 0x600 */
    uint64_t lstar;               /* 0x608 */
    uint64_t cstar;               /* 0x610 */
    uint64_t sfmask;              /* 0x618 */
    uint64_t kernel_gs_base;      /* 0x620 */
    uint64_t sysenter_cs;         /* 0x628 */
    uint64_t sysenter_esp;        /* 0x630 */
    uint64_t sysenter_eip;        /* 0x638 */
    uint64_t cr2;                 /* 0x640 */
    uint8_t reserved5[0x668 - 0x648];
    uint64_t g_pat;               /* 0x668 */
    uint64_t dbgctl;              /* 0x670 */
    uint64_t br_from, br_to;      /* 0x678 */
    uint64_t last_excp_from, last_excp_to; /* 0x688 */
};

struct vmcb {
    struct vmcb_control control;
    struct vmcb_save save;
    uint8_t reserved[4096 - 0x400 - sizeof(struct vmcb_save)];
} __attribute__((aligned(4096)));

_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(__builtin_offsetof(struct vmcb_control, exitcode) == 0x070,
               "EXITCODE at 0x070");
_Static_assert(__builtin_offsetof(struct vmcb_control, eventinj) == 0x0a8,
               "EVENTINJ at 0x0a8");
_Static_assert(__builtin_offsetof(struct vmcb_control, nrip) == 0x0c8,
               "nRIP at 0x0c8");
_Static_assert(__builtin_offsetof(struct vmcb_control, insn_len) == 0x0d0,
               "number of bytes fetched at 0x0d0");
_Static_assert(__builtin_offsetof(struct vmcb_control, insn_bytes) == 0x0d1,
               "guest instruction bytes at 0x0d1");
_Static_assert(__builtin_offsetof(struct vmcb, save.cpl) == 0x4cb, "CPL");
_Static_assert(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "EFER");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr4) == 0x548, "CR4");
_Static_assert(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "RIP");
_Static_assert(__builtin_offsetof(struct vmcb, save.rsp) == 0x5d8, "RSP");
_Static_assert(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "RAX");
_Static_assert(__builtin_offsetof(struct vmcb, save.cr2) == 0x640, "CR2");
_Static_assert(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "G_PAT");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Enter the guest (arch/x86/svm/svm_run.asm): VMLOAD/VMRUN/VMSAVE on
 * guest_vmcb with the guest GPRs other than RAX and RSP (which live in the
 * VMCB) loaded from and saved to gprs[16] (enum gpr order); host state not
 * restored by #VMEXIT is kept in host_vmcb with VMSAVE/VMLOAD. Both VMCBs
 * are host-physical, 4 KiB aligned. Host interrupts are open only while the
 * guest runs (so a host timer causes an INTR exit), taken after STGI. */
void svm_vmrun(hpa_t guest_vmcb, uint64_t *gprs, hpa_t host_vmcb);

#endif
