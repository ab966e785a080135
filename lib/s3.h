/*
 * Amazon S3 (s3.c), and CloudTrail's S3 key layout (sqs.c). Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_S3_H
#define WDN_S3_H

#include "wdn.h"

/* "s3://bucket/prefix" -> bucket and prefix (both owned by the caller);
 * WDN_EINVAL when the bucket is not a valid name (wdn_s3_check_bucket). */
int wdn_s3_parse_url(const char *url, char **bucket, char **prefix, struct wdn_err *err);
/* Is this a bucket name S3 can have (its naming rules for general purpose
 * buckets: 3 to 63 of a-z 0-9 . -, alphanumeric at both ends, no "..", not an
 * IPv4 address, no reserved prefix or suffix)? 0, or WDN_EINVAL saying why.
 * Every S3 call checks its bucket so, whatever the caller checked. */
int wdn_s3_check_bucket(const char *bucket, struct wdn_err *err);
/* Is this an object key to ask S3 for: 1 to WDN_S3_MAX_KEY bytes of UTF-8
 * without C0 control characters or DEL? 0, or WDN_EINVAL saying why. */
#define WDN_S3_MAX_KEY 1024
int wdn_s3_check_key(const char *key, size_t len, struct wdn_err *err);
struct wdn_s3_object {
	const char *key;
	uint64_t size;
};
typedef int (*wdn_s3_object_fn)(void *ctx, const struct wdn_s3_object *o);
/* ListObjectsV2 over every page, keys after start_after (may be NULL). */
int wdn_s3_list(struct wdn_aws *a, const char *bucket, const char *prefix,
		const char *start_after, wdn_s3_object_fn cb, void *ctx, struct wdn_err *err);
/* GetObject, its body streamed to on_body (a broken transfer resumes by Range). */
int wdn_s3_get(struct wdn_aws *a, const char *bucket, const char *key,
	       int (*on_body)(void *ctx, const void *p, size_t n), void *ctx, struct wdn_err *err);
/* The same, keeping the object's user metadata: "name: value" lines, one per
 * x-amz-meta-NAME header (NAME lowercase), in meta. */
int wdn_s3_get_meta(struct wdn_aws *a, const char *bucket, const char *key,
		    int (*on_body)(void *ctx, const void *p, size_t n), void *ctx,
		    struct wdn_buf *meta, struct wdn_err *err);
/* A value from such metadata lines into out, or NULL. Caller frees. */
char *wdn_s3_meta_get(const struct wdn_buf *meta, const char *name);
int wdn_s3_put(struct wdn_aws *a, const char *bucket, const char *key, const void *body,
	       size_t len, const char *content_type, struct wdn_err *err);
/* 1 if the object exists, 0 if not, or a WDN_E* code. */
int wdn_s3_exists(struct wdn_aws *a, const char *bucket, const char *key, struct wdn_err *err);

#endif
