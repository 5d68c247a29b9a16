/* Unit tests of the learning switch (hv/net/netswitch.c): flooding of unknown,
 * broadcast and multicast destinations, learning, no echo to the source
 * port, ageing, table replacement and bad lengths; ports with a configured
 * MAC (VMs) that send with another source, or with another port's address.
 * Three ports record what they are given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define UNUSED __attribute__((unused))

#include "hv/net/netswitch.h"
#include "lib/errno.h"

#define NPORTS 3
#define SEC    1000000000ULL

static struct netswitch sw;
static unsigned got[NPORTS];        /* frames delivered per port */
static size_t got_len[NPORTS];
static uint8_t got_frame[NPORTS][ETH_FRAME_MAX];

static void deliver(void *ctx, const void *frame, size_t len)
{
    unsigned p = (unsigned)(uintptr_t)ctx;
    got[p]++;
    got_len[p] = len;
    memcpy(got_frame[p], frame, len);
}

static int setup(void **state UNUSED)
{
    netswitch_init(&sw);
    memset(got, 0, sizeof(got));
    for (uintptr_t i = 0; i < NPORTS; i++)
        assert_int_equal(netswitch_add_port(&sw, "p", NULL, deliver,
                                            (void *)i), (int)i);
    return 0;
}

/* A 60-byte frame from MAC ..:s to MAC ..:d (last octet), or to dst. */
static void frame(uint8_t *f, const uint8_t *dst, uint8_t s)
{
    static const uint8_t base[ETH_ALEN] = {0x52, 0x54, 0x00, 0x4b, 0, 0};
    memset(f, 0xab, 60);
    memcpy(f, dst, ETH_ALEN);
    memcpy(f + ETH_ALEN, base, ETH_ALEN);
    f[ETH_ALEN + 5] = s;
}

static const uint8_t *mac(uint8_t d)
{
    static uint8_t m[ETH_ALEN];
    const uint8_t base[ETH_ALEN] = {0x52, 0x54, 0x00, 0x4b, 0, 0};
    memcpy(m, base, ETH_ALEN);
    m[5] = d;
    return m;
}

static void in(unsigned port, const uint8_t *dst, uint8_t src, uint64_t now)
{
    uint8_t f[60];
    frame(f, dst, src);
    netswitch_input(&sw, port, f, sizeof(f), now);
}

static void check(unsigned a, unsigned b, unsigned c)
{
    assert_int_equal(got[0], a);
    assert_int_equal(got[1], b);
    assert_int_equal(got[2], c);
}

static void test_unknown_floods(void **state UNUSED)
{
    in(0, mac(2), 1, 0);
    check(0, 1, 1);
    assert_int_equal(got_len[1], 60);
    assert_memory_equal(got_frame[1], mac(2), ETH_ALEN);
    assert_int_equal(sw.flooded, 1);
}

static void test_broadcast_and_multicast_flood(void **state UNUSED)
{
    static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                            0xff};
    static const uint8_t mcast[ETH_ALEN] = {0x01, 0x00, 0x5e, 0, 0, 1};
    in(1, mac(9), 2, 0);            /* learn 2 on port 1 (flooded) */
    check(1, 0, 1);
    in(0, bcast, 1, 0);
    check(1, 1, 2);
    in(2, mcast, 3, 0);             /* group: never looked up */
    check(2, 2, 2);
    in(2, bcast, 2, 0);             /* source 2 moves to port 2 */
    check(3, 3, 2);
}

static void test_learning_unicast(void **state UNUSED)
{
    in(0, mac(9), 1, 0);            /* 1 is on port 0; flooded */
    check(0, 1, 1);
    in(2, mac(1), 3, 1);            /* 3 on port 2, to 1: only port 0 */
    check(1, 1, 1);
    in(0, mac(3), 1, 2);            /* back to 3: only port 2 */
    check(1, 1, 2);
    assert_int_equal(netswitch_lookup(&sw, mac(1), 3), 0);
    assert_int_equal(netswitch_lookup(&sw, mac(3), 3), 2);
    assert_int_equal(netswitch_lookup(&sw, mac(7), 3), -1);
}

static void test_no_echo_to_source(void **state UNUSED)
{
    in(1, mac(9), 5, 0);            /* 5 on port 1 */
    in(1, mac(9), 6, 0);            /* 6 on port 1 */
    memset(got, 0, sizeof(got));
    in(1, mac(6), 5, 1);            /* 5 -> 6, both on port 1: filtered */
    check(0, 0, 0);
    in(0, mac(9), 1, 1);            /* flood excludes port 0 */
    check(0, 1, 1);
}

static void test_station_moves(void **state UNUSED)
{
    in(0, mac(9), 1, 0);
    in(2, mac(9), 1, 1);            /* 1 now behind port 2 */
    assert_int_equal(netswitch_lookup(&sw, mac(1), 2), 2);
    memset(got, 0, sizeof(got));
    in(1, mac(1), 4, 2);
    check(0, 0, 1);
}

static void test_ageing(void **state UNUSED)
{
    in(0, mac(9), 1, 0);
    memset(got, 0, sizeof(got));
    in(1, mac(1), 2, NETSWITCH_AGEING_NS - 1);   /* still known */
    check(1, 0, 0);
    assert_int_equal(netswitch_lookup(&sw, mac(1), NETSWITCH_AGEING_NS),
                     -1);
    in(1, mac(1), 2, NETSWITCH_AGEING_NS);       /* aged out: flood */
    check(2, 0, 1);
    /* Seen again refreshes the entry. */
    in(0, mac(9), 1, 400 * SEC);
    assert_int_equal(netswitch_lookup(&sw, mac(1), 600 * SEC), 0);
}

static void test_table_full_replaces_oldest(void **state UNUSED)
{
    for (unsigned i = 0; i < NETSWITCH_MAC_ENTRIES; i++)
        in(i % NPORTS, mac(200), (uint8_t)(i + 1), i);
    assert_int_equal(netswitch_lookup(&sw, mac(1), 100), 0);
    in(2, mac(200), 150, 100);      /* one more: evicts MAC 1 (oldest) */
    assert_int_equal(netswitch_lookup(&sw, mac(1), 101), -1);
    assert_int_equal(netswitch_lookup(&sw, mac(150), 101), 2);
    assert_int_equal(netswitch_lookup(&sw, mac(2), 101), 1);
}

static void test_bad_lengths_dropped(void **state UNUSED)
{
    uint8_t f[ETH_FRAME_MAX + 1];
    frame(f, mac(2), 1);
    netswitch_input(&sw, 0, f, ETH_HLEN - 1, 0);
    netswitch_input(&sw, 0, f, ETH_FRAME_MAX + 1, 0);
    netswitch_input(&sw, 7, f, 60, 0);           /* no such port */
    check(0, 0, 0);
    assert_int_equal(sw.runts, 2);
    assert_int_equal(netswitch_lookup(&sw, mac(1), 0), -1);
    netswitch_input(&sw, 0, f, ETH_FRAME_MAX, 0);
    check(0, 1, 1);
    assert_int_equal(got_len[2], ETH_FRAME_MAX);
}

static void test_port_limit(void **state UNUSED)
{
    for (unsigned i = NPORTS; i < NETSWITCH_MAX_PORTS; i++)
        assert_int_equal(netswitch_add_port(&sw, "x", NULL, NULL, NULL),
                         (int)i);
    assert_true(netswitch_add_port(&sw, "x", NULL, NULL, NULL) < 0);
    in(0, mac(9), 1, 0);            /* ports without deliver: counted */
    assert_int_equal(sw.ports[NETSWITCH_MAX_PORTS - 1].out_frames, 1);
}

/* Two VM ports with their own MACs (1 and 2) and an uplink (any source). */
static int setup_vms(void **state UNUSED)
{
    netswitch_init(&sw);
    memset(got, 0, sizeof(got));
    assert_int_equal(netswitch_add_port(&sw, "victim", mac(1), deliver,
                                        (void *)0), 0);
    assert_int_equal(netswitch_add_port(&sw, "attacker", mac(2), deliver,
                                        (void *)1), 1);
    assert_int_equal(netswitch_add_port(&sw, "uplink", NULL, deliver,
                                        (void *)2), 2);
    return 0;
}

/* The review's attack: VM 2 sends with VM 1's MAC, then the outside
 * world sends unicast to VM 1. Every frame must reach VM 1 only. */
static void test_spoofed_source_dropped(void **state UNUSED)
{
    in(0, mac(9), 1, 0);                 /* the victim talks first */
    for (unsigned i = 0; i < 5; i++)
        in(1, mac(9), 1, 1 + i);         /* the attacker claims MAC 1 */
    assert_int_equal(sw.ports[1].spoofed, 5);
    assert_true(sw.ports[1].spoof_logged);
    memset(got, 0, sizeof(got));
    for (unsigned i = 0; i < 10; i++)
        in(2, mac(1), 9, 10 + i);        /* uplink -> victim */
    check(10, 0, 0);
    assert_int_equal(netswitch_lookup(&sw, mac(1), 20), 0);
    /* The attacker's own address still works. */
    in(1, mac(9), 2, 30);
    assert_int_equal(sw.ports[1].spoofed, 5);
    assert_int_equal(got[2], 1);
}

/* A VM port never sends with another source, not even a group address
 * or an address nobody uses; the uplink sends with any source but not
 * with a VM's. */
static void test_source_rules(void **state UNUSED)
{
    static const uint8_t bcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                            0xff};
    uint8_t f[60];
    frame(f, bcast, 0);
    memcpy(f + ETH_ALEN, bcast, ETH_ALEN);   /* group source */
    netswitch_input(&sw, 0, f, sizeof(f), 0);
    in(0, bcast, 77, 0);                     /* unused unicast source */
    check(0, 0, 0);
    assert_int_equal(sw.ports[0].spoofed, 2);
    in(2, bcast, 50, 1);                     /* uplink: station 50 */
    check(1, 1, 0);
    assert_int_equal(netswitch_lookup(&sw, mac(50), 1), 2);
    in(2, bcast, 2, 2);                      /* uplink claims VM 2's MAC */
    check(1, 1, 0);
    assert_int_equal(sw.ports[2].spoofed, 1);
    assert_int_equal(netswitch_lookup(&sw, mac(2), 2), 1);
    /* A VM port cannot be given a group address. */
    assert_int_equal(netswitch_add_port(&sw, "bad", bcast, NULL, NULL),
                     -EINVAL);
}

/* The learned table stays at NETSWITCH_MAC_ENTRIES however many stations
 * the uplink shows, and VM addresses are never evicted from it. */
static void test_table_bounded_vms_reachable(void **state UNUSED)
{
    for (unsigned i = 0; i < 1000; i++) {
        uint8_t f[60];
        frame(f, mac(1), 0);
        f[ETH_ALEN + 3] = (uint8_t)(i >> 8);
        f[ETH_ALEN + 4] = (uint8_t)i;
        f[ETH_ALEN + 5] = 0x10;
        netswitch_input(&sw, 2, f, sizeof(f), i);
    }
    unsigned valid = 0;
    for (unsigned i = 0; i < NETSWITCH_MAC_ENTRIES; i++)
        valid += sw.table[i].valid;
    assert_int_equal(valid, NETSWITCH_MAC_ENTRIES);
    check(1000, 0, 0);                      /* all to VM 1, none flooded */
    assert_int_equal(sw.flooded, 0);
    assert_int_equal(netswitch_lookup(&sw, mac(2), 1000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unknown_floods, setup),
        cmocka_unit_test_setup(test_broadcast_and_multicast_flood, setup),
        cmocka_unit_test_setup(test_learning_unicast, setup),
        cmocka_unit_test_setup(test_no_echo_to_source, setup),
        cmocka_unit_test_setup(test_station_moves, setup),
        cmocka_unit_test_setup(test_ageing, setup),
        cmocka_unit_test_setup(test_table_full_replaces_oldest, setup),
        cmocka_unit_test_setup(test_bad_lengths_dropped, setup),
        cmocka_unit_test_setup(test_port_limit, setup),
        cmocka_unit_test_setup(test_spoofed_source_dropped, setup_vms),
        cmocka_unit_test_setup(test_source_rules, setup_vms),
        cmocka_unit_test_setup(test_table_bounded_vms_reachable, setup_vms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
