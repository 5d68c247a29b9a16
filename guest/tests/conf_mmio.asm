; Conformance: instructions with a memory operand on device memory. Each
; one reads and/or writes the local APIC's task-priority register (TPR,
; offset 0x80: bits 7:0 read/write, SDM 3A 11.8.3.1), so under a
; hypervisor every one is an MMIO exit that its instruction emulator must
; complete exactly as the CPU would (result, flags, registers): the
; ALU/logic ops, XCHG, CMPXCHG, XADD, BT*, NOT/NEG, MUL/IMUL/DIV with a
; memory source, MOVS/CMPS/SCAS/STOS/LODS with a REP prefix. Every access
; is an aligned dword: narrower APIC accesses are model-specific (11.4.1).
%include "lib.inc"
TPR equ 0xfee00080

; set_tpr value
%macro set_tpr 1
    mov dword [TPR], %1
%endmacro

section .text
main:
    mov dword [0xfee000f0], 0x1ff    ; APIC software-enabled

    set_tpr 0x20
    add dword [TPR], 0x11
    cmp dword [TPR], 0x31
    check_if e, s_add
    or dword [TPR], 0x40
    and dword [TPR], 0x7c
    xor dword [TPR], 0x01
    cmp dword [TPR], 0x71
    check_if e, s_logic
    set_tpr 0x05
    sub dword [TPR], 0x06            ; 0x05 - 0x06: borrow, TPR keeps 8 bits
    setc bl
    cmp bl, 1
    check_if e, s_sub_cf

    set_tpr 0x42
    mov eax, 0x17
    xchg [TPR], eax
    cmp eax, 0x42
    sete bl
    cmp dword [TPR], 0x17
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_xchg

    set_tpr 0x17
    mov eax, 0x17
    mov ecx, 0x99
    lock cmpxchg [TPR], ecx          ; equal: TPR = 0x99, ZF = 1
    setz bl
    cmp dword [TPR], 0x99
    sete bh
    and bl, bh
    mov eax, 0x10
    cmpxchg [TPR], ecx               ; not equal: EAX = 0x99, ZF = 0
    setnz bh
    and bl, bh
    cmp eax, 0x99
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_cmpxchg

    set_tpr 0x30
    mov eax, 0x05
    xadd [TPR], eax                  ; EAX = 0x30, TPR = 0x35
    cmp eax, 0x30
    sete bl
    cmp dword [TPR], 0x35
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_xadd

    set_tpr 0x01
    bts dword [TPR], 6               ; CF = old bit 6 = 0, TPR = 0x41
    setc bl
    bt dword [TPR], 0                ; CF = 1
    setc bh
    cmp bx, 0x0100
    sete bl
    cmp dword [TPR], 0x41
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_bt

    set_tpr 0x0f
    not dword [TPR]                  ; 0xf0: TPR keeps bits 7:0
    cmp dword [TPR], 0xf0
    check_if e, s_not

    set_tpr 0x07
    mov eax, 6
    mul dword [TPR]                  ; EDX:EAX = 42
    cmp eax, 42
    sete bl
    test edx, edx
    sete bh
    and bl, bh
    imul ecx, [TPR], -3              ; -21
    cmp ecx, -21
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_mul

    set_tpr 0x10
    mov eax, 100
    xor edx, edx
    div dword [TPR]                  ; 100 / 16 = 6 rem 4
    cmp eax, 6
    sete bl
    cmp edx, 4
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_div

    ; MOVS from the TPR to RAM and back, REP STOS into the TPR (the last
    ; one stays), LODS, SCAS and CMPS against RAM.
    set_tpr 0x5a
    cld
    mov esi, TPR
    mov edi, ram_dword
    movsd
    cmp dword [ram_dword], 0x5a
    sete bl
    mov dword [ram_dword], 0x3c
    mov esi, ram_dword
    mov edi, TPR
    movsd
    cmp dword [TPR], 0x3c
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_movs

    mov edi, TPR
    mov eax, 0x66
    mov ecx, 1
    rep stosd
    cmp dword [TPR], 0x66
    sete bl
    mov esi, TPR
    lodsd
    cmp eax, 0x66
    sete bh
    and bl, bh
    mov edi, TPR
    mov eax, 0x66
    scasd                            ; equal: ZF = 1
    sete bh
    and bl, bh
    mov dword [ram_dword], 0x66
    mov esi, ram_dword
    mov edi, TPR
    mov ecx, 1
    repe cmpsd                       ; equal: ZF = 1, ECX = 0
    sete bh
    and bl, bh
    test ecx, ecx
    sete bh
    and bl, bh
    cmp bl, 1
    check_if e, s_string

    mov eax, [failures]
    ret

section .data
ram_dword: dd 0
s_add:     db "conf-mmio: ADD to the TPR", 0
s_logic:   db "conf-mmio: OR, AND, XOR on the TPR", 0
s_sub_cf:  db "conf-mmio: SUB from the TPR sets CF on borrow", 0
s_xchg:    db "conf-mmio: XCHG with the TPR", 0
s_cmpxchg: db "conf-mmio: LOCK CMPXCHG with the TPR, equal and not", 0
s_xadd:    db "conf-mmio: XADD with the TPR", 0
s_bt:      db "conf-mmio: BTS and BT on the TPR", 0
s_not:     db "conf-mmio: NOT of the TPR", 0
s_mul:     db "conf-mmio: MUL and IMUL with the TPR as source", 0
s_div:     db "conf-mmio: DIV by the TPR", 0
s_movs:    db "conf-mmio: MOVSD from and to the TPR", 0
s_string:  db "conf-mmio: REP STOSD, LODSD, SCASD, REPE CMPSD on the TPR", 0
