/* Host tool for the loader smoke test (guest/linux/smoke/run.sh): runs
 * Keel's ACPI builder and Linux loader into a host buffer standing in for
 * 512 MiB of guest RAM, then writes the pieces they filled as files that
 * QEMU passes to stub.asm as Multiboot modules, one "file GPA" per line.
 *   usage: mkimage <vmlinuz> <initrd> <outdir> [cmdline]
 * The ACPI tables go to 0x80000, not ACPI_TABLES_GPA: under QEMU the BIOS
 * area 0xE0000-0xFFFFF is read-only shadow ROM. stub.asm hard-codes the
 * entry state this prints (checked here). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "hv/acpi/acpi.h"
#include "hv/loader/linux.h"

#define RAM_SIZE  MiB(512)
#define ACPI_GPA  0x80000
#define ACPI_SIZE 0x10000

static uint8_t *slurp(const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *size = (uint64_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*size);
    if (!p || fread(p, 1, *size, f) != *size) {
        perror(path);
        exit(1);
    }
    fclose(f);
    return p;
}

static void piece(const char *dir, const char *name, const uint8_t *ram,
                  uint64_t gpa, uint64_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(ram + gpa, 1, len, f) != len || fclose(f)) {
        perror(path);
        exit(1);
    }
    printf("%s 0x%llx\n", path, (unsigned long long)gpa);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s vmlinuz initrd outdir [cmdline]\n", argv[0]);
        return 2;
    }
    uint64_t ksize, isize;
    uint8_t *kernel = slurp(argv[1], &ksize), *initrd = slurp(argv[2], &isize);
    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct guest_mem gm = { 0 };
    if (ram == MAP_FAILED || gmem_add_slot(&gm, 0, RAM_SIZE, ptr_hpa(ram)))
        return 1;

    struct acpi_config cfg = { .nr_vcpus = 1 };
    struct acpi_tables t;
    if (acpi_build(&gm, ACPI_GPA, ACPI_SIZE, &cfg, &t)) {
        fprintf(stderr, "acpi_build failed\n");
        return 1;
    }
    struct boot_e820_entry map[16];
    int n = linux_e820_default(&gm, ACPI_GPA, ACPI_SIZE, map, 16);
    struct linux_layout layout;
    linux_layout_default(&layout);
    layout.e820 = map;
    layout.e820_entries = (unsigned)n;
    layout.rsdp = t.rsdp;

    struct vcpu_state st;
    struct linux_placement pl;
    char err[200];
    if (linux_load(&gm, kernel, ksize, initrd, isize,
                   argc > 4 ? argv[4] : "console=ttyS0", &layout, &st, &pl,
                   err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* What stub.asm assumes. */
    if (st.rip != MiB(16) + 0x200 || st.gpr[GPR_RSI] != LINUX_ZERO_PAGE_GPA ||
        st.cr3 != LINUX_PAGE_TABLES_GPA || st.gdtr.base != LINUX_GDT_GPA ||
        st.gpr[GPR_RSP] != LINUX_STACK_TOP_GPA) {
        fprintf(stderr, "entry state differs from stub.asm's constants\n");
        return 1;
    }
    piece(argv[3], "kernel.bin", ram, pl.kernel, ksize - (uint64_t)(kernel[0x1f1] ? kernel[0x1f1] + 1 : 5) * 512);
    piece(argv[3], "initrd.bin", ram, pl.initrd, isize);
    piece(argv[3], "acpi.bin", ram, ACPI_GPA, ACPI_SIZE);
    /* Last: it overwrites low memory where the Multiboot info may live. */
    piece(argv[3], "low.bin", ram, LINUX_GDT_GPA,
          LINUX_PAGE_TABLES_GPA + LINUX_PAGE_TABLES_SIZE - LINUX_GDT_GPA);
    return 0;
}
