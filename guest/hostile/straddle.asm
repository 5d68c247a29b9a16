; Hostile (issue 11): instructions that straddle a page boundary. First
; an MMIO load (MOV EAX, [LAPIC version]) whose five bytes cross from one
; RAM page into the next: Keel's emulator must fetch both parts and return
; the version register. Then the same instruction placed so that its last
; bytes lie past the end of guest RAM, where nothing is backed: the
; fetch cannot be completed, so Keel stops this VM with one log line
; naming the address (docs/platform.md, "floating bus").
%include "lib.inc"

RAM_END equ 0x1000000                ; memory = 16M in keel.cfg

section .text
main:
    ; mov eax, [0xfee00030] ; ret  -- at the last 2 bytes of a page
    mov edi, page + 4096 - 2
    mov esi, insn
    mov ecx, insn_len
    rep movsb
    call page + 4096 - 2
    and eax, 0xff
    cmp eax, 0x10
    check_if ae, s_cross
    ; The same bytes at RAM_END - 2: the rest is unbacked.
    mov edi, RAM_END - 2
    mov esi, insn
    mov ecx, insn_len
    rep movsb
    mov esi, s_go
    call puts
    call RAM_END - 2
    mov esi, s_survived              ; never reached under Keel
    call puts
    mov eax, 1
    ret

section .data
insn: db 0xa1, 0x30, 0x00, 0xe0, 0xfe, 0xc3
insn_len equ $ - insn
s_cross: db "straddle: MMIO load across a RAM page boundary reads the LAPIC version", 0
s_go: db "straddle: calling an instruction that runs past the end of RAM", 10, 0
s_survived: db "straddle: FAILED: the fetch past RAM completed", 10, 0

section .bss
alignb 4096
page: resb 8192
