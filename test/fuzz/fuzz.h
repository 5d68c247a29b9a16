/* What every libFuzzer target of test/fuzz/ shares: reading structured
 * values out of the fuzzer's byte string, and stopping loudly when an
 * invariant breaks. See docs/fuzzing.md. */
#ifndef KEEL_TEST_FUZZ_H
#define KEEL_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* libFuzzer's entry point: one input, data[0..size); returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and where, then trap so libFuzzer saves
 * the input as a crash (a plain assert would vanish under -DNDEBUG). */
#define FUZZ_CHECK(cond)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,   \
                    __LINE__, #cond);                                     \
            __builtin_trap();                                             \
        }                                                                 \
    } while (0)

/* The input as a stream: each take_* consumes bytes from the front and
 * yields 0 once the input is used up, so every input, however short, is a
 * complete test case (libFuzzer's mutations then only change values). */
struct fuzz_in {
    const uint8_t *p;
    size_t left;    /* bytes not yet consumed */
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in->left; i++, in->left--)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    return (uint8_t)fuzz_take(in, 1);
}
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    return (uint16_t)fuzz_take(in, 2);
}
static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
    return (uint32_t)fuzz_take(in, 4);
}
static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
    return fuzz_take(in, 8);
}

/* Copy up to n bytes into buf (the rest of buf is left alone); returns how
 * many were copied. */
static inline size_t fuzz_bytes(struct fuzz_in *in, void *buf, size_t n)
{
    if (n > in->left)
        n = in->left;
    memcpy(buf, in->p, n);
    in->p += n;
    in->left -= n;
    return n;
}

#endif
