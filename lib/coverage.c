/*
 * Coverage: what the digests recorded say of a time window in an account's
 * regions, so that "not found" is never mistaken for "never happened". A
 * gap is a stretch no digest covers, or a digest's hour whose listed log
 * files were not all read. Gaps come sorted, whatever order a store gives.
 */
#include "wdn.h"
#include "coverage.h"
#include "json.h"
#include "store.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

struct rec {
	char *account, *region, *log; /* log NULL: a digest's span */
	int64_t start, end;
};

struct recs {
	struct rec *v;
	size_t n, cap;
	int failed;
};

static int collect(void *ctx, const struct wdn_cover *c)
{
	struct recs *r = ctx;
	struct rec *x;

	if (r->n == r->cap) {
		struct rec *nv = realloc(r->v, (r->cap = r->cap ? r->cap * 2 : 64) * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		r->v = nv;
	}
	x = &r->v[r->n];
	x->account = wdn_strdup(c->account);
	x->region = wdn_strdup(c->region);
	x->log = c->log ? wdn_strdup(c->log) : NULL;
	x->start = c->start;
	x->end = c->end;
	r->n++;
	if (!x->account || !x->region || (c->log && !x->log))
		return WDN_ENOMEM;
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->account, y->account);

	if (!c)
		c = strcmp(x->region, y->region);
	if (!c)
		c = (x->start > y->start) - (x->start < y->start);
	if (!c)
		c = (x->end > y->end) - (x->end < y->end);
	if (!c)
		c = (x->log != NULL) - (y->log != NULL);
	if (!c && x->log)
		c = strcmp(x->log, y->log);
	return c;
}

void wdn_gaps_release(struct wdn_gaps *g)
{
	size_t i, j;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].account);
		free(g->v[i].region);
		for (j = 0; j < g->v[i].nmissing; j++)
			free(g->v[i].missing[j]);
		free(g->v[i].missing);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static struct wdn_gap *add_gap(struct wdn_gaps *g, const struct rec *r, int64_t from, int64_t to)
{
	struct wdn_gap *x;

	if (g->n == g->cap) {
		struct wdn_gap *nv = realloc(g->v, (g->cap = g->cap ? g->cap * 2 : 8) * sizeof(*nv));

		if (!nv)
			return NULL;
		g->v = nv;
	}
	x = &g->v[g->n];
	memset(x, 0, sizeof(*x));
	x->from = from;
	x->to = to;
	x->account = wdn_strdup(r->account);
	x->region = wdn_strdup(r->region);
	g->n++;
	return x->account && x->region ? x : NULL;
}

static int add_missing(struct wdn_gap *x, const char *log)
{
	char **nv = realloc(x->missing, (x->nmissing + 1) * sizeof(*nv));

	if (!nv)
		return WDN_ENOMEM;
	x->missing = nv;
	if (!(nv[x->nmissing] = wdn_strdup(log)))
		return WDN_ENOMEM;
	x->nmissing++;
	return 0;
}

/* The gaps of one account and region (records v[0..n), sorted) within
 * [from, to]; an unbounded end is the recorded spans' own. */
static int region_gaps(const struct rec *v, size_t n, int64_t from, int64_t to, struct wdn_gaps *g)
{
	int64_t lo = from, hi = to, cur;
	struct wdn_gap *last = NULL;
	size_t i, spans = 0;

	for (i = 0; i < n; i++) {
		if (v[i].log)
			continue;
		if (from == WDN_TIME_NONE && (!spans || v[i].start < lo))
			lo = v[i].start;
		if (to == WDN_TIME_MAX && (!spans || v[i].end > hi))
			hi = v[i].end;
		spans++;
	}
	if (!spans && (from == WDN_TIME_NONE || to == WDN_TIME_MAX))
		return 0; /* missing logs alone: no span to say when to look */
	/* stretches no digest covers, whole between two digests, cut at the
	 * window's ends before the first and after the last */
	cur = WDN_TIME_NONE;
	for (i = 0; i < n; i++) {
		if (v[i].log)
			continue;
		if (cur == WDN_TIME_NONE) {
			if (lo < v[i].start && !add_gap(g, &v[i], lo, v[i].start < hi ? v[i].start : hi))
				return WDN_ENOMEM;
		} else if (v[i].start > cur && v[i].start > lo && cur < hi &&
			   !add_gap(g, &v[i], cur, v[i].start)) {
			return WDN_ENOMEM;
		}
		if (cur == WDN_TIME_NONE || v[i].end > cur)
			cur = v[i].end;
	}
	if (cur != WDN_TIME_NONE && cur < hi && !add_gap(g, &v[0], cur > lo ? cur : lo, hi))
		return WDN_ENOMEM;
	if (cur == WDN_TIME_NONE && lo < hi && n && !add_gap(g, &v[0], lo, hi))
		return WDN_ENOMEM;
	/* hours whose listed logs were not all read, one gap per digest span */
	for (i = 0; i < n; i++) {
		if (!v[i].log || v[i].end < lo || v[i].start > hi)
			continue;
		if (!last || last->from != v[i].start || last->to != v[i].end || !last->nmissing)
			if (!(last = add_gap(g, &v[i], v[i].start, v[i].end)))
				return WDN_ENOMEM;
		if (add_missing(last, v[i].log))
			return WDN_ENOMEM;
	}
	return 0;
}

static int cmp_gap(const void *a, const void *b)
{
	const struct wdn_gap *x = a, *y = b;
	int c = strcmp(x->account, y->account);

	if (!c)
		c = strcmp(x->region, y->region);
	if (!c)
		c = (x->from > y->from) - (x->from < y->from);
	if (!c)
		c = (x->to > y->to) - (x->to < y->to);
	if (!c)
		c = (x->nmissing > y->nmissing) - (x->nmissing < y->nmissing);
	return c;
}

int wdn_coverage_gaps(struct wdn_store *s, const char *account, int64_t from, int64_t to,
		      struct wdn_gaps *g, struct wdn_err *err)
{
	struct recs r = { 0 };
	size_t i, j;
	int rc;

	if (!s->ops->covers)
		return 0;
	rc = s->ops->covers(s, account, collect, &r, err);
	if (rc == WDN_ENOMEM)
		wdn_err_set(err, rc, "out of memory");
	if (!rc && r.n) {
		g->known = 1;
		qsort(r.v, r.n, sizeof(*r.v), cmp_rec);
		for (i = 0; !rc && i < r.n; i = j) {
			for (j = i; j < r.n && !strcmp(r.v[j].account, r.v[i].account) &&
				    !strcmp(r.v[j].region, r.v[i].region); j++)
				;
			rc = region_gaps(r.v + i, j - i, from, to, g);
		}
		if (rc)
			wdn_err_set(err, rc, "out of memory");
		else if (g->n)
			qsort(g->v, g->n, sizeof(*g->v), cmp_gap);
	}
	for (i = 0; i < r.n; i++) {
		free(r.v[i].account);
		free(r.v[i].region);
		free(r.v[i].log);
	}
	free(r.v);
	return rc;
}

void wdn_gap_gen(struct yajl_gen_t *g, const struct wdn_gap *x)
{
	size_t i;

	yajl_gen_map_open(g);
	wdn_gen_key(g, "Account");
	wdn_gen_str(g, x->account);
	wdn_gen_key(g, "Region");
	wdn_gen_str(g, x->region);
	wdn_gen_key(g, "From");
	wdn_gen_time(g, x->from);
	wdn_gen_key(g, "To");
	wdn_gen_time(g, x->to);
	wdn_gen_key(g, "Missing");
	yajl_gen_array_open(g);
	for (i = 0; i < x->nmissing; i++)
		wdn_gen_str(g, x->missing[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}
