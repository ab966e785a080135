/*
 * The streaming CloudTrail reader. The first byte picks how the rest is cut
 * into pushes (whole, single bytes, small or large random pieces) and whether
 * on_event asks to stop at some event; the callbacks read every byte they are
 * given, and a stop request must be honoured: no event after it, and its code
 * returned by the feed (or finish) that delivered it. Broken gzip ends the
 * decoding, so it is rejected once per input at most. An input not read
 * whole (cut short, damaged gzip) fails with WDN_EIO and says why, whatever
 * the feeding or whether it is given whole (wdn_reader_feed_whole, decoded
 * at once); every event delivered has a line, parses whole as an object
 * and stays within the element bound.
 */
#include "wdn.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

struct fz {
	unsigned events, rejects, stop_at, gzip_rejects;
	int stopped;
	volatile unsigned sum;
};

static void touch(struct fz *z, struct wdn_str s)
{
	size_t i;

	for (i = 0; s.ptr && i < s.len; i++)
		z->sum += (unsigned char)s.ptr[i];
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct fz *z = ctx;
	int i;

	wdn_json v;

	if (z->stopped || !ev->record || !ev->raw.len || !ev->line)
		abort(); /* an event after a stop, or an event with no record, line or bytes */
	/* the tree estimate counts an empty container twice at most; yajl's
	 * tree grows by one element per realloc, so only small events */
	if (ev->raw.len < 16384) {
		v = wdn_json_parse_bounded(ev->raw.ptr, ev->raw.len, 2 * WDN_MAX_ELEMENTS + 1, NULL);
		if (!v || !YAJL_IS_OBJECT(v))
			abort(); /* an event that is no whole object, or beyond the bound */
		wdn_json_free(v);
	}
	touch(z, ev->raw);
	for (i = 0; i < WDN_F_COUNT; i++)
		touch(z, ev->f[i]);
	if (++z->events == z->stop_at) {
		z->stopped = 1;
		return WDN_ESTORE;
	}
	return 0;
}

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct fz *z = ctx;
	const char *m;

	z->rejects++;
	if ((!strncmp(rej->msg, "corrupt gzip data", 17) || !strncmp(rej->msg, "a stray byte", 12)) &&
	    z->gzip_rejects++)
		abort(); /* the same broken gzip rejected again */
	touch(z, rej->raw);
	for (m = rej->msg; *m; m++)
		z->sum += (unsigned char)*m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { 0, 0, 0, 0, 0, 0 };
	struct wdn_err err = { 0 };
	struct wdn_reader *r;
	unsigned h, seed;
	size_t off = 1, n;
	int rc = 0;

	if (!size || !(r = wdn_reader_new("fuzz", on_event, on_reject, &z)))
		return 0;
	h = data[0];
	seed = h * 2654435761u + (unsigned)size;
	z.stop_at = h & 0x80 ? ((h >> 2) & 7) + 1 : 0;
	while (off < size && !rc) {
		seed = seed * 1103515245u + 12345u;
		n = (h & 3) == 0 ? size : (h & 3) == 1 ? 1 : (h & 3) == 2 ? 1 + (seed >> 16) % 64
									   : 1 + (seed >> 8) % 140000;
		if (size > 65536 && n < 4096)
			n = 4096; /* yajl re-lexes a token held over pieces: tiny pieces of a
				   * long one cost its length squared, in yajl, not here */
		n = n < size - off ? n : size - off;
		rc = wdn_reader_feed(r, data + off, n);
		off += n;
	}
	if (!rc)
		rc = wdn_reader_finish(r, &err);
	if (z.stopped != (rc == WDN_ESTORE))
		abort(); /* a stop request lost, or a stop code nobody asked for */
	if (rc && rc != WDN_ESTORE && (rc != WDN_EIO || !err.msg[0]))
		abort(); /* a failure other than "not read whole", or one that says nothing */
	wdn_reader_free(r);
	if (!z.stop_at && (h & 3)) {
		/* how the input is cut into pieces must not change what it holds */
		struct fz whole = { 0, 0, 0, 0, 0, 0 };
		int wrc;

		if (!(r = wdn_reader_new("fuzz", on_event, on_reject, &whole)))
			return 0;
		/* given whole, a gzip input is decoded at once (libdeflate), not
		 * streamed: the verdicts must not change either */
		if (!(wrc = wdn_reader_feed_whole(r, data + 1, size - 1)))
			wrc = wdn_reader_finish(r, NULL);
		wdn_reader_free(r);
		if (whole.events != z.events || whole.rejects != z.rejects || wrc != rc)
			abort();
	}
	return 0;
}
