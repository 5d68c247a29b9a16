/* Where Keel takes an intercepted instruction's length and an MMIO access's
 * instruction bytes from on SVM: the CPU (next-RIP save, decode assists)
 * when CPUID says it offers them, Keel's own decoder (hv/emulate)
 * otherwise. The one place that decides; pure, so the unit test
 * test/unit/test_svm_assist.c covers both paths (QEMU TCG offers neither).
 * Reference: AMD APM Vol. 2 (rev. 3.40). See: 15.7.1 "State Saved on
 * Exit" (nRIP), 15.33 "Decode Assists", Appendix B Table B-1 (VMCB
 * offsets 0C8h nRIP, 0D0h number of bytes fetched, 0D1h-0DFh guest
 * instruction bytes); CPUID Fn8000_000A_EDX (APM3 Appendix E). */
#ifndef KEEL_SVM_ASSIST_H
#define KEEL_SVM_ASSIST_H

#include "arch/x86/svm/vmcb.h"
#include "lib/types.h"

/* CPUID Fn8000_000A EDX bits. */
#define CPUID_8000000A_EDX_NP             BIT(0)
#define CPUID_8000000A_EDX_NRIPS          BIT(3)
#define CPUID_8000000A_EDX_DECODE_ASSISTS BIT(7)

/* The chosen sources, fixed at detect time. */
struct svm_assists {
    bool nrips;          /* lengths from the VMCB's nRIP */
    bool decode_assists; /* MMIO (#NPF) instruction bytes from the VMCB */
};

/* Choose from CPUID Fn8000_000A EDX. */
struct svm_assists svm_assist_select(uint32_t cpuid_8000000a_edx);

/* One line for the boot log naming both sources, e.g. "instruction
 * lengths from nRIP (next-RIP save), MMIO instruction bytes from the VMCB
 * (decode assists)"; static storage. */
const char *svm_assist_describe(const struct svm_assists *a);

/* The length in bytes (1..15) of the instruction an intercept stopped at
 * rip, from the VMCB's nRIP, or 0 (unknown: the caller decodes it) when
 * next-RIP save is not used or nRIP is not 1..15 bytes past rip. APM2
 * 15.7.1: nRIP is saved for instruction, MSR and IOIO intercepts; "for
 * all other intercepts, nRIP is reset to zero". */
uint8_t svm_assist_insn_len(const struct svm_assists *a, uint64_t rip,
                            uint64_t nrip);

/* Copy the guest instruction bytes the CPU fetched for a #NPF exit
 * (VMCB 0D0h/0D1h, 15.33) to out (15 bytes) and return how many (1..15),
 * or 0 when decode assists are not used or the CPU fetched none (e.g. the
 * fault hit the instruction fetch itself): the emulator then fetches them
 * through the guest's page tables. */
uint8_t svm_assist_insn_bytes(const struct svm_assists *a,
                              const struct vmcb_control *c, uint8_t out[15]);

#endif
