/* Guests' consoles on Keel's one serial line. With one VM its UART is the
 * terminal, byte for byte (an interactive shell works). With several, each
 * VM's output is collected into lines and printed as "[name] line", and
 * typed input goes to the first VM still running. */
#ifndef KEEL_VCONSOLE_H
#define KEEL_VCONSOLE_H

#include "lib/types.h"

struct vm;

/* Raw (one VM) or line-prefixed (several) output; set once at start. */
void vconsole_set_raw(bool raw);

/* One byte of guest console output. */
void vconsole_putc(struct vm *vm, char c);

/* Print a pending partial line of vm (when it stops). */
void vconsole_flush(struct vm *vm);

/* Where typed input for vm goes: receive(dev, byte) returns false when it
 * cannot take the byte now (it is kept and offered again). NULL: the VM's
 * UART, the default. Console devices call this when the guest writes to
 * them, so input follows the console the guest uses (ttyS0 or hvc0). */
typedef bool (*vconsole_input_fn)(void *dev, uint8_t c);
void vconsole_set_input(struct vm *vm, vconsole_input_fn receive, void *dev);

/* Bytes typed ahead that Keel holds for the guest, at most this many. */
#define VCONSOLE_INPUT_RING 4096

/* Where typed bytes come from: the next byte, or -1 when none is waiting.
 * The scheduler passes Keel's console with the monitor's keys taken out. */
typedef int (*vconsole_key_fn)(void);

/* Move typed bytes from key() into a ring (while it has room: a full ring
 * leaves them in the host UART, never drops them) and from the ring into
 * the input (UART or the console set by vconsole_set_input) of the first
 * running VM among vms[0..n), as far as it has room, in order. Cheap when
 * nothing is typed (one UART status read), so the scheduler calls it
 * often. Returns true when any byte moved. */
bool vconsole_poll_input(struct vm **vms, unsigned n, vconsole_key_fn key);

/* Bytes in the ring not yet taken by the guest (for tests). */
unsigned vconsole_input_queued(void);

#endif
