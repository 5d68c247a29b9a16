/* Guests' consoles on Keel's one serial line. With one VM its UART is the
 * terminal, byte for byte (an interactive shell works). With several, each
 * VM's output is collected into lines and printed as "[name] line", and
 * typed input goes to the first VM still running. */
#ifndef KEEL_VCONSOLE_H
#define KEEL_VCONSOLE_H

#include "hv/types.h"

struct vm;

/* Raw (one VM) or line-prefixed (several) output; set once at start. */
void vconsole_set_raw(bool raw);

/* One byte of guest console output. */
void vconsole_putc(struct vm *vm, char c);

/* Print a pending partial line of vm (when it stops). */
void vconsole_flush(struct vm *vm);

/* Move typed bytes from Keel's console into the UART of the first running
 * VM among vms[0..n), as far as its receive FIFO has room. */
void vconsole_poll_input(struct vm **vms, unsigned n);

#endif
