/*
 * AWS requests (aws.c): endpoints, signing, retries with jittered backoff,
 * errors. The public header has the opaque client, wdn_aws_new and
 * wdn_aws_free. Internal to libwdn and the commands (which link libwdn.a);
 * not installed.
 */
#ifndef WDN_AWS_H
#define WDN_AWS_H

#include "wdn.h"
#include "creds.h"

const char *wdn_aws_region(const struct wdn_aws *a);
const char *wdn_aws_profile(const struct wdn_aws *a);
/* A profile setting (config file) for this client's profile, or NULL. Caller frees. */
char *wdn_aws_profile_get(const struct wdn_aws *a, const char *key);
/* DynamoDB's JSON API: one operation, body in, body out (resp). */
int wdn_ddb_call(struct wdn_aws *a, const char *op, const char *body, size_t len,
		 struct wdn_buf *resp, struct wdn_err *err);
/* Base URL for service (no trailing '/'): the client's --endpoint-url, else as
 * wdn_aws_endpoint_of in the client's region; custom (may be NULL) is set for
 * an endpoint given by option or environment. */
int wdn_aws_endpoint(const struct wdn_aws *a, const char *service, struct wdn_buf *url,
		     int *custom);
/* The one endpoint rule: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL,
 * else https://<host>.<region>.amazonaws.com (".com.cn" in China); host NULL
 * means service ("portal.sso" for the SSO portal, whose service is "sso"). */
int wdn_aws_endpoint_of(const char *service, const char *host, const char *region,
			struct wdn_buf *url, int *custom);
/* Current credentials (resolving or refreshing them). */
int wdn_aws_creds(struct wdn_aws *a, const struct wdn_creds **out, struct wdn_err *err);

/* One AWS request; wdn_aws_perform signs, sends, retries and fills the rest. */
struct wdn_aws_call {
	const char *service;      /* signing name: "s3", "dynamodb", "sts" */
	const char *method;
	const char *url_base;     /* scheme://host[:port], or NULL for the service endpoint */
	const char *path;         /* URI-encoded, starting with '/' */
	const char *query;        /* URI-encoded, or NULL */
	const char *headers[8];   /* extra "Name: value" lines, NULL-terminated */
	const void *body;
	size_t body_len;
	int unsigned_payload;     /* S3: do not hash the body */
	int (*on_body)(void *ctx, const void *p, size_t n); /* stream a 2xx body */
	void *ctx;
	struct wdn_buf *meta;     /* keep x-amz-meta-* response headers here (or NULL) */
	/* who signs: NULL for the client's credentials; the credential chain,
	 * which is finding those, names its own (AssumeRole's source) */
	const struct wdn_creds *signer;
	int anonymous;            /* no SigV4: headers[] sent as they are */
	int max_attempts;         /* 0: the client's (AWS_MAX_ATTEMPTS) */
	size_t resp_max;          /* 0: 16 MiB */
	int secret_resp;          /* the answer holds credentials: resp is a secret buffer */
	/* results */
	long status;
	struct wdn_buf resp;      /* the body, when not streamed */
	char request_id[128];
	struct wdn_err err;
	int attempts;
};
void wdn_aws_call_release(struct wdn_aws_call *c);
/* A call to an AWS JSON-protocol API (DynamoDB, SQS): POST / with the
 * X-Amz-Target header target ("X-Amz-Target: Service.Op") and body. */
struct wdn_aws_call *wdn_aws_json_init(struct wdn_aws_call *c, const char *service,
				       const char *target, const void *body, size_t len);
/* One such call made: target_prefix.op at url_base (NULL: the service's
 * endpoint); the answer's body into resp (may be NULL). */
int wdn_aws_json_call(struct wdn_aws *a, const char *service, const char *url_base,
		      const char *target_prefix, const char *op, const void *body, size_t len,
		      struct wdn_buf *resp, struct wdn_err *err);
/* Perform n calls concurrently, each retried with backoff and jitter on
 * throttling, 5xx and connection errors, up to AWS_MAX_ATTEMPTS. Returns 0
 * when every call got a 2xx answer, else the first failing call's code. */
int wdn_aws_perform(struct wdn_aws *a, struct wdn_aws_call **calls, size_t n);
/* Is this AWS error code a throttling one? */
int wdn_aws_throttling(const char *code);
/* Sleep before retry round (0 for the first retry): full jitter, up to
 * 100 ms << round, never above 5 s. The one backoff, for every retry loop. */
void wdn_aws_backoff(int round);
/* Parse an AWS error into err: the JSON body's __type/code and message, the
 * XML body's Code and Message, or the X-Amzn-ErrorType header (type_header,
 * may be NULL) when the body names none. */
void wdn_aws_parse_error(long status, const char *type_header, const char *body, size_t len,
			 struct wdn_err *err);

#endif
