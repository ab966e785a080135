/* The reader's fast path (fastjson.cc), and the switch tests use to compare
 * it with the streaming parse. */
#ifndef WDN_FASTJSON_H
#define WDN_FASTJSON_H

#include "wdn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tests: parse this reader's input the streaming way only, never the fast path. */
void wdn_reader_careful(struct wdn_reader *r);

/* The reader's fast path (fastjson.cc, simdjson): a whole decoded input that
 * is one log file {"Records":[{...},...]} of plain shape, validated at once.
 * Returns 1 with *evs (*nev of them, valid until the next call in this thread)
 * or 0 when not sure: any error, another shape, a cap reached. With padded,
 * WDN_FAST_PADDING bytes after buf[len] may be read; else buf is copied. */
#define WDN_FAST_PADDING 64
#define WDN_FAST_MAX (4u << 20) /* larger inputs: not sure */
struct wdn_fast_event {
	size_t off, len;               /* the event's bytes: buf[off .. off+len) */
	struct wdn_str f[WDN_F_COUNT]; /* its fields decoded (ptr NULL: absent or null) */
	int compact, forged;           /* as WDN_SHAPE_COMPACT, WDN_SHAPE_FORGED */
};
int wdn_fast_walk(const char *buf, size_t len, int padded, const struct wdn_fast_event **evs,
		  size_t *nev);
/* This thread's buffer number which (0 or 1) of WDN_FAST_MAX + 1 +
 * WDN_FAST_PADDING bytes, kept from input to input (buffers of a few MB
 * taken and freed for each input raise malloc's mmap threshold, and the heap
 * then keeps them), or NULL. */
unsigned char *wdn_fast_buffer(int which);

#ifdef __cplusplus
}
#endif

#endif
