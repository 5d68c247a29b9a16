/* The debug-exit device (hv/machine/debug_exit.h). */
#include "arch/x86/platform.h"
#include "hv/core/vm.h"
#include "hv/dev/bus.h"
#include "hv/machine/debug_exit.h"

static int debug_exit_write(void *dev, uint64_t offset, unsigned size,
                            uint64_t val)
{
    struct vm *vm = dev;
    vm->exit_status = (int)val;
    vm_stop(vm, VM_END_DEBUG_EXIT, "wrote %#llx to port %#x",
            (unsigned long long)val, DEBUG_EXIT_PORT);
    return 0;
}

int debug_exit_register(struct vm *vm)
{
    return bus_register(&vm->pio, DEBUG_EXIT_PORT, 1, vm, NULL,
                        debug_exit_write, "debug exit");
}
