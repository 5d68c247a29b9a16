/* Choosing the vendor ops table once at boot (hv/core/vendor.h). */
#include "hv/core/vendor.h"
#include "lib/errno.h"
#include "lib/log.h"

const struct vendor_ops *vendor;

/* Refuse a table with a missing op (in the spirit of KVM's
 * kvm_ops_update): a NULL call would be a silent crash later. */
static bool ops_complete(const struct vendor_ops *o)
{
    return o->name && o->npt_format && o->detect && o->hw_enable &&
           o->vm_init && o->vcpu_init && o->run && o->fetch_state && o->flush_guest_tlb &&
           o->dump && o->breakpoints_armed;
}

int vendor_select(void)
{
    static const struct vendor_ops *const candidates[] = { &svm_ops,
                                                           &vmx_ops };
    for (unsigned i = 0; i < ARRAY_SIZE(candidates); i++) {
        const struct vendor_ops *o = candidates[i];
        if (!ops_complete(o)) {
            log_err("%s: vendor ops table incomplete; not used", o->name);
            continue;
        }
        if (o->detect() == 0) {
            vendor = o;
            return 0;
        }
    }
    log_err("no usable hardware virtualization (AMD SVM with NPT or Intel "
            "VMX with EPT)");
    return -ENODEV;
}
