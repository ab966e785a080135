/*
 * AWS requests: region and endpoint resolved as the AWS CLI does, SigV4
 * signed for every attempt, retried with exponential backoff and full jitter
 * on throttling, 5xx and connection errors; a streamed body that breaks
 * resumes where it stopped. Secrets never reach a message. The credential
 * chain's own calls (STS, the SSO portal, the container endpoint, IMDS) take
 * this path too, signed with the credentials it names or not at all.
 */
#include "wdn.h"
#include "aws.h"
#include "creds.h"
#include "datetime.h"
#include "http.h"
#include "ini.h"
#include "json.h"
#include "sigv4.h"
#include "str.h"
#include "xml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_BASE_MS 100
#define BACKOFF_MAX_MS 5000
#define DEFAULT_ATTEMPTS 10
#define REFRESH_BEFORE 300 /* refresh temporary credentials 5 minutes before expiry */

struct wdn_aws {
	char *profile, *region, *endpoint;
	struct wdn_creds creds;
	int have_creds;
	struct wdn_http *http;
	int max_attempts;
};

const char *wdn_aws_region(const struct wdn_aws *a)
{
	return a->region;
}

const char *wdn_aws_profile(const struct wdn_aws *a)
{
	return a->profile;
}

char *wdn_aws_profile_get(const struct wdn_aws *a, const char *key)
{
	struct wdn_buf sec = WDN_BUF_INIT;
	char *path = wdn_aws_config_path(), *v;

	if (strcmp(a->profile, "default"))
		wdn_buf_addf(&sec, "profile %s", a->profile);
	else
		wdn_buf_adds(&sec, "default");
	v = wdn_buf_failed(&sec) ? NULL : wdn_ini_get(path, sec.ptr, key); /* never a cut-short name */
	wdn_buf_release(&sec);
	free(path);
	return v;
}

int wdn_aws_new(const char *profile, const char *region, const char *endpoint_url,
		struct wdn_aws **out, struct wdn_err *err)
{
	struct wdn_aws *a = calloc(1, sizeof(*a));
	const char *v;

	*out = NULL;
	if (!a)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!profile || !*profile)
		profile = getenv("AWS_PROFILE");
	a->profile = wdn_strdup(profile && *profile ? profile : "default");
	/* region: option, AWS_REGION, AWS_DEFAULT_REGION, the profile */
	if (!region || !*region)
		region = getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	a->region = region && *region ? wdn_strdup(region) : wdn_aws_profile_get(a, "region");
	if (!a->region)
		a->region = wdn_strdup("us-east-1"); /* the CLI's global default for S3 and STS */
	a->endpoint = endpoint_url && *endpoint_url ? wdn_strdup(endpoint_url) : NULL;
	a->max_attempts = DEFAULT_ATTEMPTS;
	if ((v = getenv("AWS_MAX_ATTEMPTS")) && *v) {
		long n = strtol(v, NULL, 10);

		if (n >= 1 && n <= 100)
			a->max_attempts = (int)n;
	} else if ((v = getenv("AWS_RETRY_MODE")) && (!strcmp(v, "standard") || !strcmp(v, "adaptive"))) {
		a->max_attempts = 3; /* the SDKs' default for these modes */
	}
	a->creds.expires = WDN_TIME_NONE;
	/* a lost copy is no default: an endpoint lost would send to AWS itself */
	if (!a->profile || !a->region || (endpoint_url && *endpoint_url && !a->endpoint)) {
		wdn_aws_free(a);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	if (!(a->http = wdn_http_new())) {
		wdn_aws_free(a);
		return wdn_err_set(err, WDN_ENOMEM, "cannot start HTTP");
	}
	*out = a;
	return 0;
}

void wdn_aws_free(struct wdn_aws *a)
{
	if (!a)
		return;
	wdn_creds_release(&a->creds);
	wdn_http_free(a->http);
	free(a->profile);
	free(a->region);
	free(a->endpoint);
	free(a);
}

int wdn_aws_endpoint_of(const char *service, const char *host, const char *region,
			struct wdn_buf *url, int *custom)
{
	struct wdn_buf env = WDN_BUF_INIT;
	const char *v, *p;
	int dummy;

	if (!custom)
		custom = &dummy;
	*custom = 1;
	/* AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL */
	wdn_buf_adds(&env, "AWS_ENDPOINT_URL_");
	for (p = service; *p; p++)
		wdn_buf_addc(&env, *p == '-' || *p == ' ' ? '_' : (char)toupper((unsigned char)*p));
	if (env.failed) {
		/* never the default endpoint for want of the variable's name: the
		 * failure is url's, as an append's would be (callers check url) */
		if (!url->failed)
			url->failed = env.failed;
		wdn_buf_release(&env);
		return url->failed;
	}
	v = getenv(env.ptr);
	if (!v || !*v)
		v = getenv("AWS_ENDPOINT_URL");
	wdn_buf_release(&env);
	if (v && *v) {
		size_t n = strlen(v);

		while (n && v[n - 1] == '/')
			n--;
		return wdn_buf_add(url, v, n);
	}
	*custom = 0;
	/* the partitions: aws, aws-cn (.com.cn); aws-us-gov shares the aws domain */
	return wdn_buf_addf(url, "https://%s.%s.amazonaws.com%s", host ? host : service, region,
			    !strncmp(region, "cn-", 3) ? ".cn" : "");
}

int wdn_aws_endpoint(const struct wdn_aws *a, const char *service, struct wdn_buf *url, int *custom)
{
	if (a->endpoint) {
		size_t n = strlen(a->endpoint);

		while (n && a->endpoint[n - 1] == '/')
			n--;
		if (custom)
			*custom = 1;
		return wdn_buf_add(url, a->endpoint, n);
	}
	return wdn_aws_endpoint_of(service, NULL, a->region, url, custom);
}

int wdn_aws_creds(struct wdn_aws *a, const struct wdn_creds **out, struct wdn_err *err)
{
	int rc;

	if (a->have_creds && (a->creds.expires == WDN_TIME_NONE ||
			      a->creds.expires - REFRESH_BEFORE > wdn_time_now())) {
		*out = &a->creds;
		return 0;
	}
	wdn_creds_release(&a->creds);
	a->have_creds = 0;
	if ((rc = wdn_creds_resolve(a, &a->creds, err)))
		return rc;
	a->have_creds = 1;
	*out = &a->creds;
	return 0;
}

int wdn_aws_throttling(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
		"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
		"InternalError", "InternalFailure", "ServiceUnavailable",
	};
	size_t i;

	for (i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return 1;
	return 0;
}

struct xml_err {
	char code[64], msg[400];
};

static int xml_err_cb(void *ctx, const char *path, const char *text, size_t len)
{
	struct xml_err *e = ctx;
	const char *leaf = strrchr(path, '/');

	leaf = leaf ? leaf + 1 : path;
	if (!strcmp(leaf, "Code") && !e->code[0])
		snprintf(e->code, sizeof(e->code), "%.*s", (int)len, text);
	else if (!strcmp(leaf, "Message") && !e->msg[0])
		snprintf(e->msg, sizeof(e->msg), "%.*s", (int)len, text);
	return 0;
}

/* "ns#Code", "Code:http://internal...", or plain "Code" */
static void error_code(const char *t, char code[64])
{
	const char *hash = strrchr(t, '#');
	size_t n;

	t = hash ? hash + 1 : t;
	n = strcspn(t, ":");
	snprintf(code, 64, "%.*s", (int)n, t);
}

void wdn_aws_parse_error(long status, const char *type_header, const char *body, size_t len,
			 struct wdn_err *err)
{
	char code[64] = "", msg[400] = "";
	size_t i = 0;

	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i < len && body[i] == '{') {
		wdn_json v = wdn_json_parse(body, len, NULL);
		const char *t = wdn_json_str(v, "__type"), *m = wdn_json_str(v, "message");

		if (!t)
			t = wdn_json_str(v, "code");
		if (!m)
			m = wdn_json_str(v, "Message");
		if (t)
			error_code(t, code);
		if (m)
			snprintf(msg, sizeof(msg), "%s", m);
		wdn_json_free(v);
	} else if (i < len && body[i] == '<') {
		struct xml_err e = { "", "" };

		wdn_xml_walk(body, len, xml_err_cb, &e, NULL);
		memcpy(code, e.code, sizeof(code));
		memcpy(msg, e.msg, sizeof(msg));
	}
	if (!code[0] && type_header && *type_header)
		error_code(type_header, code);
	if (!code[0])
		snprintf(code, sizeof(code), "%s", status == 403 ? "AccessDenied" :
			 status == 404 ? "NotFound" : status >= 500 ? "InternalError" : "HTTPError");
	wdn_err_set(err, WDN_EAWS, "%s (HTTP %ld)%s%s", code, status, msg[0] ? ": " : "", msg);
	if (err) {
		err->http_status = (int)status;
		snprintf(err->aws_type, sizeof(err->aws_type), "%s", code);
	}
}

void wdn_aws_call_release(struct wdn_aws_call *c)
{
	wdn_buf_release(&c->resp);
}

struct attempt {
	struct wdn_aws_call *call;
	struct wdn_http_xfer x;
	struct wdn_buf url;
	struct curl_slist *hdrs;
	int done;
};

/* The attempt's URL; the host (with port) into hostb, for signing. */
static int attempt_url(struct wdn_aws *a, struct attempt *at, struct wdn_buf *hostb)
{
	struct wdn_aws_call *c = at->call;
	const char *host, *slash;

	wdn_buf_reset(&at->url);
	if (c->url_base)
		wdn_buf_adds(&at->url, c->url_base);
	else
		wdn_aws_endpoint(a, c->service, &at->url, NULL);
	host = strstr(at->url.ptr, "://");
	host = host ? host + 3 : at->url.ptr;
	slash = strchr(host, '/');
	wdn_buf_add(hostb, host, slash ? (size_t)(slash - host) : strlen(host));
	wdn_buf_adds(&at->url, c->path);
	if (c->query && *c->query)
		wdn_buf_addf(&at->url, "?%s", c->query);
	return at->url.failed || hostb->failed ? WDN_ENOMEM : 0;
}

/* Append one header line to the attempt's list: 0 or WDN_ENOMEM. */
static int add_hdr(struct attempt *at, const char *line)
{
	struct curl_slist *l = wdn_http_header(at->hdrs, line);

	if (!l)
		return WDN_ENOMEM;
	at->hdrs = l;
	return 0;
}

static int add_line(struct attempt *at, const struct wdn_buf *line)
{
	return line->failed ? WDN_ENOMEM : add_hdr(at, line->ptr);
}

/*
 * The SigV4 lines for cr: the extra headers (signed), X-Amz-Date, the payload
 * hash, the session token and Authorization. The one SigV4 header builder:
 * the chain's STS calls come here too, with their own signer.
 */
static int sign_lines(struct wdn_aws *a, struct attempt *at, const struct wdn_creds *cr,
		      const char *host, struct wdn_err *err)
{
	struct wdn_aws_call *c = at->call;
	struct wdn_sigv4_req r;
	struct wdn_sigv4_sig sig;
	struct wdn_sigv4_header hv[12];
	struct wdn_buf line;
	size_t nh = 0, i;
	int rc = 0;
	char range[64];

	wdn_sigv4_req_init(&r, c->service);
	r.method = c->method;
	r.path = wdn_str_of(c->path);
	r.query = wdn_str_of(c->query ? c->query : "");
	hv[nh].name = WDN_STR("host");
	hv[nh++].value = wdn_str_of(host);
	for (i = 0; i < 8 && c->headers[i] && nh < 10; i++) {
		const char *colon = strchr(c->headers[i], ':');

		if (!colon)
			continue;
		hv[nh].name.ptr = c->headers[i];
		hv[nh].name.len = (size_t)(colon - c->headers[i]);
		hv[nh++].value = wdn_str_of(colon + 1);
	}
	/* resume a streamed body where the last attempt broke off */
	if (c->on_body && at->x.received) {
		snprintf(range, sizeof(range), "range: bytes=%llu-", (unsigned long long)at->x.received);
		hv[nh].name = WDN_STR("range");
		hv[nh++].value = wdn_str_of(range + 7);
	}
	r.headers = hv;
	r.nheaders = nh;
	r.payload.ptr = c->body;
	r.payload.len = c->body_len;
	if (c->unsigned_payload)
		r.payload_hash = "UNSIGNED-PAYLOAD";
	r.region = a->region;
	r.time = wdn_time_now();
	r.creds.key_id = cr->key_id;
	r.creds.secret = cr->secret;
	r.creds.token = cr->token;
	wdn_sigv4_sig_init(&sig);
	if ((rc = wdn_sigv4_sign(&r, &sig, err))) {
		wdn_sigv4_sig_release(&sig);
		return rc;
	}
	wdn_buf_init_secret(&line, 0); /* it holds the session token, the signature */
	for (i = 1; i < nh && !rc; i++) {
		wdn_buf_reset(&line);
		wdn_buf_addf(&line, "%.*s:%.*s", (int)hv[i].name.len, hv[i].name.ptr,
			     (int)hv[i].value.len, hv[i].value.ptr);
		rc = add_line(at, &line);
	}
	wdn_buf_reset(&line);
	wdn_buf_addf(&line, "X-Amz-Date: %s", sig.amz_date);
	rc = rc ? rc : add_line(at, &line);
	if (r.sign_body) {
		wdn_buf_reset(&line);
		wdn_buf_addf(&line, "X-Amz-Content-Sha256: %s", sig.payload_hash);
		rc = rc ? rc : add_line(at, &line);
	}
	if (cr->token) {
		wdn_buf_reset(&line);
		wdn_buf_addf(&line, "X-Amz-Security-Token: %s", cr->token);
		rc = rc ? rc : add_line(at, &line);
	}
	wdn_buf_reset(&line);
	wdn_buf_addf(&line, "Authorization: %s", sig.authorization.ptr);
	rc = rc ? rc : add_line(at, &line);
	wdn_buf_release(&line);
	wdn_sigv4_sig_release(&sig);
	return rc ? wdn_err_set(err, rc, "out of memory") : 0;
}

/* An anonymous call's lines, as given (they may carry a bearer token). */
static int plain_lines(struct attempt *at, struct wdn_err *err)
{
	struct wdn_aws_call *c = at->call;
	size_t i;

	for (i = 0; i < 8 && c->headers[i]; i++)
		if (add_hdr(at, c->headers[i]))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

/* Sign one attempt: the time is taken now, so a retry is signed afresh. */
static int prepare(struct wdn_aws *a, struct attempt *at, struct wdn_err *err)
{
	struct wdn_aws_call *c = at->call;
	const struct wdn_creds *cr = c->signer;
	struct wdn_buf hostb = WDN_BUF_INIT;
	int rc;

	if (!c->anonymous && !cr && (rc = wdn_aws_creds(a, &cr, err)))
		return rc;
	wdn_http_headers_free(at->hdrs);
	at->hdrs = NULL;
	if (attempt_url(a, at, &hostb))
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	else if (c->anonymous)
		rc = plain_lines(at, err);
	else
		rc = sign_lines(a, at, cr, hostb.ptr, err);
	wdn_buf_release(&hostb);
	if (rc)
		return rc;
	/* curl adds these unless told not to; they are not signed */
	rc = add_hdr(at, "Expect:");
	if (!rc && !c->body_len && strcmp(c->method, "POST") && strcmp(c->method, "PUT"))
		rc = add_hdr(at, "Content-Type:");
	if (!rc)
		rc = add_hdr(at, "User-Agent: whodunnit/" WDN_VERSION);
	if (rc)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	at->x.method = c->method;
	at->x.url = at->url.ptr;
	at->x.headers = at->hdrs;
	at->x.body_ptr = c->body;
	at->x.body_len = c->body_len;
	at->x.on_body = c->on_body;
	at->x.ctx = c->ctx;
	at->x.meta = c->meta;
	return 0;
}

void wdn_aws_backoff(int round)
{
	long cap = BACKOFF_BASE_MS << (round < 16 ? round : 16);
	long ms;
	struct timespec ts;

	if (cap > BACKOFF_MAX_MS)
		cap = BACKOFF_MAX_MS;
	ms = (long)(arc4random_uniform((uint32_t)cap + 1)); /* full jitter */
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Decide an attempt's outcome: 1 done (success or final error), 0 retry. */
static int settle(struct wdn_aws *a, struct attempt *at)
{
	struct wdn_aws_call *c = at->call;
	struct wdn_http_xfer *x = &at->x;
	int last = c->attempts >= (c->max_attempts > 0 ? c->max_attempts : a->max_attempts);

	c->status = x->status;
	snprintf(c->request_id, sizeof(c->request_id), "%s", x->request_id);
	if (wdn_buf_failed(&x->body)) {
		/* an answer that could not be held whole is no network failure to retry */
		wdn_err_set(&c->err, wdn_buf_failed(&x->body), "%s",
			    wdn_buf_failed(&x->body) == WDN_ETOOBIG ? "the answer is too large" : "out of memory");
		return 1;
	}
	if (x->curl_code) {
		if (x->aborted && x->status >= 200 && x->status < 300 &&
		    c->on_body) {
			/* the consumer's own failure (no memory) is said as such */
			wdn_err_set(&c->err, x->aborted == WDN_ENOMEM ? WDN_ENOMEM : WDN_EIO, "%s",
				    x->aborted == WDN_ENOMEM ? "out of memory" : "the consumer stopped reading");
			return 1;
		}
		wdn_err_set(&c->err, WDN_ENET, "%s", x->error);
		return last;
	}
	if (x->status >= 200 && x->status < 300) {
		if (!c->on_body) {
			wdn_buf_release(&c->resp);
			c->resp = x->body;
			wdn_buf_init(&x->body, 0); /* the answer's own mode went with it */
		}
		memset(&c->err, 0, sizeof(c->err));
		return 1;
	}
	wdn_aws_parse_error(x->status, x->error_type, x->body.ptr, x->body.len, &c->err);
	if (x->status >= 500 || x->status == 429 || wdn_aws_throttling(c->err.aws_type))
		return last;
	/* the client's own credentials expired: fetch fresh ones and sign again */
	if (x->status == 400 && !strcmp(c->err.aws_type, "ExpiredToken") && !c->signer && !c->anonymous) {
		a->have_creds = 0;
		return last;
	}
	return 1;
}

int wdn_aws_perform(struct wdn_aws *a, struct wdn_aws_call **calls, size_t n)
{
	struct attempt *ats = calloc(n ? n : 1, sizeof(*ats));
	struct wdn_http_xfer **xs = calloc(n ? n : 1, sizeof(*xs));
	size_t i, pending;
	int round = 0, rc = 0;

	if (!ats || !xs) {
		free(ats);
		free(xs);
		for (i = 0; i < n; i++)
			wdn_err_set(&calls[i]->err, WDN_ENOMEM, "out of memory");
		return WDN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ats[i].call = calls[i];
		calls[i]->attempts = 0;
		/* an answer that carries credentials is wiped wherever it goes */
		if (calls[i]->secret_resp)
			wdn_buf_init_secret(&ats[i].x.body, calls[i]->resp_max ? calls[i]->resp_max : 16 << 20);
		else
			wdn_buf_init(&ats[i].x.body, calls[i]->resp_max ? calls[i]->resp_max : 16 << 20);
		wdn_buf_init(&ats[i].url, 0);
	}
	for (;;) {
		pending = 0;
		for (i = 0; i < n; i++) {
			if (ats[i].done)
				continue;
			if (prepare(a, &ats[i], &calls[i]->err)) {
				ats[i].done = 1; /* no credentials: no request */
				continue;
			}
			calls[i]->attempts++;
			xs[pending++] = &ats[i].x;
		}
		if (!pending)
			break;
		wdn_http_run(a->http, xs, pending);
		pending = 0;
		for (i = 0; i < n; i++) {
			if (ats[i].done)
				continue;
			if (settle(a, &ats[i]))
				ats[i].done = 1;
			else
				pending++;
		}
		if (!pending)
			break;
		wdn_aws_backoff(round++);
	}
	for (i = 0; i < n; i++) {
		if (!rc && calls[i]->err.code)
			rc = calls[i]->err.code;
		wdn_http_headers_free(ats[i].hdrs);
		wdn_buf_release(&ats[i].x.body);
		wdn_buf_release(&ats[i].url);
	}
	free(ats);
	free(xs);
	return rc;
}

struct wdn_aws_call *wdn_aws_json_init(struct wdn_aws_call *c, const char *service,
				       const char *target, const void *body, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->service = service;
	c->method = "POST";
	c->path = "/";
	c->headers[0] = "Content-Type: application/x-amz-json-1.0";
	c->headers[1] = target;
	c->body = body;
	c->body_len = len;
	return c;
}

int wdn_aws_json_call(struct wdn_aws *a, const char *service, const char *url_base,
		      const char *target_prefix, const char *op, const void *body, size_t len,
		      struct wdn_buf *resp, struct wdn_err *err)
{
	struct wdn_aws_call c, *cp = &c;
	struct wdn_buf target = WDN_BUF_INIT;
	int rc;

	if (wdn_buf_addf(&target, "X-Amz-Target: %s.%s", target_prefix, op)) /* never a cut-short target */
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	wdn_aws_json_init(&c, service, target.ptr, body, len);
	c.url_base = url_base;
	rc = wdn_aws_perform(a, &cp, 1);
	if (rc) {
		if (err)
			*err = c.err;
	} else if (resp) {
		wdn_buf_release(resp);
		*resp = c.resp;
		wdn_buf_init(&c.resp, 0);
	}
	wdn_aws_call_release(&c);
	wdn_buf_release(&target);
	return rc;
}
