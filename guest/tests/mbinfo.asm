; The Multiboot machine state and information structure Keel builds
; (Multiboot spec 3.2, 3.3): magic in EAX, flags, memory fields, memory
; map and command line behind EBX.
%include "lib.inc"
section .text
main:
    mov eax, [boot_eax]
    cmp eax, 0x2badb002
    sete al
    movzx eax, al
    mov esi, s_magic
    call check
    mov ebx, [boot_ebx]
    mov eax, [ebx]                   ; flags: mem, cmdline, mods, mmap
    and eax, 0x4d
    cmp eax, 0x4d
    sete al
    movzx eax, al
    mov esi, s_flags
    call check
    mov eax, [ebx + 8]               ; mem_upper in KiB: 16 MiB - 1 MiB
    cmp eax, 15 * 1024
    sete al
    movzx eax, al
    mov esi, s_mem
    call check
    mov eax, [ebx + 44]              ; mmap_length: three 24-byte entries
    cmp eax, 72
    sete al
    movzx eax, al
    mov esi, s_mmap
    call check
    mov esi, s_cmd
    call puts
    mov esi, [ebx + 16]
    call puts
    mov al, 10
    call putc
    mov eax, [failures]
    ret
section .data
s_magic: db "mbinfo: EAX is 0x2BADB002", 0
s_flags: db "mbinfo: flags mem|cmdline|mods|mmap", 0
s_mem:   db "mbinfo: mem_upper 15360 KiB", 0
s_mmap:  db "mbinfo: memory map of 3 entries", 0
s_cmd:   db "mbinfo: cmdline: ", 0
