; Lab 4 guest: the MMIO hole. The IOAPIC page at 0xFEC00000 lies in the
; hole Keel leaves unmapped in the nested page table, so each access
; exits as a nested page fault, is emulated and reaches the vIOAPIC. Only
; the plain MOV forms 89 and 8B are used (lab 5 adds the others).
%include "lib.inc"
IOAPIC  equ 0xfec00000
NOWHERE equ 0x40000000               ; above 16 MiB of RAM, below the PCI window
section .text
main:
    mov ebx, IOAPIC
    mov eax, 1                           ; IOREGSEL = 1: IOAPICVER
    mov [ebx], eax                       ; 89 /r
    mov eax, [ebx + 0x10]                ; 8B /r: IOWIN
    cmp eax, 0x00170020                  ; version 0x20, 24 pins
    sete al
    movzx eax, al
    mov esi, msgver
    call check

    mov eax, 0                           ; IOREGSEL = 0: IOAPICID
    mov [ebx], eax
    mov ecx, [ebx]                       ; IOREGSEL reads back
    test ecx, ecx
    setz al
    movzx eax, al
    mov esi, msgsel
    call check

    ; RAM just below the hole is ordinary memory: no exit at all.
    mov dword [ram_word], 0x5a5a5a5a
    cmp dword [ram_word], 0x5a5a5a5a
    sete al
    movzx eax, al
    mov esi, msgram
    call check

    ; A GPA with neither RAM nor a device behind it reads as a PC's
    ; floating bus: all-ones (docs/platform.md, "Conformance").
    mov ebx, NOWHERE
    mov eax, [ebx]
    cmp eax, 0xffffffff
    sete al
    movzx eax, al
    mov esi, msgfloat
    call check

    ; Code cannot run from it: the fetch must stop this VM (expect =
    ; crashed), not Keel and not the other VMs.
    mov eax, [failures]
    test eax, eax
    jnz .out
    mov esi, msgvio
    call puts
    call ebx                             ; fetch from 0x40000000
    mov esi, msgcont                     ; never: the VM is stopped
    call puts
    mov eax, 1
.out:
    ret
section .data
msgfloat: db "lab4: guest-physical 0x40000000 (no RAM, no device) reads all-ones", 0
msgvio:  db "lab4: calling guest-physical 0x40000000", 10, 0
msgcont: db "lab4: the call returned FAILED", 10, 0
msgver: db "lab4: IOAPIC version through the MMIO hole", 0
msgsel: db "lab4: IOREGSEL reads back", 0
msgram: db "lab4: RAM is mapped", 0
ram_word: dd 0
