/* The reader's fast path (fastjson.cc), and the switch tests use to compare
 * it with the streaming parse. */
#ifndef WDN_FASTJSON_H
#define WDN_FASTJSON_H

#include "wdn.h"
#include "json.h"

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

/* The recorder's shortcut for an issuing or changing event: the text of one
 * event object parsed by simdjson into a yajl tree of the members event.c's
 * rules read, or NULL when not sure. The tree is this thread's, valid until
 * the next call in it: read it, never free or change it. Only plain
 * text is taken: compact (no white space outside strings) with no backslash
 * anywhere, within wdn_json_parse_bounded's caps (WDN_MAX_DEPTH,
 * WDN_MAX_ELEMENTS counted its way). Such text is exactly what yajl's
 * generator writes of its parse, so the caller may store it as it is (see
 * wdn_event_issuance); the tree's numbers are not the text's and it is
 * never to be serialized. */
wdn_json wdn_fast_event_tree(const char *raw, size_t len);

#ifdef __cplusplus
}
#endif

#endif
