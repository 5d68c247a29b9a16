/* Fuzz target: the keel.cfg parser (hv/core/config.c), which reads a file
 * from the boot volume that anyone with the USB stick can write.
 *
 * Input: one byte choosing the size of the error buffer (0..255 bytes),
 * then the file's text, copied into a heap block of exactly its size (not
 * NUL-terminated, as boot/ hands it over) so ASan sees any read past it.
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - config_parse returns 0 or -EINVAL;
 *  - the error buffer is NUL-terminated within its size, empty after
 *    success, and after a failure starts with "keel.cfg:" and, when it
 *    names a line, a line number between 1 and the file's line count;
 *  - a success is a configuration the rest of Keel may trust: 1..32 VMs
 *    with unique, non-empty, NUL-terminated names, a kernel each, memory a
 *    multiple of 2 MiB within the limits, 1..CFG_MAX_VCPUS vCPUs, at most
 *    CFG_MAX_DEVICES devices, every string NUL-terminated in its array,
 *    every enum in range. */
#include <stdlib.h>

#include "hv/core/config.h"
#include "lib/errno.h"
#include "test/fuzz/fuzz.h"
#include "test/unit/host_stubs.h"

static struct keel_config cfg;

#define TERMINATED(a) (strnlen((a), sizeof(a)) < sizeof(a))

static unsigned count_lines(const char *text, size_t len)
{
    unsigned n = 1;   /* lines end at '\n' only; a '\r' is white space */
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n;
}

static void check_error(const char *err, size_t errlen, unsigned lines)
{
    static const char prefix[] = "keel.cfg:";
    size_t n = strnlen(err, errlen);
    FUZZ_CHECK(n < errlen);
    FUZZ_CHECK(strncmp(err, prefix, MIN(n, sizeof(prefix) - 1)) == 0);
    if (n < sizeof(prefix) || err[sizeof(prefix) - 1] == ' ')
        return;
    /* "keel.cfg:<line>: ": read the number only if it is all there. */
    const char *p = err + sizeof(prefix) - 1;
    unsigned long line = 0;
    while (*p >= '0' && *p <= '9')
        line = line * 10 + (unsigned long)(*p++ - '0');
    if (*p != ':')
        return;   /* truncated inside the number */
    FUZZ_CHECK(line >= 1 && line <= lines);
}

static void check_config(unsigned lines)
{
    FUZZ_CHECK(cfg.nr_vms >= 1 && cfg.nr_vms <= CFG_MAX_VMS);
    FUZZ_CHECK(cfg.log_level <= LOG_DEBUG);
    for (unsigned i = 0; i < cfg.nr_vms; i++) {
        const struct vm_config *v = &cfg.vms[i];
        FUZZ_CHECK(TERMINATED(v->name) && v->name[0]);
        for (unsigned j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(v->name, cfg.vms[j].name) != 0);
        FUZZ_CHECK(v->line >= 1 && v->line <= lines);
        FUZZ_CHECK(v->memory % MiB(2) == 0);
        FUZZ_CHECK(v->memory >= CFG_MIN_MEMORY && v->memory <= CFG_MAX_MEMORY);
        FUZZ_CHECK(v->vcpus >= 1 && v->vcpus <= CFG_MAX_VCPUS);
        FUZZ_CHECK(v->format <= FMT_FLAT);
        FUZZ_CHECK(v->expect <= EXPECT_POWEROFF);
        FUZZ_CHECK(TERMINATED(v->kernel) && v->kernel[0]);
        FUZZ_CHECK(TERMINATED(v->initrd) && TERMINATED(v->cmdline));
        FUZZ_CHECK(v->nr_devices <= CFG_MAX_DEVICES);
        for (unsigned d = 0; d < v->nr_devices; d++)
            FUZZ_CHECK(TERMINATED(v->devices[d].type) && v->devices[d].type[0] &&
                       TERMINATED(v->devices[d].arg));
        FUZZ_CHECK(payload_format_name(v->format) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t errlen = fuzz_u8(&in);
    char err[256];
    char *text = malloc(in.left ? in.left : 1);
    if (!text)
        abort();
    size_t len = fuzz_bytes(&in, text, in.left);

    stub_capture_begin();
    memset(err, 0x5a, sizeof(err));
    int rc = config_parse(text, len, &cfg, errlen ? err : NULL, errlen);
    unsigned lines = count_lines(text, len);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    if (errlen) {
        if (rc == 0)
            FUZZ_CHECK(err[0] == '\0');
        else
            check_error(err, errlen, lines);
        for (size_t i = errlen; i < sizeof(err); i++)
            FUZZ_CHECK(err[i] == 0x5a);   /* nothing past errlen */
    }
    if (rc == 0)
        check_config(lines);
    free(text);
    return 0;
}
