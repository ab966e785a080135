/*
 * What digests say was delivered, and the gaps in it (coverage.c); the
 * public header has the gap types an answer holds. Internal to libwdn and
 * the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_COVERAGE_H
#define WDN_COVERAGE_H

#include "wdn.h"
#include "json.h"

/* What digests say was delivered: a digest's span (log NULL), or one log
 * file it lists and whether it was read (wdn_verifier_coverage). */
struct wdn_cover {
	const char *account, *region;
	int64_t start, end;         /* digestStartTime, digestEndTime */
	const char *digest;         /* the digest's object key */
	const char *log;            /* a listed log file's object key, or NULL */
	int seen;
	int backfill;               /* a backfill digest: lists late files, covers no hour */
};
typedef int (*wdn_cover_fn)(void *ctx, const struct wdn_cover *c);

/* Append the gaps of account (NULL: every account) overlapping [from, to]
 * (WDN_TIME_NONE, WDN_TIME_MAX: the recorded spans' own ends). */
int wdn_coverage_gaps(struct wdn_store *s, const char *account, int64_t from, int64_t to,
		      struct wdn_gaps *g, struct wdn_err *err);
void wdn_gaps_release(struct wdn_gaps *g);
/* One gap as {"Account","Region","From","To","Missing"}. */
void wdn_gap_gen(struct yajl_gen_t *g, const struct wdn_gap *x);

#endif
