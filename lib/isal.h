/*
 * isal: whole gzip members through Intel's ISA-L (igzip), which compresses
 * JSON lines in well under half of libdeflate's level-1 time. Internal to
 * libwdn; not installed.
 *
 * Linked into a command only when it asks (-Wl,-u,wdn_isal_gzip, like the
 * reader's fast path): the callers declare these functions weak and fall
 * back to libdeflate when they are absent, so a build that must not need
 * libisal.so (the Lambda package) keeps libdeflate.
 */
#ifndef WDN_ISAL_H
#define WDN_ISAL_H

#include <stddef.h>

/* Bytes of scratch memory wdn_isal_gzip needs (its compression level's). */
size_t wdn_isal_gzip_scratch(void);
/* The largest member n bytes can compress to. */
size_t wdn_isal_gzip_bound(size_t n);
/* Compress n bytes of in as one gzip member into out (cap bytes, at least
 * wdn_isal_gzip_bound(n)); scratch: wdn_isal_gzip_scratch() bytes. The
 * member's size, or 0 when it failed. */
size_t wdn_isal_gzip(const void *in, size_t n, void *out, size_t cap, void *scratch);

#endif
