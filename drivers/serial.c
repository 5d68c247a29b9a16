/* The hypervisor's console: the first 16550 UART at I/O port 0x3F8, 115200
 * baud 8N1, polled. Reference: PC16550D datasheet, "Register Description". */
#include "arch/x86/cpu.h"
#include "drivers/serial.h"

#define COM1      0x3f8
#define UART_THR  0  /* transmit holding (write) / RBR receive (read) */
#define UART_IER  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define UART_DLL  0  /* with LCR.DLAB */
#define UART_DLM  1
#define LCR_8N1   0x03
#define LCR_DLAB  0x80
#define LSR_DR    0x01  /* data ready */
#define LSR_THRE  0x20  /* transmit holding register empty */

static bool present;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);            /* polled: no interrupts */
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, 1);            /* 115200 = 115200 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    /* FIFO on, both cleared, receive trigger level 14 (FCR bits 7:6 = 11,
     * datasheet Table V). Keel polls, so the level raises no interrupt;
     * but QEMU's 16550 takes from its back end only up to the trigger
     * level at a time, so level 1 would hand Keel one typed byte per
     * look and level 14 hands it up to 14. */
    outb(COM1 + UART_FCR, 0xc7);
    outb(COM1 + UART_MCR, 0x03);         /* DTR, RTS */
    /* A missing port reads 0xFF everywhere; then writes are dropped rather
     * than spinning forever on LSR. */
    present = inb(COM1 + UART_LSR) != 0xff;
}

static void put_raw(char c)
{
    for (unsigned spins = 0; spins < 1000000; spins++)
        if (inb(COM1 + UART_LSR) & LSR_THRE)
            break;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    if (!present)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put_raw('\r');
        put_raw(s[i]);
    }
}

void serial_write_raw(const char *s, size_t n)
{
    if (!present)
        return;
    for (size_t i = 0; i < n; i++)
        put_raw(s[i]);
}

bool serial_present(void) { return present; }

int serial_getc(void)
{
    if (!present || !(inb(COM1 + UART_LSR) & LSR_DR))
        return -1;
    return inb(COM1 + UART_THR);
}
