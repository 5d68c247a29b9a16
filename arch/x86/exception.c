/* The exception table (arch/x86/exception.h), transcribed from SDM 3A
 * table 6-1 and the per-vector entries of 6.15. */
#include "arch/x86/exception.h"

static const struct {
    const char *mnemonic;
    const char *name;
    bool has_error;
} exceptions[EXCEPTION_VECTORS] = {
    [VEC_DE] = { "#DE", "divide error", false },
    [VEC_DB] = { "#DB", "debug", false },
    [VEC_NMI] = { "NMI", "non-maskable interrupt", false },
    [VEC_BP] = { "#BP", "breakpoint", false },
    [VEC_OF] = { "#OF", "overflow", false },
    [VEC_BR] = { "#BR", "bound range exceeded", false },
    [VEC_UD] = { "#UD", "invalid opcode", false },
    [VEC_NM] = { "#NM", "device not available", false },
    [VEC_DF] = { "#DF", "double fault", true },         /* always 0 */
    [9] = { NULL, "coprocessor segment overrun", false },
    [VEC_TS] = { "#TS", "invalid TSS", true },
    [VEC_NP] = { "#NP", "segment not present", true },
    [VEC_SS] = { "#SS", "stack-segment fault", true },
    [VEC_GP] = { "#GP", "general protection", true },
    [VEC_PF] = { "#PF", "page fault", true },
    [VEC_MF] = { "#MF", "x87 floating-point error", false },
    [VEC_AC] = { "#AC", "alignment check", true },       /* always 0 */
    [VEC_MC] = { "#MC", "machine check", false },
    [VEC_XM] = { "#XM", "SIMD floating-point exception", false },
    [VEC_VE] = { "#VE", "virtualization exception", false },
    [VEC_CP] = { "#CP", "control protection", true },
};

const char *exception_mnemonic(unsigned vector)
{
    return vector < EXCEPTION_VECTORS ? exceptions[vector].mnemonic : NULL;
}

const char *exception_name(unsigned vector)
{
    if (vector >= EXCEPTION_VECTORS)
        return "interrupt";
    return exceptions[vector].name ? exceptions[vector].name : "reserved";
}

bool exception_has_error(unsigned vector)
{
    return vector < EXCEPTION_VECTORS && exceptions[vector].has_error;
}
