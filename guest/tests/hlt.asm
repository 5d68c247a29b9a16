; HLT exit: the guest halts with interrupts disabled. Nothing can wake it,
; so Keel must report the VM as halted (keel.cfg: expect = halted) and
; carry on with the other VMs.
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    cli
    hlt
    mov esi, msg_woke                ; never: a halted guest stays halted
    call puts
    mov eax, 1
    ret
section .data
msg:      db "hlt: halting with interrupts disabled", 10, 0
msg_woke: db "hlt: woke up FAILED", 10, 0
