/* The VMs' network (hv/net/net.h). */
#include "drivers/timer.h"
#include "hv/net/net.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"

static struct netswitch the_switch;
static bool switch_ready;
static const struct net_uplink *uplink;

static void ensure_switch(void)
{
    if (!switch_ready) {
        netswitch_init(&the_switch);
        switch_ready = true;
    }
}

static void uplink_deliver(void *ctx, const void *frame, size_t len)
{
    const struct net_uplink *up = ctx;
    up->transmit(up->ctx, frame, len);
}

static void uplink_receive(void *ctx, const void *frame, size_t len)
{
    net_input((unsigned)(uintptr_t)ctx, frame, len);
}

int net_uplink_register(struct net_uplink *up)
{
    ensure_switch();
    if (uplink)
        return -EBUSY;
    /* The uplink carries the outside world's stations: any source. */
    int port = netswitch_add_port(&the_switch, up->name, NULL,
                                  uplink_deliver, (void *)up);
    if (port < 0)
        return port;
    uplink = up;
    up->receive_ctx = (void *)(uintptr_t)port;
    up->receive = uplink_receive;
    log_info("net: uplink %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, switch "
             "port %d", up->name, up->mac[0], up->mac[1], up->mac[2],
             up->mac[3], up->mac[4], up->mac[5], port);
    return port;
}

int net_port_add(const char *name, const uint8_t *mac,
                 void (*deliver)(void *ctx, const void *frame, size_t len),
                 void *ctx)
{
    ensure_switch();
    return netswitch_add_port(&the_switch, name, mac, deliver, ctx);
}

void net_input(unsigned port, const void *frame, size_t len)
{
    netswitch_input(&the_switch, port, frame, len, timer_now_ns());
}

void net_poll(void)
{
    if (uplink)
        uplink->poll(uplink->ctx);
}

void net_report(void)
{
    if (!switch_ready || !the_switch.nr_ports)
        return;
    for (unsigned i = 0; i < the_switch.nr_ports; i++) {
        const struct netswitch_port *p = &the_switch.ports[i];
        kprintf("keel: net port %u (%s): %llu frames in, %llu out, %llu "
                "dropped for a source MAC not its own\n", i, p->name,
                (unsigned long long)p->in_frames,
                (unsigned long long)p->out_frames,
                (unsigned long long)p->spoofed);
    }
    kprintf("keel: net switch: %llu flooded, %llu bad length\n",
            (unsigned long long)the_switch.flooded,
            (unsigned long long)the_switch.runts);
    if (uplink && uplink->report)
        uplink->report(uplink->ctx);
}

bool net_has_uplink(void)
{
    return uplink != NULL;
}
