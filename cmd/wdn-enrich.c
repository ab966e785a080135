/*
 * wdn-enrich: raw CloudTrail in, every event out once with a "whodunnit"
 * member, to stdout or partitioned for Athena (account=/region=/day=), each
 * output file written whole or not at all.
 */
#include "cli.h"
#include "athena.h"
#include "batch.h"
#include "datetime.h"
#include "enrich.h"
#include "event.h"
#include "fs.h"
#include "outtree.h"
#include "s3.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char synopsis[] =
	"usage: wdn-enrich [-q] [--store URL] [-o DIR|s3://BUCKET/PREFIX] [--record] [-j N]\n"
	"                  [--shard K/N] [--since DATE] [--until DATE] [--reject FILE]\n"
	"                  [--profile NAME] [--region REGION] [--endpoint-url URL] [INPUT ...]\n"
	"       wdn-enrich --lambda [-q] [--store URL] [-o s3://BUCKET/PREFIX] [--record]\n"
	"                  [--reject FILE] [--max-messages N]\n"
	"       wdn-enrich --sqs QUEUE_URL [-q] [--store URL] [-o s3://BUCKET/PREFIX] [--record]\n"
	"                  [--reject FILE] [--max-messages N] [--profile NAME] [--region REGION]\n"
	"                  [--endpoint-url URL]\n"
	"       wdn-enrich --athena-ddl [-o DIR|s3://BUCKET/PREFIX] [--table NAME]\n"
	"       wdn-enrich --athena-consolidate DATE [-o DIR|s3://BUCKET/PREFIX] [--table NAME]\n";

enum { OPT_RECORD = CLI_OPT_CMD, OPT_DDL, OPT_SHARD, OPT_REJECT, OPT_SINCE, OPT_UNTIL, OPT_TABLE,
       OPT_CONSOLIDATE, OPT_LAMBDA, OPT_SQS, OPT_MAX };
static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "record", no_argument, NULL, OPT_RECORD },
	{ "athena-ddl", no_argument, NULL, OPT_DDL },
	{ "athena-consolidate", required_argument, NULL, OPT_CONSOLIDATE },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "lambda", no_argument, NULL, OPT_LAMBDA },
	{ "sqs", required_argument, NULL, OPT_SQS },
	{ "max-messages", required_argument, NULL, OPT_MAX },
	{ NULL, 0, NULL, 0 },
};

#define MAX_JOBS 64
#define FLUSH_AT (256 << 10) /* stdout lines are written in blocks this big */

struct run {
	struct cli cli;
	pthread_mutex_t lock;   /* stdout, stderr, the reject file, the counters */
	const char *out;        /* -o: a directory or s3://bucket/prefix */
	int out_s3;             /* -o is s3:// */
	struct wdn_outtree *tree;   /* -o */
	int record, jobs;
	struct cli_inputs in;
	char **local;           /* --record: where each S3 input was downloaded */
	size_t next;            /* next input to take */
	uint64_t done, skipped, failed_inputs, events, bytes;	/* done: enriched */
	struct cli_progress progress;
	int failed;
};

struct worker {
	struct run *run;
	struct wdn_store *store;
	struct wdn_enricher *enr;
	struct wdn_recorder *rec;
	struct wdn_aws *aws;
	const struct cli_input *input;
	struct wdn_buf pbuf, zbuf;
	struct wdn_outtree_writer *out;  /* -o: the input's output */
	uint64_t events;
	int error;              /* this input cannot be completed */
	unsigned id;
	int bulk;               /* the store reads in bulk: hold events back */
	struct wdn_batch *batch;    /* the events held back */
	struct held *held;      /* room for HOLD_EVENTS of them */
};

#define HOLD_EVENTS 10000       /* events whose keys a bulk store reads together */
#define HOLD_BYTES (16u << 20)  /* and their bytes, at most */

/* An event held back, its bytes and fields copied out of the reader's. */
struct held {
	struct wdn_event ev;
	char *mem;
};

/* ---- helpers -------------------------------------------------------------- */

static void warn_locked(struct run *r, int fail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn_locked(struct run *r, int fail, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->lock);
	if (fail)
		cli_fail(&r->cli, "%s", msg);
	else
		cli_warn(&r->cli, "%s", msg);
	pthread_mutex_unlock(&r->lock);
}

/* ---- the event loop ------------------------------------------------------- */

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct worker *w = ctx;

	pthread_mutex_lock(&w->run->lock);
	cli_reject(&w->run->cli, rej);
	pthread_mutex_unlock(&w->run->lock);
}

static void flush_stdout(struct worker *w)
{
	if (!w->pbuf.len)
		return;
	pthread_mutex_lock(&w->run->lock);
	fwrite(w->pbuf.ptr, 1, w->pbuf.len, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&w->run->lock);
	wdn_buf_reset(&w->pbuf);
}

static int enrich_one(struct worker *w, const struct wdn_event *ev)
{
	struct wdn_err err = { 0 };
	struct wdn_buf *b;
	int rc = 0;

	w->events++;
	if (!w->run->out) {
		if ((rc = wdn_enrich_event(w->enr, ev, &w->pbuf, &err)))
			goto bad;
		/* a file's lines go out in blocks (a write per event cost 5% of
		 * the CPU); stdin may be a live stream: each line as it comes */
		if (w->pbuf.len >= FLUSH_AT || (w->run->jobs == 1 && !strcmp(w->input->name, "-")))
			flush_stdout(w);
		return 0;
	}
	wdn_buf_reset(&w->zbuf);
	if (wdn_event_partition(ev, &w->zbuf)) { /* never into a cut-short partition */
		rc = wdn_err_set(&err, WDN_ENOMEM, "out of memory");
		goto fail;
	}
	/* enriched straight into what gets compressed: no copy of the line */
	if (!(b = wdn_outtree_line(w->out, w->zbuf.ptr, &err)))
		goto fail;
	rc = wdn_enrich_event(w->enr, ev, b, &err);
	if (wdn_outtree_wrote(w->out, rc ? NULL : &err) && !rc) {
		rc = WDN_EIO;
		goto fail;
	}
	if (rc)
		goto bad;
	return 0;
fail:
	warn_locked(w->run, 1, "'%s': %s", w->input->name, err.msg);
	w->error = 1;
	return rc ? rc : WDN_ENOMEM;
bad:
	if (rc == WDN_EINVAL) {
		struct wdn_reject rej = { ev->input, ev->record, ev->line, ev->raw, err.msg, 0 };

		/* kept out of the output, like any bad record */
		w->events--;
		on_reject(w, &rej);
		return 0;
	}
	warn_locked(w->run, 1, "'%s': %s", w->input->name, err.msg);
	w->error = 1;
	return rc;
}

/* A held event's turn, in order, after the batch read ahead in a few
 * rounds what resolving their keys needs (wdn_batch_release). */
static int held_each(void *ctx, void *item)
{
	struct held *h = item;
	int rc = enrich_one(ctx, &h->ev);

	free(h->mem);
	return rc;
}

static void held_drop(void *ctx, void *item)
{
	free(((struct held *)item)->mem);
}

/* The key to read ahead for an event, with its time and sighting: its
 * caller's, unless the enricher knows it already. */
static const char *held_key(struct worker *w, const struct wdn_event *ev, int64_t *when,
			    struct wdn_sighting *seen)
{
	struct wdn_str k = ev->f[WDN_F_UI_KEY], t = ev->f[WDN_F_EVENT_TIME];

	if (!k.ptr || !k.len || k.len > 128 || !t.ptr || wdn_time_parse(t.ptr, t.len, when) ||
	    wdn_enricher_knows(w->enr, ev, *when) || wdn_event_sighting(ev, *when, seen))
		return NULL;
	return k.ptr;
}

static int hold(struct worker *w, const struct wdn_event *ev)
{
	struct held *h = &w->held[wdn_batch_count(w->batch)];
	struct wdn_sighting seen;
	size_t need = ev->raw.len + 1, i;
	const char *key;
	int64_t when = 0;
	char *p;

	for (i = 0; i < WDN_F_COUNT; i++)
		need += ev->f[i].ptr ? ev->f[i].len + 1 : 0;
	if (!(p = h->mem = malloc(need))) {
		warn_locked(w->run, 1, "out of memory");
		w->error = 1;
		return WDN_ENOMEM;
	}
	h->ev = *ev;
	memcpy(p, ev->raw.ptr, ev->raw.len);
	p[ev->raw.len] = '\0';
	h->ev.raw.ptr = p;
	p += ev->raw.len + 1;
	for (i = 0; i < WDN_F_COUNT; i++) {
		if (!ev->f[i].ptr)
			continue;
		memcpy(p, ev->f[i].ptr, ev->f[i].len);
		p[ev->f[i].len] = '\0';
		h->ev.f[i].ptr = p;
		p += ev->f[i].len + 1;
	}
	key = held_key(w, &h->ev, &when, &seen);
	/* HOLD_EVENTS or HOLD_BYTES held: enriched now */
	return wdn_batch_add(w->batch, h, need, key, when, key ? &seen : NULL) ? wdn_batch_release(w->batch) : 0;
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct worker *w = ctx;

	return w->bulk ? hold(w, ev) : enrich_one(w, ev);
}

/* The counters and the progress line, after an input. */
static void count_input(struct worker *w, const struct cli_input *in, int failed)
{
	struct run *r = w->run;

	pthread_mutex_lock(&r->lock);
	if (failed)
		r->failed_inputs++; /* what it gave is out, but it was not enriched */
	else
		r->done++;
	r->events += w->events;
	r->bytes += in->size;
	r->progress.done = r->done + r->skipped + r->failed_inputs;
	r->progress.events = r->events;
	r->progress.bytes = r->bytes;
	cli_progress(&r->cli, &r->progress, 0);
	pthread_mutex_unlock(&r->lock);
}

/* Every event of one input through on_event (local: --record's copy of it). */
static int read_input(struct worker *w, const struct cli_input *in, const char *local, struct wdn_err *err)
{
	struct wdn_err serr = { 0 };
	struct cli_input li = *in;
	struct wdn_reader *rd;
	int rc, snap;

	if (local) {
		/* downloaded once by --record: read the copy, name it as the object */
		li.bucket = li.key = NULL;
		li.name = (char *)local;
	}
	if (!(rd = wdn_reader_new(in->name, on_event, on_reject, w))) {
		warn_locked(w->run, 1, "out of memory");
		w->error = 1;
		return WDN_ENOMEM;
	}
	if (!strcmp(in->name, "-"))
		wdn_reader_allow_empty(rd); /* an empty stdin: nothing to do */
	/* an input's lookups in one read snapshot of the store: cheaper, and
	 * one state of it per input (a failure here costs speed only) */
	snap = w->store && w->store->ops->snapshot && !w->store->ops->snapshot(w->store, 1, &serr);
	/* another process may have recorded since the last input: what the
	 * enricher kept of the store is read again, in this state of it */
	wdn_enricher_forget(w->enr);
	rc = cli_input_read(&w->run->cli, w->aws, &li, rd, err);
	wdn_reader_free(rd);
	if (w->bulk)
		wdn_batch_release(w->batch); /* the good events before any trouble are kept */
	if (snap)
		w->store->ops->snapshot(w->store, 0, &serr);
	return rc;
}

/* Enrich one input; 0 when it is done (now or before), -1 when not. */
static int enrich_input(struct worker *w, const struct cli_input *in, const char *local)
{
	struct run *r = w->run;
	struct wdn_err err = { 0 };
	int rc = 0;

	w->input = in;
	w->events = 0;
	w->error = 0;
	if (r->out && (rc = wdn_outtree_begin(w->out, in->name, &err))) {
		warn_locked(r, 1, "'%s': %s", in->name, err.msg);
		w->error = 1;
		goto count;
	}
	if (r->out && (rc = wdn_outtree_done(w->out, &err)) < 0)
		warn_locked(r, 1, "%s", err.msg); /* not known to be done: written again */
	if (r->out && rc > 0) {
		pthread_mutex_lock(&r->lock);
		r->skipped++;
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	rc = read_input(w, in, local, &err);
	if (rc && !w->error) {
		warn_locked(r, 1, "reading '%s': %s", in->name, err.msg);
		w->error = 1;
	}
	if (!r->out) {
		flush_stdout(w);
	} else {
		/* the one place an input's output is decided: all of it committed
		 * with its marker, or none of it */
		if (!w->error && (rc = wdn_outtree_commit(w->out, &err))) {
			warn_locked(r, 1, "'%s': %s", in->name, err.msg);
			w->error = 1;
		}
		wdn_outtree_drop(w->out);
	}
count:
	count_input(w, in, w->error || rc);
	return w->error ? -1 : 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		i = r->next++;
		pthread_mutex_unlock(&r->lock);
		if (i >= r->in.n)
			break;
		enrich_input(w, &r->in.v[i], r->local ? r->local[i] : NULL);
	}
	return NULL;
}

/* ---- --record: all inputs first, so a session issued in one file resolves in another */

struct recording {
	struct run *run;
	struct wdn_recorder *rec;
	int fd;                 /* the local copy of an S3 object being written */
	struct wdn_reader *rd;
};

static int rec_event(void *ctx, const struct wdn_event *ev)
{
	struct recording *k = ctx;
	struct wdn_err err = { 0 };
	int rc = wdn_recorder_event(k->rec, ev, NULL, &err);

	if (rc == WDN_EINVAL)
		return 0; /* the enrich pass reports bad records */
	if (rc)
		warn_locked(k->run, 1, "%s", err.msg);
	return rc;
}

static int tee_body(void *ctx, const void *p, size_t n)
{
	struct recording *k = ctx;

	if (wdn_fs_write_all(k->fd, p, n))
		return WDN_EIO;
	return wdn_reader_feed(k->rd, p, n);
}

static int tee_fd(struct recording *k, int fd, struct wdn_err *err)
{
	char buf[64 * 1024];
	ssize_t n;
	int rc;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wdn_err_set(err, WDN_EIO, "%s", strerror(errno));
		if ((rc = tee_body(k, buf, (size_t)n)))
			return rc;
	}
	return 0;
}

static int record_all(struct run *r, struct wdn_store *s, struct wdn_aws *aws, const char *tmpdir)
{
	struct recording k = { r, wdn_recorder_new(s), -1, NULL };
	struct wdn_err err = { 0 };
	size_t i;
	int rc = 0;

	if (!k.rec || !(r->local = calloc(r->in.n, sizeof(*r->local))))
		return -1;
	/* as wdn-record does: a key's uses may fold over the whole run */
	wdn_recorder_hold_sightings(k.rec, 1);
	for (i = 0; !rc && i < r->in.n; i++) {
		const struct cli_input *in = &r->in.v[i];

		if (!(k.rd = wdn_reader_new(in->name, rec_event, NULL, &k)))
			return -1;
		if (!strcmp(in->name, "-"))
			wdn_reader_allow_empty(k.rd);
		if (in->bucket || !strcmp(in->name, "-")) {
			/* read once: keep a copy for the enrich pass */
			struct wdn_buf path = WDN_BUF_INIT;

			wdn_buf_addf(&path, "%s/in.%zu", tmpdir, i);
			k.fd = -1;
			if (!(r->local[i] = wdn_buf_detach(&path, NULL))) /* never a cut-short name */
				rc = wdn_err_set(&err, WDN_ENOMEM, "out of memory");
			else if ((k.fd = open(r->local[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
				rc = wdn_err_set(&err, WDN_EIO, "cannot create '%s': %s", r->local[i], strerror(errno));
			else if (in->bucket)
				rc = wdn_s3_get(aws, in->bucket, in->key, tee_body, &k, &err);
			else
				rc = tee_fd(&k, 0, &err);
			if (!rc)
				rc = wdn_reader_finish(k.rd, &err);
			if (k.fd >= 0 && close(k.fd) && !rc)
				rc = wdn_err_set(&err, WDN_EIO, "writing '%s'", r->local[i]);
		} else {
			rc = cli_input_read(&r->cli, aws, in, k.rd, &err);
		}
		wdn_reader_free(k.rd);
		if (!rc)
			rc = wdn_recorder_flush(k.rec, &err);
		if (rc)
			warn_locked(r, 1, "recording '%s': %s", in->name, err.msg);
	}
	wdn_recorder_hold_sightings(k.rec, 0);
	if (!rc && (rc = wdn_recorder_flush(k.rec, &err)))
		warn_locked(r, 1, "recording: %s", err.msg);
	wdn_recorder_free(k.rec);
	return rc;
}

/* --record's directory for the downloads it reads twice: 0, or -1 told. */
static int make_tmpdir(struct run *r, struct wdn_buf *dir)
{
	const char *td = getenv("TMPDIR");

	if (wdn_buf_addf(dir, "%s/wdn-enrich.XXXXXX", td && *td ? td : "/tmp")) {
		cli_fail(&r->cli, "out of memory");
		return -1;
	}
	if (!mkdtemp(dir->ptr)) {
		cli_fail(&r->cli, "cannot create a temporary directory: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- --lambda, --sqs: each log file a notification names, enriched once ---- */

struct stream {
	struct run *run;
	struct worker *w;
	struct wdn_store *store;    /* --record: recorded into */
	const char *tmpdir;         /* --record: the one download, read twice */
};

/* Record (--record) and enrich s3://bucket/key, as the batch command would
 * with the object as its INPUT: same names, same marker. An object with its
 * marker is done, whoever wrote it: nothing is read. */
static int stream_object(void *ctx, const char *bucket, const char *key, struct wdn_err *err)
{
	struct stream *st = ctx;
	struct run *r = st->run;
	struct worker *w = st->w;
	struct cli_input in = { 0 };
	struct wdn_buf name = WDN_BUF_INIT;
	struct wdn_enrich_cache *cache = NULL;
	int rc = -1, done;

	if (wdn_buf_addf(&name, "s3://%s/%s", bucket, key) || !(in.name = wdn_buf_detach(&name, NULL)))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	in.bucket = (char *)bucket;
	in.key = (char *)key;
	if (wdn_outtree_begin(w->out, in.name, err))
		goto out;
	done = wdn_outtree_done(w->out, err);
	if (done > 0 || !r->record)
		goto enrich; /* enrich_input skips it (done), or enriches it */
	r->in.v = &in;
	r->in.n = 1;
	rc = record_all(r, st->store, w->aws, st->tmpdir);
	r->in.v = NULL;
	r->in.n = 0;
	if (rc) {
		rc = wdn_err_set(err, rc == WDN_ESTORE ? WDN_ESTORE : WDN_EIO, "'%s' not recorded", in.name);
		goto out;
	}
enrich:
	/* a store others write: what it knew for the last object may be stale */
	if (!(cache = wdn_enrich_cache_new()) || !(w->enr = wdn_enricher_new(w->store, cache))) {
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto out;
	}
	rc = enrich_input(w, &in, r->local ? r->local[0] : NULL);
	if (rc)
		rc = wdn_err_set(err, WDN_EIO, "'%s' not enriched", in.name);
out:
	wdn_enricher_free(w->enr);
	w->enr = NULL;
	wdn_enrich_cache_free(cache);
	if (r->local) {
		if (r->local[0])
			unlink(r->local[0]);
		free(r->local[0]);
		free(r->local);
		r->local = NULL;
	}
	free(in.name);
	return rc;
}

static void stream_skipped(void *ctx, const char *object, const char *why)
{
	struct stream *st = ctx;

	st->run->skipped++;
	if (!st->run->cli.quiet)
		cli_warn(&st->run->cli, "note: '%s' skipped: %s", object, why);
}

static void stream_failed(void *ctx, const char *message, const struct wdn_err *err)
{
	struct stream *st = ctx;

	/* it stays in its queue, and after its retries in the dead-letter queue */
	if (err->code == WDN_EINVAL) {
		cli_warn(&st->run->cli, "'%s': %s", message, err->msg);
		cli_status(&st->run->cli, EXIT_REJECTED);
	} else {
		cli_fail(&st->run->cli, "'%s': %s", message, err->msg);
	}
}

static void stream_reject(void *ctx, const struct wdn_reject *rej)
{
	struct stream *st = ctx;

	cli_reject(&st->run->cli, rej);
}

/* The loops are libwdn's, shared with wdn-record: only the action differs. */
static void stream(struct run *r, struct worker *w, struct wdn_store *rs, const char *tmpdir,
		   int lambda, const char *queue, uint64_t max)
{
	struct stream st = { r, w, rs, tmpdir };
	struct wdn_delivery d = { 0 };

	d.aws = w->aws;
	d.on_object = stream_object;
	d.on_skipped = stream_skipped;
	d.on_failed = stream_failed;
	d.on_reject = stream_reject;
	d.ctx = &st;
	d.max = max;
	cli_deliver(&r->cli, &d, lambda, queue);
	if (!r->cli.quiet)
		fprintf(stderr, "wdn-enrich: %llu messages, %llu objects enriched, %llu skipped, "
			"%llu failed, %llu events\n", (unsigned long long)d.messages,
			(unsigned long long)r->done, (unsigned long long)r->skipped,
			(unsigned long long)d.failed, (unsigned long long)r->events);
}

/* --lambda, --sqs: one worker, its store, client and writer; -o or
 * WDN_ENRICH_OUTPUT names the output, which must be in S3 (a function has
 * no disk to keep). */
static void stream_main(struct run *r, int lambda, const char *queue, uint64_t max)
{
	static char region[32];
	struct worker w;
	struct wdn_store *rs = NULL;
	struct wdn_buf tmpdir = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	int made_tmp = 0, started = 0;

	memset(&w, 0, sizeof(w));
	w.run = r;
	wdn_buf_init(&w.pbuf, 0);
	wdn_buf_init(&w.zbuf, 0);
	if (queue && !r->cli.region && !wdn_sqs_url_region(queue, region))
		r->cli.region = region;
	if (wdn_outtree_open(r->out, &r->tree, &err)) {
		cli_fail(&r->cli, "-o: %s", err.msg);
		goto out;
	}
	if (cli_aws(&r->cli, &w.aws))
		goto out;
	if (!(w.out = wdn_outtree_writer_new(r->tree, w.aws))) {
		cli_fail(&r->cli, "out of memory");
		goto out;
	}
	if (r->record) {
		if (make_tmpdir(r, &tmpdir))
			goto out;
		made_tmp = 1;
		if (cli_open_store(&r->cli, WDN_STORE_CREATE, &rs))
			goto out;
		w.store = rs;
	} else if (cli_open_store(&r->cli, 0, &w.store)) {
		w.store = NULL; /* events still pass through, with what they tell */
	}
	/* one object at a time: events are enriched as they are read */
	started = 1;
	stream(r, &w, rs, tmpdir.ptr, lambda, queue, max);
out:
	if (lambda && !started)
		wdn_lambda_init_error("whodunnit.InitFailed", "wdn-enrich cannot start: see the log", NULL);
	wdn_store_close(w.store);
	wdn_outtree_writer_free(w.out);
	wdn_aws_free(w.aws);
	wdn_buf_release(&w.pbuf);
	wdn_buf_release(&w.zbuf);
	if (made_tmp)
		rmdir(tmpdir.ptr);
	wdn_buf_release(&tmpdir);
}

/* ---- Athena ---------------------------------------------------------------- */

/* --athena-ddl, --athena-consolidate DATE: the statements for the output's
 * accounts and regions, read from the output itself. */
static void athena_ddl(struct run *r, const char *table, const char *day)
{
	struct wdn_athena a;
	struct wdn_err err = { 0 };
	struct wdn_buf loc = WDN_BUF_INIT, sql = WDN_BUF_INIT;
	struct wdn_aws *aws = NULL;
	char *bucket = NULL, *prefix = NULL;
	char now[32], run[32];
	int rc = 0;

	wdn_athena_init(&a);
	a.table = table;
	if (wdn_buf_adds(&loc, r->out && !strncmp(r->out, "s3://", 5) ? r->out : "s3://BUCKET/PREFIX")) {
		cli_fail(&r->cli, "out of memory");
		goto out;
	}
	while (loc.len > 5 && loc.ptr[loc.len - 1] == '/')
		wdn_buf_setlen(&loc, loc.len - 1);
	a.location = loc.ptr;
	if (wdn_athena_check(&a, NULL, &err))
		cli_usage_error(&r->cli, "%s", err.msg);
	if (r->out && !strncmp(r->out, "s3://", 5)) {
		if (wdn_s3_parse_url(r->out, &bucket, &prefix, &err))
			cli_usage_error(&r->cli, "-o: %s", err.msg);
		if (cli_aws(&r->cli, &aws))
			goto out;
		rc = wdn_athena_scan_s3(&a, aws, bucket, prefix, &err);
	} else if (r->out) {
		rc = wdn_athena_scan_dir(&a, r->out, &err);
	}
	if (!rc && day) {
		int64_t t = wdn_time_now();

		/* a run of its own: a failed one leaves nothing a later one reads */
		wdn_time_format(t, now);
		snprintf(run, sizeof(run), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", now, now + 5, now + 8,
			 now + 11, now + 14, now + 17);
		rc = wdn_athena_consolidate(&sql, &a, day, run, &err);
	} else if (!rc) {
		rc = wdn_athena_ddl(&sql, &a, &err);
	}
	if (rc == WDN_EINVAL && !sql.len)
		cli_usage_error(&r->cli, "%s", err.msg);
	if (rc)
		cli_fail(&r->cli, "%s", err.msg);
	else
		fwrite(sql.ptr, 1, sql.len, stdout);
out:
	free(bucket);
	free(prefix);
	wdn_aws_free(aws);
	wdn_athena_release(&a);
	wdn_buf_release(&sql);
	wdn_buf_release(&loc);
}

/* ---- main ------------------------------------------------------------------ */

/*
 * An output tree inside an input directory would be read back as input on
 * every run (its own lock file too), each rerun doubling the events: inputs
 * whose canonical path lies in the tree's are dropped, with one warning.
 */
static void skip_own_output(struct run *r)
{
	char *root = realpath(r->out, NULL), *p;
	size_t i, k = 0, n = root ? strlen(root) : 0, skipped = 0;

	for (i = 0; root && i < r->in.n; i++) {
		struct cli_input *in = &r->in.v[i];

		p = in->bucket || !strcmp(in->name, "-") ? NULL : realpath(in->name, NULL);
		if (p && !strncmp(p, root, n) && (p[n] == '/' || !p[n] || n == 1)) {
			free(in->name);
			free(in->bucket);
			free(in->key);
			skipped++;
		} else {
			r->in.v[k++] = *in;
		}
		free(p);
	}
	if (root)
		r->in.n = k;
	if (skipped)
		cli_warn(&r->cli, "%zu inputs inside the output tree '%s' skipped", skipped, r->out);
	free(root);
}

/* What the options say beyond struct run. */
struct opts {
	struct cli_select sel;
	const char *table, *day, *queue;
	uint64_t max;
	int lambda, jobs_given, ddl;
};

/* --athena-consolidate DATE: a day is done when late deliveries have landed too. */
static const char *parse_day(struct run *r, const char *s)
{
	int64_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || wdn_time_parse(s, 10, &t))
		cli_usage_error(&r->cli, "--athena-consolidate: '%s' is not a date (YYYY-MM-DD)", s);
	if (t > wdn_time_now() - 2 * 86400)
		cli_usage_error(&r->cli, "--athena-consolidate: '%s' is not over for a day yet", s);
	return s;
}

/* --since, --until */
static const char *parse_date(struct run *r, const char *opt, const char *s)
{
	int64_t t;

	if (strlen(s) != 10 || wdn_time_parse(s, 10, &t))
		cli_usage_error(&r->cli, "--%s: '%s' is not a date (YYYY-MM-DD)", opt, s);
	return s;
}

/* 0, or -1 when the run is over already (--reject could not be opened). */
static int parse_options(struct run *r, struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->table = "whodunnit_cloudtrail";
	r->jobs = 1;
	while ((c = cli_getopt(&r->cli, argc, argv, "o:j:", options)) != -1) {
		switch (c) {
		case 'o': r->out = optarg; break;
		case 'j':
			r->jobs = (int)cli_number(&r->cli, "-j", optarg, 1, MAX_JOBS);
			o->jobs_given = 1;
			break;
		case OPT_LAMBDA: o->lambda = 1; break;
		case OPT_SQS: o->queue = optarg; break;
		case OPT_MAX:
			o->max = (uint64_t)cli_number(&r->cli, "--max-messages", optarg, 1, INT64_MAX);
			break;
		case OPT_RECORD: r->record = 1; break;
		case OPT_DDL: o->ddl = 1; break;
		case OPT_TABLE: o->table = optarg; break;
		case OPT_CONSOLIDATE: o->day = parse_day(r, optarg); break;
		case OPT_REJECT:
			if (cli_open_reject(&r->cli, optarg))
				return -1;
			break;
		case OPT_SHARD: cli_parse_shard(&r->cli, optarg, &o->sel); break;
		case OPT_SINCE: o->sel.since = parse_date(r, "since", optarg); break;
		case OPT_UNTIL: o->sel.until = parse_date(r, "until", optarg); break;
		}
	}
	return 0;
}

/* --lambda, --sqs: what they take, and where their output goes. */
static void stream_check(struct run *r, const struct opts *o, int operands)
{
	const char *env = getenv("WDN_ENRICH_OUTPUT");

	if (operands || (o->lambda && o->queue) || o->ddl || o->day || o->jobs_given || o->sel.nshards ||
	    o->sel.since || o->sel.until)
		cli_usage_error(&r->cli, "--lambda and --sqs take no INPUT, -j, --shard, --since, "
				"--until or --athena-*, and not each other");
	if (!r->out && env && *env)
		r->out = env;
	if (!r->out || strncmp(r->out, "s3://", 5)) {
		if (o->lambda)
			wdn_lambda_init_error("whodunnit.InitFailed", "no -o s3:// or WDN_ENRICH_OUTPUT", NULL);
		cli_usage_error(&r->cli, "--lambda and --sqs need -o s3://BUCKET/PREFIX (or WDN_ENRICH_OUTPUT)");
	}
}

/* -o: the output tree, and for s3:// the client that lists it; -1 when the run is over. */
static int open_output(struct run *r, struct wdn_aws **aws)
{
	struct wdn_err err = { 0 };
	int rc;

	if (!r->out)
		return 0;
	rc = wdn_outtree_open(r->out, &r->tree, &err);
	r->out_s3 = !strncmp(r->out, "s3://", 5);
	if (rc && r->out_s3)
		cli_usage_error(&r->cli, "-o: %s", err.msg);
	if (rc) {
		cli_fail(&r->cli, "-o: %s", err.msg);
		return -1;
	}
	if (r->out_s3 && cli_aws(&r->cli, aws)) {
		wdn_outtree_close(r->tree);
		r->tree = NULL;
		return -1;
	}
	return 0;
}

/* The inputs, less the output tree's own; stdin only when read alone. */
static void collect_inputs(struct run *r, struct wdn_aws **aws, char **operands, int n,
			   const struct cli_select *sel)
{
	size_t i;

	cli_inputs_collect(&r->cli, aws, operands, n, sel, &r->in);
	if (r->tree && !r->out_s3)
		skip_own_output(r);
	if (r->jobs > 1 && r->in.n)
		for (i = 0; i < r->in.n; i++)
			if (!strcmp(r->in.v[i].name, "-"))
				cli_usage_error(&r->cli, "-j: standard input cannot be read in parallel");
	r->progress.total = r->in.n;
	if (r->jobs > (int)r->in.n)
		r->jobs = r->in.n ? (int)r->in.n : 1;
}

/* --record, all inputs first: S3 objects and stdin downloaded once, into tmpdir. */
static int record_pass(struct run *r, struct wdn_aws *aws, const char *tmpdir)
{
	struct wdn_store *s = NULL;
	int rc = cli_open_store(&r->cli, WDN_STORE_CREATE, &s) || record_all(r, s, aws, tmpdir);

	if (rc)
		cli_status(&r->cli, EXIT_FAIL);
	wdn_store_close(s);
	return rc ? -1 : 0;
}

/* Worker j: its own store connection, client and output writer (neither is
 * shared); -1 when out of memory. */
static int worker_init(struct run *r, struct worker *w, unsigned j, struct wdn_enrich_cache *cache,
		       struct wdn_aws *aws)
{
	w->run = r;
	w->id = j;
	wdn_buf_init(&w->pbuf, 0);
	wdn_buf_init(&w->zbuf, 0);
	if (cli_open_store(&r->cli, 0, &w->store))
		w->store = NULL; /* events still pass through, with what they tell */
	if (!(w->enr = wdn_enricher_new(w->store, cache)))
		return -1;
	/* a store read in round trips: resolve the keys of many events at once */
	if (w->store && w->store->ops->gather && (w->held = calloc(HOLD_EVENTS, sizeof(*w->held))) &&
	    (w->batch = wdn_batch_new(w->store, HOLD_EVENTS, HOLD_BYTES, held_each, held_drop, w)))
		w->bulk = 1;
	if ((aws || r->out_s3) && wdn_aws_new(r->cli.profile, r->cli.region, r->cli.endpoint, &w->aws, NULL))
		w->aws = NULL;
	if (!w->aws)
		w->aws = aws; /* one worker: the collecting client will do */
	if (r->tree && !(w->out = wdn_outtree_writer_new(r->tree, w->aws)))
		return -1;
	return 0;
}

static void worker_release(struct worker *w, struct wdn_aws *shared)
{
	wdn_enricher_free(w->enr);
	wdn_batch_free(w->batch);
	free(w->held);
	wdn_store_close(w->store);
	if (w->aws != shared)
		wdn_aws_free(w->aws);
	wdn_buf_release(&w->pbuf);
	wdn_buf_release(&w->zbuf);
	wdn_outtree_writer_free(w->out);
}

/* Every input through r->jobs workers, then the summary. */
static void enrich_all(struct run *r, struct wdn_enrich_cache *cache, struct wdn_aws *aws)
{
	struct worker w[MAX_JOBS];
	pthread_t tid[MAX_JOBS];
	int j, n = 0, ready = 1;

	while (ready && n < r->jobs) {
		memset(&w[n], 0, sizeof(w[n]));
		ready = !worker_init(r, &w[n], (unsigned)n, cache, aws);
		n++;
	}
	if (!ready) {
		cli_fail(&r->cli, "out of memory");
	} else if (r->jobs == 1) {
		work(&w[0]);
	} else {
		for (j = 0; j < r->jobs; j++)
			pthread_create(&tid[j], NULL, work, &w[j]);
		for (j = 0; j < r->jobs; j++)
			pthread_join(tid[j], NULL);
	}
	if (ready) {
		cli_progress_end(&r->cli, &r->progress);
		if (!r->cli.quiet)
			fprintf(stderr, "wdn-enrich: %llu inputs enriched, %llu skipped as done, %llu failed, "
				"%llu events\n", (unsigned long long)r->done, (unsigned long long)r->skipped,
				(unsigned long long)r->failed_inputs, (unsigned long long)r->events);
	}
	for (j = 0; j < n; j++)
		worker_release(&w[j], aws);
}

/* --record's copies of S3 objects and stdin. */
static void remove_local(struct run *r)
{
	size_t i;

	for (i = 0; r->local && i < r->in.n; i++) {
		if (r->local[i])
			unlink(r->local[i]);
		free(r->local[i]);
	}
	free(r->local);
	r->local = NULL;
}

/* Does the run read many inputs (a directory, a prefix) or S3? Then the
 * answer cache's whole budget is touched at start, so its memory is the same
 * for every size of input; a single file or stdin (a line typed, a pipe)
 * pays only for the answers it keeps, some 3 times the instructions less
 * for one line. */
static int takes_budget(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->in.n; i++)
		if (r->in.v[i].bucket)
			return 1;
	return r->in.n > 1;
}

/* The batch command: inputs in, enriched to stdout or -o. */
static void batch_main(struct run *r, const struct opts *o, char **operands, int n)
{
	struct wdn_aws *aws = NULL;
	struct wdn_buf tmpdir = WDN_BUF_INIT;
	struct wdn_enrich_cache *cache = NULL;
	int made_tmp = 0;

	if (open_output(r, &aws))
		return;
	collect_inputs(r, &aws, operands, n, &o->sel);
	if (r->record) {
		if (make_tmpdir(r, &tmpdir))
			goto out;
		made_tmp = 1;
		if (record_pass(r, aws, tmpdir.ptr))
			goto out;
	}
	if (!(cache = wdn_enrich_cache_new())) {
		cli_fail(&r->cli, "out of memory");
		goto out;
	}
	if (takes_budget(r))
		wdn_enrich_cache_touch(cache);
	enrich_all(r, cache, aws);
out:
	wdn_enrich_cache_free(cache);
	remove_local(r);
	if (made_tmp)
		rmdir(tmpdir.ptr);
	wdn_buf_release(&tmpdir);
	cli_inputs_release(&r->in);
	wdn_aws_free(aws);
	wdn_outtree_close(r->tree);
}

int main(int argc, char **argv)
{
	struct run r;
	struct opts o;

	memset(&r, 0, sizeof(r));
	cli_init(&r.cli, "wdn-enrich", synopsis);
	pthread_mutex_init(&r.lock, NULL);
	if (parse_options(&r, &o, argc, argv))
		return cli_exit(&r.cli);
	if (o.lambda || o.queue) {
		stream_check(&r, &o, optind < argc);
		stream_main(&r, o.lambda, o.queue, o.max);
		wdn_outtree_close(r.tree);
	} else if (o.max) {
		cli_usage_error(&r.cli, "--max-messages is for --lambda and --sqs");
	} else if (o.ddl || o.day) {
		athena_ddl(&r, o.table, o.day);
	} else {
		batch_main(&r, &o, argv + optind, argc - optind);
	}
	return cli_exit(&r.cli);
}
