; Multiboot v1 stub for guest/linux/smoke/run.sh: copies each module to the
; GPA after the space in its command line, then enters the 64-bit Linux
; entry in the state linux_load() sets (GDT 0x1000, CR3 0x8000, RSI/RSP
; 0x3000, RIP 16 MiB + 0x200; mkimage.c checks these constants).
bits 32
section .text
global _start
align 4
mb_header:
    dd 0x1BADB002
    dd 0x00000000
    dd -(0x1BADB002)
_start:
    cli
    mov esp, stack_top
    mov ebp, ebx                 ; mbi
    mov ecx, [ebp + 20]          ; mods_count
    mov esi, [ebp + 24]          ; mods_addr
    ; save module descriptors on our stack area first
    mov edi, mods_copy
    mov edx, ecx
    shl edx, 2                   ; 4 dwords each
.cpd: test edx, edx
    jz .cpd_done
    mov eax, [esi]
    mov [edi], eax
    add esi, 4
    add edi, 4
    dec edx
    jmp .cpd
.cpd_done:
    mov ebx, mods_copy
.next:
    test ecx, ecx
    jz .done
    push ecx
    ; parse hex from string
    mov esi, [ebx + 8]
.findsp: cmp byte [esi], 0
    je .gotsp
    cmp byte [esi], ' '
    je .gotsp
    inc esi
    jmp .findsp
.gotsp:
    xor edx, edx
.hex: movzx eax, byte [esi]
    test eax, eax
    jz .hexdone
    inc esi
    cmp al, 'x'
    je .hexreset
    cmp al, ' '
    je .hex
    sub al, '0'
    cmp al, 9
    jbe .dig
    sub al, 'a' - '0' - 10
.dig: shl edx, 4
    or edx, eax
    jmp .hex
.hexreset: xor edx, edx
    jmp .hex
.hexdone:
    mov esi, [ebx]
    mov ecx, [ebx + 4]
    sub ecx, esi
    mov edi, edx
    cld
    rep movsb
    pop ecx
    add ebx, 16
    dec ecx
    jmp .next
.done:
    ; Keel's state: GDT at 0x1000 (4 entries), CR3 0x8000
    lgdt [gdtr]
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, 0x8000
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, 0x80000031          ; PG | NE | ET | PE
    mov cr0, eax
    jmp 0x10:long64
bits 64
long64:
    mov ax, 0x18
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov rsi, 0x3000
    mov rsp, 0x3000
    push 2
    popfq
    mov rax, 0x1000200
    jmp rax
section .data
gdtr: dw 31
      dd 0x1000
section .bss
mods_copy: resb 256
resb 4096
stack_top:
