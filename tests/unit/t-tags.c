/*
 * Tag sets and transitive key sets (tags.c): IAM's case-insensitive keys that
 * keep the case they were first set with, merge precedence, JSON both ways.
 */
#include "tap.h"
#include "wdn.h"
#include "tags.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

static void is_tags(const struct wdn_tags *t, const char *want, const char *what)
{
	char *s = tags_json(t);

	is_str(s, want, "%s", what);
	free(s);
}

static void is_keys(const struct wdn_keyset *k, const char *want, const char *what)
{
	char *s = keys_json(k);

	is_str(s, want, "%s", what);
	free(s);
}

static void append(void *ctx, const char *s, size_t n)
{
	wdn_buf_add(ctx, s, n);
}

static void test_set_get(void)
{
	struct wdn_tags t = { 0 };

	is_int(wdn_tags_set(&t, "Team", "red"), 0, "set");
	is_str(wdn_tags_get(&t, "Team"), "red", "get, same case");
	is_str(wdn_tags_get(&t, "team"), "red", "get, other case");
	is_str(wdn_tags_get(&t, "TEAM"), "red", "get, upper case");
	ok(wdn_tags_get(&t, "Tea") == NULL, "get of a prefix is absent");
	ok(wdn_tags_get(&t, "Teams") == NULL, "get of a longer key is absent");
	is_int(wdn_tags_set(&t, "TEAM", "blue"), 0, "set again in another case");
	is_int(t.n, 1, "one key, whatever the case");
	is_str(t.v[0].key, "Team", "the key keeps the case it was first set with");
	is_str(t.v[0].value, "blue", "the value is the latest");
	is_int(wdn_tags_set(&t, "Env", NULL), 0, "set with a NULL value");
	is_str(wdn_tags_get(&t, "env"), "", "a NULL value is stored as the empty string");
	wdn_tags_set(&t, "Cost", "1");
	is_tags(&t, "{\"Team\":\"blue\",\"Env\":\"\",\"Cost\":\"1\"}", "insertion order is kept");
	wdn_tags_release(&t);
	ok(t.n == 0 && t.v == NULL, "release empties");
	wdn_tags_release(&t);
	ok(wdn_tags_get(&t, "x") == NULL, "get on an empty set");
}

static void test_unset(void)
{
	struct wdn_tags t = { 0 };

	wdn_tags_set(&t, "a", "1");
	wdn_tags_set(&t, "B", "2");
	wdn_tags_set(&t, "c", "3");
	is_int(wdn_tags_unset(&t, "b"), 0, "unset in another case");
	is_int(t.n, 2, "unset removed one");
	ok(wdn_tags_get(&t, "B") == NULL, "unset key is gone");
	is_tags(&t, "{\"a\":\"1\",\"c\":\"3\"}", "unset keeps the others in order");
	is_int(wdn_tags_unset(&t, "zzz"), 0, "unset of a missing key is fine");
	is_int(t.n, 2, "unset of a missing key changes nothing");
	wdn_tags_unset(&t, "c");
	wdn_tags_unset(&t, "A");
	is_int(t.n, 0, "unset everything");
	wdn_tags_set(&t, "b", "new");
	is_str(wdn_tags_get(&t, "B"), "new", "set after unset takes the new case");
	is_str(t.v[0].key, "b", "set after unset: key as set now");
	wdn_tags_release(&t);
}

static void test_merge(void)
{
	struct wdn_tags t = { 0 }, over = { 0 };

	wdn_tags_set(&t, "Project", "base");
	wdn_tags_set(&t, "Team", "t");
	wdn_tags_set(&over, "PROJECT", "over");
	wdn_tags_set(&over, "Extra", "e");
	is_int(wdn_tags_merge(&t, &over), 0, "merge");
	is_str(wdn_tags_get(&t, "project"), "over", "the overriding set wins");
	is_str(t.v[0].key, "Project", "the merged-into set keeps its key case");
	is_str(wdn_tags_get(&t, "Team"), "t", "keys only in the base are kept");
	is_str(wdn_tags_get(&t, "extra"), "e", "keys only in the overriding set are added");
	is_tags(&t, "{\"Project\":\"over\",\"Team\":\"t\",\"Extra\":\"e\"}", "merge: order, cases, values");
	is_int(wdn_tags_merge(&t, NULL), 0, "merge of NULL");
	is_int(t.n, 3, "merge of NULL changes nothing");
	is_str(wdn_tags_get(&over, "Project"), "over", "merge leaves the overriding set alone");
	is_int(over.n, 2, "merge leaves the overriding set's size alone");
	wdn_tags_release(&t);
	wdn_tags_release(&over);
}

static void test_json(void)
{
	struct wdn_tags t = { 0 }, u = { 0 };
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_gen g;
	char *s;

	is_int(wdn_tags_from_json(&t, "{\"b\":\"2\",\"a\":\"1\",\"Quote\\\"d\":\"caf\\u00e9 \\\\ \\n\"}"), 0,
	       "from_json");
	is_int(t.n, 3, "from_json: three tags");
	is_str(wdn_tags_get(&t, "quote\"D"), "caf\xc3\xa9 \\ \n", "from_json: escapes decoded");
	s = tags_json(&t);
	is_int(wdn_tags_from_json(&u, s), 0, "to_json output parses back");
	free(s);
	ok(u.n == 3 && !strcmp(wdn_tags_get(&u, "Quote\"d"), "caf\xc3\xa9 \\ \n") &&
	   !strcmp(wdn_tags_get(&u, "a"), "1") && !strcmp(wdn_tags_get(&u, "b"), "2"),
	   "round trip through JSON keeps keys and values");
	s = tags_json(&u);
	{
		char *s1 = tags_json(&t);

		is_str(s, s1, "to_json is stable across a round trip");
		free(s1);
	}
	free(s);
	wdn_tags_release(&u);

	is_int(wdn_tags_from_json(&u, "{\"Env\":\"a\",\"env\":\"b\"}"), 0, "from_json with keys differing in case");
	is_int(u.n, 1, "keys differing in case are one key");
	is_str(u.v[0].key, "Env", "the first case wins");
	is_str(u.v[0].value, "b", "the last value wins");
	wdn_tags_release(&u);

	is_int(wdn_tags_from_json(&u, NULL), 0, "from_json(NULL) is an empty set");
	is_int(wdn_tags_from_json(&u, ""), 0, "from_json(\"\") is an empty set");
	is_int(u.n, 0, "still empty");
	is_int(wdn_tags_from_json(&u, "{}"), 0, "from_json({})");
	is_tags(&u, "{}", "an empty set is {}");
	is_int(wdn_tags_from_json(&u, "{\"a\":"), WDN_EINVAL, "from_json of broken JSON");
	is_int(wdn_tags_from_json(&u, "[\"a\"]"), WDN_EINVAL, "from_json of an array");
	is_int(wdn_tags_from_json(&u, "\"a\""), WDN_EINVAL, "from_json of a string");
	is_int(u.n, 0, "failed parses add nothing");
	is_int(wdn_tags_from_json(&u, "{\"n\":5}"), 0, "from_json with a non-string value");
	is_str(wdn_tags_get(&u, "n"), "", "a non-string value becomes empty");
	wdn_tags_release(&u);

	/* from_json adds to what is there: later keys override */
	wdn_tags_set(&u, "Keep", "k");
	wdn_tags_set(&u, "a", "old");
	wdn_tags_from_json(&u, "{\"A\":\"new\"}");
	is_tags(&u, "{\"Keep\":\"k\",\"a\":\"new\"}", "from_json merges into an existing set");
	wdn_tags_release(&u);

	/* the sorted generator */
	g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_print_callback, append, &b);
	wdn_tags_gen(g, &t, 1);
	yajl_gen_free(g);
	is_str(b.ptr, "{\"Quote\\\"d\":\"caf\xc3\xa9 \\\\ \\n\",\"a\":\"1\",\"b\":\"2\"}", "tags_gen sorted by key");
	wdn_buf_reset(&b);
	g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_print_callback, append, &b);
	wdn_tags_gen(g, &t, 0);
	yajl_gen_free(g);
	ok(!strncmp(b.ptr, "{\"b\":\"2\",\"a\":\"1\"", 16), "tags_gen unsorted keeps insertion order");
	is_str(t.v[0].key, "b", "sorting for output leaves the set's own order alone");
	wdn_buf_release(&b);
	wdn_tags_release(&t);
}

static void test_keyset(void)
{
	struct wdn_keyset k = { 0 }, k2 = { 0 };
	char *s;

	is_int(wdn_keyset_add(&k, "b"), 0, "keyset add");
	wdn_keyset_add(&k, "d");
	wdn_keyset_add(&k, "a");
	wdn_keyset_add(&k, "c");
	is_keys(&k, "[\"a\",\"b\",\"c\",\"d\"]", "keyset kept sorted");
	is_int(wdn_keyset_add(&k, "B"), 0, "adding a key in another case");
	is_int(k.n, 4, "a key in another case is the same key");
	ok(wdn_keyset_has(&k, "C") && wdn_keyset_has(&k, "c"), "has is case-insensitive");
	ok(!wdn_keyset_has(&k, "e") && !wdn_keyset_has(&k, ""), "has of absent keys");
	wdn_keyset_release(&k);
	ok(k.n == 0 && k.v == NULL, "keyset release empties");

	/* order does not depend on insertion order, even with mixed case */
	wdn_keyset_add(&k, "Project");
	wdn_keyset_add(&k, "env");
	wdn_keyset_add(&k, "Cost");
	wdn_keyset_add(&k2, "env");
	wdn_keyset_add(&k2, "Cost");
	wdn_keyset_add(&k2, "Project");
	s = keys_json(&k);
	is_keys(&k2, s, "same keys, any insertion order: same output");
	free(s);
	wdn_keyset_add(&k, "ENV");
	is_int(k.n, 3, "ENV is env");
	ok(wdn_keyset_has(&k, "Env"), "keeps env under any case");
	{
		size_t i;
		int sorted = 1;

		for (i = 1; i < k.n; i++)
			if (strcmp(k.v[i - 1], k.v[i]) >= 0)
				sorted = 0;
		ok(sorted, "keyset array is strictly sorted");
	}
	wdn_keyset_release(&k);
	wdn_keyset_release(&k2);

	/* many keys in reverse order stay sorted */
	{
		char key[16];
		int i, sorted = 1;

		for (i = 99; i >= 0; i--) {
			snprintf(key, sizeof(key), "k%02d", i);
			wdn_keyset_add(&k, key);
		}
		for (i = 1; i < (int)k.n; i++)
			if (strcmp(k.v[i - 1], k.v[i]) >= 0)
				sorted = 0;
		ok(k.n == 100 && sorted, "100 keys added in reverse order: sorted");
		wdn_keyset_release(&k);
	}

	is_int(wdn_keyset_from_json(&k, "[\"z\",\"y\",\"Z\",7,null,\"x\"]"), 0, "keyset from_json");
	is_keys(&k, "[\"x\",\"y\",\"z\"]", "from_json: sorted, case duplicates and non-strings dropped");
	s = keys_json(&k);
	wdn_keyset_from_json(&k2, s);
	free(s);
	is_keys(&k2, "[\"x\",\"y\",\"z\"]", "keyset JSON round trip");
	wdn_keyset_release(&k2);
	is_int(wdn_keyset_from_json(&k2, "{\"a\":\"b\"}"), WDN_EINVAL, "keyset from_json of an object");
	is_int(wdn_keyset_from_json(&k2, "[\"a\""), WDN_EINVAL, "keyset from_json of broken JSON");
	is_int(wdn_keyset_from_json(&k2, NULL), 0, "keyset from_json(NULL)");
	is_int(wdn_keyset_from_json(&k2, ""), 0, "keyset from_json(\"\")");
	is_keys(&k2, "[]", "an empty keyset is []");
	wdn_keyset_release(&k);
	wdn_keyset_release(&k2);
}

/* Big sets: built in linear time through the index, with IAM's rules kept:
 * one key whatever its case, the first case kept, the last value wins. */
static void test_big(void)
{
	struct wdn_tags t = { 0 };
	char key[32], val[32];
	struct timespec t0, t1;
	int i, same = 1;
	double took;

	ok(WDN_MAX_TAGS >= 50 * 10 && WDN_MAX_TAGS <= 10000, "the cap (%d) is generous over IAM's 50, and bounded",
	   WDN_MAX_TAGS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "Key-%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		if (wdn_tags_set(&t, key, val))
			break;
	}
	for (i = 0; i < 200000; i += 2) {
		snprintf(key, sizeof(key), "KEY-%d", i); /* the same keys, another case */
		snprintf(val, sizeof(val), "w%d", i);
		if (wdn_tags_set(&t, key, val))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	is_int(t.n, 200000, "200 000 keys, then half of them again in upper case: 200 000 tags");
	ok(took < 10, "300 000 sets in %.2fs (a scan per set took minutes)", took);
	for (i = 0; i < 200000 && same; i++) {
		snprintf(key, sizeof(key), "kEy-%d", i);
		snprintf(val, sizeof(val), "%c%d", i % 2 ? 'v' : 'w', i);
		same = wdn_tags_get(&t, key) && !strcmp(wdn_tags_get(&t, key), val);
	}
	ok(same, "every key found in a third case, with its last value");
	is_str(t.v[4].key, "Key-4", "the first case is kept");
	/* unsets move tags: the rest are still found, and sets still land once */
	for (i = 0; i < 200000; i += 3) {
		snprintf(key, sizeof(key), "key-%d", i);
		wdn_tags_unset(&t, key);
	}
	is_int(t.n, 133333, "a third unset");
	ok(wdn_tags_get(&t, "KEY-1") && !wdn_tags_get(&t, "key-3") && wdn_tags_get(&t, "Key-199999"),
	   "after unsets: the rest found, the unset gone");
	wdn_tags_set(&t, "KEY-1", "again");
	wdn_tags_set(&t, "key-3", "back");
	is_int(t.n, 133334, "a set after unsets: one new tag, one replaced");
	is_str(wdn_tags_get(&t, "Key-1"), "again", "the replaced value");
	is_str(t.v[t.n - 1].key, "key-3", "the new tag at the end, in its own case");
	wdn_tags_release(&t);
	ok(t.n == 0 && !t.slot && !t.nslot, "release frees the index too");
	/* case folding is ASCII's, as IAM's: other bytes compare as they are */
	wdn_tags_set(&t, "\xc3\xa9t\xc3\xa9", "1");
	wdn_tags_set(&t, "\xc3\x89T\xc3\x89", "2");
	wdn_tags_set(&t, "[", "3");
	wdn_tags_set(&t, "{", "4");
	is_int(t.n, 4, "non-ASCII letters and punctuation are not folded");
	wdn_tags_release(&t);
}

int main(void)
{
	(void)skip;
	test_set_get();
	test_unset();
	test_merge();
	test_json();
	test_keyset();
	test_big();
	return done_testing();
}
