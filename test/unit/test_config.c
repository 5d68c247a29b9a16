/* Host tests of the keel.cfg parser (hv/core/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hv/core/config.h"
#include "lib/errno.h"

static struct keel_config cfg;
static char err[256];

static int parse(const char *text)
{
    return config_parse(text, strlen(text), &cfg, err, sizeof(err));
}

static const char full[] =
    "# Keel test configuration\n"
    "\n"
    "[keel]\n"
    "log = debug\n"
    "  test-exit=yes  \n"
    "trace = yes\n"
    "\n"
    "[vm hello]\n"
    "memory = 128M\n"
    "vcpus = 2\n"
    "format = multiboot\n"
    "kernel = /EFI/keel/tests/hlt.elf\n"
    "device = uart\n"
    "device = virtio-blk : \\EFI\\keel\\disk.img\n"
    "\n"
    "[ vm   linux-1 ]\n"
    "kernel = \\EFI\\keel\\bzImage\n"
    "initrd = \\EFI\\keel\\initrd.img\n"
    "cmdline = console=ttyS0 quiet root=/dev/vda # not a comment\n"
    "memory = 1G\n"
    "\n"
    "[vm flat_0]\n"
    "format = flat\n"
    "kernel = \\EFI\\keel\\tests\\blob.bin\n"
    "load-addr = 0x100000\n"
    "entry = 1049088\n"
    "device = virtio-net\n"
    "device = virtio-net:tap0\n";

static void test_full_file(void **state)
{
    assert_int_equal(parse(full), 0);
    assert_string_equal(err, "");
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_true(cfg.test_exit);
    assert_true(cfg.trace);
    assert_int_equal(cfg.nr_vms, 3);

    const struct vm_config *a = &cfg.vms[0];
    assert_string_equal(a->name, "hello");
    assert_int_equal(a->line, 8);
    assert_int_equal(a->memory, MiB(128));
    assert_int_equal(a->vcpus, 2);
    assert_int_equal(a->format, FMT_MULTIBOOT);
    assert_string_equal(a->kernel, "\\EFI\\keel\\tests\\hlt.elf");
    assert_string_equal(a->initrd, "");
    assert_string_equal(a->cmdline, "");
    assert_int_equal(a->nr_devices, 2);
    assert_string_equal(a->devices[0].type, "uart");
    assert_string_equal(a->devices[0].arg, "");
    assert_string_equal(a->devices[1].type, "virtio-blk");
    assert_string_equal(a->devices[1].arg, "\\EFI\\keel\\disk.img");

    const struct vm_config *b = &cfg.vms[1];
    assert_string_equal(b->name, "linux-1");
    assert_int_equal(b->line, 16);
    assert_int_equal(b->memory, GiB(1));
    assert_int_equal(b->vcpus, 1);
    assert_int_equal(b->format, FMT_LINUX);
    assert_string_equal(b->initrd, "\\EFI\\keel\\initrd.img");
    /* Verbatim: '=', '/' and '#' kept. */
    assert_string_equal(b->cmdline,
                        "console=ttyS0 quiet root=/dev/vda # not a comment");
    assert_int_equal(b->nr_devices, 0);

    const struct vm_config *c = &cfg.vms[2];
    assert_string_equal(c->name, "flat_0");
    assert_int_equal(c->format, FMT_FLAT);
    assert_int_equal(c->memory, MiB(64));   /* default */
    assert_int_equal(c->load_addr, 0x100000);
    assert_int_equal(c->entry, 0x100200);
    assert_true(c->has_entry);
    assert_int_equal(c->nr_devices, 2);
    assert_string_equal(c->devices[0].arg, "");
    assert_string_equal(c->devices[1].arg, "tap0");
}

static void test_expect(void **state)
{
    assert_int_equal(parse("[vm a]\nkernel=k\nexpect = triple-fault\n"
                           "[vm b]\nkernel=k\nexpect = status 7\n"
                           "[vm c]\nkernel=k\n"), 0);
    assert_int_equal(cfg.vms[0].expect, EXPECT_TRIPLE_FAULT);
    assert_int_equal(cfg.vms[1].expect, EXPECT_STATUS);
    assert_int_equal(cfg.vms[1].expect_status, 7);
    assert_int_equal(cfg.vms[2].expect, EXPECT_PASS);
}

/* "x2apic": force switches the host LAPIC to x2APIC (drivers/lapic.h);
 * firmware keeps the firmware's mode. */
static void test_x2apic(void **state)
{
    assert_int_equal(parse("[keel]\nx2apic = force\n[vm a]\nkernel=k\n"), 0);
    assert_true(cfg.x2apic_force);
    assert_int_equal(parse("[keel]\nx2apic=firmware\n[vm a]\nkernel=k\n"), 0);
    assert_false(cfg.x2apic_force);
}

static void test_defaults(void **state)
{
    assert_int_equal(parse("[vm a]\nkernel=k\n"), 0);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_false(cfg.test_exit);
    assert_false(cfg.trace);
    assert_false(cfg.x2apic_force);
    assert_int_equal(cfg.vms[0].memory, MiB(64));
    assert_int_equal(cfg.vms[0].vcpus, 1);
    assert_int_equal(cfg.vms[0].format, FMT_LINUX);
    assert_false(cfg.vms[0].has_entry);

    /* Flat without entry: entry = load-addr. */
    assert_int_equal(parse("[vm a]\nformat=flat\nkernel=k\nload-addr=4096\n"),
                     0);
    assert_int_equal(cfg.vms[0].entry, 4096);
    assert_false(cfg.vms[0].has_entry);
}

static void test_memory_sizes(void **state)
{
    static const struct {
        const char *v;
        uint64_t bytes;
    } ok[] = {
        { "2M", MiB(2) }, { "4m", MiB(4) }, { "2048K", MiB(2) },
        { "1g", GiB(1) }, { "64G", GiB(64) }, { "4194304", MiB(4) },
        { "0x200000", MiB(2) },
    };
    char text[128];
    for (unsigned i = 0; i < ARRAY_SIZE(ok); i++) {
        snprintf(text, sizeof(text), "[vm a]\nkernel=k\nmemory = %s\n",
                 ok[i].v);
        assert_int_equal(parse(text), 0);
        assert_int_equal(cfg.vms[0].memory, ok[i].bytes);
    }
}

/* Each malformed file fails with -EINVAL and exactly this message. */
static const struct {
    const char *text;
    const char *msg;
} bad[] = {
    { "[vm a]\nkernel=k\nfoo = 1\n", "keel.cfg:3: unknown key 'foo'" },
    { "[vm a]\nkernel=k\nmemory = 3M\n",
      "keel.cfg:3: memory must be a multiple of 2 MiB: '3M'" },
    { "[vm a]\nkernel=k\nmemory = 128G\n",
      "keel.cfg:3: memory must be between 1 MiB and 64 GiB: '128G'" },
    { "[vm a]\nkernel=k\nmemory = 0\n",
      "keel.cfg:3: memory must be between 1 MiB and 64 GiB: '0'" },
    { "[vm a]\nkernel=k\nmemory = 64 M\n",
      "keel.cfg:3: memory: bad size: '64 M'" },
    { "[vm a]\nkernel=k\nmemory = 99999999999G\n",
      "keel.cfg:3: memory: number too large: '99999999999G'" },
    { "[vm a]\nkernel=k\nmemory = 64M # comment\n",
      "keel.cfg:3: memory: bad size: '64M # comment'" },
    { "[vm a]\nkernel=k\nvcpus = 0\n", "keel.cfg:3: vcpus must be 1..8: '0'" },
    { "[vm a]\nkernel=k\nvcpus = 9\n", "keel.cfg:3: vcpus must be 1..8: '9'" },
    { "[vm a]\nkernel=k\ncpus = 2-1\n",
      "keel.cfg:3: cpus: CPUs are 0..63, a range low-high: '2-1'" },
    { "[vm a]\nkernel=k\ncpus = 64\n",
      "keel.cfg:3: cpus: CPUs are 0..63, a range low-high: '64'" },
    { "[vm a]\nkernel=k\ncpus = x\n", "keel.cfg:3: cpus: bad number: 'x'" },
    { "[vm a]\nkernel=k\nvcpus = two\n",
      "keel.cfg:3: vcpus: bad number: 'two'" },
    { "[vm a]\nformat=flat\nkernel=k\nload-addr=0x10000000000000000\n",
      "keel.cfg:4: load-addr: number too large: '0x10000000000000000'" },
    { "[vm a]\nformat=flat\nkernel=k\nload-addr=0x\n",
      "keel.cfg:4: load-addr: bad number: '0x'" },
    { "[vm a]\nkernel=k\n[vm a]\nkernel=k\n",
      "keel.cfg:3: duplicate VM name 'a' (first at line 1)" },
    { "log = info\n[vm a]\nkernel=k\n",
      "keel.cfg:1: key 'log' outside a section" },
    { "\n\n[vm a]\nvcpus=1\n\n[vm b]\nkernel=k\n",
      "keel.cfg:3: VM 'a' has no kernel" },
    { "[vm a]\nkernel=k\n\n[vm b]\n", "keel.cfg:4: VM 'b' has no kernel" },
    { "[keel]\nlog=warn\n", "keel.cfg: no [vm ...] section" },
    { "", "keel.cfg: no [vm ...] section" },
    { "[keel]\nlog = loud\n[vm a]\nkernel=k\n",
      "keel.cfg:2: log: expected err, warn, info or debug: 'loud'" },
    { "[keel]\ntest-exit = true\n",
      "keel.cfg:2: test-exit: expected yes or no: 'true'" },
    { "[keel]\ntrace = on\n[vm a]\nkernel=k\n",
      "keel.cfg:2: trace: expected yes or no: 'on'" },
    { "[keel]\nx2apic = yes\n[vm a]\nkernel=k\n",
      "keel.cfg:2: x2apic: expected force or firmware: 'yes'" },
    { "[vm a]\nkernel=k\ntrace = yes\n",
      "keel.cfg:3: key 'trace' belongs in a [keel] section" },
    { "[vm a]\nkernel=k\nlog = info\n",
      "keel.cfg:3: key 'log' belongs in a [keel] section" },
    { "[keel]\nkernel = k\n",
      "keel.cfg:2: key 'kernel' belongs in a [vm ...] section" },
    { "[vm a]\nkernel=k\nformat = elf\n",
      "keel.cfg:3: format: expected linux, multiboot or flat: 'elf'" },
    { "[vm a]\nkernel=k\nkernel=j\n",
      "keel.cfg:3: duplicate key 'kernel' (first at line 2)" },
    { "[vm a]\nkernel=\n", "keel.cfg:2: empty value for 'kernel'" },
    { "[vm a]\nkernel k\n",
      "keel.cfg:2: expected 'key = value' or a [section]: 'kernel k'" },
    { "[vm a]\n= k\n", "keel.cfg:2: missing key before '='" },
    { "[vm a\n", "keel.cfg:1: section header without ']': '[vm a'" },
    { "[vms a]\n", "keel.cfg:1: unknown section '[vms a]'" },
    { "[vm]\n", "keel.cfg:1: unknown section '[vm]'" },
    { "[vm a.b]\n",
      "keel.cfg:1: VM name may use only A-Z a-z 0-9 _ -: 'a.b'" },
    { "[vm abcdefghijklmnopqrstuvwxyz012345]\n",
      "keel.cfg:1: VM name must be 1..31 characters: "
      "'abcdefghijklmnopqrstuvwxyz012345'" },
    { "[keel]\n[keel]\n", "keel.cfg:2: second [keel] section" },
    { "[vm a]\nkernel=k\nload-addr = 0x100000\n",
      "keel.cfg:3: load-addr is only for format = flat" },
    { "[vm a]\nkernel=k\nentry = 0x100000\n",
      "keel.cfg:3: entry is only for format = flat" },
    { "[vm a]\nkernel=k\nformat=flat\n",
      "keel.cfg:1: VM 'a': format = flat needs load-addr" },
    { "[vm a]\nmemory=2M\nkernel=k\nformat=flat\nload-addr=0x200000\n",
      "keel.cfg:5: load-addr is outside the VM's memory" },
    { "[vm a]\nmemory=2M\nkernel=k\nformat=flat\nload-addr=0\n"
      "entry=0x200000\n",
      "keel.cfg:6: entry is outside the VM's memory" },
    { "[vm a]\nkernel=k\nexpect = maybe\n",
      "keel.cfg:3: expect: expected pass, halted, triple-fault, crashed, "
      "poweroff or status N: 'maybe'" },
    { "[vm a]\nkernel=k\nexpect = status x\n",
      "keel.cfg:3: expect: bad status number: 'status x'" },
    { "[vm a]\nkernel=k\ndevice = floppy\n",
      "keel.cfg:3: device: unknown type 'floppy'" },
    { "[vm a]\nkernel=k\ndevice = Virtio-blk:x\n",
      "keel.cfg:3: device: bad type name 'Virtio-blk'" },
    { "[vm a]\nkernel=k\ndevice = :x\n",
      "keel.cfg:3: device: missing type: ':x'" },
    { "[vm a]\nkernel=k\ndevice = uart:COM2\n",
      "keel.cfg:3: device: uart takes no argument: 'uart:COM2'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk\n",
      "keel.cfg:3: device: virtio-blk needs an image path: 'virtio-blk'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk-host:x\n",
      "keel.cfg:3: device: virtio-blk-host needs a device index 0..15: "
      "'virtio-blk-host:x'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk-host:16\n",
      "keel.cfg:3: device: virtio-blk-host needs a device index 0..15: "
      "'virtio-blk-host:16'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk-host:1x:ro\n",
      "keel.cfg:3: device: virtio-blk-host needs a device index 0..15: "
      "'virtio-blk-host:1x:ro'" },
    { "[vm a]\nkernel=k\n\ndevice = virtio-blk-nvme:nvme0\n",
      "keel.cfg:4: device: virtio-blk-nvme needs a device index 0..15: "
      "'virtio-blk-nvme:nvme0'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk-nvme:99:ro\n",
      "keel.cfg:3: device: virtio-blk-nvme needs a device index 0..15: "
      "'virtio-blk-nvme:99:ro'" },
    { "[vm a]\nkernel=k\ndevice = virtio-blk-nvme:0:rw\n",
      "keel.cfg:3: device: virtio-blk-nvme needs a device index 0..15: "
      "'virtio-blk-nvme:0:rw'" },
    { "[vm a]\nkernel=k\ndevice=uart\ndevice=uart\ndevice=uart\ndevice=uart\n"
      "device=uart\ndevice=uart\ndevice=uart\ndevice=uart\ndevice=uart\n",
      "keel.cfg:11: device: too many devices (at most 8)" },
};

static void test_errors(void **state)
{
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        int rc = parse(bad[i].text);
        if (rc != -EINVAL || strcmp(err, bad[i].msg) != 0)
            fail_msg("case %u: rc %d, message \"%s\", want \"%s\"", i, rc,
                     err, bad[i].msg);
    }
}

/* device = virtio-blk-host[:N][:ro]: the machine's N-th virtio-blk PCI
 * device; N defaults to 0. */
static void test_blk_host(void **state)
{
    assert_int_equal(parse("[vm a]\nkernel=k\n"
                           "device = virtio-blk-host\n"
                           "device = virtio-blk-host : 3\n"
                           "device = virtio-blk-host:15:ro\n"), 0);
    const struct vm_config *a = &cfg.vms[0];
    assert_int_equal(a->nr_devices, 3);
    assert_string_equal(a->devices[0].type, "virtio-blk-host");
    assert_string_equal(a->devices[0].arg, "0");
    assert_false(a->devices[0].read_only);
    assert_string_equal(a->devices[1].arg, "3");
    assert_string_equal(a->devices[2].arg, "15");
    assert_true(a->devices[2].read_only);
}

/* device = virtio-blk-nvme[:N][:ro]: namespace 1 of the machine's N-th
 * NVMe controller; N defaults to 0. */
static void test_blk_nvme(void **state)
{
    assert_int_equal(parse("[vm a]\nkernel=k\n"
                           "device = virtio-blk-nvme\n"
                           "device = virtio-blk-nvme:2:ro\n"
                           "device = virtio-blk-host:0\n"), 0);
    const struct vm_config *a = &cfg.vms[0];
    assert_int_equal(a->nr_devices, 3);
    assert_string_equal(a->devices[0].type, "virtio-blk-nvme");
    assert_string_equal(a->devices[0].arg, "0");
    assert_false(a->devices[0].read_only);
    assert_string_equal(a->devices[1].type, "virtio-blk-nvme");
    assert_string_equal(a->devices[1].arg, "2");
    assert_true(a->devices[1].read_only);
    assert_string_equal(a->devices[2].type, "virtio-blk-host");
}

static void test_too_many_vms(void **state)
{
    char text[1024] = "";
    for (int i = 0; i <= CFG_MAX_VMS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text),
                 "[vm v%d]\nkernel = k\n", i);
    assert_int_equal(parse(text), -EINVAL);
    /* Two lines per VM: the one too many starts on line 2 * MAX + 1. */
    char want[64];
    snprintf(want, sizeof(want), "keel.cfg:%d: too many VMs (at most %d)",
             2 * CFG_MAX_VMS + 1, CFG_MAX_VMS);
    assert_string_equal(err, want);
}

static void test_value_too_long(void **state)
{
    char text[4096];
    char path[CFG_PATH_MAX + 1];
    memset(path, 'p', sizeof(path) - 1);
    path[CFG_PATH_MAX] = '\0';

    /* 128 bytes is one too many for a 128-byte field with its NUL. */
    snprintf(text, sizeof(text), "[vm a]\nkernel = %s\n", path);
    assert_int_equal(parse(text), -EINVAL);
    assert_string_equal(err,
                        "keel.cfg:2: kernel: value too long (128 bytes, at "
                        "most 127)");
    /* 127 fits. */
    path[CFG_PATH_MAX - 1] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nkernel = %s\n", path);
    assert_int_equal(parse(text), 0);
    assert_int_equal(strlen(cfg.vms[0].kernel), CFG_PATH_MAX - 1);

    /* The command line may be up to 2047 bytes. */
    static char longline[CFG_CMDLINE_MAX + 64];
    int n = snprintf(longline, sizeof(longline), "[vm a]\nkernel=k\ncmdline=");
    memset(longline + n, 'c', CFG_CMDLINE_MAX);
    longline[n + CFG_CMDLINE_MAX] = '\0';
    assert_int_equal(parse(longline), -EINVAL);
    assert_string_equal(err,
                        "keel.cfg:3: cmdline: value too long (2048 bytes, "
                        "at most 2047)");
    longline[n + CFG_CMDLINE_MAX - 1] = '\0';
    assert_int_equal(parse(longline), 0);
    assert_int_equal(strlen(cfg.vms[0].cmdline), CFG_CMDLINE_MAX - 1);
}

static void test_crlf_bom_no_final_newline(void **state)
{
    static const char text[] =
        "\xef\xbb\xbf[keel]\r\n"
        "log = err\r\n"
        "\r\n"
        "[vm dos]\r\n"
        "kernel = \\EFI\\keel\\k.elf\r\n"
        "cmdline = a=b  c\r\n"
        "memory = 4M";
    assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, err,
                                  sizeof(err)), 0);
    assert_int_equal(cfg.log_level, LOG_ERR);
    assert_int_equal(cfg.nr_vms, 1);
    assert_string_equal(cfg.vms[0].name, "dos");
    assert_int_equal(cfg.vms[0].line, 4);
    assert_string_equal(cfg.vms[0].kernel, "\\EFI\\keel\\k.elf");
    assert_string_equal(cfg.vms[0].cmdline, "a=b  c");
    assert_int_equal(cfg.vms[0].memory, MiB(4));

    /* Line numbers still count CRLF lines correctly in errors. */
    static const char bad_crlf[] = "\xef\xbb\xbf[vm a]\r\nkernel=k\r\nx=1";
    assert_int_equal(config_parse(bad_crlf, sizeof(bad_crlf) - 1, &cfg, err,
                                  sizeof(err)), -EINVAL);
    assert_string_equal(err, "keel.cfg:3: unknown key 'x'");
}

static void test_not_nul_terminated(void **state)
{
    /* The parser reads exactly len bytes: the rest is not part of the file. */
    static const char text[] = "[vm a]\nkernel=k1GARBAGE";
    assert_int_equal(config_parse(text, strlen("[vm a]\nkernel=k1"), &cfg,
                                  err, sizeof(err)), 0);
    assert_string_equal(cfg.vms[0].kernel, "k1");
}

static void test_nul_byte(void **state)
{
    static const char text[] = "[vm a]\nkernel=k\0x\n";
    assert_int_equal(config_parse(text, sizeof(text) - 1, &cfg, err,
                                  sizeof(err)), -EINVAL);
    assert_string_equal(err, "keel.cfg:2: NUL byte in the file");
}

static void test_small_error_buffer(void **state)
{
    char small[12];
    memset(small, 'x', sizeof(small));
    assert_int_equal(config_parse("[vm a]\nfoo=1\n", 13, &cfg, small,
                                  sizeof(small)), -EINVAL);
    assert_string_equal(small, "keel.cfg:2:");
    /* No buffer at all is allowed. */
    assert_int_equal(config_parse("[vm a]\nfoo=1\n", 13, &cfg, NULL, 0),
                     -EINVAL);
}

static void test_format_names(void **state)
{
    assert_string_equal(payload_format_name(FMT_LINUX), "linux");
    assert_string_equal(payload_format_name(FMT_MULTIBOOT), "multiboot");
    assert_string_equal(payload_format_name(FMT_FLAT), "flat");
}

/* cpus = LIST (issue 13's pinning): numbers and ranges; none: 0. */
static void test_cpus(void **state)
{
    (void)state;
    assert_int_equal(parse("[vm a]\nkernel=k\ncpus = 1-2\n"), 0);
    assert_int_equal(cfg.vms[0].cpus, 0x6);
    assert_int_equal(cfg.vms[0].cpus_line, 3);
    assert_int_equal(parse("[vm a]\nkernel=k\ncpus = 0, 3-4,63\n"), 0);
    assert_int_equal(cfg.vms[0].cpus, 0x8000000000000019ULL);
    assert_int_equal(parse("[vm a]\nkernel=k\n"), 0);
    assert_int_equal(cfg.vms[0].cpus, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_x2apic),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_memory_sizes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_blk_host),
        cmocka_unit_test(test_blk_nvme),
        cmocka_unit_test(test_too_many_vms),
        cmocka_unit_test(test_value_too_long),
        cmocka_unit_test(test_crlf_bom_no_final_newline),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
