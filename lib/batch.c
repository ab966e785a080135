/* Hold and prefetch: items whose keys a bulk store reads together, handed
 * back in the order they came (wdn-chain, wdn-tags, wdn-lookup, wdn-enrich). */
#include "wdn.h"
#include "batch.h"
#include "event.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_RECENT 64 /* a key again among the last this many: read ahead once */

struct wdn_batch {
	struct wdn_store *store;
	size_t max_items, max_bytes;
	wdn_batch_each_fn each;
	wdn_batch_drop_fn drop;
	void *ctx;
	void **items;
	size_t n, bytes;
	/* what to read ahead: nk of the n items have a key */
	const char **keys;
	int64_t *at;
	struct wdn_sighting *seen;
	size_t nk;
	int with_seen;          /* the keys came with their sightings */
};

struct wdn_batch *wdn_batch_new(struct wdn_store *s, size_t max_items, size_t max_bytes,
				wdn_batch_each_fn each, wdn_batch_drop_fn drop, void *ctx)
{
	struct wdn_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->store = s;
	b->max_items = max_items ? max_items : 1;
	b->max_bytes = max_bytes;
	b->each = each;
	b->drop = drop;
	b->ctx = ctx;
	/* room for a full batch at once: holding an item cannot fail */
	b->items = calloc(b->max_items, sizeof(*b->items));
	b->keys = calloc(b->max_items, sizeof(*b->keys));
	b->at = calloc(b->max_items, sizeof(*b->at));
	b->seen = calloc(b->max_items, sizeof(*b->seen));
	if (!b->items || !b->keys || !b->at || !b->seen) {
		wdn_batch_free(b);
		return NULL;
	}
	return b;
}

/* Is key among the last few to read ahead? Then once is enough. */
static int recent(const struct wdn_batch *b, const char *key)
{
	size_t j;

	for (j = b->nk; j > 0 && j + BATCH_RECENT > b->nk; j--)
		if (!strcmp(b->keys[j - 1], key))
			return 1;
	return 0;
}

int wdn_batch_add(struct wdn_batch *b, void *item, size_t bytes, const char *key, int64_t at,
		  struct wdn_sighting *seen)
{
	if (b->n == b->max_items) {
		if (seen)
			wdn_sighting_release(seen);
		return WDN_ETOOBIG; /* the caller missed the full batch */
	}
	b->items[b->n++] = item;
	b->bytes += bytes;
	if (key && !recent(b, key)) {
		b->keys[b->nk] = key;
		b->at[b->nk] = at;
		if (seen) {
			b->seen[b->nk] = *seen;
			b->with_seen = 1;
		} else {
			memset(&b->seen[b->nk], 0, sizeof(b->seen[b->nk]));
		}
		b->nk++;
	} else if (seen) {
		wdn_sighting_release(seen);
	}
	return b->n == b->max_items || b->bytes >= b->max_bytes;
}

size_t wdn_batch_count(const struct wdn_batch *b)
{
	return b->n;
}

/* Forget the batch's read-ahead list and its items (handed back already). */
static void batch_reset(struct wdn_batch *b)
{
	size_t i;

	for (i = 0; i < b->nk; i++)
		wdn_sighting_release(&b->seen[i]);
	b->n = b->bytes = b->nk = 0;
	b->with_seen = 0;
}

int wdn_batch_release(struct wdn_batch *b)
{
	size_t i;
	int rc = 0;

	if (!b->n)
		return 0;
	/* a store failing here fails again, and is told, item by item */
	wdn_resolve_prefetch(b->store, b->keys, b->at, b->with_seen ? b->seen : NULL, b->nk, NULL);
	for (i = 0; i < b->n; i++) {
		if (!rc)
			rc = b->each(b->ctx, b->items[i]);
		else if (b->drop)
			b->drop(b->ctx, b->items[i]); /* after a stop: the good ones before it are out */
	}
	batch_reset(b);
	return rc;
}

void wdn_batch_free(struct wdn_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; b->items && b->drop && i < b->n; i++)
		b->drop(b->ctx, b->items[i]);
	if (b->seen)
		batch_reset(b);
	free(b->items);
	free(b->keys);
	free(b->at);
	free(b->seen);
	free(b);
}
