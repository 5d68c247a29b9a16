/* Semantics of emulate_insn() and emulate_translate() on a fake guest: RAM
 * in a buffer, an MMIO range that records every access, and real paging
 * structures built in that RAM. Arithmetic results and flags are checked
 * against the host CPU running the same instruction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hv/emulate/emulate.h"
#include "lib/errno.h"

#define UNUSED __attribute__((unused))
#define RAM_SIZE   (4u << 20)
#define MMIO_GPA   0xfee00000ULL
#define MMIO_SIZE  0x2000u
#define STATUS     (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | \
                    RFLAGS_SF | RFLAGS_OF)

/* ---- The fake guest ---------------------------------------------------- */

struct mmio_access {
    bool write;
    gpa_t gpa;
    unsigned size;
    uint64_t val;
};

static uint8_t *ram;
static uint8_t mmio_mem[MMIO_SIZE];
static struct mmio_access mlog[256];
static unsigned nlog;
static bool fail_phys;

static int f_read_ram(void *ctx UNUSED, gpa_t gpa, void *buf, size_t len)
{
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return -EFAULT;
    memcpy(buf, ram + gpa, len);
    return 0;
}

static int f_write_ram(void *ctx UNUSED, gpa_t gpa, const void *buf,
                       size_t len)
{
    if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return -EFAULT;
    memcpy(ram + gpa, buf, len);
    return 0;
}

static bool is_mmio(gpa_t gpa, unsigned size)
{
    return gpa >= MMIO_GPA && gpa + size <= MMIO_GPA + MMIO_SIZE;
}

static void log_access(bool write, gpa_t gpa, unsigned size, uint64_t val)
{
    assert_true(size == 1 || size == 2 || size == 4 || size == 8);
    /* A phys access never crosses a page (emulate.h). */
    assert_true((gpa & 0xfff) + size <= 0x1000);
    if (nlog < 256)
        mlog[nlog++] = (struct mmio_access){ write, gpa, size, val };
}

static int f_phys_read(void *ctx, gpa_t gpa, unsigned size, uint64_t *val)
{
    *val = 0;
    if (fail_phys)
        return -EIO;
    if (is_mmio(gpa, size)) {
        memcpy(val, mmio_mem + (gpa - MMIO_GPA), size);
        log_access(false, gpa, size, *val);
        return 0;
    }
    assert_true((gpa & 0xfff) + size <= 0x1000);
    return f_read_ram(ctx, gpa, val, size);
}

static int f_phys_write(void *ctx, gpa_t gpa, unsigned size, uint64_t val)
{
    if (fail_phys)
        return -EIO;
    if (is_mmio(gpa, size)) {
        memcpy(mmio_mem + (gpa - MMIO_GPA), &val, size);
        log_access(true, gpa, size, val);
        return 0;
    }
    assert_true((gpa & 0xfff) + size <= 0x1000);
    return f_write_ram(ctx, gpa, &val, size);
}

static struct emu_ops ops = {
    .read_ram = f_read_ram, .write_ram = f_write_ram,
    .phys_read = f_phys_read, .phys_write = f_phys_write,
    .maxphyaddr = 40,
};
static struct vcpu_state st;
static struct emu_result res;

static uint64_t rd64(gpa_t gpa) { uint64_t v; memcpy(&v, ram + gpa, 8); return v; }
static uint32_t rd32(gpa_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }
static void wr64(gpa_t gpa, uint64_t v) { memcpy(ram + gpa, &v, 8); }
static void wr32(gpa_t gpa, uint32_t v) { memcpy(ram + gpa, &v, 4); }

/* ---- 64-bit mode with 4-level paging ----------------------------------- */

#define PML4_GPA 0x1000
#define PDPT_GPA 0x2000
#define PD_GPA   0x3000
#define PT_GPA   0x4000
#define PTE_P  1ULL
#define PTE_W  2ULL
#define PTE_U  4ULL
#define PTE_A  0x20ULL
#define PTE_D  0x40ULL
#define PTE_NX (1ULL << 63)

/* Pages of the 2-MiB region at 0x200000 (PT index -> VA). */
#define VA(i)     (0x200000ULL + (i) * 0x1000ULL)
#define P_CODE    0   /* GPA 0x10000 */
#define P_CODE2   1   /* GPA 0x11000 */
#define P_DATA_A  2   /* GPA 0x20000 */
#define P_DATA_B  3   /* GPA 0x30000: not after A in GPA space */
#define P_MMIO0   4
#define P_MMIO1   5
#define P_ABSENT  6
#define P_RO      7   /* GPA 0x22000 */
#define P_USER    8   /* GPA 0x23000 */
#define P_NX      9   /* GPA 0x24000 */
#define P_UCODE   10  /* GPA 0x25000 */

static void map_page(unsigned idx, gpa_t gpa, uint64_t flags)
{
    wr64(PT_GPA + idx * 8, gpa | flags);
}

static void reset_ram(void)
{
    memset(ram, 0, RAM_SIZE);
    memset(mmio_mem, 0, sizeof(mmio_mem));
    memset(&res, 0, sizeof(res));
    nlog = 0;
    fail_phys = false;
}

static void setup64(void)
{
    reset_ram();
    memset(&st, 0, sizeof(st));
    wr64(PML4_GPA, PDPT_GPA | PTE_P | PTE_W | PTE_U);
    wr64(PDPT_GPA, PD_GPA | PTE_P | PTE_W | PTE_U);
    wr64(PD_GPA + 8, PT_GPA | PTE_P | PTE_W | PTE_U);
    map_page(P_CODE, 0x10000, PTE_P | PTE_W);
    map_page(P_CODE2, 0x11000, PTE_P | PTE_W);
    map_page(P_DATA_A, 0x20000, PTE_P | PTE_W);
    map_page(P_DATA_B, 0x30000, PTE_P | PTE_W);
    map_page(P_MMIO0, MMIO_GPA, PTE_P | PTE_W | PTE_NX);
    map_page(P_MMIO1, MMIO_GPA + 0x1000, PTE_P | PTE_W | PTE_NX);
    map_page(P_RO, 0x22000, PTE_P);
    map_page(P_USER, 0x23000, PTE_P | PTE_W | PTE_U);
    map_page(P_NX, 0x24000, PTE_P | PTE_W | PTE_NX);
    map_page(P_UCODE, 0x25000, PTE_P | PTE_U);
    st.cr0 = CR0_PE | CR0_PG | CR0_WP;
    st.cr4 = CR4_PAE;
    st.cr3 = PML4_GPA;
    st.efer = EFER_LME | EFER_LMA | EFER_NXE;
    st.seg[SEG_CS].attr = 0x9b | SEG_ATTR_L;
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS)
            st.seg[s].attr = 0x93;
    st.rflags = RFLAGS_FIXED;
    st.rip = VA(P_CODE);
}

/* Put code at the current RIP (page P_CODE) and run one instruction. */
static enum emu_status run(const void *code, size_t n)
{
    memcpy(ram + 0x10000 + (st.rip - VA(P_CODE)), code, n);
    return emulate_insn(&st, &ops, &res);
}

#define RUN(...) run((const uint8_t[]){ __VA_ARGS__ }, \
                     sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void expect_mmio(unsigned i, bool write, gpa_t gpa, unsigned size,
                        uint64_t val)
{
    assert_true(i < nlog);
    assert_int_equal(mlog[i].write, write);
    assert_int_equal(mlog[i].gpa, gpa);
    assert_int_equal(mlog[i].size, size);
    assert_int_equal(mlog[i].val, val);
}

static void expect_fault(uint8_t vector, uint32_t ec, uint64_t cr2)
{
    assert_int_equal(res.status, EMU_FAULT);
    assert_int_equal(res.fault.vector, vector);
    assert_int_equal(res.fault.error_code, ec);
    if (vector == 14)
        assert_int_equal(res.fault.cr2, cr2);
}

static void test_mov_store_mmio(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RAX] = VA(P_MMIO0) + 0x300;
    st.gpr[GPR_RBX] = 0x1122334412345678ULL;
    assert_int_equal(RUN(0x89, 0x18), EMU_OK);           /* mov [rax],ebx */
    assert_int_equal(res.len, 2);
    assert_int_equal(st.rip, VA(P_CODE) + 2);
    assert_int_equal(nlog, 1);
    expect_mmio(0, true, MMIO_GPA + 0x300, 4, 0x12345678);

    nlog = 0;
    assert_int_equal(RUN(0x48, 0x89, 0x18), EMU_OK);     /* mov [rax],rbx */
    expect_mmio(0, true, MMIO_GPA + 0x300, 8, 0x1122334412345678ULL);
    nlog = 0;
    assert_int_equal(RUN(0x66, 0x89, 0x58, 0x10), EMU_OK); /* mov [rax+16],bx */
    expect_mmio(0, true, MMIO_GPA + 0x310, 2, 0x5678);
    nlog = 0;
    assert_int_equal(RUN(0x88, 0x78, 0xf0), EMU_OK);     /* mov [rax-16],bh */
    expect_mmio(0, true, MMIO_GPA + 0x2f0, 1, 0x56);
    nlog = 0;
    st.gpr[GPR_RSI] = 0xab;
    assert_int_equal(RUN(0x40, 0x88, 0x30), EMU_OK);     /* mov [rax],sil */
    expect_mmio(0, true, MMIO_GPA + 0x300, 1, 0xab);
    /* SIB with index and scale, and a 32-bit displacement. */
    nlog = 0;
    st.gpr[GPR_RCX] = 4;
    assert_int_equal(RUN(0x89, 0x9c, 0x88, 0x00, 0x01, 0x00, 0x00), EMU_OK);
    expect_mmio(0, true, MMIO_GPA + 0x300 + 16 + 0x100, 4, 0x12345678);
    assert_int_equal(res.len, 7);
}

static void test_mov_load_mmio(void **state UNUSED)
{
    setup64();
    memcpy(mmio_mem + 0x20, "\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 8);
    /* mov eax,[rip+disp32]: the target counts from the next instruction. */
    int32_t disp = (int32_t)(VA(P_MMIO0) + 0x20 - (VA(P_CODE) + 6));
    uint8_t c[6] = { 0x8b, 0x05 };
    memcpy(c + 2, &disp, 4);
    st.gpr[GPR_RAX] = ~0ULL;
    assert_int_equal(run(c, 6), EMU_OK);
    assert_int_equal(st.gpr[GPR_RAX], 0xbbaa9988ULL); /* zero-extended */
    expect_mmio(0, false, MMIO_GPA + 0x20, 4, 0xbbaa9988ULL);

    st.gpr[GPR_RBX] = VA(P_MMIO0) + 0x20;
    st.gpr[GPR_RAX] = 0x1111111111111111ULL;
    assert_int_equal(RUN(0x8a, 0x23), EMU_OK);           /* mov ah,[rbx] */
    assert_int_equal(st.gpr[GPR_RAX], 0x1111111111118811ULL);
    assert_int_equal(RUN(0x66, 0x8b, 0x03), EMU_OK);     /* mov ax,[rbx] */
    assert_int_equal(st.gpr[GPR_RAX], 0x1111111111119988ULL);
    st.gpr[GPR_R9] = ~0ULL;
    assert_int_equal(RUN(0x44, 0x8a, 0x0b), EMU_OK);     /* mov r9b,[rbx] */
    assert_int_equal(st.gpr[GPR_R9], 0xffffffffffffff88ULL);
    assert_int_equal(RUN(0x0f, 0xb6, 0x03), EMU_OK);     /* movzx eax,byte */
    assert_int_equal(st.gpr[GPR_RAX], 0x88);
    assert_int_equal(RUN(0x48, 0x0f, 0xbf, 0x03), EMU_OK); /* movsx rax,word */
    assert_int_equal(st.gpr[GPR_RAX], 0xffffffffffff9988ULL);
    assert_int_equal(RUN(0x66, 0x0f, 0xbe, 0x03), EMU_OK); /* movsx ax,byte */
    assert_int_equal(st.gpr[GPR_RAX], 0xffffffffffffff88ULL);
    assert_int_equal(RUN(0x0f, 0xb7, 0x03), EMU_OK);     /* movzx eax,word */
    assert_int_equal(st.gpr[GPR_RAX], 0x9988);
    assert_int_equal(RUN(0x48, 0x63, 0x03), EMU_OK);     /* movsxd rax,dword */
    assert_int_equal(st.gpr[GPR_RAX], 0xffffffffbbaa9988ULL);
    assert_int_equal(RUN(0x4c, 0x8b, 0x3b), EMU_OK);     /* mov r15,[rbx] */
    assert_int_equal(st.gpr[GPR_R15], 0xffeeddccbbaa9988ULL);
}

static void test_mov_imm_moffs_movnti(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_MMIO0);
    assert_int_equal(RUN(0xc7, 0x03, 0xef, 0xbe, 0xad, 0xde), EMU_OK);
    expect_mmio(0, true, MMIO_GPA, 4, 0xdeadbeef);
    assert_int_equal(RUN(0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff), EMU_OK);
    expect_mmio(1, true, MMIO_GPA, 8, ~0ULL);      /* Iz sign-extended */
    assert_int_equal(RUN(0xc6, 0x43, 0x08, 0x5a), EMU_OK);
    expect_mmio(2, true, MMIO_GPA + 8, 1, 0x5a);
    assert_int_equal(RUN(0x66, 0xc7, 0x43, 0x0a, 0x34, 0x12), EMU_OK);
    expect_mmio(3, true, MMIO_GPA + 10, 2, 0x1234);

    /* A1: mov eax,[moffs64]; A2 with 67: mov [moffs32],al. */
    uint8_t c[10] = { 0xa1 };
    uint64_t a = VA(P_MMIO0) + 8;
    memcpy(c + 1, &a, 8);
    assert_int_equal(run(c, 9), EMU_OK);
    assert_int_equal(res.len, 9);
    assert_int_equal(st.gpr[GPR_RAX], 0x1234005a);
    uint8_t d[6] = { 0x67, 0xa2 };
    uint32_t a32 = (uint32_t)VA(P_MMIO0) + 0x40;
    memcpy(d + 2, &a32, 4);
    assert_int_equal(run(d, 6), EMU_OK);
    expect_mmio(nlog - 1, true, MMIO_GPA + 0x40, 1, 0x5a);

    /* MOVNTI [rbx+0x40], rcx; the register form is #UD. */
    st.gpr[GPR_RCX] = 0x0102030405060708ULL;
    assert_int_equal(RUN(0x48, 0x0f, 0xc3, 0x4b, 0x40), EMU_OK);
    expect_mmio(nlog - 1, true, MMIO_GPA + 0x40, 8,
                0x0102030405060708ULL);
    assert_int_equal(RUN(0x0f, 0xc3, 0xc8), EMU_FAULT);
    assert_int_equal(res.fault.vector, 6);
}

/* ---- Flags against the host CPU ---------------------------------------- */

enum top { T_ADD, T_OR, T_ADC, T_SBB, T_AND, T_SUB, T_XOR, T_CMP, T_TEST,
           T_INC, T_DEC, T_NEG, T_NOT, T_COUNT };

/* Run `mn` on the host with operands of type T and the given input flags;
 * the stack is moved past the red zone before pushfq. */
#define HOST2(mn, T, cons)                                                   \
    do {                                                                     \
        T d_ = (T)a, s_ = (T)b;                                              \
        asm volatile("sub $128, %%rsp\n\tpush %[fin]\n\tpopfq\n\t"           \
                     mn " %[s], %[d]\n\tpushfq\n\tpop %[fl]\n\t"             \
                     "add $128, %%rsp"                                       \
                     : [d] "+" cons(d_), [fl] "=&r"(fl)                      \
                     : [s] cons(s_), [fin] "r"(fin) : "cc", "memory");       \
        r = (uint64_t)d_;                                                    \
    } while (0)
#define HOST1(mn, T, cons)                                                   \
    do {                                                                     \
        T d_ = (T)a;                                                         \
        asm volatile("sub $128, %%rsp\n\tpush %[fin]\n\tpopfq\n\t"           \
                     mn " %[d]\n\tpushfq\n\tpop %[fl]\n\tadd $128, %%rsp"    \
                     : [d] "+" cons(d_), [fl] "=&r"(fl)                      \
                     : [fin] "r"(fin) : "cc", "memory");                     \
        r = (uint64_t)d_;                                                    \
    } while (0)
#define HOST_SIZES(KIND, mn)                                                 \
    switch (size) {                                                          \
    case 1: KIND(mn, uint8_t, "q"); break;                                   \
    case 2: KIND(mn, uint16_t, "r"); break;                                  \
    case 4: KIND(mn, uint32_t, "r"); break;                                  \
    default: KIND(mn, uint64_t, "r"); break;                                 \
    }

static uint64_t host_op(enum top op, unsigned size, uint64_t a, uint64_t b,
                        uint64_t fin, uint64_t *flags)
{
    uint64_t r = 0, fl = 0;

    switch (op) {
    case T_ADD: HOST_SIZES(HOST2, "add"); break;
    case T_OR:  HOST_SIZES(HOST2, "or"); break;
    case T_ADC: HOST_SIZES(HOST2, "adc"); break;
    case T_SBB: HOST_SIZES(HOST2, "sbb"); break;
    case T_AND: HOST_SIZES(HOST2, "and"); break;
    case T_SUB: HOST_SIZES(HOST2, "sub"); break;
    case T_XOR: HOST_SIZES(HOST2, "xor"); break;
    case T_CMP: HOST_SIZES(HOST2, "cmp"); break;
    case T_TEST: HOST_SIZES(HOST2, "test"); break;
    case T_INC: HOST_SIZES(HOST1, "inc"); break;
    case T_DEC: HOST_SIZES(HOST1, "dec"); break;
    case T_NEG: HOST_SIZES(HOST1, "neg"); break;
    default:    HOST_SIZES(HOST1, "not"); break;
    }
    *flags = fl;
    return r;
}

/* The emulated form `op [rbx], ecx` (or the one-operand form) of size. */
static size_t encode_op(enum top op, unsigned size, uint8_t *c)
{
    size_t n = 0;
    bool byte = size == 1;

    if (size == 2)
        c[n++] = 0x66;
    if (size == 8)
        c[n++] = 0x48;
    if (op <= T_CMP) {
        c[n++] = (uint8_t)((op << 3) | (byte ? 0 : 1));
        c[n++] = 0x0b;                         /* [rbx], rcx/ecx/cx/cl */
    } else if (op == T_TEST) {
        c[n++] = byte ? 0x84 : 0x85;
        c[n++] = 0x0b;
    } else if (op == T_INC || op == T_DEC) {
        c[n++] = byte ? 0xfe : 0xff;
        c[n++] = op == T_INC ? 0x03 : 0x0b;
    } else {
        c[n++] = byte ? 0xf6 : 0xf7;
        c[n++] = op == T_NEG ? 0x1b : 0x13;
    }
    return n;
}

static void test_alu_flags_vs_host(void **state UNUSED)
{
    static const uint64_t vals[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x0f, 0x10,
        0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
        0x8000000000000000ULL, ~0ULL, 0x123456789abcdef0ULL, 0x5555aaaa,
    };
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    unsigned checked = 0;

    setup64();
    for (int op = 0; op < T_COUNT; op++)
    for (size_t si = 0; si < 4; si++)
    for (size_t i = 0; i < ARRAY_SIZE(vals); i++)
    for (size_t j = 0; j < ARRAY_SIZE(vals); j++)
    for (int cf = 0; cf < 2; cf++) {
        unsigned size = sizes[si];
        uint64_t a = vals[i], b = vals[j], hflags, fin;
        uint64_t mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
        uint8_t c[8];
        size_t n;

        if (op > T_TEST && j > 0)
            continue;
        /* Input flags: CF as chosen, the others set, so that "unchanged"
         * and "cleared" can be told apart. */
        fin = RFLAGS_FIXED | (cf ? RFLAGS_CF : 0) | RFLAGS_PF |
              RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF | RFLAGS_AF;
        uint64_t hr = host_op((enum top)op, size, a, b, fin, &hflags);

        st.rip = VA(P_CODE);
        st.rflags = fin;
        st.gpr[GPR_RBX] = VA(P_MMIO0) + 0x40;
        st.gpr[GPR_RCX] = b;
        memcpy(mmio_mem + 0x40, &a, 8);
        n = encode_op((enum top)op, size, c);
        nlog = 0;
        assert_int_equal(run(c, n), EMU_OK);
        uint64_t mem;
        memcpy(&mem, mmio_mem + 0x40, 8);
        uint64_t want = (op == T_CMP || op == T_TEST) ? a :
                        (a & ~mask) | (hr & mask);
        if (mem != want || (st.rflags & STATUS) != (hflags & STATUS)) {
            printf("op %d size %u a %#llx b %#llx cf %d: mem %#llx want "
                   "%#llx flags %#llx want %#llx\n", op, size,
                   (unsigned long long)a, (unsigned long long)b, cf,
                   (unsigned long long)mem, (unsigned long long)want,
                   (unsigned long long)(st.rflags & STATUS),
                   (unsigned long long)(hflags & STATUS));
            fail();
        }
        assert_int_equal(st.rip, VA(P_CODE) + n);
        checked++;
    }
    printf("ALU/flags: %u cases match the host CPU\n", checked);
}

/* Register-destination forms and the accumulator/immediate forms. */
static void test_alu_forms(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_MMIO0);
    memcpy(mmio_mem, "\x10\x00\x00\x00\x00\x00\x00\x80", 8);
    st.gpr[GPR_RAX] = 0xffffffff00000005ULL;
    assert_int_equal(RUN(0x03, 0x03), EMU_OK);        /* add eax,[rbx] */
    assert_int_equal(st.gpr[GPR_RAX], 0x15);          /* zero-extended */
    assert_int_equal(RUN(0x2b, 0x03), EMU_OK);        /* sub eax,[rbx] */
    assert_int_equal(st.gpr[GPR_RAX], 5);
    assert_int_equal(RUN(0x3a, 0x03), EMU_OK);        /* cmp al,[rbx] */
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(RUN(0x83, 0x03, 0xff), EMU_OK);  /* add dword [rbx],-1 */
    assert_int_equal(mmio_mem[0], 0x0f);
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(RUN(0x81, 0x7b, 0x04, 0x00, 0x00, 0x00, 0x80), EMU_OK);
    assert_true(st.rflags & RFLAGS_ZF);               /* cmp [rbx+4],imm */
    assert_int_equal(RUN(0x80, 0x0b, 0xf0), EMU_OK);  /* or byte [rbx],f0 */
    assert_int_equal(mmio_mem[0], 0xff);
    assert_true(st.rflags & RFLAGS_SF);
    assert_int_equal(RUN(0xf6, 0x03, 0x01), EMU_OK);  /* test byte,1 */
    assert_false(st.rflags & RFLAGS_ZF);
    assert_int_equal(RUN(0xf7, 0x03, 0x00, 0x01, 0x00, 0x00), EMU_OK);
    assert_true(st.rflags & RFLAGS_ZF);               /* test dword,0x100 */
    /* XCHG [rbx],ecx: memory gets ecx, ecx gets memory. */
    st.gpr[GPR_RCX] = 0xffffffff12345678ULL;
    assert_int_equal(RUN(0x87, 0x0b), EMU_OK);
    assert_int_equal(st.gpr[GPR_RCX], 0x000000ff);
    expect_mmio(nlog - 1, true, MMIO_GPA, 4, 0x12345678);
    /* LOCK on a read-modify-write form is fine; on MOV it is #UD. */
    assert_int_equal(RUN(0xf0, 0x01, 0x0b), EMU_OK);
    assert_int_equal(RUN(0xf0, 0x89, 0x0b), EMU_FAULT);
    assert_int_equal(res.fault.vector, 6);
    assert_int_equal(res.fault.has_error, false);
    assert_int_equal(RUN(0xf0, 0x01, 0xc8), EMU_FAULT); /* lock add eax,ecx */
}

static void test_bit_ops(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_MMIO0) + 0x100;
    st.gpr[GPR_RAX] = 35;                          /* dword at +4, bit 3 */
    assert_int_equal(RUN(0x0f, 0xab, 0x03), EMU_OK);   /* bts [rbx],eax */
    assert_false(st.rflags & RFLAGS_CF);
    expect_mmio(1, true, MMIO_GPA + 0x104, 4, 0x8);
    assert_int_equal(RUN(0x0f, 0xa3, 0x03), EMU_OK);   /* bt */
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(RUN(0x0f, 0xbb, 0x03), EMU_OK);   /* btc */
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(mmio_mem[0x104], 0);
    st.gpr[GPR_RAX] = (uint64_t)-1;                /* dword at -4, bit 31 */
    nlog = 0;
    assert_int_equal(RUN(0x0f, 0xab, 0x03), EMU_OK);
    expect_mmio(1, true, MMIO_GPA + 0xfc, 4, 0x80000000);
    assert_int_equal(RUN(0x0f, 0xb3, 0x03), EMU_OK);   /* btr */
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(mmio_mem[0xff], 0);
    /* 0F BA /5 ib: bts dword [rbx], 33 -> bit 1 of the same dword. */
    assert_int_equal(RUN(0x0f, 0xba, 0x2b, 33), EMU_OK);
    assert_int_equal(mmio_mem[0x100], 2);
    assert_int_equal(RUN(0x48, 0x0f, 0xba, 0x23, 1), EMU_OK); /* bt qword,1 */
    assert_true(st.rflags & RFLAGS_CF);
    assert_int_equal(RUN(0x0f, 0xba, 0x03, 1), EMU_FAULT);    /* /0: #UD */
}

static void test_string_ops(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RDI] = VA(P_MMIO0) + 0x10;
    st.gpr[GPR_RCX] = 4;
    st.gpr[GPR_RAX] = 0xabcd1234;
    assert_int_equal(RUN(0xf3, 0xab), EMU_OK);         /* rep stosd */
    assert_int_equal(nlog, 4);
    for (unsigned i = 0; i < 4; i++)
        expect_mmio(i, true, MMIO_GPA + 0x10 + 4 * i, 4, 0xabcd1234);
    assert_int_equal(st.gpr[GPR_RCX], 0);
    assert_int_equal(st.gpr[GPR_RDI], VA(P_MMIO0) + 0x20);
    assert_int_equal(st.rip, VA(P_CODE) + 2);

    /* DF = 1: descending. */
    nlog = 0;
    st.rflags |= RFLAGS_DF;
    st.gpr[GPR_RCX] = 2;
    assert_int_equal(RUN(0xf3, 0x66, 0xab), EMU_OK);   /* rep stosw */
    expect_mmio(0, true, MMIO_GPA + 0x20, 2, 0x1234);
    expect_mmio(1, true, MMIO_GPA + 0x1e, 2, 0x1234);
    assert_int_equal(st.gpr[GPR_RDI], VA(P_MMIO0) + 0x1c);
    st.rflags &= ~RFLAGS_DF;

    /* rep movsb RAM -> MMIO. */
    nlog = 0;
    memcpy(ram + 0x20000, "keel!", 5);
    st.gpr[GPR_RSI] = VA(P_DATA_A);
    st.gpr[GPR_RDI] = VA(P_MMIO1);
    st.gpr[GPR_RCX] = 5;
    assert_int_equal(RUN(0xf3, 0xa4), EMU_OK);
    assert_int_equal(nlog, 5);
    assert_memory_equal(mmio_mem + 0x1000, "keel!", 5);
    assert_int_equal(st.gpr[GPR_RSI], VA(P_DATA_A) + 5);

    /* lodsd from MMIO; no REP. */
    st.gpr[GPR_RSI] = VA(P_MMIO0) + 0x10;
    assert_int_equal(RUN(0xad), EMU_OK);
    assert_int_equal(st.gpr[GPR_RAX], 0xabcd1234);
    assert_int_equal(st.gpr[GPR_RSI], VA(P_MMIO0) + 0x14);

    /* REP with rCX = 0 does nothing but advance RIP. */
    nlog = 0;
    st.gpr[GPR_RCX] = 0;
    uint64_t rip = st.rip;
    assert_int_equal(RUN(0xf3, 0xaa), EMU_OK);
    assert_int_equal(nlog, 0);
    assert_int_equal(st.rip, rip + 2);

    /* A fault in the middle keeps the finished iterations and RIP. */
    st.rip = VA(P_CODE);
    st.gpr[GPR_RDI] = VA(P_ABSENT) - 2;
    st.gpr[GPR_RCX] = 3;
    assert_int_equal(RUN(0xf3, 0xaa), EMU_FAULT);      /* rep stosb */
    expect_fault(14, 2, VA(P_ABSENT));
    assert_int_equal(st.gpr[GPR_RCX], 1);
    assert_int_equal(st.gpr[GPR_RDI], VA(P_ABSENT));
    assert_int_equal(st.rip, VA(P_CODE));
}

/* The forms whose values test_emulate_host.c checks against the host CPU,
 * here for what the host cannot show: LOCK rules, #DE as a fault, the REP
 * batch of CMPS, segment overrides, and INS/OUTS without a port bus. */
static void test_muldiv_cmpxchg_cmps_forms(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_MMIO0);
    st.gpr[GPR_RAX] = 5;
    st.gpr[GPR_RCX] = 9;
    assert_int_equal(RUN(0xf0, 0x0f, 0xb1, 0x0b), EMU_OK); /* lock cmpxchg */
    assert_int_equal(RUN(0xf0, 0x0f, 0xb1, 0xc9), EMU_FAULT); /* reg: #UD */
    assert_int_equal(res.fault.vector, 6);
    assert_int_equal(RUN(0xf0, 0x0f, 0xc1, 0x0b), EMU_OK); /* lock xadd */
    assert_int_equal(RUN(0xf0, 0xf7, 0x33), EMU_FAULT);    /* lock div: #UD */
    assert_int_equal(res.fault.vector, 6);

    /* DIV by a zero register in MMIO: #DE, nothing changes. */
    memset(mmio_mem, 0, 8);
    st.gpr[GPR_RAX] = 7;
    uint64_t rip = st.rip;
    assert_int_equal(RUN(0x48, 0xf7, 0x33), EMU_FAULT);
    expect_fault(0, 0, 0);
    assert_false(res.fault.has_error);
    assert_int_equal(st.rip, rip);
    assert_int_equal(st.gpr[GPR_RAX], 7);

    /* REPE CMPSB over equal buffers with a huge count: one batch, rCX and
     * the pointers advanced, RIP left on the instruction. */
    st.gpr[GPR_RSI] = VA(P_DATA_A);
    st.gpr[GPR_RDI] = VA(P_MMIO0);
    st.gpr[GPR_RCX] = 1ULL << 40;
    nlog = 0;
    assert_int_equal(RUN(0xf3, 0xa6), EMU_OK);
    assert_int_equal(st.gpr[GPR_RCX], (1ULL << 40) - 4096);
    assert_int_equal(st.gpr[GPR_RSI], VA(P_DATA_A) + 4096);
    assert_int_equal(st.rip, rip);
    assert_true(st.rflags & RFLAGS_ZF);
    /* REPNE SCASB finds AL at the third byte and ends with RIP past it. */
    mmio_mem[0x102] = 0x42;
    st.gpr[GPR_RAX] = 0x42;
    st.gpr[GPR_RDI] = VA(P_MMIO0) + 0x100;
    st.gpr[GPR_RCX] = 100;
    assert_int_equal(RUN(0xf2, 0xae), EMU_OK);
    assert_int_equal(st.gpr[GPR_RCX], 97);
    assert_int_equal(st.gpr[GPR_RDI], VA(P_MMIO0) + 0x103);
    assert_int_equal(st.rip, rip + 2);
    /* CMPSD with an FS override takes its source from FS:rSI. */
    st.rip = rip;
    st.seg[SEG_FS].base = 0x1000;
    st.gpr[GPR_RSI] = VA(P_DATA_A) - 0x1000;
    st.gpr[GPR_RDI] = VA(P_MMIO0) + 0x100;
    memcpy(ram + 0x20000, "\x00\x00\x42\x00", 4);
    assert_int_equal(RUN(0x64, 0xa7), EMU_OK);
    assert_true(st.rflags & RFLAGS_ZF);

    /* INS/OUTS need the port bus only the port-I/O exit supplies. */
    st.rip = rip;
    assert_int_equal(RUN(0x6c), EMU_UNHANDLED);
    assert_int_equal(RUN(0xf3, 0x6f), EMU_UNHANDLED);
    /* SETcc to MMIO: setne byte [rbx+1] with ZF set stores 0. */
    mmio_mem[1] = 0xff;
    assert_int_equal(RUN(0x0f, 0x95, 0x43, 0x01), EMU_OK);
    assert_int_equal(mmio_mem[1], 0);
}

static void test_straddle(void **state UNUSED)
{
    setup64();
    /* RAM page A -> RAM page B, which are 64 KiB apart in GPA space. */
    st.gpr[GPR_RBX] = VA(P_DATA_B) - 2;
    st.gpr[GPR_RAX] = 0x44332211;
    assert_int_equal(RUN(0x89, 0x03), EMU_OK);
    assert_int_equal(ram[0x20ffe], 0x11);
    assert_int_equal(ram[0x20fff], 0x22);
    assert_int_equal(ram[0x30000], 0x33);
    assert_int_equal(ram[0x30001], 0x44);
    st.gpr[GPR_RAX] = 0;
    assert_int_equal(RUN(0x8b, 0x03), EMU_OK);
    assert_int_equal(st.gpr[GPR_RAX], 0x44332211);

    /* Across the two MMIO pages: 8 bytes at +0xffd -> 3 + 5 bytes, sent as
     * 2+1 and 4+1 accesses. */
    nlog = 0;
    st.gpr[GPR_RBX] = VA(P_MMIO1) - 3;
    st.gpr[GPR_RAX] = 0x8877665544332211ULL;
    assert_int_equal(RUN(0x48, 0x89, 0x03), EMU_OK);
    assert_int_equal(nlog, 4);
    expect_mmio(0, true, MMIO_GPA + 0xffd, 2, 0x2211);
    expect_mmio(1, true, MMIO_GPA + 0xfff, 1, 0x33);
    expect_mmio(2, true, MMIO_GPA + 0x1000, 4, 0x77665544);
    expect_mmio(3, true, MMIO_GPA + 0x1004, 1, 0x88);

    /* Second page absent: #PF for it, nothing written to the first (an
     * MMIO page). */
    nlog = 0;
    st.rip = VA(P_CODE);
    st.gpr[GPR_RBX] = VA(P_ABSENT) - 2;
    assert_int_equal(RUN(0x89, 0x03), EMU_FAULT);
    expect_fault(14, 2, VA(P_ABSENT));
    assert_int_equal(nlog, 0);
    assert_int_equal(st.rip, VA(P_CODE));
}

static void test_page_faults(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RAX] = 0x55;
    /* Not present: read, write. */
    st.gpr[GPR_RBX] = VA(P_ABSENT) + 0x10;
    assert_int_equal(RUN(0x8b, 0x03), EMU_FAULT);
    expect_fault(14, 0, VA(P_ABSENT) + 0x10);
    assert_int_equal(st.gpr[GPR_RAX], 0x55);
    assert_int_equal(st.rip, VA(P_CODE));
    assert_int_equal(RUN(0x89, 0x03), EMU_FAULT);
    expect_fault(14, 2, VA(P_ABSENT) + 0x10);

    /* Write-protect: supervisor write to a read-only page with CR0.WP. */
    st.gpr[GPR_RBX] = VA(P_RO);
    assert_int_equal(RUN(0x89, 0x03), EMU_FAULT);
    expect_fault(14, 3, VA(P_RO));
    /* A read-modify-write faults as a write even if it only reads first. */
    assert_int_equal(RUN(0x01, 0x03), EMU_FAULT);
    expect_fault(14, 3, VA(P_RO));
    assert_int_equal(RUN(0x39, 0x03), EMU_OK);          /* cmp: read only */
    st.cr0 &= ~CR0_WP;
    assert_int_equal(RUN(0x89, 0x03), EMU_OK);
    assert_int_equal(ram[0x22000], 0x55);
    st.cr0 |= CR0_WP;

    /* SMAP: supervisor data access to a user page, unless RFLAGS.AC. */
    st.cr4 |= CR4_SMAP;
    st.gpr[GPR_RBX] = VA(P_USER);
    assert_int_equal(RUN(0x8b, 0x03), EMU_FAULT);
    expect_fault(14, 1, VA(P_USER));
    st.rflags |= 1ULL << 18;
    assert_int_equal(RUN(0x8b, 0x03), EMU_OK);
    st.rflags &= ~(1ULL << 18);
    st.cr4 &= ~CR4_SMAP;

    /* User mode (CPL 3 from SS.DPL): a supervisor page is a protection
     * fault with U/S set; not present gives U/S|W. */
    st.rip = VA(P_UCODE);
    memcpy(ram + 0x25000, "\x89\x03", 2);
    st.seg[SEG_SS].attr = 0x93 | (3 << 5);
    st.seg[SEG_CS].attr = 0x9b | SEG_ATTR_L | (3 << 5);
    st.gpr[GPR_RBX] = VA(P_DATA_A);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 7, VA(P_DATA_A));
    st.gpr[GPR_RBX] = VA(P_ABSENT);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 6, VA(P_ABSENT));
    st.gpr[GPR_RBX] = VA(P_USER);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_OK);
    /* User code cannot run from a supervisor page. */
    st.rip = VA(P_CODE);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 0x15, VA(P_CODE));
    st.seg[SEG_SS].attr = 0x93;
    st.seg[SEG_CS].attr = 0x9b | SEG_ATTR_L;

    /* SMEP: supervisor fetch from a user page. */
    st.cr4 |= CR4_SMEP;
    st.rip = VA(P_UCODE);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 0x11, VA(P_UCODE));
    st.cr4 &= ~CR4_SMEP;

    /* NX: fetch from a no-execute page (I/D set: PAE and NXE). */
    st.rip = VA(P_NX);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 0x11, VA(P_NX));

    /* Reserved bit: bit 45 is above MAXPHYADDR (40). */
    st.rip = VA(P_CODE);
    map_page(P_DATA_A, 0x20000 | (1ULL << 45), PTE_P | PTE_W);
    st.gpr[GPR_RBX] = VA(P_DATA_A);
    assert_int_equal(RUN(0x8b, 0x03), EMU_FAULT);
    expect_fault(14, 9, VA(P_DATA_A));
    /* NX bit with EFER.NXE = 0 is reserved too. */
    map_page(P_DATA_A, 0x20000, PTE_P | PTE_W | PTE_NX);
    st.efer &= ~EFER_NXE;
    assert_int_equal(RUN(0x89, 0x03), EMU_FAULT);
    expect_fault(14, 0xb, VA(P_DATA_A));
}

static void test_accessed_dirty(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_DATA_B);
    assert_int_equal(RUN(0x8b, 0x03), EMU_OK);
    assert_true(rd64(PT_GPA + 8 * P_DATA_B) & PTE_A);
    assert_false(rd64(PT_GPA + 8 * P_DATA_B) & PTE_D);
    assert_true(rd64(PD_GPA + 8) & PTE_A);
    assert_true(rd64(PML4_GPA) & PTE_A);
    assert_int_equal(RUN(0x89, 0x03), EMU_OK);
    assert_true(rd64(PT_GPA + 8 * P_DATA_B) & PTE_D);
    assert_false(rd64(PD_GPA + 8) & PTE_D);
    assert_true(rd64(PT_GPA + 8 * P_CODE) & PTE_A);  /* the fetch */
}

static void test_canonical_and_segments64(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = 0x0000800000000000ULL;
    assert_int_equal(RUN(0x8b, 0x03), EMU_FAULT);
    expect_fault(13, 0, 0);
    st.gpr[GPR_RBP] = 0x0000800000000000ULL;
    assert_int_equal(RUN(0x8b, 0x45, 0x00), EMU_FAULT);  /* [rbp]: SS */
    expect_fault(12, 0, 0);
    /* FS base applies in 64-bit mode; DS base does not. */
    st.seg[SEG_FS].base = VA(P_MMIO0);
    st.seg[SEG_DS].base = 0x1000;
    st.gpr[GPR_RBX] = 0x80;
    st.gpr[GPR_RAX] = 7;
    assert_int_equal(RUN(0x64, 0x89, 0x03), EMU_OK);
    expect_mmio(0, true, MMIO_GPA + 0x80, 4, 7);
    st.gpr[GPR_RBX] = VA(P_MMIO0) + 0x90;
    assert_int_equal(RUN(0x3e, 0x89, 0x03), EMU_OK);
    expect_mmio(1, true, MMIO_GPA + 0x90, 4, 7);
}

static void test_fetch_across_pages(void **state UNUSED)
{
    setup64();
    /* mov eax,[rbx] at the last byte of the code page continues on the
     * next page. */
    st.gpr[GPR_RBX] = VA(P_MMIO0);
    st.rip = VA(P_CODE) + 0xfff;
    ram[0x10fff] = 0x8b;
    ram[0x11000] = 0x03;
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_OK);
    assert_int_equal(st.rip, VA(P_CODE2) + 1);
    /* With the second page absent: #PF on it, as a fetch. */
    map_page(P_CODE2, 0, 0);
    st.rip = VA(P_CODE) + 0xfff;
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 0x10, VA(P_CODE2));
    /* An instruction that ends at the page end needs no second page. */
    st.rip = VA(P_CODE) + 0xffe;
    ram[0x10ffe] = 0x8b;
    ram[0x10fff] = 0x03;
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_OK);
}

static void test_unhandled_and_lengths(void **state UNUSED)
{
    setup64();
    st.gpr[GPR_RBX] = VA(P_MMIO0);
    assert_int_equal(RUN(0x0f, 0x10, 0x03), EMU_UNHANDLED);     /* movups */
    assert_true(res.nbytes >= 3);
    assert_memory_equal(res.bytes, "\x0f\x10\x03", 3);
    assert_int_equal(res.len, 3);
    assert_int_equal(st.rip, VA(P_CODE));
    assert_int_equal(RUN(0xff, 0x33), EMU_UNHANDLED);           /* push [rbx] */
    assert_int_equal(RUN(0xc5, 0xf8, 0x10, 0x03), EMU_UNHANDLED); /* vmovups */
    assert_int_equal(RUN(0x06), EMU_UNHANDLED);                 /* invalid */

    /* A failing device callback is EMU_ERROR. */
    fail_phys = true;
    assert_int_equal(RUN(0x89, 0x03), EMU_ERROR);
    fail_phys = false;

    static const struct { uint8_t b[4]; int len; } lens[] = {
        { { 0x0f, 0xa2 }, 2 },             /* CPUID */
        { { 0x0f, 0x32 }, 2 },             /* RDMSR */
        { { 0x0f, 0x30 }, 2 },             /* WRMSR */
        { { 0xf4 }, 1 },                   /* HLT */
        { { 0x0f, 0x01, 0xd9 }, 3 },       /* VMMCALL */
        { { 0x0f, 0x01, 0xc1 }, 3 },       /* VMCALL */
        { { 0x0f, 0x31 }, 2 },             /* RDTSC */
        { { 0xe6, 0x80 }, 2 },             /* OUT 80h, al */
        { { 0x0f, 0x20, 0x00 }, 3 },       /* mov rax,cr0: mod ignored */
    };
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        memcpy(ram + 0x10000, lens[i].b, 4);
        assert_int_equal(emulate_insn_length(&st, &ops, &res), lens[i].len);
    }
    /* 16 bytes: fifteen prefixes and a NOP is too long. */
    memset(ram + 0x10000, 0x66, 15);
    ram[0x1000f] = 0x90;
    assert_int_equal(emulate_insn_length(&st, &ops, &res), -EINVAL);
    memset(ram + 0x10000, 0x66, 14);
    ram[0x1000e] = 0x90;
    assert_int_equal(emulate_insn_length(&st, &ops, &res), 15);
}

/* ---- 32-bit protected mode without paging, and real mode ---------------- */

static void setup32(void)
{
    reset_ram();
    memset(&st, 0, sizeof(st));
    st.cr0 = CR0_PE;
    st.seg[SEG_CS].attr = 0x9b | SEG_ATTR_DB | SEG_ATTR_G;
    st.seg[SEG_CS].limit = 0xffffffff;
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        if (s == SEG_CS)
            continue;
        st.seg[s].attr = 0x93 | SEG_ATTR_DB | SEG_ATTR_G;
        st.seg[s].limit = 0xffffffff;
    }
    st.rflags = RFLAGS_FIXED;
    st.rip = 0x10000;
}

static enum emu_status run_at(gpa_t gpa, const void *code, size_t n)
{
    memcpy(ram + gpa, code, n);
    return emulate_insn(&st, &ops, &res);
}

#define RUN_AT(gpa, ...) run_at(gpa, (const uint8_t[]){ __VA_ARGS__ }, \
                                sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_protected32(void **state UNUSED)
{
    setup32();
    st.seg[SEG_DS].base = 0x1000;
    st.gpr[GPR_RBX] = MMIO_GPA - 0x1000;
    st.gpr[GPR_RAX] = 0xcafef00d;
    assert_int_equal(RUN_AT(0x10000, 0x89, 0x43, 0x04), EMU_OK);
    expect_mmio(0, true, MMIO_GPA + 4, 4, 0xcafef00d);
    assert_int_equal(st.rip, 0x10003);
    /* 66: 16-bit operand; 64: FS override with its own base. */
    st.seg[SEG_FS].base = MMIO_GPA;
    st.gpr[GPR_RBX] = 0x10;
    assert_int_equal(RUN_AT(0x10003, 0x64, 0x66, 0x89, 0x03), EMU_OK);
    expect_mmio(1, true, MMIO_GPA + 0x10, 2, 0xf00d);
    /* 67: 16-bit addressing [bx+si]. */
    st.gpr[GPR_RBX] = 0x10000 + 0x20;
    st.gpr[GPR_RSI] = 0x8;
    st.seg[SEG_DS].base = MMIO_GPA;
    assert_int_equal(RUN_AT(0x10007, 0x67, 0x89, 0x00), EMU_OK);
    expect_mmio(2, true, MMIO_GPA + 0x28, 4, 0xcafef00d);
    /* Limit violation: #GP(0); through SS: #SS(0). */
    st.seg[SEG_DS].limit = 0xfff;
    st.gpr[GPR_RBX] = 0xffe;
    st.rip = 0x10000;
    assert_int_equal(RUN_AT(0x10000, 0x89, 0x03), EMU_FAULT);
    expect_fault(13, 0, 0);
    st.seg[SEG_SS].limit = 0xfff;
    st.gpr[GPR_RBP] = 0xffe;
    assert_int_equal(RUN_AT(0x10000, 0x89, 0x45, 0x00), EMU_FAULT);
    expect_fault(12, 0, 0);
    /* Read-only data segment: writes #GP(0), reads fine. */
    st.seg[SEG_DS].limit = 0xffffffff;
    st.seg[SEG_DS].attr = 0x91 | SEG_ATTR_DB;
    st.gpr[GPR_RBX] = 0;
    assert_int_equal(RUN_AT(0x10000, 0x89, 0x03), EMU_FAULT);
    expect_fault(13, 0, 0);
    assert_int_equal(RUN_AT(0x10000, 0x8b, 0x03), EMU_OK);
    /* The 32-bit linear address wraps at 4 GiB. */
    st.seg[SEG_DS].attr = 0x93 | SEG_ATTR_DB;
    st.seg[SEG_DS].base = 0x10;
    st.gpr[GPR_RBX] = 0xfffffff8;
    st.gpr[GPR_RAX] = 0xcafef00d;
    st.rip = 0x10000;
    assert_int_equal(RUN_AT(0x10000, 0x89, 0x03), EMU_OK);
    assert_int_equal(rd32(0x8), 0xcafef00d);
}

/* Another vCPU, on another CPU, writes race_val to race_gpa just before
 * the walk's first A/D update of that entry (a copy-on-write
 * write-protect racing the walk). */
static gpa_t race_gpa;
static uint32_t race_val;
static unsigned cmpxchg_calls;

static int f_cmpxchg_ram(void *ctx UNUSED, gpa_t gpa, uint64_t old,
                         uint64_t new_val, unsigned size)
{
    assert_int_equal(size, 4);
    cmpxchg_calls++;
    if (gpa == race_gpa) {
        wr32(gpa, race_val);
        race_gpa = 0;
    }
    if (rd32(gpa) != (uint32_t)old)
        return -EAGAIN;
    wr32(gpa, (uint32_t)new_val);
    return 0;
}

static void test_walk_ad_update_is_locked(void **state UNUSED)
{
    gpa_t gpa;
    struct emu_ops locked = ops;
    locked.cmpxchg_ram = f_cmpxchg_ram;

    setup32();
    st.cr0 |= CR0_PG | CR0_WP;
    st.cr3 = 0x1000;
    wr32(0x1000 + 4 * 1, 0x2000 | 7);             /* PDE for 4-8 MiB */
    wr32(0x2000 + 4 * 3, 0x30000 | 3);            /* P, RW; A clear */
    race_gpa = 0x2000 + 4 * 3;
    race_val = 0x30000 | 1;                       /* RW taken away */
    cmpxchg_calls = 0;
    assert_int_equal(emulate_translate(&st, &locked, 0x403123, EMU_ACC_READ,
                                       &gpa, &res), 0);
    /* The walk saw the change and walked again: A set, RW stays clear (a
     * plain write of the entry it first read would have put RW back). */
    assert_int_equal(rd32(0x2000 + 4 * 3), 0x30000 | 0x21);
    assert_true(cmpxchg_calls >= 3);
    assert_int_equal(emulate_translate(&st, &locked, 0x403123, EMU_ACC_WRITE,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 3);    /* P, W: write-protected */
}

static void test_paging32_and_pae(void **state UNUSED)
{
    gpa_t gpa;

    /* 32-bit paging: a 4-KiB page and a 4-MiB PSE page. */
    setup32();
    st.cr0 |= CR0_PG | CR0_WP;
    st.cr4 = CR4_PSE;
    st.cr3 = 0x1000;
    wr32(0x1000 + 4 * 1, 0x2000 | 7);             /* PDE for 4-8 MiB */
    wr32(0x2000 + 4 * 3, 0x30000 | 3);            /* 0x403000 -> 0x30000 */
    wr32(0x1000 + 4 * 2, 0x00c00000 | 0x83);      /* 8-12 MiB -> 12-16 MiB */
    assert_int_equal(emulate_translate(&st, &ops, 0x403123, EMU_ACC_WRITE,
                                       &gpa, &res), 0);
    assert_int_equal(gpa, 0x30123);
    assert_int_equal(rd32(0x2000 + 12) & 0x60, 0x60);  /* A and D */
    assert_int_equal(emulate_translate(&st, &ops, 0x812345, EMU_ACC_READ,
                                       &gpa, &res), 0);
    assert_int_equal(gpa, 0xc12345);
    /* PSE-36: PDE bits 20:13 are physical bits 39:32. */
    wr32(0x1000 + 4 * 2, 0x00c00000 | (1 << 13) | 0x83);
    assert_int_equal(emulate_translate(&st, &ops, 0x812345, EMU_ACC_READ,
                                       &gpa, &res), 0);
    assert_int_equal(gpa, 0x100c12345ULL);
    /* Bit 21 of a 4-MiB PDE is reserved. */
    wr32(0x1000 + 4 * 2, 0x00c00000 | (1 << 21) | 0x83);
    assert_int_equal(emulate_translate(&st, &ops, 0x812345, EMU_ACC_READ,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 9);
    /* No NX in 32-bit paging: a fetch fault has no I/D bit without SMEP. */
    assert_int_equal(emulate_translate(&st, &ops, 0x1000000, EMU_ACC_FETCH,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 0);
    assert_int_equal(res.fault.cr2, 0x1000000);

    /* PAE: PDPTE -> PD (2-MiB page) and PD -> PT. */
    setup32();
    st.cr0 |= CR0_PG;
    st.cr4 = CR4_PAE;
    st.efer = EFER_NXE;
    st.cr3 = 0x1020;                              /* 32-byte aligned */
    wr64(0x1020 + 8 * 1, 0x3000 | 1);             /* 1-2 GiB */
    wr64(0x3000 + 8 * 0, 0x00200000 | 0x83 | PTE_NX); /* 2-MiB page */
    wr64(0x3000 + 8 * 1, 0x4000 | 3);
    wr64(0x4000 + 8 * 5, 0x55000 | 3);
    assert_int_equal(emulate_translate(&st, &ops, 0x40012345, EMU_ACC_READ,
                                       &gpa, &res), 0);
    assert_int_equal(gpa, 0x212345);
    assert_int_equal(emulate_translate(&st, &ops, 0x40012345, EMU_ACC_FETCH,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 0x11);
    assert_int_equal(emulate_translate(&st, &ops, 0x40205678, EMU_ACC_WRITE,
                                       &gpa, &res), 0);
    assert_int_equal(gpa, 0x55678);
    /* A not-present PDPTE. */
    assert_int_equal(emulate_translate(&st, &ops, 0x80000000, EMU_ACC_WRITE,
                                       &gpa, &res), -EFAULT);
    assert_int_equal(res.fault.error_code, 2);

    /* 5-level paging (LA57): one more level above the PML4. */
    setup64();
    st.cr4 |= CR4_LA57;
    st.cr3 = 0x5000;
    wr64(0x5000 + 8 * 1, PML4_GPA | 7);           /* VA bit 48 set */
    assert_int_equal(emulate_translate(&st, &ops, (1ULL << 48) + VA(P_DATA_B),
                                       EMU_ACC_READ, &gpa, &res), 0);
    assert_int_equal(gpa, 0x30000);
    assert_int_equal(emulate_translate(&st, &ops, VA(P_DATA_B), EMU_ACC_READ,
                                       &gpa, &res), -EFAULT);
}

static void test_real_mode(void **state UNUSED)
{
    reset_ram();
    memset(&st, 0, sizeof(st));
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        st.seg[s].attr = 0x93;
        st.seg[s].limit = 0xffff;
    }
    st.seg[SEG_CS].selector = 0x1000;
    st.seg[SEG_CS].base = 0x10000;
    st.seg[SEG_DS].selector = 0x2000;
    st.seg[SEG_DS].base = 0x20000;
    st.rflags = RFLAGS_FIXED;
    st.rip = 0x100;
    st.gpr[GPR_RBX] = 0x10;
    st.gpr[GPR_RSI] = 0x20;
    st.gpr[GPR_RAX] = 0xffff1234;
    assert_int_equal(RUN_AT(0x10100, 0x89, 0x40, 0x02), EMU_OK); /* [bx+si+2] */
    assert_int_equal(ram[0x20032], 0x34);
    assert_int_equal(ram[0x20033], 0x12);
    assert_int_equal(ram[0x20034], 0);
    assert_int_equal(st.rip, 0x103);
    /* Offsets wrap at 64 KiB: bx+si = 0x10001 -> 1. */
    st.gpr[GPR_RBX] = 0xffff;
    st.gpr[GPR_RSI] = 2;
    assert_int_equal(RUN_AT(0x10103, 0x88, 0x20), EMU_OK);        /* mov [bx+si],ah */
    assert_int_equal(ram[0x20001], 0x12);
    /* 66 67: 32-bit operand and address in real mode. */
    st.gpr[GPR_RBX] = 0x40;
    assert_int_equal(RUN_AT(0x10105, 0x66, 0x67, 0x89, 0x03), EMU_OK);
    assert_int_equal(rd32(0x20040), 0xffff1234);
    /* [bp] uses SS. */
    st.seg[SEG_SS].base = 0x30000;
    st.gpr[GPR_RBP] = 0x8;
    assert_int_equal(RUN_AT(0x10109, 0x89, 0x46, 0x00), EMU_OK);
    assert_int_equal(ram[0x30008], 0x34);
    /* Beyond the 64-KiB limit: #GP(0). */
    st.gpr[GPR_RBX] = 0xffff;
    assert_int_equal(RUN_AT(0x1010c, 0x89, 0x07), EMU_FAULT);
    expect_fault(13, 0, 0);
    /* C4 is LES in real mode (no VEX): two bytes. */
    memcpy(ram + 0x1010c, "\xc4\x07", 2);
    assert_int_equal(emulate_insn_length(&st, &ops, &res), 2);
    /* rep stosb with CX only (16-bit address size). */
    st.seg[SEG_ES].base = MMIO_GPA - 0xf000;
    st.gpr[GPR_RDI] = 0xfffe;
    st.gpr[GPR_RCX] = 0xffff0002;
    nlog = 0;
    assert_int_equal(RUN_AT(0x1010c, 0xf3, 0xaa), EMU_OK);
    assert_int_equal(nlog, 2);
    assert_int_equal(st.gpr[GPR_RCX], 0xffff0000);
    assert_int_equal(st.gpr[GPR_RDI], 0);                  /* DI wrapped */
}

/* SVM decode assists (emu_ops.prefetched, hv/emulate/fetch.c): bytes the
 * CPU already fetched are taken as they are, with no walk for them; only
 * bytes beyond them are fetched, a page at a time. */
static void test_prefetched_bytes(void **state UNUSED)
{
    static const uint8_t store[] = { 0x89, 0x18 };        /* mov [rax],ebx */
    setup64();
    st.gpr[GPR_RAX] = VA(P_MMIO0) + 0x40;
    st.gpr[GPR_RBX] = 0xcafe;

    /* Code page not present: the decoder path faults, the bytes from the
     * VMCB need no walk. */
    st.rip = VA(P_ABSENT);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_FAULT);
    expect_fault(14, 0x10, VA(P_ABSENT));               /* fetch, not present */
    struct emu_ops pre = ops;
    pre.prefetched = store;
    pre.prefetched_len = sizeof(store);
    memset(&res, 0, sizeof(res));
    assert_int_equal(emulate_insn(&st, &pre, &res), EMU_OK);
    assert_int_equal(res.len, 2);
    assert_int_equal(st.rip, VA(P_ABSENT) + 2);
    assert_int_equal(nlog, 1);
    expect_mmio(0, true, MMIO_GPA + 0x40, 4, 0xcafe);

    /* The prefetched bytes win over what memory holds now (the same
     * instruction the CPU saw at the exit). Memory says load, the VMCB
     * says store. */
    nlog = 0;
    st.rip = VA(P_CODE);
    memcpy(ram + 0x10000, (const uint8_t[]){ 0x8b, 0x18 }, 2);
    assert_int_equal(emulate_insn(&st, &pre, &res), EMU_OK);
    expect_mmio(0, true, MMIO_GPA + 0x40, 4, 0xcafe);

    /* Fewer bytes than the instruction: the rest comes from memory, and a
     * fetch never crosses a page: mov dword [rax],imm32 (c7 00 + 4 bytes)
     * at 3 bytes before the end of P_CODE, with P_CODE2 moved to a GPA
     * that does not follow P_CODE's. */
    nlog = 0;
    map_page(P_CODE2, 0x40000, PTE_P | PTE_W);
    st.rip = VA(P_CODE) + 0xffd;
    ram[0x10fff] = 0x44;                                  /* imm32 byte 0 */
    memcpy(ram + 0x40000, (const uint8_t[]){ 0x33, 0x22, 0x11 }, 3);
    static const uint8_t head[] = { 0xc7, 0x00 };
    pre.prefetched = head;
    pre.prefetched_len = sizeof(head);
    assert_int_equal(emulate_insn(&st, &pre, &res), EMU_OK);
    assert_int_equal(res.len, 6);
    assert_int_equal(st.rip, VA(P_CODE2) + 3);
    expect_mmio(0, true, MMIO_GPA + 0x40, 4, 0x11223344);

    /* The same with no bytes prefetched: both pages walked. */
    nlog = 0;
    st.rip = VA(P_CODE) + 0xffd;
    memcpy(ram + 0x10ffd, head, 2);
    assert_int_equal(emulate_insn(&st, &ops, &res), EMU_OK);
    expect_mmio(0, true, MMIO_GPA + 0x40, 4, 0x11223344);

    /* The rest on a page that is not there: #PF at that page, as the CPU
     * would raise it for the instruction's second page. */
    map_page(P_CODE2, 0, 0);
    st.rip = VA(P_CODE) + 0xffd;
    memset(&res, 0, sizeof(res));
    assert_int_equal(emulate_insn(&st, &pre, &res), EMU_FAULT);
    expect_fault(14, 0x10, VA(P_CODE2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mov_store_mmio),
        cmocka_unit_test(test_mov_load_mmio),
        cmocka_unit_test(test_mov_imm_moffs_movnti),
        cmocka_unit_test(test_alu_flags_vs_host),
        cmocka_unit_test(test_alu_forms),
        cmocka_unit_test(test_bit_ops),
        cmocka_unit_test(test_string_ops),
        cmocka_unit_test(test_muldiv_cmpxchg_cmps_forms),
        cmocka_unit_test(test_straddle),
        cmocka_unit_test(test_page_faults),
        cmocka_unit_test(test_accessed_dirty),
        cmocka_unit_test(test_canonical_and_segments64),
        cmocka_unit_test(test_fetch_across_pages),
        cmocka_unit_test(test_prefetched_bytes),
        cmocka_unit_test(test_unhandled_and_lengths),
        cmocka_unit_test(test_protected32),
        cmocka_unit_test(test_paging32_and_pae),
        cmocka_unit_test(test_walk_ad_update_is_locked),
        cmocka_unit_test(test_real_mode),
    };
    ram = calloc(1, RAM_SIZE);
    if (!ram)
        return 1;
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(ram);
    return rc;
}
