/* Keel's hypercalls (docs/hypercalls.md): VMCALL on Intel VMX (SDM 3C
 * 26.1.3, an unconditional exit) and VMMCALL on AMD SVM (APM2 15.12,
 * intercepted), with KVM's register convention
 * (Documentation/virt/kvm/x86/hypercalls.rst): the number in RAX, the
 * arguments in RBX, RCX, RDX, RSI, the result in RAX, every other register
 * kept. Outside 64-bit mode only the low 32 bits of each register count.
 * A result >= 0 is success, a negative one is -errno (lib/errno.h values):
 * -EPERM at CPL > 0, -ENOSYS for an unknown number. Keel's numbers start at
 * KEEL_HC_BASE ("KE" in the high half) so that they never collide with
 * KVM's KVM_HC_* numbers (1, 2, 3, ...), which a Linux guest that found
 * Keel's KVM leaves (CPUID 0x40000100, kvmclock) may believe in. */
#ifndef KEEL_HYPERCALL_H
#define KEEL_HYPERCALL_H

#include "hv/core/vm_exit.h"
#include "lib/types.h"

struct vcpu;
struct vm;

/* RBX = GPA of the text, RCX = its length in bytes (at most
 * KEEL_HC_CONSOLE_MAX): print it on the VM's console, as the UART would.
 * Returns the length (0 for length 0, wherever RBX points), -EINVAL (too
 * long) or -EFAULT (not all RAM; nothing printed). Lab 10. */
#define KEEL_HC_BASE            0x4b450000u
#define KEEL_HC_CONSOLE_WRITE   (KEEL_HC_BASE + 1)
#define KEEL_HC_CONSOLE_MAX     4096
/* Start logging the pages the guest writes (hv/core/dirty_log.h); clears
 * the log when it is on already. Returns 0 or -ENOMEM. */
#define KEEL_HC_DIRTY_LOG_START (KEEL_HC_BASE + 2)
/* RBX = first GPA (4 KiB aligned), RCX = number of pages (1 ..
 * KEEL_HC_DIRTY_LOG_MAX), RDX = GPA of the bitmap ((RCX + 7) / 8 bytes of
 * RAM; bit n, LSB first, is page RBX + n * 4 KiB): read and clear the log
 * of those pages. Returns how many were written since the last read,
 * -EINVAL (log off, bad range) or -EFAULT (the bitmap is not RAM; the log
 * is untouched then). Keel's write of the bitmap marks its pages. */
#define KEEL_HC_DIRTY_LOG_GET   (KEEL_HC_BASE + 3)
#define KEEL_HC_DIRTY_LOG_MAX   32768
/* Stop logging; RAM is writable again. Returns 0. */
#define KEEL_HC_DIRTY_LOG_STOP  (KEEL_HC_BASE + 4)

/* The VMCALL/VMMCALL exit: run the hypercall in v's registers, put the
 * result in RAX and move RIP past the instruction. */
void hypercall_handle_exit(struct vcpu *v, const struct vm_exit *exit);

/* KEEL_HC_CONSOLE_WRITE: len bytes at guest-physical gpa to vm's console.
 * Returns len, -EINVAL or -EFAULT (nothing printed then). */
int64_t hypercall_console_write(struct vm *vm, gpa_t gpa, uint64_t len);

#endif
