/* Names of the neutral exit reasons (hv/core/vm_exit.h). */
#include "hv/core/vm_exit.h"

const char *exit_reason_name(enum exit_reason r)
{
    static const char *const names[EXIT_REASON_COUNT] = {
        [EXIT_IO] = "IO", [EXIT_NPF] = "NPF", [EXIT_CPUID] = "CPUID",
        [EXIT_MSR_READ] = "MSR_READ", [EXIT_MSR_WRITE] = "MSR_WRITE",
        [EXIT_HLT] = "HLT", [EXIT_INTR] = "INTR",
        [EXIT_INTR_WINDOW] = "INTR_WINDOW", [EXIT_NMI_WINDOW] = "NMI_WINDOW",
        [EXIT_CR_ACCESS] = "CR_ACCESS",
        [EXIT_EXCEPTION] = "EXCEPTION", [EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT",
        [EXIT_VMCALL] = "VMCALL", [EXIT_XSETBV] = "XSETBV",
        [EXIT_INVD] = "INVD", [EXIT_NMI] = "NMI", [EXIT_PAUSE] = "PAUSE",
        [EXIT_VIRT_INSN] = "VIRT_INSN", [EXIT_RDPMC] = "RDPMC",
        [EXIT_ENTRY_FAILED] = "ENTRY_FAILED",
        [EXIT_UNEXPECTED] = "UNEXPECTED",
    };
    return (unsigned)r < EXIT_REASON_COUNT && names[r] ? names[r] : "?";
}
