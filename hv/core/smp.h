/* Starting and stopping application processors: INIT and the start-up IPI
 * (SIPI) as a guest's BSP sends them through its vLAPIC's ICR.
 * Reference: SDM 3A 9.4 "Multiple-Processor (MP) Initialization" (the
 * INIT-SIPI-SIPI sequence), 9.1.1 "Processor State After Reset". */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

struct vcpu;

/* Act on an INIT or SIPI pending in v's vLAPIC: INIT puts v in
 * wait-for-SIPI (the BSP ignores it: Keel has no INIT reset of the boot
 * vCPU); a SIPI while waiting starts v in real mode at vector << 12. Called
 * by the scheduler before it decides whether v can run. */
void smp_poll(struct vcpu *v);

/* Set v to the state of a processor after a start-up IPI with vector
 * (CS = vector << 8, IP = 0, real mode, interrupts off). */
void smp_set_startup_state(struct vcpu *v, unsigned vector);

#endif
