/*
 * wdn-enrich: raw CloudTrail in, every event out once with a "whodunnit"
 * member, to stdout or partitioned for Athena (account=/region=/day=), each
 * output file written whole or not at all.
 */
#include "cli.h"
#include "outtree.h"

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
	struct wdn_buf line, pbuf, zbuf;
	struct wdn_outtree_writer *out;  /* -o: the input's output */
	uint64_t events;
	int error;              /* this input cannot be completed */
	unsigned id;
	int bulk;               /* the store reads in bulk: hold events back */
	struct held *held;      /* HOLD_EVENTS of them */
	size_t nheld, held_bytes;
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
	int rc;

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
	wdn_buf_reset(&w->line);
	if ((rc = wdn_enrich_event(w->enr, ev, &w->line, &err)))
		goto bad;
	wdn_buf_reset(&w->zbuf);
	if (wdn_event_partition(ev, &w->zbuf)) /* never into a cut-short partition */
		rc = wdn_err_set(&err, WDN_ENOMEM, "out of memory");
	else
		rc = wdn_outtree_write(w->out, w->zbuf.ptr, w->line.ptr, w->line.len, &err);
	if (rc) {
		warn_locked(w->run, 1, "'%s': %s", w->input->name, err.msg);
		w->error = 1;
		return rc;
	}
	return 0;
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

/* Enrich the events held back, in order, after reading ahead in a few
 * batched rounds what resolving their keys needs. */
static int release_held(struct worker *w)
{
	const char **keys = calloc(w->nheld, sizeof(*keys));
	int64_t *at = calloc(w->nheld, sizeof(*at));
	struct wdn_sighting *seen = calloc(w->nheld, sizeof(*seen));
	size_t i, j, n = 0;
	int rc = 0;

	for (i = 0; keys && at && seen && i < w->nheld; i++) {
		const struct wdn_event *ev = &w->held[i].ev;
		struct wdn_str k = ev->f[WDN_F_UI_KEY], t = ev->f[WDN_F_EVENT_TIME];
		int64_t when;

		if (!k.ptr || !k.len || k.len > 128 || !t.ptr || wdn_time_parse(t.ptr, t.len, &when) ||
		    wdn_enricher_knows(w->enr, ev, when))
			continue;
		/* a key again among the last few: asked once */
		for (j = n; j > 0 && j + 64 > n && strcmp(keys[j - 1], k.ptr); j--)
			;
		if ((j == 0 || j + 64 <= n) && !wdn_event_sighting(ev, when, &seen[n])) {
			keys[n] = seen[n].key_id;
			at[n++] = when;
		}
	}
	/* a store failing here fails again, and is told, event by event */
	wdn_resolve_prefetch(w->store, keys, at, seen, n, NULL);
	for (i = 0; i < n; i++)
		wdn_sighting_release(&seen[i]);
	free(keys);
	free(at);
	free(seen);
	for (i = 0; i < w->nheld; i++) {
		if (!rc)
			rc = enrich_one(w, &w->held[i].ev);
		free(w->held[i].mem);
	}
	w->nheld = w->held_bytes = 0;
	return rc;
}

static int hold(struct worker *w, const struct wdn_event *ev)
{
	struct held *h = &w->held[w->nheld];
	size_t need = ev->raw.len + 1, i;
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
	w->nheld++;
	w->held_bytes += need;
	return w->nheld == HOLD_EVENTS || w->held_bytes >= HOLD_BYTES ? release_held(w) : 0;
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct worker *w = ctx;

	return w->bulk ? hold(w, ev) : enrich_one(w, ev);
}

/* Enrich one input; 0 when it is done (now or before), -1 when not. */
static int enrich_input(struct worker *w, const struct cli_input *in, const char *local)
{
	struct run *r = w->run;
	struct wdn_err err = { 0 };
	struct wdn_err serr = { 0 };
	struct cli_input li = *in;
	struct wdn_reader *rd;
	int rc = 0, snap;

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
	if (local) {
		/* downloaded once by --record: read the copy, name it as the object */
		li.bucket = li.key = NULL;
		li.name = (char *)local;
	}
	if (!(rd = wdn_reader_new(in->name, on_event, on_reject, w))) {
		warn_locked(r, 1, "out of memory");
		w->error = 1;
		if (r->out)
			wdn_outtree_drop(w->out);
		goto count;
	}
	if (!strcmp(in->name, "-"))
		wdn_reader_allow_empty(rd); /* an empty stdin: nothing to do */
	/* an input's lookups in one read snapshot of the store: cheaper, and
	 * one state of it per input (a failure here costs speed only) */
	snap = w->store && w->store->ops->snapshot && !w->store->ops->snapshot(w->store, 1, &serr);
	rc = cli_input_read(&r->cli, w->aws, &li, rd, &err);
	wdn_reader_free(rd);
	if (w->nheld)
		release_held(w); /* the good events before any trouble are kept */
	if (snap)
		w->store->ops->snapshot(w->store, 0, &serr);
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
	pthread_mutex_lock(&r->lock);
	if (w->error || rc)
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
	const char *td = getenv("TMPDIR");
	int made_tmp = 0, started = 0;

	memset(&w, 0, sizeof(w));
	w.run = r;
	wdn_buf_init(&w.line, 0);
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
		if (wdn_buf_addf(&tmpdir, "%s/wdn-enrich.XXXXXX", td && *td ? td : "/tmp")) {
			cli_fail(&r->cli, "out of memory");
			goto out;
		}
		if (!mkdtemp(tmpdir.ptr)) {
			cli_fail(&r->cli, "cannot create a temporary directory: %s", strerror(errno));
			goto out;
		}
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
	wdn_buf_release(&w.line);
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

int main(int argc, char **argv)
{
	struct run r;
	struct cli_select sel = { 0 };
	struct worker w[MAX_JOBS];
	pthread_t tid[MAX_JOBS];
	struct wdn_aws *aws = NULL;
	const char *table = "whodunnit_cloudtrail", *day = NULL, *queue = NULL;
	uint64_t max = 0;
	int lambda = 0, jobs_given = 0;
	struct wdn_buf tmpdir = WDN_BUF_INIT;
	struct wdn_enrich_cache *cache = NULL;
	int o, ddl = 0, made_tmp = 0, j;
	int64_t t;
	size_t i;

	memset(&r, 0, sizeof(r));
	cli_init(&r.cli, "wdn-enrich", synopsis);
	pthread_mutex_init(&r.lock, NULL);
	r.jobs = 1;
	while ((o = cli_getopt(&r.cli, argc, argv, "o:j:", options)) != -1) {
		switch (o) {
		case 'o':
			r.out = optarg;
			break;
		case 'j':
			r.jobs = (int)cli_number(&r.cli, "-j", optarg, 1, MAX_JOBS);
			jobs_given = 1;
			break;
		case OPT_LAMBDA: lambda = 1; break;
		case OPT_SQS: queue = optarg; break;
		case OPT_MAX:
			max = (uint64_t)cli_number(&r.cli, "--max-messages", optarg, 1, INT64_MAX);
			break;
		case OPT_RECORD: r.record = 1; break;
		case OPT_DDL: ddl = 1; break;
		case OPT_TABLE: table = optarg; break;
		case OPT_CONSOLIDATE:
			/* a day is done when late deliveries have landed too */
			if (strlen(optarg) != 10 || optarg[4] != '-' || optarg[7] != '-' ||
			    wdn_time_parse(optarg, 10, &t))
				cli_usage_error(&r.cli, "--athena-consolidate: '%s' is not a date (YYYY-MM-DD)",
						optarg);
			if (t > wdn_time_now() - 2 * 86400)
				cli_usage_error(&r.cli, "--athena-consolidate: '%s' is not over for a day yet",
						optarg);
			day = optarg;
			break;
		case OPT_REJECT:
			if (cli_open_reject(&r.cli, optarg))
				return cli_exit(&r.cli);
			break;
		case OPT_SHARD:
			cli_parse_shard(&r.cli, optarg, &sel);
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (strlen(optarg) != 10 || wdn_time_parse(optarg, 10, &t))
				cli_usage_error(&r.cli, "--%s: '%s' is not a date (YYYY-MM-DD)",
						o == OPT_SINCE ? "since" : "until", optarg);
			*(o == OPT_SINCE ? &sel.since : &sel.until) = optarg;
			break;
		}
	}
	if (lambda || queue) {
		const char *env = getenv("WDN_ENRICH_OUTPUT");

		if (optind < argc || (lambda && queue) || ddl || day || jobs_given || sel.nshards ||
		    sel.since || sel.until)
			cli_usage_error(&r.cli, "--lambda and --sqs take no INPUT, -j, --shard, --since, "
					"--until or --athena-*, and not each other");
		if (!r.out && env && *env)
			r.out = env;
		if (!r.out || strncmp(r.out, "s3://", 5)) {
			if (lambda)
				wdn_lambda_init_error("whodunnit.InitFailed", "no -o s3:// or WDN_ENRICH_OUTPUT", NULL);
			cli_usage_error(&r.cli, "--lambda and --sqs need -o s3://BUCKET/PREFIX (or WDN_ENRICH_OUTPUT)");
		}
		stream_main(&r, lambda, queue, max);
		wdn_outtree_close(r.tree);
		return cli_exit(&r.cli);
	}
	if (max)
		cli_usage_error(&r.cli, "--max-messages is for --lambda and --sqs");
	if (ddl || day) {
		athena_ddl(&r, table, day);
		return cli_exit(&r.cli);
	}
	if (r.out) {
		struct wdn_err err = { 0 };
		int rc = wdn_outtree_open(r.out, &r.tree, &err);

		r.out_s3 = !strncmp(r.out, "s3://", 5);
		if (rc && r.out_s3)
			cli_usage_error(&r.cli, "-o: %s", err.msg);
		if (rc) {
			cli_fail(&r.cli, "-o: %s", err.msg);
			return cli_exit(&r.cli);
		}
		if (r.out_s3 && cli_aws(&r.cli, &aws)) {
			wdn_outtree_close(r.tree);
			return cli_exit(&r.cli);
		}
	}
	cli_inputs_collect(&r.cli, &aws, argv + optind, argc - optind, &sel, &r.in);
	if (r.tree && !r.out_s3)
		skip_own_output(&r);
	if (r.jobs > 1 && r.in.n)
		for (i = 0; i < r.in.n; i++)
			if (!strcmp(r.in.v[i].name, "-"))
				cli_usage_error(&r.cli, "-j: standard input cannot be read in parallel");
	r.progress.total = r.in.n;
	if (r.record) {
		struct wdn_store *s = NULL;

		const char *td = getenv("TMPDIR");

		if (wdn_buf_addf(&tmpdir, "%s/wdn-enrich.XXXXXX", td && *td ? td : "/tmp")) {
			cli_fail(&r.cli, "out of memory");
			goto out;
		}
		if (!mkdtemp(tmpdir.ptr)) {
			cli_fail(&r.cli, "cannot create a temporary directory: %s", strerror(errno));
			goto out;
		}
		made_tmp = 1;
		if (cli_open_store(&r.cli, WDN_STORE_CREATE, &s) || record_all(&r, s, aws, tmpdir.ptr)) {
			cli_status(&r.cli, EXIT_FAIL);
			wdn_store_close(s);
			goto out;
		}
		wdn_store_close(s);
	}
	if (r.jobs > (int)r.in.n)
		r.jobs = r.in.n ? (int)r.in.n : 1;
	if (!(cache = wdn_enrich_cache_new())) {
		cli_fail(&r.cli, "out of memory");
		goto out;
	}
	for (j = 0; j < r.jobs; j++) {
		memset(&w[j], 0, sizeof(w[j]));
		w[j].run = &r;
		w[j].id = (unsigned)j;
		wdn_buf_init(&w[j].line, 0);
		wdn_buf_init(&w[j].pbuf, 0);
		wdn_buf_init(&w[j].zbuf, 0);
		/* each worker its own store connection and client: neither is shared */
		if (cli_open_store(&r.cli, 0, &w[j].store))
			w[j].store = NULL; /* events still pass through, with what they tell */
		if (!(w[j].enr = wdn_enricher_new(w[j].store, cache))) {
			cli_fail(&r.cli, "out of memory");
			goto out;
		}
		/* a store read in round trips: resolve the keys of many events at once */
		if (w[j].store && w[j].store->ops->gather && (w[j].held = calloc(HOLD_EVENTS, sizeof(*w[j].held))))
			w[j].bulk = 1;
		if ((aws || r.out_s3) && wdn_aws_new(r.cli.profile, r.cli.region, r.cli.endpoint, &w[j].aws, NULL))
			w[j].aws = NULL;
		if (!w[j].aws)
			w[j].aws = aws; /* one worker: the collecting client will do */
		if (r.tree && !(w[j].out = wdn_outtree_writer_new(r.tree, w[j].aws))) {
			cli_fail(&r.cli, "out of memory");
			goto out;
		}
	}
	if (r.jobs == 1) {
		work(&w[0]);
	} else {
		for (j = 0; j < r.jobs; j++)
			pthread_create(&tid[j], NULL, work, &w[j]);
		for (j = 0; j < r.jobs; j++)
			pthread_join(tid[j], NULL);
	}
	cli_progress_end(&r.cli, &r.progress);
	if (!r.cli.quiet)
		fprintf(stderr, "wdn-enrich: %llu inputs enriched, %llu skipped as done, %llu failed, %llu events\n",
			(unsigned long long)r.done, (unsigned long long)r.skipped,
			(unsigned long long)r.failed_inputs, (unsigned long long)r.events);
	for (j = 0; j < r.jobs; j++) {
		wdn_enricher_free(w[j].enr);
		free(w[j].held);
		wdn_store_close(w[j].store);
		if (w[j].aws != aws)
			wdn_aws_free(w[j].aws);
		wdn_buf_release(&w[j].line);
		wdn_buf_release(&w[j].pbuf);
		wdn_buf_release(&w[j].zbuf);
		wdn_outtree_writer_free(w[j].out);
	}
out:
	wdn_enrich_cache_free(cache);
	if (r.local) {
		for (i = 0; i < r.in.n; i++) {
			if (r.local[i])
				unlink(r.local[i]);
			free(r.local[i]);
		}
		free(r.local);
	}
	if (made_tmp)
		rmdir(tmpdir.ptr);
	wdn_buf_release(&tmpdir);
	cli_inputs_release(&r.in);
	wdn_aws_free(aws);
	wdn_outtree_close(r.tree);
	return cli_exit(&r.cli);
}
