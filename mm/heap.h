/* Zeroed allocations for hypervisor objects (VMs, devices, queues). Backed
 * by whole frames from mm/frame.c; never freed (objects live as long as
 * Keel). Host unit tests provide a calloc-based version. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include "lib/types.h"

/* size bytes, zeroed, 16-byte aligned (page aligned for size >= 4 KiB).
 * Returns NULL when memory is exhausted. */
void *kzalloc(size_t size);

#endif
