; Guest-physical addresses that are neither RAM nor a device (2 GiB:
; above this 16 MiB VM's RAM, below the PCI window). As on a PC, a read
; floats to all-ones and a write is dropped (Keel emulates the access
; against a floating bus and logs it once per page); code cannot run
; there, so a jump to it stops this VM with a clear report while Keel
; keeps running (keel.cfg: expect = crashed).
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    mov dword [0x80000000], 0x12345678
    mov eax, [0x80000000]
    cmp eax, 0xffffffff
    check_if e, s_read
    mov esi, msg_fetch
    call puts
    mov eax, 0x80000000
    jmp eax
section .data
msg:       db "unmapped: writing and reading guest-physical 0x80000000", 10, 0
s_read:    db "unmapped: the read floats to all-ones", 0
msg_fetch: db "unmapped: jumping to 0x80000000", 10, 0
