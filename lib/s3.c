/* S3: list, get (streamed), put, head. Path-style addressing for custom
 * endpoints (emulators, VPC endpoints), virtual-hosted for AWS's own. */
#include "wdn.h"
#include "aws.h"
#include "s3.h"
#include "sigv4.h"
#include "str.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

/* Reserved by S3 for other kinds of names (access point aliases, directory
 * and table buckets, Multi-Region Access Points), never a bucket's own. */
static const char *const reserved_prefixes[] = { "xn--", "sthree-", "amzn-s3-demo-" };
static const char *const reserved_suffixes[] = { "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3" };

static int is_alnum_lc(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Four dot-separated decimal numbers, as S3 forbids names to look. */
static int looks_like_ipv4(const char *s, size_t n)
{
	size_t i, digits = 0;
	int dots = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!digits)
				return 0;
			dots++;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			digits++;
		} else {
			return 0;
		}
	}
	return dots == 3 && digits;
}

int wdn_s3_check_bucket(const char *bucket, struct wdn_err *err)
{
	size_t n = bucket ? strlen(bucket) : 0, i, k;
	const char *why = NULL;

	if (n < 3 || n > 63)
		why = "not 3 to 63 characters long";
	for (i = 0; !why && i < n; i++) {
		char c = bucket[i];

		if (!is_alnum_lc(c) && c != '.' && c != '-')
			why = "not only lowercase letters, digits, dots and hyphens";
		else if (c == '.' && i + 1 < n && bucket[i + 1] == '.')
			why = "two adjacent dots";
	}
	if (!why && (!is_alnum_lc(bucket[0]) || !is_alnum_lc(bucket[n - 1])))
		why = "not beginning and ending with a letter or digit";
	if (!why && looks_like_ipv4(bucket, n))
		why = "formatted as an IP address";
	for (k = 0; !why && k < sizeof(reserved_prefixes) / sizeof(reserved_prefixes[0]); k++)
		if (!strncmp(bucket, reserved_prefixes[k], strlen(reserved_prefixes[k])))
			why = "a reserved prefix";
	for (k = 0; !why && k < sizeof(reserved_suffixes) / sizeof(reserved_suffixes[0]); k++) {
		size_t sl = strlen(reserved_suffixes[k]);

		if (n > sl && !memcmp(bucket + n - sl, reserved_suffixes[k], sl))
			why = "a reserved suffix";
	}
	if (!why)
		return 0;
	/* the name may be hostile: bytes that could forge or garble a line escaped */
	{
		char shown[80];
		size_t o = 0;

		for (i = 0; bucket && bucket[i] && o + 5 < sizeof(shown); i++) {
			unsigned char c = (unsigned char)bucket[i];

			if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
				snprintf(shown + o, sizeof(shown) - o, "\\x%02x", c);
				o += 4;
			} else {
				shown[o++] = (char)c;
			}
		}
		shown[o] = '\0';
		return wdn_err_set(err, WDN_EINVAL, "'%s%s' is not a valid S3 bucket name (%s)", shown,
				   bucket && bucket[i] ? "..." : "", why);
	}
}

int wdn_s3_check_key(const char *key, size_t len, struct wdn_err *err)
{
	size_t i;

	if (!len || len > WDN_S3_MAX_KEY)
		return wdn_err_set(err, WDN_EINVAL, "an S3 object key of %zu bytes (1 to %d allowed)", len,
				   WDN_S3_MAX_KEY);
	if (!wdn_utf8_valid(key, len))
		return wdn_err_set(err, WDN_EINVAL, "an S3 object key that is not UTF-8");
	for (i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return wdn_err_set(err, WDN_EINVAL,
					   "an S3 object key with a control character (byte %zu)", i + 1);
	return 0;
}

int wdn_s3_parse_url(const char *url, char **bucket, char **prefix, struct wdn_err *err)
{
	const char *b, *slash;
	int rc;

	*bucket = *prefix = NULL;
	if (strncmp(url, "s3://", 5) || !url[5] || url[5] == '/')
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not an s3://bucket/prefix URL", url);
	b = url + 5;
	slash = strchr(b, '/');
	*bucket = slash ? wdn_strndup(b, (size_t)(slash - b)) : wdn_strdup(b);
	if (!*bucket)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if ((rc = wdn_s3_check_bucket(*bucket, err))) {
		free(*bucket);
		*bucket = NULL;
		return rc;
	}
	if (!(*prefix = wdn_strdup(slash ? slash + 1 : ""))) {
		free(*bucket);
		*bucket = NULL;
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	return 0;
}

/* Fill base URL and path for an object: bucket in the path or in the host.
 * Only a valid bucket name is ever placed, and in the host only one of
 * lowercase letters, digits and hyphens: nothing in it can end the host. */
static int locate(struct wdn_aws *a, const char *bucket, const char *key, struct wdn_buf *base,
		  struct wdn_buf *path, struct wdn_err *err)
{
	int custom, rc;

	if ((rc = wdn_s3_check_bucket(bucket, err)))
		return rc;
	if ((rc = wdn_aws_endpoint(a, "s3", base, &custom)))
		return wdn_err_set(err, rc, "out of memory");
	if (custom || strchr(bucket, '.')) {
		wdn_buf_addc(path, '/');
		wdn_sigv4_uri_encode(path, bucket, strlen(bucket), 1);
	} else {
		wdn_buf_reset(base);
		wdn_buf_addf(base, "https://%s.s3.%s.amazonaws.com%s", bucket, wdn_aws_region(a),
			     !strncmp(wdn_aws_region(a), "cn-", 3) ? ".cn" : "");
	}
	if (key || !path->len)
		wdn_buf_addc(path, '/');
	if (key)
		wdn_sigv4_uri_encode(path, key, strlen(key), 0);
	if (wdn_buf_failed(base) || wdn_buf_failed(path)) /* never a cut-short URL */
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

static void query_param(struct wdn_buf *q, const char *name, const char *value)
{
	if (!value)
		return;
	if (q->len)
		wdn_buf_addc(q, '&');
	wdn_buf_addf(q, "%s=", name);
	wdn_sigv4_uri_encode(q, value, strlen(value), 1);
}

struct page {
	wdn_s3_object_fn cb;
	void *ctx;
	char *key;
	uint64_t size;
	char *next;
	int truncated;
	int rc;
};

static int page_cb(void *ctx, const char *path, const char *text, size_t len)
{
	struct page *p = ctx;

	if (!strcmp(path, "ListBucketResult/Contents/Key")) {
		free(p->key);
		if (!(p->key = wdn_strndup(text, len)))
			return p->rc = WDN_ENOMEM, 1; /* never an object left out unsaid */
	} else if (!strcmp(path, "ListBucketResult/Contents/Size")) {
		p->size = strtoull(text, NULL, 10);
	} else if (!strcmp(path, "ListBucketResult/Contents")) {
		struct wdn_s3_object o = { p->key, p->size };

		if (p->key && (p->rc = p->cb(p->ctx, &o)))
			return 1;
		free(p->key);
		p->key = NULL;
		p->size = 0;
	} else if (!strcmp(path, "ListBucketResult/IsTruncated")) {
		p->truncated = len == 4 && !memcmp(text, "true", 4);
	} else if (!strcmp(path, "ListBucketResult/NextContinuationToken")) {
		free(p->next);
		if (!(p->next = wdn_strndup(text, len)))
			return p->rc = WDN_ENOMEM, 1; /* never a listing ended early unsaid */
	}
	return 0;
}

int wdn_s3_list(struct wdn_aws *a, const char *bucket, const char *prefix,
		const char *start_after, wdn_s3_object_fn cb, void *ctx, struct wdn_err *err)
{
	struct page p = { cb, ctx, NULL, 0, NULL, 0, 0 };
	int rc = 0;

	do {
		struct wdn_buf base = WDN_BUF_INIT, path = WDN_BUF_INIT, q = WDN_BUF_INIT;
		struct wdn_aws_call c = { 0 };
		struct wdn_aws_call *cp = &c;
		char *token = p.next;

		p.next = NULL;
		p.truncated = 0;
		if ((rc = locate(a, bucket, NULL, &base, &path, err))) {
			wdn_buf_release(&base);
			wdn_buf_release(&path);
			free(token);
			break;
		}
		/* parameters in sorted order, as the canonical query has them */
		query_param(&q, "continuation-token", token);
		query_param(&q, "list-type", "2");
		query_param(&q, "prefix", prefix && *prefix ? prefix : NULL);
		query_param(&q, "start-after", !token && start_after ? start_after : NULL);
		c.service = "s3";
		c.method = "GET";
		c.url_base = base.ptr;
		c.path = path.ptr;
		c.query = q.ptr;
		rc = wdn_buf_failed(&q) ? wdn_err_set(&c.err, WDN_ENOMEM, "out of memory") :
		     wdn_aws_perform(a, &cp, 1);
		if (rc) {
			if (err)
				*err = c.err;
			wdn_err_prefix(err, "listing s3://%s/%s: ", bucket, prefix ? prefix : "");
		} else if ((rc = wdn_xml_walk(c.resp.ptr, c.resp.len, page_cb, &p, err)) || p.rc) {
			rc = p.rc == WDN_ENOMEM ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : p.rc ? p.rc : rc;
		}
		wdn_aws_call_release(&c);
		wdn_buf_release(&base);
		wdn_buf_release(&path);
		wdn_buf_release(&q);
		free(token);
	} while (!rc && p.truncated && p.next);
	free(p.key);
	free(p.next);
	return rc;
}

static int object_call(struct wdn_aws *a, const char *method, const char *bucket, const char *key,
		       struct wdn_aws_call *c, struct wdn_err *err)
{
	struct wdn_buf base = WDN_BUF_INIT, path = WDN_BUF_INIT;
	struct wdn_aws_call *cp = c;
	int rc;

	if ((rc = locate(a, bucket, key, &base, &path, &c->err))) {
		if (err)
			*err = c->err;
		wdn_buf_release(&base);
		wdn_buf_release(&path);
		return rc;
	}
	c->service = "s3";
	c->method = method;
	c->url_base = base.ptr;
	c->path = path.ptr;
	rc = wdn_aws_perform(a, &cp, 1);
	if (rc && err) {
		*err = c->err;
		wdn_err_prefix(err, "%s s3://%s/%s: ", method, bucket, key ? key : "");
	}
	wdn_buf_release(&base);
	wdn_buf_release(&path);
	return rc;
}

int wdn_s3_get(struct wdn_aws *a, const char *bucket, const char *key,
	       int (*on_body)(void *ctx, const void *p, size_t n), void *ctx, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	int rc;

	c.on_body = on_body;
	c.ctx = ctx;
	rc = object_call(a, "GET", bucket, key, &c, err);
	wdn_aws_call_release(&c);
	return rc;
}

int wdn_s3_get_meta(struct wdn_aws *a, const char *bucket, const char *key,
		    int (*on_body)(void *ctx, const void *p, size_t n), void *ctx,
		    struct wdn_buf *meta, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	int rc;

	c.on_body = on_body;
	c.ctx = ctx;
	c.meta = meta;
	rc = object_call(a, "GET", bucket, key, &c, err);
	wdn_aws_call_release(&c);
	return rc;
}

char *wdn_s3_meta_get(const struct wdn_buf *meta, const char *name)
{
	const char *p = meta->ptr, *end = meta->ptr + meta->len, *nl;
	size_t n = strlen(name);

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			break;
		if ((size_t)(nl - p) >= n + 2 && !memcmp(p, name, n) && p[n] == ':' && p[n + 1] == ' ')
			return wdn_strndup(p + n + 2, (size_t)(nl - p) - n - 2);
	}
	return NULL;
}

int wdn_s3_put(struct wdn_aws *a, const char *bucket, const char *key, const void *body,
	       size_t len, const char *content_type, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	struct wdn_buf ct = WDN_BUF_INIT;
	int rc;

	wdn_buf_addf(&ct, "Content-Type: %s", content_type ? content_type : "application/octet-stream");
	c.headers[0] = ct.ptr;
	c.body = body;
	c.body_len = len;
	rc = wdn_buf_failed(&ct) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") :
	     object_call(a, "PUT", bucket, key, &c, err);
	wdn_aws_call_release(&c);
	wdn_buf_release(&ct);
	return rc;
}

int wdn_s3_exists(struct wdn_aws *a, const char *bucket, const char *key, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	int rc = object_call(a, "HEAD", bucket, key, &c, NULL);

	if (!rc)
		rc = 1;
	else if (c.status == 404)
		rc = 0;
	else if (err)
		*err = c.err;
	wdn_aws_call_release(&c);
	return rc;
}

