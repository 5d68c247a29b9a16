/* The vendor-neutral VM exit (DESIGN.md, "One vendor boundary"). Each vendor
 * maps its exit codes (SDM 3C Appendix C, APM2 Appendix C) to enum
 * exit_reason in one table and fills the matching union member. */
#ifndef KEEL_VM_EXIT_H
#define KEEL_VM_EXIT_H

#include "lib/types.h"

enum exit_reason {
    EXIT_IO,            /* IN/OUT/INS/OUTS intercepted by the I/O bitmap */
    EXIT_NPF,           /* nested page fault / EPT violation (MMIO, unmapped) */
    EXIT_CPUID,
    EXIT_MSR_READ,
    EXIT_MSR_WRITE,
    EXIT_HLT,
    EXIT_INTR,          /* a host (physical) interrupt arrived */
    EXIT_INTR_WINDOW,   /* the guest can now take an injected interrupt */
    EXIT_NMI_WINDOW,    /* NMI blocking ends (VMX NMI window; SVM IRET) */
    EXIT_CR_ACCESS,
    EXIT_EXCEPTION,     /* an intercepted guest exception */
    EXIT_TRIPLE_FAULT,  /* SVM SHUTDOWN, VMX triple fault */
    EXIT_VMCALL,        /* VMCALL / VMMCALL */
    EXIT_XSETBV,
    EXIT_INVD,
    EXIT_NMI,
    EXIT_PAUSE,
    EXIT_VIRT_INSN,     /* a virtualization instruction of either vendor
                         * (VMRUN, VMLOAD, VMXON, VMREAD, INVEPT, ...) or
                         * one Keel hides (GETSEC, MONITOR/MWAIT, RSM) */
    EXIT_RDPMC,         /* RDPMC: no performance counters are offered */
    EXIT_ENTRY_FAILED,  /* VMRUN/VMLAUNCH refused the guest state */
    EXIT_UNEXPECTED,    /* anything else: raw_reason says what */
    EXIT_REASON_COUNT
};

/* Printable name of an exit reason, e.g. "CPUID". */
const char *exit_reason_name(enum exit_reason r);

struct vm_exit {
    enum exit_reason reason;
    uint64_t raw_reason;   /* the vendor's own exit code, for logs */
    const char *raw_name;  /* the vendor's name for it (SDM/APM) */
    uint8_t insn_len;      /* length of the exiting instruction; 0 unknown */
    union {
        struct {
            uint16_t port;
            uint8_t size;      /* 1, 2 or 4 bytes */
            bool in;           /* IN/INS (read from the device) */
            bool string;       /* INS/OUTS */
            bool rep;
        } io;
        struct {
            gpa_t gpa;         /* faulting guest-physical address */
            bool read, write, fetch;
            bool present;      /* a translation existed (permission fault) */
            /* The faulting instruction's first bytes as the CPU fetched
             * them (SVM decode assists, APM2 15.33), insn_nbytes of them
             * (0..15); 0: none, the emulator fetches at CS:RIP. */
            uint8_t insn_nbytes;
            uint8_t insn_bytes[15];
        } npf;
        struct {
            uint32_t index;    /* ECX */
        } msr;
        struct {
            uint8_t vector;
            bool has_error;
            uint32_t error_code;
            uint64_t cr2;      /* for #PF */
        } exception;
        struct {
            uint8_t cr;        /* 0, 3, 4 or 8 */
            bool write;
            uint8_t gpr;       /* enum gpr, when known */
        } cr;
        struct {
            uint64_t info1, info2; /* vendor data for failed entry/unexpected */
        } raw;
    };
};

#endif
