/*
 * The CloudTrail model over any JSON document: issuance extraction, then
 * redaction and compact serialization, which must parse back. The bounded
 * parse (first byte: the bound) must never build a tree of more elements
 * than its bound, and must take whatever fits.
 */
#include "wdn.h"
#include "event.h"
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* Values and keys in a tree. */
static size_t elements(wdn_json v)
{
	size_t i, n = 1;

	if (YAJL_IS_OBJECT(v))
		for (i = 0; i < v->u.object.len; i++)
			n += 1 + elements(v->u.object.values[i]);
	else if (YAJL_IS_ARRAY(v))
		for (i = 0; i < v->u.array.len; i++)
			n += elements(v->u.array.values[i]);
	return n;
}

static void bounded(const uint8_t *data, size_t size)
{
	struct wdn_err err;
	size_t bound, n;
	wdn_json v, all;

	if (!size)
		return;
	bound = data[0] % 64;
	v = wdn_json_parse_bounded((const char *)data + 1, size - 1, bound, &err);
	if (v && bound && elements(v) > bound)
		abort(); /* a tree beyond its bound */
	if (!v && err.code == WDN_ETOOBIG && !memchr(data + 1, '\0', size - 1)) {
		/* refused: what does parse has more elements than fit, or empty
		 * containers (yajl's tree parse stops at a NUL, the count does not) */
		if ((all = wdn_json_parse((const char *)data + 1, size - 1, &err)) &&
		    (n = elements(all)) <= bound / 2)
			abort(); /* a small tree refused */
		wdn_json_free(all);
	}
	wdn_json_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_issuance is;
	struct wdn_buf out = WDN_BUF_INIT;
	struct wdn_err err;
	wdn_json v, back;

	bounded(data, size);
	if (!(v = wdn_json_parse((const char *)data, size, &err)))
		return 0;
	if (wdn_event_issuance(v, NULL, &is, &err) == 1 && (!is.key_id || !is.event || !is.event_name))
		abort(); /* an issuance without its key, name or event */
	if (is.event && !strstr(is.event, "\"eventName\""))
		abort();
	wdn_issuance_release(&is);
	wdn_event_redact(v);
	if (!wdn_json_serialize(v, &out)) {
		if (!(back = wdn_json_parse(out.ptr, out.len, &err)))
			abort(); /* what we wrote does not parse */
		wdn_json_free(back);
	}
	wdn_buf_release(&out);
	wdn_json_free(v);
	return 0;
}
