/* A test-and-test-and-set spinlock (lib/spinlock.h). Plain C11 atomics
 * (GCC __atomic builtins): no inline assembly, so it also builds in the
 * host unit tests. Keel's locks and what each protects:
 * docs/architecture.md, "Several CPUs". Interrupts are not touched: Keel
 * runs with IF=0 except in HLT and in the guest, and no interrupt handler
 * takes a lock.
 *
 * Not a ticket lock, on purpose. Keel often runs as a guest itself
 * (nested under KVM, or QEMU's TCG), where its CPUs are host threads the
 * host may deschedule at any time. A ticket lock hands the lock to the
 * next waiter in line even when that waiter's thread is not running, and
 * every later waiter waits for it: with QEMU -smp 3 twice on a 2-core
 * host, Keel managed about 1,000 acquisitions a second and its Linux
 * guests reported soft lockups. Here whoever runs when the lock is free
 * takes it. Linux makes the same choice for the same reason when it runs
 * as a guest without paravirtual spinlocks (virt_spin_lock() in
 * arch/x86/include/asm/qspinlock.h). The price is fairness: a CPU can
 * lose the race several times in a row; with Keel's short critical
 * sections and a few CPUs that costs microseconds, not progress. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "lib/types.h"

struct spinlock {
    uint32_t locked;    /* 1 while a CPU holds it */
};

#define SPINLOCK_INIT { 0 }

static inline void spin_pause(void)
{
    __builtin_ia32_pause();
}

/* Take the lock if it is free now; true when taken. */
static inline bool spin_trylock(struct spinlock *l)
{
    return !__atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
           !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

/* Take the lock, waiting as long as it takes. The wait only reads (the
 * cache line stays shared) until the lock looks free. */
static inline void spin_lock(struct spinlock *l)
{
    while (!spin_trylock(l))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            spin_pause();
}

/* Let the lock go. Only the holder may call this. */
static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
