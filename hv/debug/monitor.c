/* The serial monitor (hv/debug/monitor.h): the key filter in front of guest
 * input, the line editor and the commands. The scheduler runs it on the
 * boot CPU when the filter saw its key sequence (hv/sched.c), between
 * slices, so every vCPU is outside its guest with its state in
 * vcpu->state: nothing needs stopping, and nothing runs until "resume". */
#include "drivers/console.h"
#include "drivers/timer.h"
#include "hv/core/config.h"
#include "hv/core/dirty_log.h"
#include "hv/core/vcpu.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/debug/monitor.h"
#include "hv/debug/stats.h"
#include "hv/debug/trace.h"
#include "hv/machine/vconsole.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/string.h"

#define LINE_MAX 80
#define MAX_ARGS 4

static int held = -1;          /* a byte to hand to the guest next */
static bool escaped;           /* the last byte was MONITOR_ESCAPE */
static unsigned cur_vm, cur_vcpu;   /* the selection commands act on */

/* A command argument as a number (lib/parse.h: decimal or 0x hex).
 * Returns false if s is not one. */
static bool arg_number(const char *s, uint64_t *out)
{
    return parse_u64(s, strlen(s), 0, out) == 0;
}

static const char *run_state_name(enum vcpu_run_state s)
{
    static const char *const names[] = {
        [VCPU_RUNNABLE] = "runnable", [VCPU_HALTED] = "halted",
        [VCPU_WAIT_SIPI] = "wait-for-SIPI", [VCPU_STOPPED] = "stopped",
    };
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static struct vcpu *selected(struct vm **vms, unsigned n)
{
    if (cur_vm >= n || cur_vcpu >= vms[cur_vm]->nr_vcpus) {
        kprintf("keel: no such vCPU selected (use 'vm' and 'vcpu')\n");
        return NULL;
    }
    return vms[cur_vm]->vcpus[cur_vcpu];
}

static void cmd_list(struct vm **vms, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct vm *vm = vms[i];
        char cpus[32];
        kprintf("keel: %c vm %u %s: %s, %llu MiB, %u vCPU%s, cpus %s\n",
                i == cur_vm ? '*' : ' ', i, vm->name, vm_end_name(vm->end),
                (unsigned long long)(vm->cfg->memory >> 20), vm->nr_vcpus,
                vm->nr_vcpus == 1 ? "" : "s",
                config_cpus_format(vm->cfg->cpus, cpus, sizeof(cpus)));
        for (unsigned c = 0; c < vm->nr_vcpus; c++) {
            const struct vcpu *v = vm->vcpus[c];
            kprintf("keel:     vcpu%u: %s, rip %#llx, %llu exits\n", c,
                    run_state_name(v->run_state),
                    (unsigned long long)v->state.rip,
                    (unsigned long long)stats_total(v));
        }
    }
}

/* One range [start, end) of written pages in `dirty`'s list: printed while
 * fewer than 16 were, counted in *ranges either way. */
static void dirty_range(gpa_t start, gpa_t end, uint64_t *ranges)
{
    if ((*ranges)++ < 16)
        kprintf("keel:   %#llx-%#llx (%llu pages)\n",
                (unsigned long long)start, (unsigned long long)end - 1,
                (unsigned long long)((end - start) >> PAGE_SHIFT));
}

/* "dirty [start|stop]": the selected VM's dirty-page log
 * (hv/core/dirty_log.h). Without an argument: the pages written since the
 * last read, as ranges, then they are write-protected again. */
static void cmd_dirty(struct vm *vm, const char *arg)
{
    static uint8_t bitmap[4096];          /* 32768 pages, 128 MiB a call */
    const uint64_t chunk = sizeof(bitmap) * 8;

    if (arg && !strcmp(arg, "start")) {
        if (dirty_log_start(vm))
            kprintf("keel: vm %s: the dirty log could not start (no "
                    "memory)\n", vm->name);
        else
            kprintf("keel: vm %s: dirty log on, %llu MiB of RAM "
                    "write-protected\n", vm->name,
                    (unsigned long long)(vm->mem.ram_bytes >> 20));
        return;
    }
    if (arg && !strcmp(arg, "stop")) {
        dirty_log_stop(vm);
        kprintf("keel: vm %s: dirty log off\n", vm->name);
        return;
    }
    if (arg) {
        kprintf("keel: usage: dirty [start|stop]\n");
        return;
    }
    if (!vm->dirty.on) {
        kprintf("keel: vm %s: the dirty log is off ('dirty start')\n",
                vm->name);
        return;
    }
    uint64_t faults = vm->dirty.faults, pages = 0, ranges = 0;
    for (unsigned s = 0; s < vm->mem.nr_slots; s++) {
        const struct mem_slot *slot = &vm->mem.slots[s];
        gpa_t run_start = 0, run_end = 0;     /* the open range, [ , ) */
        for (uint64_t off = 0; off < slot->size; off += chunk * PAGE_SIZE) {
            uint64_t n = MIN(chunk, (slot->size - off) >> PAGE_SHIFT);
            int64_t got = dirty_log_get(vm, slot->gpa + off, n, bitmap);
            if (got <= 0)
                continue;
            pages += (uint64_t)got;
            for (uint64_t i = 0; i < n; i++) {
                if (!(bitmap[i / 8] & (1u << (i % 8))))
                    continue;
                gpa_t gpa = slot->gpa + off + i * PAGE_SIZE;
                if (run_end == gpa) {
                    run_end += PAGE_SIZE;
                    continue;
                }
                if (run_end)
                    dirty_range(run_start, run_end, &ranges);
                run_start = gpa;
                run_end = gpa + PAGE_SIZE;
            }
        }
        if (run_end)
            dirty_range(run_start, run_end, &ranges);
    }
    if (ranges > 16)
        kprintf("keel:   ... and %llu more ranges\n",
                (unsigned long long)(ranges - 16));
    kprintf("keel: vm %s: %llu pages (%llu KiB) written since the last read, "
            "%llu write faults since 'dirty start'\n", vm->name,
            (unsigned long long)pages, (unsigned long long)(pages * 4),
            (unsigned long long)faults);
}

static void cmd_help(void)
{
    /* One kprintf per line: kprintf formats into a 512-byte buffer, and
     * the whole text is longer than that. */
    static const char *const lines[] = {
        "keel: monitor commands (guests are paused until 'resume'):",
        "  list              VMs and vCPUs: state, RIP, exit totals",
        "  vm <name|number>  select a VM (vCPU 0)",
        "  vcpu <n>          select a vCPU of the selected VM",
        "  regs              guest registers of the selected vCPU",
        "  vmcb | vmcs       the VMCB/VMCS with field names",
        "  xlate <gva|rip>   GVA -> GPA -> HPA, each page-table level",
        "  stats             exit statistics of the selected VM",
        "  trace [n]         the last n (default 32) exits, decoded",
        "  tracedump         the whole trace ring, machine-readable",
        "  dirty [start|stop]  pages the selected VM wrote since the last",
        "                    'dirty' (a dirty-page log with NPT/EPT)",
        "  resume            leave the monitor (also: c, q, Ctrl-D)",
    };
    for (unsigned i = 0; i < ARRAY_SIZE(lines); i++)
        kprintf("%s\n", lines[i]);
}

bool monitor_command(struct vm **vms, unsigned n, const char *line)
{
    char buf[LINE_MAX + 1];
    char *argv[MAX_ARGS];
    unsigned argc = 0;
    uint64_t num;

    strlcpy(buf, line, sizeof(buf));
    for (char *p = buf; *p && argc < MAX_ARGS;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    if (!argc)
        return true;

    const char *c = argv[0];
    struct vcpu *v;
    if (!strcmp(c, "resume") || !strcmp(c, "c") || !strcmp(c, "q"))
        return false;
    if (!strcmp(c, "help") || !strcmp(c, "?")) {
        cmd_help();
    } else if (!strcmp(c, "list") || !strcmp(c, "vms")) {
        cmd_list(vms, n);
    } else if (!strcmp(c, "vm") && argc == 2) {
        for (unsigned i = 0; i < n; i++)
            if (!strcmp(vms[i]->name, argv[1]) ||
                (arg_number(argv[1], &num) && num == i)) {
                cur_vm = i, cur_vcpu = 0;
                kprintf("keel: selected vm %s vcpu0\n", vms[i]->name);
                return true;
            }
        kprintf("keel: no VM '%s' (see 'list')\n", argv[1]);
    } else if (!strcmp(c, "vcpu") && argc == 2) {
        if (cur_vm < n && arg_number(argv[1], &num) &&
            num < vms[cur_vm]->nr_vcpus) {
            cur_vcpu = (unsigned)num;
            kprintf("keel: selected vm %s vcpu%u\n", vms[cur_vm]->name,
                    cur_vcpu);
        } else {
            kprintf("keel: no vCPU '%s' in the selected VM\n", argv[1]);
        }
    } else if (!strcmp(c, "regs")) {
        if ((v = selected(vms, n)))
            vcpu_dump(v);
    } else if (!strcmp(c, "vmcb") || !strcmp(c, "vmcs")) {
        if ((v = selected(vms, n))) {
            kprintf("keel: %s of vm %s vcpu%u\n", vendor->name, v->vm->name,
                    v->id);
            vendor->dump(v);
        }
    } else if (!strcmp(c, "xlate") || !strcmp(c, "translate")) {
        if (!(v = selected(vms, n)))
            return true;
        if (argc == 2 && !strcmp(argv[1], "rip"))
            monitor_translate(v, v->state.rip);
        else if (argc == 2 && arg_number(argv[1], &num))
            monitor_translate(v, num);
        else
            kprintf("keel: usage: xlate <gva (decimal or 0x hex) | rip>\n");
    } else if (!strcmp(c, "stats")) {
        if (cur_vm < n)
            for (unsigned i = 0; i < vms[cur_vm]->nr_vcpus; i++)
                stats_print(vms[cur_vm]->vcpus[i], "keel: ");
    } else if (!strcmp(c, "trace")) {
        if (!(v = selected(vms, n)))
            return true;
        if (argc == 2 && !arg_number(argv[1], &num))
            kprintf("keel: usage: trace [count]\n");
        else
            trace_dump(v, argc == 2 ? (unsigned)num : 32);
    } else if (!strcmp(c, "dirty") && argc <= 2) {
        if (cur_vm < n)
            cmd_dirty(vms[cur_vm], argc == 2 ? argv[1] : NULL);
    } else if (!strcmp(c, "tracedump")) {
        if (cur_vm < n)
            for (unsigned i = 0; i < vms[cur_vm]->nr_vcpus; i++)
                trace_dump_machine(vms[cur_vm]->vcpus[i]);
    } else {
        kprintf("keel: unknown command '%s' ('help' lists them)\n", c);
    }
    return true;
}

/* Read one line from the console with echo and backspace. Busy-polls: the
 * guests are paused and Keel has nothing else to do. Returns false on
 * Ctrl-D (leave the monitor). */
static bool read_line(char *buf, size_t size)
{
    size_t len = 0;
    for (;;) {
        int c = console_getc();
        if (c < 0) {
            console_screen_flush();   /* the last output, before waiting */
            continue;
        }
        if (c == '\r' || c == '\n') {
            console_write("\n", 1);
            buf[len] = '\0';
            return true;
        }
        if (c == 0x04)                      /* Ctrl-D */
            return false;
        if ((c == 0x7f || c == 0x08) && len) {
            len--;
            console_write("\b \b", 3);
        } else if (c >= 0x20 && c < 0x7f && len + 1 < size) {
            buf[len++] = (char)c;
            console_write_raw((const char *)&buf[len - 1], 1);
        }
    }
}

void monitor_run(struct vm **vms, unsigned n)
{
    char line[LINE_MAX + 1];
    uint64_t t0 = timer_now_ns();

    kprintf("\nkeel: monitor: guests paused ('help' for commands, "
            "'resume' to continue)\n");
    for (;;) {
        kprintf("keel-mon> ");
        if (!read_line(line, sizeof(line)) ||
            !monitor_command(vms, n, line))
            break;
    }
    kprintf("keel: monitor: resuming the guests after %llu ms\n",
            (unsigned long long)((timer_now_ns() - t0) / 1000000));
}

int monitor_getkey(bool *open)
{
    if (held >= 0) {
        int c = held;
        held = -1;
        return c;
    }
    int c = console_getc();
    if (c < 0)
        return -1;
    if (escaped) {
        escaped = false;
        if (c == MONITOR_OPEN) {
            *open = true;
            return -1;
        }
        if (c == MONITOR_NEXT_VM)
            return VCONSOLE_NEXT_VM;
        if (c != MONITOR_ESCAPE)
            held = c;       /* Ctrl-] x: both bytes go to the guest */
        return MONITOR_ESCAPE;
    }
    if (c == MONITOR_ESCAPE) {
        escaped = true;     /* wait for the next byte to decide */
        return -1;
    }
    return c;
}
