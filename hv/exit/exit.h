/* VM exit dispatch (hv/exit/exit.c): one table from enum exit_reason to the
 * handler, with a loud default. */
#ifndef KEEL_EXIT_H
#define KEEL_EXIT_H

#include "hv/core/vm_exit.h"

struct vcpu;

/* Handle one exit of v. Afterwards v may be halted or its VM stopped. */
void exit_dispatch(struct vcpu *v, const struct vm_exit *exit);

/* The handlers of one family each, for exit_dispatch's table (CPUID and
 * MSR exits are cpuid_handle_exit and msr_handle_read/write, beside their
 * policies). Each takes the vCPU and its decoded exit. */

/* IN/OUT on the VM's port bus; INS/OUTS through the emulator (exit_io.c). */
void exit_handle_io(struct vcpu *v, const struct vm_exit *exit);

/* An access to an unbacked GPA: MMIO through the emulator (exit_npf.c). */
void exit_handle_npf(struct vcpu *v, const struct vm_exit *exit);

/* HLT: idle until an interrupt; "cli; hlt" everywhere ends the VM. */
void exit_handle_hlt(struct vcpu *v, const struct vm_exit *exit);

/* MOV to CR0/CR4 and XSETBV, checked as the CPU checks them (exit_cr.c). */
void exit_handle_cr(struct vcpu *v, const struct vm_exit *exit);
void exit_handle_xsetbv(struct vcpu *v, const struct vm_exit *exit);

#endif
