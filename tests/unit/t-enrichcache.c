/*
 * The enricher's shared answer cache is a budget taken whole when it is made
 * (WDN_ENRICH_CACHE_BYTES): what it holds never grows past it however many
 * keys a run meets, and no answer allocates. Built with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free (Makefile), so
 * the library's own allocations are counted. What it drops is
 * the oldest: a key answered lately is still answered, and so is a key
 * asked for all along, however long ago it was first answered. The links
 * near a chain's root, shared by many keys, are read from the store once
 * for as long as what it gives for them stays the same.
 */
#include "tap.h"
#include "wdn.h"
#include "datetime.h"
#include "enrich.h"
#include "event.h"
#include "store.h"
#include "str.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the library's allocations, counted ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static long long live_bytes, live_blocks; /* held now */
static unsigned long long allocs;         /* calls that allocated */

static void *counted(void *p, size_t was)
{
	if (p) {
		live_bytes += (long long)malloc_usable_size(p) - (long long)was;
		live_blocks += !was;
		allocs++;
	}
	return p;
}

void *__wrap_malloc(size_t n)
{
	return counted(__real_malloc(n), 0);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return counted(__real_calloc(n, size), 0);
}

void *__wrap_realloc(void *p, size_t n)
{
	size_t was = p ? malloc_usable_size(p) : 0;
	void *q = __real_realloc(p, n);

	if (!q)
		return NULL;
	if (!p)
		return counted(q, 0);
	live_bytes -= (long long)was;
	live_blocks--;
	return counted(q, 0);
}

void __wrap_free(void *p)
{
	if (p) {
		live_bytes -= (long long)malloc_usable_size(p);
		live_blocks--;
	}
	__real_free(p);
}

#define TIME "2021-07-01T00:00:00Z"

static struct wdn_buf line = WDN_BUF_INIT; /* enrich_key's, kept: its own growth is not the cache's */

/* Enrich one event of key number i (no store: answers from userIdentity). */
static int enrich_key(struct wdn_enricher *e, unsigned i, int ask_only)
{
	char key[32], raw[256];
	struct wdn_event ev;
	struct wdn_err err = { 0 };
	int n;

	snprintf(key, sizeof(key), "AKIA%016u", i);
	n = snprintf(raw, sizeof(raw),
		     "{\"eventTime\":\"" TIME "\",\"userIdentity\":{\"type\":\"IAMUser\","
		     "\"arn\":\"arn:aws:iam::111122223333:user/u%u\",\"accessKeyId\":\"%s\"}}", i, key);
	memset(&ev, 0, sizeof(ev));
	ev.raw.ptr = raw;
	ev.raw.len = (size_t)n;
	ev.f[WDN_F_EVENT_TIME] = wdn_str_of(TIME);
	ev.f[WDN_F_UI_KEY] = wdn_str_of(key);
	if (ask_only) {
		int64_t t = 1625097600; /* TIME */

		return wdn_enricher_knows(e, &ev, t);
	}
	wdn_buf_reset(&line);
	return wdn_enrich_event(e, &ev, &line, &err);
}


/* ---- a store of one chain: children -> a parent key issued twice -> a user key
 * it has no issuance for; counts what it is asked ---- */

#define T0 1625097600 /* TIME */
#define NCHILD 180    /* one a minute: across both windows of the parent and the gap */
#define PARENT "ASIAPARENTKEY0000001"
#define USERKEY "AKIAUSERKEY000000001"

static unsigned reads_parent, reads_user, reads_other;

/* The parent's windows: role/a for [T0, T0+3600], role/b from T0+7200 on. */
static const struct {
	int64_t start, end;
	const char *role;
} parent_win[] = { { T0, T0 + 3600, "a" }, { T0 + 7200, T0 + 10800, "b" } };

static void fill(struct wdn_issuance *out, const char *key, int64_t start, int64_t end, const char *role,
		 const char *caller)
{
	char arn[128];

	memset(out, 0, sizeof(*out));
	snprintf(arn, sizeof(arn), "arn:aws:iam::111122223333:role/%s", role);
	out->key_id = wdn_strdup(key);
	out->start = start;
	out->end = end;
	out->event_name = wdn_strdup("AssumeRole");
	out->principal = wdn_strdup(arn);
	out->account = wdn_strdup("111122223333");
	out->caller_key = wdn_strdup(caller);
	out->caller_type = wdn_strdup("IAMUser");
	out->caller_arn = wdn_strdup("arn:aws:iam::111122223333:user/u");
	out->caller_principal = wdn_strdup("arn:aws:iam::111122223333:user/u");
	out->caller_account = wdn_strdup("111122223333");
	out->event = wdn_strdup("{}");
}

/* The store's rule: the window that holds at, else the latest before it. */
static int fake_get_issuance(struct wdn_store *s, const char *key, int64_t at, struct wdn_issuance *out,
			     struct wdn_err *err)
{
	unsigned i;
	int w;

	(void)s;
	(void)err;
	memset(out, 0, sizeof(*out));
	if (!strcmp(key, PARENT)) {
		reads_parent++;
		for (w = 1; w >= 0; w--)
			if (parent_win[w].start <= at && at <= parent_win[w].end)
				break;
		if (w < 0 && at >= parent_win[0].start) /* in no window: the latest before */
			w = at >= parent_win[1].start ? 1 : 0;
		if (w < 0)
			return WDN_ENOTFOUND;
		fill(out, PARENT, parent_win[w].start, parent_win[w].end, parent_win[w].role, USERKEY);
		return 0;
	}
	if (!strcmp(key, USERKEY)) {
		reads_user++;
		return WDN_ENOTFOUND;
	}
	reads_other++;
	if (sscanf(key, "ASIACHILD%u", &i) != 1 || i >= NCHILD || at < T0 + 60 * (int64_t)i)
		return WDN_ENOTFOUND;
	fill(out, key, T0 + 60 * (int64_t)i, T0 + 60 * (int64_t)i + 900, "c", PARENT);
	return 0;
}

static int fake_next_issuance(struct wdn_store *s, const char *key, int64_t after, int64_t *start,
			      struct wdn_err *err)
{
	unsigned i;
	int w;

	(void)s;
	(void)err;
	if (!strcmp(key, PARENT)) {
		for (w = 0; w < 2; w++)
			if (parent_win[w].start > after) {
				*start = parent_win[w].start;
				return 0;
			}
	} else if (sscanf(key, "ASIACHILD%u", &i) == 1 && i < NCHILD && T0 + 60 * (int64_t)i > after) {
		*start = T0 + 60 * (int64_t)i;
		return 0;
	}
	return WDN_ENOTFOUND;
}

static int fake_get_sighting(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			     struct wdn_err *err)
{
	(void)s, (void)key, (void)at, (void)err;
	memset(out, 0, sizeof(*out));
	return WDN_ENOTFOUND;
}

static int fake_changes(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb, void *ctx,
			struct wdn_err *err)
{
	(void)s, (void)subject, (void)until, (void)cb, (void)ctx, (void)err;
	return 0;
}

static int fake_children(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx,
			 struct wdn_err *err)
{
	(void)s, (void)key, (void)cb, (void)ctx, (void)err;
	return 0;
}

static int fake_get_source(struct wdn_store *s, const char *source, int *integrity, struct wdn_err *err)
{
	(void)s, (void)source, (void)integrity, (void)err;
	return WDN_ENOTFOUND;
}

static int fake_covers(struct wdn_store *s, const char *account, wdn_cover_fn cb, void *ctx,
		       struct wdn_err *err)
{
	(void)s, (void)account, (void)cb, (void)ctx, (void)err;
	return 0;
}

static const struct wdn_store_ops fake_ops = {
	.kind = "fake",
	.get_issuance = fake_get_issuance,
	.next_issuance = fake_next_issuance,
	.get_sighting = fake_get_sighting,
	.changes = fake_changes,
	.children = fake_children,
	.get_source = fake_get_source,
	.covers = fake_covers,
};

/* The enriched line of child i's event, a minute into its session; NULL if it failed. */
static char *enrich_child(struct wdn_enricher *e, unsigned i)
{
	char key[32], when[32], raw[512];
	struct wdn_event ev;
	struct wdn_buf out = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	int n;

	snprintf(key, sizeof(key), "ASIACHILD%011u", i);
	wdn_time_format(T0 + 60 * (int64_t)i + 60, when);
	n = snprintf(raw, sizeof(raw),
		     "{\"eventTime\":\"%s\",\"userIdentity\":{\"type\":\"AssumedRole\","
		     "\"arn\":\"arn:aws:sts::111122223333:assumed-role/c/s%u\",\"accessKeyId\":\"%s\"}}",
		     when, i, key);
	memset(&ev, 0, sizeof(ev));
	ev.raw.ptr = raw;
	ev.raw.len = (size_t)n;
	ev.f[WDN_F_EVENT_TIME] = wdn_str_of(when);
	ev.f[WDN_F_UI_KEY] = wdn_str_of(key);
	if (wdn_enrich_event(e, &ev, &out, &err)) {
		printf("# child %u: %s\n", i, err.msg);
		wdn_buf_release(&out);
		return NULL;
	}
	return wdn_buf_detach(&out, NULL);
}

/* Every child with one enricher reads the parent and the user key behind it
 * once a window, not once a child; each line as one enricher of its own writes it. */
static void test_shared_links(void)
{
	struct wdn_store st = { &fake_ops, (char *)"fake" };
	struct wdn_enricher *shared = wdn_enricher_new(&st, NULL);
	char *alone[NCHILD];
	unsigned i, differ = 0, wrong = 0;

	for (i = 0; i < NCHILD; i++) {
		struct wdn_enricher *e = wdn_enricher_new(&st, NULL);

		alone[i] = enrich_child(e, i);
		wdn_enricher_free(e);
	}
	reads_parent = reads_user = reads_other = 0;
	for (i = 0; i < NCHILD; i++) {
		char *got = enrich_child(shared, i);
		/* role/a in its window and in the gap after it (the latest before), then role/b */
		const char *role = 60 * (int64_t)i >= 7200 ? "role/b\"" : "role/a\"";

		if (!got || !alone[i] || strcmp(got, alone[i])) {
			if (!differ++)
				printf("#   child %u: alone %s\n#   shared %s\n", i, alone[i] ? alone[i] : "-", got ? got : "-");
		}
		if (!got || !strstr(got, role)) {
			if (!wrong++)
				printf("#   child %u: want %s in %s\n", i, role, got ? got : "-");
		}
		free(got);
		free(alone[i]);
	}
	is_int(differ, 0, "%u keys sharing a parent, one enricher: each line as enriched alone", NCHILD);
	is_int(wrong, 0, "each with the parent's window at its own start");
	is_int(reads_other, NCHILD, "each key's own issuance read once");
	ok(reads_parent <= 3, "the parent's issuance read once for each of its windows and the gap (%u reads for %u keys)",
	   reads_parent, NCHILD);
	ok(reads_user <= 3, "the user key behind it, which has none, likewise (%u reads)", reads_user);
	wdn_enricher_free(shared);
}

/* The budget is taken whole when the cache is made, and what it holds stays
 * inside it: answers for more keys than it holds, of several sizes, leave no
 * block and no byte more behind them, and one from the cache allocates nothing. */
static void test_budget(void)
{
	long long bytes = live_bytes, blocks, held;
	struct wdn_enrich_cache *c = wdn_enrich_cache_new();
	struct wdn_enricher *e;
	/* keys numbered in three lengths: answers of three sizes */
	static const unsigned base[] = { 1000000, 10000000, 1000000000 };
	unsigned i, n, round, bad = 0;
	unsigned long long before;

	held = live_bytes - bytes;
	ok(c && held >= (long long)WDN_ENRICH_CACHE_BYTES && held <= (long long)WDN_ENRICH_CACHE_BYTES + (256 << 10),
	   "a cache takes its budget of %u bytes when made (%lld)", WDN_ENRICH_CACHE_BYTES, held);
	e = wdn_enricher_new(NULL, c);
	/* the enricher's scratch and its copies of answers (1024 slots by
	 * hash) grown to their size: enough keys that every slot is taken */
	for (i = 0; i < 20000; i++)
		bad += enrich_key(e, 3000000000u + i, 0) != 0;
	bytes = live_bytes;
	blocks = live_blocks;
	/* past the budget twice */
	n = WDN_ENRICH_CACHE_BYTES / 100;
	for (round = 0; round < 3; round++)
		for (i = 0; i < n / 3; i++)
			bad += enrich_key(e, base[round] + i, 0) != 0;
	is_int(bad, 0, "%u keys enriched", n);
	is_int(live_blocks - blocks, 0, "after answers for %u keys, no block more is held", n);
	ok(live_bytes - bytes <= 4096, "nor more than the scratch's growth (%lld bytes more)", live_bytes - bytes);
	/* the last keys are cached: asked again, from the cache, in an order
	 * the enricher's own copies miss */
	before = allocs;
	for (i = 0, bad = 0; i < 1000; i++)
		bad += enrich_key(e, base[2] + n / 3 - 1 - (i * 7919) % 1000, 0) != 0;
	is_int(bad, 0, "1000 cached keys asked again");
	is_int((long long)(allocs - before), 0, "answering them from the cache allocated nothing");
	wdn_enricher_free(e);
	wdn_enrich_cache_free(c);
}

int main(void)
{
	struct wdn_enrich_cache *c = wdn_enrich_cache_new();
	struct wdn_enricher *e = wdn_enricher_new(NULL, c);
	/* enough answers to fill the budget twice over (each takes some 300 bytes) */
	unsigned i, n = WDN_ENRICH_CACHE_BYTES / 100, bad = 0;

	ok(c && e, "an enricher with a shared cache");
	ok(!enrich_key(e, 0, 0), "key 0 enriched");
	ok(enrich_key(e, 0, 1), "key 0 then cached");
	for (i = 1; i <= n; i++)
		bad += enrich_key(e, i, 0) != 0;
	is_int(bad, 0, "%u more keys enriched", n);
	/* the budget full, twice over: the first key is gone */
	ok(!enrich_key(e, 0, 1), "the first key is no longer cached after %u others", n);
	/* and the latest ones are all there, across the last aging */
	for (i = n - 499, bad = 0; i <= n; i++)
		bad += !enrich_key(e, i, 1);
	is_int(bad, 0, "the last 500 keys are all still cached");
	/* a key in use all along stays, across every aging: a hit in the
	 * older generation keeps it (several keys, asked at several rates) */
	for (i = 0, bad = 0; i < 3; i++)
		bad += enrich_key(e, 900000000 + i, 0) != 0;
	for (i = 1; i <= n; i++) {
		unsigned k;

		bad += enrich_key(e, 2 * n + i, 0) != 0;
		for (k = 0; k < 3; k++)
			if (i % (50u << (2 * k)) == 0 && !enrich_key(e, 900000000 + k, 1))
				bad++;
	}
	is_int(bad, 0, "3 keys asked for every 50, 200 and 800 others stay cached across %u others", n);
	for (i = 0, bad = 0; i < 3; i++)
		bad += !enrich_key(e, 900000000 + i, 1);
	is_int(bad, 0, "and are still cached at the end");
	wdn_enricher_free(e);
	wdn_enrich_cache_free(c);
	test_budget();
	wdn_buf_release(&line);
	test_shared_links();
	return done_testing();
}
