/* The exit trace ring (hv/debug/trace.h). */
#include "arch/x86/exception.h"
#include "drivers/timer.h"
#include "hv/core/vendor.h"
#include "hv/core/vm.h"
#include "hv/debug/trace.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "mm/heap.h"

struct trace_ring {
    unsigned size;         /* entries, a power of two */
    uint64_t total;        /* exits recorded so far; next slot total % size */
    struct trace_entry e[];
};

static unsigned ring_size = TRACE_RING_DEFAULT;
static bool dump_at_end;
static uint64_t base_tsc;          /* first traced exit: time 0 of dumps */
static struct vcpu *last_vcpu;

void trace_configure(bool on)
{
    ring_size = on ? TRACE_RING_LONG : TRACE_RING_DEFAULT;
    dump_at_end = on;
}

bool trace_at_end(void)
{
    return dump_at_end;
}

static struct trace_ring *ring_of(struct vcpu *v)
{
    if (!v->trace) {
        v->trace = kzalloc(sizeof(struct trace_ring) +
                           ring_size * sizeof(struct trace_entry));
        if (!v->trace) {
            log_once(LOG_WARN, "trace: no memory for a %u-entry ring; "
                     "exits are not traced", ring_size);
            return NULL;
        }
        v->trace->size = ring_size;
    }
    return v->trace;
}

void trace_record(struct vcpu *v, const struct vm_exit *exit, uint64_t tsc)
{
    struct trace_ring *r = ring_of(v);
    if (!r)
        return;
    if (!last_vcpu)
        base_tsc = tsc;
    last_vcpu = v;

    struct trace_entry *e = &r->e[r->total++ & (r->size - 1)];
    const uint64_t *gpr = v->state.gpr;
    *e = (struct trace_entry){
        .tsc = tsc, .rip = v->state.rip, .reason = (uint8_t)exit->reason,
    };
    switch (exit->reason) {
    case EXIT_IO:
        e->a = exit->io.port;
        e->b = exit->io.size;
        e->flags = (exit->io.in ? TRACE_F_IN : 0) |
                   (exit->io.string ? TRACE_F_STRING : 0) |
                   (exit->io.rep ? TRACE_F_REP : 0);
        break;
    case EXIT_NPF:
        e->a = exit->npf.gpa;
        e->flags = (exit->npf.read ? TRACE_F_READ : 0) |
                   (exit->npf.write ? TRACE_F_WRITE : 0) |
                   (exit->npf.fetch ? TRACE_F_FETCH : 0) |
                   (exit->npf.present ? TRACE_F_PRESENT : 0);
        break;
    case EXIT_MSR_READ:
        e->a = exit->msr.index;
        break;
    case EXIT_MSR_WRITE:
        /* WRMSR writes EDX:EAX (SDM 2 "WRMSR"); keep both halves. */
        e->a = exit->msr.index | (gpr[GPR_RAX] << 32);
        e->b = (uint32_t)gpr[GPR_RDX];
        break;
    case EXIT_CPUID:
        e->a = (uint32_t)gpr[GPR_RAX];
        e->b = (uint32_t)gpr[GPR_RCX];
        break;
    case EXIT_EXCEPTION:
        e->a = exit->exception.cr2;
        e->b = exit->exception.error_code;
        e->flags = exit->exception.has_error ? TRACE_F_ERROR : 0;
        e->raw = exit->exception.vector;
        break;
    case EXIT_CR_ACCESS:
        e->a = exit->cr.cr;
        e->b = exit->cr.gpr;
        e->flags = exit->cr.write ? TRACE_F_CRWRITE : 0;
        break;
    case EXIT_VMCALL:
        e->a = gpr[GPR_RAX];
        break;
    case EXIT_ENTRY_FAILED:
    case EXIT_UNEXPECTED:
        e->a = exit->raw.info1;
        e->raw = (uint16_t)exit->raw_reason;
        break;
    default:
        break;
    }
}

void trace_record_cycles(struct vcpu *v, uint64_t cycles)
{
    struct trace_ring *r = v->trace;
    if (!r || !r->total)
        return;
    r->e[(r->total - 1) & (r->size - 1)].cycles =
        (uint32_t)MIN(cycles, 0xffffffffULL);
}

/* An exception's mnemonic (arch/x86/exception.h), or "#<vector>" written
 * into buf (size bytes, 5 are enough) for a vector that has none. */
static const char *vector_name(unsigned v, char *buf, size_t size)
{
    const char *m = exception_mnemonic(v);
    if (m)
        return m;
    ksnprintf(buf, size, "#%u", v);
    return buf;
}

/* I/O access sizes by their mnemonic suffix (OUTB, OUTW, OUTL). */
static const char *io_size_name(unsigned size)
{
    return size == 1 ? "byte" : size == 2 ? "word" : size == 4 ? "dword"
                                                                : "?";
}

const char *trace_format(const struct trace_entry *e, char *buf, size_t size)
{
    const char *name = exit_reason_name((enum exit_reason)e->reason);
    unsigned long long a = e->a;

    switch (e->reason) {
    case EXIT_IO:
        ksnprintf(buf, size, "%s %s%s%s port %#llx size %u (%s)", name,
                  e->flags & TRACE_F_REP ? "rep " : "",
                  e->flags & TRACE_F_IN ? "in" : "out",
                  e->flags & TRACE_F_STRING ? "s" : "", a, e->b,
                  io_size_name(e->b));
        break;
    case EXIT_NPF:
        ksnprintf(buf, size, "%s gpa %#llx %s %s", name, a,
                  e->flags & TRACE_F_WRITE ? "write" :
                  e->flags & TRACE_F_FETCH ? "fetch" : "read",
                  e->flags & TRACE_F_PRESENT ? "present" : "not-present");
        break;
    case EXIT_MSR_READ:
        ksnprintf(buf, size, "%s msr %#llx", name, a);
        break;
    case EXIT_MSR_WRITE:
        ksnprintf(buf, size, "%s msr %#llx value %#llx", name,
                  a & 0xffffffffULL,
                  ((unsigned long long)e->b << 32) | (a >> 32));
        break;
    case EXIT_CPUID:
        ksnprintf(buf, size, "%s leaf %#llx subleaf %#x", name, a, e->b);
        break;
    case EXIT_EXCEPTION: {
        char vbuf[8];
        const char *vn = vector_name(e->raw, vbuf, sizeof(vbuf));
        if (e->flags & TRACE_F_ERROR)
            ksnprintf(buf, size, "%s vector %u %s error %#x cr2 %#llx", name,
                      e->raw, vn, e->b, a);
        else
            ksnprintf(buf, size, "%s vector %u %s", name, e->raw, vn);
        break;
    }
    case EXIT_CR_ACCESS:
        ksnprintf(buf, size, "%s %s cr%llu gpr %u", name,
                  e->flags & TRACE_F_CRWRITE ? "mov-to" : "mov-from", a, e->b);
        break;
    case EXIT_VMCALL:
        ksnprintf(buf, size, "%s rax %#llx", name, a);
        break;
    case EXIT_ENTRY_FAILED:
    case EXIT_UNEXPECTED:
        ksnprintf(buf, size, "%s raw %#x info1 %#llx", name, e->raw, a);
        break;
    default:
        ksnprintf(buf, size, "%s", name);
        break;
    }
    return buf;
}

/* TSC ticks to nanoseconds, split so that ticks * 1e9 cannot overflow. */
static uint64_t tsc_to_ns(uint64_t ticks)
{
    uint64_t hz = timer_tsc_hz();
    if (!hz)
        return ticks;
    return ticks / hz * 1000000000ULL + ticks % hz * 1000000000ULL / hz;
}

/* Index (into the running count) of the oldest of the newest `max`
 * entries r still holds; max 0 means all it holds. */
static uint64_t first_kept(const struct trace_ring *r, unsigned max)
{
    uint64_t kept = MIN(r->total, (uint64_t)r->size);
    if (max && max < kept)
        kept = max;
    return r->total - kept;
}

void trace_dump(const struct vcpu *v, unsigned max)
{
    const struct trace_ring *r = v->trace;
    char buf[96];
    if (!r || !r->total) {
        kprintf("keel: vm %s vcpu%u: no exits traced\n", v->vm->name, v->id);
        return;
    }
    uint64_t i = first_kept(r, max);
    uint64_t newest = r->e[(r->total - 1) & (r->size - 1)].tsc;
    kprintf("keel: vm %s vcpu%u: last %llu of %llu exits (time before the "
            "newest)\n", v->vm->name, v->id,
            (unsigned long long)(r->total - i), (unsigned long long)r->total);
    for (; i < r->total; i++) {
        const struct trace_entry *e = &r->e[i & (r->size - 1)];
        kprintf("  -%10lluns rip %016llx %s\n",
                (unsigned long long)tsc_to_ns(newest - e->tsc),
                (unsigned long long)e->rip, trace_format(e, buf, sizeof(buf)));
    }
}

void trace_dump_machine(const struct vcpu *v)
{
    const struct trace_ring *r = v->trace;
    kprintf("keel: trace begin %s vcpu%u\n", v->vm->name, v->id);
    if (r) {
        char buf[96];
        for (uint64_t i = first_kept(r, 0); i < r->total; i++) {
            const struct trace_entry *e = &r->e[i & (r->size - 1)];
            kprintf("trace: %llu %s rip %#llx cycles %u\n",
                    (unsigned long long)tsc_to_ns(e->tsc - base_tsc),
                    trace_format(e, buf, sizeof(buf)),
                    (unsigned long long)e->rip, e->cycles);
        }
    }
    kprintf("keel: trace end\n");
}

struct vcpu *trace_last_vcpu(void)
{
    return last_vcpu;
}

void trace_panic_dump(void)
{
    struct vcpu *v = last_vcpu;
    if (!v)
        return;
    vcpu_dump(v);
    if (vendor)
        vendor->dump(v);
    trace_dump(v, 32);
}
