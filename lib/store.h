/*
 * The store interface (store.c, store_sqlite.c, store_dynamodb.c): the
 * operations each backend fills in. The public header has the opaque struct
 * wdn_store and opening, closing. Internal to libwdn and the commands (which
 * link libwdn.a); not installed.
 */
#ifndef WDN_STORE_H
#define WDN_STORE_H

#include "wdn.h"
#include "coverage.h"
#include "testing.h"

typedef int (*wdn_issuance_fn)(void *ctx, const struct wdn_issuance *is);

struct wdn_store_ops {
	const char *kind;
	int fold_sightings; /* writes are paid per item: a run's sightings are best written once */
	int (*begin)(struct wdn_store *s, struct wdn_err *err);
	int (*commit)(struct wdn_store *s, struct wdn_err *err);
	/* Drop what was written since begin, as far as the store can: an input
	 * that was not read whole keeps nothing (DynamoDB: what a full batch
	 * already sent stays, idempotent). */
	int (*rollback)(struct wdn_store *s, struct wdn_err *err);
	/* Idempotent: the same issuance twice, or its cross-account copy, is one row. */
	int (*put_issuance)(struct wdn_store *s, const struct wdn_issuance *is, struct wdn_err *err);
	int (*put_sighting)(struct wdn_store *s, const struct wdn_sighting *si, struct wdn_err *err);
	/* The issuance of key in use at time at (WDN_TIME_MAX: the latest): the one
	 * whose window holds at, else the latest before it. WDN_ENOTFOUND if none. */
	int (*get_issuance)(struct wdn_store *s, const char *key, int64_t at,
			    struct wdn_issuance *out, struct wdn_err *err);
	/* The start of key's first issuance after time after; WDN_ENOTFOUND if
	 * none. Says until when an issuance chosen by get_issuance stays chosen. */
	int (*next_issuance)(struct wdn_store *s, const char *key, int64_t after, int64_t *start,
			     struct wdn_err *err);
	/* The principal seen using key as of at (WDN_TIME_MAX: the latest), as
	 * wdn_sighting_prefer chooses among its principals; WDN_ENOTFOUND if never. */
	int (*get_sighting)(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			    struct wdn_err *err);
	/* Idempotent: a change is keyed by (subject, event ID, kind). */
	int (*put_change)(struct wdn_store *s, const struct wdn_change *c, struct wdn_err *err);
	/* A subject's changes at or before until, in (time, event ID) order. */
	int (*changes)(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb,
		       void *ctx, struct wdn_err *err);
	/* A source (a log file's path or s3:// URI) as a digest run found it:
	 * its WDN_INTEGRITY_* status, why, and when checked. Tampered stays
	 * tampered, verified is not taken back by a later unverified; only
	 * verified and tampered are kept (a source not kept is unverified). */
	int (*put_source)(struct wdn_store *s, const char *source, int integrity, const char *why,
			  int64_t checked, struct wdn_err *err);
	/* A source's status into *integrity; WDN_ENOTFOUND if none was kept. */
	int (*get_source)(struct wdn_store *s, const char *source, int *integrity,
			  struct wdn_err *err);
	/* What a digest run found delivered (wdn_verifier_coverage): a digest's
	 * span (log NULL), or a log file it lists, seen or not. A log file once
	 * seen is never missing again. */
	int (*put_cover)(struct wdn_store *s, const struct wdn_cover *c, struct wdn_err *err);
	/* The spans and the logs still missing of an account (NULL: every
	 * account), in no set order: cb gets spans with log NULL, missing logs
	 * with log set and seen 0. */
	int (*covers)(struct wdn_store *s, const char *account, wdn_cover_fn cb, void *ctx,
		      struct wdn_err *err);
	/* Every issuance whose caller key is key, in time order. */
	int (*children)(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx,
			struct wdn_err *err);
	/* Bulk reading, for a store whose reads are round trips (NULL if not):
	 * on 1, reads not yet cached are noted and answer "not found"; on 0,
	 * everything noted is read at once. Returns 1 if it read anything, 0 if
	 * nothing was noted, or an error. wdn_resolve_prefetch drives it. */
	int (*gather)(struct wdn_store *s, int on, struct wdn_err *err);
	void (*close)(struct wdn_store *s);
	/* Reads only, many of them (NULL if the store gains nothing): on 1 the
	 * reads until 0 see one snapshot, so each read need not take and drop
	 * the store's locks (SQLite: a read transaction). No writes meanwhile. */
	int (*snapshot)(struct wdn_store *s, int on, struct wdn_err *err);
	/* Several inputs in one transaction (NULL if the store cannot): within
	 * it, WDN_SAVE_MARK marks where an input begins, WDN_SAVE_KEEP forgets
	 * the mark and keeps what followed it, WDN_SAVE_UNDO drops what followed
	 * it and the mark. Only the transaction's commit makes anything durable. */
	int (*savepoint)(struct wdn_store *s, int op, struct wdn_err *err);
};

enum { WDN_SAVE_MARK, WDN_SAVE_KEEP, WDN_SAVE_UNDO };

struct wdn_store {
	const struct wdn_store_ops *ops;
	char *where; /* what was opened, for messages */
};

int wdn_store_dynamodb_open(const char *table, int flags, const struct wdn_store_opts *opts,
			    struct wdn_store **out, struct wdn_err *err);
/* Of two sightings of one key (folded per principal), is a the one in use at
 * at rather than b? The one whose [first, last] holds at, the latest to
 * begin; else the one last seen before at, the latest; else the first seen
 * after it; ties to the smaller principal. Both stores choose by it. */
int wdn_sighting_prefer(const struct wdn_sighting *a, const struct wdn_sighting *b, int64_t at);
int wdn_store_sqlite_open(const char *path, int flags, struct wdn_store **out,
			  struct wdn_err *err);

/* ---- for tests --------------------------------------------------------------- */

/* Any bytes as DynamoDB's answers, through the backend's own readers: a
 * Query's Items (item readers, choosers, the read cache), a BatchWriteItem
 * answer's UnprocessedItems (back on the pending list), a BatchGetItem
 * answer to two keys asked. For the fuzz target. */
WDN_UNITTEST void wdn_ddb_replay(const void *data, size_t size);

#endif
