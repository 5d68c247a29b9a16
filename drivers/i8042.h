/* The PC's keyboard controller (an Intel 8042 or what emulates it: QEMU's
 * i8042, a chipset's legacy block, a BIOS's USB legacy emulation), polled:
 * typed keys for Keel's console when the machine has no serial port. A USB
 * keyboard works only through the firmware's legacy emulation (Keel has no
 * xHCI driver). Reference: IBM PC AT Technical Reference, "Keyboard
 * Controller" (ports 60h/64h, the command byte). */
#ifndef KEEL_I8042_H
#define KEEL_I8042_H

#include "lib/types.h"

/* Find the controller, empty its output buffer and set its command byte:
 * scancode translation to set 1 on, keyboard clock on, both interrupts off
 * (Keel polls). Returns 0, or -ENODEV when no controller answers (the
 * status port reads 0xFF, or a command is not taken in time). */
int i8042_init(void);

/* The next typed byte (as drivers/scancode.h translates it), or -1 when
 * none is waiting or there is no controller. Reads at most a few bytes
 * per call; mouse bytes are dropped. */
int i8042_getc(void);

#endif
