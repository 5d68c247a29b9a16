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

/* Carry out a requested reset (vm_request_reset): guest RAM zeroed,
 * devices recreated in their power-on state, the payload loaded again,
 * every vCPU back to its power-on state. Disk images keep what was
 * written; a virtio-net keeps its switch port. Returns 0, or an error
 * after which the VM has been crashed. */
int machine_reset(struct vm *vm);

#endif
