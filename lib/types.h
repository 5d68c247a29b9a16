/* Basic types shared by every part of Keel: fixed-width integers and the
 * three address spaces, which are kept apart by name (DESIGN.md, "Memory and
 * addresses"). Compiles freestanding and on the Linux host. */
#ifndef KEEL_TYPES_H
#define KEEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t gpa_t; /* guest-physical address */
typedef uint64_t hpa_t; /* host-physical address (identity-mapped in Keel) */
typedef uint64_t gva_t; /* guest-virtual (linear) address */

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SIZE   4096ULL
#define PAGE_SHIFT  12
#define LARGE_PAGE_SIZE MiB(2)

#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))
#define BIT(n)           (1ULL << (n))

#define PACKED   __attribute__((packed))
#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

#endif
