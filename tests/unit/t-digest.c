/*
 * CloudTrail digest files (digest.c, verify.c): a digest shaped as AWS's
 * documentation shows one parses; the data CloudTrail signs is built byte for
 * byte; SHA256withRSA signatures made here with a fresh RSA key (EVP) verify
 * under its public key given as ListPublicKeys gives it (base64 PKCS #1 DER)
 * and as SubjectPublicKeyInfo; and the verifier walks chains, backfill and
 * empty digests to each log file's status.
 */
#include "tap.h"
#include "digest.h"
#include "sigv4.h"
#include "verify.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* The shape of AWS's example ("CloudTrail digest file structure"), our own values. */
static const char example[] =
	"{\n"
	"  \"awsAccountId\": \"444455556666\",\n"
	"  \"digestStartTime\": \"2024-03-09T10:22:05Z\",\n"
	"  \"digestEndTime\": \"2024-03-09T11:22:05Z\",\n"
	"  \"digestS3Bucket\": \"example-trail-bucket\",\n"
	"  \"digestS3Object\": \"AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
	"444455556666_CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T112205Z.json.gz\",\n"
	"  \"digestPublicKeyFingerprint\": \"0a1b2c3d4e5f60718293a4b5c6d7e8f9\",\n"
	"  \"digestSignatureAlgorithm\": \"SHA256withRSA\",\n"
	"  \"newestEventTime\": \"2024-03-09T11:10:44Z\",\n"
	"  \"oldestEventTime\": \"2024-03-09T10:31:02Z\",\n"
	"  \"previousDigestS3Bucket\": \"example-trail-bucket\",\n"
	"  \"previousDigestS3Object\": \"AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
	"444455556666_CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T102205Z.json.gz\",\n"
	"  \"previousDigestHashValue\": \"5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592\",\n"
	"  \"previousDigestHashAlgorithm\": \"SHA-256\",\n"
	"  \"previousDigestSignature\": \"0badc0de\",\n"
	"  \"logFiles\": [\n"
	"    {\n"
	"      \"s3Bucket\": \"example-trail-bucket\",\n"
	"      \"s3Object\": \"AWSLogs/444455556666/CloudTrail/eu-west-3/2024/03/09/"
	"444455556666_CloudTrail_eu-west-3_20240309T1045Z_Qx3vB0kq9ZtP1LmA.json.gz\",\n"
	"      \"hashValue\": \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\",\n"
	"      \"hashAlgorithm\": \"SHA-256\",\n"
	"      \"newestEventTime\": \"2024-03-09T10:44:12Z\",\n"
	"      \"oldestEventTime\": \"2024-03-09T10:31:02Z\"\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void test_parse(void)
{
	struct wdn_digest d;
	struct wdn_err err = { 0 };
	uint8_t empty_sha[32];

	is_int(wdn_digest_parse(example, sizeof(example) - 1, &d, &err), 0, "the documented shape parses");
	is_str(d.account, "444455556666", "awsAccountId");
	is_str(d.end_text, "2024-03-09T11:22:05Z", "digestEndTime, as written");
	is_int(d.end - d.start, 3600, "start and end an hour apart");
	is_str(d.fingerprint, "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "fingerprint");
	is_str(d.prev_signature, "0badc0de", "previous signature");
	ok(d.has_prev_hash && d.prev_hash[0] == 0x5d && d.prev_hash[31] == 0x92, "previous hash decoded");
	is_int(d.nlogs, 1, "one log file");
	wdn_sha256("", 0, empty_sha);
	ok(d.logs[0].hash_ok && !memcmp(d.logs[0].hash, empty_sha, 32), "its hash (upper-case hex) decoded");
	is_int(d.backfill, 0, "not a backfill digest");
	wdn_digest_release(&d);

	/* a starting digest: previous fields null; an empty one: no logs */
	{
		static const char start[] = "{\"digestStartTime\":\"2024-03-09T10:22:05Z\",\"digestEndTime\":"
			"\"2024-03-09T11:22:05Z\",\"digestS3Bucket\":\"b\",\"digestS3Object\":\"k_backfill.json.gz\","
			"\"digestPublicKeyFingerprint\":\"f\",\"previousDigestS3Bucket\":null,"
			"\"previousDigestS3Object\":null,\"previousDigestHashValue\":null,"
			"\"previousDigestSignature\":null,\"logFiles\":[]}";

		is_int(wdn_digest_parse(start, sizeof(start) - 1, &d, &err), 0, "a starting, empty digest parses");
		ok(!d.prev_bucket && !d.prev_signature && !d.has_prev_hash && !d.nlogs, "with nothing before it, and no logs");
		is_int(d.backfill, 1, "_backfill in its name: a backfill digest");
		wdn_digest_release(&d);
	}
	/* what AWS's validator insists on */
	{
		static const char *const bad[] = {
			"[]", "{}", "{\"digestStartTime\":\"x\"}",
			"{\"digestStartTime\":\"2024-03-09T10:22:05Z\",\"digestEndTime\":\"2024-03-09T11:22:05Z\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\",\"digestPublicKeyFingerprint\":\"f\"}",
			"{\"digestStartTime\":\"2024-03-09T10:22:05Z\",\"digestEndTime\":\"not a time\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\",\"digestPublicKeyFingerprint\":\"f\","
			"\"previousDigestSignature\":null}",
			"{\"digestStartTime\":\"2024-03-09T10:22:05Z\",\"digestEndTime\":\"2024-03-09T11:22:05Z\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\",\"digestPublicKeyFingerprint\":\"f\","
			"\"previousDigestSignature\":null,\"logFiles\":[{\"s3Bucket\":\"b\"}]}",
			"{\"digestStartTime\":\"2024-03-09T10:22:05Z\",\"digestEndTime\":\"2024-03-09T11:22:05Z\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\",\"digestPublicKeyFingerprint\":\"f\","
			"\"previousDigestSignature\":null,\"previousDigestS3Bucket\":\"b\"}",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int rc = wdn_digest_parse(bad[i], strlen(bad[i]), &d, &err);

			ok(rc == WDN_EINVAL, "refused (%s): %.60s", err.msg, bad[i]);
		}
	}
}

static void test_to_sign(void)
{
	struct wdn_digest d;
	struct wdn_buf b = WDN_BUF_INIT;
	uint8_t sha[32];
	size_t i;

	wdn_digest_parse(example, sizeof(example) - 1, &d, NULL);
	for (i = 0; i < 32; i++)
		sha[i] = (uint8_t)(i * 8 + 1);
	wdn_digest_to_sign(&d, sha, &b);
	is_str(b.ptr,
	       "2024-03-09T11:22:05Z\n"
	       "example-trail-bucket/AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
	       "444455556666_CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T112205Z.json.gz\n"
	       "0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9\n"
	       "0badc0de", "the data to sign: end time, bucket/key, hex SHA-256, previous signature");
	free(d.prev_signature);
	d.prev_signature = NULL;
	wdn_buf_reset(&b);
	wdn_digest_to_sign(&d, sha, &b);
	ok(b.len > 5 && !memcmp(b.ptr + b.len - 5, "\nnull", 5), "a starting digest signs the word null, no newline after");
	wdn_buf_release(&b);
	wdn_digest_release(&d);
}

static void test_codecs(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	uint8_t out[8];
	size_t n;

	ok(!wdn_base64_decode("aGVsbG8=", 8, &b) && b.len == 5 && !memcmp(b.ptr, "hello", 5), "base64 with padding");
	wdn_buf_reset(&b);
	ok(!wdn_base64_decode("aGVsbG8", 7, &b) && b.len == 5, "and without");
	wdn_buf_reset(&b);
	ok(wdn_base64_decode("aGVsbG9", 7, &b) == WDN_EINVAL, "stray bits refused");
	wdn_buf_reset(&b);
	ok(wdn_base64_decode("aGV sbG8=", 9, &b) == WDN_EINVAL, "a space refused");
	wdn_buf_reset(&b);
	ok(wdn_base64_decode("a===", 4, &b) == WDN_EINVAL, "too much padding refused");
	wdn_buf_release(&b);
	ok(!wdn_hex_decode("00fFa0", 6, out, sizeof(out), &n) && n == 3 && out[1] == 0xff, "hex, either case");
	ok(wdn_hex_decode("0g", 2, out, sizeof(out), &n) == WDN_EINVAL, "not hex refused");
	ok(wdn_hex_decode("abc", 3, out, sizeof(out), &n) == WDN_EINVAL, "odd length refused");
	ok(wdn_hex_decode("000000000000000000", 18, out, sizeof(out), &n) == WDN_EINVAL, "too long for out refused");
}

static void test_keys(void)
{
	struct wdn_pubkeys k = { 0 };
	struct wdn_err err = { 0 };
	static const char v2[] = "{\"PublicKeyList\":[{\"Value\":\"AAEC\",\"ValidityStartTime\":\"2024-03-01T00:00:00+00:00\","
				 "\"ValidityEndTime\":\"2024-04-01T00:00:00+00:00\",\"Fingerprint\":\"aa\"}]}";
	static const char v1[] = "{\"PublicKeyList\":[{\"Value\":\"AAEC\",\"ValidityStartTime\":1709251200.0,"
				 "\"ValidityEndTime\":1.7119296E9,\"Fingerprint\":\"bb\"}]}";
	int64_t mid = 1709251200 + 86400;

	is_int(wdn_pubkeys_parse(&k, v2, sizeof(v2) - 1, &err), 0, "keys as AWS CLI v2 prints them (ISO 8601)");
	is_int(wdn_pubkeys_parse(&k, v1, sizeof(v1) - 1, &err), 0, "and as v1 does (epoch seconds)");
	ok(wdn_pubkeys_find(&k, "aa", mid) && wdn_pubkeys_find(&k, "bb", mid), "both found by fingerprint and time");
	ok(!wdn_pubkeys_find(&k, "aa", 1709251200 - 1), "not before its validity");
	ok(!wdn_pubkeys_find(&k, "bb", 1711929600 + 1), "nor after");
	is_int(k.v[1].to, 1711929600, "exponent notation read");
	ok(k.v[0].derlen == 3 && k.v[0].der[2] == 2, "Value decoded");
	is_int(wdn_pubkeys_parse(&k, "{\"PublicKeyList\":[{\"Value\":\"AAEC\",\"Fingerprint\":\"cc\","
				     "\"ValidityStartTime\":1,\"ValidityEndTime\":2},{\"Value\":\"!\",\"Fingerprint\":\"dd\","
				     "\"ValidityStartTime\":1,\"ValidityEndTime\":2}]}", 123, &err), WDN_EINVAL,
	       "a list with one bad key is refused");
	is_int(k.n, 2, "whole: nothing of it added");
	ok(wdn_pubkeys_parse(&k, "{}", 2, &err) == WDN_EINVAL, "no PublicKeyList refused");
	wdn_pubkeys_release(&k);
}

/* ---- signing as CloudTrail does ------------------------------------------- */

static EVP_PKEY *key;

static void b64(const unsigned char *p, size_t n, struct wdn_buf *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		wdn_buf_addf(out, "%c%c%c%c", t[v >> 18], t[v >> 12 & 63], t[v >> 6 & 63], t[v & 63]);
	}
	if (n - i == 1)
		wdn_buf_addf(out, "%c%c==", t[p[i] >> 2], t[(p[i] & 3) << 4]);
	else if (n - i == 2)
		wdn_buf_addf(out, "%c%c%c=", t[p[i] >> 2], t[(p[i] & 3) << 4 | p[i + 1] >> 4], t[(p[i + 1] & 15) << 2]);
}

/* The key list JSON for the test key (PKCS #1, or SPKI) under fingerprint fp. */
static void key_json(int spki, const char *fp, struct wdn_buf *out)
{
	unsigned char *der = NULL;
	int n = spki ? i2d_PUBKEY(key, &der) : i2d_PublicKey(key, &der);

	wdn_buf_addf(out, "{\"PublicKeyList\":[{\"Value\":\"");
	b64(der, (size_t)n, out);
	wdn_buf_addf(out, "\",\"ValidityStartTime\":1709251200,\"ValidityEndTime\":1711929600,\"Fingerprint\":\"%s\"}]}", fp);
	OPENSSL_free(der);
}

/* Sign a digest text as CloudTrail does: hex signature into sig. */
static void sign(const char *text, char sig[1024])
{
	struct wdn_digest d;
	struct wdn_buf b = WDN_BUF_INIT;
	uint8_t sha[32], raw[512];
	size_t n = sizeof(raw), i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (wdn_digest_parse(text, strlen(text), &d, NULL)) {
		sig[0] = '\0';
		return;
	}
	wdn_sha256(text, strlen(text), sha);
	wdn_digest_to_sign(&d, sha, &b);
	EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSign(ctx, raw, &n, (const unsigned char *)b.ptr, b.len);
	for (i = 0; i < n; i++)
		snprintf(sig + 2 * i, 3, "%02x", raw[i]);
	EVP_MD_CTX_free(ctx);
	wdn_buf_release(&b);
	wdn_digest_release(&d);
}

static void hexs(const uint8_t h[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* A digest of hour h (10..) listing log "log-H.json.gz" with hash lh (or
 * none if lh NULL); prev: the digest before it (text and signature) or NULL. */
static char *make_digest(int h, const char *suffix, const uint8_t *lh, const char *prev_text,
			 const char *prev_sig)
{
	struct wdn_buf b = WDN_BUF_INIT;
	char hx[65];

	wdn_buf_addf(&b, "{\"awsAccountId\":\"444455556666\",\"digestStartTime\":\"2024-03-09T%02d:00:00Z\","
		     "\"digestEndTime\":\"2024-03-09T%02d:00:00Z\",\"digestS3Bucket\":\"bk\","
		     "\"digestS3Object\":\"AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
		     "444455556666_CloudTrail-Digest_eu-west-3_t_eu-west-3_20240309T%02d0000Z%s.json.gz\","
		     "\"digestPublicKeyFingerprint\":\"fp\",\"digestSignatureAlgorithm\":\"SHA256withRSA\",",
		     h - 1, h, h, suffix);
	if (prev_text) {
		struct wdn_digest p;
		uint8_t ph[32];

		wdn_digest_parse(prev_text, strlen(prev_text), &p, NULL);
		wdn_sha256(prev_text, strlen(prev_text), ph);
		hexs(ph, hx);
		wdn_buf_addf(&b, "\"previousDigestS3Bucket\":\"bk\",\"previousDigestS3Object\":\"%s\","
			     "\"previousDigestHashValue\":\"%s\",\"previousDigestHashAlgorithm\":\"SHA-256\","
			     "\"previousDigestSignature\":\"%s\",", p.object, hx, prev_sig);
		wdn_digest_release(&p);
	} else {
		wdn_buf_addf(&b, "\"previousDigestS3Bucket\":null,\"previousDigestS3Object\":null,"
			     "\"previousDigestHashValue\":null,\"previousDigestHashAlgorithm\":null,"
			     "\"previousDigestSignature\":null,");
	}
	wdn_buf_adds(&b, "\"logFiles\":[");
	if (lh) {
		hexs(lh, hx);
		wdn_buf_addf(&b, "{\"s3Bucket\":\"bk\",\"s3Object\":\"AWSLogs/444455556666/CloudTrail/eu-west-3/"
			     "2024/03/09/log-%d%s.json.gz\",\"hashValue\":\"%s\",\"hashAlgorithm\":\"SHA-256\"}",
			     h, suffix, hx);
	}
	wdn_buf_adds(&b, "]}");
	return wdn_buf_detach(&b, NULL);
}

struct seen {
	int kinds[8];
	char last[1024];
};

static void on_finding(void *ctx, const struct wdn_finding *f)
{
	struct seen *s = ctx;

	s->kinds[f->kind]++;
	snprintf(s->last, sizeof(s->last), "%s", f->why);
}

static void test_verify(void)
{
	struct wdn_buf keys = WDN_BUF_INIT, spki = WDN_BUF_INIT;
	uint8_t lh[4][32];
	char *d[4], sig[4][1024], name[64];
	struct wdn_verifier *v;
	struct seen s;
	struct wdn_err err = { 0 };
	int i;

	key = EVP_RSA_gen(2048);
	if (!ok(key != NULL, "a fresh 2048-bit RSA key"))
		return;
	key_json(0, "fp", &keys);
	key_json(1, "fp", &spki);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "log %d content", i);
		wdn_sha256(name, strlen(name), lh[i]);
	}
	/* a chain 10 -> 11 -> 12 (12 empty) and a backfill at 11 */
	d[0] = make_digest(10, "", lh[0], NULL, NULL);
	sign(d[0], sig[0]);
	d[1] = make_digest(11, "", lh[1], d[0], sig[0]);
	sign(d[1], sig[1]);
	d[2] = make_digest(12, "", NULL, d[1], sig[1]);
	sign(d[2], sig[2]);
	d[3] = make_digest(11, "_backfill", lh[3], NULL, NULL);
	sign(d[3], sig[3]);

	{
		struct wdn_digest dd;
		uint8_t sha[32];
		struct wdn_buf msg = WDN_BUF_INIT;
		uint8_t raw[512];
		size_t n;

		wdn_digest_parse(d[1], strlen(d[1]), &dd, NULL);
		wdn_sha256(d[1], strlen(d[1]), sha);
		wdn_digest_to_sign(&dd, sha, &msg);
		wdn_hex_decode(sig[1], strlen(sig[1]), raw, sizeof(raw), &n);
		{
			struct wdn_pubkeys k = { 0 };

			wdn_pubkeys_parse(&k, keys.ptr, keys.len, NULL);
			is_int(wdn_rsa_verify(k.v[0].der, k.v[0].derlen, msg.ptr, msg.len, raw, n, &err), 1,
			       "a signature made as CloudTrail makes one verifies (PKCS #1 DER key)");
			msg.ptr[0] ^= 1;
			is_int(wdn_rsa_verify(k.v[0].der, k.v[0].derlen, msg.ptr, msg.len, raw, n, &err), 0,
			       "one bit of the signed data changed: it does not");
			is_int(wdn_rsa_verify((const unsigned char *)"junk", 4, msg.ptr, msg.len, raw, n, &err), WDN_EINVAL,
			       "a key that is no key: an error, not a verdict");
			wdn_pubkeys_release(&k);
		}
		wdn_buf_release(&msg);
		wdn_digest_release(&dd);
	}

	/* offline: signatures from the next digest only */
	for (i = 0; i < 2; i++) {
		v = wdn_verifier_new();
		memset(&s, 0, sizeof(s));
		wdn_verifier_add_keys(v, i ? spki.ptr : keys.ptr, i ? spki.len : keys.len, &err);
		wdn_verifier_add_digest(v, "d10", NULL, NULL, d[0], strlen(d[0]), NULL, NULL);
		wdn_verifier_add_digest(v, "d11", NULL, NULL, d[1], strlen(d[1]), NULL, NULL);
		wdn_verifier_add_digest(v, "d12", NULL, NULL, d[2], strlen(d[2]), NULL, NULL);
		wdn_verifier_add_digest(v, "d11b", NULL, NULL, d[3], strlen(d[3]), NULL, NULL);
		wdn_verifier_add_log(v, "x/log-10.json.gz", NULL, NULL, lh[0]);
		wdn_verifier_add_log(v, "x/log-11.json.gz", NULL, NULL, lh[1]);
		wdn_verifier_add_log(v, "x/log-11_backfill.json.gz", NULL, NULL, lh[3]);
		wdn_verifier_add_log(v, "x/other.json.gz", NULL, NULL, lh[2]);
		ok(wdn_verifier_expects(v, "x/log-10.json.gz", NULL) && !wdn_verifier_expects(v, "x/other.json.gz", NULL) &&
		   wdn_verifier_expects(v, "s3://b/k", "k/log-11.json.gz"), "it knows which logs a digest lists (by name)");
		wdn_verifier_finish(v, on_finding, &s);
		is_int(s.kinds[1] + s.kinds[2] + s.kinds[3] + s.kinds[4], 0, "offline, %s key: nothing reported (%s)",
		       i ? "SPKI" : "PKCS #1", s.last);
		is_str(wdn_integrity_name(wdn_verifier_status(v, "x/log-10.json.gz", NULL)), "verified",
		       "a log whose digest the next one signs for: verified");
		is_str(wdn_integrity_name(wdn_verifier_status(v, "x/log-11.json.gz", NULL)), "verified",
		       "and the next (the empty digest after it vouches)");
		is_str(wdn_integrity_name(wdn_verifier_status(v, "x/log-11_backfill.json.gz", NULL)), "unverified",
		       "a backfill digest offline: nothing signs for it");
		is_str(wdn_integrity_name(wdn_verifier_status(v, "x/other.json.gz", NULL)), "unverified",
		       "a log no digest lists: unverified");
		wdn_verifier_free(v);
	}

	/* from S3: the metadata signatures; and a log changed, a digest missing */
	v = wdn_verifier_new();
	memset(&s, 0, sizeof(s));
	wdn_verifier_add_keys(v, keys.ptr, keys.len, &err);
	for (i = 0; i < 4; i++) {
		struct wdn_digest dd;
		char src[600];

		if (i == 1)
			continue; /* 11 is missing: 12 names it */
		wdn_digest_parse(d[i], strlen(d[i]), &dd, NULL);
		snprintf(src, sizeof(src), "s3://bk/%s", dd.object);
		wdn_verifier_add_digest(v, src, "bk", dd.object, d[i], strlen(d[i]), sig[i], "SHA256withRSA");
		wdn_digest_release(&dd);
	}
	wdn_verifier_add_log(v, "s3://bk/l10", "bk", "AWSLogs/444455556666/CloudTrail/eu-west-3/2024/03/09/log-10.json.gz", lh[1]);
	wdn_verifier_add_log(v, "s3://bk/l11b", "bk", "AWSLogs/444455556666/CloudTrail/eu-west-3/2024/03/09/log-11_backfill.json.gz", lh[3]);
	wdn_verifier_add_log(v, "s3://other/l11b", "other", "AWSLogs/444455556666/CloudTrail/eu-west-3/2024/03/09/log-11_backfill.json.gz", lh[3]);
	wdn_verifier_finish(v, on_finding, &s);
	is_str(wdn_integrity_name(wdn_verifier_status(v, "s3://bk/l10", NULL)), "tampered", "a log whose hash differs: tampered");
	is_int(s.kinds[WDN_FINDING_TAMPERED], 1, "reported once");
	is_str(wdn_integrity_name(wdn_verifier_status(v, "s3://bk/l11b", NULL)), "verified",
	       "a backfill digest signed in its metadata: its log verified");
	is_str(wdn_integrity_name(wdn_verifier_status(v, "s3://other/l11b", NULL)), "unverified",
	       "the same name in another bucket is not the listed object");
	is_int(s.kinds[WDN_FINDING_CHAIN], 1, "the digest missing between 10 and 12: a chain break");
	is_int(s.kinds[WDN_FINDING_MISSING], 0, "nothing listed is missing but what digest 11 lists, unknown");
	wdn_verifier_free(v);

	/* a later digest put in place of an earlier one: the chain tells */
	v = wdn_verifier_new();
	memset(&s, 0, sizeof(s));
	wdn_verifier_add_keys(v, keys.ptr, keys.len, &err);
	wdn_verifier_add_digest(v, "d10", NULL, NULL, d[0], strlen(d[0]), NULL, NULL);
	wdn_verifier_add_digest(v, "d11", NULL, NULL, d[1], strlen(d[1]), NULL, NULL);
	wdn_verifier_add_digest(v, "d11-again", NULL, NULL, d[1], strlen(d[1]), NULL, NULL);
	wdn_verifier_add_digest(v, "junk", NULL, NULL, "{", 1, NULL, NULL);
	wdn_verifier_finish(v, on_finding, &s);
	is_int(s.kinds[WDN_FINDING_DIGEST], 1, "a digest file that is no digest: reported");
	wdn_verifier_free(v);

	/* only an empty digest: a log read is listed by none */
	v = wdn_verifier_new();
	memset(&s, 0, sizeof(s));
	wdn_verifier_add_keys(v, keys.ptr, keys.len, &err);
	wdn_verifier_add_digest(v, "d12", NULL, NULL, d[2], strlen(d[2]), NULL, NULL);
	wdn_verifier_add_log(v, "x/log-10.json.gz", NULL, NULL, lh[0]);
	is_int(wdn_verifier_finish(v, on_finding, &s), 0, "an empty digest and a log: decided");
	is_str(wdn_integrity_name(wdn_verifier_status(v, "x/log-10.json.gz", NULL)), "unverified", "the log unverified");
	wdn_verifier_free(v);

	for (i = 0; i < 4; i++)
		free(d[i]);
	wdn_buf_release(&keys);
	wdn_buf_release(&spki);
	EVP_PKEY_free(key);
}

/* The reader's tee: the hash of the uncompressed bytes, gzip or not. */
static void test_tee(void)
{
	static const char text[] = "{\"Records\":[]}\n";
	static const unsigned char gz[] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0x0a, 0x4a, 0x4d, 0xce,
		0x2f, 0x4a, 0x29, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0xe5, 0x02, 0x00, 0x7d, 0xa5, 0x21, 0xe7, 0x0f,
		0x00, 0x00, 0x00,
	};
	struct wdn_sha256_stream *h = wdn_sha256_stream_new();
	struct wdn_reader *r;
	uint8_t a[32], b[32], want[32];
	struct wdn_buf out = WDN_BUF_INIT;

	wdn_sha256(text, sizeof(text) - 1, want);
	r = wdn_reader_new("plain", NULL, NULL, NULL);
	wdn_reader_tee(r, wdn_sha256_stream_add, h);
	wdn_reader_feed(r, text, sizeof(text) - 1);
	wdn_reader_finish(r, NULL);
	wdn_reader_free(r);
	wdn_sha256_stream_end(h, a);
	r = wdn_reader_new("gzip", NULL, NULL, NULL);
	wdn_reader_tee(r, wdn_sha256_stream_add, h);
	wdn_reader_feed(r, gz, 5);
	wdn_reader_feed(r, gz + 5, sizeof(gz) - 5);
	wdn_reader_finish(r, NULL);
	wdn_reader_free(r);
	wdn_sha256_stream_end(h, b);
	ok(!memcmp(a, want, 32), "plain input: the tee hashes every byte");
	ok(!memcmp(b, want, 32), "gzip input: the tee hashes the uncompressed bytes");
	ok(!wdn_gunzip(gz, sizeof(gz), &out, NULL) && out.len == sizeof(text) - 1, "wdn_gunzip inflates it");
	wdn_buf_release(&out);
	wdn_buf_init(&out, 4);
	ok(wdn_gunzip(gz, sizeof(gz), &out, NULL) == WDN_ETOOBIG, "within the buffer's cap only");
	wdn_buf_release(&out);
	wdn_sha256_stream_free(h);
}

int main(void)
{
	test_parse();
	test_to_sign();
	test_codecs();
	test_keys();
	test_verify();
	test_tee();
	return done_testing();
}
