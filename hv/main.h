/* The hypervisor's start (hv/main.c), called by boot/efi_main.c. */
#ifndef KEEL_MAIN_H
#define KEEL_MAIN_H

#include "hv/boot_info.h"
#include "lib/types.h"

/* The vendor-neutral core's entry, called once on the boot CPU with
 * interrupts disabled after ExitBootServices, with everything boot/ read
 * and loaded (bi stays valid: Keel owns its pages). Brings up the host,
 * runs every VM to its end, prints the summary and ends the machine.
 * Never returns. */
NORETURN void hv_main(struct boot_info *bi);

#endif
