/* The i8042 keyboard controller, polled (drivers/i8042.h). Reference: IBM
 * PC AT Technical Reference, "Keyboard Controller": status register at 64h
 * (bit 0 output buffer full, bit 1 input buffer full, bit 5 the byte is
 * from the auxiliary device), commands 20h (read command byte) and 60h
 * (write it) at 64h, data at 60h. */
#include "arch/x86/cpu.h"
#include "drivers/i8042.h"
#include "drivers/scancode.h"
#include "lib/errno.h"

#define I8042_DATA        0x60
#define I8042_STATUS      0x64   /* read */
#define I8042_COMMAND     0x64   /* write */
#define STATUS_OBF        0x01   /* output buffer full: a byte to read */
#define STATUS_IBF        0x02   /* input buffer full: do not write yet */
#define STATUS_AUX        0x20   /* the byte is the mouse's */
#define CMD_READ_CONFIG   0x20
#define CMD_WRITE_CONFIG  0x60
#define CONFIG_KBD_IRQ    0x01   /* IRQ 1 on keyboard data */
#define CONFIG_AUX_IRQ    0x02   /* IRQ 12 on mouse data */
#define CONFIG_KBD_OFF    0x10   /* keyboard clock disabled */
#define CONFIG_XLAT       0x40   /* translate set 2 to set 1 */
#define KBD_ENABLE_SCAN   0xf4   /* to the keyboard: send scancodes */
#define SPINS             100000
#define FLUSH_BYTES       32
#define BYTES_PER_CALL    8

static bool present;
static struct scancode_state keys;

static bool wait_status(uint8_t bit, bool set)
{
    for (unsigned i = 0; i < SPINS; i++)
        if (!!(inb(I8042_STATUS) & bit) == set)
            return true;
    return false;
}

static bool write_port(uint16_t port, uint8_t v)
{
    if (!wait_status(STATUS_IBF, false))
        return false;
    outb(port, v);
    return true;
}

static void flush(void)
{
    for (unsigned i = 0; i < FLUSH_BYTES && (inb(I8042_STATUS) & STATUS_OBF); i++)
        (void)inb(I8042_DATA);
}

int i8042_init(void)
{
    present = false;
    if (inb(I8042_STATUS) == 0xff)
        return -ENODEV;
    flush();
    if (!write_port(I8042_COMMAND, CMD_READ_CONFIG) ||
        !wait_status(STATUS_OBF, true))
        return -ENODEV;
    uint8_t config = inb(I8042_DATA);
    config |= CONFIG_XLAT;
    config &= (uint8_t)~(CONFIG_KBD_IRQ | CONFIG_AUX_IRQ | CONFIG_KBD_OFF);
    if (!write_port(I8042_COMMAND, CMD_WRITE_CONFIG) ||
        !write_port(I8042_DATA, config))
        return -ENODEV;
    /* The firmware may have stopped the keyboard's scanning as it left;
     * ask for it again (the keyboard answers FAh, dropped by the flush
     * once it arrived). */
    write_port(I8042_DATA, KBD_ENABLE_SCAN);
    wait_status(STATUS_OBF, true);
    flush();
    keys = (struct scancode_state){0};
    present = true;
    return 0;
}

int i8042_getc(void)
{
    if (!present)
        return -1;
    for (unsigned i = 0; i < BYTES_PER_CALL; i++) {
        uint8_t status = inb(I8042_STATUS);
        if (!(status & STATUS_OBF))
            return -1;
        uint8_t code = inb(I8042_DATA);
        if (status & STATUS_AUX)
            continue;
        int c = scancode_to_ascii(&keys, code);
        if (c >= 0)
            return c;
    }
    return -1;
}
