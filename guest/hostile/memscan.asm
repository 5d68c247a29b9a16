; Isolation, shown (issue 13): a guest that looks for memory that is not
; its own. It reads guest-physical space from the end of its RAM up to the
; APIC area (0xfec00000): every 512 KiB up to 1 GiB (all of the outer
; machine's RAM in the boot test, so also the host-physical addresses
; where Keel's image, 708 KiB, and the other VM live), then every 16 MiB.
; Nothing is mapped there, so each read must float to all-ones (Keel's
; floating bus, docs/platform.md); any other value is printed. Then it
; writes above its RAM (dropped: the same addresses still read all-ones),
; and finally jumps above its RAM, which Keel answers by stopping this VM
; alone (a fetch from unbacked memory). Paging is off: guest-physical =
; linear.
%include "lib.inc"

LOW_STEP  equ 0x80000                ; 512 KiB
LOW_END   equ 0x40000000             ; 1 GiB
HIGH_STEP equ 0x1000000              ; 16 MiB
SCAN_END  equ 0xfec00000             ; IOAPIC, HPET, LAPIC from here up
ALL_ONES  equ 0xffffffff
MAX_SHOWN equ 16                     ; other values printed, at most

section .text
main:
    ; RAM ends at 1 MiB + mem_upper KiB (Multiboot info, flags bit 0).
    mov ebx, [boot_ebx]
    mov eax, [ebx + 8]
    shl eax, 10
    add eax, 0x100000
    mov [ram_end], eax
    mov esi, s_ram
    call puts
    call puthex
    mov al, 10
    call putc

    ; Reads: count them, and those that are not all-ones.
    mov esi, [ram_end]
.read:
    mov eax, [esi]
    inc dword [reads]
    cmp eax, ALL_ONES
    je .next
    inc dword [others]
    cmp dword [others], MAX_SHOWN
    ja .next
    push esi
    mov ebx, eax
    mov esi, s_read
    call puts
    mov eax, [esp]
    call puthex
    mov esi, s_is
    call puts
    mov eax, ebx
    call puthex
    mov al, 10
    call putc
    pop esi
.next:
    mov eax, LOW_STEP
    cmp esi, LOW_END
    jb .step
    mov eax, HIGH_STEP
.step:
    add esi, eax
    cmp esi, SCAN_END
    jb .read

    mov esi, s_reads
    call puts
    mov eax, [reads]
    call puthex
    mov esi, s_others
    call puts
    mov eax, [others]
    call puthex
    mov al, 10
    call putc
    cmp dword [others], 0
    check_if e, s_all_ones

    ; Writes above RAM go nowhere: each address reads all-ones after.
    xor ebx, ebx                     ; addresses that kept the value
    mov ecx, write_addrs
.write:
    mov edi, [ecx]
    test edi, edi
    jz .written
    cmp edi, 1                       ; 1 stands for "the end of RAM"
    jne .have
    mov edi, [ram_end]
.have:
    mov dword [edi], 0x5a5a5a5a
    cmp dword [edi], ALL_ONES
    je .dropped
    inc ebx
.dropped:
    add ecx, 4
    jmp .write
.written:
    test ebx, ebx
    check_if z, s_writes

    ; Last: run code from above RAM. Keel stops this VM, and only it.
    mov esi, s_jump
    call puts
    mov eax, [ram_end]
    jmp eax

section .data
s_ram:      db "memscan: RAM ends at 0x", 0
s_read:     db "memscan: read at 0x", 0
s_is:       db " gave 0x", 0
s_reads:    db "memscan: reads above RAM up to 0xfec00000: 0x", 0
s_others:   db ", not all-ones: 0x", 0
s_all_ones: db "memscan: every read above RAM is all-ones", 0
s_writes:   db "memscan: writes above RAM are dropped", 0
s_jump:     db "memscan: jumping above RAM", 10, 0
; The end of RAM, 512 MiB, 1 GiB - 4 (the outer machine's last RAM
; dword), 3 GiB; 0 ends the list.
write_addrs: dd 1, 0x20000000, 0x3ffffffc, 0xc0000000, 0
ram_end:    dd 0
reads:      dd 0
others:     dd 0
