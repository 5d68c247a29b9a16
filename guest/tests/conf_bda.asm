; Conformance: the BIOS Data Area a PC's firmware leaves (IBM PC/AT
; Technical Reference, "BIOS Data Area"): the COM1 base at 0x400, the EBDA
; segment at 0x40E, the base memory size in KiB at 0x413; the EBDA starts
; where base memory ends, and Multiboot's mem_lower (0.6.96 3.3: "the
; amount of lower memory") says the same.
%include "lib.inc"
section .text
main:
    mov esi, s_values
    call puts
    movzx eax, word [0x400]
    call puthex
    mov al, ' '
    call putc
    movzx eax, word [0x40e]
    call puthex
    mov al, ' '
    call putc
    movzx eax, word [0x413]
    call puthex
    mov al, ' '
    call putc
    mov ebx, [boot_ebx]
    mov eax, [ebx + 4]               ; mem_lower
    call puthex
    mov al, 10
    call putc

    movzx eax, word [0x400]
    cmp eax, 0x3f8
    check_if e, s_com1
    movzx eax, word [0x413]
    dec eax                          ; 0 wraps and fails
    cmp eax, 640
    check_if b, s_size
    movzx eax, word [0x413]
    shl eax, 10
    movzx ebx, word [0x40e]
    shl ebx, 4
    cmp eax, ebx
    check_if e, s_ebda
    mov ebx, [boot_ebx]
    test dword [ebx], 1              ; flags: mem_lower/mem_upper valid
    check_if nz, s_flag
    mov ebx, [boot_ebx]
    movzx eax, word [0x413]
    cmp eax, [ebx + 4]
    check_if e, s_mblow
    mov eax, [failures]
    ret
section .data
s_values: db "conf-bda: COM1, EBDA segment, base KiB, mem_lower: ", 0
s_com1:   db "conf-bda: COM1 at 0x400 is 0x3F8", 0
s_size:   db "conf-bda: base memory at 0x413 is 1 to 640 KiB", 0
s_ebda:   db "conf-bda: EBDA segment at 0x40E starts where base memory ends", 0
s_flag:   db "conf-bda: Multiboot flags bit 0 (mem_lower valid)", 0
s_mblow:  db "conf-bda: Multiboot mem_lower equals the BDA base memory size", 0
