; The well-behaved VM beside the hostile ones (issue 11): it fills 64 KiB
; of its memory and its cross-VM-sensitive registers (TSC_AUX, DR0-DR3,
; IA32_PAT) with values from its command line, then for about 300 ms
; (many 10 ms time slices, so Keel switches to the hostile VMs again and
; again) checks that the memory checksum and every register stay its own.
; With " key" after the four pattern characters on its command line
; ("8765 key", issue 13's witness) it checks until a key is typed on its
; UART instead, so a test can end it after another VM has done its worst.
%include "lib.inc"
section .text
BUF_DWORDS equ 16384                 ; 64 KiB
main:
    mov ebx, [boot_ebx]
    mov esi, [ebx + 16]              ; the command line: four characters
    mov eax, [esi]
    mov [pattern], eax
    cmp dword [esi + 4], ' key'
    sete [until_key]

    ; memory: buf[i] = pattern * (i + 1); its sum is the checksum.
    mov edi, buf
    xor ecx, ecx
    xor edx, edx
.fill:
    lea eax, [ecx + 1]
    imul eax, [pattern]
    mov [edi + ecx * 4], eax
    add edx, eax
    inc ecx
    cmp ecx, BUF_DWORDS
    jb .fill
    mov [checksum], edx

    ; TSC_AUX = pattern (passed through to the guest).
    mov ecx, 0xc0000103
    mov eax, [pattern]
    xor edx, edx
    wrmsr
    ; DR0-DR3 = pattern + 0..3 (no exit: the guest owns them).
    mov eax, [pattern]
    mov dr0, eax
    inc eax
    mov dr1, eax
    inc eax
    mov dr2, eax
    inc eax
    mov dr3, eax
    ; IA32_PAT: entry 7 WT instead of UC (an exit to Keel's MSR policy).
    mov ecx, 0x277
    mov eax, 0x00070406
    mov edx, 0x04070106
    wrmsr

    mov eax, 0x40000010              ; Keel: EAX = TSC kHz
    cpuid
    imul eax, eax, 300               ; ticks in 300 ms
    mov [ticks], eax
    rdtsc
    mov [t_start], eax
.spin:
    call check_regs
    test eax, eax
    jz .bad_regs
    mov edi, buf
    xor ecx, ecx
    xor edx, edx
.sum:
    add edx, [edi + ecx * 4]
    inc ecx
    cmp ecx, BUF_DWORDS
    jb .sum
    cmp edx, [checksum]
    jne .bad_mem
    cmp byte [until_key], 0
    je .timed
    mov dx, COM1 + 5                 ; LSR bit 0: a byte was received
    in al, dx
    test al, 1
    jz .spin
    mov dx, COM1
    in al, dx
    mov esi, s_ok_key
    call puts
    xor eax, eax
    ret
.timed:
    rdtsc
    sub eax, [t_start]
    cmp eax, [ticks]
    jb .spin

    mov esi, s_ok
    call puts
    xor eax, eax
    ret
.bad_regs:
    mov esi, s_bad_regs
    jmp .fail
.bad_mem:
    mov esi, s_bad_mem
.fail:
    call puts
    mov eax, 1
    ret

; eax = 1 when TSC_AUX, DR0-DR3 and PAT hold this VM's values, else 0
; (and the register's name printed).
check_regs:
    mov ecx, 0xc0000103
    rdmsr
    mov esi, s_tsc_aux
    cmp eax, [pattern]
    jne .no
    mov esi, s_dr
    mov ebx, [pattern]
    mov eax, dr0
    cmp eax, ebx
    jne .no
    inc ebx
    mov eax, dr1
    cmp eax, ebx
    jne .no
    inc ebx
    mov eax, dr2
    cmp eax, ebx
    jne .no
    inc ebx
    mov eax, dr3
    cmp eax, ebx
    jne .no
    mov esi, s_pat
    mov ecx, 0x277
    rdmsr
    cmp edx, 0x04070106
    jne .no
    mov eax, 1
    ret
.no:
    call puts
    xor eax, eax
    ret

section .data
s_ok:       db "good: memory checksum, TSC_AUX, DR0-DR3 and PAT kept for 300 ms", 10, 0
s_ok_key:   db "good: memory checksum, TSC_AUX, DR0-DR3 and PAT kept until a key was typed", 10, 0
s_bad_regs: db " changed under this VM FAILED", 10, 0
s_bad_mem:  db "good: memory checksum changed FAILED", 10, 0
s_tsc_aux:  db "good: TSC_AUX", 0
s_dr:       db "good: DR0-DR3", 0
s_pat:      db "good: IA32_PAT", 0
pattern:  dd 0
checksum: dd 0
until_key: db 0
ticks:    dd 0
t_start:  dd 0

section .bss
alignb 16
buf: resd BUF_DWORDS
