/* The boot configuration \EFI\keel\keel.cfg: a line-based, INI-shaped text
 * file naming every VM Keel starts (format in docs/config.md). The parser is
 * pure and host-tested; boot/ reads the file and passes the text. */
#ifndef KEEL_CONFIG_H
#define KEEL_CONFIG_H

#include "lib/log.h"
#include "lib/types.h"

#define CFG_MAX_VMS      32
#define CFG_MAX_DEVICES  8
#define CFG_MAX_HOST_INDEX 15u  /* virtio-blk-host:N, N at most this */
#define CFG_MAX_VCPUS    8
#define CFG_MAX_CPUS     64u    /* physical CPU indexes in cpus = LIST */
#define CFG_NAME_MAX     32
#define CFG_PATH_MAX     128
#define CFG_CMDLINE_MAX  2048   /* bytes including the NUL */
#define CFG_MIN_MEMORY   MiB(1)
#define CFG_MAX_MEMORY   GiB(64)

enum payload_format {
    FMT_LINUX,      /* bzImage, Linux x86 boot protocol */
    FMT_MULTIBOOT,  /* Multiboot v1 ELF kernel */
    FMT_FLAT,       /* raw binary at load_addr, entered at entry */
};

/* How a VM is expected to end (keel.cfg "expect"); Keel's exit status in
 * test mode says whether every VM ended as expected. */
enum cfg_expect {
    EXPECT_PASS,          /* debug-exit status 0, or ACPI power-off */
    EXPECT_STATUS,        /* debug-exit with expect_status */
    EXPECT_HALTED,        /* every vCPU in HLT with interrupts off */
    EXPECT_TRIPLE_FAULT,
    EXPECT_CRASHED,       /* stopped by Keel for misbehaviour */
    EXPECT_POWEROFF,
};

/* A file loaded by boot/ before ExitBootServices (kernel, initrd, image):
 * data is a host pointer to size bytes that stay valid for Keel's life. */
struct blob {
    const void *data;
    uint64_t size;        /* bytes */
};

/* The files of one VM, as its [vm] section names them. */
struct vm_files {
    struct blob kernel;
    struct blob initrd;        /* size 0: none */
    /* The image file of devices[i] (virtio-blk), else size 0. */
    struct blob devices[CFG_MAX_DEVICES];
};

struct device_config {
    char type[16];              /* "virtio-blk", "virtio-net", ... */
    char arg[CFG_PATH_MAX];     /* e.g. an image path; may be empty */
    bool read_only;             /* virtio-blk "PATH:ro" (suffix removed) */
};

struct vm_config {
    char name[CFG_NAME_MAX];
    unsigned line;              /* line of its [vm ...] header */
    uint64_t memory;            /* bytes, multiple of 2 MiB */
    unsigned vcpus;
    enum payload_format format;
    char kernel[CFG_PATH_MAX];  /* path on the boot volume, '\' separated */
    char initrd[CFG_PATH_MAX];  /* empty: none */
    char cmdline[CFG_CMDLINE_MAX];
    uint64_t load_addr;         /* flat: GPA the file is copied to */
    uint64_t entry;             /* flat: GPA of the first instruction */
    bool has_entry;
    struct device_config devices[CFG_MAX_DEVICES];
    unsigned nr_devices;
    enum cfg_expect expect;
    uint32_t expect_status;     /* EXPECT_STATUS only */
    /* "cpus = LIST" (issue 13): bit i set pins the VM's vCPUs to physical
     * CPU i (Keel's numbering: 0 = the boot CPU, then the other enabled
     * CPUs in MADT order); 0 = not pinned (shares the boot CPU). */
    uint64_t cpus;
    unsigned cpus_line;         /* line of the cpus key, 0 if none */
};

struct keel_config {
    enum log_level log_level;
    bool test_exit;             /* end via isa-debug-exit (test harness) */
    bool trace;                 /* long exit trace, dumped at VM end */
    bool x2apic_force;          /* "x2apic = force": host LAPIC to x2APIC */
    struct vm_config vms[CFG_MAX_VMS];
    unsigned nr_vms;
};

/* Parse text (len bytes, need not be NUL-terminated; may start with a UTF-8
 * BOM, may use CRLF, may lack a final newline) into *cfg, which is zeroed
 * first and filled with defaults. Returns 0, or -EINVAL with a message
 * "keel.cfg:<line>: <reason>" ("keel.cfg: <reason>" when no line applies)
 * in err (errlen bytes, NUL-terminated, truncated to fit; err may be NULL);
 * *cfg is then partial and must not be used. Every VM must name a kernel;
 * names are unique; there is at least one VM. Format: docs/config.md. */
int config_parse(const char *text, size_t len, struct keel_config *cfg,
                 char *err, size_t errlen);

/* Write a cpus mask as a LIST that config_parse reads back ("0-1,4"), or
 * "shared" for 0 (not pinned), into buf (size bytes, NUL-terminated,
 * truncated to fit; 32 bytes hold any mask of up to 5 ranges). Returns
 * buf. */
char *config_cpus_format(uint64_t mask, char *buf, size_t size);

/* "linux", "multiboot", "flat". */
const char *payload_format_name(enum payload_format f);

#endif
