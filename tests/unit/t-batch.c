/*
 * Hold and prefetch (batch.c): items come back in order, a batch is full at
 * its count or its bytes, one bulk read ahead per batch with the keys it
 * holds, an item that stops the batch keeps those before it, empty batches
 * read nothing, one item bigger than the byte limit is a batch of its own.
 * The store is a fake whose bulk reads are counted and whose reads note keys.
 */
#include "tap.h"
#include "wdn.h"
#include "batch.h"
#include "event.h"
#include "store.h"
#include "str.h"

#include <stdlib.h>

/* ---- a store that only counts ---------------------------------------------- */

static int gathering, rounds, reads_noted;
static char asked[4096];        /* keys read while gathering, space-separated */

/* key and a space at the end of list */
static void append(char *list, size_t size, const char *key)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%s ", key);
}

static void note(const char *key)
{
	if (!gathering)
		return;
	reads_noted++;
	append(asked, sizeof(asked), key);
}

static int f_get_issuance(struct wdn_store *s, const char *key, int64_t at, struct wdn_issuance *out,
			  struct wdn_err *err)
{
	note(key);
	return WDN_ENOTFOUND;
}

static int f_next_issuance(struct wdn_store *s, const char *key, int64_t after, int64_t *start,
			   struct wdn_err *err)
{
	return WDN_ENOTFOUND;
}

static int f_get_sighting(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			  struct wdn_err *err)
{
	return WDN_ENOTFOUND;
}

static int f_changes(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb, void *ctx,
		     struct wdn_err *err)
{
	return 0;
}

static int f_children(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx, struct wdn_err *err)
{
	return 0;
}

static int f_get_source(struct wdn_store *s, const char *source, int *integrity, struct wdn_err *err)
{
	return WDN_ENOTFOUND;
}

/* Each round reads what it noted: one round per batch, as nothing is found. */
static int f_gather(struct wdn_store *s, int on, struct wdn_err *err)
{
	if (on) {
		gathering = 1;
		reads_noted = 0;
		return 0;
	}
	gathering = 0;
	if (reads_noted)
		rounds++;
	return 0;
}

static const struct wdn_store_ops fake_ops = {
	.kind = "fake",
	.get_issuance = f_get_issuance,
	.next_issuance = f_next_issuance,
	.get_sighting = f_get_sighting,
	.changes = f_changes,
	.children = f_children,
	.get_source = f_get_source,
	.gather = f_gather,
};
static struct wdn_store fake = { &fake_ops, (char *)"fake" };

/* ---- items ------------------------------------------------------------------ */

struct item {
	char key[32];
	int fail;       /* each() returns this */
	int handed, dropped;
};

static char order[1024];  /* the items' keys as handed back */

static int each(void *ctx, void *p)
{
	struct item *it = p;

	(void)ctx;
	it->handed++;
	append(order, sizeof(order), it->key);
	return it->fail;
}

static void drop(void *ctx, void *p)
{
	struct item *it = p;

	(void)ctx;
	it->dropped++;
}

static void mkitems(struct item *v, size_t n)
{
	size_t i;

	memset(v, 0, n * sizeof(*v));
	for (i = 0; i < n; i++)
		snprintf(v[i].key, sizeof(v[i].key), "ASIAEXAMPLE%09zu", i);
}

static void reset(void)
{
	rounds = 0;
	order[0] = asked[0] = '\0';
}

static void test_order(void)
{
	struct item v[5];
	struct wdn_batch *b = wdn_batch_new(&fake, 10, 1 << 20, each, drop, NULL);
	size_t i;
	int full = 0;

	reset();
	mkitems(v, 5);
	for (i = 0; i < 5; i++)
		full |= wdn_batch_add(b, &v[i], 10, v[i].key, WDN_TIME_MAX, NULL);
	is_int(full, 0, "five of ten items: not full");
	is_int(wdn_batch_count(b), 5, "five held");
	is_str(order, "", "nothing handed back before the release");
	is_int(wdn_batch_release(b), 0, "release");
	is_str(order, "ASIAEXAMPLE000000000 ASIAEXAMPLE000000001 ASIAEXAMPLE000000002 "
	       "ASIAEXAMPLE000000003 ASIAEXAMPLE000000004 ", "handed back in order");
	is_int(rounds, 1, "one bulk read for the batch");
	is_str(asked, "ASIAEXAMPLE000000000 ASIAEXAMPLE000000001 ASIAEXAMPLE000000002 "
	       "ASIAEXAMPLE000000003 ASIAEXAMPLE000000004 ", "every key read ahead, in order");
	is_int(wdn_batch_count(b), 0, "empty after the release");
	wdn_batch_free(b);
}

/* Keys left out (NULL) and a key again: read ahead once, items all handed back. */
static void test_keys(void)
{
	struct item v[4];
	struct wdn_batch *b = wdn_batch_new(&fake, 10, 1 << 20, each, drop, NULL);

	reset();
	mkitems(v, 4);
	memcpy(v[2].key, v[0].key, sizeof(v[0].key));
	ok(!wdn_batch_add(b, &v[0], 1, v[0].key, WDN_TIME_MAX, NULL), "add");
	ok(!wdn_batch_add(b, &v[1], 1, NULL, WDN_TIME_MAX, NULL), "add without a key");
	ok(!wdn_batch_add(b, &v[2], 1, v[2].key, WDN_TIME_MAX, NULL), "add a key again");
	ok(!wdn_batch_add(b, &v[3], 1, v[3].key, WDN_TIME_MAX, NULL), "add");
	is_int(wdn_batch_release(b), 0, "release");
	is_int(v[0].handed + v[1].handed + v[2].handed + v[3].handed, 4, "all four handed back");
	is_str(asked, "ASIAEXAMPLE000000000 ASIAEXAMPLE000000003 ", "the key again and no key: not read ahead");
	wdn_batch_free(b);
}

/* Full at max_items, and at max_bytes, for several sizes. */
static void test_limits(void)
{
	static const size_t counts[] = { 1, 2, 3, 7, 100 };
	struct item v[100];
	size_t c, i;
	int r = 0;

	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct wdn_batch *b = wdn_batch_new(&fake, counts[c], (size_t)-1, each, drop, NULL);

		mkitems(v, counts[c]);
		for (i = 0; i < counts[c]; i++)
			if ((r = wdn_batch_add(b, &v[i], 1, v[i].key, 0, NULL)) && i + 1 < counts[c])
				break;
		is_int(i, counts[c], "%zu items: not full before the last", counts[c]);
		is_int(r, 1, "%zu items: full at the last", counts[c]);
		is_int(wdn_batch_add(b, &v[0], 1, NULL, 0, NULL), WDN_ETOOBIG, "%zu items: one more refused",
		       counts[c]);
		is_int(wdn_batch_count(b), counts[c], "%zu items: the refused one not held", counts[c]);
		wdn_batch_free(b);
	}
	for (c = 1; c <= 5; c++) {
		struct wdn_batch *b = wdn_batch_new(&fake, 100, 100 * c, each, drop, NULL);

		mkitems(v, 100);
		for (i = 0; i < 100 && !(r = wdn_batch_add(b, &v[i], 30, v[i].key, 0, NULL)); i++)
			;
		/* 30 bytes each: full at the first to reach the limit */
		is_int(wdn_batch_count(b), (100 * c + 29) / 30, "%zu bytes: full at %zu items", 100 * c,
		       (100 * c + 29) / 30);
		wdn_batch_free(b);
	}
}

/* An item that fails stops the batch: those before it were handed back,
 * those after dropped, its code returned; the batch goes on after. */
static void test_failure(void)
{
	static const size_t at[] = { 0, 3, 9 };
	struct item v[10];
	size_t k, i;

	for (k = 0; k < 3; k++) {
		struct wdn_batch *b = wdn_batch_new(&fake, 10, 1 << 20, each, drop, NULL);
		int handed = 0, dropped = 0, wrong = 0;

		reset();
		mkitems(v, 10);
		v[at[k]].fail = WDN_EIO;
		for (i = 0; i < 10; i++)
			if (wdn_batch_add(b, &v[i], 1, v[i].key, 0, NULL) < 0)
				wrong++;
		is_int(wdn_batch_release(b), WDN_EIO, "failing at %zu: its code", at[k]);
		for (i = 0; i < 10; i++) {
			handed += v[i].handed;
			dropped += v[i].dropped;
			wrong += i <= at[k] ? v[i].handed != 1 || v[i].dropped : v[i].handed || v[i].dropped != 1;
		}
		is_int(handed, (int)at[k] + 1, "failing at %zu: the good ones before it and it handed back", at[k]);
		is_int(dropped, 9 - (int)at[k], "failing at %zu: the rest dropped", at[k]);
		is_int(wrong, 0, "failing at %zu: each item handed or dropped once", at[k]);
		v[at[k]].fail = 0;
		ok(!wdn_batch_add(b, &v[0], 1, v[0].key, 0, NULL) && !wdn_batch_release(b),
		   "failing at %zu: the next batch goes on", at[k]);
		wdn_batch_free(b);
	}
}

static void test_empty(void)
{
	struct wdn_batch *b = wdn_batch_new(&fake, 10, 100, each, drop, NULL);
	struct item v[3];

	reset();
	is_int(wdn_batch_release(b), 0, "an empty batch: released");
	is_int(rounds, 0, "an empty batch: nothing read");
	is_str(order, "", "an empty batch: nothing handed back");
	wdn_batch_free(b);
	/* no store, or one without bulk reads: items all the same */
	b = wdn_batch_new(NULL, 10, 100, each, drop, NULL);
	mkitems(v, 3);
	ok(!wdn_batch_add(b, &v[0], 1, v[0].key, 0, NULL) && !wdn_batch_add(b, &v[1], 1, v[1].key, 0, NULL),
	   "no store: held");
	is_int(wdn_batch_release(b), 0, "no store: released");
	is_int(v[0].handed + v[1].handed, 2, "no store: handed back");
	/* what is still held at free is dropped */
	ok(!wdn_batch_add(b, &v[2], 1, v[2].key, 0, NULL), "held at the end");
	wdn_batch_free(b);
	is_int(v[2].dropped, 1, "held at free: dropped, not handed back");
	is_int(v[2].handed, 0, "held at free: not handed back");
}

/* One item bigger than the byte limit: a batch of its own, handed back. */
static void test_huge(void)
{
	struct wdn_batch *b = wdn_batch_new(&fake, 1000, 16u << 20, each, drop, NULL);
	struct item v[2];

	reset();
	mkitems(v, 2);
	ok(!wdn_batch_add(b, &v[0], 10, v[0].key, 0, NULL), "a small item: not full");
	is_int(wdn_batch_add(b, &v[1], (size_t)1 << 40, v[1].key, 0, NULL), 1, "a huge item: full");
	is_int(wdn_batch_release(b), 0, "released");
	is_str(order, "ASIAEXAMPLE000000000 ASIAEXAMPLE000000001 ", "both handed back, in order");
	b = (wdn_batch_free(b), wdn_batch_new(&fake, 1000, 100, each, drop, NULL));
	mkitems(v, 1);
	is_int(wdn_batch_add(b, &v[0], 101, v[0].key, 0, NULL), 1, "alone and over the limit: full at once");
	is_int(wdn_batch_release(b), 0, "released");
	is_int(v[0].handed, 1, "handed back");
	wdn_batch_free(b);
}

/* Sightings given with keys are the batch's: released with it (leaks show under asan). */
static void test_sightings(void)
{
	struct wdn_batch *b = wdn_batch_new(&fake, 3, 1 << 20, each, drop, NULL);
	struct item v[4];
	struct wdn_sighting si;
	size_t i;

	reset();
	mkitems(v, 4);
	memcpy(v[1].key, v[0].key, sizeof(v[0].key));
	for (i = 0; i < 3; i++) {
		memset(&si, 0, sizeof(si));
		si.key_id = wdn_strdup(v[i].key);
		si.principal = wdn_strdup("arn:aws:iam::111122223333:role/r");
		si.first = si.last = 1000;
		if (wdn_batch_add(b, &v[i], 1, v[i].key, 1000, &si) < 0)
			break;
	}
	is_int(i, 3, "three with sightings held (one a key again)");
	memset(&si, 0, sizeof(si));
	si.key_id = wdn_strdup(v[3].key);
	is_int(wdn_batch_add(b, &v[3], 1, v[3].key, 1000, &si), WDN_ETOOBIG, "refused: its sighting released");
	is_int(wdn_batch_release(b), 0, "released");
	is_int(v[0].handed + v[1].handed + v[2].handed, 3, "handed back");
	wdn_batch_free(b);
}

int main(void)
{
	test_order();
	test_keys();
	test_limits();
	test_failure();
	test_empty();
	test_huge();
	test_sightings();
	return done_testing();
}
