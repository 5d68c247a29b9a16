/* Error codes: functions that can fail return the negative of one of these
 * (DESIGN.md, "Errors"). The values are Linux's, so they agree with the host
 * <errno.h> when unit tests include both. */
#ifndef KEEL_ERRNO_H
#define KEEL_ERRNO_H

#ifndef EPERM
#define EPERM   1   /* not allowed from this privilege level */
#endif
#ifndef ENOENT
#define ENOENT  2   /* no such file, VM or device */
#endif
#ifndef EIO
#define EIO     5   /* device or hardware failure */
#endif
#ifndef E2BIG
#define E2BIG   7   /* too large (command line, initrd) */
#endif
#ifndef ENOEXEC
#define ENOEXEC 8   /* payload is not a valid executable */
#define EAGAIN  11  /* not finished yet: continue later */
#endif
#ifndef ENOMEM
#define ENOMEM  12  /* out of frames or table slots */
#endif
#ifndef EFAULT
#define EFAULT  14  /* address outside the allowed range */
#endif
#ifndef EBUSY
#define EBUSY   16  /* range already in use */
#endif
#ifndef EEXIST
#define EEXIST  17  /* already mapped / registered */
#endif
#ifndef ENODEV
#define ENODEV  19  /* hardware feature missing */
#endif
#ifndef EINVAL
#define EINVAL  22  /* invalid argument or input */
#endif
#ifndef ERANGE
#define ERANGE  34  /* value out of range */
#endif
#ifndef ENOSYS
#define ENOSYS  38  /* not implemented */
#endif
#ifndef ENOTSUP
#define ENOTSUP 95  /* valid but unsupported */
#define ETIMEDOUT 110 /* the hardware did not answer in time */
#endif

/* Short name for an error code, e.g. "EINVAL"; "E?" for unknown codes. */
const char *err_name(int err);

#endif
