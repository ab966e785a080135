/*
 * The organisation's store: one DynamoDB table, the same logical records as
 * the SQLite store and the same answers.
 *
 * BatchWriteItem takes no conditions, so writes cannot choose between two
 * copies of a record; instead every copy is its own item and reads choose,
 * by the rule the SQLite store applies on write. That keeps recording
 * idempotent and order-free at 25 items a request.
 *
 *   issuance  pk K#<key>      sk I#<start>#<rank><eventID>   gpk P#<caller key>  gsk <start>#<key>
 *   sighting  pk K#<key>      sk S#<principal>#<first>#<last>
 *   change    pk C#<subject>  sk <time>#<eventID>#<kind>
 *
 * Times are 12-digit zero-padded seconds so string order is time order; rank
 * is 0 for a copy naming the caller's key, else 1. Access patterns: a key's
 * issuances and sightings (Query pk), a subject's changes up to a time
 * (Query pk, sk <=), a key's children (Query the by_caller index).
 */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define BATCH 25            /* items per BatchWriteItem, DynamoDB's limit */
#define IN_FLIGHT 16        /* BatchWriteItem requests sent at once */
#define PENDING_MAX (BATCH * IN_FLIGHT)
#define INDEX "by_caller"

struct ddb_store {
	struct wdn_store base;
	struct wdn_aws *aws;
	char *table;
	int ttl_days;
	char **pending;         /* PutRequest items, JSON */
	size_t npending;
};

/* ---- JSON building -------------------------------------------------------- */

/* An attribute: {"S": v}. DynamoDB refused empty strings for years, and
 * emulators still do, so "" is stored as {"BOOL": false} and read back. */
static void attr_s(yajl_gen g, const char *name, const char *v)
{
	if (!v)
		return;
	wdn_gen_key(g, name);
	yajl_gen_map_open(g);
	if (*v) {
		wdn_gen_key(g, "S");
		wdn_gen_str(g, v);
	} else {
		wdn_gen_key(g, "BOOL");
		yajl_gen_bool(g, 0);
	}
	yajl_gen_map_close(g);
}

static void attr_n(yajl_gen g, const char *name, int64_t v)
{
	char num[32];

	if (v == WDN_TIME_NONE)
		return;
	snprintf(num, sizeof(num), "%lld", (long long)v);
	wdn_gen_key(g, name);
	yajl_gen_map_open(g);
	wdn_gen_key(g, "N");
	wdn_gen_str(g, num);
	yajl_gen_map_close(g);
}

static void pad(char out[24], int64_t t)
{
	snprintf(out, 24, "%012lld", (long long)(t < 0 ? 0 : t));
}

/* ---- reading items --------------------------------------------------------- */

static const char *item_s(yajl_val item, const char *name)
{
	yajl_val a = wdn_json_get(item, name), v;

	if (!a)
		return NULL;
	if ((v = wdn_json_get(a, "S")) && YAJL_IS_STRING(v))
		return v->u.string;
	if (wdn_json_get(a, "BOOL"))
		return "";
	return NULL;
}

static char *item_dup(yajl_val item, const char *name)
{
	return wdn_strdup(item_s(item, name));
}

static int64_t item_n(yajl_val item, const char *name)
{
	const char *v = wdn_json_str(wdn_json_get(item, name), "N");

	return v ? strtoll(v, NULL, 10) : WDN_TIME_NONE;
}

/* ---- requests -------------------------------------------------------------- */

int wdn_ddb_call(struct wdn_aws *a, const char *op, const char *body, size_t len,
		 struct wdn_buf *resp, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	struct wdn_aws_call *cp = &c;
	struct wdn_buf target = WDN_BUF_INIT;
	int rc;

	wdn_buf_addf(&target, "X-Amz-Target: DynamoDB_20120810.%s", op);
	c.service = "dynamodb";
	c.method = "POST";
	c.path = "/";
	c.headers[0] = "Content-Type: application/x-amz-json-1.0";
	c.headers[1] = target.ptr;
	c.body = body;
	c.body_len = len;
	rc = wdn_aws_perform(a, &cp, 1);
	if (rc) {
		if (err)
			*err = c.err;
		wdn_err_prefix(err, "DynamoDB %s: ", op);
	} else if (resp) {
		wdn_buf_release(resp);
		*resp = c.resp;
		wdn_buf_init(&c.resp, 0);
	}
	wdn_aws_call_release(&c);
	wdn_buf_release(&target);
	return rc;
}

static int pend(struct ddb_store *s, struct wdn_buf *item, struct wdn_err *err);

static int flush(struct ddb_store *s, struct wdn_err *err);

/* ---- writes ---------------------------------------------------------------- */

/* An item's JSON into b, opened with its keys; NULL when out of memory. */
static yajl_gen item_open(struct wdn_buf *b, const char *pk, const char *sk)
{
	yajl_gen g = wdn_gen_into(b);

	if (g) {
		yajl_gen_map_open(g);
		attr_s(g, "pk", pk);
		attr_s(g, "sk", sk);
	}
	return g;
}

/* Close an item and queue it for writing. */
static int item_put(struct ddb_store *s, yajl_gen g, struct wdn_buf *b, struct wdn_err *err)
{
	int rc;

	yajl_gen_map_close(g);
	yajl_gen_free(g);
	rc = pend(s, b, err);
	wdn_buf_release(b);
	return rc;
}

static void item_ttl(struct ddb_store *s, yajl_gen g, int64_t t)
{
	if (s->ttl_days > 0 && t != WDN_TIME_NONE)
		attr_n(g, "ttl", t + (int64_t)s->ttl_days * 86400);
}

static int dd_put_issuance(struct wdn_store *st, const struct wdn_issuance *is, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf b = WDN_BUF_INIT, pk = WDN_BUF_INIT, sk = WDN_BUF_INIT;
	char start[24];
	yajl_gen g;

	pad(start, is->start);
	wdn_buf_addf(&pk, "K#%s", is->key_id);
	wdn_buf_addf(&sk, "I#%s#%c%s", start, is->caller_key ? '0' : '1', is->event_id ? is->event_id : "");
	g = item_open(&b, pk.ptr, sk.ptr);
	wdn_buf_release(&pk);
	wdn_buf_release(&sk);
	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (is->caller_key) {
		/* the by_caller index's keys */
		wdn_buf_addf(&pk, "P#%s", is->caller_key);
		wdn_buf_addf(&sk, "%s#%s", start, is->key_id);
		attr_s(g, "gpk", pk.ptr);
		attr_s(g, "gsk", sk.ptr);
		wdn_buf_release(&pk);
		wdn_buf_release(&sk);
	}
	attr_s(g, "key_id", is->key_id);
	attr_n(g, "start", is->start);
	attr_n(g, "end", is->end);
	attr_s(g, "event_id", is->event_id);
	attr_s(g, "event_name", is->event_name);
	attr_s(g, "shared_event_id", is->shared_event_id);
	attr_s(g, "principal", is->principal);
	attr_s(g, "account", is->account);
	attr_s(g, "session_name", is->session_name);
	attr_s(g, "caller_key", is->caller_key);
	attr_s(g, "caller_type", is->caller_type);
	attr_s(g, "caller_arn", is->caller_arn);
	attr_s(g, "caller_principal", is->caller_principal);
	attr_s(g, "caller_account", is->caller_account);
	attr_s(g, "invoked_by", is->invoked_by);
	attr_s(g, "session_tags", is->session_tags);
	attr_s(g, "transitive_keys", is->transitive_keys);
	attr_s(g, "incoming_tags", is->incoming_tags);
	attr_s(g, "source_identity", is->source_identity);
	attr_s(g, "provider", is->provider);
	attr_s(g, "subject", is->subject);
	attr_s(g, "audience", is->audience);
	attr_s(g, "event", is->event);
	item_ttl(s, g, is->start);
	return item_put(s, g, &b, err);
}

static int dd_put_sighting(struct wdn_store *st, const struct wdn_sighting *si, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf b = WDN_BUF_INIT, pk = WDN_BUF_INIT, sk = WDN_BUF_INIT;
	char first[24], last[24];
	yajl_gen g;

	pad(first, si->first);
	pad(last, si->last);
	wdn_buf_addf(&pk, "K#%s", si->key_id);
	wdn_buf_addf(&sk, "S#%s#%s#%s", si->principal ? si->principal : "", first, last);
	g = item_open(&b, pk.ptr, sk.ptr);
	wdn_buf_release(&pk);
	wdn_buf_release(&sk);
	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	attr_s(g, "principal", si->principal ? si->principal : "");
	attr_s(g, "arn", si->arn);
	attr_s(g, "type", si->type);
	attr_s(g, "account", si->account);
	attr_n(g, "first", si->first);
	attr_n(g, "last", si->last);
	item_ttl(s, g, si->last);
	return item_put(s, g, &b, err);
}

static int dd_put_change(struct wdn_store *st, const struct wdn_change *c, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf b = WDN_BUF_INIT, pk = WDN_BUF_INIT, sk = WDN_BUF_INIT;
	char t[24];
	yajl_gen g;

	pad(t, c->time);
	wdn_buf_addf(&pk, "C#%s", c->subject);
	wdn_buf_addf(&sk, "%s#%s#%s", t, c->event_id ? c->event_id : "", c->kind);
	g = item_open(&b, pk.ptr, sk.ptr);
	wdn_buf_release(&pk);
	wdn_buf_release(&sk);
	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	attr_n(g, "time", c->time);
	attr_s(g, "event_id", c->event_id ? c->event_id : "");
	attr_s(g, "kind", c->kind);
	attr_s(g, "data", c->data);
	return item_put(s, g, &b, err);
}

static int pend(struct ddb_store *s, struct wdn_buf *item, struct wdn_err *err)
{
	char **np;

	if (s->npending % 64 == 0) {
		if (!(np = realloc(s->pending, (s->npending + 64) * sizeof(*np))))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		s->pending = np;
	}
	if (!(s->pending[s->npending] = wdn_buf_detach(item, NULL)))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	s->npending++;
	return s->npending >= PENDING_MAX ? flush(s, err) : 0;
}

/* The UnprocessedItems of a BatchWriteItem answer go back on the pending list. */
static int requeue(struct ddb_store *s, const struct wdn_buf *resp, struct wdn_err *err)
{
	yajl_val v = wdn_json_parse(resp->ptr, resp->len, err), reqs;
	size_t i;
	int rc = 0;

	if (!v)
		return WDN_EAWS;
	reqs = wdn_json_get(wdn_json_get(v, "UnprocessedItems"), s->table);
	for (i = 0; !rc && reqs && YAJL_IS_ARRAY(reqs) && i < reqs->u.array.len; i++) {
		yajl_val item = wdn_json_get(reqs->u.array.values[i], "PutRequest.Item");
		struct wdn_buf b = WDN_BUF_INIT;
		char **np;

		if (!item || wdn_json_serialize(item, &b))
			continue;
		if (!(np = realloc(s->pending, (s->npending + 64) * sizeof(*np)))) {
			wdn_buf_release(&b);
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			break;
		}
		s->pending = np;
		s->pending[s->npending++] = wdn_buf_detach(&b, NULL);
	}
	wdn_json_free(v);
	return rc;
}

/* Write every pending item: BatchWriteItem calls, several in flight, until
 * DynamoDB has taken every item (UnprocessedItems retried with backoff). */
static int flush(struct ddb_store *s, struct wdn_err *err)
{
	int round = 0, rc = 0;

	while (!rc && s->npending) {
		struct wdn_aws_call calls[IN_FLIGHT], *cp[IN_FLIGHT];
		struct wdn_buf bodies[IN_FLIGHT], target = WDN_BUF_INIT;
		char **items = s->pending;
		size_t nitems = s->npending, ncalls = 0, i, k;

		s->pending = NULL;
		s->npending = 0;
		wdn_buf_addf(&target, "X-Amz-Target: DynamoDB_20120810.BatchWriteItem");
		for (i = 0; i < nitems && ncalls < IN_FLIGHT; ncalls++) {
			struct wdn_buf *b = &bodies[ncalls];
			yajl_gen g;

			wdn_buf_init(b, 0);
			g = wdn_gen_into(b);
			yajl_gen_map_open(g);
			wdn_gen_key(g, "RequestItems");
			yajl_gen_map_open(g);
			wdn_gen_key(g, s->table);
			yajl_gen_array_open(g);
			for (k = 0; k < BATCH && i < nitems; k++, i++) {
				yajl_gen_map_open(g);
				wdn_gen_key(g, "PutRequest");
				yajl_gen_map_open(g);
				wdn_gen_key(g, "Item");
				wdn_json_gen_text(g, items[i], strlen(items[i]));
				yajl_gen_map_close(g);
				yajl_gen_map_close(g);
			}
			yajl_gen_array_close(g);
			yajl_gen_map_close(g);
			yajl_gen_map_close(g);
			yajl_gen_free(g);
			memset(&calls[ncalls], 0, sizeof(calls[ncalls]));
			calls[ncalls].service = "dynamodb";
			calls[ncalls].method = "POST";
			calls[ncalls].path = "/";
			calls[ncalls].headers[0] = "Content-Type: application/x-amz-json-1.0";
			calls[ncalls].headers[1] = target.ptr;
			calls[ncalls].body = b->ptr;
			calls[ncalls].body_len = b->len;
			cp[ncalls] = &calls[ncalls];
		}
		/* items beyond this round wait for the next */
		for (; i < nitems; i++) {
			struct wdn_buf keep = WDN_BUF_INIT;

			wdn_buf_adds(&keep, items[i]);
			if ((rc = pend(s, &keep, err)) && rc != WDN_ENOMEM)
				rc = 0;
			wdn_buf_release(&keep);
		}
		rc = wdn_aws_perform(s->aws, cp, ncalls);
		for (i = 0; i < ncalls; i++) {
			if (rc && calls[i].err.code && err) {
				*err = calls[i].err;
				wdn_err_prefix(err, "DynamoDB BatchWriteItem on '%s': ", s->table);
			}
			if (!calls[i].err.code && requeue(s, &calls[i].resp, err) && !rc)
				rc = WDN_EAWS;
			wdn_aws_call_release(&calls[i]);
			wdn_buf_release(&bodies[i]);
		}
		for (i = 0; i < nitems; i++)
			free(items[i]);
		free(items);
		wdn_buf_release(&target);
		if (!rc && s->npending && round < 64) {
			/* throttled items: wait a little longer each round */
			struct timespec ts = { 0, (long)(arc4random_uniform(50u << (round < 6 ? round : 6)) + 10) * 1000000L };

			nanosleep(&ts, NULL);
			round++;
		}
	}
	return rc;
}

static int dd_begin(struct wdn_store *st, struct wdn_err *err)
{
	(void)st;
	(void)err;
	return 0;
}

static int dd_commit(struct wdn_store *st, struct wdn_err *err)
{
	return flush((struct ddb_store *)st, err);
}

/* ---- reads ------------------------------------------------------------------- */

typedef int (*item_fn)(void *ctx, yajl_val item);

/* Query with pagination; cond and values are the KeyConditionExpression parts. */
static int query(struct ddb_store *s, const char *index, const char *cond, const char *const *names,
		 const char *const *vals, size_t nvals, int forward, item_fn cb, void *ctx,
		 struct wdn_err *err)
{
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT, last = WDN_BUF_INIT;
	size_t i;
	int rc = 0, more = 1;

	while (!rc && more) {
		yajl_gen g;
		yajl_val v, items, lek;

		wdn_buf_reset(&body);
		g = wdn_gen_into(&body);
		yajl_gen_map_open(g);
		wdn_gen_key(g, "TableName");
		wdn_gen_str(g, s->table);
		if (index) {
			wdn_gen_key(g, "IndexName");
			wdn_gen_str(g, index);
		}
		wdn_gen_key(g, "KeyConditionExpression");
		wdn_gen_str(g, cond);
		wdn_gen_key(g, "ExpressionAttributeValues");
		yajl_gen_map_open(g);
		for (i = 0; i < nvals; i++)
			attr_s(g, names[i], vals[i]);
		yajl_gen_map_close(g);
		wdn_gen_key(g, "ScanIndexForward");
		yajl_gen_bool(g, forward);
		wdn_gen_key(g, "ConsistentRead");
		yajl_gen_bool(g, index == NULL); /* an index reads eventually consistent only */
		if (last.len) {
			wdn_gen_key(g, "ExclusiveStartKey");
			wdn_json_gen_text(g, last.ptr, last.len);
		}
		yajl_gen_map_close(g);
		yajl_gen_free(g);
		if ((rc = wdn_ddb_call(s->aws, "Query", body.ptr, body.len, &resp, err)))
			break;
		if (!(v = wdn_json_parse(resp.ptr, resp.len, err))) {
			rc = WDN_EAWS;
			break;
		}
		items = wdn_json_get(v, "Items");
		for (i = 0; !rc && items && YAJL_IS_ARRAY(items) && i < items->u.array.len; i++)
			rc = cb(ctx, items->u.array.values[i]);
		wdn_buf_reset(&last);
		if ((lek = wdn_json_get(v, "LastEvaluatedKey")) && YAJL_IS_OBJECT(lek))
			wdn_json_serialize(lek, &last);
		more = last.len > 0;
		wdn_json_free(v);
	}
	wdn_buf_release(&body);
	wdn_buf_release(&resp);
	wdn_buf_release(&last);
	return rc;
}

static void item_issuance(yajl_val it, struct wdn_issuance *is)
{
	memset(is, 0, sizeof(*is));
	is->key_id = item_dup(it, "key_id");
	is->start = item_n(it, "start");
	is->end = item_n(it, "end");
	is->event_id = item_dup(it, "event_id");
	is->event_name = item_dup(it, "event_name");
	is->shared_event_id = item_dup(it, "shared_event_id");
	is->principal = item_dup(it, "principal");
	is->account = item_dup(it, "account");
	is->session_name = item_dup(it, "session_name");
	is->caller_key = item_dup(it, "caller_key");
	is->caller_type = item_dup(it, "caller_type");
	is->caller_arn = item_dup(it, "caller_arn");
	is->caller_principal = item_dup(it, "caller_principal");
	is->caller_account = item_dup(it, "caller_account");
	is->invoked_by = item_dup(it, "invoked_by");
	is->session_tags = item_dup(it, "session_tags");
	is->transitive_keys = item_dup(it, "transitive_keys");
	is->incoming_tags = item_dup(it, "incoming_tags");
	is->source_identity = item_dup(it, "source_identity");
	is->provider = item_dup(it, "provider");
	is->subject = item_dup(it, "subject");
	is->audience = item_dup(it, "audience");
	is->event = item_dup(it, "event");
}

/* Copies of one issuance: keep the best, as the SQLite store's upsert does. */
struct pick {
	int64_t at;
	struct wdn_issuance within, before; /* best in a window holding at; latest before */
	char within_sk[512], before_sk[512];
	int have_within, have_before;
};

/* An item is an issuance only with the members every reader relies on; a
 * foreign or damaged item in the table is passed over. */
static int whole_issuance(yajl_val it)
{
	return item_s(it, "sk") && item_s(it, "key_id") && item_s(it, "event_name") &&
	       item_s(it, "event") && item_n(it, "start") != WDN_TIME_NONE;
}

static int better(int64_t start, const char *sk, int64_t cur_start, const char *cur_sk, int have)
{
	const char *r = strrchr(sk, '#'), *cr = strrchr(cur_sk, '#');

	if (!have || start > cur_start)
		return 1;
	/* same start: the lower rank-and-eventID wins */
	return start == cur_start && r && cr && strcmp(r, cr) < 0;
}

static int pick_cb(void *ctx, yajl_val it)
{
	struct pick *p = ctx;
	const char *sk = item_s(it, "sk");
	int64_t start = item_n(it, "start"), end = item_n(it, "end");

	if (!whole_issuance(it) || start > p->at)
		return 0;
	if ((end == WDN_TIME_NONE || end >= p->at) &&
	    better(start, sk, p->within.start, p->within_sk, p->have_within)) {
		wdn_issuance_release(&p->within);
		item_issuance(it, &p->within);
		snprintf(p->within_sk, sizeof(p->within_sk), "%s", sk);
		p->have_within = 1;
	}
	if (better(start, sk, p->before.start, p->before_sk, p->have_before)) {
		wdn_issuance_release(&p->before);
		item_issuance(it, &p->before);
		snprintf(p->before_sk, sizeof(p->before_sk), "%s", sk);
		p->have_before = 1;
	}
	return 0;
}

static int dd_get_issuance(struct wdn_store *st, const char *key, int64_t at,
			   struct wdn_issuance *out, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT, hi = WDN_BUF_INIT;
	struct pick p;
	const char *names[] = { ":pk", ":lo", ":hi" }, *vals[3];
	char t[24];
	int rc;

	memset(&p, 0, sizeof(p));
	p.at = at;
	p.within.start = p.before.start = WDN_TIME_NONE;
	memset(out, 0, sizeof(*out));
	wdn_buf_addf(&pk, "K#%s", key);
	pad(t, at);
	wdn_buf_addf(&hi, "I#%s#~", at == WDN_TIME_MAX ? "~" : t);
	vals[0] = pk.ptr;
	vals[1] = "I#";
	vals[2] = hi.ptr;
	rc = query(s, NULL, "pk = :pk AND sk BETWEEN :lo AND :hi", names, vals, 3, 1, pick_cb, &p, err);
	wdn_buf_release(&pk);
	wdn_buf_release(&hi);
	if (!rc && !p.have_within && !p.have_before)
		rc = WDN_ENOTFOUND;
	if (!rc) {
		*out = p.have_within ? p.within : p.before;
		if (p.have_within)
			wdn_issuance_release(&p.before);
		else
			wdn_issuance_release(&p.within);
	} else {
		wdn_issuance_release(&p.within);
		wdn_issuance_release(&p.before);
	}
	return rc;
}

/* Sightings of a key folded per principal: earliest first, latest last. */
struct fold {
	struct wdn_sighting *v;
	size_t n;
};

static void min_str(char **have, const char *v)
{
	if (v && (!*have || strcmp(v, *have) < 0)) {
		free(*have);
		*have = wdn_strdup(v);
	}
}

static int fold_cb(void *ctx, yajl_val it)
{
	struct fold *f = ctx;
	const char *principal = item_s(it, "principal");
	int64_t first = item_n(it, "first"), last = item_n(it, "last");
	struct wdn_sighting *si;
	size_t i;

	if (!principal)
		return 0;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].principal, principal))
			break;
	if (i == f->n) {
		if (!(si = realloc(f->v, (f->n + 1) * sizeof(*si))))
			return WDN_ENOMEM;
		f->v = si;
		memset(&f->v[f->n], 0, sizeof(*si));
		f->v[f->n].principal = wdn_strdup(principal);
		f->v[f->n].first = first;
		f->v[f->n].last = last;
		f->n++;
	}
	si = &f->v[i];
	if (first < si->first)
		si->first = first;
	if (last > si->last)
		si->last = last;
	min_str(&si->arn, item_s(it, "arn"));
	min_str(&si->type, item_s(it, "type"));
	min_str(&si->account, item_s(it, "account"));
	return 0;
}

static int dd_get_sighting(struct wdn_store *st, const char *key, struct wdn_sighting *out,
			   struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct fold f = { NULL, 0 };
	const char *names[] = { ":pk", ":s" }, *vals[2];
	size_t i, best = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	wdn_buf_addf(&pk, "K#%s", key);
	vals[0] = pk.ptr;
	vals[1] = "S#";
	rc = query(s, NULL, "pk = :pk AND begins_with(sk, :s)", names, vals, 2, 1, fold_cb, &f, err);
	wdn_buf_release(&pk);
	if (!rc && !f.n)
		rc = WDN_ENOTFOUND;
	for (i = 1; !rc && i < f.n; i++)
		if (f.v[i].last > f.v[best].last ||
		    (f.v[i].last == f.v[best].last && strcmp(f.v[i].principal, f.v[best].principal) < 0))
			best = i;
	for (i = 0; i < f.n; i++) {
		if (!rc && i == best) {
			*out = f.v[i];
			out->key_id = wdn_strdup(key);
		} else {
			wdn_sighting_release(&f.v[i]);
		}
	}
	free(f.v);
	return rc;
}

struct change_walk {
	wdn_change_fn cb;
	void *ctx;
	int64_t until;
};

static int change_cb(void *ctx, yajl_val it)
{
	struct change_walk *w = ctx;
	struct wdn_change c;
	const char *pk = item_s(it, "pk");
	int rc;

	c.subject = (char *)(pk ? pk + 2 : "");
	c.time = item_n(it, "time");
	c.event_id = (char *)item_s(it, "event_id");
	c.kind = (char *)item_s(it, "kind");
	c.data = (char *)item_s(it, "data");
	if (!c.kind || c.time > w->until)
		return 0;
	rc = w->cb(w->ctx, &c);
	return rc;
}

static int dd_changes(struct wdn_store *st, const char *subject, int64_t until, wdn_change_fn cb,
		      void *ctx, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct change_walk w = { cb, ctx, until };
	struct wdn_buf pk = WDN_BUF_INIT, hi = WDN_BUF_INIT;
	const char *names[] = { ":pk", ":hi" }, *vals[2];
	char t[24];
	int rc;

	wdn_buf_addf(&pk, "C#%s", subject);
	pad(t, until);
	wdn_buf_addf(&hi, "%s#~", until == WDN_TIME_MAX ? "~" : t);
	vals[0] = pk.ptr;
	vals[1] = hi.ptr;
	rc = query(s, NULL, "pk = :pk AND sk <= :hi", names, vals, 2, 1, change_cb, &w, err);
	wdn_buf_release(&pk);
	wdn_buf_release(&hi);
	return rc;
}

struct children {
	struct wdn_issuance *v;
	char (*sk)[512];
	size_t n;
};

static int child_cb(void *ctx, yajl_val it)
{
	struct children *c = ctx;
	struct wdn_issuance is;
	const char *sk = item_s(it, "sk");
	size_t i;

	if (!whole_issuance(it))
		return 0;
	item_issuance(it, &is);
	for (i = 0; i < c->n; i++)
		if (c->v[i].start == is.start && !strcmp(c->v[i].key_id, is.key_id))
			break;
	if (i < c->n) {
		/* another copy of the same issuance: keep the one SQLite keeps */
		if (better(is.start, sk, c->v[i].start, c->sk[i], 1)) {
			wdn_issuance_release(&c->v[i]);
			c->v[i] = is;
			snprintf(c->sk[i], sizeof(c->sk[i]), "%s", sk);
		} else {
			wdn_issuance_release(&is);
		}
		return 0;
	}
	{
		struct wdn_issuance *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
		char (*nsk)[512] = realloc(c->sk, (c->n + 1) * sizeof(*nsk));

		if (nv)
			c->v = nv;
		if (nsk)
			c->sk = nsk;
		if (!nv || !nsk) {
			wdn_issuance_release(&is);
			return WDN_ENOMEM;
		}
	}
	c->v[c->n] = is;
	snprintf(c->sk[c->n], sizeof(c->sk[c->n]), "%s", sk);
	c->n++;
	return 0;
}

static int dd_children(struct wdn_store *st, const char *key, wdn_issuance_fn cb, void *ctx,
		       struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct children c = { NULL, NULL, 0 };
	struct wdn_buf pk = WDN_BUF_INIT;
	const char *names[] = { ":p" }, *vals[1];
	size_t i;
	int rc;

	wdn_buf_addf(&pk, "P#%s", key);
	vals[0] = pk.ptr;
	rc = query(s, INDEX, "gpk = :p", names, vals, 1, 1, child_cb, &c, err);
	wdn_buf_release(&pk);
	for (i = 0; i < c.n; i++) {
		if (!rc)
			rc = cb(ctx, &c.v[i]);
		wdn_issuance_release(&c.v[i]);
	}
	free(c.v);
	free(c.sk);
	return rc;
}

static void dd_close(struct wdn_store *st)
{
	struct ddb_store *s = (struct ddb_store *)st;
	size_t i;

	for (i = 0; i < s->npending; i++)
		free(s->pending[i]);
	free(s->pending);
	wdn_aws_free(s->aws);
	free(s->table);
	free(s->base.where);
	free(s);
}

static const struct wdn_store_ops dynamodb_ops = {
	.kind = "dynamodb",
	.begin = dd_begin,
	.commit = dd_commit,
	.put_issuance = dd_put_issuance,
	.put_sighting = dd_put_sighting,
	.get_issuance = dd_get_issuance,
	.get_sighting = dd_get_sighting,
	.put_change = dd_put_change,
	.changes = dd_changes,
	.children = dd_children,
	.close = dd_close,
};

int wdn_store_dynamodb_open(const char *table, int flags, const struct wdn_store_opts *opts,
			    struct wdn_store **out, struct wdn_err *err)
{
	struct ddb_store *s = calloc(1, sizeof(*s));
	struct wdn_buf w = WDN_BUF_INIT;
	int rc;

	(void)flags;
	*out = NULL;
	if (!s)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	s->base.ops = &dynamodb_ops;
	s->table = wdn_strdup(table);
	wdn_buf_addf(&w, "dynamodb:%s", table);
	s->base.where = wdn_buf_detach(&w, NULL);
	s->ttl_days = opts ? opts->ttl_days : 0;
	if ((rc = wdn_aws_new(opts ? opts->profile : NULL, opts ? opts->region : NULL,
			      opts ? opts->endpoint : NULL, &s->aws, err))) {
		dd_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

int wdn_store_dynamodb_create(const char *table, const struct wdn_store_opts *opts,
			      struct wdn_err *err)
{
	struct wdn_aws *a;
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT;
	int rc, i;

	if ((rc = wdn_aws_new(opts ? opts->profile : NULL, opts ? opts->region : NULL,
			      opts ? opts->endpoint : NULL, &a, err)))
		return rc;
	wdn_buf_addf(&body,
		"{\"TableName\":\"%s\",\"BillingMode\":\"PAY_PER_REQUEST\","
		"\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"gpk\",\"AttributeType\":\"S\"},"
		"{\"AttributeName\":\"gsk\",\"AttributeType\":\"S\"}],"
		"\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
		"{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
		"\"GlobalSecondaryIndexes\":[{\"IndexName\":\"" INDEX "\","
		"\"KeySchema\":[{\"AttributeName\":\"gpk\",\"KeyType\":\"HASH\"},"
		"{\"AttributeName\":\"gsk\",\"KeyType\":\"RANGE\"}],"
		"\"Projection\":{\"ProjectionType\":\"ALL\"}}]}", table);
	rc = wdn_ddb_call(a, "CreateTable", body.ptr, body.len, &resp, err);
	if (rc && err && !strcmp(err->aws_type, "ResourceInUseException"))
		rc = 0; /* there already: fine, wait for it like a new one */
	for (i = 0; !rc && i < 600; i++) {
		yajl_val v;
		const char *status;

		wdn_buf_reset(&body);
		wdn_buf_addf(&body, "{\"TableName\":\"%s\"}", table);
		if ((rc = wdn_ddb_call(a, "DescribeTable", body.ptr, body.len, &resp, err)))
			break;
		v = wdn_json_parse(resp.ptr, resp.len, NULL);
		status = wdn_json_str(v, "Table.TableStatus");
		if (status && !strcmp(status, "ACTIVE")) {
			wdn_json_free(v);
			break;
		}
		wdn_json_free(v);
		{
			struct timespec ts = { 0, 250 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (!rc && opts && opts->ttl_days > 0) {
		wdn_buf_reset(&body);
		wdn_buf_addf(&body, "{\"TableName\":\"%s\",\"TimeToLiveSpecification\":"
			     "{\"Enabled\":true,\"AttributeName\":\"ttl\"}}", table);
		rc = wdn_ddb_call(a, "UpdateTimeToLive", body.ptr, body.len, &resp, err);
		/* enabled already; or an emulator that has no TTL (items then just stay) */
		if (rc && err && ((!strcmp(err->aws_type, "ValidationException") &&
				   strstr(err->msg, "already enabled")) ||
				  !strcmp(err->aws_type, "UnknownOperationException")))
			rc = 0;
	}
	wdn_buf_release(&body);
	wdn_buf_release(&resp);
	wdn_aws_free(a);
	return rc;
}
