/*
 * CloudTrail log file integrity: the verifier over digest files (verify.c).
 * The public header has the WDN_INTEGRITY_* statuses an answer carries.
 * Internal to libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_VERIFY_H
#define WDN_VERIFY_H

#include "wdn.h"
#include "coverage.h"

/*
 * CloudTrail's digest files list each log file delivered with its SHA-256,
 * chain to the previous digest by its hash and signature, and are signed
 * SHA256withRSA with a regional key (libcrypto's EVP checks it). The
 * verifier collects the digests and the hashes of the log files a run read,
 * then decides each log file's integrity:
 *   verified    its hash matches a digest whose signature verified and
 *               whose chain is intact;
 *   tampered    its hash differs, or its digest fails its signature or chain;
 *   unverified  no digest lists it, or its digest cannot be checked (no
 *               signature: the newest digest of local copies; no key).
 * A digest's signature is the S3 object's x-amz-meta-signature when it was
 * read from S3, else the next digest's previousDigestSignature. Log files are
 * matched to what digests list by bucket and key (S3 inputs) or by file name
 * (local copies: CloudTrail's names are unique).
 *
 * Ownership: the verifier copies what it is given.
 */
#define WDN_DIGEST_FILE_MAX (64u << 20) /* a digest file's bytes, compressed or not */
int wdn_integrity_parse(const char *name);  /* back; anything else is unverified */
/* The weaker of two statuses: tampered, then unverified, then verified. */
int wdn_integrity_weakest(int a, int b);

struct wdn_verifier;
struct wdn_verifier *wdn_verifier_new(void);
void wdn_verifier_free(struct wdn_verifier *v);
/* Public keys: a ListPublicKeys answer or `aws cloudtrail list-public-keys` output. */
int wdn_verifier_add_keys(struct wdn_verifier *v, const char *json, size_t len, struct wdn_err *err);
/* A digest file read from source (path or s3:// URI): its uncompressed text,
 * its S3 location (NULL for a local copy) and S3 metadata signature (hex) and
 * algorithm (NULL when none). A text that is no digest is kept, tampered.
 * Fails only for lack of memory. */
int wdn_verifier_add_digest(struct wdn_verifier *v, const char *source, const char *bucket,
			    const char *key, const void *text, size_t len, const char *sig_hex,
			    const char *sig_alg);
/* Does a digest list a log file of this name (key, else source)? Only
 * those need hashing: asked once every digest is in. */
int wdn_verifier_expects(struct wdn_verifier *v, const char *source, const char *key);
/* A log file read: its source, S3 location (NULL local), SHA-256 of its uncompressed bytes. */
int wdn_verifier_add_log(struct wdn_verifier *v, const char *source, const char *bucket,
			 const char *key, const uint8_t sha[32]);
/* For each region whose digests name a key fingerprint the verifier has no
 * key for: cb with the region (from the digest's object key) and the span
 * of their end times, to ask ListPublicKeys. */
int wdn_verifier_key_needs(struct wdn_verifier *v,
			   int (*cb)(void *ctx, const char *region, int64_t from, int64_t to), void *ctx);
/* Fetch keys for what wdn_verifier_key_needs reports, through CloudTrail's
 * ListPublicKeys in each region (SigV4, JSON protocol; endpoint as for the
 * service "cloudtrail": AWS_ENDPOINT_URL_CLOUDTRAIL...). */
int wdn_verifier_fetch_keys(struct wdn_verifier *v, const char *profile, const char *endpoint,
			    struct wdn_err *err);

/* What finish reports: each is a reason for wdn-record's exit status 4. */
enum { WDN_FINDING_TAMPERED = 1, /* a log file read: hash differs, or its digest failed */
       WDN_FINDING_DIGEST,       /* a digest file failed (signature, format, location) */
       WDN_FINDING_MISSING,      /* a log file a digest lists was not among the inputs */
       WDN_FINDING_CHAIN };      /* the digest chain is broken (a digest missing or replaced) */
struct wdn_finding {
	int kind;
	const char *source;         /* the file read (TAMPERED, DIGEST, CHAIN), else NULL */
	const char *bucket, *key;   /* MISSING: the object listed; CHAIN: the digest missing, if any */
	const char *why;
};
typedef void (*wdn_finding_fn)(void *ctx, const struct wdn_finding *f);
/* Decide every status (once every input was added); cb for each finding. */
int wdn_verifier_finish(struct wdn_verifier *v, wdn_finding_fn cb, void *ctx);
/* A log file's status after finish (unverified for a source never added); why may be NULL. */
int wdn_verifier_status(const struct wdn_verifier *v, const char *source, const char **why);
/* After finish: for each digest that verified or could not be checked (not
 * one that failed), cb once with log NULL (the span it covers), then once
 * per log file it lists (seen: read in this run). Account from the digest,
 * region from its object key. */
int wdn_verifier_coverage(const struct wdn_verifier *v, wdn_cover_fn cb, void *ctx);
void wdn_verifier_counts(const struct wdn_verifier *v, uint64_t *digests, uint64_t *verified,
			 uint64_t *tampered, uint64_t *unverified);

#endif
