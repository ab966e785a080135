/*
 * Enrichment: each event with a "whodunnit" member added. The hot path is a
 * cache lookup and a copy; resolving a key happens once per key and window.
 */
#include "wdn.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define CACHE_BUCKETS 8192
#define CACHE_BYTES (24u << 20) /* the cache starts afresh past this: memory stays flat */

struct entry {
	struct entry *next;
	uint64_t hash;
	char key[129];
	int64_t lo, hi;   /* times this answer holds for */
	char *text;       /* the whodunnit object */
	size_t len;
};

/* Answers by key and window, shared by the workers of one run so a key used
 * in many inputs is resolved once; the lock is held only to look or insert. */
struct wdn_enrich_cache {
	pthread_mutex_t lock;
	struct entry *bucket[CACHE_BUCKETS];
	size_t bytes;           /* held by the entries */
};

struct wdn_enricher {
	struct wdn_store *store;
	struct wdn_enrich_cache *cache;
	int own_cache;
	struct wdn_buf obj;   /* scratch for generating an object */
	yajl_gen gen;
};

struct wdn_enrich_cache *wdn_enrich_cache_new(void)
{
	struct wdn_enrich_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void cache_clear(struct wdn_enrich_cache *c)
{
	size_t i;

	for (i = 0; i < CACHE_BUCKETS; i++) {
		struct entry *x = c->bucket[i], *next;

		for (; x; x = next) {
			next = x->next;
			free(x->text);
			free(x);
		}
		c->bucket[i] = NULL;
	}
	c->bytes = 0;
}

void wdn_enrich_cache_free(struct wdn_enrich_cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct wdn_enricher *wdn_enricher_new(struct wdn_store *s, struct wdn_enrich_cache *cache)
{
	struct wdn_enricher *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->store = s;
	e->cache = cache;
	if (!cache && !(e->cache = wdn_enrich_cache_new())) {
		free(e);
		return NULL;
	}
	e->own_cache = !cache;
	wdn_buf_init(&e->obj, 0);
	return e;
}

void wdn_enricher_free(struct wdn_enricher *e)
{
	if (!e)
		return;
	if (e->own_cache)
		wdn_enrich_cache_free(e->cache);
	wdn_buf_release(&e->obj);
	free(e);
}

int wdn_json_is_compact(const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		char c = *p++;

		if (c == '"') {
			/* skip the string: to the next quote not escaped */
			for (;;) {
				const char *q = memchr(p, '"', (size_t)(end - p));
				const char *b;

				if (!q)
					return 0;
				for (b = q; b > p && b[-1] == '\\'; b--)
					;
				p = q + 1;
				if ((q - b) % 2 == 0)
					break;
			}
		} else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			return 0;
		}
	}
	return 1;
}

static void gen_strs(yajl_gen g, char *const *v, size_t n)
{
	size_t i;

	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		wdn_gen_str(g, v[i]);
	yajl_gen_array_close(g);
}

/* Every member wdn_answer_gen_whodunnit writes, in its order, with its type
 * in the Athena table (--athena-ddl prints this). */
const struct wdn_member wdn_whodunnit_members[] = {
	{ "Principal", "STRING", NULL },
	{ "PrincipalChain", "ARRAY<STRING>", NULL },
	{ "Identity", NULL, wdn_identity_members },
	{ "Tags", "MAP<STRING, STRING>", NULL },
	{ "TransitiveTags", "ARRAY<STRING>", NULL },
	{ "SourceIdentity", "STRING", NULL },
	{ "Start", "STRING", NULL },
	{ "End", "STRING", NULL },
	{ "Complete", "BOOLEAN", NULL },
	{ NULL, NULL, NULL },
};

void wdn_answer_gen_whodunnit(yajl_gen g, const struct wdn_answer *a)
{
	yajl_gen_map_open(g);
	wdn_gen_key(g, "Principal");
	wdn_gen_str(g, a->principal);
	wdn_gen_key(g, "PrincipalChain");
	gen_strs(g, a->chain, a->nchain);
	wdn_answer_gen_identity(g, a);
	wdn_gen_key(g, "Tags");
	wdn_tags_gen(g, &a->tags, 1);
	wdn_gen_key(g, "TransitiveTags");
	wdn_keyset_gen(g, &a->transitive);
	wdn_gen_key(g, "SourceIdentity");
	wdn_gen_str(g, a->source_identity);
	wdn_gen_key(g, "Start");
	wdn_gen_time(g, a->start);
	wdn_gen_key(g, "End");
	wdn_gen_time(g, a->end);
	wdn_gen_key(g, "Complete");
	yajl_gen_bool(g, a->complete);
	yajl_gen_map_close(g);
}

/* Serialize into e->obj. */
static yajl_gen begin_obj(struct wdn_enricher *e)
{
	yajl_gen g = wdn_gen_into(&e->obj);

	wdn_buf_reset(&e->obj);
	return g;
}

/* What an event's userIdentity tells when its key is unknown or absent. */
static int from_identity(struct wdn_enricher *e, const struct wdn_event *ev)
{
	struct wdn_answer a;
	char *type = ev->f[WDN_F_UI_TYPE].ptr ? wdn_strndup(ev->f[WDN_F_UI_TYPE].ptr, ev->f[WDN_F_UI_TYPE].len) : NULL;
	char *arn = ev->f[WDN_F_UI_ARN].ptr ? wdn_strndup(ev->f[WDN_F_UI_ARN].ptr, ev->f[WDN_F_UI_ARN].len) : NULL;
	char *issuer = ev->f[WDN_F_UI_ISSUER_ARN].ptr ?
		wdn_strndup(ev->f[WDN_F_UI_ISSUER_ARN].ptr, ev->f[WDN_F_UI_ISSUER_ARN].len) : NULL;
	char *by = ev->f[WDN_F_UI_INVOKED_BY].ptr ?
		wdn_strndup(ev->f[WDN_F_UI_INVOKED_BY].ptr, ev->f[WDN_F_UI_INVOKED_BY].len) : NULL;
	yajl_gen g;

	memset(&a, 0, sizeof(a));
	a.start = a.end = WDN_TIME_NONE;
	a.principal = wdn_principal_of(type, arn, issuer);
	if (!a.principal && by)
		a.principal = wdn_strdup(by);
	if (a.principal) {
		a.chain = malloc(sizeof(*a.chain));
		if (a.chain && (a.chain[0] = wdn_strdup(a.principal)))
			a.nchain = 1;
	}
	a.id_type = type;
	if (by && (!type || !strcmp(type, "AWSService"))) {
		a.id_service = by;
		by = NULL;
		a.complete = 1;
	} else {
		a.id_arn = wdn_strdup(a.principal);
		a.complete = type && (!strcmp(type, "IAMUser") || !strcmp(type, "Root"));
	}
	free(arn);
	free(issuer);
	free(by);
	if (!(g = begin_obj(e))) {
		wdn_answer_release(&a);
		return WDN_ENOMEM;
	}
	wdn_answer_gen_whodunnit(g, &a);
	yajl_gen_free(g);
	wdn_answer_release(&a);
	return 0;
}

/* The answer cached for a key at time t; with the lock held. */
static struct entry *cached_answer(struct wdn_enrich_cache *c, const char *key, size_t len,
				   uint64_t h, int64_t t)
{
	struct entry *x;

	for (x = c->bucket[h % CACHE_BUCKETS]; x; x = x->next)
		if (x->hash == h && !memcmp(x->key, key, len) && !x->key[len] && t >= x->lo && t <= x->hi)
			return x;
	return NULL;
}

int wdn_enricher_knows(struct wdn_enricher *e, const char *key, size_t len, int64_t t)
{
	struct wdn_enrich_cache *c = e->cache;
	int found;

	pthread_mutex_lock(&c->lock);
	found = cached_answer(c, key, len, wdn_hash(WDN_HASH_INIT, key, len), t) != NULL;
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* Append the whodunnit object for ev to out: from the cache, or resolved
 * (outside the lock) and then cached. */
static int whodunnit(struct wdn_enricher *e, const struct wdn_event *ev, int64_t t,
		     struct wdn_buf *out, struct wdn_err *err)
{
	struct wdn_enrich_cache *c = e->cache;
	struct wdn_str key = ev->f[WDN_F_UI_KEY];
	struct entry *x;
	struct wdn_answer a;
	uint64_t h;
	yajl_gen g;
	int rc;

	if (!key.ptr || !key.len || key.len > 128) {
		if ((rc = from_identity(e, ev)))
			return rc;
		return wdn_buf_add(out, e->obj.ptr, e->obj.len);
	}
	h = wdn_hash(WDN_HASH_INIT, key.ptr, key.len);
	pthread_mutex_lock(&c->lock);
	if ((x = cached_answer(c, key.ptr, key.len, h, t))) {
		/* copied while held: another worker may clear the cache */
		rc = wdn_buf_add(out, x->text, x->len);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	pthread_mutex_unlock(&c->lock);
	{
		/* the event is a sighting of its key: what answers a key whose
		 * issuance is unknown, without asking the store for others */
		struct wdn_sighting seen;

		if (wdn_event_sighting(ev, t, &seen)) /* the key is there: only memory can fail */
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		rc = wdn_resolve_seen(e->store, seen.key_id, t, &seen, &a, err);
		wdn_sighting_release(&seen);
		if (rc)
			return rc;
	}
	if (!a.found) {
		int64_t later = a.issued_later;

		wdn_answer_release(&a);
		if ((rc = from_identity(e, ev)))
			return rc;
		memset(&a, 0, sizeof(a));
		a.start = a.end = WDN_TIME_NONE;
		a.issued_later = later;
	} else {
		if (!(g = begin_obj(e))) {
			wdn_answer_release(&a);
			return WDN_ENOMEM;
		}
		wdn_answer_gen_whodunnit(g, &a);
		yajl_gen_free(g);
	}
	if ((x = calloc(1, sizeof(*x))) && (x->text = wdn_strndup(e->obj.ptr, e->obj.len))) {
		x->hash = h;
		memcpy(x->key, key.ptr, key.len);
		x->len = e->obj.len;
		/* the answer holds while the same issuance is the one in use */
		if (a.found && a.nlinks) {
			x->lo = a.start;
			x->hi = a.end == WDN_TIME_NONE ? WDN_TIME_MAX : a.end;
		} else if (a.issued_later != WDN_TIME_NONE) {
			x->lo = x->hi = t; /* the key is issued later: not found holds for now only */
		} else {
			x->lo = INT64_MIN;
			x->hi = WDN_TIME_MAX;
		}
		if (t < x->lo || t > x->hi) {
			/* chosen as the latest before t: good for this t only */
			x->lo = x->hi = t;
		}
		pthread_mutex_lock(&c->lock);
		if (c->bytes >= CACHE_BYTES)
			cache_clear(c);
		x->next = c->bucket[h % CACHE_BUCKETS];
		c->bucket[h % CACHE_BUCKETS] = x;
		c->bytes += sizeof(*x) + x->len + 1;
		pthread_mutex_unlock(&c->lock);
	} else {
		free(x);
	}
	wdn_answer_release(&a);
	return wdn_buf_add(out, e->obj.ptr, e->obj.len);
}

int wdn_enrich_event(struct wdn_enricher *e, const struct wdn_event *ev, struct wdn_buf *out,
		     struct wdn_err *err)
{
	struct wdn_str t = ev->f[WDN_F_EVENT_TIME];
	size_t mark = out->len;
	int64_t when;
	int rc;

	if (wdn_time_parse(t.ptr, t.len, &when))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.*s' is not a time",
				   (int)(t.len > 40 ? 40 : t.len), t.ptr);
	if (wdn_json_is_compact(ev->raw.ptr, ev->raw.len)) {
		/* the bytes as delivered, the new member before the closing brace */
		rc = wdn_buf_add(out, ev->raw.ptr, ev->raw.len - 1);
	} else {
		yajl_gen g = wdn_gen_into(out);

		if (!g)
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		rc = wdn_json_gen_text(g, ev->raw.ptr, ev->raw.len);
		yajl_gen_free(g);
		if (!rc && out->len > mark)
			out->len--; /* drop the closing brace */
	}
	if (!rc)
		rc = wdn_buf_add(out, ev->raw.len > 2 ? ",\"whodunnit\":" : "\"whodunnit\":",
				 ev->raw.len > 2 ? 13 : 12);
	if (!rc && (rc = whodunnit(e, ev, when, out, err))) {
		out->len = mark;
		out->ptr[mark] = '\0';
		return rc; /* err says why */
	}
	if (!rc)
		rc = wdn_buf_add(out, "}\n", 2);
	if (rc) {
		out->len = mark;
		out->ptr[mark] = '\0';
		return wdn_err_set(err, rc, "%s", wdn_strerror(rc));
	}
	return 0;
}

static int safe_value(struct wdn_buf *b, struct wdn_str v, const char *none)
{
	size_t i;

	if (!v.ptr || !v.len)
		return wdn_buf_adds(b, none);
	/* partition values become path segments: keep them tame */
	for (i = 0; i < v.len && i < 64; i++) {
		char c = v.ptr[i];

		wdn_buf_addc(b, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_' ? c : '_');
	}
	return 0;
}

/* One "NAME=VALUE/" segment of a partition path; its value in v. */
static int segment(const char **p, const char *end, const char *name, struct wdn_str *v)
{
	size_t n = strlen(name);
	const char *s = *p, *q;

	if ((size_t)(end - s) <= n || memcmp(s, name, n) || s[n] != '=')
		return WDN_EINVAL;
	s += n + 1;
	for (q = s; q < end && *q != '/'; q++) {
		char c = *q;

		/* only what safe_value writes: the values reach SQL text */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return WDN_EINVAL;
	}
	if (q == end || q == s || q - s > 64)
		return WDN_EINVAL;
	v->ptr = s;
	v->len = (size_t)(q - s);
	*p = q + 1;
	return 0;
}

int wdn_partition_parse(const char *path, size_t len, struct wdn_str *account, struct wdn_str *region)
{
	const char *p = path, *end = path + len;

	if (segment(&p, end, "account", account) || segment(&p, end, "region", region))
		return WDN_EINVAL;
	return 0;
}

int wdn_event_partition(const struct wdn_event *ev, struct wdn_buf *out)
{
	struct wdn_str acct = ev->f[WDN_F_RECIPIENT], t = ev->f[WDN_F_EVENT_TIME];
	char iso[32];
	int64_t when;

	if (!acct.ptr)
		acct = ev->f[WDN_F_UI_ACCOUNT];
	wdn_buf_adds(out, "account=");
	safe_value(out, acct, "unknown");
	wdn_buf_adds(out, "/region=");
	safe_value(out, ev->f[WDN_F_REGION], "unknown");
	wdn_buf_adds(out, "/day=");
	/* the UTC date of the time, whatever its zone or format; a time that
	 * cannot be read goes to day=unknown, never to a day it does not name */
	if (t.ptr && !wdn_time_parse(t.ptr, t.len, &when)) {
		if (t.ptr[t.len - 1] == 'Z') /* UTC already, as CloudTrail writes it */
			return wdn_buf_add(out, t.ptr, 10);
		wdn_time_format(when, iso);
		return wdn_buf_add(out, iso, 10);
	}
	return wdn_buf_adds(out, "unknown");
}
