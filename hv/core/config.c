/* The parser of \EFI\keel\keel.cfg (hv/core/config.h); the format is described
 * for users in docs/config.md.
 *
 * The text is read in place, one line at a time, as (pointer, length)
 * pairs: nothing is copied until a value is stored, so the file needs no
 * terminating NUL and lines have no length limit beyond the fields'. Each
 * key is a row of a table naming its section and its setter; a VM is
 * checked as a whole when its section ends, because keys may come in any
 * order (format = flat after load-addr, say). */
#include <stdarg.h>
#include "hv/core/config.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"

/* A slice of the text: not NUL-terminated. */
struct span {
    const char *s;
    size_t n;
};

enum section { SECT_NONE, SECT_KEEL, SECT_VM };

/* Keys, in the order of the table below. */
enum key_id {
    KEY_LOG, KEY_TEST_EXIT, KEY_TRACE, KEY_X2APIC,
    KEY_MEMORY, KEY_VCPUS, KEY_FORMAT, KEY_KERNEL, KEY_INITRD, KEY_CMDLINE,
    KEY_LOAD_ADDR, KEY_ENTRY, KEY_DEVICE, KEY_EXPECT, KEY_CPUS,
    NR_KEYS,
};

struct parser {
    struct keel_config *cfg;
    struct vm_config *vm;       /* the VM whose section we are in */
    enum section sect;
    unsigned line;              /* 1-based line being parsed */
    unsigned key_line[NR_KEYS]; /* where each key was set in this section */
    bool keel_seen;
    char *err;
    size_t errlen;
};

/* Write "keel.cfg:<line>: <message>" (or "keel.cfg: <message>" for line 0)
 * into the caller's buffer and return -EINVAL. */
static int PRINTF(3, 4) fail_at(struct parser *p, unsigned line,
                                const char *fmt, ...)
{
    va_list ap;
    int n;

    if (!p->err || p->errlen == 0)
        return -EINVAL;
    if (line)
        n = ksnprintf(p->err, p->errlen, "keel.cfg:%u: ", line);
    else
        n = ksnprintf(p->err, p->errlen, "keel.cfg: ");
    if (n >= 0 && (size_t)n < p->errlen) {
        va_start(ap, fmt);
        kvsnprintf(p->err + n, p->errlen - n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

/* Values are quoted in messages up to this many bytes, so one huge line
 * cannot push the line number's meaning out of a small buffer. */
#define QUOTE_MAX 60
#define QUOTE(v) (int)MIN((v).n, (size_t)QUOTE_MAX), (v).s

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static struct span trim(struct span v)
{
    while (v.n && is_space(v.s[0])) {
        v.s++;
        v.n--;
    }
    while (v.n && is_space(v.s[v.n - 1]))
        v.n--;
    return v;
}

static bool span_is(struct span v, const char *word)
{
    size_t n = strlen(word);
    return v.n == n && memcmp(v.s, word, n) == 0;
}

/* ---------------------------------------------------------------------- */
/* Value parsers. Each returns 0 or fails with a message naming the line. */

/* A number (lib/parse.h: decimal or 0x hex) for key; fails with a message
 * naming the key and the line. */
static int number(struct parser *p, const char *key, struct span v,
                  uint64_t *out)
{
    int rc = parse_u64(v.s, v.n, 0, out);
    if (rc == -ERANGE)
        return fail(p, "%s: number too large: '%.*s'", key, QUOTE(v));
    if (rc)
        return fail(p, "%s: bad number: '%.*s'", key, QUOTE(v));
    return 0;
}

/* Copy a value into a fixed field (size bytes with the NUL). */
static int store(struct parser *p, const char *key, struct span v, char *dst,
                 size_t size)
{
    if (v.n >= size)
        return fail(p, "%s: value too long (%zu bytes, at most %zu)", key,
                    v.n, size - 1);
    memcpy(dst, v.s, v.n);
    dst[v.n] = '\0';
    return 0;
}

/* A path on the boot volume. UEFI separates with '\'; '/' is accepted
 * because it is what people type. */
static int store_path(struct parser *p, const char *key, struct span v,
                      char *dst, size_t size)
{
    int rc = store(p, key, v, dst, size);
    if (rc)
        return rc;
    for (char *c = dst; *c; c++)
        if (*c == '/')
            *c = '\\';
    return 0;
}

/* ---------------------------------------------------------------------- */
/* [keel] keys. */

static int set_log(struct parser *p, struct span v)
{
    static const char *const names[] = {
        [LOG_ERR] = "err", [LOG_WARN] = "warn",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
    };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        if (span_is(v, names[i])) {
            p->cfg->log_level = (enum log_level)i;
            return 0;
        }
    }
    return fail(p, "log: expected err, warn, info or debug: '%.*s'",
                QUOTE(v));
}

static int set_test_exit(struct parser *p, struct span v)
{
    if (span_is(v, "yes"))
        p->cfg->test_exit = true;
    else if (span_is(v, "no"))
        p->cfg->test_exit = false;
    else
        return fail(p, "test-exit: expected yes or no: '%.*s'", QUOTE(v));
    return 0;
}

/* "x2apic = force": Keel switches the host LAPIC to x2APIC mode before
 * using it, standing in for firmware that hands it over in x2APIC mode
 * (drivers/lapic.h; for tests on emulators whose firmware never does).
 * "firmware" (the default) keeps the mode the firmware left. */
static int set_x2apic(struct parser *p, struct span v)
{
    if (span_is(v, "force"))
        p->cfg->x2apic_force = true;
    else if (span_is(v, "firmware"))
        p->cfg->x2apic_force = false;
    else
        return fail(p, "x2apic: expected force or firmware: '%.*s'",
                    QUOTE(v));
    return 0;
}

/* "trace = yes": a long exit trace, printed when each VM ends, for
 * `make trace-plot` (hv/debug/trace.h, docs/monitor.md). */
static int set_trace(struct parser *p, struct span v)
{
    if (span_is(v, "yes"))
        p->cfg->trace = true;
    else if (span_is(v, "no"))
        p->cfg->trace = false;
    else
        return fail(p, "trace: expected yes or no: '%.*s'", QUOTE(v));
    return 0;
}

/* ---------------------------------------------------------------------- */
/* [vm ...] keys. */

/* Bytes, with an optional K, M or G suffix (powers of 1024, either case,
 * no space before it). Must be a 2 MiB multiple, so guest RAM can be
 * mapped with large pages, within CFG_MIN_MEMORY..CFG_MAX_MEMORY. */
static int set_memory(struct parser *p, struct span v)
{
    uint64_t x;
    int rc = parse_u64(v.s, v.n, PARSE_SIZE_SUFFIX, &x);

    if (rc == -ERANGE)
        return fail(p, "memory: number too large: '%.*s'", QUOTE(v));
    if (rc)
        return fail(p, "memory: bad size: '%.*s'", QUOTE(v));
    if (!IS_ALIGNED(x, LARGE_PAGE_SIZE))
        return fail(p, "memory must be a multiple of 2 MiB: '%.*s'",
                    QUOTE(v));
    if (x < CFG_MIN_MEMORY || x > CFG_MAX_MEMORY)
        return fail(p, "memory must be between %llu MiB and %llu GiB: "
                    "'%.*s'", (unsigned long long)(CFG_MIN_MEMORY >> 20),
                    (unsigned long long)(CFG_MAX_MEMORY >> 30), QUOTE(v));
    p->vm->memory = x;
    return 0;
}

static int set_vcpus(struct parser *p, struct span v)
{
    uint64_t x;
    int rc = number(p, "vcpus", v, &x);
    if (rc)
        return rc;
    if (x < 1 || x > CFG_MAX_VCPUS)
        return fail(p, "vcpus must be 1..%u: '%.*s'", CFG_MAX_VCPUS,
                    QUOTE(v));
    p->vm->vcpus = (unsigned)x;
    return 0;
}

/* "cpus = LIST": CPU numbers and ranges "a-b" separated by commas, each
 * below 64 (a minimal form for issue 13's pinning; the full parser comes
 * with issue 13's configuration work). */
static int set_cpus(struct parser *p, struct span v)
{
    uint64_t mask = 0;
    while (v.n) {
        size_t item = 0, dash = 0;
        while (item < v.n && v.s[item] != ',') {
            if (v.s[item] == '-' && !dash)
                dash = item;
            item++;
        }
        struct span a = { v.s, dash ? dash : item };
        struct span b = dash ? (struct span){ v.s + dash + 1, item - dash - 1 }
                             : a;
        uint64_t lo, hi;
        int rc = number(p, "cpus", trim(a), &lo);
        if (!rc)
            rc = number(p, "cpus", trim(b), &hi);
        if (rc)
            return rc;
        if (lo > hi || hi >= 64)
            return fail(p, "cpus: CPUs are 0..63, a range low-high: "
                        "'%.*s'", QUOTE(v));
        for (uint64_t c = lo; c <= hi; c++)
            mask |= 1ULL << c;
        v.s += item;
        v.n -= item;
        if (v.n) {          /* the comma */
            v.s++;
            v.n--;
        }
    }
    if (!mask)
        return fail(p, "cpus: no CPU listed");
    p->vm->cpus = mask;
    p->vm->cpus_line = p->line;
    return 0;
}

static int set_format(struct parser *p, struct span v)
{
    for (int f = FMT_LINUX; f <= FMT_FLAT; f++) {
        if (span_is(v, payload_format_name((enum payload_format)f))) {
            p->vm->format = (enum payload_format)f;
            return 0;
        }
    }
    return fail(p, "format: expected linux, multiboot or flat: '%.*s'",
                QUOTE(v));
}

static int set_kernel(struct parser *p, struct span v)
{
    return store_path(p, "kernel", v, p->vm->kernel, sizeof(p->vm->kernel));
}

static int set_initrd(struct parser *p, struct span v)
{
    return store_path(p, "initrd", v, p->vm->initrd, sizeof(p->vm->initrd));
}

static int set_cmdline(struct parser *p, struct span v)
{
    return store(p, "cmdline", v, p->vm->cmdline, sizeof(p->vm->cmdline));
}

static int set_load_addr(struct parser *p, struct span v)
{
    return number(p, "load-addr", v, &p->vm->load_addr);
}

static int set_entry(struct parser *p, struct span v)
{
    p->vm->has_entry = true;
    return number(p, "entry", v, &p->vm->entry);
}

/* expect = pass | halted | triple-fault | crashed | poweroff | status N */
static int set_expect(struct parser *p, struct span v)
{
    static const struct {
        const char *name;
        enum cfg_expect e;
    } names[] = {
        { "pass", EXPECT_PASS }, { "halted", EXPECT_HALTED },
        { "triple-fault", EXPECT_TRIPLE_FAULT },
        { "crashed", EXPECT_CRASHED }, { "poweroff", EXPECT_POWEROFF },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        if (span_is(v, names[i].name)) {
            p->vm->expect = names[i].e;
            return 0;
        }
    }
    if (v.n > 7 && !strncmp(v.s, "status ", 7)) {
        uint64_t x;
        struct span num = { v.s + 7, v.n - 7 };
        if (parse_u64(num.s, num.n, 0, &x) || x > UINT32_MAX)
            return fail(p, "expect: bad status number: '%.*s'", QUOTE(v));
        p->vm->expect = EXPECT_STATUS;
        p->vm->expect_status = (uint32_t)x;
        return 0;
    }
    return fail(p, "expect: expected pass, halted, triple-fault, crashed, "
                "poweroff or status N: '%.*s'", QUOTE(v));
}

/* Device types Keel knows, and whether each takes an argument after ':'.
 * Extend this table when a device model lands. */
enum dev_arg { ARG_NONE, ARG_OPTIONAL, ARG_PATH, ARG_IMAGE, ARG_INDEX };
static const struct {
    const char *type;
    enum dev_arg arg;
} known_devices[] = {
    { "uart",           ARG_NONE },     /* 16550 at COM1 */
    { "virtio-console", ARG_NONE },
    { "virtio-blk",     ARG_IMAGE },    /* disk image, optional ":ro" */
    /* the machine's N-th virtio-blk PCI device, optional ":ro" */
    { "virtio-blk-host", ARG_INDEX },
    /* the machine's N-th NVMe controller (namespace 1), optional ":ro" */
    { "virtio-blk-nvme", ARG_INDEX },
    { "virtio-net",     ARG_OPTIONAL },
};

/* type[:arg], type made of [a-z0-9-]. */
static int set_device(struct parser *p, struct span v)
{
    struct vm_config *vm = p->vm;
    struct span type = v, arg = { v.s + v.n, 0 };
    bool has_arg = false;

    for (size_t i = 0; i < v.n; i++) {
        if (v.s[i] == ':') {
            type.n = i;
            arg = (struct span){ v.s + i + 1, v.n - i - 1 };
            has_arg = true;
            break;
        }
    }
    type = trim(type);
    arg = trim(arg);
    if (type.n == 0)
        return fail(p, "device: missing type: '%.*s'", QUOTE(v));
    for (size_t i = 0; i < type.n; i++) {
        char c = type.s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return fail(p, "device: bad type name '%.*s'", QUOTE(type));
    }

    unsigned k;
    for (k = 0; k < ARRAY_SIZE(known_devices); k++)
        if (span_is(type, known_devices[k].type))
            break;
    if (k == ARRAY_SIZE(known_devices))
        return fail(p, "device: unknown type '%.*s'", QUOTE(type));
    if (known_devices[k].arg == ARG_NONE && has_arg)
        return fail(p, "device: %s takes no argument: '%.*s'",
                    known_devices[k].type, QUOTE(v));
    if (vm->nr_devices == CFG_MAX_DEVICES)
        return fail(p, "device: too many devices (at most %u)",
                    CFG_MAX_DEVICES);
    struct device_config *d = &vm->devices[vm->nr_devices];
    enum dev_arg kind = known_devices[k].arg;
    d->read_only = false;
    if ((kind == ARG_IMAGE || kind == ARG_INDEX) && arg.n >= 3 &&
        !strncmp(arg.s + arg.n - 3, ":ro", 3)) {
        d->read_only = true;
        arg.n -= 3;
        arg = trim(arg);
    }
    if ((kind == ARG_PATH || kind == ARG_IMAGE) && arg.n == 0)
        return fail(p, "device: %s needs an image path: '%.*s'",
                    known_devices[k].type, QUOTE(v));
    if (kind == ARG_INDEX) {
        uint64_t x;
        if (arg.n == 0)
            arg = (struct span){ "0", 1 };   /* the first device */
        if (parse_u64(arg.s, arg.n, 0, &x) || x > CFG_MAX_HOST_INDEX)
            return fail(p, "device: %s needs a device index 0..%u: '%.*s'",
                        known_devices[k].type, CFG_MAX_HOST_INDEX,
                        QUOTE(v));
    }

    store(p, "device", type, d->type, sizeof(d->type)); /* fits: checked */
    int rc = kind == ARG_PATH || kind == ARG_IMAGE
                 ? store_path(p, "device", arg, d->arg, sizeof(d->arg))
                 : store(p, "device", arg, d->arg, sizeof(d->arg));
    if (rc)
        return rc;
    vm->nr_devices++;
    return 0;
}

static const struct {
    const char *name;
    enum section sect;
    bool repeatable;
    int (*set)(struct parser *p, struct span v);
} keys[NR_KEYS] = {
    [KEY_LOG]       = { "log",       SECT_KEEL, false, set_log },
    [KEY_TEST_EXIT] = { "test-exit", SECT_KEEL, false, set_test_exit },
    [KEY_TRACE]     = { "trace",     SECT_KEEL, false, set_trace },
    [KEY_X2APIC]    = { "x2apic",    SECT_KEEL, false, set_x2apic },
    [KEY_MEMORY]    = { "memory",    SECT_VM,   false, set_memory },
    [KEY_VCPUS]     = { "vcpus",     SECT_VM,   false, set_vcpus },
    [KEY_FORMAT]    = { "format",    SECT_VM,   false, set_format },
    [KEY_KERNEL]    = { "kernel",    SECT_VM,   false, set_kernel },
    [KEY_INITRD]    = { "initrd",    SECT_VM,   false, set_initrd },
    [KEY_CMDLINE]   = { "cmdline",   SECT_VM,   false, set_cmdline },
    [KEY_LOAD_ADDR] = { "load-addr", SECT_VM,   false, set_load_addr },
    [KEY_ENTRY]     = { "entry",     SECT_VM,   false, set_entry },
    [KEY_DEVICE]    = { "device",    SECT_VM,   true,  set_device },
    [KEY_EXPECT]    = { "expect",    SECT_VM,   false, set_expect },
    [KEY_CPUS]      = { "cpus",      SECT_VM,   false, set_cpus },
};

/* ---------------------------------------------------------------------- */
/* Lines. */

/* The checks that need the whole VM section: run when it ends. */
static int finish_vm(struct parser *p)
{
    struct vm_config *vm = p->vm;

    if (!vm)
        return 0;
    if (vm->kernel[0] == '\0')
        return fail_at(p, vm->line, "VM '%s' has no kernel", vm->name);
    if (vm->format == FMT_FLAT) {
        if (!p->key_line[KEY_LOAD_ADDR])
            return fail_at(p, vm->line,
                           "VM '%s': format = flat needs load-addr",
                           vm->name);
        if (!vm->has_entry)
            vm->entry = vm->load_addr;
        if (vm->load_addr >= vm->memory)
            return fail_at(p, p->key_line[KEY_LOAD_ADDR],
                           "load-addr is outside the VM's memory");
        if (vm->entry >= vm->memory)
            return fail_at(p, p->key_line[KEY_ENTRY],
                           "entry is outside the VM's memory");
    } else {
        if (p->key_line[KEY_LOAD_ADDR])
            return fail_at(p, p->key_line[KEY_LOAD_ADDR],
                           "load-addr is only for format = flat");
        if (p->key_line[KEY_ENTRY])
            return fail_at(p, p->key_line[KEY_ENTRY],
                           "entry is only for format = flat");
    }
    return 0;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "[keel]" or "[vm NAME]"; the brackets are already known to be there. */
static int section_header(struct parser *p, struct span line)
{
    struct keel_config *cfg = p->cfg;
    struct span in = trim((struct span){ line.s + 1, line.n - 2 });

    int rc = finish_vm(p);
    if (rc)
        return rc;
    p->vm = NULL;
    memset(p->key_line, 0, sizeof(p->key_line));

    if (span_is(in, "keel")) {
        if (p->keel_seen)
            return fail(p, "second [keel] section");
        p->keel_seen = true;
        p->sect = SECT_KEEL;
        return 0;
    }
    if (in.n < 3 || memcmp(in.s, "vm", 2) != 0 || !is_space(in.s[2]))
        return fail(p, "unknown section '%.*s'", QUOTE(line));

    struct span name = trim((struct span){ in.s + 2, in.n - 2 });
    if (name.n == 0 || name.n >= CFG_NAME_MAX)
        return fail(p, "VM name must be 1..%u characters: '%.*s'",
                    CFG_NAME_MAX - 1, QUOTE(name));
    for (size_t i = 0; i < name.n; i++)
        if (!name_char(name.s[i]))
            return fail(p, "VM name may use only A-Z a-z 0-9 _ -: '%.*s'",
                        QUOTE(name));
    for (unsigned i = 0; i < cfg->nr_vms; i++)
        if (span_is(name, cfg->vms[i].name))
            return fail(p, "duplicate VM name '%.*s' (first at line %u)",
                        QUOTE(name), cfg->vms[i].line);
    if (cfg->nr_vms == CFG_MAX_VMS)
        return fail(p, "too many VMs (at most %u)", CFG_MAX_VMS);

    struct vm_config *vm = &cfg->vms[cfg->nr_vms++];
    memcpy(vm->name, name.s, name.n);
    vm->name[name.n] = '\0';
    vm->line = p->line;
    vm->memory = MiB(64);
    vm->vcpus = 1;
    vm->format = FMT_LINUX;
    p->vm = vm;
    p->sect = SECT_VM;
    return 0;
}

/* "key = value". Everything after the first '=' is the value, trimmed:
 * '#' and further '=' in it are kept. */
static int key_value(struct parser *p, struct span line)
{
    struct span key = line, val = { NULL, 0 };

    for (size_t i = 0; i < line.n; i++) {
        if (line.s[i] == '=') {
            key.n = i;
            val = (struct span){ line.s + i + 1, line.n - i - 1 };
            break;
        }
    }
    if (!val.s)
        return fail(p, "expected 'key = value' or a [section]: '%.*s'",
                    QUOTE(line));
    key = trim(key);
    val = trim(val);
    if (key.n == 0)
        return fail(p, "missing key before '='");

    unsigned k;
    for (k = 0; k < NR_KEYS; k++)
        if (span_is(key, keys[k].name))
            break;
    if (k == NR_KEYS)
        return fail(p, "unknown key '%.*s'", QUOTE(key));
    if (p->sect == SECT_NONE)
        return fail(p, "key '%s' outside a section", keys[k].name);
    if (keys[k].sect != p->sect)
        return fail(p, "key '%s' belongs in a [%s] section", keys[k].name,
                    keys[k].sect == SECT_KEEL ? "keel" : "vm ...");
    if (p->key_line[k] && !keys[k].repeatable)
        return fail(p, "duplicate key '%s' (first at line %u)", keys[k].name,
                    p->key_line[k]);
    if (val.n == 0 && k != KEY_CMDLINE)
        return fail(p, "empty value for '%s'", keys[k].name);
    p->key_line[k] = p->line;
    return keys[k].set(p, val);
}

static int parse_line(struct parser *p, struct span line)
{
    line = trim(line);
    if (line.n == 0 || line.s[0] == '#')
        return 0;
    if (line.s[0] == '[') {
        if (line.s[line.n - 1] != ']')
            return fail(p, "section header without ']': '%.*s'",
                        QUOTE(line));
        return section_header(p, line);
    }
    return key_value(p, line);
}

int config_parse(const char *text, size_t len, struct keel_config *cfg,
                 char *err, size_t errlen)
{
    struct parser p = {
        .cfg = cfg, .sect = SECT_NONE, .err = err, .errlen = errlen,
    };
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = LOG_INFO;
    cfg->test_exit = false;
    cfg->x2apic_force = false;
    if (err && errlen)
        err[0] = '\0';

    /* A UTF-8 byte order mark, as Windows editors write it. */
    if (len >= 3 && (uint8_t)text[0] == 0xef && (uint8_t)text[1] == 0xbb &&
        (uint8_t)text[2] == 0xbf) {
        text += 3;
        len -= 3;
    }

    size_t pos = 0;
    while (pos < len) {
        size_t start = pos;
        p.line++;
        while (pos < len && text[pos] != '\n') {
            /* A NUL would silently cut a stored string short. */
            if (text[pos] == '\0')
                return fail(&p, "NUL byte in the file");
            pos++;
        }
        /* CRLF: the '\r' is trailing white space, removed by trim(). */
        rc = parse_line(&p, (struct span){ text + start, pos - start });
        if (rc)
            return rc;
        pos++; /* past the '\n' (or past the end: no final newline) */
    }
    rc = finish_vm(&p);
    if (rc)
        return rc;
    if (cfg->nr_vms == 0)
        return fail_at(&p, 0, "no [vm ...] section");
    return 0;
}

const char *payload_format_name(enum payload_format f)
{
    switch (f) {
    case FMT_LINUX:     return "linux";
    case FMT_MULTIBOOT: return "multiboot";
    case FMT_FLAT:      return "flat";
    }
    return "?";
}
