/*
 * CloudTrail digest files, public keys and RSA signatures: the parts of
 * digest.c that the verifier, unit tests and fuzz targets reach. Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 *
 * Ownership: every char * and array in these structs is owned by the struct
 * and freed by its _release function.
 */
#ifndef WDN_DIGEST_H
#define WDN_DIGEST_H

#include "wdn.h"

/* One log file a digest lists. */
struct wdn_digest_log {
	char *bucket, *object;   /* s3Bucket, s3Object */
	uint8_t hash[32];
	int hash_ok;             /* hashValue is 64 hex digits and hashAlgorithm SHA-256 */
	int64_t oldest, newest;  /* oldestEventTime, newestEventTime (WDN_TIME_NONE if absent) */
	int seen;                /* the verifier matched it to a log file read */
};

/* A digest file, as CloudTrail writes it. */
struct wdn_digest {
	char *account;                  /* awsAccountId */
	char *start_text, *end_text;    /* digestStartTime, digestEndTime as written: signed as is */
	int64_t start, end;
	char *bucket, *object;          /* digestS3Bucket, digestS3Object */
	char *fingerprint, *algorithm;  /* digestPublicKeyFingerprint, digestSignatureAlgorithm */
	char *prev_bucket, *prev_object; /* NULL for a starting digest */
	uint8_t prev_hash[32];
	int has_prev_hash;              /* previousDigestHashValue: 64 hex digits, SHA-256 */
	char *prev_signature;           /* hex; NULL when null (a starting digest) */
	struct wdn_digest_log *logs;    /* logFiles; none for an empty digest */
	size_t nlogs;
	int backfill;                   /* its object name ends in _backfill.json.gz */
};

/* Parse a digest file's (uncompressed) text. The members AWS's validator
 * needs (digestStartTime, digestEndTime, digestS3Bucket, digestS3Object,
 * digestPublicKeyFingerprint, previousDigestSignature) must be there;
 * WDN_EINVAL with err naming what is wrong otherwise. */
int wdn_digest_parse(const char *text, size_t len, struct wdn_digest *d, struct wdn_err *err);
void wdn_digest_release(struct wdn_digest *d);

/* The data CloudTrail signs for a digest whose text hashes to sha (SHA-256
 * of the uncompressed bytes): digestEndTime, LF, digestS3Bucket "/"
 * digestS3Object, LF, hex sha, LF, previousDigestSignature or "null".
 * Appended to out. */
int wdn_digest_to_sign(const struct wdn_digest *d, const uint8_t sha[32], struct wdn_buf *out);

/* A CloudTrail public key: DER bytes (PKCS #1 RSAPublicKey, as ListPublicKeys
 * gives them, or SubjectPublicKeyInfo) valid over [from, to]. */
struct wdn_pubkey {
	char *fingerprint;
	int64_t from, to;
	unsigned char *der;
	size_t derlen;
};
struct wdn_pubkeys {
	struct wdn_pubkey *v;
	size_t n, cap;
};
/* Add the keys of a ListPublicKeys answer, or of what `aws cloudtrail
 * list-public-keys` prints (validity times as ISO 8601 strings, AWS CLI v2,
 * or epoch seconds, v1). The text must be {"PublicKeyList":[...]} and every
 * key whole; WDN_EINVAL with err otherwise (nothing added). */
int wdn_pubkeys_parse(struct wdn_pubkeys *k, const char *text, size_t len, struct wdn_err *err);
/* The key with this fingerprint valid at t, or NULL. */
const struct wdn_pubkey *wdn_pubkeys_find(const struct wdn_pubkeys *k, const char *fingerprint,
					  int64_t t);
int wdn_pubkeys_has(const struct wdn_pubkeys *k, const char *fingerprint);
void wdn_pubkeys_release(struct wdn_pubkeys *k);

/* Standard base64 (padding optional, no white space) into out (appended). */
int wdn_base64_decode(const char *s, size_t n, struct wdn_buf *out);
/* Hex (either case, even length) into out[max]; *outlen bytes. */
int wdn_hex_decode(const char *s, size_t n, uint8_t *out, size_t max, size_t *outlen);

/* SHA256withRSA (PKCS #1 v1.5) of msg under the DER public key: 1 good,
 * 0 bad signature, WDN_EINVAL when the key cannot be loaded (err says). */
int wdn_rsa_verify(const unsigned char *der, size_t derlen, const void *msg, size_t n,
		   const uint8_t *sig, size_t siglen, struct wdn_err *err);

/* Streaming SHA-256 (libcrypto: the CPU's SHA instructions where it has them). */
struct wdn_sha256_stream;
struct wdn_sha256_stream *wdn_sha256_stream_new(void);
int wdn_sha256_stream_add(void *s, const void *p, size_t n); /* a wdn_reader_tee fn */
int wdn_sha256_stream_end(struct wdn_sha256_stream *s, uint8_t out[32]); /* and starts over */
void wdn_sha256_stream_free(struct wdn_sha256_stream *s);
/* Gzip (detected by magic) inflated, or plain bytes copied, onto out (capped by out->max). */
int wdn_gunzip(const void *p, size_t n, struct wdn_buf *out, struct wdn_err *err);

#endif
