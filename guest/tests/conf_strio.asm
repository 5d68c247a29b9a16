; Conformance: string port I/O (SDM 2A "INS/INSB/INSW/INSD", "OUTS/OUTSB/
; OUTSW/OUTSD", "REP/REPE/REPZ/REPNE/REPNZ"). A hypervisor that intercepts
; port I/O must complete them itself: every element through the port, the
; memory operand through ES:EDI (INS) or DS:ESI (OUTS, segment override
; allowed), the index registers stepped by the element size in the
; direction DF says, ECX counted down to 0 with REP. The UART's scratch
; register (COM1 + 7) holds the last byte written; a port nothing claims
; reads all-ones.
%include "lib.inc"
SCR equ COM1 + 7
EMPTY_PORT equ 0x510
section .text
main:
    cld
    mov esi, src
    mov dx, SCR
    mov ecx, 4
    rep outsb                        ; 11 22 33 44: the last one stays
    in al, dx
    cmp al, 0x44
    sete bl
    cmp esi, src + 4
    sete bh
    and bl, bh
    test ecx, ecx
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_outs

    mov al, 0x5a
    out dx, al
    mov edi, dst
    mov ecx, 4
    rep insb                         ; 5a 5a 5a 5a
    cmp dword [dst], 0x5a5a5a5a
    sete bl
    cmp edi, dst + 4
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_ins

    std                              ; backwards: the last byte first
    mov al, 0x77
    out dx, al
    mov edi, dst + 7
    mov ecx, 2
    rep insb
    cld
    cmp word [dst + 6], 0x7777
    sete bl
    cmp edi, dst + 5
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_std

    mov dx, EMPTY_PORT
    mov edi, dst
    mov ecx, 2
    rep insd
    cmp dword [dst], 0xffffffff
    sete bl
    cmp dword [dst + 4], 0xffffffff
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_empty

    mov dx, SCR
    mov esi, src + 2
    fs outsb                         ; a segment override on the source
    in al, dx
    cmp al, 0x33
    check_if e, s_seg
    mov eax, [failures]
    ret

section .data
src: db 0x11, 0x22, 0x33, 0x44
dst: times 8 db 0
s_outs:  db "conf-strio: REP OUTSB to the UART scratch register", 0
s_ins:   db "conf-strio: REP INSB from it", 0
s_std:   db "conf-strio: REP INSB with DF=1 fills downwards", 0
s_empty: db "conf-strio: REP INSD from a port nothing claims reads all-ones", 0
s_seg:   db "conf-strio: OUTSB with an FS override", 0
