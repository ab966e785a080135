/*
 * ARNs: any bytes through the parser, whose fields must lie inside the input
 * and put it back together; then as the principal, caller and sighting of a
 * key in a small store made here, so every place that takes an ARN apart
 * while answering (tags, renames, roots, sessions, Identity Center) meets it.
 */
#include "wdn.h"
#include "arn.h"
#include "event.h"
#include "json.h"
#include "resolve.h"
#include "store.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static const char *arn_text; /* this input, NUL-terminated */
static unsigned shape;       /* which issuing event and caller type */

static int in(struct wdn_str f, const char *p, size_t n)
{
	return f.ptr >= p && f.ptr + f.len <= p + n;
}

static void check_parse(const char *p, size_t n)
{
	struct wdn_arn a;
	struct wdn_buf b = WDN_BUF_INIT;

	if (wdn_arn_parse(p, n, &a))
		return;
	if (!in(a.partition, p, n) || !in(a.service, p, n) || !in(a.region, p, n) ||
	    !in(a.account, p, n) || !in(a.resource, p, n) || !in(a.type, p, n) || !in(a.name, p, n))
		abort(); /* a field outside the text */
	if (!a.partition.len || !a.service.len || !a.resource.len || n > WDN_ARN_MAX)
		abort(); /* accepted what is no ARN */
	wdn_buf_addf(&b, "arn:%.*s:%.*s:%.*s:%.*s:%.*s", (int)a.partition.len, a.partition.ptr,
		     (int)a.service.len, a.service.ptr, (int)a.region.len, a.region.ptr,
		     (int)a.account.len, a.account.ptr, (int)a.resource.len, a.resource.ptr);
	if (b.len != n || memcmp(b.ptr, p, n))
		abort(); /* the fields are not the ARN */
	wdn_buf_release(&b);
}

/* ---- a store of one key, whose every ARN is the input -------------------- */

static const char *const events[] = {
	"AssumeRole", "CreateAccessKey", "GetFederationToken", "AssumeRoleWithSAML",
};
static const char *const types[] = {
	"IAMUser", "AssumedRole", "SAMLUser", "AWSService", "Root",
};

static int get_issuance(struct wdn_store *s, const char *key, int64_t at, struct wdn_issuance *is,
			struct wdn_err *err)
{
	memset(is, 0, sizeof(*is));
	if (strcmp(key, "ASIAAAAAAAAAAAAAAAAA"))
		return WDN_ENOTFOUND; /* its caller: not known */
	is->key_id = wdn_strdup(key);
	is->start = 1600000000;
	is->end = WDN_TIME_NONE;
	is->event_name = wdn_strdup(events[shape % 4]);
	is->principal = wdn_strdup(arn_text);
	is->caller_principal = wdn_strdup(arn_text);
	is->caller_arn = wdn_strdup(arn_text);
	is->caller_type = wdn_strdup(types[(shape / 4) % 5]);
	if (shape & 128) /* a CloudFormation service role's session */
		is->invoked_by = wdn_strdup("cloudformation.amazonaws.com");
	else
		is->caller_key = wdn_strdup("ASIABBBBBBBBBBBBBBBB");
	is->session_name = wdn_strdup("s");
	is->provider = shape & 32 ? wdn_strdup(arn_text) : NULL;
	is->event = wdn_strdup("{}");
	return 0;
}

static int get_sighting(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			struct wdn_err *err)
{
	memset(out, 0, sizeof(*out));
	out->key_id = wdn_strdup(key);
	out->principal = wdn_strdup(arn_text);
	out->arn = wdn_strdup(arn_text);
	out->type = wdn_strdup(types[(shape / 4) % 5]);
	out->first = out->last = 1600000000;
	return 0;
}

/* Every log has one rename and one tag change, so renames and tags fold. */
static int changes(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb,
		   void *ctx, struct wdn_err *err)
{
	struct wdn_change tag = { (char *)subject, 1500000000, "e1", "tag", "{\"k\":\"v\"}" };
	struct wdn_change ren = { (char *)subject, 1500000001, "e2", "renamed-from", "{\"name\":\"o\"}" };
	int rc = cb(ctx, &tag);

	return rc ? rc : shape & 64 ? cb(ctx, &ren) : 0;
}

static int children(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx,
		    struct wdn_err *err)
{
	return 0;
}

static const struct wdn_store_ops ops = {
	.kind = "fuzz", .get_issuance = get_issuance, .get_sighting = get_sighting,
	.changes = changes, .children = children,
};

static void answer(const char *key)
{
	struct wdn_store s = { &ops, "fuzz" };
	struct wdn_answer a;
	struct wdn_buf out = WDN_BUF_INIT;
	yajl_gen g = wdn_gen_into(&out);

	if (!wdn_resolve(&s, key, 1600000100, &a, NULL) && g) {
		yajl_gen_map_open(g);
		wdn_answer_gen_lookup(g, &a, WDN_ANS_TRAILS);
		yajl_gen_map_close(g);
	}
	if (g)
		yajl_gen_free(g);
	wdn_answer_release(&a);
	wdn_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	shape = data[0];
	check_parse((const char *)data + 1, size - 1);
	if (!(text = wdn_strndup((const char *)data + 1, size - 1)))
		return 0;
	/* a copy of exactly its own size: reading past its end is seen */
	arn_text = text;
	free(wdn_principal_of(NULL, text, NULL));
	free(wdn_arn_account(text));
	free(wdn_arn_session(text));
	answer("ASIAAAAAAAAAAAAAAAAA"); /* known by its issuance */
	answer("AKIAAAAAAAAAAAAAAAAA"); /* known by a sighting only */
	free(text);
	return 0;
}
