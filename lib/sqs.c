/*
 * Delivered messages, and the SQS poller. A message is told by its shape: an
 * S3 or CloudTrail notification names objects to read from S3, an SNS
 * notification wraps another message, and anything else goes to the reader
 * as CloudTrail input (EventBridge envelopes are one of its forms). The
 * poller deletes a message only once what it recorded is flushed.
 *
 * What a message claims is checked before it is used: an EventBridge
 * envelope is refused unless it comes from AWS (source aws.*) and its event
 * belongs to the account it names, and a bucket or key it names is used only
 * if S3 could have it, so no message can steer a request elsewhere.
 */
#include "wdn.h"
#include "aws.h"
#include "json.h"
#include "s3.h"
#include "s3key.h"
#include "str.h"

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
	uint64_t rejected;      /* records that are no good event: the message failed */
	uint64_t refused;       /* envelopes refused as untrusted: reported, not retried */
	char why[300];          /* the first rejection */
	int store_rc;           /* the store failed: this, with store_err */
	struct wdn_err store_err;
};

static void msg_reject(void *ctx, const struct wdn_reject *rej)
{
	struct msg *m = ctx;

	if (rej->untrusted) {
		/* delivered again it would be refused again: acknowledged, reported */
		m->refused++;
		m->d->refused++;
	} else if (!m->rejected++) {
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
		struct wdn_reject rej = { ev->input, ev->record, ev->line, ev->raw, err.msg, 0 };

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

/* Record a message's bytes. Unless the message was an envelope checked
 * whole (trusted), an envelope the reader meets in it is refused: one
 * among other records could not have been checked before reading. */
static int read_bytes(struct msg *m, const char *name, const char *p, size_t n, int trusted,
		      struct wdn_err *err)
{
	struct wdn_reader *r = wdn_reader_new(name, msg_event, msg_reject, m);
	int rc;

	if (!r)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!trusted)
		wdn_reader_refuse_envelopes(r);
	rc = wdn_reader_feed_whole(r, p, n);
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
	return wdn_reader_feed_held(ctx, p, n); /* a small object is decoded whole */
}

/* The caller's action for one object named by a message: CloudTrail log
 * files only, the others told and skipped (acknowledged: they never become
 * log files). */
static int hand_object(struct msg *m, const char *bucket, const char *key, struct wdn_err *err)
{
	struct wdn_delivery *d = m->d;
	const char *why = wdn_trail_key_skip(key);
	struct wdn_buf name = WDN_BUF_INIT;
	int rc;

	if (why) {
		if (wdn_buf_addf(&name, "s3://%s/%s", bucket, key)) /* never a cut-short name told */
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		if (d->on_skipped)
			d->on_skipped(d->ctx, name.ptr, why);
		wdn_buf_release(&name);
		return 0;
	}
	rc = d->on_object(d->ctx, bucket, key, err);
	if (rc == WDN_ESTORE)
		d->store_failed = 1;
	if (!rc)
		d->objects++;
	return rc;
}

/* Read and record one S3 object, as wdn-record s3://BUCKET/KEY would. The
 * bucket and key come from a message: nothing is asked of S3 unless S3
 * could have them (the S3 client checks the bucket again). */
static int read_object(struct msg *m, const char *bucket, const char *key, size_t kl,
		       struct wdn_err *err)
{
	struct wdn_buf name = WDN_BUF_INIT;
	struct wdn_reader *r;
	int rc;

	if ((rc = wdn_s3_check_bucket(bucket, err)) || (rc = wdn_s3_check_key(key, kl, err)))
		return rc;
	if (m->d->on_object)
		return hand_object(m, bucket, key, err);
	/* digests vouch for logs and hold no events; "folders" hold nothing */
	if (wdn_s3key_digest(key) || !kl || key[kl - 1] == '/')
		return 0;
	if (!m->d->aws)
		return wdn_err_set(err, WDN_EINVAL, "no AWS client to read 's3://%s/%s'", bucket, key);
	if (wdn_buf_addf(&name, "s3://%s/%s", bucket, key) ||
	    !(r = wdn_reader_new(name.ptr, msg_event, msg_reject, m))) {
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
		if (err && err->code != rc) /* the reader says only its code */
			wdn_err_set(err, rc, "%s", wdn_strerror(rc));
		wdn_err_prefix(err, "reading '%s': ", name.ptr);
	} else {
		m->d->objects++;
	}
	wdn_buf_release(&name);
	return rc;
}


/* S3 notifications give keys URL-encoded, a space as '+': decoded into out
 * (which may then hold any byte, NUL too: check it by its length). A '%'
 * that starts no escape is no key S3 encoded: WDN_EINVAL. */
static int key_decode(const char *s, struct wdn_buf *out, struct wdn_err *err)
{
	char c;

	for (; *s; s++) {
		if (*s == '+') {
			c = ' ';
		} else if (*s != '%') {
			c = *s;
		} else if (wdn_hex_value(s[1]) >= 0 && wdn_hex_value(s[2]) >= 0) {
			c = (char)(wdn_hex_value(s[1]) << 4 | wdn_hex_value(s[2]));
			s += 2;
		} else {
			return wdn_err_set(err, WDN_EINVAL, "an S3 object key with a bad %%-escape");
		}
		if (wdn_buf_addc(out, c) == WDN_ETOOBIG)
			return wdn_err_set(err, WDN_EINVAL, "an S3 object key longer than %d bytes",
					   WDN_S3_MAX_KEY);
		if (wdn_buf_failed(out))
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	return 0;
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
		struct wdn_err e = { 0 };
		struct wdn_buf key;

		if (ev && strncmp(ev, "ObjectCreated:", 14))
			continue; /* a removal, a restore...: nothing to read */
		wdn_buf_init(&key, WDN_S3_MAX_KEY + 1);
		if (!bucket || !*bucket || !raw)
			rc = wdn_err_set(&e, WDN_EINVAL, "it names no bucket or key");
		else if (!(rc = key_decode(raw, &key, &e)))
			rc = read_object(m, bucket, key.ptr, key.len, &e);
		wdn_buf_release(&key);
		if (rc && err && !first) {
			*err = e;
			wdn_err_prefix(err, "S3 notification record %zu: ", i + 1);
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
			rc = read_object(m, bucket, k->u.string, strlen(k->u.string), &e);
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

/* A message that names no object, for a caller that acts on objects:
 * delivered again it fails again, so it ends in the dead-letter queue. */
static int not_notification(const char *name, struct wdn_err *err)
{
	return wdn_err_set(err, WDN_EINVAL, "'%s': not an S3 object notification", name);
}

/* ---- EventBridge envelopes --------------------------------------------------- */

/* How many members of object o are named k (JSON allows a name twice; the
 * tree answers the first, the reader the last: a check of one would not be
 * a check of the other). */
static size_t members(wdn_json o, const char *k)
{
	size_t i, n = 0;

	for (i = 0; o && YAJL_IS_OBJECT(o) && i < o->u.object.len; i++)
		n += !strcmp(o->u.object.keys[i], k);
	return n;
}

/* A hostile value for a message: at most 64 printable ASCII characters. */
static const char *shown(const char *s, char out[72])
{
	size_t i;

	for (i = 0; s[i] && i < 64; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
	snprintf(out + i, 72 - i, "%s", s[i] ? "..." : "");
	return out;
}

/* EventBridge's own sources: "aws." and a service name, case and all as
 * EventBridge compares them. PutEvents refuses custom events this prefix,
 * so only AWS can have sent one; partner sources (aws.partner/...) are no
 * service and hold a '/'. */
static int aws_source(const char *s)
{
	size_t i;

	if (strncmp(s, "aws.", 4) || !s[4])
		return 0;
	for (i = 4; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int twelve_digits(const char *s)
{
	size_t i;

	for (i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return !s[12];
}

/* Why the envelope v is not to be trusted (into why), or 0 when it may be
 * read. Checked: one of each member; a source of AWS's own; a detail-type;
 * a detail object; and, when the detail is a CloudTrail event, an account
 * of 12 digits that is the event's recipientAccountId: AWS delivers a
 * CloudTrail event only to the account that recorded it, and EventBridge
 * writes the account of whoever put the event. The region is not compared:
 * it only says which bus received the event. */
static int envelope_distrust(wdn_json v, char *why, size_t n)
{
	static const char *const once[] = { "detail", "detail-type", "source", "account", "region" };
	wdn_json detail = wdn_json_get(v, "detail");
	const char *src = wdn_json_str(v, "source"), *acct = wdn_json_str(v, "account");
	const char *recip;
	char a[72], b[72];
	size_t i;

	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (members(v, once[i]) > 1)
			return snprintf(why, n, "an EventBridge envelope with '%s' twice", once[i]), 1;
	if (!src)
		return snprintf(why, n, "an EventBridge envelope without a source string"), 1;
	if (!aws_source(src))
		return snprintf(why, n, "an EventBridge event from source '%s', not from AWS (aws.*)",
				shown(src, a)), 1;
	if (!wdn_json_str(v, "detail-type"))
		return snprintf(why, n, "an EventBridge envelope without a detail-type string"), 1;
	if (!detail || !YAJL_IS_OBJECT(detail))
		return snprintf(why, n, "an EventBridge envelope whose detail is not an object"), 1;
	if (wdn_json_get(v, "Records") || wdn_json_get(v, "s3Bucket"))
		return snprintf(why, n, "an EventBridge envelope that holds a notification too"), 1;
	if (!wdn_json_get(detail, "eventSource") && !wdn_json_get(detail, "eventName"))
		return 0; /* no CloudTrail event: the reader says what it is not */
	if (!acct || !twelve_digits(acct))
		return snprintf(why, n, "an EventBridge envelope without a 12-digit account"), 1;
	if (members(detail, "recipientAccountId") > 1)
		return snprintf(why, n, "an event with 'recipientAccountId' twice"), 1;
	if (!(recip = wdn_json_str(detail, "recipientAccountId")))
		return snprintf(why, n, "an event in account %s that names no recipientAccountId", acct), 1;
	if (strcmp(recip, acct))
		return snprintf(why, n, "an EventBridge event of account %s holding an event of account '%s'",
				acct, shown(recip, b)), 1;
	return 0;
}

/* Refuse a whole message as untrusted: reported as a rejected record is
 * (warning, --reject), but acknowledged, since it would be refused again. */
static void refuse(struct msg *m, const char *name, const char *body, size_t len, const char *why)
{
	struct wdn_reject rej = { 0 };
	char msg[400];

	snprintf(msg, sizeof(msg), "refused: %s", why);
	rej.input = name;
	rej.record = 1;
	rej.line = 1;
	rej.raw.ptr = body;
	rej.raw.len = len;
	rej.msg = msg;
	rej.untrusted = 1;
	msg_reject(m, &rej);
}

/* S3's own EventBridge event of a new object (not URL-encoded, unlike its
 * notifications): read it as an S3 notification would have it read. */
static int is_object_created(wdn_json v)
{
	const char *src = wdn_json_str(v, "source"), *type = wdn_json_str(v, "detail-type");

	return src && type && !strcmp(src, "aws.s3") && !strcmp(type, "Object Created");
}

static int object_created(struct msg *m, wdn_json detail, struct wdn_err *err)
{
	const char *bucket = wdn_json_str(detail, "bucket.name");
	const char *key = wdn_json_str(detail, "object.key");

	if (!bucket || !key)
		return wdn_err_set(err, WDN_EINVAL, "an S3 Object Created event that names no bucket or key");
	return read_object(m, bucket, key, strlen(key), err);
}

static int envelope(struct msg *m, const char *name, const char *body, size_t len, wdn_json v,
		    struct wdn_err *err)
{
	char why[300];

	if (envelope_distrust(v, why, sizeof(why))) {
		refuse(m, name, body, len, why);
		return 0;
	}
	if (is_object_created(v))
		return object_created(m, wdn_json_get(v, "detail"), err);
	if (m->d->on_object)
		return not_notification(name, err);
	return read_bytes(m, name, body, len, 1, err);
}

static int is_envelope(wdn_json v)
{
	return wdn_json_get(v, "detail") || wdn_json_get(v, "detail-type");
}

static int message(struct msg *m, const char *name, const char *body, size_t len, int wrap,
		   struct wdn_err *err)
{
	wdn_json v = NULL, recs, keys;
	struct wdn_err pe = { 0 };
	const char *s, *bucket;
	size_t i = 0;
	int rc;

	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\t' || body[i] == '\r'))
		i++;
	if (i == len)
		return wdn_err_set(err, WDN_EINVAL, "'%s': an empty message", name);
	if (body[i] == '{' && wrap < MAX_WRAP)
		v = wdn_json_parse(body, len, &pe); /* refuses hostile nesting */
	if (pe.code == WDN_ENOMEM) /* not read as some other kind of message */
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if ((!v || !YAJL_IS_OBJECT(v)) && m->d->on_object) {
		rc = not_notification(name, err);
	} else if (!v || !YAJL_IS_OBJECT(v)) {
		rc = read_bytes(m, name, body, len, 0, err); /* the reader says what is wrong */
	} else if ((s = wdn_json_str(v, "Type")) && !strcmp(s, "Notification") &&
		   (s = wdn_json_str(v, "Message"))) {
		rc = message(m, name, s, strlen(s), wrap + 1, err); /* SNS */
	} else if ((s = wdn_json_str(v, "Event")) && !strcmp(s, "s3:TestEvent")) {
		rc = 0; /* S3 checks a new notification target with this */
	} else if (is_envelope(v)) {
		rc = envelope(m, name, body, len, v, err);
	} else if ((recs = wdn_json_get(v, "Records")) && YAJL_IS_ARRAY(recs) && recs->u.array.len &&
		   (((s = wdn_json_str(recs->u.array.values[0], "eventSource")) && !strcmp(s, "aws:s3")) ||
		    YAJL_IS_OBJECT(wdn_json_get(recs->u.array.values[0], "s3")))) {
		rc = s3_notification(m, recs, err);
	} else if ((bucket = wdn_json_str(v, "s3Bucket")) && (keys = wdn_json_get(v, "s3ObjectKey")) &&
		   YAJL_IS_ARRAY(keys)) {
		rc = trail_notification(m, bucket, keys, err);
	} else if (m->d->on_object) {
		rc = not_notification(name, err);
	} else {
		rc = read_bytes(m, name, body, len, 0, err);
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
	int rc;

	if (wdn_buf_failed(body)) /* never a cut-short request */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	else
		rc = wdn_aws_json_call(a, "sqs", base, "AmazonSQS", op, body->ptr, body->len, resp, err);
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
				d->on_failed(d->ctx, wdn_buf_failed(&name) ? "sqs:?" : name.ptr, &e);
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
	/* enriching, once stopped only the object in hand is finished (a batch
	 * of large log files may outlast the grace before SIGKILL); the rest
	 * come again. Recording finishes the batch: it is quick. */
	for (i = 0; i < msgs->u.array.len && !(d->on_object && d->stop && *d->stop); i++) {
		wdn_json m = msgs->u.array.values[i];
		const char *id = wdn_json_str(m, "MessageId"), *b = wdn_json_str(m, "Body");

		wdn_buf_reset(&name);
		if (wdn_buf_addf(&name, "sqs:%s", id ? id : "?")) {
			/* nothing of the batch is deleted: it all comes again */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			goto out;
		}
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
	if (d->rec && (rc = wdn_recorder_flush(d->rec, err))) {
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
		if (wdn_buf_add(&base, queue_url, (size_t)(strchr(h + 3, '/') - queue_url)))
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	while (!rc && !stopped(d))
		rc = sqs_batch(d, base.ptr, queue_url, err);
	wdn_buf_release(&base);
	return rc;
}
