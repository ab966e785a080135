/* Tag sets and transitive key sets, with IAM's case-insensitive keys. */
#include "wdn.h"
#include "json.h"
#include "str.h"
#include "tags.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

void wdn_tags_release(struct wdn_tags *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].key);
		free(t->v[i].value);
	}
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* IAM compares tag keys without regard to ASCII case (strcasecmp in the C
 * locale), written out so the hash and the comparison always agree. */
static int fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

static int key_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		if (fold(*a) != fold(*b))
			return 0;
		if (!*a)
			return 1;
	}
}

static uint64_t key_hash(const char *k)
{
	uint64_t h = WDN_HASH_INIT;

	for (; *k; k++) {
		char c = (char)fold(*k);

		h = wdn_hash(h, &c, 1);
	}
	return h;
}

#define INDEX_FROM 8 /* smaller sets are scanned: no index to keep */

/* (Re)build the index of a set: slots hold a tag's position + 1, 0 empty,
 * at most half full. Without memory for it, lookups scan. */
static void index_build(struct wdn_tags *t)
{
	size_t want = 16, i, j;

	free(t->slot);
	t->slot = NULL;
	t->nslot = 0;
	if (t->n < INDEX_FROM)
		return;
	while (want < t->n * 2)
		want *= 2;
	if (!(t->slot = calloc(want, sizeof(*t->slot))))
		return;
	t->nslot = want;
	for (i = 0; i < t->n; i++) {
		for (j = key_hash(t->v[i].key) & (want - 1); t->slot[j]; j = (j + 1) & (want - 1))
			;
		t->slot[j] = (uint32_t)i + 1;
	}
}

static struct wdn_tag *find(const struct wdn_tags *t, const char *key)
{
	size_t i;

	if (!t->nslot) {
		for (i = 0; i < t->n; i++)
			if (key_eq(t->v[i].key, key))
				return &t->v[i];
		return NULL;
	}
	for (i = key_hash(key) & (t->nslot - 1); t->slot[i]; i = (i + 1) & (t->nslot - 1))
		if (key_eq(t->v[t->slot[i] - 1].key, key))
			return &t->v[t->slot[i] - 1];
	return NULL;
}

const char *wdn_tags_get(const struct wdn_tags *t, const char *key)
{
	struct wdn_tag *e = find(t, key);

	return e ? e->value : NULL;
}

int wdn_tags_set(struct wdn_tags *t, const char *key, const char *value)
{
	struct wdn_tag *e;
	char *v;

	if (!t->nslot && t->n >= INDEX_FROM)
		index_build(t); /* dropped by an unset, or never built */
	e = find(t, key);
	if (!(v = wdn_strdup(value ? value : "")))
		return WDN_ENOMEM;
	if (e) {
		free(e->value);
		e->value = v;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct wdn_tag *nv = t->n >= UINT32_MAX - 1 ? NULL : realloc(t->v, cap * sizeof(*nv));

		if (!nv) {
			free(v);
			return WDN_ENOMEM;
		}
		t->v = nv;
		t->cap = cap;
	}
	if (!(t->v[t->n].key = wdn_strdup(key))) {
		free(v);
		return WDN_ENOMEM;
	}
	t->v[t->n++].value = v;
	if (t->n >= INDEX_FROM && t->n * 2 > t->nslot) {
		index_build(t);
	} else if (t->nslot) {
		size_t j;

		for (j = key_hash(key) & (t->nslot - 1); t->slot[j]; j = (j + 1) & (t->nslot - 1))
			;
		t->slot[j] = (uint32_t)t->n;
	}
	return 0;
}

int wdn_tags_unset(struct wdn_tags *t, const char *key)
{
	struct wdn_tag *e = find(t, key);

	if (!e)
		return 0;
	free(e->key);
	free(e->value);
	memmove(e, e + 1, (size_t)(t->v + t->n - (e + 1)) * sizeof(*e));
	t->n--;
	/* positions moved: the index is rebuilt by the next set */
	free(t->slot);
	t->slot = NULL;
	t->nslot = 0;
	return 0;
}

int wdn_tags_merge(struct wdn_tags *t, const struct wdn_tags *over)
{
	size_t i;
	int rc;

	for (i = 0; over && i < over->n; i++)
		if ((rc = wdn_tags_set(t, over->v[i].key, over->v[i].value)))
			return rc;
	return 0;
}

int wdn_tags_from_json(struct wdn_tags *t, const char *text)
{
	struct wdn_err e = { 0 };
	yajl_val v;
	size_t i;
	int rc = 0;

	if (!text || !*text)
		return 0;
	if (!(v = wdn_json_parse(text, strlen(text), &e)))
		return e.code == WDN_ENOMEM ? WDN_ENOMEM : WDN_EINVAL; /* memory: not a bad value */
	if (!YAJL_IS_OBJECT(v))
		rc = WDN_EINVAL;
	for (i = 0; !rc && i < v->u.object.len; i++) {
		yajl_val x = v->u.object.values[i];

		rc = wdn_tags_set(t, v->u.object.keys[i], YAJL_IS_STRING(x) ? x->u.string : "");
	}
	yajl_tree_free(v);
	return rc;
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct wdn_tag *)a)->key, ((const struct wdn_tag *)b)->key);
}

/* Sorted with no memory to sort in: the next key after prev, each time
 * (keys are distinct). Only when the copy to sort cannot be made. */
static void gen_sorted_in_place(yajl_gen g, const struct wdn_tags *t)
{
	const struct wdn_tag *prev = NULL, *next;
	size_t i, k;

	for (k = 0; k < t->n; k++) {
		next = NULL;
		for (i = 0; i < t->n; i++)
			if ((!prev || cmp_tag(&t->v[i], prev) > 0) && (!next || cmp_tag(&t->v[i], next) < 0))
				next = &t->v[i];
		wdn_gen_key(g, next->key);
		wdn_gen_str(g, next->value);
		prev = next;
	}
}

void wdn_tags_gen(yajl_gen g, const struct wdn_tags *t, int sorted)
{
	struct wdn_tag *v = t->v;
	size_t i;

	yajl_gen_map_open(g);
	if (sorted && t->n > 1 && !(v = malloc(t->n * sizeof(*v)))) {
		gen_sorted_in_place(g, t);
		yajl_gen_map_close(g);
		return;
	}
	if (v != t->v) {
		memcpy(v, t->v, t->n * sizeof(*v));
		qsort(v, t->n, sizeof(*v), cmp_tag);
	}
	for (i = 0; i < t->n; i++) {
		wdn_gen_key(g, v[i].key);
		wdn_gen_str(g, v[i].value);
	}
	yajl_gen_map_close(g);
	if (v != t->v)
		free(v);
}

int wdn_tags_to_json(const struct wdn_tags *t, struct wdn_buf *out)
{
	yajl_gen g = wdn_gen_into(out);

	if (!g)
		return WDN_ENOMEM;
	wdn_tags_gen(g, t, 0);
	yajl_gen_free(g);
	return wdn_buf_failed(out);
}

void wdn_keyset_release(struct wdn_keyset *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

int wdn_keyset_has(const struct wdn_keyset *k, const char *key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcasecmp(k->v[i], key))
			return 1;
	return 0;
}

/* Kept sorted on insertion so output needs no sort step. */
int wdn_keyset_add(struct wdn_keyset *k, const char *key)
{
	size_t i;
	char *s;

	if (wdn_keyset_has(k, key))
		return 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		char **nv = realloc(k->v, cap * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		k->v = nv;
		k->cap = cap;
	}
	if (!(s = wdn_strdup(key)))
		return WDN_ENOMEM;
	for (i = k->n; i > 0 && strcmp(k->v[i - 1], s) > 0; i--)
		k->v[i] = k->v[i - 1];
	k->v[i] = s;
	k->n++;
	return 0;
}

int wdn_keyset_from_json(struct wdn_keyset *k, const char *text)
{
	struct wdn_err e = { 0 };
	yajl_val v;
	size_t i;
	int rc = 0;

	if (!text || !*text)
		return 0;
	if (!(v = wdn_json_parse(text, strlen(text), &e)))
		return e.code == WDN_ENOMEM ? WDN_ENOMEM : WDN_EINVAL; /* memory: not a bad value */
	if (!YAJL_IS_ARRAY(v))
		rc = WDN_EINVAL;
	for (i = 0; !rc && i < v->u.array.len; i++)
		if (YAJL_IS_STRING(v->u.array.values[i]))
			rc = wdn_keyset_add(k, v->u.array.values[i]->u.string);
	yajl_tree_free(v);
	return rc;
}

void wdn_keyset_gen(yajl_gen g, const struct wdn_keyset *k)
{
	size_t i;

	yajl_gen_array_open(g);
	for (i = 0; i < k->n; i++)
		wdn_gen_str(g, k->v[i]);
	yajl_gen_array_close(g);
}

int wdn_keyset_to_json(const struct wdn_keyset *k, struct wdn_buf *out)
{
	yajl_gen g = wdn_gen_into(out);

	if (!g)
		return WDN_ENOMEM;
	wdn_keyset_gen(g, k);
	yajl_gen_free(g);
	return wdn_buf_failed(out);
}
