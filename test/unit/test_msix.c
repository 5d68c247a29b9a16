/* Unit tests of MSI-X (hv/dev/msix.c): the capability, table entries
 * (message address, upper address, data, vector control), the pending bit
 * array while a vector or the whole function is masked, delivery on
 * unmask, and MSI message decoding.
 * PCI Local Bus Specification 3.0, 6.8.2 "MSI-X Capability and Table
 * Structure"; SDM 3A 11.11 "Message Signalled Interrupts". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv/dev/msix.h"

#define NR_VECTORS 3
#define TABLE_OFF  0x4000
#define PBA_OFF    0x5000
#define BIR        2

static struct pci_dev pci;
static struct msix msix;

/* Messages the function sent. */
static struct apic_irq sent[8];
static unsigned nr_sent;

static void record(void *ctx, const struct apic_irq *irq)
{
    assert_ptr_equal(ctx, &msix);
    assert_true(nr_sent < 8);
    sent[nr_sent++] = *irq;
}

static int setup(void **state)
{
    (void)state;
    nr_sent = 0;
    pci_dev_init(&pci, "msix-test", 0x1af4, 0x1042, 1, 0x010000, NULL);
    assert_int_equal(msix_init(&msix, &pci, NR_VECTORS, BIR, TABLE_OFF,
                               PBA_OFF, record, &msix), 0);
    return 0;
}

static uint32_t tread(unsigned vec, unsigned field)
{
    uint64_t v = 0;
    msix_table_read(&msix, vec * PCI_MSIX_ENTRY_SIZE + field, 4, &v);
    return (uint32_t)v;
}

static void twrite(unsigned vec, unsigned field, uint32_t val)
{
    msix_table_write(&msix, vec * PCI_MSIX_ENTRY_SIZE + field, 4, val);
}

static uint16_t flags(void)
{
    return (uint16_t)pci_cfg_read(&pci, msix.cap + PCI_MSIX_FLAGS, 2);
}

/* Message Control written as a driver does, then the device told. */
static void set_flags(uint16_t val)
{
    pci_cfg_write(&pci, msix.cap + PCI_MSIX_FLAGS, 2, val);
    msix_cfg_written(&msix);
}

static uint64_t pba(void)
{
    uint64_t v;
    msix_pba_read(&msix, 0, 8, &v);
    return v;
}

/* Program vector vec to send `vector` to physical APIC ID `dest`. */
static void program(unsigned vec, uint8_t dest, uint8_t vector)
{
    twrite(vec, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000u | (uint32_t)dest << 12);
    twrite(vec, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
    twrite(vec, PCI_MSIX_ENTRY_DATA, vector);
}

/* 6.8.2: capability ID 11h, Table Size N-1 in Message Control, Table and
 * PBA offsets with the BIR in bits 2:0; enable and mask start clear. */
static void test_pci_msix_capability_layout(void **state)
{
    (void)state;
    assert_int_equal(pci_cfg_read(&pci, msix.cap, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(pci_cfg_read(&pci, PCI_CAPABILITY_LIST, 1), msix.cap);
    assert_int_equal(flags(), NR_VECTORS - 1);
    assert_int_equal(pci_cfg_read(&pci, msix.cap + PCI_MSIX_TABLE, 4),
                     TABLE_OFF | BIR);
    assert_int_equal(pci_cfg_read(&pci, msix.cap + PCI_MSIX_PBA, 4),
                     PBA_OFF | BIR);
    assert_false(msix_enabled(&msix));
}

/* 6.8.2.3: only MSI-X Enable and Function Mask are writable; Table Size
 * is read-only. */
static void test_pci_msix_message_control_writable_bits(void **state)
{
    (void)state;
    set_flags(0xffff);
    assert_int_equal(flags(), PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL |
                              (NR_VECTORS - 1));
    assert_true(msix_enabled(&msix));
    set_flags(0);
    assert_int_equal(flags(), NR_VECTORS - 1);
}

/* 6.8.2.9: every vector's Mask Bit is set after reset. */
static void test_pci_msix_vectors_start_masked(void **state)
{
    (void)state;
    for (unsigned v = 0; v < NR_VECTORS; v++)
        assert_int_equal(tread(v, PCI_MSIX_ENTRY_VECTOR_CTRL),
                         PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* 6.8.2.6-6.8.2.9: the entry's four dwords read back as written (vector
 * control keeps only the mask bit; its other bits are reserved), and
 * each entry is separate. */
static void test_pci_msix_table_entry_read_write(void **state)
{
    (void)state;
    twrite(1, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0300c);
    twrite(1, PCI_MSIX_ENTRY_UPPER_ADDR, 0x12345678);
    twrite(1, PCI_MSIX_ENTRY_DATA, 0x0000c041);
    twrite(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0xfffffffe);
    assert_int_equal(tread(1, PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee0300c);
    assert_int_equal(tread(1, PCI_MSIX_ENTRY_UPPER_ADDR), 0x12345678);
    assert_int_equal(tread(1, PCI_MSIX_ENTRY_DATA), 0x0000c041);
    assert_int_equal(tread(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
    twrite(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0xffffffff);
    assert_int_equal(tread(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
    /* The neighbours are untouched. */
    assert_int_equal(tread(0, PCI_MSIX_ENTRY_DATA), 0);
    assert_int_equal(tread(2, PCI_MSIX_ENTRY_LOWER_ADDR), 0);
}

/* A QWORD access covers two dwords of one entry (6.8.2: "software may
 * use QWORD accesses to the table"). */
static void test_pci_msix_table_qword_access(void **state)
{
    (void)state;
    uint64_t v;
    msix_table_write(&msix, 2 * PCI_MSIX_ENTRY_SIZE, 8,
                     0x00000001fee01000ULL);
    assert_int_equal(tread(2, PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee01000);
    assert_int_equal(tread(2, PCI_MSIX_ENTRY_UPPER_ADDR), 1);
    msix_table_write(&msix, 2 * PCI_MSIX_ENTRY_SIZE + 8, 8,
                     0x0000000000000051ULL);     /* data, unmasked */
    msix_table_read(&msix, 2 * PCI_MSIX_ENTRY_SIZE + 8, 8, &v);
    assert_int_equal(v, 0x51);
}

/* An entry past Table Size reads all-ones and ignores writes; so do
 * accesses of another size or misaligned. */
static void test_pci_msix_out_of_range_index(void **state)
{
    (void)state;
    uint64_t v;
    msix_table_write(&msix, NR_VECTORS * PCI_MSIX_ENTRY_SIZE, 4, 0x1234);
    msix_table_read(&msix, NR_VECTORS * PCI_MSIX_ENTRY_SIZE, 4, &v);
    assert_int_equal(v, 0xffffffffULL);
    msix_table_read(&msix, 2, 4, &v);                   /* misaligned */
    assert_int_equal(v, 0xffffffffULL);
    msix_table_read(&msix, 0, 2, &v);                   /* 16-bit */
    assert_int_equal(v, 0xffff);
    msix_table_write(&msix, 0, 2, 0xabcd);
    assert_int_equal(tread(0, PCI_MSIX_ENTRY_LOWER_ADDR), 0);
    for (unsigned i = 0; i < NR_VECTORS; i++)
        assert_int_equal(tread(i, PCI_MSIX_ENTRY_DATA), 0);
}

/* Unmasked and enabled: the message goes out at once, decoded (SDM 3A
 * 11.11.1: destination ID in address bits 19:12, vector in data 7:0). */
static void test_pci_msix_unmasked_vector_sends(void **state)
{
    (void)state;
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    program(0, 3, 0x61);
    twrite(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    msix_notify(&msix, 0);
    assert_int_equal(nr_sent, 1);
    assert_int_equal(sent[0].dest, 3);
    assert_int_equal(sent[0].vector, 0x61);
    assert_int_equal(sent[0].delivery, APIC_DM_FIXED);
    assert_false(sent[0].logical);
    assert_int_equal(pba(), 0);
}

/* 6.8.2.9/6.8.2.10: a masked vector sets its Pending Bit instead of
 * sending; clearing the Mask Bit sends it and clears the bit. */
static void test_pci_msix_pending_bit_while_masked(void **state)
{
    (void)state;
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    program(1, 0, 0x62);
    msix_notify(&msix, 1);
    assert_int_equal(nr_sent, 0);
    assert_int_equal(pba(), 1u << 1);
    msix_notify(&msix, 1);                              /* still one */
    assert_int_equal(pba(), 1u << 1);
    twrite(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    assert_int_equal(nr_sent, 1);
    assert_int_equal(sent[0].vector, 0x62);
    assert_int_equal(pba(), 0);
}

/* 6.8.2.3 Function Mask: every vector behaves as masked; clearing it
 * delivers what became pending, and only the unmasked vectors. */
static void test_pci_msix_function_mask(void **state)
{
    (void)state;
    set_flags(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    program(0, 1, 0x70);
    program(2, 2, 0x72);
    twrite(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    msix_notify(&msix, 0);
    msix_notify(&msix, 2);                              /* also own mask */
    assert_int_equal(nr_sent, 0);
    assert_int_equal(pba(), (1u << 0) | (1u << 2));
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    assert_int_equal(nr_sent, 1);
    assert_int_equal(sent[0].vector, 0x70);
    assert_int_equal(pba(), 1u << 2);
}

/* The PBA's QWORD 0 holds bit n for vector n; a DWORD read at 4 the upper
 * half. */
static void test_pci_msix_pba_read_sizes(void **state)
{
    (void)state;
    uint64_t v;
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    msix_notify(&msix, 2);
    msix_pba_read(&msix, 0, 4, &v);
    assert_int_equal(v, 1u << 2);
    msix_pba_read(&msix, 4, 4, &v);
    assert_int_equal(v, 0);
}

/* Vectors the function does not have (MSIX_NO_VECTOR) are dropped, and a
 * disabled function sends nothing. */
static void test_notify_out_of_range_or_disabled(void **state)
{
    (void)state;
    program(0, 0, 0x40);
    twrite(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    msix_notify(&msix, 0);                              /* MSI-X disabled */
    assert_int_equal(nr_sent, 0);
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    msix_notify(&msix, NR_VECTORS);
    msix_notify(&msix, MSIX_NO_VECTOR);
    assert_int_equal(nr_sent, 0);
    assert_int_equal(pba(), 0);
}

/* SDM 3A 11.11.1, 11.11.2: destination mode bit 2, delivery mode in data
 * 10:8; an address outside 0xFEExxxxx is not an interrupt message. */
static void test_sdm_msi_decode(void **state)
{
    (void)state;
    struct apic_irq irq;
    assert_true(msi_decode(0xfee0f004, (APIC_DM_LOWEST << 8) | 0x33, &irq));
    assert_int_equal(irq.dest, 0x0f);
    assert_true(irq.logical);
    assert_int_equal(irq.vector, 0x33);
    assert_int_equal(irq.delivery, APIC_DM_LOWEST);
    assert_int_equal(irq.shorthand, APIC_SH_NONE);
    assert_false(msi_decode(0xfed00000, 0x33, &irq));
    assert_false(msi_decode(0x1fee00000ULL, 0x33, &irq));
}

/* A message with a bad address is not sent. */
static void test_pci_msix_bad_address_not_sent(void **state)
{
    (void)state;
    set_flags(PCI_MSIX_FLAGS_ENABLE);
    twrite(0, PCI_MSIX_ENTRY_LOWER_ADDR, 0x12340000);
    twrite(0, PCI_MSIX_ENTRY_DATA, 0x40);
    twrite(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    msix_notify(&msix, 0);
    assert_int_equal(nr_sent, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(test_pci_msix_capability_layout),
        T(test_pci_msix_message_control_writable_bits),
        T(test_pci_msix_vectors_start_masked),
        T(test_pci_msix_table_entry_read_write),
        T(test_pci_msix_table_qword_access),
        T(test_pci_msix_out_of_range_index),
        T(test_pci_msix_unmasked_vector_sends),
        T(test_pci_msix_pending_bit_while_masked),
        T(test_pci_msix_function_mask),
        T(test_pci_msix_pba_read_sizes),
        T(test_notify_out_of_range_or_disabled),
        T(test_sdm_msi_decode),
        T(test_pci_msix_bad_address_not_sent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
