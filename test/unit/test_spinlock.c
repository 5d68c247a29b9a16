/* lib/spinlock.h: trylock takes only a free lock, unlock frees it, and
 * two host threads adding under the lock lose no update. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <cmocka.h>

#include "lib/spinlock.h"

#define UNUSED __attribute__((unused))
#define ROUNDS 200000

static struct spinlock lock = SPINLOCK_INIT;
static volatile unsigned long counter;

static void test_trylock_and_unlock(void **state UNUSED)
{
    struct spinlock l = SPINLOCK_INIT;
    assert_true(spin_trylock(&l));
    assert_false(spin_trylock(&l));      /* held: not taken twice */
    spin_unlock(&l);
    spin_lock(&l);                       /* free again: taken at once */
    assert_false(spin_trylock(&l));
    spin_unlock(&l);
}

static void *adder(void *arg UNUSED)
{
    for (unsigned i = 0; i < ROUNDS; i++) {
        spin_lock(&lock);
        counter = counter + 1;           /* a plain read-modify-write */
        spin_unlock(&lock);
    }
    return NULL;
}

static void test_two_threads_lose_no_update(void **state UNUSED)
{
    pthread_t a, b;
    counter = 0;
    assert_int_equal(pthread_create(&a, NULL, adder, NULL), 0);
    assert_int_equal(pthread_create(&b, NULL, adder, NULL), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(counter, 2UL * ROUNDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trylock_and_unlock),
        cmocka_unit_test(test_two_threads_lose_no_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
