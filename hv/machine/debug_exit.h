/* The debug-exit port of every VM (hv/machine/debug_exit.c): a guest ends
 * itself with a status, as QEMU's isa-debug-exit ends QEMU. Keel's test
 * guests report pass (0) or fail this way. */
#ifndef KEEL_DEBUG_EXIT_H
#define KEEL_DEBUG_EXIT_H

struct vm;

/* Put the device on vm's port bus at DEBUG_EXIT_PORT (arch/x86/platform.h),
 * one port wide: an OUT of any size to that port stops the VM with
 * VM_END_DEBUG_EXIT and the value written (cut to the access size) as
 * vm->exit_status. Reads return all-ones. Returns 0, or bus_register's
 * -EBUSY / -ENOMEM. */
int debug_exit_register(struct vm *vm);

#endif
