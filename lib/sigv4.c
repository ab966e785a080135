/* AWS Signature Version 4, over libsodium's SHA-256 and HMAC-SHA256. */
#include "wdn.h"
#include "datetime.h"
#include "sigv4.h"
#include "str.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define PRESIGN_MAX_EXPIRES 604800 /* seven days, AWS's limit */

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_lower[p[i] >> 4];
		out[2 * i + 1] = hex_lower[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- hashes --------------------------------------------------------------- */

/*
 * sodium_init is idempotent and thread-safe; SHA-256 has no CPU dispatch, so
 * even a failed init leaves these functions correct.
 */
static void sodium_ready(void)
{
	if (sodium_init() < 0)
		return;
}

void wdn_sha256(const void *p, size_t n, uint8_t out[32])
{
	sodium_ready();
	crypto_hash_sha256(out, p ? p : (const void *)"", n);
}

void wdn_sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	wdn_sha256(p, n, d);
	to_hex(d, sizeof(d), out);
}

/* The init/update/final API: the first SigV4 key ("AWS4" + secret) is longer
 * than the 32 bytes crypto_auth_hmacsha256 takes. */
void wdn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	sodium_ready();
	crypto_auth_hmacsha256_init(&st, key ? key : (const void *)"", keylen);
	crypto_auth_hmacsha256_update(&st, msg ? msg : (const void *)"", n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* ---- small helpers -------------------------------------------------------- */

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}


/* RFC 7230 token characters: header names and methods. */
static int is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Scope parts go between '/' in the credential: keep them plain. */
static int scope_part_ok(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!is_unreserved((unsigned char)*s))
			return 0;
	return 1;
}

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ASCII case-insensitive: header names against lowercase literals. */
static int name_is(struct wdn_str n, const char *lit)
{
	size_t i;

	for (i = 0; i < n.len; i++)
		if (!lit[i] || lc((unsigned char)n.ptr[i]) != lit[i])
			return 0;
	return lit[i] == '\0';
}

/* Buffers that held a session token or a canonical request built with one. */
static void wipe_release(struct wdn_buf *b)
{
	if (b->cap)
		sodium_memzero(b->ptr, b->len);
	wdn_buf_release(b);
}

/* ---- dates ---------------------------------------------------------------- */

static void put_digits(char *out, unsigned v, int n)
{
	while (n--) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int wdn_sigv4_amz_date(int64_t t, char out[17])
{
	int64_t days, secs, y;
	int m, d;

	/* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	if (t < INT64_C(-62167219200) || t > INT64_C(253402300799)) {
		out[0] = '\0';
		return WDN_EINVAL;
	}
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	wdn_time_civil_from_days(days, &y, &m, &d);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 4, (unsigned)m, 2);
	put_digits(out + 6, (unsigned)d, 2);
	out[8] = 'T';
	put_digits(out + 9, (unsigned)(secs / 3600), 2);
	put_digits(out + 11, (unsigned)(secs / 60 % 60), 2);
	put_digits(out + 13, (unsigned)(secs % 60), 2);
	out[15] = 'Z';
	out[16] = '\0';
	return 0;
}

/* ---- encoding ------------------------------------------------------------- */

int wdn_sigv4_uri_encode(struct wdn_buf *out, const void *p, size_t n, int encode_slash)
{
	const unsigned char *s = p;
	char *w;
	size_t i;
	int rc;

	if (n > SIZE_MAX / 3)
		return WDN_ETOOBIG;
	if ((rc = wdn_buf_grow(out, n * 3)))
		return rc;
	w = out->ptr + out->len;
	for (i = 0; i < n; i++) {
		if (is_unreserved(s[i]) || (s[i] == '/' && !encode_slash)) {
			*w++ = (char)s[i];
		} else {
			*w++ = '%';
			*w++ = hex_upper[s[i] >> 4];
			*w++ = hex_upper[s[i] & 15];
		}
	}
	return wdn_buf_setlen(out, (size_t)(w - out->ptr));
}

/* Percent-decode; a '%' not followed by two hex digits stays literal, and '+'
 * stays a plus (RFC 3986: only form encoding makes it a space). */
static int uri_decode(struct wdn_buf *out, const char *p, size_t n)
{
	size_t i;
	char *w;
	int rc, h, l;

	if ((rc = wdn_buf_grow(out, n)))
		return rc;
	w = out->ptr + out->len;
	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && (h = wdn_hex_value((char)p[i + 1])) >= 0 &&
		    (l = wdn_hex_value((char)p[i + 2])) >= 0) {
			*w++ = (char)(h << 4 | l);
			i += 2;
		} else {
			*w++ = p[i];
		}
	}
	return wdn_buf_setlen(out, (size_t)(w - out->ptr));
}

/* ---- canonical URI -------------------------------------------------------- */

/* RFC 3986 dot-segment removal plus collapsing of empty segments ("//"). */
static int normalize_path(struct wdn_buf *out, const char *p, size_t n)
{
	size_t i = 0, start, len;
	int trailing = 0, rc;

	while (i <= n) {
		start = i;
		while (i < n && p[i] != '/')
			i++;
		len = i - start;
		trailing = 0;
		if (len == 0 || (len == 1 && p[start] == '.')) {
			trailing = 1;
		} else if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
			size_t keep = out->len;

			while (keep && out->ptr[keep - 1] != '/')
				keep--;
			if (keep)
				keep--; /* the '/' before the dropped segment */
			wdn_buf_setlen(out, keep);
			trailing = 1;
		} else {
			if ((rc = wdn_buf_addc(out, '/')) || (rc = wdn_buf_add(out, p + start, len)))
				return rc;
		}
		i++; /* past the '/' (or past the end) */
	}
	if (!out->len || trailing)
		return wdn_buf_addc(out, '/');
	return 0;
}

static int canonical_uri(struct wdn_buf *out, struct wdn_str path, int normalize, int dbl)
{
	struct wdn_buf tmp = WDN_BUF_INIT;
	const unsigned char *s;
	size_t i, n;
	int rc = 0;

	if (normalize) {
		if ((rc = normalize_path(&tmp, path.ptr ? path.ptr : "", path.len)))
			goto out;
	} else {
		if ((!path.len || path.ptr[0] != '/') && (rc = wdn_buf_addc(&tmp, '/')))
			goto out;
		if ((rc = wdn_buf_add(&tmp, path.ptr, path.len)))
			goto out;
	}
	s = (const unsigned char *)tmp.ptr;
	n = tmp.len;
	if (dbl) {
		/* The path as sent is already encoded once: encode it again, '%' too. */
		rc = wdn_sigv4_uri_encode(out, s, n, 0);
		goto out;
	}
	/* Single encoding (S3): keep valid escapes, encode anything else unsafe. */
	for (i = 0; i < n && !rc; i++) {
		if (s[i] == '%' && i + 2 < n && wdn_hex_value(s[i + 1]) >= 0 && wdn_hex_value(s[i + 2]) >= 0) {
			char e[3] = { '%', hex_upper[wdn_hex_value(s[i + 1])], hex_upper[wdn_hex_value(s[i + 2])] };

			rc = wdn_buf_add(out, e, 3);
			i += 2;
		} else {
			rc = wdn_sigv4_uri_encode(out, s + i, 1, 0);
		}
	}
out:
	wdn_buf_release(&tmp);
	return rc;
}

/* ---- canonical query ------------------------------------------------------ */

struct qparam {
	size_t koff, klen, voff, vlen;
	const char *k, *v;
};

struct qlist {
	struct qparam *v;
	size_t n, cap;
	struct wdn_buf text; /* encoded keys and values, back to back */
};

static int qlist_add(struct qlist *q, const char *k, size_t kl, const char *v, size_t vl,
		     int decode)
{
	struct wdn_buf dec = WDN_BUF_INIT;
	struct qparam *e;
	int rc;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct qparam *nv = realloc(q->v, cap * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		q->v = nv;
		q->cap = cap;
	}
	e = &q->v[q->n];
	e->koff = q->text.len;
	if (decode) {
		if ((rc = uri_decode(&dec, k, kl)) ||
		    (rc = wdn_sigv4_uri_encode(&q->text, dec.ptr, dec.len, 1)))
			goto out;
	} else if ((rc = wdn_sigv4_uri_encode(&q->text, k, kl, 1))) {
		goto out;
	}
	e->klen = q->text.len - e->koff;
	e->voff = q->text.len;
	wdn_buf_reset(&dec);
	if (decode) {
		if ((rc = uri_decode(&dec, v, vl)) ||
		    (rc = wdn_sigv4_uri_encode(&q->text, dec.ptr, dec.len, 1)))
			goto out;
	} else if ((rc = wdn_sigv4_uri_encode(&q->text, v, vl, 1))) {
		goto out;
	}
	e->vlen = q->text.len - e->voff;
	q->n++;
out:
	wdn_buf_release(&dec);
	return rc;
}

static int qlist_adds(struct qlist *q, const char *k, const char *v)
{
	return qlist_add(q, k, strlen(k), v, strlen(v), 0);
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

/* Sort by encoded key, then encoded value (AWS compares bytes). */
static int qparam_cmp(const void *pa, const void *pb)
{
	const struct qparam *a = pa, *b = pb;
	int c = cmp_bytes(a->k, a->klen, b->k, b->klen);

	return c ? c : cmp_bytes(a->v, a->vlen, b->v, b->vlen);
}

static int parse_query(struct qlist *q, struct wdn_str query)
{
	const char *p = query.ptr, *end;
	int rc;

	if (!p || !query.len)
		return 0;
	end = p + query.len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (stop > p) { /* "a&&b": empty pieces carry nothing */
			if (eq)
				rc = qlist_add(q, p, (size_t)(eq - p), eq + 1, (size_t)(stop - eq - 1), 1);
			else
				rc = qlist_add(q, p, (size_t)(stop - p), "", 0, 1); /* "?a" signs as "a=" */
			if (rc)
				return rc;
		}
		p = stop + 1;
	}
	return 0;
}

static int qlist_join(struct qlist *q, struct wdn_buf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < q->n; i++) {
		q->v[i].k = q->text.ptr + q->v[i].koff;
		q->v[i].v = q->text.ptr + q->v[i].voff;
	}
	if (q->n > 1)
		qsort(q->v, q->n, sizeof(*q->v), qparam_cmp);
	for (i = 0; i < q->n && !rc; i++) {
		if ((i && (rc = wdn_buf_addc(out, '&'))) ||
		    (rc = wdn_buf_add(out, q->v[i].k, q->v[i].klen)) ||
		    (rc = wdn_buf_addc(out, '=')))
			break;
		rc = wdn_buf_add(out, q->v[i].v, q->v[i].vlen);
	}
	return rc;
}

static void qlist_release(struct qlist *q)
{
	free(q->v);
	wipe_release(&q->text);
	memset(q, 0, sizeof(*q));
	wdn_buf_init(&q->text, 0);
}

/* ---- canonical headers ---------------------------------------------------- */

struct hentry {
	size_t noff, nlen, voff, vlen, idx;
	const char *n, *v;
};

struct hlist {
	struct hentry *v;
	size_t n, cap;
	struct wdn_buf text; /* lowercased names and normalised values */
};

/* Never signed: hop-by-hop or rewritten on the way (as AWS's JS signer). */
static const char *const unsignable[] = {
	"authorization", "cache-control", "connection", "expect", "from", "keep-alive",
	"max-forwards", "pragma", "referer", "te", "trailer", "transfer-encoding", "upgrade",
	"user-agent", "x-amzn-trace-id",
};

/* Lowercase name, value trimmed with inner whitespace runs (folds included)
 * collapsed to one space. */
static int hlist_add(struct hlist *h, const char *name, size_t nl, const char *val, size_t vl)
{
	struct hentry *e;
	size_t i;
	int rc, space = 0, any = 0;
	char *w;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct hentry *nv = realloc(h->v, cap * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		h->v = nv;
		h->cap = cap;
	}
	if (nl > SIZE_MAX / 2 || vl > SIZE_MAX / 2 - nl)
		return WDN_ETOOBIG;
	if ((rc = wdn_buf_grow(&h->text, nl + vl)))
		return rc;
	e = &h->v[h->n];
	e->idx = h->n;
	e->noff = h->text.len;
	e->nlen = nl;
	w = h->text.ptr + h->text.len;
	for (i = 0; i < nl; i++)
		*w++ = (char)lc((unsigned char)name[i]);
	e->voff = e->noff + nl;
	for (i = 0; i < vl; i++) {
		if (is_ws((unsigned char)val[i])) {
			space = any;
			continue;
		}
		if (space)
			*w++ = ' ';
		*w++ = val[i];
		space = 0;
		any = 1;
	}
	e->vlen = (size_t)(w - h->text.ptr) - e->voff;
	wdn_buf_setlen(&h->text, (size_t)(w - h->text.ptr));
	h->n++;
	return 0;
}

static int hentry_cmp(const void *pa, const void *pb)
{
	const struct hentry *a = pa, *b = pb;
	int c = cmp_bytes(a->n, a->nlen, b->n, b->nlen);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx; /* keep the order values came in */
}

static void hlist_release(struct hlist *h)
{
	free(h->v);
	wipe_release(&h->text);
	memset(h, 0, sizeof(*h));
	wdn_buf_init(&h->text, 0);
}

/* Whether the signer drops the caller's header of this name. */
static int header_dropped(const struct wdn_sigv4_req *r, struct wdn_str n)
{
	size_t i;

	for (i = 0; i < sizeof(unsignable) / sizeof(unsignable[0]); i++)
		if (name_is(n, unsignable[i]))
			return 1;
	if (name_is(n, "x-amz-security-token") && r->unsigned_token)
		return 1;
	if (r->presign)
		return 0;
	/* Header mode: the signer sets these itself. */
	if (name_is(n, "x-amz-date"))
		return 1;
	if (name_is(n, "x-amz-content-sha256") && r->sign_body)
		return 1;
	if (name_is(n, "x-amz-security-token") && r->creds.token)
		return 1;
	return 0;
}

static int build_headers(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s,
			 struct wdn_buf *canon, struct wdn_err *err)
{
	struct hlist h = { NULL, 0, 0, WDN_BUF_INIT };
	size_t i, j;
	int rc = 0, have_host = 0;

	for (i = 0; i < r->nheaders; i++) {
		struct wdn_str n = r->headers[i].name, v = r->headers[i].value;

		if (!n.ptr || !n.len) {
			rc = wdn_err_set(err, WDN_EINVAL, "empty header name");
			goto out;
		}
		for (j = 0; j < n.len; j++)
			if (!is_tchar((unsigned char)n.ptr[j])) {
				rc = wdn_err_set(err, WDN_EINVAL, "invalid header name '%.*s'",
						 (int)(n.len > 64 ? 64 : n.len), n.ptr);
				goto out;
			}
		if (header_dropped(r, n))
			continue;
		have_host |= name_is(n, "host");
		if ((rc = hlist_add(&h, n.ptr, n.len, v.ptr ? v.ptr : "", v.ptr ? v.len : 0)))
			goto out;
	}
	if (!have_host) {
		rc = wdn_err_set(err, WDN_EINVAL, "missing host header");
		goto out;
	}
	if (!r->presign) {
		if ((rc = hlist_add(&h, "x-amz-date", 10, s->amz_date, strlen(s->amz_date))))
			goto out;
		if (r->creds.token && !r->unsigned_token &&
		    (rc = hlist_add(&h, "x-amz-security-token", 20, r->creds.token,
				    strlen(r->creds.token))))
			goto out;
		if (r->sign_body && (rc = hlist_add(&h, "x-amz-content-sha256", 20, s->payload_hash,
						    strlen(s->payload_hash))))
			goto out;
	}
	for (i = 0; i < h.n; i++) {
		h.v[i].n = h.text.ptr + h.v[i].noff;
		h.v[i].v = h.text.ptr + h.v[i].voff;
	}
	qsort(h.v, h.n, sizeof(*h.v), hentry_cmp);
	for (i = 0; i < h.n; i = j) {
		if ((i && (rc = wdn_buf_addc(&s->signed_headers, ';'))) ||
		    (rc = wdn_buf_add(&s->signed_headers, h.v[i].n, h.v[i].nlen)) ||
		    (rc = wdn_buf_add(canon, h.v[i].n, h.v[i].nlen)) ||
		    (rc = wdn_buf_addc(canon, ':')))
			goto out;
		/* Repeated headers: values joined with ',' in the order they came. */
		for (j = i; j < h.n && !cmp_bytes(h.v[j].n, h.v[j].nlen, h.v[i].n, h.v[i].nlen); j++)
			if ((j > i && (rc = wdn_buf_addc(canon, ','))) ||
			    (rc = wdn_buf_add(canon, h.v[j].v, h.v[j].vlen)))
				goto out;
		if ((rc = wdn_buf_addc(canon, '\n')))
			goto out;
	}
out:
	hlist_release(&h);
	return rc;
}

/* ---- stages --------------------------------------------------------------- */

void wdn_sigv4_req_init(struct wdn_sigv4_req *r, const char *service)
{
	int s3 = service && (!strcmp(service, "s3") || !strcmp(service, "s3express"));

	memset(r, 0, sizeof(*r));
	r->service = service;
	r->normalize_path = !s3;
	r->double_encode = !s3;
	r->sign_body = s3;
}

void wdn_sigv4_sig_init(struct wdn_sigv4_sig *s)
{
	memset(s, 0, sizeof(*s));
	wdn_buf_init(&s->scope, 0);
	wdn_buf_init(&s->signed_headers, 0);
	wdn_buf_init(&s->canonical_query, 0);
	wdn_buf_init(&s->creq, 0);
	wdn_buf_init(&s->sts, 0);
	wdn_buf_init(&s->authorization, 0);
	wdn_buf_init(&s->query, 0);
}

void wdn_sigv4_sig_release(struct wdn_sigv4_sig *s)
{
	wdn_buf_release(&s->scope);
	wdn_buf_release(&s->signed_headers);
	wipe_release(&s->canonical_query);
	wipe_release(&s->creq);
	wdn_buf_release(&s->sts);
	wdn_buf_release(&s->authorization);
	wipe_release(&s->query);
	wdn_sigv4_sig_init(s);
}

static void sig_reset(struct wdn_sigv4_sig *s)
{
	wdn_buf_reset(&s->scope);
	wdn_buf_reset(&s->signed_headers);
	wdn_buf_reset(&s->canonical_query);
	wdn_buf_reset(&s->creq);
	wdn_buf_reset(&s->sts);
	wdn_buf_reset(&s->authorization);
	wdn_buf_reset(&s->query);
	s->amz_date[0] = s->payload_hash[0] = s->signature[0] = '\0';
}

static int set_payload_hash(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s,
			    struct wdn_err *err)
{
	size_t i, n;

	if (!r->payload_hash) {
		wdn_sha256_hex(r->payload.ptr, r->payload.ptr ? r->payload.len : 0, s->payload_hash);
		return 0;
	}
	n = strlen(r->payload_hash);
	if (!n || n >= sizeof(s->payload_hash))
		return wdn_err_set(err, WDN_EINVAL, "invalid payload hash");
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)r->payload_hash[i]))
			return wdn_err_set(err, WDN_EINVAL, "invalid payload hash");
	memcpy(s->payload_hash, r->payload_hash, n + 1);
	return 0;
}

int wdn_sigv4_canonical_request(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s,
				struct wdn_err *err)
{
	struct qlist q = { NULL, 0, 0, WDN_BUF_INIT };
	struct wdn_buf headers = WDN_BUF_INIT, cred = WDN_BUF_INIT;
	char expires[24];
	size_t i;
	int rc;

	sig_reset(s);
	if (!r->method || !*r->method)
		return wdn_err_set(err, WDN_EINVAL, "missing method");
	for (i = 0; r->method[i]; i++)
		if (!is_tchar((unsigned char)r->method[i]))
			return wdn_err_set(err, WDN_EINVAL, "invalid method");
	if (!scope_part_ok(r->region))
		return wdn_err_set(err, WDN_EINVAL, "invalid region '%.64s'", r->region ? r->region : "");
	if (!scope_part_ok(r->service))
		return wdn_err_set(err, WDN_EINVAL, "invalid service '%.64s'",
				   r->service ? r->service : "");
	if (wdn_sigv4_amz_date(r->time, s->amz_date))
		return wdn_err_set(err, WDN_EINVAL, "signing time out of range");
	if ((rc = set_payload_hash(r, s, err)))
		return rc;
	if ((rc = wdn_buf_add(&s->scope, s->amz_date, 8)) ||
	    (rc = wdn_buf_addf(&s->scope, "/%s/%s/aws4_request", r->region, r->service)))
		goto out;

	if ((rc = build_headers(r, s, &headers, err)))
		goto out;

	if ((rc = parse_query(&q, r->query)))
		goto out;
	if (r->presign) {
		if (!scope_part_ok(r->creds.key_id)) {
			rc = wdn_err_set(err, WDN_EINVAL, "invalid access key id");
			goto out;
		}
		if (r->expires < 1 || r->expires > PRESIGN_MAX_EXPIRES) {
			rc = wdn_err_set(err, WDN_EINVAL, "presign expiry must be 1 to %d seconds",
					 PRESIGN_MAX_EXPIRES);
			goto out;
		}
		snprintf(expires, sizeof(expires), "%lld", (long long)r->expires);
		if ((rc = wdn_buf_adds(&cred, r->creds.key_id)) || (rc = wdn_buf_addc(&cred, '/')) ||
		    (rc = wdn_buf_add(&cred, s->scope.ptr, s->scope.len)))
			goto out;
		if ((rc = qlist_adds(&q, "X-Amz-Algorithm", ALGORITHM)) ||
		    (rc = qlist_adds(&q, "X-Amz-Credential", cred.ptr)) ||
		    (rc = qlist_adds(&q, "X-Amz-Date", s->amz_date)) ||
		    (rc = qlist_adds(&q, "X-Amz-Expires", expires)) ||
		    (rc = qlist_adds(&q, "X-Amz-SignedHeaders", s->signed_headers.ptr)))
			goto out;
		if (r->creds.token && !r->unsigned_token &&
		    (rc = qlist_adds(&q, "X-Amz-Security-Token", r->creds.token)))
			goto out;
	}
	if ((rc = qlist_join(&q, &s->canonical_query)))
		goto out;

	if ((rc = wdn_buf_adds(&s->creq, r->method)) || (rc = wdn_buf_addc(&s->creq, '\n')) ||
	    (rc = canonical_uri(&s->creq, r->path, r->normalize_path, r->double_encode)) ||
	    (rc = wdn_buf_addc(&s->creq, '\n')) ||
	    (rc = wdn_buf_add(&s->creq, s->canonical_query.ptr, s->canonical_query.len)) ||
	    (rc = wdn_buf_addc(&s->creq, '\n')) ||
	    (rc = wdn_buf_add(&s->creq, headers.ptr, headers.len)) ||
	    (rc = wdn_buf_addc(&s->creq, '\n')) ||
	    (rc = wdn_buf_add(&s->creq, s->signed_headers.ptr, s->signed_headers.len)) ||
	    (rc = wdn_buf_addc(&s->creq, '\n')) ||
	    (rc = wdn_buf_adds(&s->creq, s->payload_hash)))
		goto out;
out:
	if (rc && rc != WDN_EINVAL) /* EINVAL came with its detail already */
		wdn_err_set(err, rc, "building the canonical request: %s", wdn_strerror(rc));
	qlist_release(&q);
	wipe_release(&headers);
	wdn_buf_release(&cred);
	return rc;
}

int wdn_sigv4_string_to_sign(struct wdn_sigv4_sig *s)
{
	char h[65];
	int rc;

	wdn_buf_reset(&s->sts);
	wdn_sha256_hex(s->creq.ptr, s->creq.len, h);
	if ((rc = wdn_buf_adds(&s->sts, ALGORITHM "\n")) ||
	    (rc = wdn_buf_adds(&s->sts, s->amz_date)) || (rc = wdn_buf_addc(&s->sts, '\n')) ||
	    (rc = wdn_buf_add(&s->sts, s->scope.ptr, s->scope.len)) ||
	    (rc = wdn_buf_addc(&s->sts, '\n')) || (rc = wdn_buf_adds(&s->sts, h)))
		return rc;
	return 0;
}

int wdn_sigv4_signing_key(const char *secret, const char *date8, const char *region,
			  const char *service, uint8_t key[32])
{
	uint8_t k[32];
	size_t n;
	char *ks;

	if (!secret || !date8 || strlen(date8) < 8 || !region || !service)
		return WDN_EINVAL;
	n = strlen(secret);
	if (n > SIZE_MAX - 5 || !(ks = malloc(n + 5)))
		return WDN_ENOMEM;
	memcpy(ks, "AWS4", 4);
	memcpy(ks + 4, secret, n + 1);
	wdn_hmac_sha256(ks, n + 4, date8, 8, k);
	sodium_memzero(ks, n + 5);
	free(ks);
	wdn_hmac_sha256(k, sizeof(k), region, strlen(region), k);
	wdn_hmac_sha256(k, sizeof(k), service, strlen(service), k);
	wdn_hmac_sha256(k, sizeof(k), "aws4_request", 12, key);
	sodium_memzero(k, sizeof(k));
	return 0;
}

void wdn_sigv4_signature(const uint8_t key[32], const char *sts, size_t n, char out[65])
{
	uint8_t mac[32];

	wdn_hmac_sha256(key, 32, sts, n, mac);
	to_hex(mac, sizeof(mac), out);
	sodium_memzero(mac, sizeof(mac));
}

int wdn_sigv4_sign(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s, struct wdn_err *err)
{
	uint8_t key[32];
	int rc;

	if ((rc = wdn_sigv4_canonical_request(r, s, err)))
		return rc;
	if ((rc = wdn_sigv4_string_to_sign(s)))
		return wdn_err_set(err, rc, "building the string to sign: %s", wdn_strerror(rc));
	if (!r->creds.secret || !scope_part_ok(r->creds.key_id))
		return wdn_err_set(err, WDN_ECRED, "missing access key id or secret");
	if ((rc = wdn_sigv4_signing_key(r->creds.secret, s->amz_date, r->region, r->service, key)))
		return wdn_err_set(err, rc, "deriving the signing key: %s", wdn_strerror(rc));
	wdn_sigv4_signature(key, s->sts.ptr, s->sts.len, s->signature);
	sodium_memzero(key, sizeof(key));

	if (!r->presign) {
		rc = wdn_buf_addf(&s->authorization,
				  ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
				  r->creds.key_id, s->scope.ptr, s->signed_headers.ptr, s->signature);
	} else {
		if ((rc = wdn_buf_add(&s->query, s->canonical_query.ptr, s->canonical_query.len)))
			goto out;
		if (r->creds.token && r->unsigned_token &&
		    ((rc = wdn_buf_adds(&s->query, s->query.len ? "&" : "")) ||
		     (rc = wdn_buf_adds(&s->query, "X-Amz-Security-Token=")) ||
		     (rc = wdn_sigv4_uri_encode(&s->query, r->creds.token, strlen(r->creds.token), 1))))
			goto out;
		if ((rc = wdn_buf_adds(&s->query, s->query.len ? "&" : "")) ||
		    (rc = wdn_buf_adds(&s->query, "X-Amz-Signature=")) ||
		    (rc = wdn_buf_adds(&s->query, s->signature)))
			goto out;
	}
out:
	if (rc)
		return wdn_err_set(err, rc, "signing: %s", wdn_strerror(rc));
	return 0;
}
