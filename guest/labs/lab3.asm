; Lab 3 guest: how an IN result lands in RAX. An 8- or 16-bit IN writes
; only AL or AX; the rest of EAX is kept (SDM Vol. 2A "IN - Input from
; Port"; 32-bit results zero-extend to RAX only in 64-bit mode, SDM 3A
; 3.4.1.1 "General-Purpose Registers in 64-Bit Mode"). Port 0x3FD is the
; 16550's line status register (THRE|TEMT = 0x60 when idle); the virtual
; UART answers wider accesses with all ones.
%include "lib.inc"
section .text
main:
    mov dx, COM1 + 5
    mov eax, 0xabcdef00
    in al, dx
    cmp eax, 0xabcdef60
    sete al
    movzx eax, al
    mov esi, msg8
    call check

    mov dx, COM1 + 5
    mov eax, 0xabcd0000
    in ax, dx
    cmp eax, 0xabcdffff
    sete al
    movzx eax, al
    mov esi, msg16
    call check

    mov dx, COM1 + 5
    mov eax, 0x12345678
    in eax, dx
    cmp eax, 0xffffffff
    sete al
    movzx eax, al
    mov esi, msg32
    call check

    ; The scratch register keeps a byte, through OUT and IN.
    mov dx, COM1 + 7
    mov al, 0xa5
    out dx, al
    mov eax, 0x11111100
    in al, dx
    cmp eax, 0x111111a5
    sete al
    movzx eax, al
    mov esi, msgscr
    call check

    mov eax, [failures]
    ret
section .data
msg8:   db "lab3: 8-bit IN keeps bits 31:8 of EAX", 0
msg16:  db "lab3: 16-bit IN keeps bits 31:16 of EAX", 0
msg32:  db "lab3: 32-bit IN fills EAX", 0
msgscr: db "lab3: scratch register round trip", 0
