/* SVM's instruction-length and instruction-byte sources
 * (arch/x86/svm/svm_assist.h). No privileged instruction here: compiled
 * for the host too (Makefile HOST_C). */
#include "arch/x86/svm/svm_assist.h"
#include "lib/string.h"

#define INSN_MAX_BYTES 15     /* SDM 2 2.3.11, APM3 1.1 */

struct svm_assists svm_assist_select(uint32_t edx)
{
    return (struct svm_assists){
        .nrips = edx & CPUID_8000000A_EDX_NRIPS,
        .decode_assists = edx & CPUID_8000000A_EDX_DECODE_ASSISTS,
    };
}

const char *svm_assist_describe(const struct svm_assists *a)
{
    static const char *const lines[2][2] = {
        { "instruction lengths and MMIO instructions from Keel's decoder "
          "(no next-RIP save, no decode assists)",
          "instruction lengths from Keel's decoder (no next-RIP save), MMIO "
          "instruction bytes from the VMCB (decode assists)" },
        { "instruction lengths from nRIP (next-RIP save), MMIO instructions "
          "fetched by Keel's decoder (no decode assists)",
          "instruction lengths from nRIP (next-RIP save), MMIO instruction "
          "bytes from the VMCB (decode assists)" },
    };
    return lines[a->nrips][a->decode_assists];
}

uint8_t svm_assist_insn_len(const struct svm_assists *a, uint64_t rip,
                            uint64_t nrip)
{
    if (!a->nrips || nrip <= rip || nrip - rip > INSN_MAX_BYTES)
        return 0;
    return (uint8_t)(nrip - rip);
}

uint8_t svm_assist_insn_bytes(const struct svm_assists *a,
                              const struct vmcb_control *c, uint8_t out[15])
{
    if (!a->decode_assists)
        return 0;
    /* Bits 3:0 of the byte at 0D0h count the bytes (Table B-1). */
    uint8_t n = c->insn_len & 0xf;
    memcpy(out, c->insn_bytes, n);
    return n;
}
