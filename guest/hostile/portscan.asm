; Hostile (issue 11, security review finding 6): IN from every one of the
; 65,536 I/O ports. Ports no device claims read all-ones (a floating ISA
; bus) and are logged once per port while Keel's table of seen ports has
; room, then once that it is full: the log stays bounded, whatever a
; guest does (before the fix, this guest produced 130,916 lines).
%include "lib.inc"
section .text
main:
    xor edx, edx
.port:
    in al, dx
    inc edx
    cmp edx, 0x10000
    jb .port
    mov esi, s_done
    mov eax, 1
    call check
    mov eax, [failures]
    ret
section .data
s_done: db "portscan: IN from all 65536 ports", 0
