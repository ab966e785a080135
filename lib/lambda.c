/*
 * AWS Lambda's custom runtime: wdn-record --lambda is the function's
 * bootstrap. It asks the Runtime API (plain HTTP on a local address, no
 * SigV4) for each invocation, records it, flushes, and only then answers,
 * so an invocation answered is an invocation stored.
 */
#include "wdn.h"
#include "aws.h"
#include "http.h"
#include "json.h"
#include "sigv4.h"

#define CURL_DISABLE_TYPECHECK
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define API "/2018-06-01/runtime"
#define MAX_PAYLOAD (8u << 20)  /* Lambda's own limit is 6 MB */
#define NEXT_ATTEMPTS 10        /* a broken wait for the next invocation is retried */

struct next {
	struct wdn_http_xfer *x;
	struct wdn_buf payload;
	char id[256];
};

static int next_body(void *ctx, const void *p, size_t n)
{
	struct next *nx = ctx;

	return wdn_buf_add(&nx->payload, p, n);
}

/* GET .../invocation/next: the payload and its request ID. */
static int next(struct wdn_http *http, const char *api, struct next *nx, struct wdn_err *err)
{
	struct wdn_http_xfer x = { 0 };
	struct wdn_http_xfer *xp = &x;
	struct wdn_buf url = WDN_BUF_INIT;
	struct curl_slist *hdrs = wdn_http_header(NULL, "Expect:");
	int attempt, rc = 0;

	if (wdn_buf_addf(&url, "http://%s" API "/invocation/next", api)) { /* never a cut-short URL */
		wdn_http_headers_free(hdrs);
		wdn_buf_release(&url);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	wdn_buf_init(&x.body, 1 << 20);
	x.method = "GET";
	x.url = url.ptr;
	x.headers = hdrs;
	x.on_body = next_body;
	x.ctx = nx;
	/* the invocation is named in a header; the wait spans a frozen sandbox */
	x.want_header = "Lambda-Runtime-Aws-Request-Id";
	x.long_poll = 1;
	nx->x = &x;
	for (attempt = 1;; attempt++) {
		wdn_buf_reset(&nx->payload);
		x.received = 0;
		wdn_http_run(http, &xp, 1);
		snprintf(nx->id, sizeof(nx->id), "%s", x.header_value);
		if ((rc = wdn_buf_failed(&nx->payload))) {
			/* never half an invocation handled as if whole */
			rc = wdn_err_set(err, rc, "the invocation's payload: %s", wdn_strerror(rc));
			break;
		}
		if (x.status == 200 && nx->id[0] && !x.curl_code)
			break;
		if (x.status == 200 && !x.curl_code && !nx->id[0]) {
			rc = wdn_err_set(err, WDN_EINVAL,
					 "the Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
			break;
		}
		if (x.status && x.status != 200) {
			/* the API said no: the runtime is to exit */
			rc = wdn_err_set(err, WDN_EAWS, "the Runtime API answered HTTP %ld: %.200s",
					 x.status, x.body.ptr);
			break;
		}
		if (attempt >= NEXT_ATTEMPTS) {
			rc = wdn_err_set(err, WDN_ENET, "the Runtime API at '%s': %s", api,
					 x.error[0] ? x.error : "no answer");
			break;
		}
		wdn_aws_backoff(attempt - 1);
	}
	nx->x = NULL;
	wdn_http_headers_free(hdrs);
	wdn_buf_release(&x.body);
	wdn_buf_release(&url);
	return rc;
}

/* POST a JSON body to the Runtime API; error_type adds Lambda-Runtime-Function-Error-Type. */
static int post(struct wdn_http *http, const char *api, const char *path, const char *body,
		size_t len, const char *error_type, struct wdn_err *err)
{
	struct wdn_http_xfer x = { 0 };
	struct wdn_http_xfer *xp = &x;
	struct wdn_buf url = WDN_BUF_INIT, line = WDN_BUF_INIT;
	struct curl_slist *hdrs;
	int attempt, rc = 0;

	wdn_buf_addf(&url, "http://%s%s", api, path);
	hdrs = wdn_http_header(NULL, "Content-Type: application/json");
	hdrs = wdn_http_header(hdrs, "Expect:");
	if (error_type) {
		wdn_buf_addf(&line, "Lambda-Runtime-Function-Error-Type: %s", error_type);
		hdrs = wdn_http_header(hdrs, line.ptr);
	}
	if (!hdrs || wdn_buf_failed(&url) || wdn_buf_failed(&line)) {
		wdn_http_headers_free(hdrs);
		wdn_buf_release(&url);
		wdn_buf_release(&line);
		return wdn_err_set(err, WDN_ENOMEM, hdrs ? "out of memory" : "cannot load libcurl");
	}
	wdn_buf_init(&x.body, 1 << 20);
	x.method = "POST";
	x.url = url.ptr;
	x.headers = hdrs;
	x.body_ptr = body;
	x.body_len = len;
	for (attempt = 1;; attempt++) {
		wdn_http_run(http, &xp, 1);
		if (!x.curl_code && x.status >= 200 && x.status < 300)
			break;
		if (x.status || attempt >= 3) {
			rc = x.status ? wdn_err_set(err, WDN_EAWS, "POST %s: HTTP %ld: %.200s", path, x.status,
						    x.body.ptr)
				      : wdn_err_set(err, WDN_ENET, "POST %s: %s", path, x.error);
			break;
		}
		wdn_aws_backoff(attempt - 1);
	}
	wdn_http_headers_free(hdrs);
	wdn_buf_release(&x.body);
	wdn_buf_release(&url);
	wdn_buf_release(&line);
	return rc;
}

/* {"errorMessage":msg,"errorType":type}, or WDN_ENOMEM. */
static int error_body(struct wdn_buf *out, const char *type, const char *msg)
{
	yajl_gen g = wdn_gen_into(out);

	wdn_buf_reset(out);
	if (!g)
		return WDN_ENOMEM;
	yajl_gen_map_open(g);
	wdn_gen_key(g, "errorMessage");
	wdn_gen_str(g, msg);
	wdn_gen_key(g, "errorType");
	wdn_gen_str(g, type);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return wdn_buf_failed(out);
}

int wdn_lambda_init_error(const char *type, const char *msg, struct wdn_err *err)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	struct wdn_http *http;
	struct wdn_buf body = WDN_BUF_INIT;
	int rc;

	if (!api || !*api)
		return wdn_err_set(err, WDN_EINVAL, "AWS_LAMBDA_RUNTIME_API is not set");
	if (!(http = wdn_http_new()))
		return wdn_err_set(err, WDN_ENOMEM, "cannot load libcurl");
	if (error_body(&body, type, msg))
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory"); /* never half a body posted */
	else
		rc = post(http, api, API "/init/error", body.ptr, body.len, type, err);
	wdn_buf_release(&body);
	wdn_http_free(http);
	return rc;
}

/* A Lambda event of SQS messages: each recorded on its own, the failed ones
 * named in the partial batch response so only they are delivered again. */
static int sqs_event(struct wdn_delivery *d, wdn_json recs, struct wdn_buf *resp, struct wdn_err *err)
{
	struct wdn_buf name = WDN_BUF_INIT;
	yajl_gen g = wdn_gen_into(resp);
	size_t i;
	int rc = 0;

	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	yajl_gen_map_open(g);
	wdn_gen_key(g, "batchItemFailures");
	yajl_gen_array_open(g);
	for (i = 0; i < recs->u.array.len && !rc; i++) {
		wdn_json m = recs->u.array.values[i];
		const char *id = wdn_json_str(m, "messageId"), *body = wdn_json_str(m, "body");

		if (!id || !*id) {
			/* a failure that cannot be named fails the whole batch */
			rc = wdn_err_set(err, WDN_EINVAL, "SQS record %zu has no messageId", i + 1);
			break;
		}
		wdn_buf_reset(&name);
		if (wdn_buf_addf(&name, "sqs:%s", id)) {
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			break;
		}
		if (!body || wdn_delivery_message(d, name.ptr, body, strlen(body), NULL)) {
			if (!body) {
				struct wdn_err e = { 0 };

				d->messages++;
				d->failed++;
				wdn_err_set(&e, WDN_EINVAL, "an SQS record without a body");
				if (d->on_failed)
					d->on_failed(d->ctx, name.ptr, &e);
			}
			yajl_gen_map_open(g);
			wdn_gen_key(g, "itemIdentifier");
			wdn_gen_str(g, id);
			yajl_gen_map_close(g);
		}
		if (d->store_failed)
			rc = wdn_err_set(err, WDN_ESTORE, "the store failed: the whole batch is to come again");
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	wdn_buf_release(&name);
	if (!rc && wdn_buf_failed(resp)) /* a failure left out would never come again */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return rc;
}

/* An SNS event: each notification's Message is a message; any failure
 * fails the invocation (SNS delivers again). */
static int sns_event(struct wdn_delivery *d, const char *request_id, wdn_json recs,
		     struct wdn_err *err)
{
	struct wdn_buf name = WDN_BUF_INIT;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < recs->u.array.len; i++) {
		const char *msg = wdn_json_str(recs->u.array.values[i], "Sns.Message");
		const char *id = wdn_json_str(recs->u.array.values[i], "Sns.MessageId");
		struct wdn_err e = { 0 };

		wdn_buf_reset(&name);
		if (wdn_buf_addf(&name, "sns:%s", id ? id : request_id))
			r = wdn_err_set(&e, WDN_ENOMEM, "out of memory");
		else
			r = msg ? wdn_delivery_message(d, name.ptr, msg, strlen(msg), &e)
			: wdn_err_set(&e, WDN_EINVAL, "SNS record %zu has no Message", i + 1);
		if (r && (!rc || (rc == WDN_EINVAL && r != WDN_EINVAL))) { /* a failure outranks a rejection */
			rc = r;
			if (err)
				*err = e;
		}
		if (d->store_failed)
			break;
	}
	wdn_buf_release(&name);
	return rc;
}

int wdn_lambda_handle(struct wdn_delivery *d, const char *request_id, const char *payload,
		      size_t len, struct wdn_buf *resp, struct wdn_err *err)
{
	struct wdn_buf name = WDN_BUF_INIT;
	wdn_json v = NULL, recs = NULL;
	const char *src = NULL;
	uint64_t messages = d->messages, events = d->events, refused = d->refused, objects = d->objects;
	int rc, frc;
	struct wdn_err ferr = { 0 }, pe = { 0 };

	wdn_buf_reset(resp);
	/* SQS and SNS events are told by their Records; the rest is a message */
	if (len && payload[0] == '{' && !(v = wdn_json_parse(payload, len, &pe)) && pe.code == WDN_ENOMEM)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory"); /* not read as a message */
	if (v && (recs = wdn_json_get(v, "Records")) && YAJL_IS_ARRAY(recs) && recs->u.array.len) {
		src = wdn_json_str(recs->u.array.values[0], "eventSource");
		if (!src)
			src = wdn_json_str(recs->u.array.values[0], "EventSource");
	}
	if (src && !strcmp(src, "aws:sqs")) {
		rc = sqs_event(d, recs, resp, err);
	} else if (src && !strcmp(src, "aws:sns")) {
		rc = sns_event(d, request_id, recs, err);
	} else {
		/* an EventBridge event, an S3 notification, any CloudTrail form */
		rc = wdn_buf_addf(&name, "lambda:%s", request_id) ? wdn_err_set(err, WDN_ENOMEM, "out of memory")
			: wdn_delivery_message(d, name.ptr, payload, len, err);
	}
	wdn_json_free(v);
	wdn_buf_release(&name);
	/* what was recorded is stored before anything is answered */
	if (d->rec && (frc = wdn_recorder_flush(d->rec, &ferr))) {
		d->store_failed = 1;
		if (err)
			*err = ferr;
		rc = frc;
	}
	if (!rc && !resp->len) {
		wdn_buf_addf(resp, "{\"messages\":%llu,\"events\":%llu",
			     (unsigned long long)(d->messages - messages),
			     (unsigned long long)(d->events - events));
		if (d->on_object)
			wdn_buf_addf(resp, ",\"objects\":%llu", (unsigned long long)(d->objects - objects));
		/* refused envelopes are answered, not failed: retries would refuse them again */
		if (d->refused != refused)
			wdn_buf_addf(resp, ",\"refused\":%llu", (unsigned long long)(d->refused - refused));
		if (wdn_buf_addc(resp, '}')) /* never half an answer */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	return rc;
}

static const char *error_type(const struct wdn_delivery *d, int rc)
{
	if (d->store_failed)
		return "whodunnit.StoreFailed";
	return rc == WDN_EINVAL ? "whodunnit.Rejected" : "whodunnit.Failed";
}

int wdn_lambda_serve(struct wdn_lambda_handler *h, struct wdn_err *err)
{
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	struct wdn_http *http;
	struct wdn_buf resp = WDN_BUF_INIT, path = WDN_BUF_INIT;
	struct next nx;
	int rc = 0, hrc;

	if (!api || !*api)
		return wdn_err_set(err, WDN_EINVAL, "AWS_LAMBDA_RUNTIME_API is not set: not in AWS Lambda");
	if (!(http = wdn_http_new()))
		return wdn_err_set(err, WDN_ENOMEM, "cannot load libcurl");
	memset(&nx, 0, sizeof(nx));
	wdn_buf_init(&nx.payload, MAX_PAYLOAD);
	while (!(h->stop && *h->stop) && !(h->max && h->invocations >= h->max)) {
		struct wdn_err e = { 0 };
		const char *type = NULL;

		if ((rc = next(http, api, &nx, err)))
			break;
		hrc = h->handle(h->ctx, nx.id, nx.payload.ptr, nx.payload.len, &resp, &type, &e);
		h->invocations++;
		wdn_buf_reset(&path);
		wdn_buf_adds(&path, API "/invocation/");
		wdn_sigv4_uri_encode(&path, nx.id, strlen(nx.id), 1);
		if (hrc) {
			if (!type)
				type = hrc == WDN_EINVAL ? "whodunnit.Rejected" : "whodunnit.Failed";
			if (error_body(&resp, type, e.msg))
				rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			else if (wdn_buf_adds(&path, "/error"))
				rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			else
				rc = post(http, api, path.ptr, resp.ptr, resp.len, type, err);
		} else if (wdn_buf_failed(&resp) || wdn_buf_adds(&path, "/response")) {
			/* never half an answer: the invocation times out and comes again */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		} else {
			rc = post(http, api, path.ptr, resp.ptr, resp.len, NULL, err);
		}
		if (rc)
			break;
		if (h->fatal && h->fatal(h->ctx)) {
			/* answered as failed; a fresh runtime starts afresh */
			if (err)
				*err = e;
			rc = hrc;
			break;
		}
	}
	wdn_buf_release(&nx.payload);
	wdn_buf_release(&resp);
	wdn_buf_release(&path);
	wdn_http_free(http);
	return rc;
}

static int delivery_handle(void *ctx, const char *request_id, const char *payload, size_t len,
			   struct wdn_buf *resp, const char **type, struct wdn_err *err)
{
	struct wdn_delivery *d = ctx;
	int rc = wdn_lambda_handle(d, request_id, payload, len, resp, err);

	if (rc)
		*type = error_type(d, rc);
	return rc;
}

/* The store failed: nothing since its last flush can be trusted. */
static int delivery_fatal(void *ctx)
{
	return ((struct wdn_delivery *)ctx)->store_failed;
}

int wdn_lambda_run(struct wdn_delivery *d, struct wdn_err *err)
{
	struct wdn_lambda_handler h = { delivery_handle, delivery_fatal, d, d->stop, d->max, d->invocations };
	int rc = wdn_lambda_serve(&h, err);

	d->invocations = h.invocations;
	return rc;
}
