/* A VM's virtio devices from its configuration (hv/machine/virtio_devices.h). */
#include "hv/core/vm.h"
#include "hv/dev/apic_route.h"
#include "hv/dev/pci_host.h"
#include "hv/machine/vconsole.h"
#include "hv/machine/virtio_devices.h"
#include "hv/net/net.h"
#include "hv/virtio/blk_host.h"
#include "hv/virtio/blk_nvme.h"
#include "hv/virtio/blk_ram.h"
#include "hv/virtio/virtio_blk.h"
#include "hv/virtio/virtio_console.h"
#include "hv/virtio/virtio_net.h"
#include "hv/virtio/virtio_pci.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/heap.h"

/* PCI class codes (PCI Code and ID Assignment 1.11, D): "other" mass
 * storage, "other" communication controller, Ethernet controller. */
#define PCI_CLASS_STORAGE_OTHER 0x018000
#define PCI_CLASS_COMM_OTHER    0x078000
#define PCI_CLASS_NET_ETHERNET  0x020000

static void msi_send(void *ctx, const struct apic_irq *irq)
{
    struct vm *vm = ctx;
    apic_route(vm->lapics, vm->nr_vcpus, irq, -1);
}

/* The console's output context is its VM; input follows the console the
 * guest last wrote to (hv/machine/vconsole.h). */
struct console_ctx {
    struct vm *vm;
    struct virtio_console *con;
};

static void console_tx(void *ctx, char c)
{
    struct console_ctx *cc = ctx;
    vconsole_set_input(cc->vm, virtio_console_receive, cc->con);
    vconsole_putc(cc->vm, c);
}

static int attach(struct vm *vm, struct virtio_dev *vdev, uint32_t class)
{
    struct virtio_pci *vp = kzalloc(sizeof(*vp));
    if (!vp || vm->nr_virtio == ARRAY_SIZE(vm->virtio))
        return -ENOMEM;
    vm->virtio[vm->nr_virtio++] = vdev;
    return virtio_pci_create(vp, vdev, class, vm->pci, msi_send, vm);
}

static int create_console(struct vm *vm)
{
    struct virtio_console *con = kzalloc(sizeof(*con));
    struct console_ctx *cc = kzalloc(sizeof(*cc));
    if (!con || !cc)
        return -ENOMEM;
    cc->vm = vm;
    cc->con = con;
    virtio_console_init(con, vm->name, &vm->mem, console_tx, cc);
    return attach(vm, &con->vdev, PCI_CLASS_COMM_OTHER);
}

/* device = virtio-net: a port on Keel's switch (hv/net/net.h). MAC
 * 52:54:00:4b:<vm id>:<n>: unicast, locally administered (bit 1 of the
 * first octet), stable across boots. */
struct net_ctx {
    struct vm *vm;
    struct virtio_net *net;
    unsigned port;      /* switch port */
};

static void net_tx(void *ctx, const void *frame, size_t len)
{
    struct net_ctx *nc = ctx;
    net_input(nc->port, frame, len);
}

/* A VM that has ended keeps its switch port; its frames are dropped. */
static void net_rx(void *ctx, const void *frame, size_t len)
{
    struct net_ctx *nc = ctx;
    if (vm_running(nc->vm))
        virtio_net_receive(nc->net, frame, len);
}

static int create_net(struct vm *vm, unsigned index)
{
    struct virtio_net *net = kzalloc(sizeof(*net));
    struct net_ctx *nc = kzalloc(sizeof(*nc));
    if (!net || !nc)
        return -ENOMEM;
    const uint8_t mac[ETH_ALEN] = {0x52, 0x54, 0x00, 0x4b, (uint8_t)vm->id,
                                   (uint8_t)index};
    nc->vm = vm;
    nc->net = net;
    virtio_net_init(net, vm->name, &vm->mem, mac, net_tx, nc);
    /* The device lives as long as the VM (a reset resets it in place), and
     * so does its switch port. */
    int port = net_port_add(vm->name, mac, net_rx, nc);
    if (port < 0)
        return port;
    nc->port = (unsigned)port;
    log_info("vm %s: virtio-net MAC 52:54:00:4b:%02x:%02x, switch port %d%s",
             vm->name, mac[4], mac[5], port,
             net_has_uplink() ? "" : " (no uplink NIC: VMs only)");
    return attach(vm, &net->vdev, PCI_CLASS_NET_ETHERNET);
}

static int create_blk(struct vm *vm, const struct device_config *dc,
                      const struct blob *file, unsigned index)
{
    if (!file->size || file->size < VIRTIO_BLK_SECTOR_SIZE) {
        log_err("vm %s: virtio-blk %s: image is empty (%llu bytes)",
                vm->name, dc->arg, (unsigned long long)file->size);
        return -EINVAL;
    }
    struct blk_backend *be = kzalloc(sizeof(*be));
    struct virtio_blk *blk = kzalloc(sizeof(*blk));
    char *id = kzalloc(VIRTIO_BLK_ID_BYTES + 1);
    if (!be || !blk || !id)
        return -ENOMEM;
    /* boot/ loaded the file into memory Keel owns; the device writes it
     * in place. */
    blk_ram_init(be, (void *)file->data, file->size, dc->read_only);
    ksnprintf(id, VIRTIO_BLK_ID_BYTES + 1, "keel-%s-%u", vm->name, index);
    virtio_blk_init(blk, vm->name, &vm->mem, be, id);
    log_info("vm %s: virtio-blk %s: %s, %llu sectors, %s; writes are NOT "
             "kept after power-off", vm->name, dc->arg, be->kind,
             (unsigned long long)blk->cfg.capacity,
             be->read_only ? "read-only" : "read-write");
    return attach(vm, &blk->vdev, PCI_CLASS_STORAGE_OTHER);
}

/* device = virtio-blk-host:N or virtio-blk-nvme:N: the machine's N-th
 * virtio-blk PCI device or NVMe controller, whose blocks outlive Keel. */
static int create_blk_host(struct vm *vm, const struct device_config *dc,
                           unsigned index, bool nvme)
{
    struct blk_backend *be = kzalloc(sizeof(*be));
    struct virtio_blk *blk = kzalloc(sizeof(*blk));
    char *id = kzalloc(VIRTIO_BLK_ID_BYTES + 1);
    uint64_t host_index;
    int rc;

    if (!be || !blk || !id)
        return -ENOMEM;
    /* A number <= CFG_MAX_HOST_INDEX: config_parse checked it with the
     * same parser. */
    rc = parse_u64(dc->arg, strlen(dc->arg), 0, &host_index);
    if (rc)
        return rc;
    rc = nvme ? blk_nvme_init(be, (unsigned)host_index, dc->read_only)
              : blk_host_init(be, (unsigned)host_index, dc->read_only);
    if (rc)
        return rc;
    ksnprintf(id, VIRTIO_BLK_ID_BYTES + 1, "keel-%s-%u", vm->name, index);
    virtio_blk_init(blk, vm->name, &vm->mem, be, id);
    log_info("vm %s: virtio-blk %s %u: %s, %llu sectors, %s; "
             "persistent: writes are kept%s", vm->name,
             nvme ? "NVMe controller" : "host device", (unsigned)host_index,
             be->kind,
             (unsigned long long)blk->cfg.capacity,
             be->read_only ? "read-only" : "read-write",
             be->stable_flush ? ", guest FLUSH reaches the host's storage"
                              : ", but no FLUSH (device offers none)");
    return attach(vm, &blk->vdev, PCI_CLASS_STORAGE_OTHER);
}

int virtio_devices_create(struct vm *vm)
{
    const struct blob *files = vm->device_files;
    const struct vm_config *cfg = vm->cfg;
    unsigned nblk = 0, nnet = 0;

    for (unsigned i = 0; i < cfg->nr_devices; i++) {
        const struct device_config *dc = &cfg->devices[i];
        int rc = 0;
        if (!strcmp(dc->type, "virtio-console"))
            rc = create_console(vm);
        else if (!strcmp(dc->type, "virtio-blk"))
            rc = create_blk(vm, dc, &files[i], nblk++);
        else if (!strcmp(dc->type, "virtio-blk-host"))
            rc = create_blk_host(vm, dc, nblk++, false);
        else if (!strcmp(dc->type, "virtio-blk-nvme"))
            rc = create_blk_host(vm, dc, nblk++, true);
        else if (!strcmp(dc->type, "virtio-net"))
            rc = create_net(vm, nnet++);
        else
            continue;   /* not a virtio device (uart) */
        if (rc) {
            log_err("vm %s: device %s: cannot create (%s)", vm->name,
                    dc->type, err_name(rc));
            return rc;
        }
        log_info("vm %s: %s on PCI bus 0", vm->name, dc->type);
    }
    return 0;
}

bool virtio_devices_poll(struct vm *vm)
{
    bool more = false;
    for (unsigned i = 0; i < vm->nr_virtio; i++)
        if (vm->virtio[i]->pending && virtio_dev_poll(vm->virtio[i]))
            more = true;
    return more;
}
