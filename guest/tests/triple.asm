; Triple fault: with an empty IDT any exception becomes #DF, then a
; shutdown. Keel must name it and keep running (expect = triple-fault).
%include "lib.inc"
section .text
main:
    mov esi, msg
    call puts
    lidt [empty_idt]
    int3
    mov eax, 1
    ret
section .data
msg:       db "triple: loading an empty IDT and raising #BP", 10, 0
empty_idt: dw 0
           dd 0
