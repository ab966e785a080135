/*
 * The recorder's per-event path and its flush (issue 15). A use of a key
 * already seen with the same principal (most events of a trail) costs no
 * allocation, whatever the caller's shape: an IAM user, a role's session
 * with or without sessionIssuer, a federated user, the root. A flush writes
 * the sightings in the store's key order (key ID, then principal), each
 * folded to its first and last use, whether held over flushes or not.
 */
#include "tap.h"
#include "wdn.h"
#include "recorder.h"
#include "store.h"
#include "str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The library's allocations, counted (the linker sends them here); with
 * fail_at set, that one (counted from 1) fails. */
static unsigned long allocs, fail_at;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static int failing(void)
{
	return ++allocs == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return failing() ? NULL : __real_realloc(p, n);
}

/* A store that keeps the sightings it is given, in order. */
#define MAXPUT 512
struct fake {
	struct wdn_store st;
	struct wdn_sighting put[MAXPUT];
	size_t n;
};

static int f_begin(struct wdn_store *s, struct wdn_err *err)
{
	(void)s;
	(void)err;
	return 0;
}

static int f_put_sighting(struct wdn_store *s, const struct wdn_sighting *si, struct wdn_err *err)
{
	struct fake *f = (struct fake *)s;
	struct wdn_sighting *k;

	(void)err;
	if (f->n == MAXPUT)
		return WDN_ENOMEM;
	k = &f->put[f->n++];
	k->key_id = si->key_id ? strdup(si->key_id) : NULL;
	k->principal = si->principal ? strdup(si->principal) : NULL;
	k->first = si->first;
	k->last = si->last;
	return 0;
}

static const struct wdn_store_ops fake_ops = {
	.kind = "fake",
	.fold_sightings = 1,
	.begin = f_begin,
	.commit = f_begin,
	.put_sighting = f_put_sighting,
};

static void fake_reset(struct fake *f)
{
	while (f->n) {
		f->n--;
		free(f->put[f->n].key_id);
		free(f->put[f->n].principal);
	}
}

/* The callers, each of its own shape */
static const struct {
	const char *type, *arn, *issuer;
} callers[] = {
	{ "IAMUser", "arn:aws:iam::111122223333:user/alice", NULL },
	{ "AssumedRole", "arn:aws:sts::111122223333:assumed-role/Admin/sess-1", NULL },
	{ "AssumedRole", "arn:aws:sts::111122223333:assumed-role/Admin/sess-1",
	  "arn:aws:iam::111122223333:role/Admin" },
	{ "AssumedRole", "arn:aws-cn:sts::444455556666:assumed-role/path-less/x", NULL },
	{ "AssumedRole", "arn:aws:sts::111122223333:assumed-role/NoSession", NULL },
	{ "FederatedUser", "arn:aws:sts::111122223333:federated-user/carol", NULL },
	{ "Root", "arn:aws:iam::111122223333:root", NULL },
	{ "Unknown", "not an ARN at all", NULL },
};
#define NCALLERS (sizeof(callers) / sizeof(callers[0]))

static const char *const keys[] = {
	"AKIAQQQQQQQQQQQQKEY1", "ASIAQQQQQQQQQQQQKEY2", "AKIAZZZZZZZZZZZZKEY3", "ASIAAAAAAAAAAAAAKEY4",
	"AKIAQQQQQQQQQQQQKEY10", "AKIAQQQQQQQQQQQQKEY0",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static struct wdn_event event(size_t key, size_t caller, const char *when)
{
	struct wdn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.input = "t-recorder";
	ev.raw = wdn_str_of("{}");
	ev.f[WDN_F_EVENT_NAME] = wdn_str_of("ListBuckets");
	ev.f[WDN_F_EVENT_TIME] = wdn_str_of(when);
	ev.f[WDN_F_UI_KEY] = wdn_str_of(keys[key]);
	ev.f[WDN_F_UI_TYPE] = wdn_str_of(callers[caller].type);
	ev.f[WDN_F_UI_ARN] = wdn_str_of(callers[caller].arn);
	ev.f[WDN_F_UI_ACCOUNT] = wdn_str_of("111122223333");
	if (callers[caller].issuer)
		ev.f[WDN_F_UI_ISSUER_ARN] = wdn_str_of(callers[caller].issuer);
	return ev;
}

static void test_no_allocation_on_a_hit(void)
{
	struct fake f = { { &fake_ops, NULL }, { { 0 } }, 0 };
	struct wdn_recorder *r = wdn_recorder_new(&f.st);
	struct wdn_err err;
	size_t c, k;
	int rc = 0;

	for (c = 0; c < NCALLERS; c++) {
		struct wdn_event ev = event(c % NKEYS, c, "2024-01-02T03:04:05Z");
		unsigned long before;

		rc |= wdn_recorder_event(r, &ev, NULL, &err);
		before = allocs;
		for (k = 0; k < 100; k++) {
			ev.f[WDN_F_EVENT_TIME] = wdn_str_of(k % 2 ? "2024-01-02T03:04:06Z" : "2024-01-02T03:04:04Z");
			rc |= wdn_recorder_event(r, &ev, NULL, &err);
		}
		is_int(allocs - before, 0, "%s %s: 100 more uses of a key seen, no allocation",
		       callers[c].type, callers[c].arn);
	}
	ok(!rc, "every event recorded");
	ok(!wdn_recorder_flush(r, &err), "flushed");
	is_int(f.n, NCALLERS, "one sighting per key and principal");
	for (k = 0; k < f.n; k++)
		ok(f.put[k].first == f.put[0].first && f.put[k].last == f.put[k].first + 2,
		   "%s: folded to its first and last use", f.put[k].key_id);
	wdn_recorder_free(r);
	fake_reset(&f);
}

static int before(const struct wdn_sighting *a, const struct wdn_sighting *b)
{
	int c = strcmp(a->key_id, b->key_id);

	return c ? c < 0 : strcmp(a->principal ? a->principal : "", b->principal ? b->principal : "") < 0;
}

/* Every key with every caller, over two flushes (held, then written) */
static void test_flush_in_key_order(int hold)
{
	struct fake f = { { &fake_ops, NULL }, { { 0 } }, 0 };
	struct wdn_recorder *r = wdn_recorder_new(&f.st);
	struct wdn_err err;
	size_t c, k, i, sorted = 1;
	int rc = 0;

	wdn_recorder_hold_sightings(r, hold);
	for (i = 0; i < 2; i++) {
		for (k = NKEYS; k-- > 0;)
			for (c = 0; c < NCALLERS; c++) {
				struct wdn_event ev = event(k, c, i ? "2024-01-02T00:00:02Z" : "2024-01-02T00:00:01Z");

				rc |= wdn_recorder_event(r, &ev, NULL, &err);
			}
		rc |= wdn_recorder_flush(r, &err);
	}
	if (hold) {
		wdn_recorder_hold_sightings(r, 0);
		rc |= wdn_recorder_flush(r, &err);
	}
	ok(!rc, "%s: every event recorded and flushed", hold ? "held" : "not held");
	is_int(f.n, NKEYS * (NCALLERS - 1) * (hold ? 1 : 2), "%s: every sighting written",
	       hold ? "held" : "not held");
	/* (two callers name the same principal: the role, with and without sessionIssuer) */
	for (i = 1; i < f.n; i++)
		if (!before(&f.put[i - 1], &f.put[i]) && !(!hold && i == f.n / 2) && sorted++ < 4)
			printf("# %s %s written before %s %s\n", f.put[i - 1].key_id, f.put[i - 1].principal,
			       f.put[i].key_id, f.put[i].principal);
	ok(sorted == 1, "%s: sightings written in (key ID, principal) order", hold ? "held" : "not held");
	wdn_recorder_free(r);
	fake_reset(&f);
}

/*
 * A new sighting with its Nth allocation failing, N = 1, 2, ...: the event
 * fails for want of memory, or its sighting is written whole. A copy lost
 * (a principal or key ID NULL) is no field absent: "key K used by nobody"
 * is a record the trail never held.
 */
static void test_new_sighting_out_of_memory(void)
{
	size_t c, bad = 0, runs = 0;

	for (c = 0; c < NCALLERS; c++) {
		unsigned long n;

		for (n = 1;; n++) {
			struct fake f = { { &fake_ops, NULL }, { { 0 } }, 0 };
			struct wdn_recorder *r = wdn_recorder_new(&f.st);
			struct wdn_event ev = event(c % NKEYS, c, "2024-01-02T03:04:05Z");
			struct wdn_err err;
			unsigned long start = allocs;
			int rc;

			fail_at = allocs + n;
			rc = wdn_recorder_event(r, &ev, NULL, &err);
			if (!rc)
				rc = wdn_recorder_flush(r, &err);
			fail_at = 0;
			runs++;
			if (!rc && (f.n != 1 || !f.put[0].key_id || !f.put[0].principal) && bad++ < 4)
				printf("# %s, allocation %lu failing: recorded %zu sighting(s), key %s, principal %s\n",
				       callers[c].arn, n, f.n, f.n && f.put[0].key_id ? f.put[0].key_id : "(null)",
				       f.n && f.put[0].principal ? f.put[0].principal : "(null)");
			wdn_recorder_free(r);
			fake_reset(&f);
			if (allocs - start < n) /* ran to the end without reaching N */
				break;
		}
	}
	is_int(bad, 0, "each of %zu runs with an allocation failing: an error, or the sighting whole", runs);
}

/* The recorder's sighting hash as lib/recorder.c had it, unseeded (to craft
 * collisions; seeded now, these merely stop colliding, or collide by chance). */
#define MUL 0x9e3779b97f4a7c15ULL
static uint64_t block(uint64_t h, const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	h = (h ^ w) * MUL;
	return h ^ h >> 29;
}

static uint64_t mix(uint64_t h, const char *p, size_t n)
{
	uint64_t w = 0;

	for (; n >= 8; p += 8, n -= 8)
		h = block(h, p);
	if (n)
		memcpy(&w, p, n);
	h = (h ^ w ^ (uint64_t)n << 56) * MUL;
	return h ^ h >> 32;
}

/* A principal of 32 + 16 + 5 bytes, its bytes 32..48 chosen (of IAM's
 * name characters) so that key and it hash as (key0, p0) do. */
static int collide(const char *key0, const char *p0, const char *key, char *out, unsigned seed)
{
	static const char ok_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-";
	uint64_t s0 = mix(WDN_HASH_INIT, key0, strlen(key0)), t0 = mix(WDN_HASH_INIT, key, strlen(key));
	uint64_t s1, t1, w2, x = seed * 2654435761u + 1;
	size_t i, tries;

	memcpy(out, p0, 54);
	for (i = 0; i < 32; i += 8) {
		s0 = block(s0, p0 + i);
		t0 = block(t0, p0 + i);
	}
	s1 = block(s0, p0 + 32);
	for (tries = 0; tries < 100000000; tries++) {
		for (i = 0; i < 8; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			out[32 + i] = ok_chars[(x >> 33) % (sizeof(ok_chars) - 1)];
		}
		t1 = block(t0, out + 32);
		memcpy(&w2, p0 + 40, 8);
		w2 ^= s1 ^ t1;
		memcpy(out + 40, &w2, 8);
		for (i = 40; i < 48 && memchr(ok_chars, out[i], sizeof(ok_chars) - 1) && out[i]; i++)
			;
		if (i == 48 && strcmp(out, p0))
			return 1;
	}
	return 0;
}

/* Keys and principals crafted to hash alike (unseeded) are still told
 * apart: each its own sighting, folded over flushes, never one taken for
 * another. */
static void test_hash_collisions(int hold)
{
	static const char p0[] = "arn:aws:iam::111122223333:role/XAAAAAAAABBBBBBBB-tail";
	const char *key0 = "AKIAQQQQQQQQQQQQKEY1", *key1 = "AKIAQQQQQQQQQQQQKEY2";
	char p[4][64];
	const char *k[4] = { key0, key0, key0, key1 };
	struct fake f = { { &fake_ops, NULL }, { { 0 } }, 0 };
	struct wdn_recorder *r = wdn_recorder_new(&f.st);
	struct wdn_err err;
	size_t i, j, found = 0, pass;
	int rc = 0, made = 1;

	memcpy(p[0], p0, sizeof(p0));
	for (i = 1; i < 4; i++)
		made &= collide(key0, p0, k[i], p[i], (unsigned)i);
	for (i = 1; i < 4; i++)
		made &= mix(mix(WDN_HASH_INIT, k[i], strlen(k[i])), p[i], strlen(p[i])) ==
			mix(mix(WDN_HASH_INIT, key0, strlen(key0)), p0, strlen(p0));
	ok(made, "four (key, principal) pairs of one hash crafted");
	wdn_recorder_hold_sightings(r, hold);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < 4; i++) {
			struct wdn_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.input = "t-recorder";
			ev.raw = wdn_str_of("{}");
			ev.f[WDN_F_EVENT_NAME] = wdn_str_of("ListBuckets");
			ev.f[WDN_F_EVENT_TIME] = wdn_str_of(pass ? "2024-01-02T00:00:09Z" : "2024-01-02T00:00:01Z");
			ev.f[WDN_F_UI_KEY] = wdn_str_of(k[i]);
			ev.f[WDN_F_UI_TYPE] = wdn_str_of("AssumedRole");
			ev.f[WDN_F_UI_ARN] = wdn_str_of("arn:aws:sts::111122223333:assumed-role/X/s");
			ev.f[WDN_F_UI_ISSUER_ARN] = wdn_str_of(p[i]);
			rc |= wdn_recorder_event(r, &ev, NULL, &err);
		}
		rc |= wdn_recorder_flush(r, &err);
	}
	wdn_recorder_hold_sightings(r, 0);
	rc |= wdn_recorder_flush(r, &err);
	ok(!rc, "%s: recorded", hold ? "held" : "not held");
	is_int(f.n, hold ? 4 : 8, "%s: one sighting per pair and flush", hold ? "held" : "not held");
	for (i = 0; i < 4; i++)
		for (j = 0; j < f.n; j++)
			if (!strcmp(f.put[j].key_id, k[i]) && f.put[j].principal && !strcmp(f.put[j].principal, p[i]))
				found += !hold || (f.put[j].last - f.put[j].first == 8);
	is_int(found, hold ? 4 : 8, "%s: each pair written as itself%s", hold ? "held" : "not held",
	       hold ? ", folded over both flushes" : "");
	wdn_recorder_free(r);
	fake_reset(&f);
}

/* CPU seconds to record n events, key i of keys[i], one principal; the
 * sightings counted through a store that keeps none. */
static int f_drop(struct wdn_store *s, const struct wdn_sighting *si, struct wdn_err *err)
{
	(void)s;
	(void)si;
	(void)err;
	return 0;
}

/* The longest chain of the recorder's table after n keys of alice's
 * (before the flush empties it), or 0 on failure. */
static size_t longest_chain(char (*k)[21], size_t n)
{
	static const struct wdn_store_ops ops = {
		.kind = "fake", .begin = f_begin, .commit = f_begin, .put_sighting = f_drop,
	};
	struct wdn_store st = { &ops, NULL };
	struct wdn_recorder *r = wdn_recorder_new(&st);
	struct wdn_err err;
	size_t i, most;
	int rc = !r;

	for (i = 0; !rc && i < n; i++) {
		struct wdn_event ev = event(0, 0, "2024-01-02T00:00:00Z");

		ev.f[WDN_F_UI_KEY] = wdn_str_of(k[i]);
		rc |= wdn_recorder_event(r, &ev, NULL, &err);
	}
	most = rc ? 0 : wdn_recorder_longest_chain(r);
	if (r)
		rc |= wdn_recorder_flush(r, &err);
	wdn_recorder_free(r);
	return rc ? 0 : most;
}

/*
 * Hash flooding: key IDs a trail chose so that, with alice's principal,
 * they share one bucket of the recorder's table by its hash as lib/recorder.c
 * had it (unseeded, so anyone could compute it). Each new sighting then
 * walked all the others (30 000 cost about 4 s against 0.1). Seeded, they
 * spread as ordinary keys do: 30 000 in 4096 buckets, about 7 a bucket.
 */
#define NFLOOD 30000
static void test_hash_flooding(void)
{
	static char crafted[NFLOOD][21];
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	const char *p = callers[0].arn;
	uint64_t x = 1, target = 0;
	size_t i, j, most;

	for (i = 0; i < NFLOOD; i++) {
		do {
			memcpy(crafted[i], "AKIA", 4);
			for (j = 4; j < 20; j++) {
				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				crafted[i][j] = b32[(x >> 33) & 31];
			}
			crafted[i][20] = '\0';
		} while ((mix(mix(WDN_HASH_INIT, crafted[i], 20), p, strlen(p)) & 4095) != target);
	}
	most = longest_chain(crafted, NFLOOD);
	ok(most > 0 && most < 64, "%d keys crafted for one bucket of the unseeded hash: longest chain %zu (want < 64)",
	   NFLOOD, most);
}

int main(void)
{
	test_no_allocation_on_a_hit();
	test_flush_in_key_order(1);
	test_flush_in_key_order(0);
	test_new_sighting_out_of_memory();
	test_hash_collisions(1);
	test_hash_collisions(0);
	test_hash_flooding();
	return done_testing();
}
