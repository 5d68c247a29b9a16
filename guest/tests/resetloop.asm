; A reset loop: the guest writes the ACPI reset register (port 0x60C,
; ACPI_RESET_VALUE 1, the FADT's RESET_REG) as soon as it starts, so every
; boot restarts it at once. Keel resets a VM in place (nothing allocated)
; and stops one reset more than 10 times within 10 s (expect = crashed);
; the other VMs keep running meanwhile.
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    mov dx, 0x60c
    mov al, 1
    out dx, al
.wait:                               ; the reset comes at the next
    pause                            ; scheduling point
    jmp .wait
section .data
msg: db "resetloop: writing the ACPI reset register", 10, 0
