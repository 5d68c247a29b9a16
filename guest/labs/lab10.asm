; Lab 10 guest: a paravirtual console (docs/labs/lab10-pvconsole.md). It
; prints through Keel's console hypercall (docs/hypercalls.md) instead of
; the UART, and checks that Keel refuses buffers it must not read.
%include "lib.inc"
HC_CONSOLE_WRITE equ 0x4b450001      ; docs/hypercalls.md
CONSOLE_MAX      equ 4096
NOWHERE equ 0x40000000               ; no RAM there (lab 4)
EFAULT  equ 14
EINVAL  equ 22
ENOSYS  equ 38

section .text
; hc_puts(ebx = text, ecx = length): EAX = the hypercall's result.
hc_puts:
    mov eax, HC_CONSOLE_WRITE
    jmp hypercall

main:
    mov ebx, hello
    mov ecx, hello_len
    call hc_puts
    cmp eax, hello_len
    check_if e, msg_len

    mov ebx, hello
    mov ecx, CONSOLE_MAX + 1
    call hc_puts
    cmp eax, -EINVAL
    check_if e, msg_long

    mov ebx, NOWHERE
    mov ecx, 16
    call hc_puts
    cmp eax, -EFAULT
    check_if e, msg_fault

    mov ebx, 0xffffff00              ; runs past 4 GiB
    mov ecx, 0x200
    call hc_puts
    cmp eax, -EFAULT
    check_if e, msg_wrap

    mov ebx, empty
    xor ecx, ecx                     ; nothing to print is fine
    call hc_puts
    cmp eax, 0
    check_if e, msg_empty

    mov eax, 0x7fff                  ; no such hypercall
    call hypercall
    cmp eax, -ENOSYS
    check_if e, msg_nosys

    mov ebx, bye
    mov ecx, bye_len
    call hc_puts
    mov eax, [failures]
    ret

section .data
hello:      db "lab10: hello through a hypercall", 10
hello_len   equ $ - hello
bye:        db "lab10: done", 10
bye_len     equ $ - bye
empty:      db 0
msg_len:    db "lab10: the console write returns its length", 0
msg_long:   db "lab10: a write longer than 4096 bytes is refused", 0
msg_fault:  db "lab10: a buffer outside RAM is refused", 0
msg_wrap:   db "lab10: a buffer running past 4 GiB is refused", 0
msg_empty:  db "lab10: an empty write is fine", 0
msg_nosys:  db "lab10: an unknown hypercall returns -ENOSYS", 0
