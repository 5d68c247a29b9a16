; The application processors' start-up code (arch/x86/smp_boot.c copies
; it to a page below 1 MiB and fills smp_tramp_params). A start-up IPI
; with vector V starts the AP in real mode at CS = V << 8, IP = 0 (SDM 3A
; 9.4.4 "MP Initialization Example", 9.1.1 "Processor State After
; Reset"). The code goes to protected mode with a flat GDT of its own,
; turns on PAE, loads Keel's page tables (CR3 below 4 GiB: a 32-bit MOV
; to CR3), sets EFER.LME and NXE, turns on paging with the boot CPU's CR0
; (which also clears the reset value's CD and NW), which activates IA-32e
; mode (SDM 3A 10.8.5 "Initializing IA-32e Mode"), far-jumps into a 64-bit
; code segment and calls the C entry on its own stack. Everything is
; addressed from EBX = the page's linear address, so the copy runs at any
; page below 1 MiB.
bits 16
default abs
section .text

global smp_tramp_start, smp_tramp_end, smp_tramp_params
global smp_tramp_gdt, smp_tramp_pm32, smp_tramp_lm64

%define OFF(x) ((x) - smp_tramp_start)

smp_tramp_start:
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                      ; EBX = linear address of this page
    o32 lgdt [OFF(gdtr)]
    mov eax, cr0
    or eax, 1                       ; PE
    mov cr0, eax
    jmp dword far [OFF(pm32_ptr)]   ; CS = 0x08, 32-bit

bits 32
smp_tramp_pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, [ebx + OFF(p_cr3)]
    mov cr3, eax
    mov ecx, 0xc0000080             ; IA32_EFER
    mov eax, [ebx + OFF(p_efer)]
    xor edx, edx
    wrmsr
    mov eax, [ebx + OFF(p_cr0)]     ; PG and PE, WP, NE...: IA-32e active
    mov cr0, eax
    jmp far [ebx + OFF(lm64_ptr)]   ; CS = 0x18, 64-bit

bits 64
smp_tramp_lm64:
    mov ebx, ebx                    ; zero the upper half
    mov rsp, [rbx + OFF(p_stack)]
    mov rdi, [rbx + OFF(p_arg)]
    mov rax, [rbx + OFF(p_entry)]
    xor ebp, ebp
    push 0                          ; as if called: no return address
    jmp rax

align 8
smp_tramp_gdt:
    dq 0
    dq 0x00cf9a000000ffff           ; 0x08: 32-bit code, flat
    dq 0x00cf92000000ffff           ; 0x10: data, flat
    dq 0x00af9a000000ffff           ; 0x18: 64-bit code
; struct smp_tramp_params (arch/x86/smp_boot.c): filled before the SIPI.
align 8
smp_tramp_params:
gdtr:       dw 31                   ; limit of the four descriptors
            dd 0                    ; base: linear address of smp_tramp_gdt
pm32_ptr:   dd 0                    ; linear address of smp_tramp_pm32
            dw 0x08
lm64_ptr:   dd 0                    ; linear address of smp_tramp_lm64
            dw 0x18
p_cr3:      dd 0
p_cr0:      dd 0
p_efer:     dd 0
p_entry:    dq 0
p_stack:    dq 0
p_arg:      dq 0
smp_tramp_end:

section .note.GNU-stack noalloc noexec nowrite progbits
