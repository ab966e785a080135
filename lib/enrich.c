/*
 * Enrichment: each event with a "whodunnit" member added. The hot path is a
 * cache lookup and a copy; resolving a key happens once per key and for as
 * long as nothing its answer depends on changes, so an event's answer is the
 * lookup at its own time whatever else shares the run.
 */
#include "wdn.h"
#include "coverage.h"
#include "datetime.h"
#include "enrich.h"
#include "event.h"
#include "json.h"
#include "resolve.h"
#include "store.h"
#include "str.h"
#include "tags.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define CACHE_BUCKETS 8192

/*
 * Answers held, in a budget of WDN_ENRICH_CACHE_BYTES taken whole when the
 * cache is made: two generations, each half of it, each filled from its
 * start. When the newer is full the older is dropped and its half, emptied,
 * becomes the newer, so a key asked for lately stays answered (one found in
 * the older moves back to the newer: a key in use all along is not dropped
 * and resolved again). Nothing is allocated for an answer, and what the
 * cache holds is the same from 10 MB to 1 GB of input (a malloc per answer,
 * growing as the input did, was not).
 */
#define CACHE_HALF (WDN_ENRICH_CACHE_BYTES / 2)

struct entry {
	struct entry *next;
	uint64_t hash;
	int64_t lo, hi;   /* times this answer holds for */
	uint32_t len;     /* the whodunnit object's */
	uint32_t who_len; /* told by the event's own userIdentity: that (who_add), else 0 */
	uint8_t key_len;
	char bytes[];     /* the key, the object, the who */
};

#define entry_key(x) ((x)->bytes)
#define entry_text(x) ((x)->bytes + (x)->key_len)
#define entry_who(x) ((x)->bytes + (x)->key_len + (x)->len)

/* Answers by key and window, shared by the workers of one run so a key used
 * in many inputs is resolved once; the lock is held only to look or insert. */
struct wdn_enrich_cache {
	pthread_mutex_t lock;
	struct entry *bucket[2][CACHE_BUCKETS]; /* by generation */
	size_t used[2];   /* bytes of its half each generation has filled */
	int newer;        /* the newer generation's number */
	char *arena;      /* WDN_ENRICH_CACHE_BYTES: generation g's half at g * CACHE_HALF */
};

/* An issuance the view read, kept with the times it is the one chosen for:
 * the links near a chain's root (a session's caller, the user key behind
 * it) are the same for many keys, and each read of them went to the store. */
#define KNOWN_SLOTS 256 /* 512 read 6% less on 1 GB, but peak RSS grew 0.8 MB */
struct known {
	uint64_t hash;
	char *key;        /* NULL when empty */
	int64_t lo, hi;   /* get_issuance(key, t) gives this for every t in [lo, hi] */
	int rc;           /* 0: is; WDN_ENOTFOUND: none */
	struct wdn_issuance is;
};

/*
 * The store as one resolve sees it. An answer depends on the time asked
 * about only through the reads made as of that time: the issuance in use
 * then, and the logs (tags, names, key status) folded up to then. Each such
 * read also learns around that time the interval over which its result
 * stays the same, and the answer is cached for where all of them hold.
 */
struct timed_store {
	struct wdn_store base;
	struct wdn_store *real;
	int64_t at;       /* the time asked about */
	int64_t lo, hi;   /* the answer is the same for every time in [lo, hi] */
	struct known *known; /* KNOWN_SLOTS, by the key's hash; NULL: none kept */
	int gathering;    /* reads only noted (gather): what they give is not kept */
};

/* An enricher's own copy of answers it took from the shared cache: most
 * events ask again for a key asked just before, and workers taking the
 * cache's lock for each event slowed each other. 64 slots missed for 60% of
 * the events of a 1000-key trail (a lock taken each time, and at -j 2
 * contended some 500 times in 0.2 s); 1024 miss for 15%, at some 250 KB
 * more for each worker. */
#define MEMO_SLOTS 1024
struct memo {
	uint64_t hash;
	char key[129];    /* "" when empty */
	int64_t lo, hi;
	struct wdn_buf text;
	struct wdn_buf who;   /* as the entry's who; empty: for any event */
};

struct wdn_enricher {
	struct wdn_store *store;
	struct timed_store view;
	struct wdn_enrich_cache *cache;
	int own_cache;
	struct wdn_buf obj;   /* scratch for generating an object */
	struct wdn_buf who;   /* scratch for an event's userIdentity */
	struct wdn_buf clean; /* scratch for an event without its own whodunnit */
	yajl_gen gen;
	struct memo memo[MEMO_SLOTS];
};

/* ---- the store, as of a time ---------------------------------------------- */

static void narrow(struct timed_store *v, int64_t lo, int64_t hi)
{
	if (lo > v->lo)
		v->lo = lo;
	if (hi < v->hi)
		v->hi = hi;
}

/* The times around at for which get_issuance(key) gives what it gave at at
 * (is; NULL: none had begun by then): the window in use from its own start,
 * the latest before from at on, until the key's next issuance begins. */
static void issuance_bounds(struct wdn_store *real, const char *key, int64_t at,
			    const struct wdn_issuance *is, int64_t *lo, int64_t *hi)
{
	int64_t after = at, next;
	int rc;

	*lo = INT64_MIN;
	*hi = WDN_TIME_MAX;
	if (is && is->end != WDN_TIME_NONE && at > is->end) {
		*lo = at;
	} else if (is) {
		after = is->start;
		*lo = is->start;
		*hi = is->end == WDN_TIME_NONE ? WDN_TIME_MAX : is->end;
	}
	rc = real->ops->next_issuance(real, key, after, &next, NULL);
	if (rc == WDN_ENOTFOUND)
		return;
	if (rc || next <= at) {
		/* a window begun inside the one in use and ended before at: this time only */
		*lo = *hi = at;
		return;
	}
	if (next - 1 < *hi)
		*hi = next - 1;
}

static void known_forget(struct known *k)
{
	free(k->key);
	k->key = NULL;
	wdn_issuance_release(&k->is);
}

/* Keep what get_issuance(key, at) gave (a failure only forgets). */
static void known_put(struct timed_store *v, const char *key, uint64_t h, int rc,
		      const struct wdn_issuance *is, int64_t lo, int64_t hi)
{
	struct known *k = &v->known[h % KNOWN_SLOTS];

	known_forget(k);
	if (!(k->key = wdn_strdup(key)) || (!rc && wdn_issuance_copy(&k->is, is, 0))) {
		known_forget(k);
		return;
	}
	k->hash = h;
	k->rc = rc;
	k->lo = lo;
	k->hi = hi;
}

/* As the real store, from what the view kept when it holds for at; the
 * answer's window narrowed to where the issuance chosen at v->at stays so. */
static int ts_get_issuance(struct wdn_store *st, const char *key, int64_t at,
			   struct wdn_issuance *out, struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;
	uint64_t h = wdn_hash(WDN_HASH_INIT, key, strlen(key));
	struct known *k = v->known && !v->gathering ? &v->known[h % KNOWN_SLOTS] : NULL;
	int64_t lo, hi;
	int rc;

	if (k && k->key && k->hash == h && at >= k->lo && at <= k->hi && !strcmp(k->key, key)) {
		memset(out, 0, sizeof(*out));
		if (!(rc = k->rc) && wdn_issuance_copy(out, &k->is, 0))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		lo = k->lo;
		hi = k->hi;
	} else {
		rc = v->real->ops->get_issuance(v->real, key, at, out, err);
		if ((rc && rc != WDN_ENOTFOUND) || (!k && at != v->at))
			return rc; /* nothing to keep, nor to narrow */
		issuance_bounds(v->real, key, at, rc ? NULL : out, &lo, &hi);
		if (k)
			known_put(v, key, h, rc, out, lo, hi);
	}
	if (at == v->at)
		narrow(v, lo, hi);
	return rc;
}

static int ts_next_issuance(struct wdn_store *st, const char *key, int64_t after, int64_t *start,
			    struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;

	return v->real->ops->next_issuance(v->real, key, after, start, err);
}

static int ts_get_sighting(struct wdn_store *st, const char *key, int64_t at, struct wdn_sighting *out,
			   struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;

	if (at == v->at)
		narrow(v, at, at); /* not asked by enrichment, which has the event's own */
	return v->real->ops->get_sighting(v->real, key, at, out, err);
}

struct as_of {
	struct timed_store *v;
	wdn_change_fn cb;
	void *ctx;
};

#define PAST_AT 0x7eed /* a callback's return: the log has gone past v->at */

/* A log read as of v->at: what is in it up to then decides the answer from
 * just after the change before v->at (or from v->at, if one is then) to
 * just before the next; once the reader stops early, later ones do not count. */
static int as_of_cb(void *ctx, const struct wdn_change *c)
{
	struct as_of *o = ctx;

	if (c->time > o->v->at) {
		narrow(o->v, INT64_MIN, c->time - 1);
		return PAST_AT;
	}
	narrow(o->v, c->time < o->v->at ? c->time + 1 : o->v->at, WDN_TIME_MAX);
	return o->cb(o->ctx, c);
}

static int ts_changes(struct wdn_store *st, const char *subject, int64_t until, wdn_change_fn cb,
		      void *ctx, struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;
	struct as_of o = { v, cb, ctx };
	int rc;

	if (until != v->at)
		return v->real->ops->changes(v->real, subject, until, cb, ctx, err);
	rc = v->real->ops->changes(v->real, subject, WDN_TIME_MAX, as_of_cb, &o, err);
	return rc == PAST_AT ? 0 : rc;
}

static int ts_children(struct wdn_store *st, const char *key, wdn_issuance_fn cb, void *ctx,
		       struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;

	return v->real->ops->children(v->real, key, cb, ctx, err);
}

static int ts_get_source(struct wdn_store *st, const char *source, int *integrity,
			 struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;

	return v->real->ops->get_source(v->real, source, integrity, err);
}

static int ts_covers(struct wdn_store *st, const char *account, wdn_cover_fn cb, void *ctx,
		     struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;

	return v->real->ops->covers(v->real, account, cb, ctx, err);
}

static int ts_gather(struct wdn_store *st, int on, struct wdn_err *err)
{
	struct timed_store *v = (struct timed_store *)st;
	int rc = v->real->ops->gather ? v->real->ops->gather(v->real, on, err) : 0;

	v->gathering = on && !rc;
	return rc;
}

static void ts_close(struct wdn_store *st)
{
	(void)st; /* a view: the enricher's store is closed by its owner */
}

/* Only what resolving reads; writing through a view is not needed. */
static const struct wdn_store_ops timed_ops = {
	.kind = "as-of",
	.get_issuance = ts_get_issuance,
	.next_issuance = ts_next_issuance,
	.get_sighting = ts_get_sighting,
	.changes = ts_changes,
	.children = ts_children,
	.get_source = ts_get_source,
	.covers = ts_covers,
	.gather = ts_gather,
	.close = ts_close,
};

struct wdn_enrich_cache *wdn_enrich_cache_new(void)
{
	struct wdn_enrich_cache *c = calloc(1, sizeof(*c));

	if (c && !(c->arena = malloc(WDN_ENRICH_CACHE_BYTES))) {
		free(c);
		return NULL;
	}
	if (c) {
		pthread_mutexattr_t a;

		/* held for a lookup or a copy, well under a microsecond: a worker
		 * finding it taken spins a little rather than sleeps (sleeping
		 * and waking cost more than the wait) */
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
		pthread_mutex_init(&c->lock, &a);
		pthread_mutexattr_destroy(&a);
	}
	return c;
}

void wdn_enrich_cache_touch(struct wdn_enrich_cache *c)
{
	memset(c->arena, 0, WDN_ENRICH_CACHE_BYTES);
}

/* The newer generation full: the older is dropped, and its half is the newer. */
static void cache_age(struct wdn_enrich_cache *c)
{
	int older = !c->newer;

	memset(c->bucket[older], 0, sizeof(c->bucket[older]));
	c->used[older] = 0;
	c->newer = older;
}

void wdn_enrich_cache_free(struct wdn_enrich_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->arena);
	free(c);
}

struct wdn_enricher *wdn_enricher_new(struct wdn_store *s, struct wdn_enrich_cache *cache)
{
	struct wdn_enricher *e = calloc(1, sizeof(*e));
	size_t i;

	if (!e)
		return NULL;
	e->store = s;
	e->view.base.ops = &timed_ops;
	e->view.base.where = s ? s->where : NULL;
	e->view.real = s;
	e->cache = cache;
	if (!cache && !(e->cache = wdn_enrich_cache_new())) {
		free(e);
		return NULL;
	}
	e->own_cache = !cache;
	e->view.known = calloc(KNOWN_SLOTS, sizeof(*e->view.known)); /* NULL: every read to the store */
	wdn_buf_init(&e->obj, 0);
	wdn_buf_init(&e->who, 0);
	wdn_buf_init(&e->clean, 0);
	for (i = 0; i < MEMO_SLOTS; i++) {
		wdn_buf_init(&e->memo[i].text, 0);
		wdn_buf_init(&e->memo[i].who, 0);
	}
	return e;
}

void wdn_enricher_forget(struct wdn_enricher *e)
{
	size_t i;

	for (i = 0; e && e->view.known && i < KNOWN_SLOTS; i++)
		known_forget(&e->view.known[i]);
}

void wdn_enricher_free(struct wdn_enricher *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < MEMO_SLOTS; i++) {
		wdn_buf_release(&e->memo[i].text);
		wdn_buf_release(&e->memo[i].who);
	}
	wdn_enricher_forget(e);
	free(e->view.known);
	if (e->own_cache)
		wdn_enrich_cache_free(e->cache);
	wdn_buf_release(&e->obj);
	wdn_buf_release(&e->who);
	wdn_buf_release(&e->clean);
	free(e);
}

/* Past the closing quote of the string whose body starts at p, or NULL. */
static inline const char *string_end(const char *p, const char *end)
{
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		const char *b;

		if (!q)
			return NULL;
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		p = q + 1;
		if ((q - b) % 2 == 0)
			return p;
	}
}

/* White space as the reader (yajl) takes it: JSON's, and \f and \v. */
static int is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* Past the JSON value that starts at p, or NULL. */
static const char *value_end(const char *p, const char *end)
{
	int depth = 0;

	if (p < end && *p != '"' && *p != '{' && *p != '[') {
		/* a number, true, false or null */
		while (p < end && *p != ',' && *p != '}' && *p != ']' && !is_space(*p))
			p++;
		return p;
	}
	while (p < end) {
		char c = *p++;

		if (c == '"') {
			if (!(p = string_end(p, end)))
				return NULL;
			if (!depth)
				return p;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return p;
		}
	}
	return NULL;
}

/* The top-level members of an object's text: with out, the object without
 * those named whodunnit, every other member's bytes as they were; *forged
 * says whether there were any. */
static int walk_members(const char *p, size_t n, struct wdn_buf *out, int *forged)
{
	const char *end = p + n, *k, *v;
	int first = 1, rc = 0;

	*forged = 0;
	p = skip_ws(p, end);
	if (p == end || *p++ != '{')
		return WDN_EINVAL;
	if (out)
		rc = wdn_buf_addc(out, '{');
	while (!rc && (p = skip_ws(p, end)) < end && *p == '"') {
		int named;

		k = p;
		if (!(p = string_end(p + 1, end)))
			return WDN_EINVAL;
		named = wdn_json_name_is(k + 1, (size_t)(p - 1 - (k + 1)), 1, "whodunnit");
		*forged |= named;
		p = skip_ws(p, end);
		if (p == end || *p++ != ':' || !(v = value_end(skip_ws(p, end), end)))
			return WDN_EINVAL;
		if (out && !named) {
			if (!first)
				rc = wdn_buf_addc(out, ',');
			if (!rc)
				rc = wdn_buf_add(out, k, (size_t)(v - k));
			first = 0;
		}
		p = skip_ws(v, end);
		if (p < end && *p == ',')
			p++;
	}
	return rc || !out ? rc : wdn_buf_addc(out, '}');
}

/* Could the string whose body starts at s be a member named whodunnit? A
 * name (after '{' or ','), of 9 bytes or more, beginning "wh" in some case,
 * or with an escape. */
static int may_be_ours(const char *s)
{
	if (s[-2] != ',' && s[-2] != '{')
		return 0;
	return *s == '\\' || ((*s | 0x20) == 'w' && ((s[1] | 0x20) == 'h' || s[1] == '\\'));
}

/*
 * Is an event's text compact (no white space outside strings), and has it a
 * top-level member named "whodunnit" in any case or escape (*forged)? Ours
 * would come after it, and a reader that takes the first of two, or folds
 * case, would show the event's own. One pass over the text notes strings
 * that could be such a name; only then, or for text written again anyway,
 * are its members walked.
 */
static int scan_event(const char *p, size_t n, int *forged)
{
	const char *start = p, *end = p + n, *s;
	int compact = 1, maybe = 0;

	*forged = 0;
	while (p < end) {
		char c = *p++;

		if (c == '"') {
			s = p;
			if (!(p = string_end(p, end)))
				return 0;
			if (((*s | 0x20) == 'w' || *s == '\\') && p - s > 9 && s - 2 >= start && may_be_ours(s))
				maybe = 1;
		} else if (is_space(c)) {
			compact = 0;
			maybe = 1;
			break;
		}
	}
	if (maybe && walk_members(start, n, NULL, forged))
		*forged = 0; /* not an object: the reader would not have given it */
	return compact;
}

int wdn_json_is_compact(const char *p, size_t n)
{
	int forged;

	return scan_event(p, n, &forged);
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
	{ "Integrity", "STRING", NULL },
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
	/* the chain's provenance in one word (wdn-lookup has each link's) */
	wdn_gen_key(g, "Integrity");
	wdn_gen_str(g, a->nlinks ? wdn_integrity_name(a->integrity) : NULL);
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

/* The userIdentity members an answer told by the event itself comes from:
 * a sighting of its key (WHO_SEEN), or, with no store answer at all, what
 * from_identity reads (WHO_TOLD). */
enum { WHO_SEEN = 1, WHO_TOLD = 2 };
static const struct {
	enum wdn_field f;
	int sets;
} who_fields[] = {
	{ WDN_F_UI_TYPE, WHO_SEEN | WHO_TOLD }, { WDN_F_UI_ARN, WHO_SEEN | WHO_TOLD },
	{ WDN_F_UI_ISSUER_ARN, WHO_SEEN | WHO_TOLD }, { WDN_F_UI_ACCOUNT, WHO_SEEN },
	{ WDN_F_UI_INVOKED_BY, WHO_TOLD },
};
#define NWHO (sizeof(who_fields) / sizeof(who_fields[0]))

/* The set, then each member of it as a presence byte, its length and its bytes. */
static int who_add(struct wdn_buf *b, const struct wdn_event *ev, int set)
{
	size_t i;
	int rc = wdn_buf_addc(b, (char)set);

	for (i = 0; !rc && i < NWHO; i++) {
		struct wdn_str f = ev->f[who_fields[i].f];

		if (!(who_fields[i].sets & set))
			continue;
		rc = wdn_buf_addc(b, f.ptr ? 1 : 0);
		if (!rc && f.ptr && !(rc = wdn_buf_add(b, &f.len, sizeof(f.len))))
			rc = wdn_buf_add(b, f.ptr, f.len);
	}
	return rc;
}

/* Are the members who (from who_add) holds this event's? Compared in place. */
static int same_who(const char *who, size_t n, const struct wdn_event *ev)
{
	const char *end = who + n;
	size_t i, len;
	int set = *who++;

	for (i = 0; i < NWHO; i++) {
		struct wdn_str f = ev->f[who_fields[i].f];

		if (!(who_fields[i].sets & set))
			continue;
		if (who == end || *who++ != (f.ptr ? 1 : 0))
			return 0;
		if (!f.ptr)
			continue;
		if ((size_t)(end - who) < sizeof(len))
			return 0;
		memcpy(&len, who, sizeof(len));
		who += sizeof(len);
		if (len != f.len || (size_t)(end - who) < len || memcmp(who, f.ptr, len))
			return 0;
		who += len;
	}
	return who == end;
}

/* The bytes of its half an entry takes, aligned for the next one. */
static size_t entry_size(size_t key_len, size_t len, size_t who_len)
{
	return (offsetof(struct entry, bytes) + key_len + len + who_len + 7) & ~(size_t)7;
}

/* Room for n bytes in the newer generation, aging it first if it is full;
 * NULL if n is more than a generation holds. */
static struct entry *cache_room(struct wdn_enrich_cache *c, size_t n)
{
	struct entry *x;

	if (n > CACHE_HALF)
		return NULL;
	if (c->used[c->newer] + n > CACHE_HALF)
		cache_age(c);
	x = (struct entry *)(c->arena + (size_t)c->newer * CACHE_HALF + c->used[c->newer]);
	c->used[c->newer] += n;
	return x;
}

/* Move the older generation's entry *at into the newer one; where it is now. */
static struct entry *promote(struct wdn_enrich_cache *c, struct entry **at, uint64_t h)
{
	struct entry *x = *at, *to;
	size_t n = entry_size(x->key_len, x->len, x->who_len);
	int older = !c->newer;

	*at = x->next;
	if (c->used[c->newer] + n > CACHE_HALF) {
		/* aging empties the half x is in: x goes to its start, before
		 * anything else is written there */
		cache_age(c);
		to = (struct entry *)(c->arena + (size_t)older * CACHE_HALF);
		memmove(to, x, n);
		c->used[older] = n;
	} else {
		to = cache_room(c, n);
		memcpy(to, x, n);
	}
	to->next = c->bucket[c->newer][h % CACHE_BUCKETS];
	c->bucket[c->newer][h % CACHE_BUCKETS] = to;
	return to;
}

/* The answer cached for a key at time t, for ev (NULL: only answers that
 * hold for any event); with the lock held. */
static struct entry *cached_answer(struct wdn_enrich_cache *c, const char *key, size_t len,
				   uint64_t h, int64_t t, const struct wdn_event *ev)
{
	struct entry *x, **at;
	int g;

	for (g = 0; g < 2; g++)
		for (at = &c->bucket[g ? !c->newer : c->newer][h % CACHE_BUCKETS]; (x = *at); at = &x->next)
			if (x->hash == h && x->key_len == len && !memcmp(entry_key(x), key, len) &&
			    t >= x->lo && t <= x->hi &&
			    (!x->who_len || (ev && same_who(entry_who(x), x->who_len, ev))))
				/* one in the older is still in use: into the newer, to stay */
				return g ? promote(c, at, h) : x;
	return NULL;
}

int wdn_enricher_knows(struct wdn_enricher *e, const struct wdn_event *ev, int64_t t)
{
	struct wdn_enrich_cache *c = e->cache;
	struct wdn_str key = ev->f[WDN_F_UI_KEY];
	int found;

	if (!key.ptr || !key.len || key.len > 128)
		return 0;
	pthread_mutex_lock(&c->lock);
	found = cached_answer(c, key.ptr, key.len, wdn_hash(WDN_HASH_INIT, key.ptr, key.len), t, ev) != NULL;
	pthread_mutex_unlock(&c->lock);
	return found;
}

/* The memo's answer for a key at time t, for ev, or NULL: as cached_answer. */
static const struct memo *memo_get(const struct wdn_enricher *e, const char *key, size_t len, uint64_t h,
				   int64_t t, const struct wdn_event *ev)
{
	const struct memo *m = &e->memo[h % MEMO_SLOTS];

	if (m->hash == h && m->key[0] && !memcmp(m->key, key, len) && !m->key[len] && t >= m->lo &&
	    t <= m->hi && (!m->who.len || same_who(m->who.ptr, m->who.len, ev)))
		return m;
	return NULL;
}

/* Keep a copy of an answer (a copy: another worker may age the cache
 * meanwhile); who is as an entry's (empty: for any event); a failure only
 * forgets. */
static void memo_put(struct wdn_enricher *e, const char *key, size_t len, uint64_t h, int64_t lo, int64_t hi,
		     const char *text, size_t text_len, const char *who, size_t who_len)
{
	struct memo *m = &e->memo[h % MEMO_SLOTS];

	wdn_buf_reset(&m->text);
	wdn_buf_reset(&m->who);
	m->key[0] = '\0';
	if (wdn_buf_add(&m->text, text, text_len) || (who_len && wdn_buf_add(&m->who, who, who_len))) {
		wdn_buf_release(&m->text);
		wdn_buf_release(&m->who);
		return;
	}
	memcpy(m->key, key, len);
	m->key[len] = '\0';
	m->hash = h;
	m->lo = lo;
	m->hi = hi;
}

/* Cache the answer in e->obj for key (who: e->who, else for any event),
 * holding for [lo, hi]; one more than a generation holds is not kept. */
static void cache_put(struct wdn_enricher *e, const char *key, size_t len, uint64_t h, int64_t lo, int64_t hi,
		      int who)
{
	struct wdn_enrich_cache *c = e->cache;
	size_t who_len = who ? e->who.len : 0;
	struct entry *x;

	pthread_mutex_lock(&c->lock);
	if ((x = cache_room(c, entry_size(len, e->obj.len, who_len)))) {
		x->hash = h;
		x->lo = lo;
		x->hi = hi;
		x->len = (uint32_t)e->obj.len;
		x->who_len = (uint32_t)who_len;
		x->key_len = (uint8_t)len;
		memcpy(entry_key(x), key, len);
		memcpy(entry_text(x), e->obj.ptr, e->obj.len);
		if (who_len)
			memcpy(entry_who(x), e->who.ptr, who_len);
		x->next = c->bucket[c->newer][h % CACHE_BUCKETS];
		c->bucket[c->newer][h % CACHE_BUCKETS] = x;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Append the whodunnit object for ev to out: from the cache, or resolved
 * (outside the lock) and then cached. */
static int whodunnit(struct wdn_enricher *e, const struct wdn_event *ev, int64_t t,
		     struct wdn_buf *out, struct wdn_err *err)
{
	struct wdn_enrich_cache *c = e->cache;
	struct wdn_str key = ev->f[WDN_F_UI_KEY];
	const struct memo *m;
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
	if ((m = memo_get(e, key.ptr, key.len, h, t, ev)))
		return wdn_buf_add(out, m->text.ptr, m->text.len);
	pthread_mutex_lock(&c->lock);
	if ((x = cached_answer(c, key.ptr, key.len, h, t, ev))) {
		/* copied while held: another worker may clear the cache */
		rc = wdn_buf_add(out, entry_text(x), x->len);
		memo_put(e, key.ptr, key.len, h, x->lo, x->hi, entry_text(x), x->len, entry_who(x), x->who_len);
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
		e->view.at = t;
		e->view.lo = INT64_MIN;
		e->view.hi = WDN_TIME_MAX;
		rc = wdn_resolve_seen(e->store ? &e->view.base : NULL, seen.key_id, t, &seen, &a, err);
		wdn_sighting_release(&seen);
		if (rc) {
			wdn_answer_release(&a); /* what the answer holds so far */
			return rc;
		}
	}
	if (!a.found) {
		wdn_answer_release(&a); /* nlinks 0: what the event tells, below */
		if ((rc = from_identity(e, ev)))
			return rc;
	} else {
		if (!(g = begin_obj(e))) {
			wdn_answer_release(&a);
			return WDN_ENOMEM;
		}
		wdn_answer_gen_whodunnit(g, &a);
		yajl_gen_free(g);
		if ((rc = wdn_buf_failed(&e->obj))) {
			wdn_answer_release(&a);
			return wdn_err_set(err, rc, "out of memory");
		}
	}
	wdn_buf_reset(&e->who);
	/* no issuance: the answer is what the event's userIdentity tells */
	if (a.nlinks || !who_add(&e->who, ev, a.found ? WHO_SEEN : WHO_TOLD)) {
		/* for as long as nothing the answer read as of t changes */
		int64_t lo = e->store ? e->view.lo : INT64_MIN, hi = e->store ? e->view.hi : WDN_TIME_MAX;
		size_t who_len = a.nlinks ? 0 : e->who.len;

		memo_put(e, key.ptr, key.len, h, lo, hi, e->obj.ptr, e->obj.len, e->who.ptr, who_len);
		cache_put(e, key.ptr, key.len, h, lo, hi, !a.nlinks);
	}
	wdn_answer_release(&a);
	return wdn_buf_add(out, e->obj.ptr, e->obj.len);
}

int wdn_enrich_event(struct wdn_enricher *e, const struct wdn_event *ev, struct wdn_buf *out,
		     struct wdn_err *err)
{
	struct wdn_str t = ev->f[WDN_F_EVENT_TIME], raw = ev->raw;
	size_t mark = out->len;
	unsigned long nomem = wdn_nomem_count();
	int64_t when;
	int rc, compact, forged;

	if (wdn_time_parse(t.ptr, t.len, &when))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.*s' is not a time",
				   (int)(t.len > 40 ? 40 : t.len), t.ptr);
	if (ev->shape & WDN_SHAPE_KNOWN) { /* the reader saw it on its way */
		compact = !!(ev->shape & WDN_SHAPE_COMPACT);
		forged = !!(ev->shape & WDN_SHAPE_FORGED);
	} else {
		compact = scan_event(raw.ptr, raw.len, &forged);
	}
	if (forged) {
		/* the event's own whodunnit goes: only ours is written */
		wdn_buf_reset(&e->clean);
		if ((rc = walk_members(raw.ptr, raw.len, &e->clean, &forged)))
			return wdn_err_set(err, rc, "%s", rc == WDN_EINVAL ? "not a JSON object" : wdn_strerror(rc));
		raw.ptr = e->clean.ptr;
		raw.len = e->clean.len;
	}
	if (compact) {
		/* the bytes as delivered, the new member before the closing brace */
		rc = wdn_buf_add(out, raw.ptr, raw.len - 1);
	} else {
		yajl_gen g = wdn_gen_into(out);

		if (!g)
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		rc = wdn_json_gen_text(g, raw.ptr, raw.len);
		yajl_gen_free(g);
		if (!rc)
			rc = wdn_buf_failed(out);
		if (!rc && out->len > mark)
			wdn_buf_setlen(out, out->len - 1); /* drop the closing brace */
	}
	if (!rc) /* after a member, a comma */
		rc = out->len > mark && out->ptr[out->len - 1] == '{' ? wdn_buf_add(out, "\"whodunnit\":", 12) :
						     wdn_buf_add(out, ",\"whodunnit\":", 13);
	if (!rc && (rc = whodunnit(e, ev, when, out, err))) {
		wdn_buf_setlen(out, mark);
		return rc; /* err says why */
	}
	if (!rc)
		rc = wdn_buf_add(out, "}\n", 2);
	if (!rc && wdn_nomem_count() != nomem) /* a copy lost on the way: not this answer */
		rc = WDN_ENOMEM;
	if (rc) {
		wdn_buf_setlen(out, mark);
		return wdn_err_set(err, rc, "%s", wdn_strerror(rc));
	}
	return 0;
}

static int safe_value(struct wdn_buf *b, struct wdn_str v, const char *none)
{
	char tame[64];
	size_t i;

	if (!v.ptr || !v.len)
		return wdn_buf_adds(b, none);
	/* partition values become path segments: keep them tame (one append:
	 * this runs twice for every event) */
	for (i = 0; i < v.len && i < sizeof(tame); i++) {
		char c = v.ptr[i];

		tame[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '_' ? c : '_';
	}
	return wdn_buf_add(b, tame, i);
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
