/*
 * The recorder's two ways into an issuing or changing event must agree on
 * everything: event.c's rules over yajl's whole tree, the stored event its
 * redacted tree serialized; or the same rules over simdjson's tree of the
 * members they read (wdn_fast_event_tree), the stored event the text itself
 * redacted (wdn_event_redact_plain). Whatever the fast way takes, yajl's must
 * take too, and give the same issuance, stored event, changes and errors.
 */
#include "wdn.h"
#include "event.h"
#include "fastjson.h"
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_change(void *ctx, const struct wdn_change *c)
{
	wdn_buf_addf(ctx, "change %s|%" PRId64 "|%s|%s|%s\n", c->subject ? c->subject : "(null)", c->time,
		     c->event_id ? c->event_id : "(null)", c->kind ? c->kind : "(null)",
		     c->data ? c->data : "(null)");
	return 0;
}

static void add(struct wdn_buf *b, const char *name, const char *v)
{
	wdn_buf_addf(b, "%s=%s\n", name, v ? v : "(null)");
}

/* Everything the rules say of the event, as text. */
static void outcome(wdn_json v, const struct wdn_str *plain, struct wdn_buf *b)
{
	struct wdn_issuance is;
	struct wdn_err err;
	int rc;

	err.msg[0] = '\0';
	rc = wdn_event_changes(v, add_change, b, &err);
	wdn_buf_addf(b, "changes %d %s\n", rc, rc ? err.msg : "");
	err.msg[0] = '\0';
	rc = wdn_event_issuance(v, plain, &is, &err);
	wdn_buf_addf(b, "issuance %d %s\n", rc, rc < 0 ? err.msg : "");
	if (rc != 1)
		return;
	wdn_buf_addf(b, "start=%" PRId64 " end=%" PRId64 "\n", is.start, is.end);
	add(b, "key_id", is.key_id);
	add(b, "event_id", is.event_id);
	add(b, "event_name", is.event_name);
	add(b, "shared_event_id", is.shared_event_id);
	add(b, "principal", is.principal);
	add(b, "account", is.account);
	add(b, "session_name", is.session_name);
	add(b, "caller_key", is.caller_key);
	add(b, "caller_type", is.caller_type);
	add(b, "caller_arn", is.caller_arn);
	add(b, "caller_principal", is.caller_principal);
	add(b, "caller_account", is.caller_account);
	add(b, "invoked_by", is.invoked_by);
	add(b, "session_tags", is.session_tags);
	add(b, "transitive_keys", is.transitive_keys);
	add(b, "incoming_tags", is.incoming_tags);
	add(b, "source_identity", is.source_identity);
	add(b, "provider", is.provider);
	add(b, "subject", is.subject);
	add(b, "audience", is.audience);
	add(b, "event", is.event);
	wdn_issuance_release(&is);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_str plain = { (const char *)data, size };
	struct wdn_buf want = WDN_BUF_INIT, got = WDN_BUF_INIT;
	struct wdn_err err;
	wdn_json fast, slow;

	if (!(fast = wdn_fast_event_tree(plain.ptr, plain.len)))
		return 0;
	if (!(slow = wdn_json_parse_bounded(plain.ptr, plain.len, WDN_MAX_ELEMENTS, &err)))
		abort(); /* the fast way took what yajl's refuses */
	outcome(slow, NULL, &want);
	outcome(fast, &plain, &got);
	if (wdn_buf_failed(&want) || wdn_buf_failed(&got))
		abort();
	if (want.len != got.len || memcmp(want.ptr, got.ptr, want.len)) {
		fprintf(stderr, "yajl's way:\n%s\nthe fast way:\n%s\n", want.ptr, got.ptr);
		abort();
	}
	wdn_buf_release(&want);
	wdn_buf_release(&got);
	wdn_json_free(slow);
	return 0;
}
