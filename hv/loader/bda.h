/* The PC's low memory as firmware leaves it: where conventional memory
 * ends (the EBDA begins) and the BIOS Data Area that says so. One fact
 * for the BDA, Multiboot's mem_lower and the Linux e820 map.
 * Reference: IBM PC/AT Technical Reference "BIOS Data Area"; Multiboot
 * 0.6.96 3.3 "mem_lower"; ACPI 6.5 15 "System Address Map Interfaces". */
#ifndef KEEL_LOADER_BDA_H
#define KEEL_LOADER_BDA_H

#include "lib/types.h"
#include "mm/guest_mem.h"

/* Conventional memory ends at 639 KiB; the 1 KiB EBDA follows. */
#define BDA_LOW_RAM_END   0x9FC00ULL
#define BDA_EBDA_SIZE     0x400ULL

/* BDA fields (GPA). */
#define BDA_COM_PORTS     0x400   /* 4 x 16-bit I/O base of COM1-COM4 */
#define BDA_EBDA_SEGMENT  0x40E   /* 16-bit real-mode segment of the EBDA */
#define BDA_BASE_MEM_KIB  0x413   /* 16-bit conventional memory in KiB */

/* Write the BDA (COM1 at 0x3F8, the EBDA segment, the base memory size)
 * and the EBDA's first word (its size in KiB) into guest RAM, as PC
 * firmware leaves them. Returns 0, or -EFAULT if that memory is not RAM. */
int bda_write(const struct guest_mem *gm);

#endif
