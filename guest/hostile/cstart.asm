; The start code of the hostile guests written in C (guest/hostile/*.c):
; lib.inc's Multiboot header, GDT, IDT and UART set-up, which call the C
; main() and end the VM with its return value (0 = pass). Not a guest by
; itself (the Makefile links it into each C guest).
extern main
%include "lib.inc"
