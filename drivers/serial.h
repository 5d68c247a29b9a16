/* The hypervisor's own serial console (COM1, polled). console_write and
 * console_getc (arch/x86/platform.h) are implemented on top of it. */
#ifndef KEEL_SERIAL_H
#define KEEL_SERIAL_H

#include "lib/types.h"

/* Program COM1 for 115200 8N1 without interrupts. Safe to call before
 * ExitBootServices (the firmware's own serial driver uses the same
 * settings). */
void serial_init(void);

#endif
