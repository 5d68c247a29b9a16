/* The x86 exception vectors and what the manual says about each: name,
 * mnemonic and whether the CPU pushes an error code. One table
 * (arch/x86/exception.c) for the host IDT, the vendors' exit decoding, the
 * emulator and the exit trace.
 * Reference: Intel SDM Volume 3A (order no. 253668), 6.3.1 "External
 * Interrupts, ..." table 6-1 "Protected-Mode Exceptions and Interrupts",
 * 6.13 "Error Code", 6.15 "Exception and Interrupt Reference". */
#ifndef KEEL_EXCEPTION_H
#define KEEL_EXCEPTION_H

#include "lib/types.h"

/* Exception vectors (SDM 3A table 6-1). 9 (coprocessor segment overrun),
 * 15 and 22..31 are reserved. */
enum {
    VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5,
    VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12,
    VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18,
    VEC_XM = 19, VEC_VE = 20, VEC_CP = 21,
};

/* Vectors 0..31 are reserved for exceptions; 32..255 are interrupts. */
#define EXCEPTION_VECTORS 32

/* The mnemonic of vector ("#DE", "NMI", ...), or NULL for a vector that
 * has none (9, 15, 22..255). */
const char *exception_mnemonic(unsigned vector);

/* The manual's name of vector ("divide error"); "reserved" for 9, 15 and
 * 22..31; "interrupt" for 32..255. Never NULL. */
const char *exception_name(unsigned vector);

/* True if delivering vector as a hardware exception pushes an error code
 * (SDM 3A 6.13: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP). Interrupts and
 * software INT n never do. */
bool exception_has_error(unsigned vector);

#endif
