; Conformance: with RFLAGS.TF set, every instruction that completes is
; followed by a single-step #DB with DR6.BS set (SDM 3A 17.3.1.4
; "Single-Step Exception Condition", 17.2.3 "Debug Status Register"),
; whoever completed it: the CPU, or a hypervisor that intercepted it
; (port I/O, an MMIO access it emulates, RDMSR, CPUID). POPF that sets TF
; traps only after the instruction that follows it.
%include "lib.inc"
APIC_VERSION equ 0xfee00030
TRAPS equ 5
section .text
main:
    mov ecx, 1
    mov eax, db_handler
    call set_gate
    mov dx, COM1 + 7                 ; the UART's scratch register
    mov al, 0x5a
    mov ecx, 0x1b                    ; IA32_APIC_BASE
    pushfd
    or dword [esp], 0x100            ; TF
    popfd
s1: out dx, al                       ; port I/O
s2: mov esi, [APIC_VERSION]          ; MMIO
s3: rdmsr
s4: xor eax, eax                     ; an ordinary instruction
s5: cpuid
s6: mov eax, [db_count]              ; the handler cleared TF after 5 traps
    cmp eax, TRAPS
    check_if e, s_count
    mov ebx, 0                       ; 1 = every EIP as expected
    mov ecx, 0
.eip:
    mov eax, [expected + ecx * 4]
    cmp eax, [db_eip + ecx * 4]
    jne .eip_done
    inc ecx
    cmp ecx, TRAPS
    jb .eip
    mov ebx, 1
.eip_done:
    cmp ebx, 1
    check_if e, s_eip
    mov ecx, 0
    mov ebx, 1
.dr6:
    test dword [db_dr6 + ecx * 4], 0x4000
    jnz .dr6_next
    mov ebx, 0
.dr6_next:
    inc ecx
    cmp ecx, TRAPS
    jb .dr6
    cmp ebx, 1
    check_if e, s_dr6
    mov eax, [failures]
    ret

; #DB: note where the trap returns to and DR6, then clear DR6 (the CPU
; never clears it, 17.2.3); after TRAPS of them, clear TF in the saved
; EFLAGS.
db_handler:
    push eax
    push ebx
    mov ebx, [db_count]
    cmp ebx, 8
    jae .counted
    mov eax, [esp + 8]               ; saved EIP
    mov [db_eip + ebx * 4], eax
    mov eax, dr6
    mov [db_dr6 + ebx * 4], eax
    mov eax, 0xffff0ff0
    mov dr6, eax
.counted:
    inc dword [db_count]
    cmp dword [db_count], TRAPS
    jb .out
    and dword [esp + 16], ~0x100     ; saved EFLAGS: TF off
.out:
    pop ebx
    pop eax
    iret

section .data
expected: dd s2, s3, s4, s5, s6
db_count: dd 0
db_eip:   times 8 dd 0
db_dr6:   times 8 dd 0
s_count: db "conf-singlestep: 5 single-step traps after OUT, MMIO MOV, RDMSR, XOR, CPUID", 0
s_eip:   db "conf-singlestep: each trap returns to the next instruction", 0
s_dr6:   db "conf-singlestep: DR6.BS is set in each", 0
