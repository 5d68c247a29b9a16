/* The machine's processors from the firmware's MP Services protocol, for
 * machines whose firmware has no ACPI MADT (OVMF under Bochs). Keel reads
 * only the APIC IDs here, before ExitBootServices; it starts the CPUs
 * itself later (arch/x86/smp_boot.c), as it does from a MADT.
 * Reference: UEFI PI 1.7, Vol. 2, 13.4 "MP Services Protocol":
 * GetNumberOfProcessors, GetProcessorInfo (EFI_PROCESSOR_INFORMATION:
 * ProcessorId is the APIC ID on IA32/X64; StatusFlag bit 0
 * PROCESSOR_AS_BSP_BIT, bit 1 PROCESSOR_ENABLED_BIT, bit 2
 * PROCESSOR_HEALTH_STATUS_BIT). gnu-efi has no header for it. */
#include <efi.h>
#include <efilib.h>
#include "boot/boot.h"

#define MP_SERVICES_GUID                                                   \
    { 0x3fdda605, 0xa76e, 0x4f46,                                          \
      { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define PROCESSOR_AS_BSP_BIT    BIT(0)
#define PROCESSOR_ENABLED_BIT   BIT(1)
#define PROCESSOR_HEALTH_BIT    BIT(2)

/* EFI_PROCESSOR_INFORMATION as PI 1.2 defines it. PI 1.7 appends
 * ExtendedInformation (24 bytes) that a newer firmware may write too:
 * struct mp_info leaves room for it. */
struct mp_info {
    uint64_t ProcessorId;
    uint32_t StatusFlag;
    uint32_t Package, Core, Thread;   /* EFI_CPU_PHYSICAL_LOCATION */
    uint8_t ExtendedInformation[64];
};

/* The first two members of EFI_MP_SERVICES_PROTOCOL; Keel calls no
 * other (the rest run code on the APs while the firmware owns them). */
struct mp_services {
    EFI_STATUS (EFIAPI *GetNumberOfProcessors)(struct mp_services *self,
                                               UINTN *number,
                                               UINTN *enabled);
    EFI_STATUS (EFIAPI *GetProcessorInfo)(struct mp_services *self,
                                          UINTN number,
                                          struct mp_info *info);
};

unsigned boot_find_cpus(uint32_t *ids, unsigned max)
{
    EFI_GUID guid = MP_SERVICES_GUID;
    struct mp_services *mp = NULL;
    UINTN total = 0, enabled = 0;

    EFI_STATUS st = uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL,
                                      (void **)&mp);
    if (EFI_ERROR(st) || !mp)
        return 0;
    st = uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &total,
                           &enabled);
    if (EFI_ERROR(st))
        return 0;

    /* The boot CPU first (Keel's CPU 0), then the others in the
     * firmware's order, as acpi_host_madt_cpus does for a MADT. */
    unsigned n = 1;
    bool bsp_seen = false;
    for (UINTN i = 0; i < total; i++) {
        struct mp_info info = { 0 };
        st = uefi_call_wrapper(mp->GetProcessorInfo, 3, mp, i, &info);
        if (EFI_ERROR(st))
            return 0;
        uint32_t id = (uint32_t)info.ProcessorId;
        if (info.StatusFlag & PROCESSOR_AS_BSP_BIT) {
            ids[0] = id;
            bsp_seen = true;
        } else if ((info.StatusFlag & PROCESSOR_ENABLED_BIT) &&
                   (info.StatusFlag & PROCESSOR_HEALTH_BIT) && n < max) {
            ids[n++] = id;
        }
    }
    return bsp_seen ? n : 0;
}
