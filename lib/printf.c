/* Minimal vsnprintf for the freestanding hypervisor; see lib/printf.h. */
#include "lib/printf.h"

struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, even past size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

/* Emit one number: digits of v in base, with sign or "0x" prefix, width
 * and fill. */
static void put_num(struct out *o, uint64_t v, unsigned base, bool upper,
                    bool neg, bool alt, int width, bool left, char fill)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);

    const char *prefix = neg ? "-" : (alt && base == 16) ? (upper ? "0X" : "0x")
                                : (alt && base == 8) ? "0" : "";
    int plen = 0;
    while (prefix[plen])
        plen++;
    int len = n + plen;
    if (!left && fill == ' ')
        pad(o, ' ', width - len);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    if (!left && fill == '0')
        pad(o, '0', width - len);
    while (n)
        put(o, tmp[--n]);
    if (left)
        pad(o, ' ', width - len);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        bool left = false, alt = false;
        char fill = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '#')
                alt = true;
            else if (*fmt == '0')
                fill = '0';
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                prec = prec * 10 + (*fmt++ - '0');
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z')
                lng = lng >= 0 ? lng + 1 : 1;
            else if (*fmt == 'h')
                lng--;
            else
                break;
        }

        uint64_t u;
        int64_t s;
        switch (*fmt) {
        case 'd':
        case 'i':
            if (lng >= 2)
                s = va_arg(ap, long long);
            else if (lng == 1)
                s = va_arg(ap, long);
            else
                s = va_arg(ap, int);
            if (lng == -1)
                s = (short)s;
            else if (lng <= -2)
                s = (signed char)s;
            put_num(&o, s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s, 10,
                    false, s < 0, false, width, left, fill);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (lng >= 2)
                u = va_arg(ap, unsigned long long);
            else if (lng == 1)
                u = va_arg(ap, unsigned long);
            else
                u = va_arg(ap, unsigned int);
            if (lng == -1)
                u = (uint16_t)u;
            else if (lng <= -2)
                u = (uint8_t)u;
            put_num(&o, u, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
                    *fmt == 'X', false, alt && u != 0, width, left, fill);
            break;
        case 'p':
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false,
                    true, width, left, fill);
            break;
        case 'c':
            if (!left)
                pad(&o, ' ', width - 1);
            put(&o, (char)va_arg(ap, int));
            if (left)
                pad(&o, ' ', width - 1);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            int len = 0;
            /* The precision first: with "%.*s" the bytes need not be
             * NUL-terminated (C11 7.21.6.1), so str[prec] may be past the
             * end (keel.cfg's text is such a buffer; found by fuzzing). */
            while ((prec < 0 || len < prec) && str[len])
                len++;
            if (!left)
                pad(&o, ' ', width - len);
            for (int i = 0; i < len; i++)
                put(&o, str[i]);
            if (left)
                pad(&o, ' ', width - len);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--; /* a lone '%' at the end: stop cleanly */
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
