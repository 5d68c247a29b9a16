; Hostile (issue 11): REP string instructions with huge counts aimed at
; device memory and a port. Keel completes REP iterations itself for an
; intercepted access, so without a bound one instruction could keep the
; CPU for seconds inside one exit, stalling every other VM. Keel stops
; after a batch of iterations (EMU_STRING_BATCH, 4096), leaving RCX/RDI
; updated and RIP on the instruction, as the CPU itself does when an
; interrupt arrives between iterations (SDM 2B "REP"); the guest runs on
; and re-executes it. The guest checks the architectural end state; the
; test counts the exits the work took.
%include "lib.inc"
UNBACKED equ 0x80000000              ; nothing decodes it: writes dropped
STOS_COUNT equ 0x40000               ; 262,144 dwords: 64 batches
INS_COUNT equ 0x10000                ; 65,536 bytes: 16 batches
section .text
main:
    cld
    mov edi, UNBACKED
    mov ecx, STOS_COUNT
    mov eax, 0xdeadbeef
    rep stosd
    test ecx, ecx
    sete bl
    cmp edi, UNBACKED + 4 * STOS_COUNT
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_stos

    mov dx, COM1 + 7                 ; the UART scratch register
    mov al, 0x5a
    out dx, al
    mov edi, UNBACKED
    mov ecx, INS_COUNT
    rep insb
    test ecx, ecx
    sete bl
    cmp edi, UNBACKED + INS_COUNT
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_ins
    mov eax, [failures]
    ret
section .data
s_stos: db "repmmio: REP STOSD of 262144 dwords to unbacked memory ends with ECX 0, EDI past them", 0
s_ins:  db "repmmio: REP INSB of 65536 bytes from a port to unbacked memory ends with ECX 0", 0
