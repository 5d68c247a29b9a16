; Hostile (issue 11): register indices out of range on every virtual
; device a PC guest reaches by port or MMIO. Each access must end in the
; device (a defined value, the write ignored), never in Keel's memory
; beside a register array: the LAPIC page beyond its last register, IOAPIC
; IOREGSEL pointing past the redirection table, the RTC index past its
; 128 bytes of CMOS, PCI configuration addresses of functions, devices and
; buses that do not exist and the last dword of a function's space, and
; the 8259's command port with undefined OCW bits.
%include "lib.inc"

APIC equ 0xfee00000
IOAPIC equ 0xfec00000

section .text
main:
    ; LAPIC: offsets 0x400-0xFF0 are beyond the last register (SDM 3A
    ; Table 11-1 ends at 0x3F0): read and write every 16th byte.
    mov edi, 0x400
.lapic:
    mov eax, [APIC + edi]
    mov dword [APIC + edi], 0xffffffff
    add edi, 0x10
    cmp edi, 0x1000
    jb .lapic
    mov eax, [APIC + 0x30]           ; the version register still answers
    and eax, 0xff
    cmp eax, 0x10
    check_if ae, s_lapic

    ; IOAPIC: IOREGSEL 0x40-0xFF is past the 24 redirection entries
    ; (registers 0x10-0x3F, 82093AA 3.2).
    mov edi, 0x40
.ioapic:
    mov [IOAPIC], edi
    mov eax, [IOAPIC + 0x10]
    mov dword [IOAPIC + 0x10], 0xffffffff
    inc edi
    cmp edi, 0x100
    jb .ioapic
    mov dword [IOAPIC], 1            ; the version register still answers
    mov eax, [IOAPIC + 0x10]
    shr eax, 16
    and eax, 0xff
    cmp eax, 23                      ; 24 entries - 1
    check_if e, s_ioapic

    ; RTC: every index 0-0xFF through port 0x70 (bit 7 is the NMI mask on
    ; a PC, the index is 7 bits), read and write.
    mov al, 0x0a
    out 0x70, al
    in al, 0x71
    mov [rtc_a], al
    xor ecx, ecx
.rtc:
    mov al, cl
    out 0x70, al
    in al, 0x71
    out 0x71, al
    inc ecx
    cmp ecx, 0x100
    jb .rtc
    mov al, 0x0a                     ; register A still answers
    out 0x70, al
    in al, 0x71
    cmp al, [rtc_a]
    check_if e, s_rtc

    ; PCI: bus 255 device 31 function 7, every dword; and the last dword
    ; of the host bridge (bus 0 device 0 function 0, offset 0xFC).
    mov eax, 0x80000000              ; the host bridge's vendor/device ID
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    mov [bridge_id], eax
    mov ebx, 0x80ffff00
.pci:
    mov eax, ebx
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    mov [pci_value], eax
    mov eax, 0xdeadbeef
    out dx, eax
    add ebx, 4
    cmp ebx, 0x80ffff00 + 0x100
    jb .pci
    cmp dword [pci_value], 0xffffffff
    check_if e, s_pci_absent
    mov eax, 0x800000fc
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    mov eax, 0xffffffff
    out dx, eax
    in eax, dx
    mov eax, 0x80000000              ; the host bridge's vendor still reads
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    cmp eax, [bridge_id]
    check_if e, s_pci_bridge

    ; 8259: OCW3 with the reserved bits, then a read of both ports.
    mov al, 0xff
    out 0x20, al
    in al, 0x20
    in al, 0x21
    mov al, 0xff
    out 0xa0, al
    in al, 0xa0
    mov esi, s_pic
    mov eax, 1
    call check
    mov eax, [failures]
    ret

section .data
pci_value: dd 0
bridge_id: dd 0
rtc_a: db 0
s_lapic:      db "devregs: LAPIC offsets 0x400-0xFF0 read and written, version still read", 0
s_ioapic:     db "devregs: IOAPIC IOREGSEL 0x40-0xFF read and written, version says 24 entries", 0
s_rtc:        db "devregs: RTC indices 0-0xFF read and written back, register A unchanged", 0
s_pci_absent: db "devregs: PCI bus 255 device 31 function 7 reads all-ones", 0
s_pci_bridge: db "devregs: PCI host bridge ID unchanged after a write to offset 0xFC", 0
s_pic:        db "devregs: 8259 command ports with reserved bits set", 0
