/* S3: list, get (streamed), put, head. Path-style addressing for custom
 * endpoints (emulators, VPC endpoints), virtual-hosted for AWS's own. */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>

int wdn_s3_parse_url(const char *url, char **bucket, char **prefix, struct wdn_err *err)
{
	const char *b, *slash;

	*bucket = *prefix = NULL;
	if (strncmp(url, "s3://", 5) || !url[5] || url[5] == '/')
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not an s3://bucket/prefix URL", url);
	b = url + 5;
	slash = strchr(b, '/');
	*bucket = slash ? wdn_strndup(b, (size_t)(slash - b)) : wdn_strdup(b);
	*prefix = wdn_strdup(slash ? slash + 1 : "");
	return 0;
}

/* Fill base URL and path for an object: bucket in the path or in the host. */
static int locate(struct wdn_aws *a, const char *bucket, const char *key, struct wdn_buf *base,
		  struct wdn_buf *path)
{
	int custom, rc;

	if ((rc = wdn_aws_endpoint(a, "s3", base, &custom)))
		return rc;
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
		p->key = wdn_strndup(text, len);
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
		p->next = wdn_strndup(text, len);
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
		locate(a, bucket, NULL, &base, &path);
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
		rc = wdn_aws_perform(a, &cp, 1);
		if (rc) {
			if (err)
				*err = c.err;
			wdn_err_prefix(err, "listing s3://%s/%s: ", bucket, prefix ? prefix : "");
		} else if ((rc = wdn_xml_walk(c.resp.ptr, c.resp.len, page_cb, &p, err)) || p.rc) {
			rc = p.rc ? p.rc : rc;
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

	locate(a, bucket, key, &base, &path);
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
	rc = object_call(a, "PUT", bucket, key, &c, err);
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

int wdn_s3_create_bucket(struct wdn_aws *a, const char *bucket, struct wdn_err *err)
{
	struct wdn_aws_call c = { 0 };
	int rc = object_call(a, "PUT", bucket, NULL, &c, err);

	wdn_aws_call_release(&c);
	return rc;
}
