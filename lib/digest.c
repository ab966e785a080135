/*
 * CloudTrail log file integrity: digest files parsed, their signatures
 * checked with libcrypto (EVP, SHA256withRSA), their chain walked, and each
 * log file read given a status. See verify.h for the model, digest.h for the
 * parts tests reach.
 */
#include "digest.h"
#include "datetime.h"
#include "json.h"
#include "str.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

/* ---- small codecs --------------------------------------------------------- */

int wdn_hex_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *outlen)
{
	size_t i;

	if (n % 2 || n / 2 > max)
		return WDN_EINVAL;
	for (i = 0; i < n; i += 2) {
		int hi = wdn_hex_value(s[i]), lo = wdn_hex_value(s[i + 1]);

		if (hi < 0 || lo < 0)
			return WDN_EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return 0;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int wdn_base64_decode(const char *s, size_t n, struct wdn_buf *out)
{
	uint32_t acc = 0;
	size_t i, bits = 0, pad = 0;
	int rc;

	while (n && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4))
		return WDN_EINVAL;
	for (i = 0; i < n; i++) {
		int v = b64val(s[i]);

		if (v < 0)
			return WDN_EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((rc = wdn_buf_addc(out, (char)(acc >> bits & 0xff))))
				return rc;
		}
	}
	/* the bits left over are padding, and must be zero */
	return bits && (acc & ((1u << bits) - 1)) ? WDN_EINVAL : 0;
}

/* A failed append: too big, or no memory (never called "too big"). */
static int gunzip_full(struct wdn_buf *out, const char *what, struct wdn_err *err)
{
	if (wdn_buf_failed(out) == WDN_ETOOBIG)
		return wdn_err_set(err, WDN_ETOOBIG, "larger than %zu bytes%s", out->max, what);
	return wdn_err_set(err, WDN_ENOMEM, "out of memory");
}

int wdn_gunzip(const void *p, size_t n, struct wdn_buf *out, struct wdn_err *err)
{
	const unsigned char *b = p;
	unsigned char chunk[64 * 1024];
	z_stream z;
	int zrc, rc = 0;

	if (n < 2 || b[0] != 0x1f || b[1] != 0x8b)
		return wdn_buf_add(out, p, n) ? gunzip_full(out, "", err) : 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	z.next_in = (unsigned char *)b;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = inflate(&z, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
			rc = wdn_err_set(err, WDN_EINVAL, "corrupt gzip data");
			break;
		}
		if (wdn_buf_add(out, chunk, sizeof(chunk) - z.avail_out)) {
			rc = gunzip_full(out, " uncompressed", err);
			break;
		}
		if (zrc == Z_STREAM_END) {
			if (!z.avail_in)
				break;
			inflateReset(&z); /* concatenated members are one stream */
		} else if (zrc == Z_BUF_ERROR && z.avail_out == sizeof(chunk)) {
			rc = wdn_err_set(err, WDN_EINVAL, "truncated gzip data");
			break;
		}
	} while (1);
	inflateEnd(&z);
	return rc;
}

/* ---- SHA-256 and RSA over EVP --------------------------------------------- */

struct wdn_sha256_stream {
	EVP_MD_CTX *ctx;
};

struct wdn_sha256_stream *wdn_sha256_stream_new(void)
{
	struct wdn_sha256_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!(s->ctx = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		wdn_sha256_stream_free(s);
		return NULL;
	}
	return s;
}

int wdn_sha256_stream_add(void *sp, const void *p, size_t n)
{
	struct wdn_sha256_stream *s = sp;

	return EVP_DigestUpdate(s->ctx, p, n) == 1 ? 0 : WDN_ENOMEM;
}

int wdn_sha256_stream_end(struct wdn_sha256_stream *s, uint8_t out[32])
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != 32 ||
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		return WDN_ENOMEM;
	return 0;
}

void wdn_sha256_stream_free(struct wdn_sha256_stream *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}

/* ListPublicKeys gives PKCS #1 RSAPublicKey DER; take SubjectPublicKeyInfo too. */
static EVP_PKEY *load_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	if (len > 16384)
		return NULL;
	if ((k = d2i_PUBKEY(NULL, &p, (long)len)) && p == der + len && EVP_PKEY_base_id(k) == EVP_PKEY_RSA)
		return k;
	EVP_PKEY_free(k);
	p = der;
	if ((k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len)) && p == der + len)
		return k;
	EVP_PKEY_free(k);
	return NULL;
}

int wdn_rsa_verify(const unsigned char *der, size_t derlen, const void *msg, size_t n,
		   const uint8_t *sig, size_t siglen, struct wdn_err *err)
{
	EVP_PKEY *k = load_key(der, derlen);
	EVP_MD_CTX *ctx;
	int rc;

	if (!k)
		return wdn_err_set(err, WDN_EINVAL, "the public key is not an RSA key in DER");
	if (!(ctx = EVP_MD_CTX_new())) {
		EVP_PKEY_free(k);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	/* EVP's default RSA padding for verification is PKCS #1 v1.5 */
	rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, n) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return rc;
}

/* ---- digest files --------------------------------------------------------- */

/* A member that must be a string (or, if may_null, null): NULL otherwise. */
static const char *member(wdn_json v, const char *name, int *is_null)
{
	wdn_json m = wdn_json_get(v, name);

	if (is_null)
		*is_null = m && YAJL_IS_NULL(m);
	return m && YAJL_IS_STRING(m) ? m->u.string : NULL;
}

static int dup_member(wdn_json v, const char *name, char **out)
{
	const char *s = member(v, name, NULL);

	*out = NULL;
	if (s && !(*out = wdn_strdup(s)))
		return WDN_ENOMEM;
	return 0;
}

static int64_t time_member(wdn_json v, const char *name)
{
	const char *s = member(v, name, NULL);
	int64_t t;

	return s && !wdn_time_parse(s, strlen(s), &t) ? t : WDN_TIME_NONE;
}

/* A hex SHA-256 with its algorithm: 1 when both are as CloudTrail writes them. */
static int sha_member(wdn_json v, const char *value, const char *algorithm, uint8_t out[32])
{
	const char *h = member(v, value, NULL), *alg = member(v, algorithm, NULL);
	size_t n;

	return h && alg && !strcmp(alg, "SHA-256") && !wdn_hex_decode(h, strlen(h), out, 32, &n) && n == 32;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !memcmp(s + n - t, tail, t);
}

static int parse_logs(wdn_json files, struct wdn_digest *d, struct wdn_err *err)
{
	size_t i;

	if (!files || YAJL_IS_NULL(files))
		return 0;
	if (!YAJL_IS_ARRAY(files))
		return wdn_err_set(err, WDN_EINVAL, "logFiles is not an array");
	if (!files->u.array.len)
		return 0;
	if (!(d->logs = calloc(files->u.array.len, sizeof(*d->logs))))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	for (i = 0; i < files->u.array.len; i++) {
		wdn_json f = files->u.array.values[i];
		struct wdn_digest_log *l = &d->logs[d->nlogs];

		if (!YAJL_IS_OBJECT(f) || !member(f, "s3Bucket", NULL) || !member(f, "s3Object", NULL))
			return wdn_err_set(err, WDN_EINVAL, "logFiles[%zu] has no s3Bucket and s3Object", i);
		d->nlogs++;
		if (dup_member(f, "s3Bucket", &l->bucket) || dup_member(f, "s3Object", &l->object))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		l->hash_ok = sha_member(f, "hashValue", "hashAlgorithm", l->hash);
		l->oldest = time_member(f, "oldestEventTime");
		l->newest = time_member(f, "newestEventTime");
	}
	return 0;
}

static int parse_tree(wdn_json v, struct wdn_digest *d, struct wdn_err *err)
{
	static const char *const required[] = {
		"digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
		"digestPublicKeyFingerprint",
	};
	size_t i;
	int sig_null = 0;

	if (!YAJL_IS_OBJECT(v))
		return wdn_err_set(err, WDN_EINVAL, "not a JSON object");
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!member(v, required[i], NULL))
			return wdn_err_set(err, WDN_EINVAL, "no %s", required[i]);
	/* AWS's validator insists on it: null in a starting digest */
	if (!member(v, "previousDigestSignature", &sig_null) && !sig_null)
		return wdn_err_set(err, WDN_EINVAL, "no previousDigestSignature");
	if (dup_member(v, "awsAccountId", &d->account) ||
	    dup_member(v, "digestStartTime", &d->start_text) ||
	    dup_member(v, "digestEndTime", &d->end_text) ||
	    dup_member(v, "digestS3Bucket", &d->bucket) ||
	    dup_member(v, "digestS3Object", &d->object) ||
	    dup_member(v, "digestPublicKeyFingerprint", &d->fingerprint) ||
	    dup_member(v, "digestSignatureAlgorithm", &d->algorithm) ||
	    dup_member(v, "previousDigestS3Bucket", &d->prev_bucket) ||
	    dup_member(v, "previousDigestS3Object", &d->prev_object) ||
	    dup_member(v, "previousDigestSignature", &d->prev_signature))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	d->start = time_member(v, "digestStartTime");
	d->end = time_member(v, "digestEndTime");
	if (d->start == WDN_TIME_NONE || d->end == WDN_TIME_NONE)
		return wdn_err_set(err, WDN_EINVAL, "digestStartTime or digestEndTime is not a time");
	if (!d->prev_bucket != !d->prev_object)
		return wdn_err_set(err, WDN_EINVAL, "previousDigestS3Bucket and previousDigestS3Object disagree");
	d->has_prev_hash = sha_member(v, "previousDigestHashValue", "previousDigestHashAlgorithm",
				      d->prev_hash);
	d->backfill = ends_with(d->object, "_backfill.json.gz") || ends_with(d->object, "_backfill.json");
	return parse_logs(wdn_json_get(v, "logFiles"), d, err);
}

int wdn_digest_parse(const char *text, size_t len, struct wdn_digest *d, struct wdn_err *err)
{
	wdn_json v;
	int rc;

	memset(d, 0, sizeof(*d));
	d->start = d->end = WDN_TIME_NONE;
	if (!(v = wdn_json_parse(text, len, err)))
		return err ? err->code : WDN_EINVAL;
	rc = parse_tree(v, d, err);
	wdn_json_free(v);
	if (rc)
		wdn_digest_release(d);
	return rc;
}

void wdn_digest_release(struct wdn_digest *d)
{
	size_t i;

	for (i = 0; i < d->nlogs; i++) {
		free(d->logs[i].bucket);
		free(d->logs[i].object);
	}
	free(d->logs);
	free(d->account);
	free(d->start_text);
	free(d->end_text);
	free(d->bucket);
	free(d->object);
	free(d->fingerprint);
	free(d->algorithm);
	free(d->prev_bucket);
	free(d->prev_object);
	free(d->prev_signature);
	memset(d, 0, sizeof(*d));
	d->start = d->end = WDN_TIME_NONE;
}

int wdn_digest_to_sign(const struct wdn_digest *d, const uint8_t sha[32], struct wdn_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	char h[65];
	int i;

	for (i = 0; i < 32; i++) {
		h[2 * i] = hex[sha[i] >> 4];
		h[2 * i + 1] = hex[sha[i] & 15];
	}
	h[64] = '\0';
	return wdn_buf_addf(out, "%s\n%s/%s\n%s\n%s", d->end_text, d->bucket, d->object, h,
			    d->prev_signature ? d->prev_signature : "null");
}

/* ---- public keys ---------------------------------------------------------- */

/* A validity time: ISO 8601 (AWS CLI v2) or epoch seconds (v1, the API). */
static int key_time(wdn_json v, int64_t *out)
{
	if (v && YAJL_IS_STRING(v))
		return wdn_time_parse(v->u.string, strlen(v->u.string), out);
	if (v && YAJL_IS_NUMBER(v)) {
		char *end;
		double x = strtod(v->u.number.r, &end);

		if (*end || !isfinite(x) || x < -1e15 || x > 1e15)
			return WDN_EINVAL;
		*out = (int64_t)floor(x);
		return 0;
	}
	return WDN_EINVAL;
}

static void key_release(struct wdn_pubkey *k)
{
	free(k->fingerprint);
	free(k->der);
	memset(k, 0, sizeof(*k));
}

static int key_parse(wdn_json e, struct wdn_pubkey *k, size_t i, struct wdn_err *err)
{
	const char *fp = member(e, "Fingerprint", NULL), *val = member(e, "Value", NULL);
	struct wdn_buf der = WDN_BUF_INIT;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!YAJL_IS_OBJECT(e) || !fp || !val)
		return wdn_err_set(err, WDN_EINVAL, "PublicKeyList[%zu] has no Fingerprint and Value", i);
	if (key_time(wdn_json_get(e, "ValidityStartTime"), &k->from) ||
	    key_time(wdn_json_get(e, "ValidityEndTime"), &k->to))
		return wdn_err_set(err, WDN_EINVAL, "PublicKeyList[%zu]: validity times are not times", i);
	wdn_buf_init(&der, 16384);
	if ((rc = wdn_base64_decode(val, strlen(val), &der)) || !der.len) {
		wdn_buf_release(&der);
		/* want of memory is no fault of the key list */
		if (rc == WDN_ENOMEM)
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		return wdn_err_set(err, WDN_EINVAL, "PublicKeyList[%zu]: Value is not base64", i);
	}
	k->der = (unsigned char *)wdn_buf_detach(&der, &k->derlen);
	if (!(k->fingerprint = wdn_strdup(fp))) {
		key_release(k);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	return 0;
}

int wdn_pubkeys_parse(struct wdn_pubkeys *k, const char *text, size_t len, struct wdn_err *err)
{
	wdn_json v = wdn_json_parse(text, len, err), list;
	size_t i, n0 = k->n;
	int rc = 0;

	if (!v)
		return err ? err->code : WDN_EINVAL;
	list = wdn_json_get(v, "PublicKeyList");
	if (!YAJL_IS_OBJECT(v) || !list || !YAJL_IS_ARRAY(list))
		rc = wdn_err_set(err, WDN_EINVAL, "no PublicKeyList array");
	for (i = 0; !rc && i < list->u.array.len; i++) {
		if (k->n == k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 8;
			struct wdn_pubkey *nv = realloc(k->v, cap * sizeof(*nv));

			if (!nv) {
				rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
				break;
			}
			k->v = nv;
			k->cap = cap;
		}
		if (!(rc = key_parse(list->u.array.values[i], &k->v[k->n], i, err)))
			k->n++;
	}
	wdn_json_free(v);
	if (rc) /* all or nothing */
		while (k->n > n0)
			key_release(&k->v[--k->n]);
	return rc;
}

const struct wdn_pubkey *wdn_pubkeys_find(const struct wdn_pubkeys *k, const char *fingerprint,
					  int64_t t)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].fingerprint, fingerprint) && k->v[i].from <= t && t <= k->v[i].to)
			return &k->v[i];
	return NULL;
}

int wdn_pubkeys_has(const struct wdn_pubkeys *k, const char *fingerprint)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].fingerprint, fingerprint))
			return 1;
	return 0;
}

void wdn_pubkeys_release(struct wdn_pubkeys *k)
{
	while (k->n)
		key_release(&k->v[--k->n]);
	free(k->v);
	memset(k, 0, sizeof(*k));
}
