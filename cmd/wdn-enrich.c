/*
 * wdn-enrich: raw CloudTrail in, every event out once with a "whodunnit"
 * member, to stdout or partitioned for Athena (account=/region=/day=), each
 * output file written whole or not at all.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

static const char synopsis[] =
	"usage: wdn-enrich [-q] [--store URL] [-o DIR|s3://BUCKET/PREFIX] [--record] [-j N]\n"
	"                  [--shard K/N] [--since DATE] [--until DATE] [--reject FILE]\n"
	"                  [--profile NAME] [--region REGION] [--endpoint-url URL] [INPUT ...]\n"
	"       wdn-enrich --athena-ddl [-o s3://BUCKET/PREFIX] [--table NAME]\n";

enum { OPT_RECORD = CLI_OPT_CMD, OPT_DDL, OPT_SHARD, OPT_REJECT, OPT_SINCE, OPT_UNTIL, OPT_TABLE };
static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "record", no_argument, NULL, OPT_RECORD },
	{ "athena-ddl", no_argument, NULL, OPT_DDL },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ NULL, 0, NULL, 0 },
};

#define MAX_JOBS 64
#define MAX_PARTS 1024      /* partitions one input may spread over */
#define FLUSH_AT (256 << 10) /* stdout lines are written in blocks this big */

struct run {
	struct cli cli;
	pthread_mutex_t lock;   /* stdout, stderr, the reject file, the counters */
	const char *out;        /* -o: a directory or s3://bucket/prefix */
	char *out_bucket, *out_prefix;
	int record, jobs;
	struct cli_inputs in;
	char **local;           /* --record: where each S3 input was downloaded */
	size_t next;            /* next input to take */
	uint64_t done, skipped, events, bytes;
	struct cli_progress progress;
	int failed;
};

struct part {
	char *name;             /* account=…/region=…/day=… */
	struct wdn_buf chunk;   /* output not yet compressed */
	int fd;                 /* local: the temporary file */
	char *tmp;
	struct wdn_buf mem;     /* S3: the compressed object */
	uint64_t events;
};

struct worker {
	struct run *run;
	struct wdn_store *store;
	struct wdn_enricher *enr;
	struct wdn_recorder *rec;
	struct wdn_aws *aws;
	const struct cli_input *input;
	struct wdn_buf line, pbuf, zbuf;
	struct part **parts;
	struct libdeflate_compressor *deflater;
	struct wdn_buf zout;    /* a compressed chunk */
	size_t nparts;
	uint64_t events;
	int error;              /* this input cannot be completed */
	unsigned id, seq;
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

/* ---- output files -------------------------------------------------------- */

/* An output file is named after its input: "x.json.gz" for x.json[.gz]. */
static void output_name(const struct cli_input *in, struct wdn_buf *b)
{
	const char *base = strrchr(in->name, '/');
	size_t n;

	base = base ? base + 1 : in->name;
	if (!strcmp(in->name, "-")) {
		/* standard input has no name to rerun by: each run writes its own file */
		wdn_buf_addf(b, "stdin-%lld-%ld.json.gz", (long long)wdn_time_now(), (long)getpid());
		return;
	}
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".gz"))
		n -= 3;
	wdn_buf_add(b, base, n);
	if (n < 5 || strncmp(base + n - 5, ".json", 5))
		wdn_buf_adds(b, ".json");
	wdn_buf_adds(b, ".gz");
}

/* Where the run notes that an input is done: under _whodunnit/, which
 * Athena skips (names starting with "_"). */
static void marker_name(const struct cli_input *in, struct wdn_buf *b)
{
	wdn_buf_adds(b, "_whodunnit/done/");
	output_name(in, b);
	wdn_buf_addf(b, ".%016llx", (unsigned long long)wdn_hash_str(in->name));
}

static int mkdirs(const char *path)
{
	char *p = wdn_strdup(path), *s;
	int rc = 0;

	if (!p)
		return -1;
	for (s = p + 1; !rc && (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (!rc && mkdir(p, 0755) && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

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

/*
 * Output is compressed a chunk at a time, each chunk a gzip member of its
 * own: concatenated members are one gzip stream to every reader, memory stays
 * bounded by the chunk, and libdeflate (whole buffers only) compresses at
 * level 1 in well under half of zlib's time, the bulk of enrichment's cost.
 */
#define CHUNK (1u << 20)

static int part_write(struct worker *w, struct part *p, const void *data, size_t n, int flush)
{
	size_t bound, got;

	if (n && wdn_buf_add(&p->chunk, data, n))
		return -1;
	if (p->chunk.len < CHUNK && !(flush && p->chunk.len))
		return 0;
	bound = libdeflate_gzip_compress_bound(w->deflater, p->chunk.len);
	wdn_buf_reset(&w->zout);
	if (wdn_buf_grow(&w->zout, bound))
		return -1;
	got = libdeflate_gzip_compress(w->deflater, p->chunk.ptr, p->chunk.len, w->zout.ptr, bound);
	if (!got)
		return -1;
	wdn_buf_reset(&p->chunk);
	return p->fd >= 0 ? write_all(p->fd, w->zout.ptr, got) : wdn_buf_add(&p->mem, w->zout.ptr, got);
}

static struct part *part_for(struct worker *w, const char *name)
{
	struct run *r = w->run;
	struct part *p;
	size_t i;

	struct part **np;

	for (i = 0; i < w->nparts; i++)
		if (!strcmp(w->parts[i]->name, name))
			return w->parts[i];
	if (w->nparts == MAX_PARTS)
		return NULL;
	if (!(np = realloc(w->parts, (w->nparts + 1) * sizeof(*np))))
		return NULL;
	w->parts = np;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->fd = -1;
	wdn_buf_init(&p->mem, 0);
	wdn_buf_init(&p->chunk, 0);
	if (!(p->name = wdn_strdup(name))) {
		free(p);
		return NULL;
	}
	if (!r->out_bucket) {
		struct wdn_buf t = WDN_BUF_INIT;

		/* temporary files live outside the partitions, renamed in when whole */
		wdn_buf_addf(&t, "%s/_whodunnit/tmp/%ld.%u.%u", r->out, (long)getpid(), w->id, w->seq++);
		p->tmp = wdn_buf_detach(&t, NULL);
		p->fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (p->fd < 0) {
			warn_locked(r, 1, "cannot create '%s': %s", p->tmp, strerror(errno));
			free(p->name);
			free(p->tmp);
			free(p);
			return NULL;
		}
	}
	w->parts[w->nparts++] = p;
	return p;
}

static void parts_drop(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nparts; i++) {
		struct part *p = w->parts[i];

		wdn_buf_release(&p->chunk);
		if (p->fd >= 0)
			close(p->fd);
		if (p->tmp)
			unlink(p->tmp);
		free(p->tmp);
		free(p->name);
		wdn_buf_release(&p->mem);
		free(p);
	}
	free(w->parts);
	w->parts = NULL;
	w->nparts = 0;
}

/* Finish every part of the input and put it in place; then the marker. */
static int parts_commit(struct worker *w)
{
	struct run *r = w->run;
	struct wdn_buf dest = WDN_BUF_INIT, name = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	size_t i;
	int rc = 0;

	output_name(w->input, &name);
	for (i = 0; !rc && i < w->nparts; i++) {
		struct part *p = w->parts[i];

		wdn_buf_reset(&dest);
		if (part_write(w, p, NULL, 0, 1)) {
			rc = -1;
			break;
		}
		if (r->out_bucket) {
			wdn_buf_addf(&dest, "%s%s%s/%s", r->out_prefix,
				     *r->out_prefix && r->out_prefix[strlen(r->out_prefix) - 1] != '/' ? "/" : "",
				     p->name, name.ptr);
			/* one PutObject of the whole file: an object is there whole or not at all */
			if ((rc = wdn_s3_put(w->aws, r->out_bucket, dest.ptr, p->mem.ptr, p->mem.len,
					     "application/gzip", &err)))
				warn_locked(r, 1, "%s", err.msg);
			continue;
		}
		wdn_buf_addf(&dest, "%s/%s", r->out, p->name);
		if (mkdirs(dest.ptr)) {
			warn_locked(r, 1, "cannot create '%s': %s", dest.ptr, strerror(errno));
			rc = -1;
			break;
		}
		wdn_buf_addf(&dest, "/%s", name.ptr);
		if (fsync(p->fd) || close(p->fd)) {
			p->fd = -1;
			warn_locked(r, 1, "writing '%s': %s", p->tmp, strerror(errno));
			rc = -1;
			break;
		}
		p->fd = -1;
		if (rename(p->tmp, dest.ptr)) {
			warn_locked(r, 1, "cannot rename into '%s': %s", dest.ptr, strerror(errno));
			rc = -1;
			break;
		}
		free(p->tmp);
		p->tmp = NULL;
	}
	if (!rc && strcmp(w->input->name, "-")) {
		/* the marker goes last: a rerun skips only inputs wholly written */
		wdn_buf_reset(&dest);
		wdn_buf_reset(&name);
		marker_name(w->input, &name);
		wdn_buf_addf(&name, "\n");
		if (r->out_bucket) {
			wdn_buf_addf(&dest, "%s%s", r->out_prefix,
				     *r->out_prefix && r->out_prefix[strlen(r->out_prefix) - 1] != '/' ? "/" : "");
			marker_name(w->input, &dest);
			if ((rc = wdn_s3_put(w->aws, r->out_bucket, dest.ptr, w->input->name,
					     strlen(w->input->name), "text/plain", &err)))
				warn_locked(r, 1, "%s", err.msg);
		} else {
			struct wdn_buf tmp = WDN_BUF_INIT;
			int fd;

			wdn_buf_addf(&dest, "%s/", r->out);
			marker_name(w->input, &dest);
			wdn_buf_addf(&tmp, "%s/_whodunnit/tmp/%ld.%u.%u", r->out, (long)getpid(), w->id, w->seq++);
			fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || write_all(fd, w->input->name, strlen(w->input->name)) ||
			    close(fd) || rename(tmp.ptr, dest.ptr)) {
				warn_locked(r, 1, "cannot write '%s': %s", dest.ptr, strerror(errno));
				rc = -1;
			}
			wdn_buf_release(&tmp);
		}
	}
	wdn_buf_release(&dest);
	wdn_buf_release(&name);
	return rc;
}

static int already_done(struct worker *w)
{
	struct run *r = w->run;
	struct wdn_buf m = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	int done;

	if (r->out_bucket) {
		wdn_buf_addf(&m, "%s%s", r->out_prefix,
			     *r->out_prefix && r->out_prefix[strlen(r->out_prefix) - 1] != '/' ? "/" : "");
		marker_name(w->input, &m);
		done = wdn_s3_exists(w->aws, r->out_bucket, m.ptr, &err);
		if (done < 0) {
			warn_locked(r, 1, "%s", err.msg);
			done = 0;
		}
	} else {
		wdn_buf_addf(&m, "%s/", r->out);
		marker_name(w->input, &m);
		done = access(m.ptr, F_OK) == 0;
	}
	wdn_buf_release(&m);
	return done;
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
		if (w->pbuf.len >= FLUSH_AT || w->run->jobs == 1)
			flush_stdout(w);
		return 0;
	}
	wdn_buf_reset(&w->line);
	if ((rc = wdn_enrich_event(w->enr, ev, &w->line, &err)))
		goto bad;
	{
		struct part *p;

		wdn_buf_reset(&w->zbuf);
		wdn_event_partition(ev, &w->zbuf);
		if (!(p = part_for(w, w->zbuf.ptr)) || part_write(w, p, w->line.ptr, w->line.len, 0)) {
			warn_locked(w->run, 1, "'%s': cannot write output", w->input->name);
			w->error = 1;
			return WDN_EIO;
		}
		p->events++;
	}
	return 0;
bad:
	if (rc == WDN_EINVAL) {
		struct wdn_reject rej = { ev->input, ev->record, 0, ev->raw, err.msg };

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

static void enrich_input(struct worker *w, const struct cli_input *in, const char *local)
{
	struct run *r = w->run;
	struct wdn_err err = { 0 };
	struct cli_input li = *in;
	struct wdn_reader *rd;
	int rc;

	w->input = in;
	w->events = 0;
	w->error = 0;
	if (r->out && strcmp(in->name, "-") && already_done(w)) {
		pthread_mutex_lock(&r->lock);
		r->skipped++;
		pthread_mutex_unlock(&r->lock);
		return;
	}
	if (local) {
		/* downloaded once by --record: read the copy, name it as the object */
		li.bucket = li.key = NULL;
		li.name = (char *)local;
	}
	if (!(rd = wdn_reader_new(in->name, on_event, on_reject, w))) {
		warn_locked(r, 1, "out of memory");
		return;
	}
	rc = cli_input_read(&r->cli, w->aws, &li, rd, &err);
	wdn_reader_free(rd);
	if (w->nheld)
		release_held(w); /* the good events before any trouble are kept */
	if (rc && !w->error) {
		warn_locked(r, 1, "reading '%s': %s", in->name, err.msg);
		w->error = 1;
	}
	if (!r->out)
		flush_stdout(w);
	else if (!w->error)
		w->error = parts_commit(w) != 0;
	parts_drop(w);
	pthread_mutex_lock(&r->lock);
	r->done++;
	r->events += w->events;
	r->bytes += in->size;
	r->progress.done = r->done + r->skipped;
	r->progress.events = r->events;
	r->progress.bytes = r->bytes;
	cli_progress(&r->cli, &r->progress, 0);
	pthread_mutex_unlock(&r->lock);
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

	if (write_all(k->fd, p, n))
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
		if (in->bucket || !strcmp(in->name, "-")) {
			/* read once: keep a copy for the enrich pass */
			struct wdn_buf path = WDN_BUF_INIT;

			wdn_buf_addf(&path, "%s/in.%zu", tmpdir, i);
			k.fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			r->local[i] = wdn_buf_detach(&path, NULL);
			if (k.fd < 0)
				rc = wdn_err_set(&err, WDN_EIO, "cannot create '%s': %s", r->local[i], strerror(errno));
			else if (in->bucket)
				rc = wdn_s3_get(aws, in->bucket, in->key, tee_body, &k, &err);
			else
				rc = tee_fd(&k, 0, &err);
			if (!rc)
				rc = wdn_reader_finish(k.rd);
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

/* ---- Athena ---------------------------------------------------------------- */

static void athena_ddl(const char *out, const char *table)
{
	static const char *const regions =
		"af-south-1,ap-east-1,ap-northeast-1,ap-northeast-2,ap-northeast-3,ap-south-1,"
		"ap-south-2,ap-southeast-1,ap-southeast-2,ap-southeast-3,ap-southeast-4,"
		"ap-southeast-5,ap-southeast-7,ca-central-1,ca-west-1,eu-central-1,eu-central-2,"
		"eu-north-1,eu-south-1,eu-south-2,eu-west-1,eu-west-2,eu-west-3,il-central-1,"
		"me-central-1,me-south-1,mx-central-1,sa-east-1,us-east-1,us-east-2,us-west-1,"
		"us-west-2,cn-north-1,cn-northwest-1,us-gov-east-1,us-gov-west-1,global,unknown";
	char loc[1024];
	size_t n;

	snprintf(loc, sizeof(loc), "%s", out && !strncmp(out, "s3://", 5) ? out : "s3://BUCKET/PREFIX");
	n = strlen(loc);
	while (n && loc[n - 1] == '/')
		loc[--n] = '\0';
	printf("CREATE EXTERNAL TABLE IF NOT EXISTS %s (\n"
	       "  eventversion STRING,\n"
	       "  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING,\n"
	       "    accountid: STRING, invokedby: STRING, accesskeyid: STRING, username: STRING,\n"
	       "    sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING,\n"
	       "      creationdate: STRING>, sessionissuer: STRUCT<type: STRING, principalid: STRING,\n"
	       "      arn: STRING, accountid: STRING, username: STRING>, sourceidentity: STRING>>,\n"
	       "  eventtime STRING,\n"
	       "  eventsource STRING,\n"
	       "  eventname STRING,\n"
	       "  awsregion STRING,\n"
	       "  sourceipaddress STRING,\n"
	       "  useragent STRING,\n"
	       "  errorcode STRING,\n"
	       "  errormessage STRING,\n"
	       "  requestparameters STRING,\n"
	       "  responseelements STRING,\n"
	       "  additionaleventdata STRING,\n"
	       "  requestid STRING,\n"
	       "  eventid STRING,\n"
	       "  readonly STRING,\n"
	       "  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,\n"
	       "  eventtype STRING,\n"
	       "  apiversion STRING,\n"
	       "  managementevent BOOLEAN,\n"
	       "  recipientaccountid STRING,\n"
	       "  sharedeventid STRING,\n"
	       "  vpcendpointid STRING,\n"
	       "  eventcategory STRING,\n"
	       "  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING,\n"
	       "    clientprovidedhostheader: STRING>,\n"
	       "  whodunnit STRUCT<\n"
	       "    principal: STRING,\n"
	       "    principalchain: ARRAY<STRING>,\n"
	       "    identity: STRUCT<type: STRING, arn: STRING, service: STRING, accountid: STRING,\n"
	       "      accesskeyid: STRING, subject: STRING, provider: STRING, username: STRING>,\n"
	       "    tags: MAP<STRING, STRING>,\n"
	       "    transitivetags: ARRAY<STRING>,\n"
	       "    sourceidentity: STRING,\n"
	       "    `start`: STRING,\n"
	       "    `end`: STRING,\n"
	       "    complete: BOOLEAN>\n"
	       ")\n"
	       "PARTITIONED BY (account STRING, region STRING, day STRING)\n"
	       "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
	       "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')\n"
	       "LOCATION '%s/'\n"
	       "TBLPROPERTIES (\n"
	       "  'projection.enabled' = 'true',\n"
	       "  'projection.account.type' = 'injected',\n"
	       "  'projection.region.type' = 'enum',\n"
	       "  'projection.region.values' = '%s',\n"
	       "  'projection.day.type' = 'date',\n"
	       "  'projection.day.format' = 'yyyy-MM-dd',\n"
	       "  'projection.day.range' = '2013-11-01,NOW',\n"
	       "  'projection.day.interval' = '1',\n"
	       "  'projection.day.interval.unit' = 'DAYS',\n"
	       "  'storage.location.template' = '%s/account=${account}/region=${region}/day=${day}'\n"
	       ");\n", table, loc, regions, loc);
}

/* ---- main ------------------------------------------------------------------ */

/* Remove temporary files that runs killed midway left behind. */
static void clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid = strtol(e->d_name, NULL, 10);
		struct wdn_buf p = WDN_BUF_INIT;

		if (pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		wdn_buf_addf(&p, "%s/%s", dir, e->d_name);
		unlink(p.ptr);
		wdn_buf_release(&p);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct run r;
	struct cli_select sel = { 0 };
	struct worker w[MAX_JOBS];
	pthread_t tid[MAX_JOBS];
	struct wdn_aws *aws = NULL;
	const char *table = "whodunnit_cloudtrail";
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
			r.jobs = (int)strtol(optarg, NULL, 10);
			if (r.jobs < 1 || r.jobs > MAX_JOBS)
				cli_usage_error(&r.cli, "-j: '%s' is not a number of jobs (1-%d)", optarg, MAX_JOBS);
			break;
		case OPT_RECORD: r.record = 1; break;
		case OPT_DDL: ddl = 1; break;
		case OPT_TABLE: table = optarg; break;
		case OPT_REJECT:
			if (cli_open_reject(&r.cli, optarg))
				return cli_exit(&r.cli);
			break;
		case OPT_SHARD:
			if (sscanf(optarg, "%u/%u", &sel.shard, &sel.nshards) != 2 || !sel.nshards ||
			    !sel.shard || sel.shard > sel.nshards)
				cli_usage_error(&r.cli, "--shard: '%s' is not K/N with 1 <= K <= N", optarg);
			sel.shard--;
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
	if (ddl) {
		athena_ddl(r.out, table);
		return cli_exit(&r.cli);
	}
	if (r.out && !strncmp(r.out, "s3://", 5)) {
		struct wdn_err err = { 0 };

		if (wdn_s3_parse_url(r.out, &r.out_bucket, &r.out_prefix, &err))
			cli_usage_error(&r.cli, "-o: %s", err.msg);
		if (cli_aws(&r.cli, &aws))
			return cli_exit(&r.cli);
	} else if (r.out) {
		struct wdn_buf d = WDN_BUF_INIT;

		wdn_buf_addf(&d, "%s/_whodunnit/tmp", r.out);
		if (mkdirs(d.ptr) || (wdn_buf_reset(&d), wdn_buf_addf(&d, "%s/_whodunnit/done", r.out), mkdirs(d.ptr))) {
			cli_fail(&r.cli, "cannot create '%s': %s", d.ptr, strerror(errno));
			wdn_buf_release(&d);
			return cli_exit(&r.cli);
		}
		wdn_buf_reset(&d);
		wdn_buf_addf(&d, "%s/_whodunnit/tmp", r.out);
		clean_stale(d.ptr);
		wdn_buf_release(&d);
	}
	cli_inputs_collect(&r.cli, &aws, argv + optind, argc - optind, &sel, &r.in);
	if (r.jobs > 1 && r.in.n)
		for (i = 0; i < r.in.n; i++)
			if (!strcmp(r.in.v[i].name, "-"))
				cli_usage_error(&r.cli, "-j: standard input cannot be read in parallel");
	r.progress.total = r.in.n;
	if (r.record) {
		struct wdn_store *s = NULL;

		const char *td = getenv("TMPDIR");

		wdn_buf_addf(&tmpdir, "%s/wdn-enrich.XXXXXX", td && *td ? td : "/tmp");
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
		wdn_buf_init(&w[j].zout, 0);
		if (!(w[j].deflater = libdeflate_alloc_compressor(1))) {
			cli_fail(&r.cli, "out of memory");
			goto out;
		}
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
		if ((aws || r.out_bucket) && wdn_aws_new(r.cli.profile, r.cli.region, r.cli.endpoint, &w[j].aws, NULL))
			w[j].aws = NULL;
		if (!w[j].aws)
			w[j].aws = aws; /* one worker: the collecting client will do */
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
		fprintf(stderr, "wdn-enrich: %llu inputs enriched, %llu skipped as done, %llu events\n",
			(unsigned long long)r.done, (unsigned long long)r.skipped,
			(unsigned long long)r.events);
	for (j = 0; j < r.jobs; j++) {
		wdn_enricher_free(w[j].enr);
		free(w[j].held);
		wdn_store_close(w[j].store);
		if (w[j].aws != aws)
			wdn_aws_free(w[j].aws);
		wdn_buf_release(&w[j].line);
		wdn_buf_release(&w[j].pbuf);
		wdn_buf_release(&w[j].zbuf);
		wdn_buf_release(&w[j].zout);
		libdeflate_free_compressor(w[j].deflater);
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
	free(r.out_bucket);
	free(r.out_prefix);
	return cli_exit(&r.cli);
}
