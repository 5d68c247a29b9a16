; Lab 9 guest: a dirty-page logger (docs/labs/lab9-dirty.md). The guest
; asks Keel to log its writes (hypercalls, docs/hypercalls.md), writes a
; known set of pages in a 64 KiB window at 8 MiB, then reads the log back
; as a bitmap and checks it names exactly those pages, that the writes
; landed, and that a read clears the log and protects the pages again.
%include "lib.inc"
HC_DIRTY_LOG_START equ 0x4b450002    ; docs/hypercalls.md
HC_DIRTY_LOG_GET   equ 0x4b450003
HC_DIRTY_LOG_STOP  equ 0x4b450004
WINDOW  equ 0x800000                 ; inside a 2 MiB page of guest RAM
PAGES   equ 16
NOWHERE equ 0x40000000               ; no RAM there (lab 4)
EFAULT  equ 14
EINVAL  equ 22

section .text
; get_log: read and clear the window's log into `bitmap`; EAX = count.
get_log:
    mov eax, HC_DIRTY_LOG_GET
    mov ebx, WINDOW
    mov ecx, PAGES
    mov edx, bitmap
    jmp hypercall

main:
    mov eax, HC_DIRTY_LOG_START
    call hypercall
    cmp eax, 0
    check_if e, msg_start

    ; Writes: page 0 twice, the last dword of page 3, one dword across
    ; the boundary of pages 5 and 6, REP STOSD over pages 8-10. Page 12
    ; is only read.
    mov byte [WINDOW + 0x10], 0x11
    mov byte [WINDOW + 0x20], 0x22
    mov dword [WINDOW + 0x3ffc], 0x33333333
    mov dword [WINDOW + 0x5ffe], 0x55666655
    mov edi, WINDOW + 0x8000
    mov ecx, 3 * 4096 / 4
    mov eax, 0xa5a5a5a5
    cld
    rep stosd
    mov eax, [WINDOW + 0xc000]

    call get_log
    cmp eax, 7
    check_if e, msg_count
    cmp word [bitmap], 0000011101101001b   ; pages 0, 3, 5, 6, 8, 9, 10
    check_if e, msg_exact

    ; Each write reached RAM after its fault (the instruction was
    ; retried, not skipped or emulated away).
    xor eax, eax
    cmp byte [WINDOW + 0x10], 0x11
    jne .values
    cmp byte [WINDOW + 0x20], 0x22
    jne .values
    cmp dword [WINDOW + 0x3ffc], 0x33333333
    jne .values
    cmp dword [WINDOW + 0x5ffe], 0x55666655
    jne .values
    cmp dword [WINDOW + 0xaffc], 0xa5a5a5a5
    jne .values
    mov eax, 1
.values:
    mov esi, msg_values
    call check

    call get_log
    cmp eax, 0
    check_if e, msg_cleared

    ; Reading protected page 3 again: the next write is logged anew.
    mov dword [WINDOW + 0x3000], 0x3
    call get_log
    cmp eax, 1
    sete al
    cmp word [bitmap], 0000000000001000b
    sete ah
    and al, ah
    movzx eax, al
    mov esi, msg_again
    call check

    ; Bad arguments are refused and leave the log alone.
    mov byte [WINDOW + 0xf000], 0xf
    mov eax, HC_DIRTY_LOG_GET
    mov ebx, WINDOW
    mov ecx, PAGES
    mov edx, NOWHERE                 ; the bitmap is not RAM
    call hypercall
    cmp eax, -EFAULT
    sete [ok_fault]
    mov eax, HC_DIRTY_LOG_GET
    mov ebx, WINDOW + 1              ; not page aligned
    mov ecx, PAGES
    mov edx, bitmap
    call hypercall
    cmp eax, -EINVAL
    sete [ok_inval]
    call get_log                     ; page 15 is still logged
    cmp eax, 1
    sete al
    and al, [ok_fault]
    and al, [ok_inval]
    movzx eax, al
    mov esi, msg_bad
    call check

    mov eax, HC_DIRTY_LOG_STOP
    call hypercall
    mov dword [WINDOW + 0x4000], 4   ; no fault now, nothing logged
    call get_log                     ; the log is off
    cmp eax, -EINVAL
    check_if e, msg_stop

    mov eax, [failures]
    ret

section .data
msg_start:  db "lab9: dirty log started", 0
msg_count:  db "lab9: seven pages written, seven logged", 0
msg_exact:  db "lab9: the bitmap names exactly the pages written", 0
msg_values: db "lab9: every write reached RAM", 0
msg_cleared: db "lab9: a second read finds nothing new", 0
msg_again:  db "lab9: a page written after the read is logged again", 0
msg_bad:    db "lab9: bad arguments are refused and keep the log", 0
msg_stop:   db "lab9: dirty log stopped", 0
ok_fault:   db 0
ok_inval:   db 0

section .bss
bitmap:     resb PAGES / 8
