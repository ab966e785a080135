/* Hold and prefetch: one bulk read for many keys (batch.c). */
#ifndef WDN_BATCH_H
#define WDN_BATCH_H

#include "wdn.h"

/*
 * Hold and prefetch (batch.c): items whose keys a bulk store reads together.
 * Items are held until max_items of them or max_bytes (what the caller says
 * each costs), then released: their keys read ahead in one
 * wdn_resolve_prefetch, and each item handed to each() in the order it came.
 * The caller owns the items; the batch keeps their pointers, borrows each
 * key until its item is handed back, and takes over a sighting given with
 * it (give every key of a batch one, or none). A key again among the last
 * few is read ahead once.
 */
struct wdn_batch;
typedef int (*wdn_batch_each_fn)(void *ctx, void *item);  /* nonzero stops the batch */
typedef void (*wdn_batch_drop_fn)(void *ctx, void *item); /* items after a stop, or at free */
/* NULL when out of memory; s NULL or without bulk reads: nothing is read ahead. */
struct wdn_batch *wdn_batch_new(struct wdn_store *s, size_t max_items, size_t max_bytes,
				wdn_batch_each_fn each, wdn_batch_drop_fn drop, void *ctx);
/* Hold item (key NULL: nothing to read ahead). 1 when the batch is full
 * (release it then), 0 if not; WDN_ETOOBIG if it was full already. */
int wdn_batch_add(struct wdn_batch *b, void *item, size_t bytes, const char *key, int64_t at,
		  struct wdn_sighting *seen) WDN_MUST_CHECK;
size_t wdn_batch_count(const struct wdn_batch *b);
/* Read ahead, then each item in order; after an item's nonzero, the rest
 * are dropped and that code is returned. The batch is empty after. */
int wdn_batch_release(struct wdn_batch *b);
/* Drops what is still held. */
void wdn_batch_free(struct wdn_batch *b);

#endif
