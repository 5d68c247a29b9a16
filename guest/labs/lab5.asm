; Lab 5 guest: the MOV forms of SDM Vol. 2B "MOV - Move" against an MMIO
; register, the local APIC's task-priority register (TPR, 0xFEE00080,
; SDM 3A 11.8.3.1 "Task and Processor Priorities"). Each access is a
; nested page fault the emulator decodes and completes.
%include "lib.inc"
LAPIC equ 0xfee00000
TPR   equ LAPIC + 0x80
section .text
main:
    mov dword [TPR], 0x20                ; C7 /0 with disp32
    mov eax, [TPR]                       ; A1: moffs
    and eax, 0xff
    cmp eax, 0x20
    sete al
    movzx eax, al
    mov esi, msg_c7
    call check

    mov eax, 0x30
    mov [TPR], eax                       ; A3: moffs
    mov ebx, LAPIC
    mov ecx, [ebx + 0x80]                ; 8B /r
    and ecx, 0xff
    cmp ecx, 0x30
    sete al
    movzx eax, al
    mov esi, msg_a3
    call check

    mov dword [ebx + 0x80], 0x40         ; C7 /0 with base + disp8
    mov eax, 0
    mov eax, [TPR]
    and eax, 0xff
    cmp eax, 0x40
    sete al
    movzx eax, al
    mov esi, msg_c7b
    call check

    mov dword [TPR], 0                   ; leave the TPR as we found it
    mov eax, [failures]
    ret
section .data
msg_c7:  db "lab5: MOV m32,imm32 then MOV EAX,moffs", 0
msg_a3:  db "lab5: MOV moffs,EAX then MOV r32,m32", 0
msg_c7b: db "lab5: MOV [base+disp8],imm32", 0
