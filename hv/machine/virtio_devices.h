/* Creating a VM's virtio devices from its configuration (`device =
 * virtio-...` lines): each device model on the virtio-pci transport, on the
 * VM's PCI bus, with MSI-X routed to its virtual LAPICs. */
#ifndef KEEL_VIRTIO_DEVICES_H
#define KEEL_VIRTIO_DEVICES_H

#include "lib/types.h"

struct vm;

/* Create every virtio device vm->cfg names. vm->device_files[i] is the
 * file loaded for vm->cfg->devices[i] (size 0 when the device takes none).
 * Entries that are not virtio devices (uart, built by pc_create) are
 * skipped; config_parse has already refused types Keel does not know.
 * Called once, by machine_create after pc_create: a reset puts the devices
 * back to their power-on state in place through the PCI bus (pc_reset).
 * Returns 0, or a negative error after logging which device failed:
 * -EINVAL (an empty image), -ENOMEM (out of memory, or the network switch
 * is full), or -ENODEV/-EIO from a host virtio-blk device. */
int virtio_devices_create(struct vm *vm);

/* Continue the device work earlier notifications left pending (each
 * device within its budget, hv/virtio/virtio.h). Called before every
 * entry of the VM and once per scheduler pass. Returns true while work is
 * still left: the scheduler must not idle then. */
bool virtio_devices_poll(struct vm *vm);

#endif
