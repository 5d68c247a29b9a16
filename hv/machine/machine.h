/* The one owner of a VM's life cycle: everything a VM is made of (guest RAM
 * and its nested page table, vCPUs, the PC board of hv/machine/pc.h, the
 * virtio devices of hv/machine/virtio_devices.h, the payload from
 * hv/loader/) is built here, and rebuilt here when the VM resets. */
#ifndef KEEL_MACHINE_H
#define KEEL_MACHINE_H

#include "lib/types.h"

struct vm;
struct vm_config;
struct vm_files;

/* Build VM number id from its [vm] section cfg and the files boot/ loaded
 * for it (kernel, initrd, device images; files must stay valid for the
 * VM's life, as resets load them again): RAM, vCPUs, board and virtio
 * devices, the payload, and the boot vCPU's entry state. Returns the VM,
 * or NULL after logging a message naming the VM and the reason (no
 * memory, a bad payload, a device that cannot be served). */
struct vm *machine_create(unsigned id, const struct vm_config *cfg,
                          const struct vm_files *files);

/* How much guest RAM one machine_reset call clears; and the rate limit:
 * a VM reset more than MACHINE_RESET_LIMIT times within
 * MACHINE_RESET_WINDOW_NS is stopped (docs/architecture.md). */
#define MACHINE_RESET_CLEAR_BYTES MiB(32)
#define MACHINE_RESET_LIMIT       10
#define MACHINE_RESET_WINDOW_NS   (10ULL * 1000000000ULL)

/* Carry out a requested reset (vm_request_reset), a bounded step per
 * call, at scheduling points: the first call puts every device back to
 * its power-on state in place (pc_reset: nothing is allocated, so resets
 * cannot use up Keel's memory), then each call zeroes at most
 * MACHINE_RESET_CLEAR_BYTES of guest RAM, and the last loads the payload
 * again and puts every vCPU back to its power-on state. Disk images keep
 * what was written; a virtio-net keeps its switch port. The VM's vCPUs
 * must not run while vm->reset_pending. Returns -EAGAIN while the reset
 * goes on (call again), 0 when the VM may run, or an error after which the
 * VM has been stopped (too many resets: -EBUSY; a payload that no longer
 * loads). */
int machine_reset(struct vm *vm);

#endif
