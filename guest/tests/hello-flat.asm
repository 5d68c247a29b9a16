; A flat binary (keel.cfg: format = flat, load-addr = 0x200000): no
; header, entered at its first byte in 32-bit protected mode.
%define FLAT
org 0x200000
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    xor eax, eax
    ret
section .data
msg: db "flat: hello from a flat binary at 0x200000", 10, 0
