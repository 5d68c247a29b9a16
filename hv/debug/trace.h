/* The exit trace: a ring of each vCPU's most recent VM exits (host TSC time,
 * reason, guest RIP and the exit information decoded by name), for the
 * serial monitor, panic reports and `make trace-plot` (docs/monitor.md).
 * Recording costs one copy per exit; nothing is printed until asked. */
#ifndef KEEL_TRACE_H
#define KEEL_TRACE_H

#include "hv/core/vm_exit.h"
#include "lib/types.h"

struct vcpu;

/* Ring sizes in entries (powers of two): the default keeps the last 256
 * exits per vCPU; keel.cfg "trace = yes" keeps 65536 so that a plot covers
 * a good part of a boot (40 bytes an entry: 2.5 MiB per vCPU). */
#define TRACE_RING_DEFAULT 256u
#define TRACE_RING_LONG    65536u

/* One recorded exit. Only the fields of exit's reason mean anything in
 * a/b/c (filled by trace_record, read by trace_format). */
struct trace_entry {
    uint64_t tsc;        /* host TSC when the exit reached the run loop */
    uint64_t rip;        /* guest RIP of the exiting instruction (GVA) */
    uint64_t a;          /* IO: port; NPF: GPA; MSR: index; CPUID: leaf;
                          * EXCEPTION: CR2; CR: cr number; else raw info1 */
    uint32_t b;          /* IO: size; MSR write: value low; CPUID: subleaf;
                          * EXCEPTION: error code; CR: gpr */
    uint8_t reason;      /* enum exit_reason */
    uint8_t flags;       /* TRACE_F_* */
    uint16_t raw;        /* vendor exit code (truncated), UNEXPECTED only */
    uint32_t cycles;     /* host TSC ticks Keel spent handling it (set by
                          * trace_record_cycles; saturates at 2^32 - 1) */
    uint32_t reserved;
};
_Static_assert(sizeof(struct trace_entry) == 40, "trace entry layout");

#define TRACE_F_IN     BIT(0)   /* IO: IN/INS */
#define TRACE_F_STRING BIT(1)   /* IO: INS/OUTS */
#define TRACE_F_REP    BIT(2)
#define TRACE_F_READ   BIT(0)   /* NPF access bits, APM2 15.25.6 */
#define TRACE_F_WRITE  BIT(1)
#define TRACE_F_FETCH  BIT(2)
#define TRACE_F_PRESENT BIT(3)
#define TRACE_F_ERROR  BIT(0)   /* EXCEPTION: an error code was pushed */
#define TRACE_F_CRWRITE BIT(0)  /* CR_ACCESS: MOV to CRn */

/* keel.cfg "trace = yes" (on): keep TRACE_RING_LONG exits per vCPU
 * instead of TRACE_RING_DEFAULT, and print every vCPU's ring in the
 * machine-readable form when its VM ends (vm_report). Call before the first
 * exit: rings already allocated keep their size. */
void trace_configure(bool on);

/* Whether vm_report prints the machine-readable trace. */
bool trace_at_end(void);

/* Record one exit of v (before it is handled, so v->state.rip is still the
 * exiting instruction and RAX/RCX hold the CPUID leaf or MSR value). tsc is
 * the host TSC. The ring is allocated on v's first exit; if that fails the
 * exit is not recorded (logged once). */
void trace_record(struct vcpu *v, const struct vm_exit *exit, uint64_t tsc);

/* Record what handling v's newest traced exit cost: cycles host TSC ticks
 * (the run loop's figure for exit_stats). Does nothing if none is traced. */
void trace_record_cycles(struct vcpu *v, uint64_t cycles);

/* Format entry e as "<reason> <decoded info>", e.g.
 * "IO out port 0x3f8 size 1" or "NPF gpa 0xfee000b0 write present",
 * into buf (size bytes, NUL-terminated). Returns buf. */
const char *trace_format(const struct trace_entry *e, char *buf, size_t size);

/* Print v's last `max` exits (0: all kept), oldest first, one line each:
 * "  +<ns> rip <gva> <decoded>" with times relative to the newest. */
void trace_dump(const struct vcpu *v, unsigned max);

/* Print v's whole ring in the machine-readable form scripts/trace_plot.py
 * and scripts/exit_breakdown.py read, between "keel: trace begin <vm>
 * vcpu<n>" and "keel: trace end": one "trace: <ns> <REASON> <decoded> rip <gva>
 * cycles <n>" line per exit (<REASON> <decoded> as trace_format writes it, e.g. "IO out
 * port 0x3f8 size 1 (byte)"; gva the exiting instruction's, n the host TSC ticks Keel spent on
 * it), ns since the first traced exit of any vCPU (host
 * TSC converted with the calibrated frequency). */
void trace_dump_machine(const struct vcpu *v);

/* The vCPU whose exit was recorded last (for panic reports); NULL before
 * the first exit. */
struct vcpu *trace_last_vcpu(void);

/* The panic dump (panic_set_hooks in lib/panic.h, installed by hv_main): the last vCPU's registers, its VMCB/VMCS
 * and its last 32 exits. Installed by trace_record on the first exit. */
void trace_panic_dump(void);

#endif
