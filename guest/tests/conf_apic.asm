; Conformance: a local APIC disabled through IA32_APIC_BASE (bit 11 EN = 0)
; is gone: "the processor is functionally equivalent to an IA-32 processor
; without an on-chip APIC. The CPUID feature flag for the APIC ... is also
; set to 0" (SDM 3A 11.4.3 "Enabling or Disabling the Local APIC"), and
; its page no longer decodes: reads float to all-ones, writes vanish.
%include "lib.inc"
APIC_PAGE equ 0xfee00000
section .text
main:
    mov eax, 1
    cpuid
    bt edx, 9
    check_if c, s_cpuid_on
    mov ecx, 0x1b                    ; IA32_APIC_BASE
    rdmsr
    mov ebx, eax
    and ebx, 0xfffff800
    cmp ebx, APIC_PAGE | 0x800
    check_if e, s_base
    mov ecx, 0x1b
    rdmsr
    and eax, ~0x800                  ; EN = 0
    wrmsr
    mov eax, 1
    cpuid
    bt edx, 9
    check_if nc, s_cpuid_off
    mov esi, s_value
    call puts
    mov eax, [APIC_PAGE + 0x30]
    call puthex
    mov al, 10
    call putc
    movzx eax, byte [APIC_PAGE + 0x20]
    cmp eax, 0xff
    check_if e, s_byte
    mov eax, [APIC_PAGE + 0x30]      ; the version register when enabled
    cmp eax, 0xffffffff
    check_if e, s_dword
    mov dword [APIC_PAGE + 0x80], 0x20   ; TPR when enabled
    mov eax, [APIC_PAGE + 0x80]
    cmp eax, 0xffffffff
    check_if e, s_write
    mov eax, [failures]
    ret
section .data
s_value:     db "conf-apic: disabled, the version register reads ", 0
s_cpuid_on:  db "conf-apic: CPUID.1:EDX.APIC is 1 while enabled", 0
s_base:      db "conf-apic: IA32_APIC_BASE EN=1 at 0xFEE00000", 0
s_cpuid_off: db "conf-apic: CPUID.1:EDX.APIC is 0 after EN=0", 0
s_byte:      db "conf-apic: byte read of the disabled APIC page is 0xFF", 0
s_dword:     db "conf-apic: dword read of the disabled APIC page is all-ones", 0
s_write:     db "conf-apic: a write to the disabled APIC page is dropped", 0
