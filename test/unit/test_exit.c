/* Unit tests of the VM exit handlers (hv/exit/exit.c), driven through
 * exit_dispatch() on the minimal VM of test/unit/fake_vm.h: port I/O (SDM
 * 2A "IN", "OUT", and "INS", "OUTS" through the emulator), MOV to CR0/CR4 (SDM 2B "MOV--Move to/from Control
 * Registers", SDM 3A 2.5 "Control Registers"), HLT, CPUID and RDMSR/WRMSR
 * completing by advancing RIP (and the single-step trap after them), PAUSE
 * yielding, and the loud default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/msr_index.h"
#include "hv/dev/vlapic.h"
#include "hv/exit/exit.h"
#include "lib/errno.h"
#include "test/unit/fake_vm.h"
#include "test/unit/host_stubs.h"

#define RAX_BEFORE 0x1122334455667788ULL
#define TEST_PORT  0x510

static struct vm *vm;
static struct vcpu *v;

/* A port device: reads return dev_value, accesses are recorded. */
static uint64_t dev_value, dev_step;   /* dev_value += dev_step per read */
static int dev_result;
static unsigned dev_calls;
static uint64_t dev_offset, dev_written;
static unsigned dev_size;

static int dev_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    (void)dev;
    dev_calls++;
    dev_offset = offset;
    dev_size = size;
    *val = dev_value;
    dev_value += dev_step;
    return dev_result;
}

static int dev_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    (void)dev;
    dev_calls++;
    dev_offset = offset;
    dev_size = size;
    dev_written = val;
    return dev_result;
}

static int setup(void **state)
{
    (void)state;
    vm = fake_vm_create(2, FAKE_VM_LAPIC);
    v = vm->vcpus[0];
    v->state.rip = 0x1000;
    dev_value = 0;
    dev_step = 0;
    dev_result = 0;
    dev_calls = 0;
    assert_int_equal(bus_register(&vm->pio, TEST_PORT, 8, NULL, dev_read,
                                  dev_write, "testdev"), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_vm_destroy(vm);
    return 0;
}

static void io(uint16_t port, uint8_t size, bool in)
{
    struct vm_exit e = fake_exit(EXIT_IO, 1);
    e.io.port = port;
    e.io.size = size;
    e.io.in = in;
    exit_dispatch(v, &e);
}

/* The vCPU got #GP(0) and the faulting instruction was not completed. */
static void assert_gp_at(uint64_t rip)
{
    assert_true(v->event.valid);
    assert_int_equal(v->event.type, EVENT_EXCEPTION);
    assert_int_equal(v->event.vector, VEC_GP);
    assert_true(v->event.has_error);
    assert_int_equal(v->event.error_code, 0);
    assert_int_equal(v->state.rip, rip);
}

/* ---- IN / OUT (SDM 2A "IN", "OUT"; SDM 1 3.4.1.1) ------------------- */

/* IN AL, DX: only AL changes; RAX bits 63:8 are kept. */
static void test_sdm_in_8bit_merges_into_al(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    dev_value = 0xab;
    io(TEST_PORT + 3, 1, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x11223344556677abULL);
    assert_int_equal(dev_offset, 3);          /* relative to the base */
    assert_int_equal(dev_size, 1);
    assert_int_equal(v->state.rip, 0x1001);
}

/* IN AX, DX: only AX changes. */
static void test_sdm_in_16bit_merges_into_ax(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    dev_value = 0xabcd;
    io(TEST_PORT, 2, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x112233445566abcdULL);
    assert_int_equal(dev_size, 2);
}

/* IN EAX, DX: a 32-bit result zero-extends into RAX (SDM 1 3.4.1.1
 * "General-Purpose Registers in 64-Bit Mode"). */
static void test_sdm_in_32bit_zero_extends_into_rax(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    dev_value = 0xdeadbeef;
    io(TEST_PORT + 4, 4, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0xdeadbeefULL);
    assert_int_equal(dev_offset, 4);
    assert_int_equal(dev_size, 4);
}

/* OUT DX, AL / AX / EAX: the device gets exactly the operand-size low bits
 * of RAX, at the offset from its base. */
static void test_sdm_out_each_size_reaches_device(void **state)
{
    (void)state;
    static const struct { uint8_t size; uint64_t val; } t[] = {
        { 1, 0xdd }, { 2, 0xccdd }, { 4, 0xaabbccdd },
    };
    for (unsigned i = 0; i < 3; i++) {
        v->state.gpr[GPR_RAX] = 0x99887766aabbccddULL;
        dev_calls = 0;
        dev_written = 0;
        uint64_t rip = v->state.rip;
        io(TEST_PORT + 2, t[i].size, false);
        assert_int_equal(dev_calls, 1);
        assert_int_equal(dev_offset, 2);
        assert_int_equal(dev_size, t[i].size);
        assert_int_equal(dev_written, t[i].val);
        assert_int_equal(v->state.gpr[GPR_RAX], 0x99887766aabbccddULL);
        assert_int_equal(v->state.rip, rip + 1);
    }
}

/* A port nobody claims reads all-ones in the operand size (an ISA bus with
 * nothing driving it), merged like any IN result. */
static void test_in_unclaimed_port_reads_all_ones(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    io(0x3e0, 1, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x11223344556677ffULL);
    io(0x3e0, 2, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x112233445566ffffULL);
    io(0x3e0, 4, true);
    assert_int_equal(v->state.gpr[GPR_RAX], 0xffffffffULL);
    assert_int_equal(v->state.rip, 0x1003);
    assert_int_equal(dev_calls, 0);
    assert_true(vm_running(vm));
}

/* A device that fails a read is treated like an absent one. */
static void test_in_device_error_reads_all_ones(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    dev_value = 0x12;
    dev_result = -EINVAL;
    io(TEST_PORT, 2, true);
    assert_int_equal(dev_calls, 1);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x112233445566ffffULL);
}

/* OUT to an unclaimed port is dropped and completes. */
static void test_out_unclaimed_port_is_ignored(void **state)
{
    (void)state;
    v->state.gpr[GPR_RAX] = 0x55;
    io(0x3e0, 1, false);
    assert_int_equal(dev_calls, 0);
    assert_int_equal(v->state.rip, 0x1001);
    assert_true(vm_running(vm));
    assert_false(v->event.valid);
}

/* ---- INS / OUTS (SDM 2A "INS", "OUTS", "REP") -------------------------
 * The fake VM is in flat 32-bit protected mode; RAM at 0..64 KiB holds the
 * code at 0x1000 and the buffers. */

#define STR_BUF 0x3000

static uint8_t *str_ram;

/* Put `code` at RIP (0x1000) and take the string I/O exit for it. */
static void string_exit(const uint8_t *code, size_t n, bool in)
{
    memcpy(str_ram + 0x1000, code, n);
    v->state.rip = 0x1000;
    v->state.gpr[GPR_RDX] = TEST_PORT;
    struct vm_exit e = fake_exit(EXIT_IO, 0);
    e.io.port = TEST_PORT;
    e.io.size = 1;
    e.io.in = in;
    e.io.string = true;
    exit_dispatch(v, &e);
}

#define STRING_EXIT(in, ...) \
    string_exit((const uint8_t[]){ __VA_ARGS__ }, \
                sizeof((const uint8_t[]){ __VA_ARGS__ }), in)

static int string_setup(void **state)
{
    setup(state);
    str_ram = fake_vm_add_ram(vm, 0, 0x10000);
    return 0;
}

/* OUTSB: one byte from DS:ESI to the port; ESI steps by one. */
static void test_sdm_outsb_writes_one_byte(void **state)
{
    (void)state;
    str_ram[STR_BUF] = 0x5a;
    v->state.gpr[GPR_RSI] = STR_BUF;
    STRING_EXIT(false, 0x6e);
    assert_true(vm_running(vm));
    assert_int_equal(dev_written, 0x5a);
    assert_int_equal(dev_size, 1);
    assert_int_equal(v->state.gpr[GPR_RSI], STR_BUF + 1);
    assert_int_equal(v->state.rip, 0x1001);
}

/* REP INSW (66 F3 6D): three words to ES:EDI; ECX ends at 0, EDI past
 * the buffer, RIP past the instruction. */
static void test_sdm_rep_insw_fills_memory(void **state)
{
    (void)state;
    dev_value = 0x1111;
    dev_step = 0x1111;
    v->state.gpr[GPR_RDI] = STR_BUF;
    v->state.gpr[GPR_RCX] = 3;
    STRING_EXIT(true, 0x66, 0xf3, 0x6d);
    assert_int_equal(dev_calls, 3);
    assert_int_equal(dev_size, 2);
    assert_memory_equal(str_ram + STR_BUF, "\x11\x11\x22\x22\x33\x33", 6);
    assert_int_equal(v->state.gpr[GPR_RCX], 0);
    assert_int_equal(v->state.gpr[GPR_RDI], STR_BUF + 6);
    assert_int_equal(v->state.rip, 0x1003);
}

/* REP OUTSD with DF=1 walks down; a segment override (FS) on OUTS selects
 * the source segment. */
static void test_sdm_rep_outsd_df_and_segment_override(void **state)
{
    (void)state;
    memcpy(str_ram + STR_BUF + 0x100, "\x01\x00\x00\x00\x02\x00\x00\x00",
           8);
    v->state.seg[SEG_FS].base = 0x100;
    v->state.rflags |= RFLAGS_DF;
    v->state.gpr[GPR_RSI] = STR_BUF + 4;
    v->state.gpr[GPR_RCX] = 2;
    STRING_EXIT(false, 0x64, 0xf3, 0x6f);               /* rep outsd fs: */
    assert_int_equal(dev_calls, 2);
    assert_int_equal(dev_size, 4);
    assert_int_equal(dev_written, 1);                   /* the last one */
    assert_int_equal(v->state.gpr[GPR_RSI], STR_BUF - 4);
    assert_int_equal(v->state.rip, 0x1003);
}

/* 67: 16-bit addressing uses DI and CX, which wrap at 64 KiB, and leaves
 * the upper halves of EDI/ECX alone (SDM 1 7.3.9.1). */
static void test_sdm_ins_address_size_16(void **state)
{
    (void)state;
    dev_value = 0x77;
    v->state.gpr[GPR_RDI] = 0xabcd0000 | STR_BUF;
    v->state.gpr[GPR_RCX] = 0x55550002;
    STRING_EXIT(true, 0x67, 0xf3, 0x6c);
    assert_int_equal(str_ram[STR_BUF], 0x77);
    assert_int_equal(str_ram[STR_BUF + 1], 0x77);
    assert_int_equal(v->state.gpr[GPR_RDI], 0xabcd0000 | (STR_BUF + 2));
    assert_int_equal(v->state.gpr[GPR_RCX], 0x55550000);
    assert_int_equal(v->state.rip, 0x1003);
}

/* A huge count is not done in one exit: a batch of iterations, RCX and EDI
 * updated, RIP left on the instruction for the guest to re-execute. */
static void test_rep_ins_huge_count_is_bounded(void **state)
{
    (void)state;
    v->state.gpr[GPR_RDI] = 0x4000;
    v->state.gpr[GPR_RCX] = 0xffffffff;
    STRING_EXIT(true, 0xf3, 0x6c);
    assert_true(vm_running(vm));
    assert_int_equal(dev_calls, 4096);
    assert_int_equal(v->state.gpr[GPR_RCX], 0xffffffffULL - 4096);
    assert_int_equal(v->state.gpr[GPR_RDI], 0x4000 + 4096);
    assert_int_equal(v->state.rip, 0x1000);
    assert_false(v->event.valid);
}

/* INS from a port nobody claims stores all-ones, like IN. */
static void test_ins_unclaimed_port_stores_all_ones(void **state)
{
    (void)state;
    v->state.gpr[GPR_RDI] = STR_BUF;
    memcpy(str_ram + 0x1000, "\x6d", 1);
    v->state.rip = 0x1000;
    v->state.gpr[GPR_RDX] = 0x9999;
    struct vm_exit e = fake_exit(EXIT_IO, 0);
    e.io.port = 0x9999;
    e.io.size = 4;
    e.io.in = true;
    e.io.string = true;
    exit_dispatch(v, &e);
    assert_int_equal(dev_calls, 0);
    assert_memory_equal(str_ram + STR_BUF, "\xff\xff\xff\xff", 4);
    assert_int_equal(v->state.rip, 0x1001);
}

/* With 32-bit paging, REP INSB that runs into a not-present page stops
 * there: the finished iterations stay, #PF (write, not present) with CR2
 * is injected, RIP stays, and the device is not read for the faulting
 * byte. */
static void test_sdm_rep_insb_page_fault(void **state)
{
    (void)state;
    /* Page directory at 0x8000, page table at 0x9000: pages 0-15 identity
     * mapped and writable, except page 5. */
    uint32_t pde = 0x9000 | 3, pte;
    memcpy(str_ram + 0x8000, &pde, 4);
    for (uint32_t i = 0; i < 16; i++) {
        pte = i == 5 ? 0 : (i << 12) | 3;
        memcpy(str_ram + 0x9000 + 4 * i, &pte, 4);
    }
    v->state.cr3 = 0x8000;
    v->state.cr0 |= CR0_PG;
    v->state.gpr[GPR_RDI] = 0x5000 - 2;
    v->state.gpr[GPR_RCX] = 4;
    STRING_EXIT(true, 0xf3, 0x6c);
    assert_true(vm_running(vm));
    assert_int_equal(dev_calls, 2);
    assert_int_equal(v->state.gpr[GPR_RCX], 2);
    assert_int_equal(v->state.gpr[GPR_RDI], 0x5000);
    assert_int_equal(v->state.rip, 0x1000);
    assert_true(v->event.valid);
    assert_int_equal(v->event.vector, VEC_PF);
    assert_int_equal(v->event.error_code, 2);      /* W, not present */
    assert_int_equal(v->state.cr2, 0x5000);
}

/* A limit violation on ES:EDI is #GP(0) before any port access. */
static void test_sdm_ins_segment_limit_gp(void **state)
{
    (void)state;
    v->state.seg[SEG_ES].limit = 0xfff;
    v->state.gpr[GPR_RDI] = 0x1000;
    STRING_EXIT(true, 0x6c);
    assert_int_equal(dev_calls, 0);
    assert_gp_at(0x1000);
}

/* If the guest rewrote the instruction before the exit was handled, the
 * bytes at RIP are not INS/OUTS: the VM stops rather than guessing. */
static void test_string_io_exit_without_ins_outs_crashes(void **state)
{
    (void)state;
    STRING_EXIT(true, 0x90);
    assert_int_equal(vm->end, VM_END_CRASHED);
    assert_int_equal(dev_calls, 0);
}


/* ---- PCI configuration pairs (hv/exit/exit_io.c, pci_config_pair) ------
 * After an OUT to CONFIG_ADDRESS (0xCF8) Keel carries out the next MOV
 * reg, imm and IN/OUT at CONFIG_DATA in the same exit, with the result the
 * guest would have got running them itself. A fake mechanism-#1 device on
 * 0xCF8-0xCFF: the latch at offset 0, CONFIG_DATA answers 0xC0DE0000 |
 * the latch's low 16 bits and records writes. */

static uint32_t cfg_latch, cfg_data_written;
static unsigned cfg_data_accesses;

static int cfg_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    (void)dev;
    if (offset < 4) {
        *val = cfg_latch;
        return 0;
    }
    cfg_data_accesses++;
    *val = (0xc0de0000u | (cfg_latch & 0xffff)) >> ((offset - 4) * 8);
    (void)size;
    return 0;
}

static int cfg_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    (void)dev;
    (void)size;
    if (offset == 0)
        cfg_latch = (uint32_t)val;
    else {
        cfg_data_accesses++;
        cfg_data_written = (uint32_t)val;
    }
    return 0;
}

static int pci_setup(void **state)
{
    string_setup(state);
    cfg_latch = cfg_data_written = 0;
    cfg_data_accesses = 0;
    assert_int_equal(bus_register(&vm->pio, 0xcf8, 8, NULL, cfg_read,
                                  cfg_write, "conf1"), 0);
    return 0;
}

/* Put code at 0x1000 and take the exit of its first instruction, an OUT
 * DX, EAX (EF) to 0xCF8 with EAX = addr. */
static void config_address_exit(const uint8_t *code, size_t n, uint32_t addr)
{
    memcpy(str_ram + 0x1000, code, n);
    v->state.rip = 0x1000;
    v->state.gpr[GPR_RDX] = 0xcf8;
    v->state.gpr[GPR_RAX] = addr;
    io(0xcf8, 4, false);
}

#define CONFIG_EXIT(addr, ...) \
    config_address_exit((const uint8_t[]){ __VA_ARGS__ }, \
                        sizeof((const uint8_t[]){ __VA_ARGS__ }), addr)

/* Linux's pci_conf1_read: OUT DX, EAX; MOV EDX, 0CFCh; IN EAX, DX. One
 * exit does all three: EAX holds the data, EDX 0xCFC, RIP after the IN. */
static void test_pci_config_read_pair_in_one_exit(void **state)
{
    (void)state;
    CONFIG_EXIT(0x80000010u, 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed, 0x90);
    assert_true(vm_running(vm));
    assert_int_equal(cfg_latch, 0x80000010u);
    assert_int_equal(v->state.gpr[GPR_RAX], 0xc0de0010u);
    assert_int_equal(v->state.gpr[GPR_RDX], 0xcfc);
    assert_int_equal(v->state.rip, 0x1007);
    assert_int_equal(cfg_data_accesses, 1);
    assert_int_equal(v->io_paired, 1);
    assert_false(v->event.valid);
}

/* A write pair, and a byte access at CONFIG_DATA + 2 (MOV DL, imm8 keeps
 * EDX's upper bytes: 0xCF8 -> 0xCFE): only AL goes out. */
static void test_pci_config_write_and_byte_read_pairs(void **state)
{
    (void)state;
    CONFIG_EXIT(0x80000004u, 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xef);
    assert_int_equal(cfg_data_written, 0x80000004u);
    assert_int_equal(v->state.rip, 0x1007);
    CONFIG_EXIT(0x80000008u, 0xef, 0xb2, 0xfe, 0xec);   /* MOV DL; IN AL */
    assert_int_equal(v->state.gpr[GPR_RDX], 0xcfe);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x800000deu);  /* AL = 0xDE */
    assert_int_equal(v->state.rip, 0x1004);
    assert_int_equal(cfg_data_accesses, 2);
}

/* Only CONFIG_DATA: a MOV then an IN from another port stops before the
 * IN (the guest runs it, with its own exit); nothing else is carried out
 * either (a NOP right after the OUT). */
static void test_pci_config_pair_stops_at_other_instructions(void **state)
{
    (void)state;
    CONFIG_EXIT(0x80000000u, 0xef, 0xba, 0x10, 0x05, 0x00, 0x00, 0xec);
    assert_int_equal(v->state.rip, 0x1006);        /* at the IN */
    assert_int_equal(v->state.gpr[GPR_RDX], TEST_PORT);
    assert_int_equal(dev_calls, 0);
    CONFIG_EXIT(0x80000000u, 0xef, 0x90, 0xed);
    assert_int_equal(v->state.rip, 0x1001);
    assert_int_equal(cfg_data_accesses, 0);
    assert_int_equal(v->io_paired, 0);
}

/* Where the guest could tell, only the OUT is done: single-stepping (the
 * #DB after the OUT is queued), a breakpoint armed in DR7, and an IN at
 * CPL 3 with IOPL 0 (the CPU would consult the TSS bitmap). */
static void test_pci_config_pair_not_when_guest_could_tell(void **state)
{
    (void)state;
    v->state.rflags |= RFLAGS_TF;
    CONFIG_EXIT(0x80000000u, 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed);
    assert_int_equal(v->state.rip, 0x1001);
    assert_true(v->event.valid);
    assert_int_equal(v->event.vector, VEC_DB);
    v->event.valid = false;
    v->state.rflags &= ~RFLAGS_TF;

    fake_vendor_dr7_armed = true;
    CONFIG_EXIT(0x80000000u, 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed);
    assert_int_equal(v->state.rip, 0x1001);
    fake_vendor_dr7_armed = false;

    v->state.seg[SEG_SS].attr |= 3u << 5;          /* CPL 3, IOPL 0 */
    CONFIG_EXIT(0x80000000u, 0xef, 0xed);
    assert_int_equal(v->state.rip, 0x1001);
    assert_int_equal(cfg_data_accesses, 0);
}

/* ---- MOV to CR0 / CR4 (SDM 2B "MOV--Move to/from Control Registers",
 *      SDM 3A 2.5 "Control Registers", 9.8.5 "Initializing IA-32e Mode") */

static void mov_to_cr(uint8_t cr, uint64_t val)
{
    struct vm_exit e = fake_exit(EXIT_CR_ACCESS, 3);
    e.cr.cr = cr;
    e.cr.write = true;
    e.cr.gpr = GPR_RBX;
    v->state.gpr[GPR_RBX] = val;
    exit_dispatch(v, &e);
}

/* Put the vCPU in 64-bit mode (paging on, EFER.LMA, CS.L). */
static void enter_long_mode(void)
{
    v->state.cr0 = CR0_PE | CR0_ET | CR0_PG;
    v->state.cr4 = CR4_PAE;
    v->state.efer = EFER_LME | EFER_LMA;
    v->state.seg[SEG_CS].attr = (v->state.seg[SEG_CS].attr & ~SEG_ATTR_DB) |
                                SEG_ATTR_L;
}

/* "#GP(0) If an attempt is made to write invalid bit combinations in CR0
 * (such as setting the PG flag to 1 when the PE flag is set to 0 ...)". */
static void test_sdm_mov_cr0_pg_without_pe_gp(void **state)
{
    (void)state;
    mov_to_cr(0, CR0_PG | CR0_ET);
    assert_gp_at(0x1000);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_ET);
    assert_int_equal(fake_vendor_flushes, 0);
}

/* "... or setting the CD flag to 0 when the NW flag is set to 1". */
static void test_sdm_mov_cr0_nw_without_cd_gp(void **state)
{
    (void)state;
    mov_to_cr(0, CR0_PE | CR0_NW);
    assert_gp_at(0x1000);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_ET);
    /* NW with CD is a valid combination. */
    mov_to_cr(0, CR0_PE | CR0_NW | CR0_CD);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_NW | CR0_CD | CR0_ET);
}

/* 64-bit mode: "#GP(0) If an attempt is made to write a 1 to any reserved
 * bit in CR0[63:32]". Outside 64-bit mode the operand is 32 bits, so the
 * upper half of the register is not part of the value. */
static void test_sdm_mov_cr0_upper_half_reserved(void **state)
{
    (void)state;
    mov_to_cr(0, BIT(32) | CR0_PE | CR0_MP);
    assert_false(v->event.valid);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_MP | CR0_ET);
    enter_long_mode();
    uint64_t rip = v->state.rip;
    mov_to_cr(0, BIT(32) | CR0_PE | CR0_PG);
    assert_gp_at(rip);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_ET | CR0_PG);
}

/* SDM 3A 9.8.5: enabling paging with EFER.LME=1 activates IA-32e mode
 * (EFER.LMA=1), but only with CR4.PAE=1, else #GP. */
static void test_sdm_mov_cr0_pg_activates_ia32e(void **state)
{
    (void)state;
    v->state.efer = EFER_LME;
    mov_to_cr(0, CR0_PE | CR0_PG);
    assert_gp_at(0x1000);
    assert_int_equal(v->state.efer, EFER_LME);

    v->event.valid = false;
    v->state.cr4 = CR4_PAE;
    mov_to_cr(0, CR0_PE | CR0_PG);
    assert_false(v->event.valid);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_PG | CR0_ET);
    assert_int_equal(v->state.efer, EFER_LME | EFER_LMA);
    assert_int_equal(v->state.rip, 0x1003);
    assert_int_equal(fake_vendor_flushes, 1);
}

/* "#GP(0) ... If an attempt is made to clear CR0.PG" in 64-bit mode;
 * from compatibility mode, clearing PG leaves IA-32e mode (LMA=0). */
static void test_sdm_mov_cr0_clear_pg_in_64bit_mode_gp(void **state)
{
    (void)state;
    enter_long_mode();
    mov_to_cr(0, CR0_PE);
    assert_gp_at(0x1000);
    assert_true(v->state.efer & EFER_LMA);

    v->event.valid = false;
    v->state.seg[SEG_CS].attr = (v->state.seg[SEG_CS].attr & ~SEG_ATTR_L) |
                                SEG_ATTR_DB;   /* compatibility mode */
    mov_to_cr(0, CR0_PE);
    assert_false(v->event.valid);
    assert_int_equal(v->state.efer, EFER_LME);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_ET);
}

/* SDM 3A 2.5: CR0.ET is reserved and fixed to 1 on P6 and later. */
static void test_sdm_mov_cr0_et_reads_one(void **state)
{
    (void)state;
    mov_to_cr(0, CR0_PE | CR0_WP);
    assert_int_equal(v->state.cr0, CR0_PE | CR0_WP | CR0_ET);
    assert_int_equal(v->state.rip, 0x1003);
}

/* "#GP(0) If an attempt is made to write a 1 to any reserved bit in CR4":
 * bit 15 and bits 63:25 (SDM 3A 2.5), and VMXE/SMXE, which Keel's CPUID
 * hides (a feature the CPU does not report makes its bit reserved). */
static void test_sdm_mov_cr4_reserved_bits_gp(void **state)
{
    (void)state;
    static const uint64_t bad[] = { BIT(13), BIT(14), BIT(15), BIT(25),
                                    BIT(31) };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v->event.valid = false;
        mov_to_cr(4, CR4_PSE | bad[i]);
        assert_gp_at(0x1000);
        assert_int_equal(v->state.cr4, 0);
    }
    enter_long_mode();
    v->event.valid = false;
    mov_to_cr(4, CR4_PAE | BIT(40));
    assert_gp_at(0x1000);
    assert_int_equal(v->state.cr4, CR4_PAE);

    v->event.valid = false;
    mov_to_cr(4, CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXSAVE);
    assert_false(v->event.valid);
    assert_int_equal(v->state.cr4, CR4_PAE | CR4_PGE | CR4_OSFXSR |
                                   CR4_OSXSAVE);
    assert_int_equal(v->state.rip, 0x1003);
    assert_int_equal(fake_vendor_flushes, 1);
}

/* "#GP(0) If an attempt is made to leave IA-32e mode by clearing
 * CR4.PAE". */
static void test_sdm_mov_cr4_clear_pae_in_ia32e_gp(void **state)
{
    (void)state;
    enter_long_mode();
    mov_to_cr(4, CR4_PGE);
    assert_gp_at(0x1000);
    assert_int_equal(v->state.cr4, CR4_PAE);
}

/* Only writes of CR0 and CR4 are intercepted; anything else is a Keel or
 * vendor bug that stops the VM. */
static void test_cr_access_unexpected_crashes(void **state)
{
    (void)state;
    mov_to_cr(3, 0x5000);
    assert_int_equal(vm->end, VM_END_CRASHED);
    assert_int_equal(v->state.cr3, 0);
}

/* ---- HLT (SDM 2A "HLT") ---------------------------------------------- */

static void hlt(struct vcpu *c)
{
    struct vm_exit e = fake_exit(EXIT_HLT, 1);
    exit_dispatch(c, &e);
}

/* With IF=1 the vCPU waits for an interrupt; the VM runs on. */
static void test_hlt_with_if_halts_the_vcpu(void **state)
{
    (void)state;
    hlt(v);
    assert_int_equal(v->run_state, VCPU_HALTED);
    assert_int_equal(v->state.rip, 0x1001);
    assert_true(vm_running(vm));
}

/* "cli; hlt" with nothing pending, every other vCPU waiting for SIPI:
 * nothing can ever wake the VM, so it ends as halted. */
static void test_hlt_cli_on_every_vcpu_ends_the_vm(void **state)
{
    (void)state;
    v->state.rflags &= ~RFLAGS_IF;
    hlt(v);
    assert_int_equal(vm->end, VM_END_HALTED);
    assert_int_equal(v->state.rip, 0x1001);
    assert_int_equal(vm->vcpus[1]->run_state, VCPU_STOPPED);
}

/* "cli; hlt" on one vCPU while another runs (or halts with IF=1) is not
 * the end; it is once the last one does it too. */
static void test_hlt_cli_waits_for_the_other_vcpus(void **state)
{
    (void)state;
    struct vcpu *ap = vm->vcpus[1];
    ap->run_state = VCPU_RUNNABLE;
    v->state.rflags &= ~RFLAGS_IF;
    hlt(v);
    assert_int_equal(v->run_state, VCPU_HALTED);
    assert_true(vm_running(vm));

    hlt(ap);                                /* IF=1: can still be woken */
    assert_int_equal(ap->run_state, VCPU_HALTED);
    assert_true(vm_running(vm));

    ap->run_state = VCPU_RUNNABLE;
    ap->state.rflags &= ~RFLAGS_IF;
    hlt(ap);
    assert_int_equal(vm->end, VM_END_HALTED);
}

/* HLT with IF=1 and an interrupt already requested ends at once. */
static void test_hlt_with_pending_interrupt_does_not_halt(void **state)
{
    (void)state;
    assert_true(vlapic_deliver(v->lapic, 0x40, false));
    hlt(v);
    assert_int_equal(v->run_state, VCPU_RUNNABLE);
    assert_int_equal(v->state.rip, 0x1001);
}

/* ---- CPUID, RDMSR, WRMSR: completed by advancing RIP ------------------ */

static void test_cpuid_fills_registers_and_advances_rip(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    v->state.gpr[GPR_RAX] = 0x40000000;
    v->state.gpr[GPR_RCX] = 0;
    v->state.interrupt_shadow = true;
    exit_dispatch(v, &e);
    char sig[13] = { 0 };
    memcpy(sig, &v->state.gpr[GPR_RBX], 4);
    memcpy(sig + 4, &v->state.gpr[GPR_RCX], 4);
    memcpy(sig + 8, &v->state.gpr[GPR_RDX], 4);
    assert_string_equal(sig, "KeelKeelKeel");
    assert_int_equal(v->state.rip, 0x1002);
    /* Completing an instruction ends the STI/MOV SS shadow. */
    assert_false(v->state.interrupt_shadow);
}

/* Without a length from the CPU, the handler decodes the instruction at
 * RIP (0F A2) to step over it. */
static void test_cpuid_without_insn_len_decodes_it(void **state)
{
    (void)state;
    uint8_t *ram = fake_vm_add_ram(vm, 0, 0x10000);
    ram[0x1000] = 0x0f;
    ram[0x1001] = 0xa2;
    struct vm_exit e = fake_exit(EXIT_CPUID, 0);
    v->state.gpr[GPR_RAX] = 0;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.rip, 0x1002);
}

/* With RFLAGS.TF set, an instruction Keel completes is followed by the
 * single-step trap: #DB with DR6.BS (SDM 3A 17.3.1.4, 17.2.3). */
static void test_single_step_trap_after_completed_insn(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    v->state.rflags |= RFLAGS_TF;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.rip, 0x1002);
    assert_true(v->event.valid);
    assert_int_equal(v->event.type, EVENT_EXCEPTION);
    assert_int_equal(v->event.vector, VEC_DB);
    assert_false(v->event.has_error);
    assert_int_equal(v->event.dr6, DR6_BS);
}

/* Without TF nothing follows; and a fault the instruction raised wins (it
 * did not complete, so there is no trap after it). */
static void test_no_single_step_without_tf_or_after_a_fault(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    exit_dispatch(v, &e);
    assert_false(v->event.valid);

    v->state.rflags |= RFLAGS_TF;
    v->state.gpr[GPR_RCX] = 0x12345678;          /* no such MSR: #GP */
    struct vm_exit m = fake_exit(EXIT_MSR_READ, 2);
    m.msr.index = 0x12345678;
    exit_dispatch(v, &m);
    assert_gp_at(0x1002);
}

/* A PAUSE exit (a spin loop) completes the PAUSE and ends the slice. */
static void test_pause_completes_and_yields(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_PAUSE, 2);
    exit_dispatch(v, &e);
    assert_int_equal(v->state.rip, 0x1002);
    assert_true(v->yield);
    assert_false(v->event.valid);
}

/* Outside 64-bit mode RIP wraps at 4 GiB (EIP). */
static void test_rip_wraps_outside_64bit_mode(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_CPUID, 2);
    v->state.rip = 0xffffffff;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.rip, 1);
}

/* RDMSR returns EDX:EAX (SDM 2B "RDMSR"), upper halves cleared. */
static void test_rdmsr_fills_edx_eax_and_advances_rip(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_MSR_READ, 2);
    e.msr.index = MSR_IA32_PAT;
    v->state.pat = 0x0007040600070406ULL;
    v->state.gpr[GPR_RAX] = ~0ULL;
    v->state.gpr[GPR_RDX] = ~0ULL;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.gpr[GPR_RAX], 0x00070406);
    assert_int_equal(v->state.gpr[GPR_RDX], 0x00070406);
    assert_int_equal(v->state.rip, 0x1002);
    assert_false(v->event.valid);
}

/* WRMSR takes EDX:EAX (the upper halves of RAX/RDX are ignored). */
static void test_wrmsr_takes_edx_eax_and_advances_rip(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_MSR_WRITE, 2);
    e.msr.index = MSR_IA32_PAT;
    v->state.gpr[GPR_RAX] = 0xffffffff00000106ULL;   /* WB, WC in PA0/1 */
    v->state.gpr[GPR_RDX] = 0x0000000000000406ULL;
    exit_dispatch(v, &e);
    assert_int_equal(v->state.pat, 0x0000040600000106ULL);
    assert_int_equal(v->state.rip, 0x1002);
}

/* An MSR the policy does not know: #GP(0), RIP stays, no register
 * changes (SDM 2B "RDMSR": "#GP(0) If the value in ECX specifies a
 * reserved or unimplemented MSR address"). */
static void test_msr_unknown_raises_gp(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_MSR_READ, 2);
    e.msr.index = 0xc0011234;
    v->state.gpr[GPR_RAX] = RAX_BEFORE;
    exit_dispatch(v, &e);
    assert_gp_at(0x1000);
    assert_int_equal(v->state.gpr[GPR_RAX], RAX_BEFORE);

    v->event.valid = false;
    e.reason = EXIT_MSR_WRITE;
    exit_dispatch(v, &e);
    assert_gp_at(0x1000);
}

/* ---- the rest of the table --------------------------------------------- */

/* An intercepted exception goes back to the guest unchanged; #MC stops
 * the VM. */
static void test_exception_is_reflected(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_EXCEPTION, 0);
    e.exception.vector = VEC_PF;
    e.exception.has_error = true;
    e.exception.error_code = 6;
    exit_dispatch(v, &e);
    assert_true(v->event.valid);
    assert_int_equal(v->event.vector, VEC_PF);
    assert_int_equal(v->event.error_code, 6);
    assert_int_equal(v->state.rip, 0x1000);
    e.exception.vector = VEC_MC;
    exit_dispatch(v, &e);
    assert_int_equal(vm->end, VM_END_CRASHED);
}

/* VMRUN, VMLOAD and the other SVM instructions CPUID hides: #UD, as on a
 * CPU without them. (VMCALL/VMMCALL are hypercalls: test_hypercall.) */
static void test_virt_insn_raises_ud(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_VIRT_INSN, 3);
    exit_dispatch(v, &e);
    assert_true(v->event.valid);
    assert_int_equal(v->event.vector, VEC_UD);
    assert_false(v->event.has_error);
    assert_int_equal(v->state.rip, 0x1000);
}

static void test_triple_fault_ends_the_vm(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit(EXIT_TRIPLE_FAULT, 0);
    exit_dispatch(v, &e);
    assert_int_equal(vm->end, VM_END_TRIPLE_FAULT);
}

/* STYLE.md: a bounds check and a loud default that dumps state. */
static void test_reason_out_of_range_is_loud(void **state)
{
    (void)state;
    struct vm_exit e = fake_exit((enum exit_reason)(EXIT_REASON_COUNT + 3), 0);
    exit_dispatch(v, &e);
    assert_int_equal(vm->end, VM_END_CRASHED);
    assert_int_equal(fake_vendor_dumps, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define TS(f) cmocka_unit_test_setup_teardown(f, string_setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sdm_in_8bit_merges_into_al),
        T(test_sdm_in_16bit_merges_into_ax),
        T(test_sdm_in_32bit_zero_extends_into_rax),
        T(test_sdm_out_each_size_reaches_device),
        T(test_in_unclaimed_port_reads_all_ones),
        T(test_in_device_error_reads_all_ones),
        T(test_out_unclaimed_port_is_ignored),
        TS(test_sdm_outsb_writes_one_byte),
        TS(test_sdm_rep_insw_fills_memory),
        TS(test_sdm_rep_outsd_df_and_segment_override),
        TS(test_sdm_ins_address_size_16),
        TS(test_rep_ins_huge_count_is_bounded),
        TS(test_ins_unclaimed_port_stores_all_ones),
        TS(test_sdm_rep_insb_page_fault),
        TS(test_sdm_ins_segment_limit_gp),
        TS(test_string_io_exit_without_ins_outs_crashes),
#define TP(f) cmocka_unit_test_setup_teardown(f, pci_setup, teardown)
        TP(test_pci_config_read_pair_in_one_exit),
        TP(test_pci_config_write_and_byte_read_pairs),
        TP(test_pci_config_pair_stops_at_other_instructions),
        TP(test_pci_config_pair_not_when_guest_could_tell),
        T(test_sdm_mov_cr0_pg_without_pe_gp),
        T(test_sdm_mov_cr0_nw_without_cd_gp),
        T(test_sdm_mov_cr0_upper_half_reserved),
        T(test_sdm_mov_cr0_pg_activates_ia32e),
        T(test_sdm_mov_cr0_clear_pg_in_64bit_mode_gp),
        T(test_sdm_mov_cr0_et_reads_one),
        T(test_sdm_mov_cr4_reserved_bits_gp),
        T(test_sdm_mov_cr4_clear_pae_in_ia32e_gp),
        T(test_cr_access_unexpected_crashes),
        T(test_hlt_with_if_halts_the_vcpu),
        T(test_hlt_cli_on_every_vcpu_ends_the_vm),
        T(test_hlt_cli_waits_for_the_other_vcpus),
        T(test_hlt_with_pending_interrupt_does_not_halt),
        T(test_cpuid_fills_registers_and_advances_rip),
        T(test_cpuid_without_insn_len_decodes_it),
        T(test_rip_wraps_outside_64bit_mode),
        T(test_single_step_trap_after_completed_insn),
        T(test_no_single_step_without_tf_or_after_a_fault),
        T(test_pause_completes_and_yields),
        T(test_rdmsr_fills_edx_eax_and_advances_rip),
        T(test_wrmsr_takes_edx_eax_and_advances_rip),
        T(test_msr_unknown_raises_gp),
        T(test_exception_is_reflected),
        T(test_virt_insn_raises_ud),
        T(test_triple_fault_ends_the_vm),
        T(test_reason_out_of_range_is_loud),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
