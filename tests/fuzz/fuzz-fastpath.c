/*
 * The reader's fast path against its streaming parse, on the same input:
 * with the fast path (and its fall back to the streaming parse from the
 * start) a reader must deliver exactly what the streaming parse alone
 * delivers: the same events (record, line, bytes, fields), the same rejects
 * (record, line, bytes, message, untrusted), counts and verdict. And what the
 * fast path says of an event's text must be so: compact when there is no
 * white space outside strings, forged when a top-level member is named
 * whodunnit in some case or escape.
 *
 * The first byte picks the feeding (wdn_reader_feed_whole, or
 * wdn_reader_feed_held in pieces), gzip around the rest or not, refused
 * envelopes, and a stop at some event; the rest is the input.
 */
#include "wdn.h"
#include "fastjson.h"
#include "enrich.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

struct seen {
	struct wdn_buf log;      /* every event and reject, serialised */
	unsigned n, stop_at;
	int known;               /* events whose shape the reader said */
};

static void add_str(struct wdn_buf *b, struct wdn_str s)
{
	wdn_buf_addf(b, "%zu:", s.ptr ? s.len : (size_t)-1);
	if (s.ptr)
		wdn_buf_add(b, s.ptr, s.len);
}

/* Is a top-level member of the object text named whodunnit (as enrich sees names)? */
static int has_forged(const char *p, size_t n)
{
	wdn_json v = wdn_json_parse_bounded(p, n, 2 * WDN_MAX_ELEMENTS + 1, NULL);
	int forged = 0;
	size_t i;

	if (!v)
		return -1;
	for (i = 0; YAJL_IS_OBJECT(v) && i < v->u.object.len; i++)
		forged |= wdn_json_name_is(v->u.object.keys[i], strlen(v->u.object.keys[i]), 0, "whodunnit");
	wdn_json_free(v);
	return forged;
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct seen *s = ctx;
	int i;

	wdn_buf_addf(&s->log, "E%llu@%llu ", (unsigned long long)ev->record, (unsigned long long)ev->line);
	add_str(&s->log, ev->raw);
	for (i = 0; i < WDN_F_COUNT; i++)
		add_str(&s->log, ev->f[i]);
	if (ev->shape & WDN_SHAPE_KNOWN) {
		int forged;

		s->known++;
		if (!(ev->shape & WDN_SHAPE_COMPACT) != !wdn_json_is_compact(ev->raw.ptr, ev->raw.len))
			abort(); /* compact said wrong */
		/* a nested key with a NUL is cut in yajl's tree: only small plain events */
		if (ev->raw.len < 16384 && !memchr(ev->raw.ptr, '\0', ev->raw.len) &&
		    (forged = has_forged(ev->raw.ptr, ev->raw.len)) >= 0 &&
		    forged != !!(ev->shape & WDN_SHAPE_FORGED))
			abort(); /* forged said wrong */
	} else if (ev->shape) {
		abort();
	}
	if (++s->n == s->stop_at)
		return WDN_ESTORE;
	return 0;
}

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct seen *s = ctx;

	wdn_buf_addf(&s->log, "R%llu@%llu/%d %s ", (unsigned long long)rej->record,
		     (unsigned long long)rej->line, rej->untrusted, rej->msg);
	add_str(&s->log, rej->raw);
}

static int run(const unsigned char *p, size_t n, unsigned h, int careful, struct seen *s)
{
	struct wdn_err err = { 0 };
	struct wdn_reader *r = wdn_reader_new("fuzz", on_event, on_reject, s);
	uint64_t events, rejected;
	size_t off, k;
	int rc = 0, digest;

	if (!r)
		return 1;
	if (careful)
		wdn_reader_careful(r);
	if (h & 2)
		wdn_reader_refuse_envelopes(r);
	if (h & 1) {
		rc = wdn_reader_feed_whole(r, p, n);
	} else {
		for (off = 0; off < n && !rc; off += k) {
			k = 1 + (off * 7919 + h) % 50000;
			k = k < n - off ? k : n - off;
			rc = wdn_reader_feed_held(r, p + off, k);
		}
	}
	if (!rc)
		rc = wdn_reader_finish(r, &err);
	wdn_reader_counts(r, &events, &rejected, &digest);
	wdn_buf_addf(&s->log, "| rc %d %s %llu %llu %d", rc, err.msg, (unsigned long long)events,
		     (unsigned long long)rejected, digest);
	wdn_reader_free(r);
	return 0;
}

static size_t gzip_of(const unsigned char *p, size_t n, unsigned char **out)
{
	z_stream z;
	size_t cap = n + n / 10 + 64;
	int rc;

	memset(&z, 0, sizeof(z));
	if (!(*out = malloc(cap)))
		return 0;
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(*out);
		return 0;
	}
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		return 0;
	}
	return cap - z.avail_out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen fast, slow;
	unsigned char *z = NULL;
	const unsigned char *p = data + 1;
	size_t n = size ? size - 1 : 0;
	unsigned h;

	if (!size)
		return 0;
	h = data[0];
	if (h & 4) {
		if (!(n = gzip_of(data + 1, size - 1, &z)))
			return 0;
		p = z;
	}
	memset(&fast, 0, sizeof(fast));
	memset(&slow, 0, sizeof(slow));
	fast.log = (struct wdn_buf)WDN_BUF_INIT;
	slow.log = (struct wdn_buf)WDN_BUF_INIT;
	fast.stop_at = slow.stop_at = h & 0x80 ? ((h >> 3) & 15) + 1 : 0;
	if (!run(p, n, h, 0, &fast) && !run(p, n, h, 1, &slow) && !wdn_buf_failed(&fast.log) &&
	    !wdn_buf_failed(&slow.log)) {
		if (slow.known)
			abort(); /* the streaming parse knows no shapes */
		if (fast.log.len != slow.log.len || memcmp(fast.log.ptr, slow.log.ptr, fast.log.len))
			abort(); /* the fast path changed what the input holds */
	}
	wdn_buf_release(&fast.log);
	wdn_buf_release(&slow.log);
	free(z);
	return 0;
}
