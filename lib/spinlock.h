/* A ticket spinlock (lib/spinlock.h): first come, first served, so no CPU
 * waits for ever while others keep taking the lock. Plain C11 atomics
 * (GCC __atomic builtins): no inline assembly, so it also builds in the
 * host unit tests. Keel's locks and what each protects:
 * docs/architecture.md, "Several CPUs". Interrupts are not touched: Keel
 * runs with IF=0 except in HLT and in the guest, and no interrupt handler
 * takes a lock. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include "lib/types.h"

struct spinlock {
    uint32_t next;      /* the ticket the next arrival takes */
    uint32_t serving;   /* the ticket that holds the lock */
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_pause(void)
{
    __builtin_ia32_pause();
}

/* Take the lock, waiting as long as it takes. */
static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != me)
        spin_pause();
}

/* Take the lock if it is free now; true when taken. */
static inline bool spin_trylock(struct spinlock *l)
{
    uint32_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
    uint32_t expect = serving;
    return __atomic_compare_exchange_n(&l->next, &expect, serving + 1,
                                       false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

/* Give the lock to the next ticket. Only the holder may call this. */
static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

#endif
