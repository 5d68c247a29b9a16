; Nested page fault on a guest-physical address that is neither RAM nor a
; device (2 GiB: above this 16 MiB VM's RAM, below the PCI window, where an
; unclaimed access would read all-ones as on real PCI): Keel must stop this
; VM with a clear report and keep running (keel.cfg: expect = crashed).
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    mov eax, [0x80000000]
    mov esi, msg_after               ; never reached
    call puts
    mov eax, 1
    ret
section .data
msg:       db "unmapped: reading guest-physical 0x80000000", 10, 0
msg_after: db "unmapped: read returned FAILED", 10, 0
