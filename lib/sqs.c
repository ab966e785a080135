/*
 * Delivered messages, and the SQS poller. A message is told by its shape: an
 * S3 or CloudTrail notification names objects to read from S3, an SNS
 * notification wraps another message, and anything else goes to the reader
 * as CloudTrail input (EventBridge envelopes are one of its forms). The
 * poller deletes a message only once what it recorded is flushed.
 */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define MAX_WRAP 3      /* SNS in SQS in a Lambda payload: no deeper */
#define SQS_BATCH 10    /* ReceiveMessage's MaxNumberOfMessages limit */
#define SQS_WAIT 20     /* seconds: the longest long poll SQS allows */

/* One message in progress. */
struct msg {
	struct wdn_delivery *d;
	uint64_t rejected;
	char why[300];          /* the first rejection */
	int store_rc;           /* the store failed: this, with store_err */
	struct wdn_err store_err;
};

static void msg_reject(void *ctx, const struct wdn_reject *rej)
{
	struct msg *m = ctx;

	if (!m->rejected++) {
		if (rej->record)
			snprintf(m->why, sizeof(m->why), "'%s': record %llu: %s", rej->input,
				 (unsigned long long)rej->record, rej->msg);
		else
			snprintf(m->why, sizeof(m->why), "'%s': %s", rej->input, rej->msg);
	}
	if (m->d->on_reject)
		m->d->on_reject(m->d->ctx, rej);
}

static int msg_event(void *ctx, const struct wdn_event *ev)
{
	struct msg *m = ctx;
	struct wdn_delivery *d = m->d;
	struct wdn_record_result res;
	struct wdn_err err = { 0 };
	int rc = wdn_recorder_event(d->rec, ev, &res, &err);

	if (rc == WDN_EINVAL) {
		/* a malformed issuing event: rejected, as wdn-record rejects it */
		struct wdn_reject rej = { ev->input, ev->record, ev->line, ev->raw, err.msg };

		msg_reject(m, &rej);
		return 0;
	}
	if (rc) {
		d->store_failed = 1;
		m->store_rc = rc;
		m->store_err = err;
		return rc; /* stops the reader */
	}
	d->events++;
	if (d->on_recorded)
		d->on_recorded(d->ctx, ev, &res);
	return 0;
}

static int read_bytes(struct msg *m, const char *name, const char *p, size_t n,
		      struct wdn_err *err)
{
	struct wdn_reader *r = wdn_reader_new(name, msg_event, msg_reject, m);
	int rc;

	if (!r)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	rc = wdn_reader_feed(r, p, n);
	if (!rc)
		rc = wdn_reader_finish(r, err);
	wdn_reader_free(r);
	if (m->store_rc) {
		*err = m->store_err;
		return m->store_rc;
	}
	if (rc == WDN_EIO) { /* not read whole: the reader said why */
		wdn_err_prefix(err, "reading '%s': ", name);
		return rc;
	}
	return rc ? wdn_err_set(err, rc, "reading '%s': %s", name, wdn_strerror(rc)) : 0;
}

static int feed(void *ctx, const void *p, size_t n)
{
	return wdn_reader_feed(ctx, p, n);
}

/* Read and record one S3 object, as wdn-record s3://BUCKET/KEY would. */
static int read_object(struct msg *m, const char *bucket, const char *key, struct wdn_err *err)
{
	struct wdn_buf name = WDN_BUF_INIT;
	struct wdn_reader *r;
	size_t kl = strlen(key);
	int rc;

	/* digests vouch for logs and hold no events; "folders" hold nothing */
	if (strstr(key, "CloudTrail-Digest") || !kl || key[kl - 1] == '/')
		return 0;
	if (!m->d->aws)
		return wdn_err_set(err, WDN_EINVAL, "no AWS client to read 's3://%s/%s'", bucket, key);
	wdn_buf_addf(&name, "s3://%s/%s", bucket, key);
	if (!(r = wdn_reader_new(name.ptr, msg_event, msg_reject, m))) {
		wdn_buf_release(&name);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	rc = wdn_s3_get(m->d->aws, bucket, key, feed, r, err);
	if (!rc)
		rc = wdn_reader_finish(r, err);
	wdn_reader_free(r);
	if (m->store_rc) {
		*err = m->store_err;
		rc = m->store_rc;
	} else if (rc) {
		wdn_err_prefix(err, "reading '%s': ", name.ptr);
	} else {
		m->d->objects++;
	}
	wdn_buf_release(&name);
	return rc;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* S3 notifications give keys URL-encoded, a space as '+'. Caller frees. */
static char *key_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* {"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put",
 *   "s3":{"bucket":{"name":B},"object":{"key":K}}}...]}: each object created. */
static int s3_notification(struct msg *m, wdn_json recs, struct wdn_err *err)
{
	size_t i;
	int rc, first = 0;

	for (i = 0; i < recs->u.array.len; i++) {
		wdn_json rec = recs->u.array.values[i];
		const char *ev = wdn_json_str(rec, "eventName");
		const char *bucket = wdn_json_str(rec, "s3.bucket.name");
		const char *raw = wdn_json_str(rec, "s3.object.key");
		char *key;

		if (ev && strncmp(ev, "ObjectCreated:", 14))
			continue; /* a removal, a restore...: nothing to read */
		if (!bucket || !*bucket || !raw) {
			rc = wdn_err_set(err, WDN_EINVAL, "S3 notification record %zu names no bucket or key",
					 i + 1);
		} else if (!(key = key_decode(raw))) {
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		} else {
			struct wdn_err e = { 0 };

			rc = read_object(m, bucket, key, &e);
			free(key);
			if (rc && err && !first)
				*err = e;
		}
		if (rc && !first)
			first = rc;
		if (m->store_rc)
			return m->store_rc; /* the store is down: no use reading more */
	}
	return first; /* the others were read: progress, whatever failed */
}

/* CloudTrail's notification of delivered log files (to SNS, often on to
 * SQS): {"s3Bucket":B,"s3ObjectKey":[K...]}; keys as they are. */
static int trail_notification(struct msg *m, const char *bucket, wdn_json keys, struct wdn_err *err)
{
	size_t i;
	int rc, first = 0;

	for (i = 0; i < keys->u.array.len; i++) {
		wdn_json k = keys->u.array.values[i];
		struct wdn_err e = { 0 };

		if (!YAJL_IS_STRING(k))
			rc = wdn_err_set(&e, WDN_EINVAL, "s3ObjectKey %zu is not a string", i + 1);
		else
			rc = read_object(m, bucket, k->u.string, &e);
		if (rc && !first) {
			first = rc;
			if (err)
				*err = e;
		}
		if (m->store_rc)
			return m->store_rc;
	}
	return first;
}

static int message(struct msg *m, const char *name, const char *body, size_t len, int wrap,
		   struct wdn_err *err)
{
	wdn_json v = NULL, recs, keys;
	const char *s, *bucket;
	size_t i = 0;
	int rc;

	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\t' || body[i] == '\r'))
		i++;
	if (i == len)
		return wdn_err_set(err, WDN_EINVAL, "'%s': an empty message", name);
	if (body[i] == '{' && wrap < MAX_WRAP)
		v = wdn_json_parse(body, len, NULL); /* refuses hostile nesting */
	if (!v || !YAJL_IS_OBJECT(v)) {
		rc = read_bytes(m, name, body, len, err); /* the reader says what is wrong */
	} else if ((s = wdn_json_str(v, "Type")) && !strcmp(s, "Notification") &&
		   (s = wdn_json_str(v, "Message"))) {
		rc = message(m, name, s, strlen(s), wrap + 1, err); /* SNS */
	} else if ((s = wdn_json_str(v, "Event")) && !strcmp(s, "s3:TestEvent")) {
		rc = 0; /* S3 checks a new notification target with this */
	} else if ((recs = wdn_json_get(v, "Records")) && YAJL_IS_ARRAY(recs) && recs->u.array.len &&
		   (((s = wdn_json_str(recs->u.array.values[0], "eventSource")) && !strcmp(s, "aws:s3")) ||
		    YAJL_IS_OBJECT(wdn_json_get(recs->u.array.values[0], "s3")))) {
		rc = s3_notification(m, recs, err);
	} else if ((bucket = wdn_json_str(v, "s3Bucket")) && (keys = wdn_json_get(v, "s3ObjectKey")) &&
		   YAJL_IS_ARRAY(keys)) {
		rc = trail_notification(m, bucket, keys, err);
	} else {
		rc = read_bytes(m, name, body, len, err);
	}
	wdn_json_free(v);
	return rc;
}

int wdn_delivery_message(struct wdn_delivery *d, const char *name, const char *body, size_t len,
			 struct wdn_err *err)
{
	struct msg m = { 0 };
	struct wdn_err e = { 0 };
	int rc;

	m.d = d;
	d->messages++;
	rc = message(&m, name, body, len, 0, &e);
	if (!rc && m.rejected)
		rc = wdn_err_set(&e, WDN_EINVAL, "%s", m.why);
	if (rc) {
		d->failed++;
		/* rejections were reported record by record */
		if (!m.rejected && d->on_failed)
			d->on_failed(d->ctx, name, &e);
	}
	if (err)
		*err = e;
	return rc;
}

/* ---- SQS -------------------------------------------------------------------- */

int wdn_sqs_url_region(const char *queue_url, char out[32])
{
	const char *h = strstr(queue_url, "://"), *dot;

	out[0] = '\0';
	if (!h)
		return WDN_ENOTFOUND;
	h += 3;
	if (!strncmp(h, "queue.amazonaws.com", 19) && (h[19] == '/' || !h[19])) {
		snprintf(out, 32, "us-east-1"); /* the legacy global name */
		return 0;
	}
	if (strncmp(h, "sqs.", 4) || !(dot = strchr(h + 4, '.')) || dot - (h + 4) >= 32 ||
	    strncmp(dot, ".amazonaws.com", 14))
		return WDN_ENOTFOUND;
	snprintf(out, 32, "%.*s", (int)(dot - (h + 4)), h + 4);
	return 0;
}

/* One SQS JSON-protocol call: body in, body out. */
static int sqs_call(struct wdn_aws *a, const char *base, const char *op, const struct wdn_buf *body,
		    struct wdn_buf *resp, struct wdn_err *err)
{
	int rc = wdn_aws_json_call(a, "sqs", base, "AmazonSQS", op, body->ptr, body->len, resp, err);

	if (rc)
		wdn_err_prefix(err, "SQS %s: ", op);
	return rc;
}

static int stopped(const struct wdn_delivery *d)
{
	return (d->stop && *d->stop) || (d->max && d->messages >= d->max);
}

/* Delete the messages recorded (ok[i]) of a received batch. A message that
 * cannot be deleted comes again, and is recorded again to no effect. */
static int delete_batch(struct wdn_delivery *d, const char *base, const char *queue_url, wdn_json msgs,
			const char *ok, struct wdn_err *err)
{
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT;
	yajl_gen g = wdn_gen_into(&body);
	wdn_json v, failed;
	size_t i, n = 0;
	char id[24];
	int rc;

	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	yajl_gen_map_open(g);
	wdn_gen_key(g, "QueueUrl");
	wdn_gen_str(g, queue_url);
	wdn_gen_key(g, "Entries");
	yajl_gen_array_open(g);
	for (i = 0; i < msgs->u.array.len; i++) {
		if (!ok[i])
			continue;
		snprintf(id, sizeof(id), "%zu", i);
		yajl_gen_map_open(g);
		wdn_gen_key(g, "Id");
		wdn_gen_str(g, id);
		wdn_gen_key(g, "ReceiptHandle");
		wdn_gen_str(g, wdn_json_str(msgs->u.array.values[i], "ReceiptHandle"));
		yajl_gen_map_close(g);
		n++;
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	rc = n ? sqs_call(d->aws, base, "DeleteMessageBatch", &body, &resp, err) : 0;
	if (!rc && n && (v = wdn_json_parse(resp.ptr, resp.len, NULL))) {
		failed = wdn_json_get(v, "Failed");
		for (i = 0; failed && YAJL_IS_ARRAY(failed) && i < failed->u.array.len; i++) {
			wdn_json f = failed->u.array.values[i];
			const char *fid = wdn_json_str(f, "Id"), *mid = NULL;
			struct wdn_err e = { 0 };
			struct wdn_buf name = WDN_BUF_INIT;
			size_t k;

			for (k = 0; fid && k < msgs->u.array.len; k++) {
				snprintf(id, sizeof(id), "%zu", k);
				if (!strcmp(id, fid))
					mid = wdn_json_str(msgs->u.array.values[k], "MessageId");
			}
			wdn_buf_addf(&name, "sqs:%s", mid ? mid : "?");
			wdn_err_set(&e, WDN_EAWS, "DeleteMessageBatch: %s: %s (it will come again)",
				    wdn_json_str(f, "Code") ? wdn_json_str(f, "Code") : "failed",
				    wdn_json_str(f, "Message") ? wdn_json_str(f, "Message") : "");
			if (d->on_failed)
				d->on_failed(d->ctx, name.ptr, &e);
			wdn_buf_release(&name);
		}
		wdn_json_free(v);
	}
	wdn_buf_release(&body);
	wdn_buf_release(&resp);
	return rc;
}

/* Receive, record, flush, delete: one batch. */
static int sqs_batch(struct wdn_delivery *d, const char *base, const char *queue_url,
		     struct wdn_err *err)
{
	struct wdn_buf body = WDN_BUF_INIT, resp = WDN_BUF_INIT, name = WDN_BUF_INIT;
	uint64_t want = SQS_BATCH;
	yajl_gen g = wdn_gen_into(&body);
	wdn_json v = NULL, msgs;
	char *ok = NULL;
	size_t i;
	int rc;

	if (!g)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (d->max && d->max - d->messages < want)
		want = d->max - d->messages;
	yajl_gen_map_open(g);
	wdn_gen_key(g, "QueueUrl");
	wdn_gen_str(g, queue_url);
	wdn_gen_key(g, "MaxNumberOfMessages");
	yajl_gen_integer(g, (long long)want);
	wdn_gen_key(g, "WaitTimeSeconds");
	yajl_gen_integer(g, SQS_WAIT);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	if ((rc = sqs_call(d->aws, base, "ReceiveMessage", &body, &resp, err)))
		goto out;
	if (!(v = wdn_json_parse(resp.ptr, resp.len, err))) {
		rc = wdn_err_prefix(err, "SQS ReceiveMessage: ");
		goto out;
	}
	msgs = wdn_json_get(v, "Messages");
	if (!msgs || !YAJL_IS_ARRAY(msgs) || !msgs->u.array.len)
		goto out; /* the long poll ended empty */
	if (!(ok = calloc(msgs->u.array.len, 1))) {
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < msgs->u.array.len; i++) {
		wdn_json m = msgs->u.array.values[i];
		const char *id = wdn_json_str(m, "MessageId"), *b = wdn_json_str(m, "Body");

		wdn_buf_reset(&name);
		wdn_buf_addf(&name, "sqs:%s", id ? id : "?");
		if (!b || !wdn_json_str(m, "ReceiptHandle")) {
			struct wdn_err e = { 0 };

			d->messages++;
			d->failed++;
			wdn_err_set(&e, WDN_EINVAL, "a message without Body or ReceiptHandle");
			if (d->on_failed)
				d->on_failed(d->ctx, name.ptr, &e);
			continue;
		}
		ok[i] = !wdn_delivery_message(d, name.ptr, b, strlen(b), NULL);
		if (d->store_failed)
			break;
	}
	/* nothing is deleted unless everything recorded is stored */
	if (d->store_failed) {
		rc = wdn_err_set(err, WDN_ESTORE, "the store failed: no message of the batch is deleted");
		goto out;
	}
	if ((rc = wdn_recorder_flush(d->rec, err))) {
		d->store_failed = 1;
		goto out;
	}
	rc = delete_batch(d, base, queue_url, msgs, ok, err);
out:
	free(ok);
	wdn_json_free(v);
	wdn_buf_release(&body);
	wdn_buf_release(&resp);
	wdn_buf_release(&name);
	return rc;
}

int wdn_sqs_run(struct wdn_delivery *d, const char *queue_url, struct wdn_err *err)
{
	struct wdn_buf base = WDN_BUF_INIT;
	const char *h;
	int custom, rc = 0;

	if (!d->aws)
		return wdn_err_set(err, WDN_EINVAL, "no AWS client for SQS");
	if ((strncmp(queue_url, "https://", 8) && strncmp(queue_url, "http://", 7)) ||
	    !(h = strstr(queue_url, "://")) || !strchr(h + 3, '/') || strchr(h + 3, '/') == h + 3)
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not an SQS queue URL", queue_url);
	if ((rc = wdn_aws_endpoint(d->aws, "sqs", &base, &custom)))
		return wdn_err_set(err, rc, "out of memory");
	if (!custom) {
		/* the queue's own host: its URL names its region's endpoint */
		wdn_buf_reset(&base);
		wdn_buf_add(&base, queue_url, (size_t)(strchr(h + 3, '/') - queue_url));
	}
	while (!rc && !stopped(d))
		rc = sqs_batch(d, base.ptr, queue_url, err);
	wdn_buf_release(&base);
	return rc;
}
