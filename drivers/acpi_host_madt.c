/* The host's processors from the ACPI MADT (drivers/acpi_host.h): pure,
 * so the unit tests feed it tables they build.
 * Reference: ACPI 6.4, 5.2.12 "Multiple APIC Description Table (MADT)",
 * 5.2.12.2 "Processor Local APIC Structure" (Table 5.23, flags Table
 * 5.24), 5.2.12.12 "Processor Local x2APIC Structure" (Table 5.38). */
#include "drivers/acpi_host.h"
#include "lib/errno.h"
#include "lib/string.h"

#define MADT_ENTRIES        44   /* header (36) + LAPIC address + flags */
#define MADT_LAPIC          0
#define MADT_X2APIC         9
#define MADT_LAPIC_LEN      8
#define MADT_X2APIC_LEN     16
#define MADT_ENABLED        BIT(0)
#define MADT_ONLINE_CAPABLE BIT(1)

static bool listed(const uint32_t *ids, unsigned n, uint32_t id)
{
    for (unsigned i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

int acpi_host_madt_cpus(const void *madt, uint32_t len, uint32_t boot_id,
                        uint32_t *ids, unsigned max)
{
    const uint8_t *t = madt;
    uint32_t table_len;

    if (!madt || len < MADT_ENTRIES || max == 0)
        return -EINVAL;
    memcpy(&table_len, t + 4, 4);
    if (table_len < MADT_ENTRIES || table_len > len)
        return -EINVAL;
    unsigned n = 0;
    ids[n++] = boot_id;
    for (uint32_t off = MADT_ENTRIES; off + 2 <= table_len;) {
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || off + elen > table_len)
            return -EINVAL;
        uint32_t id, flags;
        bool cpu = false;
        if (type == MADT_LAPIC && elen >= MADT_LAPIC_LEN) {
            id = t[off + 3];
            memcpy(&flags, t + off + 4, 4);
            cpu = id != 0xff;   /* 0xFF: not a usable xAPIC ID */
        } else if (type == MADT_X2APIC && elen >= MADT_X2APIC_LEN) {
            memcpy(&id, t + off + 4, 4);
            memcpy(&flags, t + off + 8, 4);
            cpu = true;
        }
        off += elen;
        if (!cpu || !(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)) ||
            listed(ids, n, id))
            continue;
        if (n == max)
            break;
        ids[n++] = id;
    }
    return (int)n;
}
