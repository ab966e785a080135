/*
 * AWS Signature Version 4 (sigv4.c): SHA-256 and HMAC-SHA256 over libsodium,
 * and each SigV4 stage on its own (canonical request, string to sign,
 * signing key, signature) so tests can check them one by one against AWS's
 * suites. Internal to libwdn and the commands (which link libwdn.a); not
 * installed.
 *
 * Ownership: struct wdn_sigv4_req only borrows; nothing in it is freed.
 * struct wdn_sigv4_sig owns its buffers; wdn_sigv4_sig_release frees them,
 * wiping those that may hold the session token. Secret-derived bytes (keys,
 * HMAC state) are wiped before each call returns.
 */
#ifndef WDN_SIGV4_H
#define WDN_SIGV4_H

#include "wdn.h"

/* ---- hashes --------------------------------------------------------------- */

void wdn_sha256(const void *p, size_t n, uint8_t out[32]);           /* SHA-256 digest */
void wdn_sha256_hex(const void *p, size_t n, char out[65]);          /* lowercase hex, NUL-terminated */
void wdn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
		     uint8_t out[32]);                               /* any key length */

/* ---- SigV4 ---------------------------------------------------------------- */

struct wdn_sigv4_header {
	struct wdn_str name, value; /* as sent: any case, untrimmed, may be folded */
};

struct wdn_sigv4_creds {
	const char *key_id, *secret;
	const char *token;          /* session token, NULL for long-term keys */
};

struct wdn_sigv4_req {
	const char *method;                     /* "GET" */
	struct wdn_str path;                    /* as sent, before '?': "/a%20b" ("" = "/") */
	struct wdn_str query;                   /* raw, without '?': "b=2&a=1" */
	const struct wdn_sigv4_header *headers; /* must hold host */
	size_t nheaders;
	struct wdn_str payload;                 /* body, hashed when payload_hash is NULL */
	const char *payload_hash;               /* hex digest, "UNSIGNED-PAYLOAD", ... or NULL */
	const char *region, *service;
	int64_t time;                           /* signing time, epoch seconds */
	int64_t expires;                        /* presign: X-Amz-Expires, 1..604800 */
	struct wdn_sigv4_creds creds;
	int normalize_path;  /* remove dot segments, collapse slashes (all but S3) */
	int double_encode;   /* encode the sent path once more, '%' too (all but S3) */
	int sign_body;       /* header mode: add and sign x-amz-content-sha256 (S3) */
	int presign;         /* sign into the query (presigned URL), not a header */
	int unsigned_token;  /* session token sent but not signed (added after) */
};

/*
 * Results of each stage. In header mode the caller sends X-Amz-Date:
 * amz_date, X-Amz-Security-Token when creds.token is set, X-Amz-Content-Sha256:
 * payload_hash when sign_body, and Authorization: authorization. In presign
 * mode it sends `query` as the whole query string.
 */
struct wdn_sigv4_sig {
	char amz_date[17];              /* YYYYMMDDTHHMMSSZ */
	char payload_hash[72];          /* hex SHA-256 or a literal like UNSIGNED-PAYLOAD */
	char signature[65];             /* lowercase hex */
	struct wdn_buf scope;           /* 20150830/us-east-1/service/aws4_request */
	struct wdn_buf signed_headers;  /* host;x-amz-date */
	struct wdn_buf canonical_query;
	struct wdn_buf creq;            /* canonical request */
	struct wdn_buf sts;             /* string to sign */
	struct wdn_buf authorization;   /* header mode: the Authorization value */
	struct wdn_buf query;           /* presign: query to send, X-Amz-Signature last */
};

/* Zero r and set the options AWS uses for service ("s3" and "s3express":
 * no normalising, no double encoding, signed x-amz-content-sha256). */
void wdn_sigv4_req_init(struct wdn_sigv4_req *r, const char *service);
void wdn_sigv4_sig_init(struct wdn_sigv4_sig *s);
void wdn_sigv4_sig_release(struct wdn_sigv4_sig *s); /* frees and wipes; s reusable */

/* Epoch seconds to "YYYYMMDDTHHMMSSZ" (years 0..9999, else WDN_EINVAL). */
int wdn_sigv4_amz_date(int64_t t, char out[17]);
/* Append p[0..n) percent-encoded outside RFC 3986 unreserved; '/' kept unless encode_slash. */
int wdn_sigv4_uri_encode(struct wdn_buf *out, const void *p, size_t n, int encode_slash);

/* Stage 1: fills amz_date, payload_hash, scope, signed_headers, canonical_query, creq. */
int wdn_sigv4_canonical_request(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s,
				struct wdn_err *err);
/* Stage 2: sts from s->amz_date, s->scope and s->creq. */
int wdn_sigv4_string_to_sign(struct wdn_sigv4_sig *s);
/* Stage 3: HMAC chain from "AWS4"+secret over the first 8 chars of date8
 * ("YYYYMMDD", an amz_date does), region, service. Caller wipes key. */
int wdn_sigv4_signing_key(const char *secret, const char *date8, const char *region,
			  const char *service, uint8_t key[32]);
/* Stage 4: hex HMAC of the string to sign under the signing key. */
void wdn_sigv4_signature(const uint8_t key[32], const char *sts, size_t n, char out[65]);
/* All stages, then authorization (header mode) or query (presign). */
int wdn_sigv4_sign(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s, struct wdn_err *err);

#endif
