/* Pinning a VM's vCPUs to physical CPUs (hv/core/pin.c): keel.cfg's
 * "cpus" mask (struct vm_config.cpus: bit i is physical CPU i in Keel's
 * numbering, 0 the boot CPU, then the other CPUs in MADT order; 0 means
 * not pinned). Pure: unit-tested on the host. */
#ifndef KEEL_PIN_H
#define KEEL_PIN_H

#include "lib/types.h"

/* The most physical CPUs Keel uses (the width of the cpus mask). */
#define PIN_MAX_CPUS 64

/* The physical CPU that runs vCPU `vcpu` of a VM with this cpus mask:
 * vCPU i on the i-th CPU of the set, modulo its size (vcpus = 4 on
 * cpus = 1-2 puts vCPUs 0 and 2 on CPU 1, 1 and 3 on CPU 2). An unpinned
 * VM (mask 0) runs on the boot CPU, 0. */
unsigned pin_cpu(uint64_t mask, unsigned vcpu);

/* The lowest CPU of mask that is not in online (the CPUs Keel started, bit
 * 0 the boot CPU), or -1 when all are. */
int pin_missing(uint64_t mask, uint64_t online);

#endif
