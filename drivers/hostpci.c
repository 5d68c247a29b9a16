/* The host's PCI configuration space through mechanism #1 and a scan of
 * the buses reachable from bus 0 (drivers/hostpci.h).
 * Reference: PCI Local Bus Specification 3.0. */
#include "arch/x86/cpu.h"
#include "drivers/hostpci.h"
#include "lib/errno.h"

/* Configuration mechanism #1 (PCI 3.0, 3.2.2.3.2): CONFIG_ADDRESS selects
 * enable | bus | device | function | dword register; CONFIG_DATA moves the
 * dword (byte lanes by the low address bits). */
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define PCI_CONFIG_ENABLE  BIT(31)

#define PCI_MAX_DEVICES    32
#define PCI_MAX_FUNCTIONS  8
#define PCI_CAP_MIN_OFFSET 0x40   /* capabilities follow the header */
#define PCI_CAP_MAX_WALK   48     /* (256 - 64) / 4 entries at most */

static uint16_t config_select(uint8_t bus, uint8_t dev, uint8_t fn,
                              unsigned off)
{
    outl(PCI_CONFIG_ADDRESS, (uint32_t)PCI_CONFIG_ENABLE | (uint32_t)bus << 16 |
                                 (uint32_t)(dev & 31) << 11 |
                                 (uint32_t)(fn & 7) << 8 | (off & 0xfc));
    return PCI_CONFIG_DATA + (off & 3);
}

static uint32_t raw_read32(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
    return inl(config_select(bus, dev, fn, off));
}

uint32_t hostpci_read32(const struct hostpci_dev *d, unsigned off)
{
    return inl(config_select(d->bus, d->dev, d->fn, off));
}

uint16_t hostpci_read16(const struct hostpci_dev *d, unsigned off)
{
    return inw(config_select(d->bus, d->dev, d->fn, off));
}

uint8_t hostpci_read8(const struct hostpci_dev *d, unsigned off)
{
    return inb(config_select(d->bus, d->dev, d->fn, off));
}

void hostpci_write32(const struct hostpci_dev *d, unsigned off, uint32_t v)
{
    outl(config_select(d->bus, d->dev, d->fn, off), v);
}

void hostpci_write16(const struct hostpci_dev *d, unsigned off, uint16_t v)
{
    outw(config_select(d->bus, d->dev, d->fn, off), v);
}

void hostpci_write8(const struct hostpci_dev *d, unsigned off, uint8_t v)
{
    outb(config_select(d->bus, d->dev, d->fn, off), v);
}

/* Scan state: the IDs (or, with by_class, the class code) sought, how
 * many matches to skip, the result. */
struct scan {
    uint16_t vendor, device;
    bool by_class;
    uint32_t class24;       /* base class, subclass, prog-if (23:0) */
    unsigned skip;
    struct hostpci_dev *out;
    unsigned buses_seen;
};

static bool scan_bus(struct scan *s, uint8_t bus);

/* Look at one present function; true when it is the one sought. Bridges
 * are followed to their secondary bus (PCI-to-PCI Bridge 1.2, 3.2.5.3). */
static bool scan_function(struct scan *s, uint8_t bus, uint8_t dev,
                          uint8_t fn, uint32_t id)
{
    uint32_t class = raw_read32(bus, dev, fn, PCI_REVISION_ID);
    uint8_t class_code = class >> 24, subclass = (class >> 16) & 0xff;

    bool match = s->by_class
                     ? (class >> 8) == s->class24
                     : (id & 0xffff) == s->vendor && (id >> 16) == s->device;
    if (match) {
        if (s->skip == 0) {
            *s->out = (struct hostpci_dev){
                .bus = bus, .dev = dev, .fn = fn,
                .vendor = id & 0xffff, .device = id >> 16,
                .class_code = class_code, .subclass = subclass,
            };
            return true;
        }
        s->skip--;
    }
    if (class_code == PCI_CLASS_BRIDGE &&
        subclass == PCI_SUBCLASS_PCI_BRIDGE) {
        uint8_t sec = (raw_read32(bus, dev, fn, PCI_SECONDARY_BUS & ~3u) >>
                       8 * (PCI_SECONDARY_BUS & 3)) & 0xff;
        /* A bridge the firmware left unconfigured has secondary bus 0;
         * a bus below its parent would be a loop. */
        if (sec > bus)
            return scan_bus(s, sec);
    }
    return false;
}

static bool scan_bus(struct scan *s, uint8_t bus)
{
    if (++s->buses_seen > 256)
        return false;
    for (uint8_t dev = 0; dev < PCI_MAX_DEVICES; dev++) {
        for (uint8_t fn = 0; fn < PCI_MAX_FUNCTIONS; fn++) {
            uint32_t id = raw_read32(bus, dev, fn, PCI_VENDOR_ID);
            /* Vendor 0xFFFF: no function here (PCI 3.0, 6.2.1). */
            if ((id & 0xffff) == 0xffff) {
                if (fn == 0)
                    break;
                continue;
            }
            if (scan_function(s, bus, dev, fn, id))
                return true;
            if (fn == 0) {
                uint32_t hdr = raw_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3u);
                if (!((hdr >> 16) & PCI_HEADER_MULTI_FN))
                    break;
            }
        }
    }
    return false;
}

int hostpci_find(uint16_t vendor, uint16_t device, unsigned index,
                 struct hostpci_dev *out)
{
    struct scan s = { .vendor = vendor, .device = device, .skip = index,
                      .out = out };
    return scan_bus(&s, 0) ? 0 : -ENODEV;
}

int hostpci_find_class(uint8_t class_code, uint8_t subclass, uint8_t prog_if,
                       unsigned index, struct hostpci_dev *out)
{
    struct scan s = { .by_class = true,
                      .class24 = (uint32_t)class_code << 16 |
                                 (uint32_t)subclass << 8 | prog_if,
                      .skip = index, .out = out };
    return scan_bus(&s, 0) ? 0 : -ENODEV;
}

uint64_t hostpci_bar(const struct hostpci_dev *d, unsigned bar,
                     uint64_t *size, bool *is_io)
{
    if (bar > 5)
        return 0;
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint16_t cmd = hostpci_read16(d, PCI_COMMAND);
    uint32_t lo = hostpci_read32(d, off), hi = 0, mlo, mhi = 0xffffffff;
    bool io = lo & PCI_BAR_IO;
    bool is64 = !io && (lo & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
    uint64_t base, mask;

    if (is64 && bar > 4)
        return 0;
    /* Sizing: decoding off, write all-ones, read the mask back, restore
     * (PCI 3.0, 6.2.5.1 "Address Maps"). */
    hostpci_write16(d, PCI_COMMAND,
                    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    hostpci_write32(d, off, 0xffffffff);
    mlo = hostpci_read32(d, off);
    hostpci_write32(d, off, lo);
    if (is64) {
        hi = hostpci_read32(d, off + 4);
        hostpci_write32(d, off + 4, 0xffffffff);
        mhi = hostpci_read32(d, off + 4);
        hostpci_write32(d, off + 4, hi);
    }
    hostpci_write16(d, PCI_COMMAND, cmd);

    if (io) {
        base = lo & PCI_BAR_IO_MASK;
        mask = (mlo & PCI_BAR_IO_MASK) | 0xffff0000u;   /* 16-bit ports */
        mask |= 0xffffffff00000000ull;
    } else {
        base = ((uint64_t)hi << 32) | (lo & PCI_BAR_MEM_MASK);
        mask = ((uint64_t)mhi << 32) | (mlo & PCI_BAR_MEM_MASK);
    }
    /* An unimplemented BAR reads back 0 after the write (6.2.5.1). */
    if (size)
        *size = (mlo == 0 && (!is64 || mhi == 0)) ? 0 : ~mask + 1;
    if (is_io)
        *is_io = io;
    return base;
}

void hostpci_enable(const struct hostpci_dev *d)
{
    uint16_t cmd = hostpci_read16(d, PCI_COMMAND);
    hostpci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_IO |
                                        PCI_COMMAND_MEMORY |
                                        PCI_COMMAND_MASTER);
}

int hostpci_find_cap(const struct hostpci_dev *d, uint8_t cap_id,
                     unsigned start)
{
    unsigned off;

    if (!(hostpci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    /* Each entry: byte 0 the id, byte 1 the next pointer; the low two
     * bits of a pointer are reserved (PCI 3.0, 6.7). */
    off = hostpci_read8(d, start ? start + 1 : PCI_CAPABILITY_LIST);
    for (unsigned n = 0; n < PCI_CAP_MAX_WALK; n++) {
        off &= 0xfc;
        if (off < PCI_CAP_MIN_OFFSET)
            return 0;
        if (hostpci_read8(d, off) == cap_id)
            return (int)off;
        off = hostpci_read8(d, off + 1);
    }
    return 0;
}
