/*
 * The organisation's store: one DynamoDB table, the same logical records as
 * the SQLite store and the same answers.
 *
 * Reads in bulk are BatchGetItem by fixed keys, so each key ID has one item
 * that answers for it; writes are BatchWriteItem, 25 items a request, which
 * takes no conditions, so what lands in that item must not depend on order.
 *
 *   issuance  pk K#<key>      sk I                           the key's item
 *             pk K#<key>      sk I#<start>#<rank><eventID>   other copies
 *             (both with gpk P#<caller key>, gsk <start>#<key> for the index)
 *   sighting  pk K#<key>      sk S#<principal>#<first>#<last>
 *   change    pk C#<subject>  sk <time>#<eventID>#<kind>
 *             pk C#<subject>  sk H                           "has changes"
 *   source    pk S#<source>   sk S                           a log file's integrity
 *   coverage  pk D            sk <account>#<region>           digests recorded there
 *             pk D#<account>#<region>  sk <start>#<end>#<digest>  a digest's span
 *             pk D#<account>#<region>  sk M#<log>         a listed log a run missed
 *
 * An issuance item's src attribute names the source its event was read
 * from (path or s3:// URI); the source's item, written after a digest run,
 * holds integrity ("verified" or "tampered"), why and checked (epoch).
 *
 * The key's item holds the issuance every copy agrees on: the copy naming
 * the caller's key, or the only copy there is. The copy a cross-account
 * AssumeRole logs in the role's account names no caller key; it goes to its
 * own item, read only when the key's item is missing. A key ID issued again
 * (recycled) in the same run moves both issuances to their own items and
 * leaves the later in the key's item. Times are 12-digit zero-padded seconds
 * so string order is time order; rank is 0 for a copy naming the caller's
 * key, else 1.
 *
 * Access patterns: one key (Query pk: its item, copies and sightings); many
 * keys (BatchGetItem of K#<key>/I and C#<subject>/H, then Query only where
 * those say there is more); a key's children (Query the by_caller index).
 */
#include "wdn.h"
#include "aws.h"
#include "coverage.h"
#include "event.h"
#include "json.h"
#include "sigv4.h"
#include "store.h"
#include "str.h"
#include "testing.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define BATCH 25            /* items per BatchWriteItem, DynamoDB's limit */
#define IN_FLIGHT 16        /* BatchWriteItem requests sent at once */
#define PENDING_MAX (BATCH * IN_FLIGHT)
#define INDEX "by_caller"
#define GET_BATCH 100       /* keys per BatchGetItem, DynamoDB's limit */
#define PUT_SLOTS 65536     /* key items this run wrote, remembered (a power of 2) */
#define HEAD_SLOTS 4096     /* subjects whose head this run wrote (a power of 2) */
#define CACHE_BUCKETS 4096
#define CACHE_BYTES (16u << 20) /* items cached, as text; past it, forgotten at the next round */

/* A key item this process wrote: to tell a recycled key ID, and a sighting
 * its issuance already explains. A slot is overwritten by the next key that
 * hashes there: memory stays bounded, and a forgotten key only costs a write. */
struct put_slot {
	uint64_t hash;
	int64_t start, end;
};

/* A read remembered: one item (sk set; no items when there is none), or a
 * whole partition (sk NULL). Reads noted while gathering are made at the end
 * of the round. */
enum read_state {
	READ_DONE,   /* its items are here */
	READ_NOTED,  /* to be read */
	READ_ASKED,  /* in a BatchGetItem: absent unless answered or unprocessed */
};

struct cached {
	struct cached *next, *next_pending;
	uint64_t hash;
	char *pk, *sk;
	enum read_state pending;
	yajl_val *items;        /* each its own document */
	size_t nitems;
};

struct ddb_store {
	struct wdn_store base;
	struct wdn_aws *aws;
	char *table;
	int ttl_days;
	char **pending;         /* PutRequest items, JSON */
	size_t npending;
	struct put_slot *put;   /* PUT_SLOTS of them, or NULL */
	uint64_t *heads;        /* hashes of subjects whose head item this run wrote */
	struct cached **cache;  /* CACHE_BUCKETS chains */
	size_t ncached, cached_bytes;
	struct cached *noted;   /* pending reads, in the order noted */
	int gathering;
	char **pairs;           /* account#region coverage items this run wrote */
	size_t npairs;
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
	int rc = wdn_aws_json_call(a, "dynamodb", NULL, "DynamoDB_20120810", op, body, len, resp, err);

	if (rc)
		wdn_err_prefix(err, "DynamoDB %s: ", op);
	return rc;
}

/* A request whose body a failed append cut short is never sent. */
static int ddb_send(struct wdn_aws *a, const char *op, const struct wdn_buf *body, struct wdn_buf *resp,
		    struct wdn_err *err)
{
	if (wdn_buf_failed(body))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return wdn_ddb_call(a, op, body->ptr, body->len, resp, err);
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

/* As item_open, with keys made in buffers: NULL too when one was cut short. */
static yajl_gen item_open_keys(struct wdn_buf *b, const struct wdn_buf *pk, const struct wdn_buf *sk)
{
	return wdn_buf_failed(pk) || wdn_buf_failed(sk) ? NULL : item_open(b, pk->ptr, sk->ptr);
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

/* A cache entry's hash: partition key, a separator, sort key (if any). */
static uint64_t hash_keys(const char *pk, const char *sk)
{
	uint64_t h = wdn_hash(wdn_hash_str(pk), "\xff", 1);

	return sk ? wdn_hash(h, sk, strlen(sk)) : h;
}

static void cache_clear(struct ddb_store *s);

/*
 * DynamoDB refuses a partition key over 2048 bytes or a sort key over 1024,
 * and one such item fails its whole BatchWriteItem. A key that would be
 * longer keeps its first bytes (cut at a UTF-8 boundary), then "~" and the
 * SHA-256 of the whole: items still group and sort by their start, and a
 * reader computes the same key from the same subject. The full values stay
 * in the item's own attributes, so answers are the SQLite store's.
 */
#define PK_MAX 2048
#define SK_MAX 1024

static int key_fit(struct wdn_buf *k, size_t max)
{
	char hex[65];
	size_t keep;

	if (wdn_buf_failed(k) || k->len <= max)
		return wdn_buf_failed(k);
	wdn_sha256_hex(k->ptr, k->len, hex);
	keep = max - 65;
	while (keep && ((unsigned char)k->ptr[keep] & 0xc0) == 0x80)
		keep--; /* not inside a character */
	wdn_buf_setlen(k, keep);
	return wdn_buf_addf(k, "~%s", hex);
}

/* The rank and event ID that order copies of one issuance, as "<rank><eventID>". */
static void copy_rank(int has_caller_key, const char *event_id, char out[512])
{
	snprintf(out, 512, "%c%s", has_caller_key ? '0' : '1', event_id ? event_id : "");
}

/* A copy the key's item must not hold: a cross-account copy naming no caller
 * key (the caller's account logs the copy that does). */
static int side_copy(const struct wdn_issuance *is)
{
	return !is->caller_key && is->caller_type && !strcmp(is->caller_type, "AWSAccount");
}

/* An issuance's item, as JSON into b: the key's item, or its own. */
static int issuance_item(struct ddb_store *s, const struct wdn_issuance *is, int its_own,
			 struct wdn_buf *b)
{
	struct wdn_buf pk = WDN_BUF_INIT, sk = WDN_BUF_INIT;
	char start[24], rank[512];
	yajl_gen g;

	pad(start, is->start);
	copy_rank(is->caller_key != NULL, is->event_id, rank);
	wdn_buf_addf(&pk, "K#%s", is->key_id);
	if (its_own)
		wdn_buf_addf(&sk, "I#%s#%s", start, rank);
	else
		wdn_buf_adds(&sk, "I");
	key_fit(&pk, PK_MAX);
	key_fit(&sk, SK_MAX);
	g = item_open_keys(b, &pk, &sk);
	wdn_buf_release(&pk);
	wdn_buf_release(&sk);
	if (!g)
		return WDN_ENOMEM;
	if (is->caller_key) {
		/* the by_caller index's keys */
		wdn_buf_addf(&pk, "P#%s", is->caller_key);
		wdn_buf_addf(&sk, "%s#%s", start, is->key_id);
		key_fit(&pk, PK_MAX);
		key_fit(&sk, SK_MAX);
		attr_s(g, "gpk", pk.ptr);
		attr_s(g, "gsk", sk.ptr);
		if (wdn_buf_failed(&pk) || wdn_buf_failed(&sk)) { /* never an index key cut short */
			yajl_gen_free(g);
			wdn_buf_release(&pk);
			wdn_buf_release(&sk);
			return WDN_ENOMEM;
		}
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
	attr_s(g, "src", is->source);
	item_ttl(s, g, is->start);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return 0;
}

static int put_issuance_item(struct ddb_store *s, const struct wdn_issuance *is, int its_own,
			     struct wdn_err *err)
{
	struct wdn_buf b = WDN_BUF_INIT;
	int rc = issuance_item(s, is, its_own, &b);

	rc = rc ? wdn_err_set(err, rc, "out of memory") : pend(s, &b, err);
	wdn_buf_release(&b);
	return rc;
}

/* PutItem of a key item, only if it is later than the one there: with
 * another writer repairing the same key ID, the key item only moves forward. */
static int put_key_item_if_later(struct ddb_store *s, const struct wdn_issuance *is,
				 struct wdn_err *err)
{
	struct wdn_buf item = WDN_BUF_INIT, body = WDN_BUF_INIT;
	yajl_gen g;
	int rc;

	if (issuance_item(s, is, 0, &item) || wdn_buf_failed(&item) || !(g = wdn_gen_into(&body))) {
		wdn_buf_release(&item);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	yajl_gen_map_open(g);
	wdn_gen_key(g, "TableName");
	wdn_gen_str(g, s->table);
	wdn_gen_key(g, "Item");
	wdn_json_gen_text(g, item.ptr, item.len);
	wdn_gen_key(g, "ConditionExpression");
	wdn_gen_str(g, "attribute_not_exists(pk) OR #start < :start");
	wdn_gen_key(g, "ExpressionAttributeNames");
	yajl_gen_map_open(g);
	wdn_gen_key(g, "#start");
	wdn_gen_str(g, "start");
	yajl_gen_map_close(g);
	wdn_gen_key(g, "ExpressionAttributeValues");
	yajl_gen_map_open(g);
	attr_n(g, ":start", is->start);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	{
		struct wdn_err e = { 0 };

		rc = ddb_send(s->aws, "PutItem", &body, NULL, &e);
		if (rc && !strcmp(e.aws_type, "ConditionalCheckFailedException"))
			rc = 0; /* a later one is there already */
		else if (rc && err)
			*err = e;
	}
	wdn_buf_release(&item);
	wdn_buf_release(&body);
	return rc;
}

static int get_key_item(struct ddb_store *s, const char *key, struct wdn_issuance *out,
			struct wdn_err *err);
static void item_issuance(yajl_val it, struct wdn_issuance *is);

/* The key ID was issued again within this run: both issuances get their own
 * items, and the key's item keeps the later one, whatever order they came in. */
static int recycled(struct ddb_store *s, const struct wdn_issuance *is, struct put_slot *slot,
		    struct wdn_err *err)
{
	struct wdn_issuance old;
	int rc, have;

	if ((rc = flush(s, err)) || (have = get_key_item(s, is->key_id, &old, err)) < 0)
		return rc ? rc : have;
	rc = have ? put_issuance_item(s, &old, 1, err) : 0;
	if (!rc)
		rc = put_issuance_item(s, is, 1, err);
	if (!rc && (!have || is->start > old.start)) {
		rc = put_key_item_if_later(s, is, err);
		slot->start = is->start;
		slot->end = is->end;
	}
	if (have)
		wdn_issuance_release(&old);
	return rc;
}

static int dd_put_issuance(struct wdn_store *st, const struct wdn_issuance *is, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	uint64_t h = wdn_hash_str(is->key_id);
	struct put_slot *slot = s->put ? &s->put[h & (PUT_SLOTS - 1)] : NULL;
	int known = slot && slot->hash == h;

	cache_clear(s);
	if (side_copy(is)) {
		/* the key's item, written in this run, is the copy readers choose */
		if (known && slot->start == is->start)
			return 0;
		return put_issuance_item(s, is, 1, err);
	}
	if (known && slot->start != is->start)
		return recycled(s, is, slot, err);
	if (slot) {
		slot->hash = h;
		slot->start = is->start;
		slot->end = is->end;
	}
	return put_issuance_item(s, is, 0, err);
}

static int dd_put_sighting(struct wdn_store *st, const struct wdn_sighting *si, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf b = WDN_BUF_INIT, pk = WDN_BUF_INIT, sk = WDN_BUF_INIT;
	uint64_t h = wdn_hash_str(si->key_id);
	struct put_slot *slot = s->put ? &s->put[h & (PUT_SLOTS - 1)] : NULL;
	char first[24], last[24];
	yajl_gen g;

	cache_clear(s);
	/* uses of a session inside the window of the issuance this run wrote
	 * for it: the issuance already says who, and is what readers choose */
	if (slot && slot->hash == h && si->first >= slot->start &&
	    (slot->end == WDN_TIME_NONE || si->last <= slot->end))
		return 0;
	pad(first, si->first);
	pad(last, si->last);
	wdn_buf_addf(&pk, "K#%s", si->key_id);
	wdn_buf_addf(&sk, "S#%s#%s#%s", si->principal ? si->principal : "", first, last);
	key_fit(&pk, PK_MAX);
	key_fit(&sk, SK_MAX); /* the principal is read from its attribute */
	g = item_open_keys(&b, &pk, &sk);
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
	uint64_t h = wdn_hash_str(c->subject);
	uint64_t *head = s->heads ? &s->heads[h & (HEAD_SLOTS - 1)] : NULL;
	char t[24];
	yajl_gen g;
	int rc;

	cache_clear(s);
	pad(t, c->time);
	wdn_buf_addf(&pk, "C#%s", c->subject);
	wdn_buf_addf(&sk, "%s#%s#%s", t, c->event_id ? c->event_id : "", c->kind);
	key_fit(&pk, PK_MAX);
	key_fit(&sk, SK_MAX);
	g = item_open_keys(&b, &pk, &sk);
	wdn_buf_release(&sk);
	if (!g) {
		wdn_buf_release(&pk);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	attr_n(g, "time", c->time);
	attr_s(g, "event_id", c->event_id ? c->event_id : "");
	attr_s(g, "kind", c->kind);
	attr_s(g, "data", c->data);
	rc = item_put(s, g, &b, err);
	/* the subject's head, once a run: bulk readers ask for it before its log.
	 * It never expires, so no reader takes a log for empty. */
	if (!rc && (!head || *head != h)) {
		if (!(g = item_open(&b, pk.ptr, "H")))
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		else
			rc = item_put(s, g, &b, err);
		if (!rc && head)
			*head = h;
	}
	wdn_buf_release(&pk);
	return rc;
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
/* Every request of a round whole: its target and bodies (none cut short). */
static int requests_whole(const struct wdn_buf *target, const struct wdn_buf *bodies, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (wdn_buf_failed(&bodies[i]))
			return 0;
	return !wdn_buf_failed(target);
}

static int flush(struct ddb_store *s, struct wdn_err *err)
{
	int round = 0, rc = 0;

	while (!rc && s->npending) {
		struct wdn_aws_call calls[IN_FLIGHT], *cp[IN_FLIGHT];
		struct wdn_buf bodies[IN_FLIGHT], target = WDN_BUF_INIT;
		char **items = s->pending;
		size_t nitems = s->npending, ncalls = 0, i, k;
		int sent = 1;

		s->pending = NULL;
		s->npending = 0;
		wdn_buf_addf(&target, "X-Amz-Target: DynamoDB_20120810.BatchWriteItem");
		for (i = 0; i < nitems && ncalls < IN_FLIGHT; ncalls++) {
			struct wdn_buf *b = &bodies[ncalls];
			yajl_gen g;

			wdn_buf_init(b, 0);
			if (!(g = wdn_gen_into(b))) {
				sent = 0;
				cp[ncalls] = wdn_aws_json_init(&calls[ncalls], "dynamodb", target.ptr, NULL, 0);
				continue;
			}
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
			cp[ncalls] = wdn_aws_json_init(&calls[ncalls], "dynamodb", target.ptr, b->ptr, b->len);
		}
		/* items beyond this round wait for the next */
		for (; i < nitems && sent; i++) {
			struct wdn_buf keep = WDN_BUF_INIT;

			wdn_buf_adds(&keep, items[i]);
			if (pend(s, &keep, err) == WDN_ENOMEM)
				sent = 0; /* an item lost: the round fails */
			wdn_buf_release(&keep);
		}
		if (!sent || !requests_whole(&target, bodies, ncalls)) {
			sent = 0; /* never a request cut short */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		} else {
			rc = wdn_aws_perform(s->aws, cp, ncalls);
		}
		for (i = 0; i < ncalls; i++) {
			if (sent && rc && calls[i].err.code && err) {
				*err = calls[i].err;
				wdn_err_prefix(err, "DynamoDB BatchWriteItem on '%s': ", s->table);
			}
			if (sent && !calls[i].err.code && requeue(s, &calls[i].resp, err) && !rc)
				rc = WDN_EAWS;
			wdn_aws_call_release(&calls[i]);
			wdn_buf_release(&bodies[i]);
		}
		for (i = 0; i < nitems; i++)
			free(items[i]);
		free(items);
		wdn_buf_release(&target);
		if (!rc && s->npending && round < 64)
			wdn_aws_backoff(round++); /* throttled items: wait a little longer each round */
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

/* Items not yet sent are dropped. What this run remembers having written
 * goes too, since some of it may be among them: later writes repeat it. */
static int dd_rollback(struct wdn_store *st, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	size_t i;

	(void)err;
	for (i = 0; i < s->npending; i++)
		free(s->pending[i]);
	s->npending = 0;
	if (s->put)
		memset(s->put, 0, PUT_SLOTS * sizeof(*s->put));
	if (s->heads)
		memset(s->heads, 0, HEAD_SLOTS * sizeof(*s->heads));
	cache_clear(s);
	return 0;
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
		if ((rc = ddb_send(s->aws, "Query", &body, &resp, err)))
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
	is->source = item_dup(it, "src");
}

/* ---- the read cache -------------------------------------------------------- */

static struct cached *cache_find(struct ddb_store *s, const char *pk, const char *sk)
{
	uint64_t h = hash_keys(pk, sk);
	struct cached *c;

	if (!s->cache)
		return NULL;
	for (c = s->cache[h % CACHE_BUCKETS]; c; c = c->next)
		if (c->hash == h && !strcmp(c->pk, pk) && (sk ? c->sk && !strcmp(c->sk, sk) : !c->sk))
			return c;
	return NULL;
}

static struct cached *cache_add(struct ddb_store *s, const char *pk, const char *sk)
{
	uint64_t h = hash_keys(pk, sk);
	struct cached *c;

	if (!s->cache && !(s->cache = calloc(CACHE_BUCKETS, sizeof(*s->cache))))
		return NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	c->hash = h;
	c->pk = wdn_strdup(pk);
	c->sk = sk ? wdn_strdup(sk) : NULL;
	if (!c->pk || (sk && !c->sk)) {
		free(c->pk);
		free(c->sk);
		free(c);
		return NULL;
	}
	c->next = s->cache[h % CACHE_BUCKETS];
	s->cache[h % CACHE_BUCKETS] = c;
	s->ncached++;
	return c;
}

static void cache_forget_items(struct cached *c)
{
	while (c->nitems)
		wdn_json_free(c->items[--c->nitems]);
	free(c->items);
	c->items = NULL;
}

static void cache_clear(struct ddb_store *s)
{
	size_t i;

	if (!s->ncached)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++) {
		struct cached *c = s->cache[i], *next;

		for (; c; c = next) {
			next = c->next;
			cache_forget_items(c);
			free(c->pk);
			free(c->sk);
			free(c);
		}
		s->cache[i] = NULL;
	}
	s->ncached = s->cached_bytes = 0;
	s->noted = NULL;
}

/* Keep a copy of an item (the response it came in is freed); *bytes counts
 * what the cache holds. */
static int cache_keep(struct cached *c, yajl_val item, size_t *bytes)
{
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_val v = NULL, *nv;

	if (!wdn_json_serialize(item, &b))
		v = wdn_json_parse(b.ptr, b.len, NULL);
	*bytes += b.len;
	wdn_buf_release(&b);
	if (!v || !(nv = realloc(c->items, (c->nitems + 1) * sizeof(*nv)))) {
		wdn_json_free(v);
		return WDN_ENOMEM;
	}
	c->items = nv;
	c->items[c->nitems++] = v;
	return 0;
}

/* While gathering: a read to make at the end of the round. */
static void note(struct ddb_store *s, const char *pk, const char *sk)
{
	struct cached *c;

	if (cache_find(s, pk, sk) || !(c = cache_add(s, pk, sk)))
		return; /* out of memory: the final pass reads it alone */
	c->pending = READ_NOTED;
	c->next_pending = s->noted;
	s->noted = c;
}

struct keep {
	struct cached *c;
	size_t *bytes;
};

static int keep_cb(void *ctx, yajl_val it)
{
	struct keep *k = ctx;

	return cache_keep(k->c, it, k->bytes);
}

/* A whole partition, read now and remembered. */
static int read_partition(struct ddb_store *s, const char *pk, struct cached **out,
			  struct wdn_err *err)
{
	const char *names[] = { ":pk" }, *vals[1];
	struct cached *c = cache_find(s, pk, NULL);
	struct keep k;
	int rc;

	if (!c) {
		if (s->cached_bytes > 4 * CACHE_BYTES)
			cache_clear(s);
		if (!(c = cache_add(s, pk, NULL)))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	cache_forget_items(c);
	vals[0] = pk;
	k.c = c;
	k.bytes = &s->cached_bytes;
	if ((rc = query(s, NULL, "pk = :pk", names, vals, 1, 1, keep_cb, &k, err))) {
		cache_forget_items(c);
		c->pending = READ_NOTED;
		return rc;
	}
	c->pending = READ_DONE;
	*out = c;
	return 0;
}

static void gen_key(yajl_gen g, const struct cached *c)
{
	yajl_gen_map_open(g);
	attr_s(g, "pk", c->pk);
	attr_s(g, "sk", c->sk);
	yajl_gen_map_close(g);
}

/* A BatchGetItem answer: the items asked for are kept, the keys left
 * unprocessed are to be asked again. */
static int take_answer(struct ddb_store *s, const char *body, size_t len, struct wdn_err *err)
{
	yajl_val r = wdn_json_parse(body, len, err), got, un;
	size_t j;
	int rc = 0;

	if (!r)
		return WDN_EAWS;
	got = wdn_json_get(wdn_json_get(r, "Responses"), s->table);
	for (j = 0; !rc && got && YAJL_IS_ARRAY(got) && j < got->u.array.len; j++) {
		yajl_val it = got->u.array.values[j];
		const char *pk = item_s(it, "pk"), *sk = item_s(it, "sk");
		struct cached *c = pk && sk ? cache_find(s, pk, sk) : NULL;

		if (c && c->pending == READ_ASKED && !c->nitems && cache_keep(c, it, &s->cached_bytes))
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	un = wdn_json_get(wdn_json_get(wdn_json_get(r, "UnprocessedKeys"), s->table), "Keys");
	for (j = 0; un && YAJL_IS_ARRAY(un) && j < un->u.array.len; j++) {
		const char *pk = item_s(un->u.array.values[j], "pk");
		const char *sk = item_s(un->u.array.values[j], "sk");
		struct cached *c = pk && sk ? cache_find(s, pk, sk) : NULL;

		if (c && c->pending == READ_ASKED)
			c->pending = READ_NOTED;
	}
	wdn_json_free(r);
	return rc;
}

/* Read every noted item with BatchGetItem, GET_BATCH keys a request and up
 * to IN_FLIGHT requests at once; UnprocessedKeys are asked again. */
static int fetch_items(struct ddb_store *s, struct cached **v, size_t n, struct wdn_err *err)
{
	struct wdn_buf target = WDN_BUF_INIT;
	int rc = 0, round = 0;

	wdn_buf_adds(&target, "X-Amz-Target: DynamoDB_20120810.BatchGetItem");
	while (!rc && n) {
		struct wdn_aws_call calls[IN_FLIGHT], *cp[IN_FLIGHT];
		struct wdn_buf bodies[IN_FLIGHT];
		size_t ncalls = 0, i = 0, k, left = 0;
		int sent = 1;

		for (; i < n && ncalls < IN_FLIGHT; ncalls++) {
			yajl_gen g;

			wdn_buf_init(&bodies[ncalls], 0);
			if (!(g = wdn_gen_into(&bodies[ncalls]))) {
				sent = 0;
				cp[ncalls] = wdn_aws_json_init(&calls[ncalls], "dynamodb", target.ptr, NULL, 0);
				continue;
			}
			yajl_gen_map_open(g);
			wdn_gen_key(g, "RequestItems");
			yajl_gen_map_open(g);
			wdn_gen_key(g, s->table);
			yajl_gen_map_open(g);
			wdn_gen_key(g, "Keys");
			yajl_gen_array_open(g);
			for (k = 0; k < GET_BATCH && i < n; k++, i++) {
				gen_key(g, v[i]);
				v[i]->pending = READ_ASKED;
			}
			yajl_gen_array_close(g);
			wdn_gen_key(g, "ConsistentRead");
			yajl_gen_bool(g, 1);
			yajl_gen_map_close(g);
			yajl_gen_map_close(g);
			yajl_gen_map_close(g);
			yajl_gen_free(g);
			cp[ncalls] = wdn_aws_json_init(&calls[ncalls], "dynamodb", target.ptr, bodies[ncalls].ptr,
						       bodies[ncalls].len);
		}
		if (!sent || !requests_whole(&target, bodies, ncalls)) {
			sent = 0; /* never a request cut short */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		} else {
			rc = wdn_aws_perform(s->aws, cp, ncalls);
		}
		for (k = 0; k < ncalls; k++) {
			if (!sent) {
				/* nothing asked: the keys stay to be asked */
			} else if (calls[k].err.code) {
				if (err) {
					*err = calls[k].err;
					wdn_err_prefix(err, "DynamoDB BatchGetItem on '%s': ", s->table);
				}
			} else if (take_answer(s, calls[k].resp.ptr, calls[k].resp.len, err) && !rc) {
				rc = WDN_EAWS;
			}
			wdn_aws_call_release(&calls[k]);
			wdn_buf_release(&bodies[k]);
		}
		/* answered or known absent: done; unprocessed: again, after a pause */
		for (k = 0; k < n; k++) {
			if (k < i && v[k]->pending == READ_ASKED)
				v[k]->pending = sent ? READ_DONE : READ_NOTED; /* not sent: not known absent */
			if (v[k]->pending)
				v[left++] = v[k];
		}
		if (!rc && left > n - i && round < 64)
			wdn_aws_backoff(round++);
		else if (left > n - i) {
			rc = rc ? rc : wdn_err_set(err, WDN_EAWS, "DynamoDB BatchGetItem on '%s': keys left unprocessed", s->table);
		}
		n = left;
	}
	wdn_buf_release(&target);
	return rc;
}

/* End of a gathering round: read what it noted. The number of reads made,
 * 0 when nothing was noted (every answer can now come from the cache). */
static int fetch_noted(struct ddb_store *s, struct wdn_err *err)
{
	struct cached *c, **v = NULL;
	size_t n = 0, cap = 0, nq = 0;
	int rc = 0;

	for (c = s->noted; c; c = c->next_pending) {
		if (!c->pending)
			continue;
		if (!c->sk) {
			/* whole partitions: few (keys with more than their item, logs) */
			if ((rc = read_partition(s, c->pk, &c, err)))
				break;
			nq++;
			continue;
		}
		if (n == cap) {
			struct cached **nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*nv));

			if (!nv) {
				rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		v[n++] = c;
	}
	s->noted = NULL;
	if (!rc && n)
		rc = fetch_items(s, v, n, err);
	free(v);
	if (rc) {
		cache_clear(s); /* nothing half-read is trusted */
		return rc;
	}
	return (int)(n + nq > 0);
}

static int dd_gather(struct wdn_store *st, int on, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;

	if (on) {
		if (s->cached_bytes > CACHE_BYTES)
			cache_clear(s);
		s->gathering = 1;
		return 0;
	}
	s->gathering = 0;
	return fetch_noted(s, err);
}

/* ---- reads ------------------------------------------------------------------- */

/* Copies of one issuance: keep the best, as the SQLite store's upsert does. */
struct pick {
	int64_t at;
	struct wdn_issuance within, before; /* best in a window holding at; latest before */
	char within_rank[512], before_rank[512];
	int have_within, have_before;
};

/* An item is an issuance only with the members every reader relies on; a
 * foreign or damaged item in the table is passed over. */
static int whole_issuance(yajl_val it)
{
	return item_s(it, "sk") && item_s(it, "key_id") && item_s(it, "event_name") &&
	       item_s(it, "event") && item_n(it, "start") != WDN_TIME_NONE;
}

static int better(int64_t start, const char *rank, int64_t cur_start, const char *cur_rank, int have)
{
	if (!have || start > cur_start)
		return 1;
	/* same start: the lower rank-and-eventID wins */
	return start == cur_start && strcmp(rank, cur_rank) < 0;
}

static void item_rank(yajl_val it, char out[512])
{
	copy_rank(item_s(it, "caller_key") != NULL, item_s(it, "event_id"), out);
}

static int pick_cb(void *ctx, yajl_val it)
{
	struct pick *p = ctx;
	int64_t start = item_n(it, "start"), end = item_n(it, "end");
	char rank[512];

	if (!whole_issuance(it) || start > p->at)
		return 0;
	item_rank(it, rank);
	if ((end == WDN_TIME_NONE || end >= p->at) &&
	    better(start, rank, p->within.start, p->within_rank, p->have_within)) {
		wdn_issuance_release(&p->within);
		item_issuance(it, &p->within);
		memcpy(p->within_rank, rank, sizeof(rank));
		p->have_within = 1;
	}
	if (better(start, rank, p->before.start, p->before_rank, p->have_before)) {
		wdn_issuance_release(&p->before);
		item_issuance(it, &p->before);
		memcpy(p->before_rank, rank, sizeof(rank));
		p->have_before = 1;
	}
	return 0;
}

/* The issuance of a key at a time, chosen among every item of its partition. */
static int pick_from(const struct cached *c, int64_t at, struct wdn_issuance *out)
{
	struct pick p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.at = at;
	p.within.start = p.before.start = WDN_TIME_NONE;
	for (i = 0; i < c->nitems; i++)
		pick_cb(&p, c->items[i]);
	if (!p.have_within && !p.have_before)
		return WDN_ENOTFOUND;
	*out = p.have_within ? p.within : p.before;
	wdn_issuance_release(p.have_within ? &p.before : &p.within);
	return 0;
}

/* The key's item holds the issuance in use at at: the windows of one key ID
 * never overlap, and it holds the latest the writers know. */
static int covers(yajl_val it, int64_t at)
{
	int64_t start = item_n(it, "start"), end = item_n(it, "end");

	return at == WDN_TIME_MAX || (start <= at && (end == WDN_TIME_NONE || at <= end));
}

static int get_key_item(struct ddb_store *s, const char *key, struct wdn_issuance *out,
			struct wdn_err *err)
{
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT, pk = WDN_BUF_INIT;
	yajl_gen g;
	yajl_val v, it;
	int rc;

	if (wdn_buf_addf(&pk, "K#%s", key) || key_fit(&pk, PK_MAX) || !(g = wdn_gen_into(&body))) {
		wdn_buf_release(&pk); /* never a key cut short */
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	yajl_gen_map_open(g);
	wdn_gen_key(g, "TableName");
	wdn_gen_str(g, s->table);
	wdn_gen_key(g, "Key");
	yajl_gen_map_open(g);
	attr_s(g, "pk", pk.ptr);
	wdn_buf_release(&pk);
	attr_s(g, "sk", "I");
	yajl_gen_map_close(g);
	wdn_gen_key(g, "ConsistentRead");
	yajl_gen_bool(g, 1);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	rc = ddb_send(s->aws, "GetItem", &body, &resp, err);
	wdn_buf_release(&body);
	if (rc) {
		wdn_buf_release(&resp);
		return rc;
	}
	v = wdn_json_parse(resp.ptr, resp.len, err);
	wdn_buf_release(&resp);
	if (!v)
		return WDN_EAWS;
	it = wdn_json_get(v, "Item");
	rc = it && whole_issuance(it);
	if (rc)
		item_issuance(it, out);
	wdn_json_free(v);
	return rc;
}

static int dd_get_issuance(struct wdn_store *st, const char *key, int64_t at,
			   struct wdn_issuance *out, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct cached *c;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (wdn_buf_addf(&pk, "K#%s", key) || key_fit(&pk, PK_MAX))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!(c = cache_find(s, pk.ptr, NULL)) || c->pending) {
		c = cache_find(s, pk.ptr, "I");
		if (c && !c->pending) {
			if (c->nitems && whole_issuance(c->items[0]) && covers(c->items[0], at)) {
				item_issuance(c->items[0], out);
				goto done;
			}
			/* no item: a long-term key has no issuance, for AWS makes
			 * them only by CreateAccessKey, logged in one account */
			if (!c->nitems && !strncmp(key, "AKIA", 4)) {
				rc = WDN_ENOTFOUND;
				goto done;
			}
		} else if (s->gathering) {
			if (!c)
				note(s, pk.ptr, "I");
			rc = WDN_ENOTFOUND;
			goto done;
		}
		/* other copies, or another issuance of a recycled key ID: all of them */
		if (s->gathering) {
			note(s, pk.ptr, NULL);
			rc = WDN_ENOTFOUND;
			goto done;
		}
		if ((rc = read_partition(s, pk.ptr, &c, err)))
			goto done;
	}
	rc = pick_from(c, at, out);
done:
	wdn_buf_release(&pk);
	return rc;
}

/* The first issuance of a key after a time, among every item of its
 * partition; the key's item alone says there is none when it began by then,
 * for it holds the latest issuance the writers know. */
static int dd_next_issuance(struct wdn_store *st, const char *key, int64_t after, int64_t *start,
			    struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct cached *c, *item;
	size_t i;
	int rc = 0;

	*start = WDN_TIME_NONE;
	if (wdn_buf_addf(&pk, "K#%s", key))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!(c = cache_find(s, pk.ptr, NULL)) || c->pending) {
		item = cache_find(s, pk.ptr, "I");
		if (item && !item->pending) {
			if ((item->nitems && whole_issuance(item->items[0]) &&
			     item_n(item->items[0], "start") <= after) ||
			    (!item->nitems && !strncmp(key, "AKIA", 4))) {
				rc = WDN_ENOTFOUND;
				goto done;
			}
		} else if (s->gathering) {
			if (!item)
				note(s, pk.ptr, "I");
			rc = WDN_ENOTFOUND;
			goto done;
		}
		if (s->gathering) {
			note(s, pk.ptr, NULL);
			rc = WDN_ENOTFOUND;
			goto done;
		}
		if ((rc = read_partition(s, pk.ptr, &c, err)))
			goto done;
	}
	for (i = 0; i < c->nitems; i++) {
		int64_t t = item_n(c->items[i], "start");

		if (whole_issuance(c->items[i]) && t > after && (*start == WDN_TIME_NONE || t < *start))
			*start = t;
	}
	rc = *start == WDN_TIME_NONE ? WDN_ENOTFOUND : 0;
done:
	wdn_buf_release(&pk);
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
	const char *principal = item_s(it, "principal"), *sk = item_s(it, "sk");
	int64_t first = item_n(it, "first"), last = item_n(it, "last");
	struct wdn_sighting *si;
	size_t i;

	if (!principal || !sk || strncmp(sk, "S#", 2))
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

static int dd_get_sighting(struct wdn_store *st, const char *key, int64_t at, struct wdn_sighting *out,
			   struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct fold f = { NULL, 0 };
	struct cached *c;
	size_t i, best = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (wdn_buf_addf(&pk, "K#%s", key) || key_fit(&pk, PK_MAX))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!(c = cache_find(s, pk.ptr, NULL)) || c->pending) {
		if (s->gathering) {
			/* asked because the key's item is not read yet: wait for it */
			struct cached *item = cache_find(s, pk.ptr, "I");

			if (!c && !(item && item->pending))
				note(s, pk.ptr, NULL);
			wdn_buf_release(&pk);
			return WDN_ENOTFOUND;
		}
		rc = read_partition(s, pk.ptr, &c, err);
	}
	wdn_buf_release(&pk);
	for (i = 0; !rc && i < c->nitems; i++)
		rc = fold_cb(&f, c->items[i]);
	if (!rc && !f.n)
		rc = WDN_ENOTFOUND;
	for (i = 1; !rc && i < f.n; i++)
		if (wdn_sighting_prefer(&f.v[i], &f.v[best], at))
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

/* A subject's log, in the order of its partition (sk order: time order). */
static int walk_changes(const char *subject, yajl_val *items, size_t n, int64_t until,
			wdn_change_fn cb, void *ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		struct wdn_change ch;

		ch.subject = (char *)subject;
		ch.time = item_n(items[i], "time");
		ch.event_id = (char *)item_s(items[i], "event_id");
		ch.kind = (char *)item_s(items[i], "kind");
		ch.data = (char *)item_s(items[i], "data");
		if (ch.kind && ch.time <= until)
			rc = cb(ctx, &ch);
	}
	return rc;
}

static int dd_changes(struct wdn_store *st, const char *subject, int64_t until, wdn_change_fn cb,
		      void *ctx, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct cached *c, *head;
	int rc = 0;

	if (wdn_buf_addf(&pk, "C#%s", subject) || key_fit(&pk, PK_MAX))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!(c = cache_find(s, pk.ptr, NULL)) || c->pending) {
		head = cache_find(s, pk.ptr, "H");
		if (head && !head->pending && !head->nitems)
			goto done; /* no head, no changes */
		if (s->gathering) {
			if (!head)
				note(s, pk.ptr, "H");
			else if (!head->pending)
				note(s, pk.ptr, NULL);
			goto done;
		}
		if ((rc = read_partition(s, pk.ptr, &c, err)))
			goto done;
	}
	rc = walk_changes(subject, c->items, c->nitems, until, cb, ctx);
done:
	wdn_buf_release(&pk);
	return rc;
}

struct children {
	struct wdn_issuance *v;
	char (*rank)[512];
	size_t n;
};

static int child_cb(void *ctx, yajl_val it)
{
	struct children *c = ctx;
	struct wdn_issuance is;
	char rank[512];
	size_t i;

	if (!whole_issuance(it))
		return 0;
	item_issuance(it, &is);
	item_rank(it, rank);
	for (i = 0; i < c->n; i++)
		if (c->v[i].start == is.start && !strcmp(c->v[i].key_id, is.key_id))
			break;
	if (i < c->n) {
		/* another copy of the same issuance: keep the one SQLite keeps */
		if (better(is.start, rank, c->v[i].start, c->rank[i], 1)) {
			wdn_issuance_release(&c->v[i]);
			c->v[i] = is;
			memcpy(c->rank[i], rank, sizeof(rank));
		} else {
			wdn_issuance_release(&is);
		}
		return 0;
	}
	{
		struct wdn_issuance *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
		char (*nr)[512] = realloc(c->rank, (c->n + 1) * sizeof(*nr));

		if (nv)
			c->v = nv;
		if (nr)
			c->rank = nr;
		if (!nv || !nr) {
			wdn_issuance_release(&is);
			return WDN_ENOMEM;
		}
	}
	c->v[c->n] = is;
	memcpy(c->rank[c->n], rank, sizeof(rank));
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

	if (wdn_buf_addf(&pk, "P#%s", key) || key_fit(&pk, PK_MAX)) { /* never a key cut short */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	} else {
		vals[0] = pk.ptr;
		rc = query(s, INDEX, "gpk = :p", names, vals, 1, 1, child_cb, &c, err);
	}
	wdn_buf_release(&pk);
	for (i = 0; i < c.n; i++) {
		if (!rc)
			rc = cb(ctx, &c.v[i]);
		wdn_issuance_release(&c.v[i]);
	}
	free(c.v);
	free(c.rank);
	return rc;
}

static int source_pk(const char *source, struct wdn_buf *pk, struct wdn_err *err)
{
	if (wdn_buf_addf(pk, "S#%s", source) || key_fit(pk, PK_MAX))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

/* One PutItem: a tampered status replaces anything, a verified one all but
 * tampered (the condition keeps it sticky, whatever order runs finish in). */
static int dd_put_source(struct wdn_store *st, const char *source, int integrity, const char *why,
			 int64_t checked, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT, body = WDN_BUF_INIT;
	yajl_gen g;
	int rc;

	if (integrity == WDN_INTEGRITY_UNVERIFIED)
		return 0; /* what a source not kept is */
	if ((rc = source_pk(source, &pk, err)))
		return rc;
	if (!(g = wdn_gen_into(&body))) {
		wdn_buf_release(&pk);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	yajl_gen_map_open(g);
	wdn_gen_key(g, "TableName");
	wdn_gen_str(g, s->table);
	wdn_gen_key(g, "Item");
	yajl_gen_map_open(g);
	attr_s(g, "pk", pk.ptr);
	attr_s(g, "sk", "S");
	attr_s(g, "source", source);
	attr_s(g, "integrity", wdn_integrity_name(integrity));
	attr_s(g, "why", why);
	attr_n(g, "checked", checked);
	yajl_gen_map_close(g);
	if (integrity == WDN_INTEGRITY_VERIFIED) {
		wdn_gen_key(g, "ConditionExpression");
		wdn_gen_str(g, "attribute_not_exists(pk) OR #i <> :t");
		wdn_gen_key(g, "ExpressionAttributeNames");
		yajl_gen_map_open(g);
		wdn_gen_key(g, "#i");
		wdn_gen_str(g, "integrity");
		yajl_gen_map_close(g);
		wdn_gen_key(g, "ExpressionAttributeValues");
		yajl_gen_map_open(g);
		attr_s(g, ":t", "tampered");
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	wdn_buf_release(&pk);
	cache_clear(s);
	{
		struct wdn_err e = { 0 };

		rc = ddb_send(s->aws, "PutItem", &body, NULL, &e);
		if (rc && !strcmp(e.aws_type, "ConditionalCheckFailedException"))
			rc = 0; /* tampered already: it stays */
		else if (rc && err)
			*err = e;
	}
	wdn_buf_release(&body);
	return rc;
}

/* From the cache; while gathering, noted for the round's BatchGetItem;
 * else read now. */
static int dd_get_source(struct wdn_store *st, const char *source, int *integrity,
			 struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT;
	struct cached *c;
	int rc = 0;

	*integrity = WDN_INTEGRITY_UNVERIFIED;
	if ((rc = source_pk(source, &pk, err)))
		return rc;
	c = cache_find(s, pk.ptr, "S");
	if (!c || c->pending) {
		if (s->gathering) {
			if (!c)
				note(s, pk.ptr, "S");
			rc = WDN_ENOTFOUND;
			goto done;
		}
		if (!c && !(c = cache_add(s, pk.ptr, "S"))) {
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			goto done;
		}
		c->pending = READ_NOTED;
		if ((rc = fetch_items(s, &c, 1, err)))
			goto done;
	}
	rc = WDN_ENOTFOUND;
	if (c->nitems && item_s(c->items[0], "integrity")) {
		*integrity = wdn_integrity_parse(item_s(c->items[0], "integrity"));
		rc = 0;
	}
done:
	wdn_buf_release(&pk);
	return rc;
}

/* ---- coverage ------------------------------------------------------------- */

/* A PutItem of one item (JSON in item), on a condition or none; a failed
 * condition is no error. */
static int put_one(struct ddb_store *s, const struct wdn_buf *item, const char *cond,
		   struct wdn_err *err)
{
	struct wdn_buf body = WDN_BUF_INIT;
	yajl_gen g = wdn_gen_into(&body);
	struct wdn_err e = { 0 };
	int rc;

	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	yajl_gen_map_open(g);
	wdn_gen_key(g, "TableName");
	wdn_gen_str(g, s->table);
	wdn_gen_key(g, "Item");
	wdn_json_gen_text(g, item->ptr, item->len);
	if (cond) {
		wdn_gen_key(g, "ConditionExpression");
		wdn_gen_str(g, cond);
	}
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	rc = ddb_send(s->aws, "PutItem", &body, NULL, &e);
	if (rc && !strcmp(e.aws_type, "ConditionalCheckFailedException"))
		rc = 0;
	else if (rc && err)
		*err = e;
	wdn_buf_release(&body);
	return rc;
}

/* The account#region item, once a run: what --coverage and answers list. */
static int put_pair(struct ddb_store *s, const char *pair, struct wdn_err *err)
{
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_gen g;
	size_t i;
	char **np;

	for (i = 0; i < s->npairs; i++)
		if (!strcmp(s->pairs[i], pair))
			return 0;
	if (!(np = realloc(s->pairs, (s->npairs + 1) * sizeof(*np))) ||
	    !(np[s->npairs] = wdn_strdup(pair))) {
		if (np)
			s->pairs = np;
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	s->pairs = np;
	s->npairs++;
	if (!(g = item_open(&b, "D", pair)))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return item_put(s, g, &b, err);
}

/* A partition from the cache; while gathering, noted (and NULL); else read. */
static int partition(struct ddb_store *s, const char *pk, struct cached **out, struct wdn_err *err)
{
	struct cached *c = cache_find(s, pk, NULL);

	*out = NULL;
	if (c && !c->pending) {
		*out = c;
		return 0;
	}
	if (s->gathering) {
		note(s, pk, NULL);
		return 0;
	}
	return read_partition(s, pk, out, err);
}

static int dd_put_cover(struct wdn_store *st, const struct wdn_cover *c, struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct wdn_buf pk = WDN_BUF_INIT, sk = WDN_BUF_INIT, b = WDN_BUF_INIT;
	char t0[24], t1[24];
	struct cached *part;
	yajl_gen g;
	size_t i;
	int rc = 0;

	pad(t0, c->start);
	pad(t1, c->end);
	wdn_buf_addf(&pk, "%s#%s", c->account, c->region);
	if (!c->log)
		rc = put_pair(s, pk.ptr, err);
	wdn_buf_reset(&pk);
	wdn_buf_addf(&pk, "D#%s#%s", c->account, c->region);
	if (c->log)
		wdn_buf_addf(&sk, "M#%s", c->log);
	else
		wdn_buf_addf(&sk, "%s#%s#%s", t0, t1, c->digest);
	if (key_fit(&pk, PK_MAX) || key_fit(&sk, SK_MAX) || wdn_buf_failed(&pk) || wdn_buf_failed(&sk))
		rc = rc ? rc : wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!rc && c->log && c->seen) {
		/* only a log once missing needs saying it was read since; the
		 * partition is read once a run (cached), not once a log */
		if ((rc = partition(s, pk.ptr, &part, err)) || !part)
			goto done;
		for (i = 0; i < part->nitems; i++) {
			const char *k = item_s(part->items[i], "sk");

			if (k && !strcmp(k, sk.ptr) && item_n(part->items[i], "seen") == 0)
				break;
		}
		if (i == part->nitems)
			goto done;
	}
	if (rc || !(g = item_open(&b, pk.ptr, sk.ptr))) {
		rc = rc ? rc : wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto done;
	}
	attr_s(g, "account", c->account);
	attr_s(g, "region", c->region);
	attr_n(g, "start", c->start);
	attr_n(g, "end", c->end);
	if (c->log) {
		attr_s(g, "log", c->log);
		attr_n(g, "seen", c->seen ? 1 : 0);
		yajl_gen_map_close(g);
		yajl_gen_free(g);
		/* missing only where nothing is known yet: seen stays seen */
		rc = put_one(s, &b, c->seen ? NULL : "attribute_not_exists(pk)", err);
		wdn_buf_release(&b);
	} else {
		attr_s(g, "digest", c->digest);
		rc = item_put(s, g, &b, err);
	}
done:
	wdn_buf_release(&pk);
	wdn_buf_release(&sk);
	return rc;
}

struct covers_ctx {
	const char *account;
	wdn_cover_fn cb;
	void *ctx;
};

/* Items of one account#region partition: spans, and logs still missing. */
static int cover_items(const struct cached *c, wdn_cover_fn cb, void *ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < c->nitems; i++) {
		yajl_val it = c->items[i];
		struct wdn_cover v = { 0 };

		v.account = item_s(it, "account");
		v.region = item_s(it, "region");
		v.start = item_n(it, "start");
		v.end = item_n(it, "end");
		v.log = item_s(it, "log");
		v.digest = item_s(it, "digest");
		if (!v.account || !v.region || v.start == WDN_TIME_NONE || v.end == WDN_TIME_NONE ||
		    (v.log && item_n(it, "seen") != 0))
			continue;
		rc = cb(ctx, &v);
	}
	return rc;
}

static int dd_covers(struct wdn_store *st, const char *account, wdn_cover_fn cb, void *ctx,
		     struct wdn_err *err)
{
	struct ddb_store *s = (struct ddb_store *)st;
	struct cached *pairs, *c;
	size_t i, n;
	char **pks = NULL;
	int rc;

	if ((rc = partition(s, "D", &pairs, err)) || !pairs)
		return rc;
	/* the names first: reading a partition may drop the cache */
	if (!(pks = calloc(pairs->nitems + 1, sizeof(*pks))))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	for (i = n = 0; i < pairs->nitems; i++) {
		const char *pair = item_s(pairs->items[i], "sk");
		size_t alen = account ? strlen(account) : 0;
		struct wdn_buf pk = WDN_BUF_INIT;

		if (!pair || (account && (strncmp(pair, account, alen) || pair[alen] != '#')))
			continue;
		wdn_buf_addf(&pk, "D#%s", pair);
		key_fit(&pk, PK_MAX);
		if (!(pks[n++] = wdn_buf_detach(&pk, NULL)))
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	for (i = 0; !rc && i < n; i++)
		if (!(rc = partition(s, pks[i], &c, err)) && c)
			rc = cover_items(c, cb, ctx);
	for (i = 0; i < n; i++)
		free(pks[i]);
	free(pks);
	return rc;
}

static void dd_close(struct wdn_store *st)
{
	struct ddb_store *s = (struct ddb_store *)st;
	size_t i;

	for (i = 0; i < s->npairs; i++)
		free(s->pairs[i]);
	free(s->pairs);

	for (i = 0; i < s->npending; i++)
		free(s->pending[i]);
	free(s->pending);
	cache_clear(s);
	free(s->cache);
	free(s->put);
	free(s->heads);
	wdn_aws_free(s->aws);
	free(s->table);
	free(s->base.where);
	free(s);
}

static const struct wdn_store_ops dynamodb_ops = {
	.kind = "dynamodb",
	.fold_sightings = 1,
	.begin = dd_begin,
	.commit = dd_commit,
	.rollback = dd_rollback,
	.put_issuance = dd_put_issuance,
	.put_sighting = dd_put_sighting,
	.get_issuance = dd_get_issuance,
	.next_issuance = dd_next_issuance,
	.get_sighting = dd_get_sighting,
	.put_change = dd_put_change,
	.changes = dd_changes,
	.children = dd_children,
	.gather = dd_gather,
	.put_source = dd_put_source,
	.get_source = dd_get_source,
	.put_cover = dd_put_cover,
	.covers = dd_covers,
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
	if (!s->table || !s->base.where) { /* never a store without its name */
		dd_close(&s->base);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	s->ttl_days = opts ? opts->ttl_days : 0;
	/* without them every write is still right, only less frugal */
	s->put = calloc(PUT_SLOTS, sizeof(*s->put));
	s->heads = calloc(HEAD_SLOTS, sizeof(*s->heads));
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
	rc = ddb_send(a, "CreateTable", &body, &resp, err);
	if (rc && err && !strcmp(err->aws_type, "ResourceInUseException"))
		rc = 0; /* there already: fine, wait for it like a new one */
	for (i = 0; !rc && i < 600; i++) {
		yajl_val v;
		const char *status;

		wdn_buf_reset(&body);
		wdn_buf_addf(&body, "{\"TableName\":\"%s\"}", table);
		if ((rc = ddb_send(a, "DescribeTable", &body, &resp, err)))
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
		rc = ddb_send(a, "UpdateTimeToLive", &body, &resp, err);
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

/* ---- for tests --------------------------------------------------------------- */

static int replay_change(void *ctx, const struct wdn_change *c)
{
	size_t *n = ctx;

	*n += strlen(c->kind) + (c->data ? strlen(c->data) : 0);
	return 0;
}

/* The items of data (a Query answer's "Items") through the item readers
 * and choosers, and kept as a cached partition: its changes and its key's
 * pick. Whatever the bytes, nothing leaks and nothing is read out of bounds. */
static void replay_items(struct ddb_store *s, yajl_val v)
{
	struct pick p;
	struct fold f = { NULL, 0 };
	struct children c = { NULL, NULL, 0 };
	struct cached part = { 0 };
	struct wdn_issuance is;
	yajl_val items = wdn_json_get(v, "Items");
	size_t i, n = 0;

	memset(&p, 0, sizeof(p));
	p.at = WDN_TIME_MAX;
	p.within.start = p.before.start = WDN_TIME_NONE;
	for (i = 0; items && YAJL_IS_ARRAY(items) && i < items->u.array.len; i++) {
		pick_cb(&p, items->u.array.values[i]);
		fold_cb(&f, items->u.array.values[i]);
		child_cb(&c, items->u.array.values[i]);
		if (cache_keep(&part, items->u.array.values[i], &s->cached_bytes))
			break;
	}
	walk_changes("s", part.items, part.nitems, WDN_TIME_MAX, replay_change, &n);
	if (!pick_from(&part, 1600000000, &is))
		wdn_issuance_release(&is);
	if (part.nitems && covers(part.items[0], 1600000000) && whole_issuance(part.items[0])) {
		item_issuance(part.items[0], &is);
		wdn_issuance_release(&is);
	}
	cache_forget_items(&part);
	wdn_issuance_release(&p.within);
	wdn_issuance_release(&p.before);
	for (i = 0; i < f.n; i++)
		wdn_sighting_release(&f.v[i]);
	free(f.v);
	for (i = 0; i < c.n; i++)
		wdn_issuance_release(&c.v[i]);
	free(c.v);
	free(c.rank);
}

WDN_UNITTEST void wdn_ddb_replay(const void *data, size_t size)
{
	struct ddb_store s = { 0 };
	struct cached *asked;
	struct wdn_buf resp;
	yajl_val v;
	size_t i;

	if (!(v = wdn_json_parse(data, size, NULL)))
		return;
	replay_items(&s, v);
	wdn_json_free(v);
	/* an answer's UnprocessedItems go back on the pending list */
	s.table = "t";
	resp.ptr = (char *)data;
	resp.len = size;
	requeue(&s, &resp, NULL);
	for (i = 0; i < s.npending; i++)
		free(s.pending[i]);
	free(s.pending);
	/* and as a BatchGetItem answer to two keys asked */
	if ((asked = cache_add(&s, "K#A", "I")))
		asked->pending = READ_ASKED;
	if ((asked = cache_add(&s, "C#x", "H")))
		asked->pending = READ_ASKED;
	take_answer(&s, data, size, NULL);
	cache_clear(&s);
	free(s.cache);
}
