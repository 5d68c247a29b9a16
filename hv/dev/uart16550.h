/* A virtual 16550A UART (PC16550D datasheet, "Register Description"):
 * what a guest writes goes to Keel's console, what the user types arrives
 * in its receive FIFO, and its interrupt output follows the datasheet's
 * IIR priorities, gated by MCR.OUT2 as on the PC. */
#ifndef KEEL_UART16550_H
#define KEEL_UART16550_H

#include "lib/types.h"

#define UART_RX_FIFO 64

struct uart16550 {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    bool thri_pending;       /* "THR empty" interrupt not yet acknowledged */
    uint8_t rx[UART_RX_FIFO];
    unsigned rx_head, rx_count;
    /* Transmitted bytes (1 byte at a time). */
    void (*tx)(void *ctx, uint8_t byte);
    /* Interrupt line level changes (may be NULL: polled use). */
    void (*irq)(void *ctx, bool level);
    void *ctx;
    bool irq_level;
};

/* Reset to the power-on register values. */
void uart_init(struct uart16550 *u, void (*tx)(void *, uint8_t),
               void (*irq)(void *, bool), void *ctx);

/* Port accesses at offset 0-7 from the base (bus_read_fn/bus_write_fn);
 * size must be 1 (other sizes read 0xff / are ignored, as on ISA). */
int uart_read(void *dev, uint64_t offset, unsigned size, uint64_t *val);
int uart_write(void *dev, uint64_t offset, unsigned size, uint64_t val);

/* Queue a received byte; returns false if the FIFO is full (the byte is
 * then kept by the caller, not dropped). */
bool uart_receive(struct uart16550 *u, uint8_t byte);

/* Room left in the receive FIFO, in bytes. */
unsigned uart_rx_room(const struct uart16550 *u);

#endif
