/* The hypervisor's own serial console (COM1, polled): Keel's log, the
 * guests' consoles and typed input all pass through it. */
#ifndef KEEL_SERIAL_H
#define KEEL_SERIAL_H

#include "lib/types.h"

/* Program COM1 for 115200 8N1 without interrupts. Safe to call before
 * ExitBootServices (the firmware's own serial driver uses the same
 * settings). */
void serial_init(void);

/* Write n bytes to the hypervisor's console (COM1). */
void serial_write(const char *s, size_t n);

/* Write n bytes unchanged (guest output, which carries its own CR LF). */
void serial_write_raw(const char *s, size_t n);

/* Did serial_init find a UART at COM1 (its status register does not read
 * 0xFF)? Without one, every write above is dropped. */
bool serial_present(void);

/* Read one byte from the console if one is waiting; returns -1 if none. */
int serial_getc(void);

#endif
