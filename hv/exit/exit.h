/* VM exit dispatch (hv/exit/exit.c): one table from enum exit_reason to the
 * handler, with a loud default. */
#ifndef KEEL_EXIT_H
#define KEEL_EXIT_H

#include "hv/core/vm_exit.h"

struct vcpu;

/* Handle one exit of v. Afterwards v may be halted or its VM stopped. */
void exit_dispatch(struct vcpu *v, const struct vm_exit *exit);


#endif
