/*
 * Tag sets and transitive key sets from JSON text: whatever parses must
 * serialize to JSON that parses back to the same set, and every key must
 * be found again with its value. The set's hash index is checked against a
 * plain scan: every key found in any case, after sets in another case,
 * unsets of every other key, and sets again.
 */
#include "wdn.h"
#include "str.h"
#include "tags.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The rule the index must keep: the first key equal but for ASCII case. */
static const struct wdn_tag *scan(const struct wdn_tags *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcasecmp(t->v[i].key, key))
			return &t->v[i];
	return NULL;
}

static char *flip_case(const char *k)
{
	char *s = wdn_strdup(k), *p;

	for (p = s; p && *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			*p ^= 0x20;
	return s;
}

static void check_index(struct wdn_tags *t)
{
	size_t i, n = t->n;
	char *f;

	for (i = 0; i < t->n; i++) {
		if (!(f = flip_case(t->v[i].key)))
			return;
		if (wdn_tags_get(t, f) != t->v[i].value || scan(t, f) != &t->v[i])
			abort(); /* the index and the scan disagree */
		if (wdn_tags_set(t, f, "again") || t->n != n || strcmp(wdn_tags_get(t, t->v[i].key), "again"))
			abort(); /* a key in another case is a new tag */
		free(f);
	}
	for (i = t->n; i-- > 0;)
		if (i % 2 && wdn_tags_unset(t, t->v[i].key))
			abort();
	for (i = 0; i < t->n; i++)
		if (wdn_tags_get(t, t->v[i].key) != t->v[i].value || scan(t, t->v[i].key) != &t->v[i])
			abort(); /* lost after unsets */
	n = t->n;
	for (i = 0; i < n; i++) {
		char key[32];

		snprintf(key, sizeof(key), "New-%zu", i);
		if (wdn_tags_set(t, key, "n") || !wdn_tags_get(t, key) ||
		    wdn_tags_get(t, key) != scan(t, key)->value)
			abort(); /* a set after unsets not found */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_tags t = { 0 }, t2 = { 0 };
	struct wdn_keyset k = { 0 }, k2 = { 0 };
	struct wdn_buf a = WDN_BUF_INIT, b = WDN_BUF_INIT;
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!wdn_tags_from_json(&t, text)) {
		for (i = 0; i < t.n; i++)
			if (wdn_tags_get(&t, t.v[i].key) != t.v[i].value)
				abort(); /* a key that does not find its own tag */
		if (wdn_tags_to_json(&t, &a) || wdn_tags_from_json(&t2, a.ptr) ||
		    wdn_tags_to_json(&t2, &b) || strcmp(a.ptr, b.ptr) || t.n != t2.n)
			abort(); /* tags do not round-trip */
		if (wdn_tags_merge(&t2, &t) || t2.n != t.n || (t.n && wdn_tags_unset(&t2, t.v[0].key)) ||
		    (t.n && (t2.n != t.n - 1 || wdn_tags_get(&t2, t.v[0].key))))
			abort(); /* merging a set into itself changed it, or unset failed */
		check_index(&t);
	}
	wdn_buf_reset(&a);
	wdn_buf_reset(&b);
	if (!wdn_keyset_from_json(&k, text)) {
		for (i = 0; i < k.n; i++)
			if (!wdn_keyset_has(&k, k.v[i]) || (i && strcmp(k.v[i - 1], k.v[i]) >= 0))
				abort(); /* not sorted, or a key not found */
		if (wdn_keyset_to_json(&k, &a) || wdn_keyset_from_json(&k2, a.ptr) ||
		    wdn_keyset_to_json(&k2, &b) || strcmp(a.ptr, b.ptr) || k.n != k2.n)
			abort(); /* key set does not round-trip */
	}
	wdn_tags_release(&t);
	wdn_tags_release(&t2);
	wdn_keyset_release(&k);
	wdn_keyset_release(&k2);
	wdn_buf_release(&a);
	wdn_buf_release(&b);
	free(text);
	return 0;
}
