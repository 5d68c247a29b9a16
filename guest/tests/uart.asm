; Port I/O exits: the guest talks to Keel's virtual 16550 (hv/dev/
; uart16550.c): scratch register, line status, loopback as Linux probes
; it, then a line printed through the transmitter.
%include "lib.inc"
section .text
main:
    mov dx, COM1 + 7                 ; SCR keeps what is written
    mov al, 0x5a
    out dx, al
    in al, dx
    cmp al, 0x5a
    sete al
    movzx eax, al
    mov esi, s_scr
    call check

    mov dx, COM1 + 5                 ; LSR: THR empty and idle
    in al, dx
    and al, 0x60
    cmp al, 0x60
    sete al
    movzx eax, al
    mov esi, s_lsr
    call check

    ; Loopback (MCR bit 4) with RTS and OUT2, as Linux's 8250 driver
    ; probes the port. Transmitted bytes now come back to the receiver,
    ; so nothing is printed until loopback is off again.
    mov dx, COM1 + 4
    mov al, 0x1a
    out dx, al
    mov dx, COM1 + 6
    in al, dx
    and al, 0xf0
    mov [loop_msr], al               ; expect CTS|DCD = 0x90
    mov dx, COM1
    mov al, 'K'
    out dx, al
    mov dx, COM1 + 5
    in al, dx
    mov [loop_lsr], al               ; expect data ready (bit 0)
    mov dx, COM1
    in al, dx
    mov [loop_rbr], al               ; expect 'K'
    mov dx, COM1 + 4
    mov al, 0x03
    out dx, al

    xor eax, eax
    cmp byte [loop_msr], 0x90
    sete al
    mov esi, s_loop
    call check
    xor eax, eax
    test byte [loop_lsr], 1
    setnz al
    mov esi, s_ready
    call check
    xor eax, eax
    cmp byte [loop_rbr], 'K'
    sete al
    mov esi, s_echo
    call check

    mov esi, s_hello
    call puts
    mov eax, [failures]
    ret
section .data
s_scr:   db "uart: scratch register", 0
s_lsr:   db "uart: line status THRE|TEMT", 0
s_loop:  db "uart: loopback modem status", 0
s_ready: db "uart: loopback data ready", 0
s_echo:  db "uart: loopback echo", 0
loop_msr: db 0
loop_lsr: db 0
loop_rbr: db 0
s_hello: db "uart: hello from a guest, through Keel's virtual 16550", 10, 0
