/* The PC's BIOS Data Area for guests (hv/loader/bda.h). */
#include "hv/loader/bda.h"
#include "lib/errno.h"

int bda_write(const struct guest_mem *gm)
{
    const uint16_t com[4] = { 0x3F8, 0, 0, 0 };     /* COM1 only */
    const uint16_t ebda_seg = (uint16_t)(BDA_LOW_RAM_END >> 4);
    const uint16_t base_kib = (uint16_t)(BDA_LOW_RAM_END / 1024);
    const uint8_t ebda_kib = (uint8_t)(BDA_EBDA_SIZE / 1024);

    if (gmem_write(gm, BDA_COM_PORTS, com, sizeof(com)) ||
        gmem_write(gm, BDA_EBDA_SEGMENT, &ebda_seg, sizeof(ebda_seg)) ||
        gmem_write(gm, BDA_BASE_MEM_KIB, &base_kib, sizeof(base_kib)) ||
        gmem_write(gm, BDA_LOW_RAM_END, &ebda_kib, sizeof(ebda_kib)))
        return -EFAULT;
    return 0;
}
