/*
 * Enrichment of whatever the reader takes for an event (no store: the answer
 * is what the event tells). Each line must be one JSON object whose last
 * member is the only top-level one named whodunnit in any case or escape,
 * holding every other member of the event in its order; a compact event
 * with no such member of its own must come out as its bytes plus ours.
 */
#include "wdn.h"
#include "enrich.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

struct fz {
	struct wdn_enricher *e;
	struct wdn_buf line;
};

static int is_ours(const char *k)
{
	return wdn_json_name_is(k, strlen(k), 0, "whodunnit");
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct fz *z = ctx;
	struct wdn_err err;
	wdn_json in, out;
	size_t i, j, nin = 0;

	memset(&err, 0, sizeof(err));
	wdn_buf_reset(&z->line);
	if (wdn_enrich_event(z->e, ev, &z->line, &err))
		return 0; /* rejected (a bad eventTime), not written */
	if (z->line.len < 2 || z->line.ptr[z->line.len - 1] != '\n')
		abort();
	out = wdn_json_parse(z->line.ptr, z->line.len - 1, NULL);
	in = wdn_json_parse(ev->raw.ptr, ev->raw.len, NULL);
	if (!out || !YAJL_IS_OBJECT(out) || !in || !YAJL_IS_OBJECT(in))
		abort(); /* not one object */
	for (i = 0; i < out->u.object.len; i++)
		if (is_ours(out->u.object.keys[i]) != (i + 1 == out->u.object.len))
			abort(); /* a whodunnit that is not ours, or ours not last */
	/* the event's other members, in order */
	for (i = 0, j = 0; i < in->u.object.len; i++) {
		if (is_ours(in->u.object.keys[i]))
			continue;
		nin++;
		if (j >= out->u.object.len || strcmp(in->u.object.keys[i], out->u.object.keys[j++]))
			abort();
	}
	if (nin + 1 != out->u.object.len)
		abort();
	if (nin == in->u.object.len && wdn_json_is_compact(ev->raw.ptr, ev->raw.len) &&
	    (z->line.len < ev->raw.len || memcmp(z->line.ptr, ev->raw.ptr, ev->raw.len - 1)))
		abort(); /* a compact event's bytes changed */
	wdn_json_free(in);
	wdn_json_free(out);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	struct wdn_reader *r;

	z.e = wdn_enricher_new(NULL, NULL);
	wdn_buf_init(&z.line, 0);
	if (z.e && (r = wdn_reader_new("fuzz", on_event, NULL, &z))) {
		if (!wdn_reader_feed(r, data, size))
			wdn_reader_finish(r, NULL);
		wdn_reader_free(r);
	}
	wdn_buf_release(&z.line);
	wdn_enricher_free(z.e);
	return 0;
}
