; CPUID round trip in TSC ticks, for make bench (scripts/bench.py): not a
; test, a measurement. Under Bochs with `clock: sync=none` the TSC advances
; by a fixed amount per emulated instruction, guest's and hypervisor's
; alike, so ticks are instructions once the two calibration loops below
; have given the ticks per instruction. Prints (hex, TSC ticks):
;   cpuidbench: loop3 T   K iterations of 3 instructions (ADD, DEC, JNZ)
;   cpuidbench: loop7 T   K iterations of 7 instructions (5 ADD, DEC, JNZ)
;   cpuidbench: empty min T median T   RDTSC, MOV, XOR, NOP, RDTSC, N times
;   cpuidbench: cpuid min T median T   the same with CPUID (leaf 0) for NOP
; Intel SDM Volume 2B, RDTSC: "The time-stamp counter ... is incremented
; every clock cycle"; Bochs counts one cycle per instruction.
%include "lib.inc"
K equ 10000                          ; calibration loop iterations
N equ 63                             ; samples per measurement (odd)
; sample insn: N times RDTSC, XOR EAX (CPUID leaf 0), insn, RDTSC; the
; deltas in [samples], sorted.
%macro sample 1
    xor ebp, ebp
%%next:
    rdtsc
    mov edi, eax
    xor eax, eax
    %1
    rdtsc
    sub eax, edi
    mov [samples + ebp * 4], eax
    inc ebp
    cmp ebp, N
    jb %%next
    call sort
%endmacro

section .text
main:
    rdtsc
    mov edi, eax
    mov ecx, K
.loop3:
    add ebx, 1
    dec ecx
    jnz .loop3
    rdtsc
    sub eax, edi
    mov esi, s_loop3
    call say
    rdtsc
    mov edi, eax
    mov ecx, K
.loop7:
    add ebx, 1
    add ebx, 1
    add ebx, 1
    add ebx, 1
    add ebx, 1
    dec ecx
    jnz .loop7
    rdtsc
    sub eax, edi
    mov esi, s_loop7
    call say
    sample nop
    mov esi, s_empty
    call report
    sample cpuid
    mov esi, s_cpuid
    call report
    xor eax, eax
    ret

; say(esi = "cpuidbench: what ", eax = value): one line.
say:
    call puts
    call puthex
    mov al, 10
    call putc
    ret

; report(esi = "cpuidbench: what"): " min T median T" of [samples].
report:
    call puts
    mov esi, s_min
    call puts
    mov eax, [samples]
    call puthex
    mov esi, s_median
    call puts
    mov eax, [samples + (N / 2) * 4]
    call puthex
    mov al, 10
    call putc
    ret

; sort: insertion sort of the N dwords of [samples], ascending.
sort:
    mov ecx, 1
.outer:
    cmp ecx, N
    jae .done
    mov eax, [samples + ecx * 4]
    mov edx, ecx
.inner:
    test edx, edx
    jz .place
    mov ebx, [samples + edx * 4 - 4]
    cmp ebx, eax
    jbe .place
    mov [samples + edx * 4], ebx
    dec edx
    jmp .inner
.place:
    mov [samples + edx * 4], eax
    inc ecx
    jmp .outer
.done:
    ret

section .data
s_loop3:  db "cpuidbench: loop3 ", 0
s_loop7:  db "cpuidbench: loop7 ", 0
s_empty:  db "cpuidbench: empty", 0
s_cpuid:  db "cpuidbench: cpuid", 0
s_min:    db " min ", 0
s_median: db " median ", 0
section .bss
samples:  resd N
