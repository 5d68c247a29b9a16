; Conformance: a guest-physical address that nothing decodes (2 GiB: above
; this VM's RAM, below the PCI window). On a PC the read floats to
; all-ones and the write goes nowhere (PCI 3.0 3.7.3 master abort).
%include "lib.inc"
UNBACKED equ 0x80000000
section .text
main:
    mov esi, s_value
    call puts
    mov eax, [UNBACKED]
    call puthex
    mov al, 10
    call putc
    mov eax, [UNBACKED]
    cmp eax, 0xffffffff
    check_if e, s_dword
    movzx eax, byte [UNBACKED + 3]
    cmp eax, 0xff
    check_if e, s_byte
    movzx eax, word [UNBACKED + 0x1000]
    cmp eax, 0xffff
    check_if e, s_word
    mov dword [UNBACKED], 0x12345678
    mov eax, [UNBACKED]
    cmp eax, 0xffffffff
    check_if e, s_write
    mov eax, [failures]
    ret
section .data
s_value: db "conf-floatbus: dword at 0x80000000 reads ", 0
s_dword: db "conf-floatbus: dword read of unbacked 0x80000000 is all-ones", 0
s_byte:  db "conf-floatbus: byte read is 0xFF", 0
s_word:  db "conf-floatbus: MOVZX word read of the next page is 0xFFFF", 0
s_write: db "conf-floatbus: a write is dropped (reads all-ones after)", 0
