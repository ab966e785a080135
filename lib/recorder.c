/*
 * Recording: events in, store records out. Issuing events are parsed whole
 * and stored at once; every other event only adds a sighting of its caller's
 * key, folded in memory (a trail uses few keys many times) and written at
 * flush, so recording costs little more than reading.
 */
#include "wdn.h"
#include "arn.h"
#include "datetime.h"
#include "event.h"
#include "fastjson.h"
#include "json.h"
#include "key.h"
#include "recorder.h"
#include "store.h"
#include "str.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* simdjson's tree of an event, when the command links the fast path (C++) */
#pragma weak wdn_fast_event_tree

#define SIGHTINGS_MAX 65536 /* flush early past this many distinct sightings */
/* A group's held sightings (about 350 bytes each) end it past this many:
 * memory stays small and flat however many inputs a run reads. Each group
 * rewrites the pages of the store's indexes its keys fall in, nearly all of
 * them on a large store: fewer, larger groups rewrite them fewer times. The
 * memory is the store's page cache's (WDN_STORE_BULK). */
#define GROUP_SIGHTINGS 8192
#define NBUCKETS 4096
/* An input's issuances and changes wait in memory, up to this many bytes,
 * until it is read whole (see struct held). */
#define HOLD_BYTES (256 << 10)

struct seen {
	struct seen *next;
	uint64_t hash;
	size_t key_len, principal_len; /* of s.key_id and s.principal (NULL: 0) */
	struct wdn_sighting s;
};

/*
 * When grouping, an input's issuances and changes are held until the input
 * is read whole, then written with no savepoint: within a savepoint SQLite
 * copies aside every page the input touches that existed before it (index
 * leaves, the table's last page), in case of an undo, which on a 1 GB trail
 * was 260 MB written to a temporary file. An input that holds more than
 * HOLD_BYTES opens its savepoint and writes what it holds, as before.
 */
struct held {
	struct held *next;
	int is_change;
	struct wdn_issuance issuance;
	struct wdn_change change;
};

/*
 * Sightings since the last flush (table) are kept apart from those held over
 * earlier flushes (held), so wdn_recorder_discard drops the one input's and
 * no more. A flush folds table into held, and writes held unless holding.
 */
struct wdn_recorder {
	struct wdn_store *store;
	int in_txn;
	int hold;                 /* sightings wait for a flush with hold off */
	int group;                /* inputs grouped in one transaction (wdn_recorder_group) */
	int in_input;             /* an input's savepoint is open */
	struct seen **table, **held;
	size_t nseen, nheld;
	struct held *writes, **writes_end; /* the input's, in arrival order */
	size_t writes_bytes;
	int last_held;            /* last is the input's latest held issuance */
	uint64_t seed;            /* of the sightings' hash: see hash_of */
	uint64_t txn_issuances, txn_changes, txn_sightings; /* since the last flush */
	struct wdn_issuance last; /* the issuance of the last event, for the result */
	struct wdn_err *cerr;     /* where put_change reports */
	struct wdn_change last_changes[4]; /* the changes of the last event, for the result */
	size_t nlast_changes;
	uint64_t issuances, sightings, changes;
};

struct wdn_recorder *wdn_recorder_new(struct wdn_store *s)
{
	struct wdn_recorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->store = s;
	if (!(r->table = calloc(NBUCKETS, sizeof(*r->table))) ||
	    !(r->held = calloc(NBUCKETS, sizeof(*r->held)))) {
		free(r->table);
		free(r);
		return NULL;
	}
	r->last.start = r->last.end = WDN_TIME_NONE;
	r->writes_end = &r->writes;
	arc4random_buf(&r->seed, sizeof(r->seed));
	return r;
}

static void drop_seen(struct seen **table, size_t *n)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct seen *e = table[i], *next;

		for (; e; e = next) {
			next = e->next;
			wdn_sighting_release(&e->s);
			free(e);
		}
		table[i] = NULL;
	}
	*n = 0;
}

static void drop_writes(struct wdn_recorder *r)
{
	struct held *w, *next;

	for (w = r->writes; w; w = next) {
		next = w->next;
		wdn_issuance_release(&w->issuance);
		wdn_change_release(&w->change);
		free(w);
	}
	r->writes = NULL;
	r->writes_end = &r->writes;
	r->writes_bytes = 0;
	r->last_held = 0;
}

void wdn_recorder_free(struct wdn_recorder *r)
{
	if (!r)
		return;
	drop_writes(r);
	drop_seen(r->table, &r->nseen);
	drop_seen(r->held, &r->nheld);
	free(r->table);
	free(r->held);
	while (r->nlast_changes)
		wdn_change_release(&r->last_changes[--r->nlast_changes]);
	wdn_issuance_release(&r->last);
	free(r);
}

void wdn_recorder_counts(const struct wdn_recorder *r, uint64_t *issuances, uint64_t *sightings,
			 uint64_t *changes)
{
	if (changes)
		*changes = r->changes;
	if (issuances)
		*issuances = r->issuances;
	if (sightings)
		*sightings = r->sightings;
}

/* The transaction, and when grouping and writing an input's records
 * (input 1), the input's savepoint: discarding it drops that input only. */
static int begin(struct wdn_recorder *r, int input, struct wdn_err *err)
{
	int rc;

	if (!r->in_txn) {
		if ((rc = r->store->ops->begin(r->store, err)))
			return rc;
		r->in_txn = 1;
	}
	if (!r->group || !input || r->in_input)
		return 0;
	if ((rc = r->store->ops->savepoint(r->store, WDN_SAVE_MARK, err)))
		return rc;
	r->in_input = 1;
	return 0;
}

/* Write what the input holds: in the transaction (input 0: the input was
 * read whole), or behind the input's savepoint (1: it is not yet). */
static int write_writes(struct wdn_recorder *r, int input, struct wdn_err *err)
{
	struct held *w;
	int rc;

	if (!r->writes && !r->last_held)
		return 0;
	if ((rc = begin(r, input, err)))
		return rc;
	for (w = r->writes; w; w = w->next)
		if ((rc = w->is_change ? r->store->ops->put_change(r->store, &w->change, err)
				       : r->store->ops->put_issuance(r->store, &w->issuance, err)))
			return rc;
	if (r->last_held && (rc = r->store->ops->put_issuance(r->store, &r->last, err)))
		return rc;
	drop_writes(r); /* (last stays: the result of the latest event) */
	return 0;
}

/* Past HOLD_BYTES held, write them behind the input's savepoint. */
static int held_more(struct wdn_recorder *r, size_t bytes, struct wdn_err *err)
{
	r->writes_bytes += bytes;
	return r->writes_bytes > HOLD_BYTES ? write_writes(r, 1, err) : 0;
}

static void append_write(struct wdn_recorder *r, struct held *w)
{
	*r->writes_end = w;
	r->writes_end = &w->next;
}

/* Hold a write (w: allocated by the caller, filled) for the input's end. */
static int hold_write(struct wdn_recorder *r, struct held *w, size_t bytes, struct wdn_err *err)
{
	append_write(r, w);
	return held_more(r, bytes, err);
}

/* last is to be replaced: a held issuance moves into the input's writes. */
static int park_last(struct wdn_recorder *r, struct wdn_err *err)
{
	struct held *w;

	if (!r->last_held) {
		wdn_issuance_release(&r->last);
		return 0;
	}
	if (!(w = calloc(1, sizeof(*w))))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	w->issuance = r->last;
	memset(&r->last, 0, sizeof(r->last));
	r->last_held = 0;
	append_write(r, w);
	return 0;
}

static size_t len_of(const char *s)
{
	return s ? strlen(s) : 0;
}

static const char *or_empty(const char *s)
{
	return s ? s : ""; /* (a copy that failed for want of memory) */
}

static int by_key_principal(const void *a, const void *b)
{
	const struct wdn_sighting *x = &(*(struct seen *const *)a)->s, *y = &(*(struct seen *const *)b)->s;
	int c = strcmp(or_empty(x->key_id), or_empty(y->key_id));

	return c ? c : strcmp(or_empty(x->principal), or_empty(y->principal));
}

/* Write a table's sightings in the order of the store's key (key_id,
 * principal), not the hash's: each goes next to the one before it, so a
 * B-tree store touches each page once rather than all of them by turns.
 * (For want of memory to sort, in the hash's order: the same records.) */
static int write_seen(struct wdn_recorder *r, struct seen **table, size_t *n, int input,
		      struct wdn_err *err)
{
	struct seen **all, *e;
	size_t i, k = 0;
	int rc = 0;

	if (!*n)
		return 0;
	if ((rc = begin(r, input, err)))
		return rc;
	if ((all = malloc(*n * sizeof(*all)))) {
		for (i = 0; i < NBUCKETS; i++)
			for (e = table[i]; e && k < *n; e = e->next)
				all[k++] = e;
		qsort(all, k, sizeof(*all), by_key_principal);
		for (i = 0; i < k && !rc; i++)
			rc = r->store->ops->put_sighting(r->store, &all[i]->s, err);
		free(all);
	} else {
		for (i = 0; i < NBUCKETS && !rc; i++)
			for (e = table[i]; e && !rc; e = e->next)
				rc = r->store->ops->put_sighting(r->store, &e->s, err);
	}
	if (rc)
		return rc;
	drop_seen(table, n);
	return 0;
}

/* A table's hash of n bytes from h: eight at a time (a use of a key is
 * hashed for every event), the length folded in with the last. */
static uint64_t mix(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	if (n)
		memcpy(&w, p, n);
	h = (h ^ w ^ (uint64_t)n << 56) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 32;
}

/* From a seed of the recorder's own: a trail cannot choose keys and
 * principals of one bucket (65 000 of them cost 20 s, not 0.2), as it
 * could with a hash it can compute. The flush sorts: no output depends on it. */
static uint64_t hash_of(const struct wdn_recorder *r, struct wdn_str key, struct wdn_str principal)
{
	return mix(mix(WDN_HASH_INIT ^ r->seed, key.ptr, key.len), principal.ptr, principal.len);
}

size_t wdn_recorder_longest_chain(const struct wdn_recorder *r)
{
	const struct seen *e;
	size_t i, n, most = 0;

	for (i = 0; i < NBUCKETS; i++) {
		for (n = 0, e = r->table[i]; e; e = e->next)
			n++;
		if (n > most)
			most = n;
	}
	return most;
}

static int same(const char *s, size_t len, struct wdn_str v)
{
	return s ? (v.ptr && len == v.len && !memcmp(s, v.ptr, len)) : !v.ptr;
}

static struct seen *find(struct seen **table, uint64_t h, struct wdn_str key, struct wdn_str principal)
{
	struct seen *e;

	for (e = table[h & (NBUCKETS - 1)]; e; e = e->next)
		if (e->hash == h && same(e->s.key_id, e->key_len, key) &&
		    same(e->s.principal, e->principal_len, principal))
			return e;
	return NULL;
}

static struct wdn_str key_of(const struct seen *e)
{
	struct wdn_str v = { e->s.key_id, e->key_len };

	return v;
}

static struct wdn_str principal_of(const struct seen *e)
{
	struct wdn_str v = { e->s.principal, e->principal_len };

	return v;
}

/* A sighting's ARN, type and account, when uses of its key and principal
 * disagree: the least (a NULL the greatest), as the store's upsert keeps
 * them and DynamoDB's fold reads them, so that what is folded in memory
 * first (an input's uses, a group's) changes nothing. */
static void take_least(char **have, char **other)
{
	char *t = *have;

	if (*other && (!*have || strcmp(*other, *have) < 0)) {
		*have = *other;
		*other = t;
	}
}

/* Fold the sightings since the last flush into those held. */
static void fold_into_held(struct wdn_recorder *r)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct seen *e = r->table[i], *next, *h;

		for (; e; e = next) {
			next = e->next;
			if ((h = find(r->held, e->hash, key_of(e), principal_of(e)))) {
				if (e->s.first < h->s.first)
					h->s.first = e->s.first;
				if (e->s.last > h->s.last)
					h->s.last = e->s.last;
				take_least(&h->s.arn, &e->s.arn);
				take_least(&h->s.type, &e->s.type);
				take_least(&h->s.account, &e->s.account);
				wdn_sighting_release(&e->s);
				free(e);
			} else {
				e->next = r->held[e->hash & (NBUCKETS - 1)];
				r->held[e->hash & (NBUCKETS - 1)] = e;
				r->nheld++;
			}
		}
		r->table[i] = NULL;
	}
	r->nseen = 0;
}

void wdn_recorder_hold_sightings(struct wdn_recorder *r, int on)
{
	r->hold = on && r->store->ops->fold_sightings;
}

int wdn_recorder_flush(struct wdn_recorder *r, struct wdn_err *err)
{
	int rc;

	fold_into_held(r);
	if ((rc = write_writes(r, r->in_input, err)) ||
	    ((!r->hold || r->nheld >= SIGHTINGS_MAX) && (rc = write_seen(r, r->held, &r->nheld, 0, err))))
		return rc;
	r->txn_issuances = r->txn_changes = r->txn_sightings = 0;
	r->in_input = 0; /* (the commit keeps an open savepoint's records too) */
	if (!r->in_txn)
		return 0;
	r->in_txn = 0;
	return r->store->ops->commit(r->store, err);
}

int wdn_recorder_group(struct wdn_recorder *r, int on)
{
	r->group = on && r->store->ops->savepoint;
	return r->group;
}

int wdn_recorder_keep_input(struct wdn_recorder *r, struct wdn_err *err)
{
	int rc;

	if (!r->group)
		return wdn_recorder_flush(r, err);
	r->txn_issuances = r->txn_changes = r->txn_sightings = 0;
	fold_into_held(r);
	if ((rc = write_writes(r, r->in_input, err)))
		return rc;
	if (!r->in_input)
		return 0;
	r->in_input = 0;
	return r->store->ops->savepoint(r->store, WDN_SAVE_KEEP, err);
}

int wdn_recorder_group_full(const struct wdn_recorder *r)
{
	return r->nheld >= GROUP_SIGHTINGS;
}

int wdn_recorder_discard(struct wdn_recorder *r, struct wdn_err *err)
{
	drop_seen(r->table, &r->nseen);
	drop_writes(r);
	r->issuances -= r->txn_issuances;
	r->changes -= r->txn_changes;
	r->sightings -= r->txn_sightings;
	r->txn_issuances = r->txn_changes = r->txn_sightings = 0;
	if (r->group) { /* the input's records only: the group's others stay */
		if (!r->in_input)
			return 0;
		r->in_input = 0;
		return r->store->ops->savepoint(r->store, WDN_SAVE_UNDO, err);
	}
	if (!r->in_txn)
		return 0;
	r->in_txn = 0;
	return r->store->ops->rollback ? r->store->ops->rollback(r->store, err) : 0;
}

static char *dup(struct wdn_str v)
{
	return v.ptr ? wdn_strndup(v.ptr, v.len) : NULL;
}

/* A use's ARN, type or account v, where the sighting has *have: the least
 * is kept (see take_least); a copy only when v is less (rare). */
static int keep_least(char **have, struct wdn_str v, struct wdn_err *err)
{
	char *copy;
	int c;

	if (!v.ptr)
		return 0;
	/* one pass, no strlen: v holds no NUL (identity_fits), so strncmp
	 * stops where *have ends or differs */
	if (*have && ((c = strncmp(*have, v.ptr, v.len)) < 0 || (!c && !(*have)[v.len])))
		return 0; /* *have is less, or the same */
	if (!(copy = dup(v)))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	free(*have);
	*have = copy;
	return 0;
}

/* Fold one use of a key into the sightings of this batch: on a key and
 * principal already seen (most events), no allocation and no copy. */
static int sight(struct wdn_recorder *r, const struct wdn_event *ev, int64_t t, struct wdn_err *err)
{
	struct wdn_str key = ev->f[WDN_F_UI_KEY], principal;
	char buf[WDN_PRINCIPAL_BUF];
	struct seen *e;
	uint64_t h;
	size_t b;
	unsigned long nomem;

	principal = wdn_event_principal(ev, buf);
	h = hash_of(r, key, principal);
	b = h & (NBUCKETS - 1);
	if ((e = find(r->table, h, key, principal))) {
		if (t < e->s.first)
			e->s.first = t;
		if (t > e->s.last)
			e->s.last = t;
		return keep_least(&e->s.arn, ev->f[WDN_F_UI_ARN], err) ||
		       keep_least(&e->s.type, ev->f[WDN_F_UI_TYPE], err) ||
		       keep_least(&e->s.account, ev->f[WDN_F_UI_ACCOUNT], err) ? WDN_ENOMEM : 0;
	}
	nomem = wdn_nomem_count();
	if (!(e = calloc(1, sizeof(*e))))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	e->hash = h;
	e->s.key_id = dup(key);
	e->key_len = key.len;
	e->s.principal = dup(principal);
	e->principal_len = principal.len;
	e->s.arn = dup(ev->f[WDN_F_UI_ARN]);
	e->s.type = dup(ev->f[WDN_F_UI_TYPE]);
	e->s.account = dup(ev->f[WDN_F_UI_ACCOUNT]);
	e->s.first = e->s.last = t;
	if (!e->s.key_id || wdn_nomem_count() != nomem) {
		/* a copy lost is no field absent: never "used by nobody" */
		wdn_sighting_release(&e->s);
		free(e);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	e->next = r->table[b];
	r->table[b] = e;
	/* keys seen: in each input anew when grouping, as when each input
	 * was flushed alone; when holding, once */
	if (r->group || !find(r->held, h, key, principal)) {
		r->sightings++;
		r->txn_sightings++;
	}
	if (++r->nseen >= SIGHTINGS_MAX)
		return write_seen(r, r->table, &r->nseen, 1, err); /* within the input's transaction */
	return 0;
}

static int copy_change(struct wdn_change *k, const struct wdn_change *c)
{
	unsigned long nomem = wdn_nomem_count();

	k->subject = wdn_strdup(c->subject);
	k->time = c->time;
	k->event_id = wdn_strdup(c->event_id);
	k->kind = wdn_strdup(c->kind);
	k->data = wdn_strdup(c->data);
	return wdn_nomem_count() != nomem ? WDN_ENOMEM : 0;
}

static int put_change(void *ctx, const struct wdn_change *c)
{
	struct wdn_recorder *r = ctx;
	struct held *w;
	int rc;

	if (!r->group) {
		rc = r->store->ops->put_change(r->store, c, r->cerr);
	} else if (!(w = calloc(1, sizeof(*w))) || copy_change(&w->change, c)) {
		if (w)
			wdn_change_release(&w->change);
		free(w);
		rc = wdn_err_set(r->cerr, WDN_ENOMEM, "out of memory");
	} else {
		w->is_change = 1;
		rc = hold_write(r, w, sizeof(*w) + len_of(c->subject) + len_of(c->data), r->cerr);
	}
	if (rc)
		return rc;
	r->changes++;
	r->txn_changes++;
	if (r->nlast_changes < sizeof(r->last_changes) / sizeof(r->last_changes[0])) {
		/* never a change reported without its subject */
		if (copy_change(&r->last_changes[r->nlast_changes++], c))
			return wdn_err_set(r->cerr, WDN_ENOMEM, "out of memory");
	}
	return 0;
}

static int nul_in_string(struct wdn_err *err)
{
	return wdn_err_set(err, WDN_EINVAL, "a name holds a NUL character (\\u0000), as no AWS name does");
}

/* The caller's identity as a store will hold it: no hostile key ID
 * (WDN_KEY_BAD), ARNs and names no longer than WDN_ARN_MAX. Anything else
 * would fail a whole DynamoDB batch, so the record is rejected before any
 * store sees it. */
static int identity_fits(const struct wdn_event *ev, int *key_class, struct wdn_err *err)
{
	static const int names[] = {
		WDN_F_UI_ARN, WDN_F_UI_ISSUER_ARN, WDN_F_UI_TYPE, WDN_F_UI_ACCOUNT, WDN_F_UI_INVOKED_BY,
	};
	struct wdn_str key = ev->f[WDN_F_UI_KEY];
	size_t i;

	*key_class = key.ptr && key.len ? wdn_key_id_check(key.ptr, key.len) : WDN_KEY_BAD;
	if (key.ptr && key.len && *key_class == WDN_KEY_BAD)
		return wdn_err_set(err, WDN_EINVAL,
				   "userIdentity.accessKeyId of %zu bytes is not an access key ID "
				   "(16 to 128 of A-Z, 0-9)", key.len);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ev->f[names[i]].len > WDN_ARN_MAX)
			return wdn_err_set(err, WDN_EINVAL, "userIdentity: an ARN or name of %zu bytes "
					   "(the most is %d)", ev->f[names[i]].len, WDN_ARN_MAX);
		if (ev->f[names[i]].ptr && memchr(ev->f[names[i]].ptr, '\0', ev->f[names[i]].len))
			return nul_in_string(err);
	}
	if (key.ptr && memchr(key.ptr, '\0', key.len))
		return nul_in_string(err);
	return 0;
}

/* Does JSON text hold an escaped NUL (\u0000)? Its strings end there once
 * in C: "role/Admin\u0000x" would be read as role/Admin. */
static int has_nul_escape(struct wdn_str raw)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len, *u;
	size_t slashes;

	if (!raw.len || !memchr(raw.ptr, '\\', raw.len)) /* most events: no escape at all */
		return 0;
	while (p < end && (u = memmem(p, (size_t)(end - p), "u0000", 5))) {
		for (slashes = 0; (size_t)(u - raw.ptr) > slashes && u[-1 - (ptrdiff_t)slashes] == '\\';
		     slashes++)
			;
		if (slashes % 2)
			return 1;
		p = u + 5;
	}
	return 0;
}

/* A source is a log file: a path or an s3:// URI. An event delivered in a
 * message (EventBridge through Lambda, SQS or SNS: named lambda:, sqs:,
 * sns: and its ID) was read from no file, and a redelivery must not move it. */
static int is_file(const char *input)
{
	return input && strncmp(input, "lambda:", 7) && strncmp(input, "sqs:", 4) &&
	       strncmp(input, "sns:", 4);
}

int wdn_recorder_event(struct wdn_recorder *r, const struct wdn_event *ev,
		       struct wdn_record_result *res, struct wdn_err *err)
{
	struct wdn_str t = ev->f[WDN_F_EVENT_TIME];
	const struct wdn_str *plain = NULL;
	int64_t when;
	wdn_json tree;
	int rc, issues, changes, key_class;

	if (res) {
		res->issuance = NULL;
		res->changes = r->last_changes;
		res->nchanges = 0;
	}
	while (r->nlast_changes)
		wdn_change_release(&r->last_changes[--r->nlast_changes]);
	if (wdn_time_parse(t.ptr, t.len, &when))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.*s' is not a time",
				   (int)(t.len > 40 ? 40 : t.len), t.ptr);
	if ((rc = identity_fits(ev, &key_class, err)))
		return rc;
	/* a masked key (a sample's AKIA****) names no key: no sighting */
	if (key_class == WDN_KEY_ID && (rc = sight(r, ev, when, err)))
		return rc;
	if (ev->f[WDN_F_ERROR_CODE].ptr)
		return 0;
	issues = wdn_event_issues(ev->f[WDN_F_EVENT_NAME]);
	changes = wdn_event_changes_anything(ev->f[WDN_F_EVENT_NAME]);
	if (!issues && !changes)
		return 0;
	if (has_nul_escape(ev->raw))
		return nul_in_string(err);
	/* plain text (compact, no backslash) is parsed by simdjson, into a tree
	 * of what the rules read, and stored as it is (redacted); any other, or
	 * when not sure, by yajl, and the stored event is its tree serialized */
	if (wdn_fast_event_tree && (tree = wdn_fast_event_tree(ev->raw.ptr, ev->raw.len)))
		plain = &ev->raw;
	else if (!(tree = wdn_json_parse_bounded(ev->raw.ptr, ev->raw.len, WDN_MAX_ELEMENTS, err)))
		return err && err->code == WDN_ENOMEM ? WDN_ENOMEM : WDN_EINVAL; /* a bad record */
	if (changes) {
		r->cerr = err;
		if ((!r->group && (rc = begin(r, 1, err))) ||
		    (rc = wdn_event_changes(tree, put_change, r, err))) {
			if (!plain)
				wdn_json_free(tree);
			return rc;
		}
		if (res)
			res->nchanges = r->nlast_changes;
	}
	rc = park_last(r, err);
	if (!rc && issues)
		rc = wdn_event_issuance(tree, plain, &r->last, err);
	if (!plain) /* (the fast tree is its parser's) */
		wdn_json_free(tree);
	if (rc <= 0)
		return rc;
	/* where it was read: the answer's provenance, and the key to its integrity */
	if (is_file(ev->input) && !(r->last.source = wdn_strdup(ev->input)))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!r->group &&
	    ((rc = begin(r, 1, err)) || (rc = r->store->ops->put_issuance(r->store, &r->last, err))))
		return rc;
	r->issuances++;
	r->txn_issuances++;
	if (res)
		res->issuance = &r->last;
	if (!r->group)
		return 0;
	r->last_held = 1; /* till the input's end; the result meanwhile */
	/* its size, near enough for a cap: the event's text, and 512 bytes for
	 * the strings taken from it (short in practice, at most about the
	 * text's size again) */
	return held_more(r, sizeof(struct held) + len_of(r->last.event) + 512, err);
}
