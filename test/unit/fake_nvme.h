/* A fake NVMe controller in host memory for the driver's unit tests
 * (test_nvme.c: rings, PRPs, commands; test_nvme_ctrl.c: drivers/nvme.c
 * itself). Its BAR0 is a 16 KiB page-aligned block: CAP, VS, CC, CSTS,
 * AQA, ASQ, ACQ and the doorbells at 1000h with stride 4 << CAP.DSTRD.
 * fake_nvme_tick() plays the controller once: CSTS.RDY follows CC.EN (the
 * admin queues are taken from AQA/ASQ/ACQ on enable) and every command
 * between the controller's SQ head and the tail doorbell runs and gets a
 * completion with the controller's phase tag. Data pointers are walked as
 * NVMe Base 2.0 4.3.1 says (PRP1, PRP2, a PRP list), independently of the
 * driver's builder. Namespace 1 is `disk`, 512-byte LBAs by default. */
#ifndef KEEL_TEST_FAKE_NVME_H
#define KEEL_TEST_FAKE_NVME_H

#include "drivers/nvme.h"

#define FAKE_NVME_BAR_BYTES 0x4000
#define FAKE_NVME_DISK_LBAS 4096      /* 2 MiB of 512-byte LBAs */

struct fake_nvme_q {
    volatile struct nvme_sqe *sq;
    volatile struct nvme_cqe *cq;
    uint16_t entries, sq_head, cq_tail;
    uint8_t phase;
};

struct fake_nvme {
    uint8_t *bar;                      /* BAR0, FAKE_NVME_BAR_BYTES */
    struct fake_nvme_q q[2];
    uint8_t disk[FAKE_NVME_DISK_LBAS * 512];
    unsigned flushes, commands;
    bool created_cq, created_sq;
    /* Behaviour knobs, set by tests. */
    uint16_t fail_status;              /* next command completes so */
    bool ignore_enable;                /* CSTS.RDY never follows CC.EN */
    bool hang_io;                      /* I/O commands never complete */
    bool fatal;                        /* CSTS.CFS set on enable */
    uint8_t lbads, ms, mdts, flbas;    /* Identify data: LBA format 0/1 */
};

extern struct fake_nvme fake_nvme;

/* Zero the fake and give it a fresh BAR with CAP (MQES 63, TO 1 = 500 ms,
 * DSTRD dstrd, CSS NVM, MPSMIN 0) and VS 1.4; 512-byte LBAs, MDTS 5. */
void fake_nvme_reset(unsigned dstrd);
/* Free the BAR. */
void fake_nvme_free(void);
/* The SQ tail (cq false) or CQ head doorbell of queue qid. */
volatile uint32_t *fake_nvme_doorbell(unsigned qid, bool cq);
/* Register access by the tests: BAR0 offset, 32 bits. */
uint32_t fake_nvme_reg(unsigned off);
void fake_nvme_set_reg(unsigned off, uint32_t v);
/* Point the fake's admin queue at these rings (test_nvme.c, which skips
 * the register-level enable). */
void fake_nvme_attach_admin(void *sq, void *cq, uint16_t entries);
/* Run the commands queue qid has waiting (see above). */
void fake_nvme_step(unsigned qid);
/* One controller step: CC/CSTS, then both queues. */
void fake_nvme_tick(void);

#endif
