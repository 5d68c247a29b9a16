; Lab 1 guest: the smallest useful guest. It runs, writes memory, prints
; one line and halts with interrupts disabled. With the VMRUN and HLT
; intercepts in place and handle_hlt written, Keel reports the VM as
; halted (keel.cfg: expect = halted). Without the HLT intercept the CPU
; halts inside the guest until the next host interrupt and the guest
; falls through to the failure below.
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    mov dword [marker], 0x6c65654b       ; "Keel": the guest owns its RAM
    cmp dword [marker], 0x6c65654b
    jne .bad
    cli
    hlt
.bad:
    mov esi, msg_woke                    ; a halted guest never gets here
    call puts
    mov eax, 1
    ret
section .data
msg:      db "lab1: hello from the guest, halting with interrupts disabled", 10, 0
msg_woke: db "lab1: woke up after HLT FAILED", 10, 0
marker:   dd 0
