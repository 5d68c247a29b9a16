/* Guests' consoles on Keel's one serial line. With one VM its UART is the
 * terminal, byte for byte (an interactive shell works). With several, each
 * VM's output is collected into lines and printed as "[name] line", and
 * typed input goes to one VM at a time: the first at start, the next
 * running one on Ctrl-] n (hv/debug/monitor.h) or when it ends. */
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

/* What a vconsole_key_fn returns besides a byte: move typed input to the
 * next running VM (the monitor's filter turns Ctrl-] n into this). */
#define VCONSOLE_NEXT_VM 0x100

/* Where typed bytes come from: the next byte (0..255), VCONSOLE_NEXT_VM,
 * or -1 when none is waiting. The scheduler passes Keel's console with the
 * monitor's keys taken out. */
typedef int (*vconsole_key_fn)(void);

/* Move typed bytes from key() into a ring (while it has room: a full ring
 * leaves them in the host UART, never drops them) and from the ring into
 * the input (UART or the console set by vconsole_set_input) of the input
 * VM among vms[0..n), as far as it has room, in order. The input VM is
 * vms[0] at first; when it is no longer running (or has no UART), the next
 * running one after it, cyclically. VCONSOLE_NEXT_VM from key() moves it
 * to the next running VM: the ring is first offered to the old one, and
 * what it cannot take is dropped (counted in the log line), so bytes never
 * reach a VM they were not typed for. Each move logs "keel: console input
 * -> vm NAME". Cheap when nothing is typed (one UART status read), so the
 * scheduler calls it often. Returns true when any byte moved. */
bool vconsole_poll_input(struct vm **vms, unsigned n, vconsole_key_fn key);

/* The index in vms[0..n) typed input goes to (as vconsole_poll_input
 * chooses it, following an ended VM), or -1 when no VM is running. */
int vconsole_input_vm(struct vm **vms, unsigned n);

/* Bytes in the ring not yet taken by the guest (for tests). */
unsigned vconsole_input_queued(void);

#endif
