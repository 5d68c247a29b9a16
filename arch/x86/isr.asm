; Entry stubs for the 256 IDT vectors of the hypervisor itself. Each pushes
; a dummy error code where the CPU does not (SDM 3A 6.13 "Error Code"), then
; the vector, saves the GPRs in struct trap_frame order and calls
; trap_dispatch(frame).
bits 64
default rel
section .text

extern trap_dispatch
global isr_table

; Vectors with a CPU-pushed error code: #DF 8, #TS 10, #NP 11, #SS 12,
; #GP 13, #PF 14, #AC 17, #CP 21.
%macro ISR 1
isr_%1:
%if %1 = 8 || (%1 >= 10 && %1 <= 14) || %1 = 17 || %1 = 21
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign i 0
%rep 256
    ISR i
%assign i i+1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    mov rbp, rsp
    and rsp, -16            ; the C ABI wants a 16-byte aligned stack
    call trap_dispatch
    mov rsp, rbp
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; vector and error code
    iretq

section .data
align 8
isr_table:
%assign i 0
%rep 256
    dq isr_ %+ i
%assign i i+1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
