/*
 * The verifier: the digests and log file hashes of a run in, each log file's
 * integrity out, with findings (tampered, missing, chain breaks) reported.
 * Decisions are made once everything is in (finish), since a digest's
 * signature may come from the digest after it.
 */
#include "digest.h"
#include "aws.h"
#include "coverage.h"
#include "json.h"
#include "sigv4.h"
#include "str.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

struct vdig {
	char *source, *bucket, *key, *sig_hex, *sig_alg;
	struct wdn_digest d;
	int parsed;
	uint8_t sha[32];             /* of its uncompressed text */
	int status;
	char why[1024];
	char *stream;                /* digests of one trail, account and region */
	struct vdig *succ;           /* the (non-backfill) digest naming it as previous */
	unsigned nsucc;
	const char *succ_sig;        /* its signature as a later digest gives it */
	int chain_bad;
	char chain_why[768];         /* why the chain rejects it */
};

struct vlog {
	char *source, *bucket, *key;
	uint8_t sha[32];
	int status;
	char why[1280];
};

struct entry {
	struct vdig *dig;
	struct wdn_digest_log *log;
	const char *base;
	int matched;
};

struct wdn_verifier {
	struct wdn_pubkeys keys;
	const char **listed;         /* base names of the log files digests list, sorted */
	size_t nlisted;
	int indexed;
	struct vdig **digs;
	size_t ndigs, capdigs;
	struct vlog *logs;
	size_t nlogs, caplogs;
	int finished;
	uint64_t verified, tampered, unverified;
};

const char *wdn_integrity_name(int status)
{
	return status == WDN_INTEGRITY_VERIFIED ? "verified" :
	       status == WDN_INTEGRITY_TAMPERED ? "tampered" : "unverified";
}

int wdn_integrity_parse(const char *name)
{
	return !strcmp(name, "verified") ? WDN_INTEGRITY_VERIFIED :
	       !strcmp(name, "tampered") ? WDN_INTEGRITY_TAMPERED : WDN_INTEGRITY_UNVERIFIED;
}

static int rank(int s)
{
	return s == WDN_INTEGRITY_TAMPERED ? 0 : s == WDN_INTEGRITY_UNVERIFIED ? 1 : 2;
}

int wdn_integrity_weakest(int a, int b)
{
	return rank(a) <= rank(b) ? a : b;
}

struct wdn_verifier *wdn_verifier_new(void)
{
	return calloc(1, sizeof(struct wdn_verifier));
}

static void dig_free(struct vdig *g)
{
	free(g->source);
	free(g->bucket);
	free(g->key);
	free(g->sig_hex);
	free(g->sig_alg);
	free(g->stream);
	wdn_digest_release(&g->d);
	free(g);
}

void wdn_verifier_free(struct wdn_verifier *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->ndigs; i++)
		dig_free(v->digs[i]);
	free(v->digs);
	for (i = 0; i < v->nlogs; i++) {
		free(v->logs[i].source);
		free(v->logs[i].bucket);
		free(v->logs[i].key);
	}
	free(v->logs);
	free(v->listed);
	wdn_pubkeys_release(&v->keys);
	free(v);
}

int wdn_verifier_add_keys(struct wdn_verifier *v, const char *json, size_t len, struct wdn_err *err)
{
	return wdn_pubkeys_parse(&v->keys, json, len, err);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *np;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 16;
	if (!(np = realloc(*p, c * size)))
		return WDN_ENOMEM;
	*p = np;
	*cap = c;
	return 0;
}

static const char *base_name(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

/* The trail a digest belongs to: bucket and the object's name without its time. */
static char *stream_of(const struct wdn_digest *d)
{
	struct wdn_buf b = WDN_BUF_INIT;
	const char *base = base_name(d->object), *us = strrchr(base, '_');
	size_t n = strlen(base);

	if (d->backfill && us && us > base) { /* NAME_TIME_backfill.json.gz */
		n = (size_t)(us - base);
		while (n && base[n - 1] != '_')
			n--;
		n = n ? n - 1 : 0;
	} else if (us) {
		n = (size_t)(us - base);
	}
	if (wdn_buf_addf(&b, "%s|%.*s", d->bucket, (int)n, base))
		return NULL;
	return wdn_buf_detach(&b, NULL);
}

int wdn_verifier_add_digest(struct wdn_verifier *v, const char *source, const char *bucket,
			    const char *key, const void *text, size_t len, const char *sig_hex,
			    const char *sig_alg)
{
	struct vdig *g;
	struct wdn_err err = { 0 };

	if (grow((void **)&v->digs, &v->capdigs, v->ndigs, sizeof(*v->digs)) ||
	    !(g = calloc(1, sizeof(*g))))
		return WDN_ENOMEM;
	v->digs[v->ndigs++] = g;
	g->source = wdn_strdup(source);
	g->bucket = wdn_strdup(bucket);
	g->key = wdn_strdup(key);
	g->sig_hex = wdn_strdup(sig_hex);
	g->sig_alg = wdn_strdup(sig_alg);
	if (!g->source || (bucket && !g->bucket) || (key && !g->key) || (sig_hex && !g->sig_hex) ||
	    (sig_alg && !g->sig_alg))
		return WDN_ENOMEM;
	wdn_sha256(text, len, g->sha);
	if (wdn_digest_parse(text, len, &g->d, &err)) {
		if (err.code == WDN_ENOMEM)
			return WDN_ENOMEM;
		g->status = WDN_INTEGRITY_TAMPERED;
		snprintf(g->why, sizeof(g->why), "not a valid digest file: %.200s", err.msg);
		return 0;
	}
	g->parsed = 1;
	if (!(g->stream = stream_of(&g->d)))
		return WDN_ENOMEM;
	return 0;
}

int wdn_verifier_add_log(struct wdn_verifier *v, const char *source, const char *bucket,
			 const char *key, const uint8_t sha[32])
{
	struct vlog *l;

	if (grow((void **)&v->logs, &v->caplogs, v->nlogs, sizeof(*v->logs)))
		return WDN_ENOMEM;
	l = &v->logs[v->nlogs];
	memset(l, 0, sizeof(*l));
	l->source = wdn_strdup(source);
	l->bucket = wdn_strdup(bucket);
	l->key = wdn_strdup(key);
	memcpy(l->sha, sha, 32);
	v->nlogs++;
	if (!l->source || (bucket && !l->bucket) || (key && !l->key))
		return WDN_ENOMEM;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int wdn_verifier_expects(struct wdn_verifier *v, const char *source, const char *key)
{
	const char *base = base_name(key ? key : source);
	size_t i, j, n = 0;

	if (!v->indexed) {
		for (i = 0; i < v->ndigs; i++)
			n += v->digs[i]->d.nlogs;
		if (n && !(v->listed = malloc(n * sizeof(*v->listed))))
			return 1; /* cannot tell: hash it */
		for (i = 0; i < v->ndigs; i++)
			for (j = 0; j < v->digs[i]->d.nlogs; j++)
				v->listed[v->nlisted++] = base_name(v->digs[i]->d.logs[j].object);
		if (v->nlisted)
			qsort(v->listed, v->nlisted, sizeof(*v->listed), cmp_str);
		v->indexed = 1;
	}
	return v->nlisted && bsearch(&base, v->listed, v->nlisted, sizeof(*v->listed), cmp_str) != NULL;
}

/* The region in a digest's object key: .../CloudTrail-Digest/REGION/... */
static void region_of(const struct wdn_digest *d, char out[32])
{
	const char *p = strstr(d->object, "CloudTrail-Digest/");
	size_t n = 0;

	if (p) {
		p += 18;
		n = strcspn(p, "/");
	}
	snprintf(out, 32, "%.*s", (int)(n < 31 ? n : 0), p ? p : "");
}

int wdn_verifier_key_needs(struct wdn_verifier *v,
			   int (*cb)(void *ctx, const char *region, int64_t from, int64_t to), void *ctx)
{
	size_t i, j;
	int rc;

	for (i = 0; i < v->ndigs; i++) {
		struct vdig *g = v->digs[i];
		char region[32], other[32];
		int64_t from, to;
		int seen = 0;

		if (!g->parsed || wdn_pubkeys_has(&v->keys, g->d.fingerprint))
			continue;
		region_of(&g->d, region);
		from = to = g->d.end;
		for (j = 0; j < v->ndigs && !seen; j++) {
			struct vdig *h = v->digs[j];

			if (!h->parsed || wdn_pubkeys_has(&v->keys, h->d.fingerprint))
				continue;
			region_of(&h->d, other);
			if (strcmp(region, other))
				continue;
			if (j < i)
				seen = 1; /* asked already, with the first of its region */
			if (h->d.end < from)
				from = h->d.end;
			if (h->d.end > to)
				to = h->d.end;
		}
		if (!seen && (rc = cb(ctx, region, from, to)))
			return rc;
	}
	return 0;
}

/* ---- deciding -------------------------------------------------------------- */

static int cmp_loc(const char *b1, const char *o1, const char *b2, const char *o2)
{
	int c = strcmp(b1, b2);

	return c ? c : strcmp(o1, o2);
}

static int cmp_dig(const void *a, const void *b)
{
	const struct vdig *x = *(struct vdig *const *)a, *y = *(struct vdig *const *)b;

	if (!x->parsed || !y->parsed)
		return y->parsed - x->parsed;
	return cmp_loc(x->d.bucket, x->d.object, y->d.bucket, y->d.object);
}

/* The parsed digest that names itself bucket/object, among the first n (sorted). */
static struct vdig *find_dig(struct wdn_verifier *v, size_t n, const char *bucket, const char *object)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_loc(v->digs[mid]->d.bucket, v->digs[mid]->d.object, bucket, object);

		if (!c)
			return v->digs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void finding(wdn_finding_fn cb, void *ctx, int kind, const char *source, const char *bucket,
		    const char *key, const char *why)
{
	struct wdn_finding f = { kind, source, bucket, key, why };

	if (cb)
		cb(ctx, &f);
}

/* Is d the oldest regular digest of its trail among the inputs? */
static int oldest_of_stream(struct wdn_verifier *v, size_t n, const struct vdig *d)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vdig *g = v->digs[i];

		if (g != d && !g->d.backfill && !strcmp(g->stream, d->stream) && g->d.end < d->d.end)
			return 0;
	}
	return 1;
}

/* Is there an input digest, failed to parse, named like object? (then the
 * chain is not missing it: that digest is reported for itself) */
static int unparsed_named(struct wdn_verifier *v, size_t n, const char *object)
{
	size_t i;

	for (i = n; i < v->ndigs; i++)
		if (!strcmp(base_name(v->digs[i]->key ? v->digs[i]->key : v->digs[i]->source),
			    base_name(object)))
			return 1;
	return 0;
}

/* Link each digest to its previous: successors, chain hashes and signatures. */
static void walk_chain(struct wdn_verifier *v, size_t n, wdn_finding_fn cb, void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct vdig *g = v->digs[i], *p;
		char why[512];

		if (!g->d.prev_bucket)
			continue; /* a starting digest: logging (or validation) began here */
		p = find_dig(v, n, g->d.prev_bucket, g->d.prev_object);
		if (!p) {
			if (!g->d.backfill && !oldest_of_stream(v, n, g) && !unparsed_named(v, n, g->d.prev_object)) {
				snprintf(why, sizeof(why), "the digest before '%s' is missing", g->source);
				finding(cb, ctx, WDN_FINDING_CHAIN, g->source, g->d.prev_bucket,
					g->d.prev_object, why);
			}
			continue;
		}
		if (!p->succ_sig && g->d.prev_signature)
			p->succ_sig = g->d.prev_signature;
		if (!g->d.backfill && !p->succ) {
			p->succ = g;
		} else if (!g->d.backfill && p->succ != g && !p->chain_bad) {
			p->chain_bad = 1;
			snprintf(p->chain_why, sizeof(p->chain_why), "two digests ('%s' and '%s') follow it",
				 p->succ->source, g->source);
		}
		if (g->d.has_prev_hash && memcmp(g->d.prev_hash, p->sha, 32) && !p->chain_bad) {
			p->chain_bad = 1;
			snprintf(p->chain_why, sizeof(p->chain_why),
				 "its SHA-256 is not the previousDigestHashValue of the next digest '%s'",
				 g->source);
		} else if (p->sig_hex && g->d.prev_signature && strcasecmp(p->sig_hex, g->d.prev_signature) &&
			   !p->chain_bad) {
			p->chain_bad = 1;
			snprintf(p->chain_why, sizeof(p->chain_why),
				 "its signature is not the previousDigestSignature of the next digest '%s'",
				 g->source);
		}
	}
}

/* Check one digest's signature: its status and why. */
static void check_signature(struct wdn_verifier *v, struct vdig *g)
{
	const char *sig = g->sig_hex ? g->sig_hex : g->succ_sig;
	const struct wdn_pubkey *k;
	struct wdn_buf msg = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	uint8_t raw[2048];
	size_t n;
	int rc;

	if ((g->sig_alg && strcmp(g->sig_alg, "SHA256withRSA")) ||
	    (g->d.algorithm && strcmp(g->d.algorithm, "SHA256withRSA"))) {
		g->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(g->why, sizeof(g->why), "signature algorithm '%.64s' is not SHA256withRSA",
			 g->sig_alg && strcmp(g->sig_alg, "SHA256withRSA") ? g->sig_alg : g->d.algorithm);
		return;
	}
	if (!sig) {
		g->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(g->why, sizeof(g->why), "no signature for digest '%s' (a local copy of the newest "
			 "digest: its signature is in its S3 metadata, or the next digest)", g->source);
		return;
	}
	if (wdn_hex_decode(sig, strlen(sig), raw, sizeof(raw), &n) || !n) {
		g->status = WDN_INTEGRITY_TAMPERED;
		snprintf(g->why, sizeof(g->why), "digest '%s': its signature is not hex", g->source);
		return;
	}
	if (!(k = wdn_pubkeys_find(&v->keys, g->d.fingerprint, g->d.end))) {
		g->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(g->why, sizeof(g->why), "digest '%s': no public key with fingerprint %.64s valid at %.40s",
			 g->source, g->d.fingerprint, g->d.end_text);
		return;
	}
	if (wdn_digest_to_sign(&g->d, g->sha, &msg)) {
		g->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(g->why, sizeof(g->why), "out of memory");
		return;
	}
	rc = wdn_rsa_verify(k->der, k->derlen, msg.ptr, msg.len, raw, n, &err);
	wdn_buf_release(&msg);
	g->status = rc == 1 ? WDN_INTEGRITY_VERIFIED : rc == 0 ? WDN_INTEGRITY_TAMPERED : WDN_INTEGRITY_UNVERIFIED;
	if (rc == 0)
		snprintf(g->why, sizeof(g->why), "digest '%s': its signature does not verify", g->source);
	else if (rc < 0)
		snprintf(g->why, sizeof(g->why), "digest '%.500s': public key %.64s: %.300s", g->source,
			 g->d.fingerprint, err.msg);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->base, ((const struct entry *)b)->base);
}

/* One log file read against what the digests list. */
static void decide_log(struct vlog *l, struct entry *es, size_t ne)
{
	const char *base = base_name(l->key ? l->key : l->source);
	struct entry probe = { NULL, NULL, base, 0 };
	struct entry *e = ne ? bsearch(&probe, es, ne, sizeof(*es), cmp_entry) : NULL;
	const struct entry *verified = NULL, *bad = NULL, *mismatch = NULL, *other = NULL;

	while (e && e > es && !strcmp(e[-1].base, base))
		e--;
	for (; e && e < es + ne && !strcmp(e->base, base); e++) {
		if (l->bucket && (strcmp(l->bucket, e->log->bucket) || strcmp(l->key, e->log->object)))
			continue; /* read from S3: only its own bucket and key */
		e->matched = 1;
		if (!e->log->hash_ok)
			other = other ? other : e;
		else if (memcmp(e->log->hash, l->sha, 32))
			mismatch = mismatch ? mismatch : e;
		else if (e->dig->status == WDN_INTEGRITY_VERIFIED)
			verified = verified ? verified : e;
		else if (e->dig->status == WDN_INTEGRITY_TAMPERED)
			bad = bad ? bad : e;
		else
			other = other ? other : e;
	}
	if (mismatch) {
		l->status = WDN_INTEGRITY_TAMPERED;
		snprintf(l->why, sizeof(l->why), "its SHA-256 is not the one digest '%s' lists",
			 mismatch->dig->source);
	} else if (verified) {
		l->status = WDN_INTEGRITY_VERIFIED;
	} else if (bad) {
		l->status = WDN_INTEGRITY_TAMPERED;
		snprintf(l->why, sizeof(l->why), "the digest listing it failed: %.1020s", bad->dig->why);
	} else if (other) {
		l->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(l->why, sizeof(l->why), "%s", other->log->hash_ok ? other->dig->why :
			 "its digest gives no SHA-256 hash for it");
	} else {
		l->status = WDN_INTEGRITY_UNVERIFIED;
		snprintf(l->why, sizeof(l->why), "no digest lists it");
	}
}

static int decide_logs(struct wdn_verifier *v, size_t n, wdn_finding_fn cb, void *ctx)
{
	struct entry *es = NULL;
	size_t ne = 0, cap = 0, i, j;
	char why[512];

	for (i = 0; i < n; i++)
		for (j = 0; j < v->digs[i]->d.nlogs; j++) {
			if (grow((void **)&es, &cap, ne, sizeof(*es))) {
				free(es);
				return WDN_ENOMEM;
			}
			es[ne].dig = v->digs[i];
			es[ne].log = &v->digs[i]->d.logs[j];
			es[ne].base = base_name(es[ne].log->object);
			es[ne++].matched = 0;
		}
	if (ne)
		qsort(es, ne, sizeof(*es), cmp_entry);
	for (i = 0; i < v->nlogs; i++) {
		struct vlog *l = &v->logs[i];

		decide_log(l, es, ne);
		if (l->status == WDN_INTEGRITY_TAMPERED)
			finding(cb, ctx, WDN_FINDING_TAMPERED, l->source, l->bucket, l->key, l->why);
	}
	for (i = 0; i < ne; i++)
		es[i].log->seen |= es[i].matched;
	for (i = 0; i < ne; i++) {
		if (es[i].matched || es[i].dig->status == WDN_INTEGRITY_TAMPERED)
			continue; /* a forged list proves nothing missing */
		snprintf(why, sizeof(why), "listed by digest '%s' but not among the inputs",
			 es[i].dig->source);
		finding(cb, ctx, WDN_FINDING_MISSING, NULL, es[i].log->bucket, es[i].log->object, why);
	}
	free(es);
	return 0;
}

int wdn_verifier_finish(struct wdn_verifier *v, wdn_finding_fn cb, void *ctx)
{
	size_t i, n = 0;

	/* parsed digests first, sorted by the location each names */
	if (v->ndigs)
		qsort(v->digs, v->ndigs, sizeof(*v->digs), cmp_dig);
	while (n < v->ndigs && v->digs[n]->parsed)
		n++;
	for (i = 0; i < v->ndigs; i++) {
		struct vdig *g = v->digs[i];

		if (g->parsed && g->bucket && g->key && cmp_loc(g->bucket, g->key, g->d.bucket, g->d.object)) {
			g->status = WDN_INTEGRITY_TAMPERED; /* as AWS's validator: moved is invalid */
			snprintf(g->why, sizeof(g->why), "digest '%s' is not at the location it names "
				 "(s3://%.100s/%.100s)", g->source, g->d.bucket, g->d.object);
			g->parsed = 2; /* checked, failed */
		}
	}
	walk_chain(v, n, cb, ctx);
	for (i = 0; i < v->ndigs; i++) {
		struct vdig *g = v->digs[i];

		if (g->parsed == 1)
			check_signature(v, g);
		if (!g->parsed) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", g->why);
			snprintf(g->why, sizeof(g->why), "digest '%.250s': %.760s", g->source, why);
		}
		if (g->status == WDN_INTEGRITY_TAMPERED)
			finding(cb, ctx, WDN_FINDING_DIGEST, g->source, NULL, NULL, g->why);
		if (g->parsed && g->chain_bad) {
			char why[1024];

			/* a digest that signs well but is not the one the chain names:
			 * another genuine digest put in its place */
			snprintf(why, sizeof(why), "digest '%.250s': %.760s", g->source, g->chain_why);
			finding(cb, ctx, WDN_FINDING_CHAIN, g->source, NULL, NULL, why);
			if (g->status != WDN_INTEGRITY_TAMPERED)
				memcpy(g->why, why, sizeof(why));
			g->status = WDN_INTEGRITY_TAMPERED;
		}
	}
	if (decide_logs(v, n, cb, ctx))
		return WDN_ENOMEM;
	v->verified = v->tampered = v->unverified = 0;
	for (i = 0; i < v->nlogs; i++) {
		int s = v->logs[i].status;

		if (s == WDN_INTEGRITY_VERIFIED)
			v->verified++;
		else if (s == WDN_INTEGRITY_TAMPERED)
			v->tampered++;
		else
			v->unverified++;
	}
	v->finished = 1;
	return 0;
}

int wdn_verifier_coverage(const struct wdn_verifier *v, wdn_cover_fn cb, void *ctx)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; !rc && v->finished && i < v->ndigs; i++) {
		const struct vdig *g = v->digs[i];
		struct wdn_cover c = { 0 };
		char region[32];

		/* a digest that failed proves neither delivery nor absence */
		if (g->parsed != 1 || g->status == WDN_INTEGRITY_TAMPERED || g->chain_bad ||
		    !g->d.account || g->d.start == WDN_TIME_NONE || g->d.end == WDN_TIME_NONE)
			continue;
		region_of(&g->d, region);
		if (!region[0])
			continue;
		c.account = g->d.account;
		c.region = region;
		c.start = g->d.start;
		c.end = g->d.end;
		c.digest = g->d.object;
		c.backfill = g->d.backfill;
		rc = cb(ctx, &c);
		for (j = 0; !rc && j < g->d.nlogs; j++) {
			c.log = g->d.logs[j].object;
			c.seen = g->d.logs[j].seen;
			rc = cb(ctx, &c);
		}
	}
	return rc;
}

int wdn_verifier_status(const struct wdn_verifier *v, const char *source, const char **why)
{
	size_t i;

	if (why)
		*why = NULL;
	for (i = 0; v->finished && i < v->nlogs; i++)
		if (!strcmp(v->logs[i].source, source)) {
			if (why)
				*why = v->logs[i].why[0] ? v->logs[i].why : NULL;
			return v->logs[i].status;
		}
	return WDN_INTEGRITY_UNVERIFIED;
}

void wdn_verifier_counts(const struct wdn_verifier *v, uint64_t *digests, uint64_t *verified,
			 uint64_t *tampered, uint64_t *unverified)
{
	if (digests)
		*digests = v->ndigs;
	if (verified)
		*verified = v->verified;
	if (tampered)
		*tampered = v->tampered;
	if (unverified)
		*unverified = v->unverified;
}

/* ---- ListPublicKeys ---------------------------------------------------------- */

struct fetch {
	struct wdn_verifier *v;
	const char *profile, *endpoint;
	struct wdn_err *err;
};

static int fetch_region(void *ctx, const char *region, int64_t from, int64_t to)
{
	struct fetch *f = ctx;
	struct wdn_aws *a = NULL;
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT;
	char *token = NULL;
	int rc, pages = 0;

	if ((rc = wdn_aws_new(f->profile, *region ? region : NULL, f->endpoint, &a, f->err)))
		return rc;
	do {
		struct wdn_aws_call c, *cp = &c;
		wdn_json v;
		const char *next;

		wdn_buf_reset(&body);
		/* an hour either side: a key's validity brackets the digests it signed */
		wdn_buf_addf(&body, "{\"StartTime\":%lld,\"EndTime\":%lld", (long long)(from - 3600),
			     (long long)(to + 3600));
		if (token)
			wdn_buf_addf(&body, ",\"NextToken\":\"%s\"", token);
		wdn_buf_addc(&body, '}');
		wdn_aws_json_init(&c, "cloudtrail",
				  "X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys",
				  body.ptr, body.len);
		c.headers[0] = "Content-Type: application/x-amz-json-1.1";
		rc = wdn_buf_failed(&body) ? wdn_err_set(&c.err, WDN_ENOMEM, "out of memory") : /* never cut short */
		     wdn_aws_perform(a, &cp, 1);
		if (rc) {
			if (f->err)
				*f->err = c.err;
			wdn_err_prefix(f->err, "ListPublicKeys in %s: ", wdn_aws_region(a));
		} else {
			rc = wdn_verifier_add_keys(f->v, c.resp.ptr, c.resp.len, f->err);
			if (rc)
				wdn_err_prefix(f->err, "ListPublicKeys in %s: ", wdn_aws_region(a));
		}
		free(token);
		token = NULL;
		if (!rc && (v = wdn_json_parse(c.resp.ptr, c.resp.len, NULL))) {
			/* tokens are opaque base64ish text; never let one break the JSON */
			if ((next = wdn_json_str(v, "NextToken")) && *next && !strpbrk(next, "\"\\"))
				token = wdn_strdup(next);
			wdn_json_free(v);
		}
		wdn_aws_call_release(&c);
	} while (!rc && token && ++pages < 100);
	free(token);
	wdn_buf_release(&body);
	wdn_buf_release(&resp);
	wdn_aws_free(a);
	return rc;
}

int wdn_verifier_fetch_keys(struct wdn_verifier *v, const char *profile, const char *endpoint,
			    struct wdn_err *err)
{
	struct fetch f = { v, profile, endpoint, err };

	return wdn_verifier_key_needs(v, fetch_region, &f);
}
