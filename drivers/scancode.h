/* PC keyboard scancodes (set 1, what an i8042 controller with translation
 * on delivers) to the bytes a terminal sends: a US layout with Shift, Caps
 * Lock and Ctrl. Pure: the state lives in the caller's struct.
 * Reference: IBM PC AT Technical Reference, "Keyboard" (scan code set 1
 * make/break codes: break = make | 0x80; E0 prefixes the extended keys). */
#ifndef KEEL_SCANCODE_H
#define KEEL_SCANCODE_H

#include "lib/types.h"

/* Modifier and prefix state between bytes; zero-initialise. */
struct scancode_state {
    bool shift_left, shift_right, ctrl_left, ctrl_right;
    bool caps_lock;
    bool extended;     /* the last byte was the E0 prefix */
    uint8_t skip;      /* bytes of the Pause key's E1 sequence left */
};

/* Feed one scancode byte. Returns the byte the key sends (0x00-0x7F), or
 * -1 when it sends none (a release, a modifier, a prefix, a key without
 * an ASCII meaning). Enter sends CR (0x0D), Backspace DEL (0x7F), Esc
 * 0x1B, Tab 0x09; Ctrl with a letter or one of @ [ \ ] ^ _ sends that
 * character & 0x1F (Ctrl-C 0x03, Ctrl-] 0x1D). Not handled: arrows and the
 * other cursor keys, F-keys, Alt, Num Lock (the keypad's digits). */
int scancode_to_ascii(struct scancode_state *s, uint8_t code);

#endif
