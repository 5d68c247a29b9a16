/* Keel's hypercalls (hv/exit/hypercall.h, docs/hypercalls.md). */
#include "hv/core/dirty_log.h"
#include "hv/core/vm.h"
#include "hv/exit/hypercall.h"
#include "hv/machine/vconsole.h"
#include "lib/errno.h"

/* The bitmap of one KEEL_HC_DIRTY_LOG_GET (one host CPU runs exits). */
static uint8_t get_bitmap[KEEL_HC_DIRTY_LOG_MAX / 8];

int64_t hypercall_console_write(struct vm *vm, gpa_t gpa, uint64_t len)
{
    /* LAB 10 BEGIN: check the guest's buffer, then print it */
    /* All checks come first: a call either prints everything or nothing
     * and says why, so a guest can retry with a smaller or valid buffer. */
    if (len > KEEL_HC_CONSOLE_MAX)
        return -EINVAL;
    if (len == 0)
        return 0;                /* nothing to read, wherever gpa points */
    if (!gmem_is_ram(&vm->mem, gpa, len))
        return -EFAULT;
    char chunk[256];
    for (uint64_t done = 0; done < len;) {
        uint64_t n = MIN(len - done, sizeof(chunk));
        if (gmem_read(&vm->mem, gpa + done, chunk, n))
            return -EFAULT;
        for (uint64_t i = 0; i < n; i++)
            vconsole_putc(vm, chunk[i]);
        done += n;
    }
    return (int64_t)len;
    /* LAB 10 STUB
    (void)vm;
    (void)gpa;
    (void)len;
    return -ENOSYS;
    */
    /* LAB 10 END */
}

static int64_t dirty_log_get_call(struct vm *vm, gpa_t first, uint64_t npages,
                                  gpa_t bitmap_gpa)
{
    if (npages == 0 || npages > KEEL_HC_DIRTY_LOG_MAX)
        return -EINVAL;
    uint64_t bytes = DIV_ROUND_UP(npages, 8);
    /* Check the destination before reading the log: a read clears it, and
     * bits that could not be handed over would be lost. */
    if (!gmem_is_ram(&vm->mem, bitmap_gpa, bytes))
        return -EFAULT;
    int64_t count = dirty_log_get(vm, first, npages, get_bitmap);
    if (count < 0)
        return count;
    /* gmem_write also marks the bitmap's pages: Keel wrote them. */
    if (gmem_write(&vm->mem, bitmap_gpa, get_bitmap, bytes))
        return -EFAULT;
    return count;
}

/* The current privilege level: SS.DPL in protected mode (SDM 3A 5.5), 3 in
 * virtual-8086 mode, 0 in real mode. */
static unsigned cpl(const struct vcpu_state *s)
{
    if (!(s->cr0 & CR0_PE))
        return 0;
    if (s->rflags & RFLAGS_VM)
        return 3;
    return SEG_ATTR_DPL(s->seg[SEG_SS].attr);
}

void hypercall_handle_exit(struct vcpu *v, const struct vm_exit *exit)
{
    struct vcpu_state *s = &v->state;
    uint64_t mask = vcpu_state_mode(s) == MODE_LONG64 ? UINT64_MAX
                                                       : UINT32_MAX;
    uint64_t nr = s->gpr[GPR_RAX] & mask;
    uint64_t a0 = s->gpr[GPR_RBX] & mask, a1 = s->gpr[GPR_RCX] & mask;
    uint64_t a2 = s->gpr[GPR_RDX] & mask;
    int64_t ret;

    /* Complete the instruction first: when its bytes cannot be fetched
     * (no length from the CPU), nothing has happened yet and the guest
     * retries. */
    if (vcpu_skip_insn(v, exit))
        return;
    if (cpl(s) != 0) {
        ret = -EPERM;
    } else {
        switch (nr) {
        case KEEL_HC_CONSOLE_WRITE:
            ret = hypercall_console_write(v->vm, a0, a1);
            break;
        case KEEL_HC_DIRTY_LOG_START:
            ret = dirty_log_start(v->vm);
            break;
        case KEEL_HC_DIRTY_LOG_GET:
            ret = dirty_log_get_call(v->vm, a0, a1, a2);
            break;
        case KEEL_HC_DIRTY_LOG_STOP:
            dirty_log_stop(v->vm);
            ret = 0;
            break;
        default:
            ret = -ENOSYS;
            break;
        }
    }
    s->gpr[GPR_RAX] = (uint64_t)ret & mask;
}
