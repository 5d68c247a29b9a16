/* Virtual 16550A UART (hv/dev/uart16550.h). Register offsets and bits are
 * the PC16550D datasheet's names. */
#include "hv/dev/bus.h"
#include "hv/dev/uart16550.h"
#include "lib/string.h"

enum {
    UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
    UART_IER = 1, UART_DLM = 1,
    UART_IIR = 2, UART_FCR = 2,
    UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_ERBFI  0x01   /* received data available interrupt */
#define IER_ETBEI  0x02   /* THR empty interrupt */
#define IIR_NO_INT 0x01
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0
#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02
#define LCR_DLAB   0x80
#define MCR_DTR    0x01
#define MCR_RTS    0x02
#define MCR_OUT1   0x04
#define MCR_OUT2   0x08
#define MCR_LOOP   0x10
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
/* Modem status register bits; the UART_ prefix keeps them apart from the
 * x86 MSR_* indexes (arch/x86/msr_index.h). */
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI  0x40
#define UART_MSR_DCD 0x80

void uart_init(struct uart16550 *u, void (*tx)(void *, uint8_t),
               void (*irq)(void *, bool), void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->irq = irq;
    u->ctx = ctx;
    u->dll = 1;   /* 115200 baud divisor, as firmware leaves it */
}

static uint8_t iir(const struct uart16550 *u)
{
    uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
    if ((u->ier & IER_ERBFI) && u->rx_count)
        return IIR_RDI | fifo;
    if ((u->ier & IER_ETBEI) && u->thri_pending)
        return IIR_THRI | fifo;
    return IIR_NO_INT | fifo;
}

/* Recompute the interrupt output. On the PC the line reaches the PIC only
 * when MCR.OUT2 is set. */
static void update_irq(struct uart16550 *u)
{
    bool level = (u->mcr & MCR_OUT2) && !(iir(u) & IIR_NO_INT);
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->irq)
            u->irq(u->ctx, level);
    }
}

unsigned uart_rx_room(const struct uart16550 *u)
{
    return UART_RX_FIFO - u->rx_count;
}

bool uart_receive(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count == UART_RX_FIFO)
        return false;
    u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = byte;
    update_irq(u);
    return true;
}

int uart_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct uart16550 *u = dev;
    uint8_t v = 0xff;

    if (size != 1) {
        *val = bus_all_ones(size);
        return 0;
    }
    switch (offset) {
    case UART_RBR:
        if (u->lcr & LCR_DLAB) {
            v = u->dll;
        } else if (u->rx_count) {
            v = u->rx[u->rx_head];
            u->rx_head = (u->rx_head + 1) % UART_RX_FIFO;
            u->rx_count--;
        } else {
            v = 0;
        }
        break;
    case UART_IER:
        v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
        break;
    case UART_IIR:
        v = iir(u);
        /* Reading IIR acknowledges a THR-empty interrupt (datasheet
         * Table IV, "Interrupt Reset Control"). */
        if ((v & 0x0f) == IIR_THRI)
            u->thri_pending = false;
        break;
    case UART_LCR:
        v = u->lcr;
        break;
    case UART_MCR:
        v = u->mcr;
        break;
    case UART_LSR:
        /* Transmission is instantaneous: THR and the shifter are always
         * empty. */
        v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0);
        break;
    case UART_MSR:
        /* LAB 3 BEGIN: modem status, looped back from MCR in loopback mode */
        if (u->mcr & MCR_LOOP)
            /* Loopback wires RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD; Linux
             * probes the port this way. */
            v = ((u->mcr & MCR_RTS) ? UART_MSR_CTS : 0) |
                ((u->mcr & MCR_DTR) ? UART_MSR_DSR : 0) |
                ((u->mcr & MCR_OUT1) ? UART_MSR_RI : 0) |
                ((u->mcr & MCR_OUT2) ? UART_MSR_DCD : 0);
        else
            v = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
        /* LAB 3 STUB
        v = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
        */
        /* LAB 3 END */
        break;
    case UART_SCR:
        /* LAB 3 BEGIN: the scratch register reads back what was written */
        v = u->scr;
        /* LAB 3 END */
        break;
    default:
        break;
    }
    *val = v;
    update_irq(u);
    return 0;
}

int uart_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct uart16550 *u = dev;
    uint8_t v = (uint8_t)val;

    if (size != 1)
        return 0;
    switch (offset) {
    case UART_THR:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
            break;
        }
        /* LAB 3 BEGIN: in loopback mode a sent byte is received back */
        if (u->mcr & MCR_LOOP)
            uart_receive(u, v);
        else if (u->tx)
            u->tx(u->ctx, v);
        /* LAB 3 STUB
        if (u->tx)
            u->tx(u->ctx, v);
        */
        /* LAB 3 END */
        u->thri_pending = true;
        break;
    case UART_IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
            break;
        }
        /* Enabling ETBEI with an empty THR raises the interrupt. */
        if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
            u->thri_pending = true;
        u->ier = v & 0x0f;
        break;
    case UART_FCR:
        u->fcr = v & (FCR_ENABLE | 0xc0);
        if (v & FCR_CLR_RX)
            u->rx_count = 0;
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        break;
    case UART_SCR:
        u->scr = v;
        break;
    default:
        break;   /* LSR and MSR are read-only */
    }
    update_irq(u);
    return 0;
}
