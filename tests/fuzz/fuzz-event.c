/*
 * The CloudTrail model over any JSON document: issuance extraction, then
 * redaction and compact serialization, which must parse back.
 */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_issuance is;
	struct wdn_buf out = WDN_BUF_INIT;
	struct wdn_err err;
	wdn_json v, back;

	if (!(v = wdn_json_parse((const char *)data, size, &err)))
		return 0;
	if (wdn_event_issuance(v, &is, &err) == 1 && (!is.key_id || !is.event || !is.event_name))
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
