; The well-behaved VM beside the hostile ones (issue 11): it fills 64 KiB
; of its memory and its cross-VM-sensitive registers (TSC_AUX, DR0-DR3,
; IA32_PAT) with values from its command line, then for about 300 ms
; (many 10 ms time slices, so Keel switches to the hostile VMs again and
; again) checks that the memory checksum and every register stay its own.
; Command line: four pattern characters, optionally a space and how many
; milliseconds to check instead of 300 (decimal, e.g. "8765 6000").
%include "lib.inc"
section .text
BUF_DWORDS equ 16384                 ; 64 KiB
main:
    mov ebx, [boot_ebx]
    mov esi, [ebx + 16]              ; the command line: four characters
    mov eax, [esi]
    mov [pattern], eax
    cmp byte [esi + 4], ' '
    jne .ms_known
    lea eax, [esi + 5]
    mov [ms_text], eax
    xor eax, eax                     ; the decimal digits after the space
    add esi, 5
.digit:
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 9
    ja .digits_done
    imul eax, eax, 10
    add eax, ecx
    inc esi
    jmp .digit
.digits_done:
    mov [ms], eax
.ms_known:

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
    mul dword [ms]                   ; EDX:EAX = ticks in ms milliseconds
    mov [ticks], eax
    mov [ticks + 4], edx
    rdtsc
    mov [t_start], eax
    mov [t_start + 4], edx
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
    rdtsc
    sub eax, [t_start]
    sbb edx, [t_start + 4]
    cmp edx, [ticks + 4]
    jb .spin
    ja .done
    cmp eax, [ticks]
    jb .spin
.done:
    mov esi, s_ok
    call puts
    mov esi, [ms_text]
.ms_char:                            ; the digits, up to a space or NUL
    lodsb
    cmp al, '0'
    jb .ms_end
    cmp al, '9'
    ja .ms_end
    call putc
    jmp .ms_char
.ms_end:
    mov esi, s_ms
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
s_ok:       db "good: memory checksum, TSC_AUX, DR0-DR3 and PAT kept for ", 0
s_ms:       db " ms", 10, 0
s_300:      db "300", 0
s_bad_regs: db " changed under this VM FAILED", 10, 0
s_bad_mem:  db "good: memory checksum changed FAILED", 10, 0
s_tsc_aux:  db "good: TSC_AUX", 0
s_dr:       db "good: DR0-DR3", 0
s_pat:      db "good: IA32_PAT", 0
pattern:  dd 0
checksum: dd 0
ms:       dd 300                     ; how long to check
ms_text:  dd s_300                   ; ms as the command line wrote it
ticks:    dq 0
t_start:  dq 0

section .bss
alignb 16
buf: resd BUF_DWORDS
