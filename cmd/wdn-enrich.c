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
#include <sys/file.h>
#include <sys/random.h>
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
#define FLUSH_AT (256 << 10) /* stdout lines are written in blocks this big */

struct run {
	struct cli cli;
	pthread_mutex_t lock;   /* stdout, stderr, the reject file, the counters */
	const char *out;        /* -o: a directory or s3://bucket/prefix */
	int out_s3;             /* -o is s3:// */
	struct outtree *tree;   /* -o */
	int record, jobs;
	struct cli_inputs in;
	char **local;           /* --record: where each S3 input was downloaded */
	size_t next;            /* next input to take */
	uint64_t done, skipped, events, bytes;
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
	struct outwriter *out;  /* -o: the input's output */
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

/* ---- the output tree ------------------------------------------------------- */

/*
 * -o DIR|s3://bucket/prefix. Each input owns its output names (its stem and
 * 128 bits of SHA-256 of its whole name); its events go to one file per
 * partition, written under _whodunnit/tmp/ and renamed into place when the
 * input is whole, then a marker under _whodunnit/done/ says so.
 *
 * Temporary files are named after the run, a random 128-bit id, and made
 * with O_EXCL: two runs never share one, whatever their PIDs. The run holds
 * an flock on _whodunnit/tmp/ID.lock while it lives; a file of a run whose
 * lock nobody holds, or whose lock file is gone, is stale and removed.
 * Nothing else there is touched.
 */
#define OUT_CHUNK (1u << 20)        /* a partition's output is compressed this much at a time */
#define OUT_PENDING (16u << 20)     /* and all of them hold at most this much uncompressed */
#define OUT_OPEN 8                  /* temp files held open at once, per writer */
#define OUT_STEM 64                 /* bytes of the input's name kept in its output names */
#define OUT_ID 32                   /* hex digits of a run id and of a name's hash */

struct outtree {
	char *where;                /* -o as given, for messages */
	char *bucket, *prefix;      /* S3; prefix ends in '/' unless empty */
	int dirfd, tmpfd, donefd;   /* local: the tree, _whodunnit/tmp, _whodunnit/done */
	int lockfd;                 /* this run's lock: its temp files are live while held */
	char run[OUT_ID + 1];       /* this run's id */
	unsigned long seq;          /* temp files made, across writers */
};

struct outpart {
	char *name;                 /* account=…/region=…/day=… */
	uint64_t hash;
	struct wdn_buf chunk;       /* not yet compressed */
	char tmp[OUT_ID + 24];      /* local: its temp file in tmp/, "" until made */
	int fd;                     /* open while >= 0 */
	struct wdn_buf mem;         /* S3: the compressed object */
};

struct outwriter {
	struct outtree *tree;
	struct wdn_aws *aws;
	char *input;                /* as read, in the marker */
	struct wdn_buf id;          /* stem.HASH: names its files and marker */
	struct outpart **parts;
	size_t nparts, cap;
	uint32_t *index;            /* parts by name hash, open addressing; 0 = empty */
	size_t nindex;
	size_t pending, open, evict;
	struct libdeflate_compressor *deflater;
	struct wdn_buf zout;
};

/* "WHAT 'TREE/SUB/NAME': errno's text" (SUB and NAME may be "") */
static int out_errno(struct wdn_err *err, const char *what, const struct outtree *t,
		     const char *sub, const char *name)
{
	int e = errno;

	return wdn_err_set(err, e == ENOMEM ? WDN_ENOMEM : WDN_EIO, "%s '%s%s%s%s%s': %s", what, t->where,
			   *sub ? "/" : "", sub, *name ? "/" : "", name, strerror(e));
}

/* Random bytes as hex: run ids and stdin's names. */
static void out_random_hex(char *out, size_t hexlen)
{
	uint8_t b[32];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* no entropy source: time and addresses, hashed, still unique enough per host */
		struct { struct timespec ts; pid_t pid; void *p; } s = { { 0, 0 }, getpid(), out };

		clock_gettime(CLOCK_REALTIME, &s.ts);
		wdn_sha256(&s, sizeof(s), b);
	}
	for (i = 0; i < hexlen && i / 2 < sizeof(b); i++)
		out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[i] = '\0';
}

/* An input's output id, "stem.HASH": the last name of the input without
 * .gz/.json, tamed to [A-Za-z0-9._-] and bounded, then 128 bits of SHA-256
 * of its whole name (a local path made absolute and canonical, so a rerun
 * from elsewhere finds it). Standard input has no name: each run its own. */
static int out_input_id(const char *input, struct wdn_buf *b)
{
	char *canon = NULL, hex[65];
	const char *base, *name = input;
	size_t n, i;

	if (!strcmp(input, "-")) {
		out_random_hex(hex, 16);
		return wdn_buf_addf(b, "stdin-%lld-%s", (long long)wdn_time_now(), hex);
	}
	if (strncmp(input, "s3://", 5) && (canon = realpath(input, NULL)))
		name = canon;
	wdn_sha256_hex(name, strlen(name), hex);
	base = strrchr(input, '/');
	base = base && base[1] ? base + 1 : input;
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".gz"))
		n -= 3;
	if (n > 5 && !strncmp(base + n - 5, ".json", 5))
		n -= 5;
	for (i = 0; i < n && i < OUT_STEM; i++) {
		char c = base[i];

		/* Athena skips names starting with '.' or '_' */
		if (!i && (c == '.' || c == '_'))
			c = '-';
		wdn_buf_addc(b, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_' || c == '.' ? c : '_');
	}
	free(canon);
	return wdn_buf_addf(b, "%s%.*s", i ? "." : "", OUT_ID, hex);
}

/* A directory below fd, made (mode) if missing, never through a symlink. */
static int out_subdir(int fd, const char *name, mode_t mode)
{
	if (mkdirat(fd, name, mode) && errno != EEXIST)
		return -1;
	return openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Only the user may write the tree, or anyone could plant links in it. */
static int out_check_owner(const struct outtree *t, int fd, const char *sub, struct wdn_err *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return out_errno(err, "cannot stat", t, sub, "");
	if (st.st_uid != geteuid())
		return wdn_err_set(err, WDN_EIO, "'%s%s%s' is not owned by you (owner uid %ld): refusing to "
				   "write an output tree another user can change", t->where, *sub ? "/" : "", sub,
				   (long)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return wdn_err_set(err, WDN_EIO, "'%s%s%s' is writable by others (mode %04o): refusing to "
				   "write an output tree another user can change", t->where, *sub ? "/" : "", sub,
				   (unsigned)(st.st_mode & 07777));
	return 0;
}

static int out_private_dir(struct outtree *t, int at, const char *name, const char *sub, int *fd,
			   struct wdn_err *err)
{
	if ((*fd = out_subdir(at, name, 0700)) < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return wdn_err_set(err, WDN_EIO, "'%s/%s' is not a directory (a symbolic link?): "
					   "refusing to follow it", t->where, sub);
		return out_errno(err, "cannot create", t, sub, "");
	}
	if (out_check_owner(t, *fd, sub, err))
		return WDN_EIO;
	fchmod(*fd, 0700); /* trees made before private ones: now private */
	return 0;
}

/* This run's lock, held until outtree_close: a cleaner may take a lock file
 * between its creation and our flock, so the lock counts only if the file
 * is still there once held. */
static int out_lock(struct outtree *t, struct wdn_err *err)
{
	char name[OUT_ID + 8];
	struct stat st;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		out_random_hex(t->run, OUT_ID);
		snprintf(name, sizeof(name), "%s.lock", t->run);
		t->lockfd = openat(t->tmpfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (t->lockfd < 0 && errno == EEXIST)
			continue;
		if (t->lockfd < 0 || flock(t->lockfd, LOCK_EX) || fstat(t->lockfd, &st))
			return out_errno(err, "cannot lock", t, "_whodunnit/tmp", name);
		if (st.st_nlink)
			return 0;
		close(t->lockfd);
		t->lockfd = -1;
	}
	return wdn_err_set(err, WDN_EIO, "'%s/_whodunnit/tmp': cannot make a lock file", t->where);
}

/* A name of ours in tmp/: a run id, '.', then "lock" or a number. */
static int out_is_ours(const char *name, const char **rest)
{
	size_t i;

	for (i = 0; i < OUT_ID; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	*rest = name + OUT_ID;
	return **rest == '.';
}

/* A run's lock file nobody holds is stale: removed while we hold it. */
static void out_clean_lock(struct outtree *t, const char *name)
{
	struct stat a, b;
	int fd = openat(t->tmpfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (!fstat(fd, &a) && S_ISREG(a.st_mode) && !flock(fd, LOCK_EX | LOCK_NB) &&
	    !fstatat(t->tmpfd, name, &b, AT_SYMLINK_NOFOLLOW) && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		unlinkat(t->tmpfd, name, 0);
	close(fd);
}

/* Remove what runs that died left: first the locks nobody holds, then the
 * temp files whose run has no lock file any more (a live run makes its
 * lock before any temp file and removes it after the last). */
static void out_clean_stale(struct outtree *t)
{
	int fd = dup(t->tmpfd), pass;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((e = readdir(d))) {
			const char *rest;
			char lock[OUT_ID + 8];
			struct stat st;

			if (!out_is_ours(e->d_name, &rest) || !strncmp(e->d_name, t->run, OUT_ID))
				continue;
			if (!pass && !strcmp(rest, ".lock")) {
				out_clean_lock(t, e->d_name);
				continue;
			}
			if (!pass || !strcmp(rest, ".lock"))
				continue;
			snprintf(lock, sizeof(lock), "%.*s.lock", OUT_ID, e->d_name);
			if (fstatat(t->tmpfd, lock, &st, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
				unlinkat(t->tmpfd, e->d_name, 0);
		}
	}
	closedir(d);
}

static int out_open_local(struct outtree *t, struct wdn_err *err)
{
	struct stat st;
	int wfd;

	if (mkdirs(t->where) && errno != EEXIST)
		return out_errno(err, "cannot create", t, "", "");
	/* the path is the user's to choose, but not another user's link */
	if (!lstat(t->where, &st) && S_ISLNK(st.st_mode) && st.st_uid != geteuid())
		return wdn_err_set(err, WDN_EIO, "'%s' is a symbolic link owned by uid %ld: refusing to "
				   "follow it", t->where, (long)st.st_uid);
	if ((t->dirfd = open(t->where, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return out_errno(err, "cannot open", t, "", "");
	if (out_check_owner(t, t->dirfd, "", err) ||
	    out_private_dir(t, t->dirfd, "_whodunnit", "_whodunnit", &wfd, err))
		return WDN_EIO;
	if (out_private_dir(t, wfd, "tmp", "_whodunnit/tmp", &t->tmpfd, err) ||
	    out_private_dir(t, wfd, "done", "_whodunnit/done", &t->donefd, err)) {
		close(wfd);
		return WDN_EIO;
	}
	close(wfd);
	if (out_lock(t, err))
		return WDN_EIO;
	out_clean_stale(t);
	return 0;
}

static void outtree_close(struct outtree *t)
{
	char name[OUT_ID + 8];

	if (!t)
		return;
	if (t->lockfd >= 0) {
		/* the lock file last, still held: our temp files are gone by now */
		snprintf(name, sizeof(name), "%s.lock", t->run);
		unlinkat(t->tmpfd, name, 0);
		close(t->lockfd);
	}
	if (t->tmpfd >= 0)
		close(t->tmpfd);
	if (t->donefd >= 0)
		close(t->donefd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->where);
	free(t->bucket);
	free(t->prefix);
	free(t);
}

static int outtree_open(const char *where, struct outtree **out, struct wdn_err *err)
{
	struct outtree *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t || !(t->where = wdn_strdup(where))) {
		free(t);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	t->dirfd = t->tmpfd = t->donefd = t->lockfd = -1;
	if (!strncmp(where, "s3://", 5)) {
		struct wdn_buf p = WDN_BUF_INIT;

		if ((rc = wdn_s3_parse_url(where, &t->bucket, &t->prefix, err))) {
			outtree_close(t);
			return rc;
		}
		wdn_buf_adds(&p, t->prefix);
		if (p.len && p.ptr[p.len - 1] != '/')
			wdn_buf_addc(&p, '/');
		free(t->prefix);
		t->prefix = wdn_buf_detach(&p, NULL);
	} else if ((rc = out_open_local(t, err))) {
		outtree_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- one input's output --------------------------------------------------- */

static struct outwriter *outwriter_new(struct outtree *t, struct wdn_aws *aws)
{
	struct outwriter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->tree = t;
	w->aws = aws;
	wdn_buf_init(&w->id, 0);
	wdn_buf_init(&w->zout, 0);
	if (!(w->deflater = libdeflate_alloc_compressor(1))) {
		free(w);
		return NULL;
	}
	return w;
}

static void outwriter_drop(struct outwriter *w);

static void outwriter_free(struct outwriter *w)
{
	if (!w)
		return;
	outwriter_drop(w);
	free(w->parts);
	free(w->index);
	free(w->input);
	wdn_buf_release(&w->id);
	wdn_buf_release(&w->zout);
	libdeflate_free_compressor(w->deflater);
	free(w);
}

/* Start an input's output; names it. */
static int outwriter_begin(struct outwriter *w, const char *input, struct wdn_err *err)
{
	outwriter_drop(w);
	free(w->input);
	wdn_buf_reset(&w->id);
	if (!(w->input = wdn_strdup(input)) || out_input_id(input, &w->id))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

/* 1 when the input's marker is there (a regular file: a link is not ours). */
static int outwriter_done(struct outwriter *w, struct wdn_err *err)
{
	struct outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	struct stat st;
	int done;

	if (!strcmp(w->input, "-"))
		return 0;
	if (!t->bucket)
		return !fstatat(t->donefd, w->id.ptr, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode);
	wdn_buf_addf(&k, "%s_whodunnit/done/%s", t->prefix, w->id.ptr);
	done = wdn_s3_exists(w->aws, t->bucket, k.ptr, err);
	wdn_buf_release(&k);
	return done;
}

/* A temp file of this run, made exclusively. */
static int out_tmp_make(struct outwriter *w, char *name, size_t size, struct wdn_err *err)
{
	struct outtree *t = w->tree;
	int fd;

	snprintf(name, size, "%s.%lu", t->run, __atomic_fetch_add(&t->seq, 1, __ATOMIC_RELAXED));
	fd = openat(t->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		out_errno(err, "cannot create", t, "_whodunnit/tmp", name);
		*name = '\0';
	}
	return fd;
}

/* The part's temp file, open: at most OUT_OPEN of them, the others closed
 * (their content stays, whole gzip members, and they are appended to). */
static int out_part_open(struct outwriter *w, struct outpart *p, struct wdn_err *err)
{
	if (p->fd >= 0)
		return 0;
	while (w->open >= OUT_OPEN) {
		struct outpart *q = w->parts[w->evict++ % w->nparts];

		if (q->fd >= 0 && q != p) {
			close(q->fd);
			q->fd = -1;
			w->open--;
		}
	}
	if (!p->tmp[0])
		p->fd = out_tmp_make(w, p->tmp, sizeof(p->tmp), err);
	else if ((p->fd = openat(w->tree->tmpfd, p->tmp, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0)
		out_errno(err, "cannot open", w->tree, "_whodunnit/tmp", p->tmp);
	if (p->fd < 0)
		return WDN_EIO;
	w->open++;
	return 0;
}

/* Compress what a part holds as one gzip member (concatenated members are
 * one gzip stream to every reader; libdeflate compresses whole buffers at
 * level 1 in well under half of zlib's time) and spill it. */
static int out_part_flush(struct outwriter *w, struct outpart *p, struct wdn_err *err)
{
	size_t bound, got;

	if (!p->chunk.len)
		return 0;
	bound = libdeflate_gzip_compress_bound(w->deflater, p->chunk.len);
	wdn_buf_reset(&w->zout);
	if (wdn_buf_grow(&w->zout, bound))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	got = libdeflate_gzip_compress(w->deflater, p->chunk.ptr, p->chunk.len, w->zout.ptr, bound);
	if (!got)
		return wdn_err_set(err, WDN_EIO, "cannot compress");
	w->pending -= p->chunk.len;
	wdn_buf_reset(&p->chunk);
	if (w->tree->bucket)
		return wdn_buf_add(&p->mem, w->zout.ptr, got) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : 0;
	if (out_part_open(w, p, err))
		return WDN_EIO;
	if (write_all(p->fd, w->zout.ptr, got))
		return out_errno(err, "cannot write", w->tree, "_whodunnit/tmp", p->tmp);
	return 0;
}

/* Index of parts by name: open addressing over a power of two slots. */
static int out_index_grow(struct outwriter *w)
{
	size_t n = w->nindex ? w->nindex * 2 : 64, i, j;
	uint32_t *v = calloc(n, sizeof(*v));

	if (!v)
		return -1;
	for (i = 0; i < w->nparts; i++) {
		for (j = w->parts[i]->hash & (n - 1); v[j]; j = (j + 1) & (n - 1))
			;
		v[j] = (uint32_t)i + 1;
	}
	free(w->index);
	w->index = v;
	w->nindex = n;
	return 0;
}

static struct outpart *out_part(struct outwriter *w, const char *name, struct wdn_err *err)
{
	uint64_t h = wdn_hash_str(name);
	struct outpart *p;
	size_t j;

	if (w->nindex)
		for (j = h & (w->nindex - 1); w->index[j]; j = (j + 1) & (w->nindex - 1))
			if (w->parts[w->index[j] - 1]->hash == h && !strcmp(w->parts[w->index[j] - 1]->name, name))
				return w->parts[w->index[j] - 1];
	if ((w->nparts + 1) * 2 > w->nindex && out_index_grow(w))
		goto oom;
	if (w->nparts == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct outpart **v = realloc(w->parts, cap * sizeof(*v));

		if (!v)
			goto oom;
		w->parts = v;
		w->cap = cap;
	}
	if (!(p = calloc(1, sizeof(*p))) || !(p->name = wdn_strdup(name))) {
		free(p);
		goto oom;
	}
	p->hash = h;
	p->fd = -1;
	wdn_buf_init(&p->chunk, 0);
	wdn_buf_init(&p->mem, 0);
	for (j = h & (w->nindex - 1); w->index[j]; j = (j + 1) & (w->nindex - 1))
		;
	w->index[j] = (uint32_t)w->nparts + 1;
	w->parts[w->nparts++] = p;
	return p;
oom:
	wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return NULL;
}

/* Append one output line to a partition of the input. Memory stays bounded
 * however many partitions: past OUT_PENDING, the largest part spills. */
static int outwriter_write(struct outwriter *w, const char *part, const void *line, size_t n,
			   struct wdn_err *err)
{
	struct outpart *p = out_part(w, part, err);

	if (!p)
		return WDN_ENOMEM;
	if (wdn_buf_add(&p->chunk, line, n))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	w->pending += n;
	if (p->chunk.len >= OUT_CHUNK)
		return out_part_flush(w, p, err);
	while (w->pending > OUT_PENDING) {
		struct outpart *big = p;
		size_t i;

		for (i = 0; i < w->nparts; i++)
			if (w->parts[i]->chunk.len > big->chunk.len)
				big = w->parts[i];
		if (out_part_flush(w, big, err))
			return WDN_EIO;
	}
	return 0;
}

/* A partition's directory, walked from the tree without following links. */
static int out_part_dir(struct outwriter *w, const char *name, struct wdn_err *err)
{
	char *path = wdn_strdup(name), *s, *c;
	int fd = dup(w->tree->dirfd), next;

	if (!path || fd < 0) {
		free(path);
		if (fd >= 0)
			close(fd);
		wdn_err_set(err, WDN_ENOMEM, "out of memory");
		return -1;
	}
	for (c = path; fd >= 0 && c; c = s) {
		if ((s = strchr(c, '/')))
			*s++ = '\0';
		next = out_subdir(fd, c, 0755);
		if (next < 0)
			wdn_err_set(err, WDN_EIO, "cannot open '%s/%s'%s: %s", w->tree->where, name,
				    errno == ELOOP || errno == ENOTDIR ? " (a symbolic link? not followed)" : "",
				    strerror(errno));
		close(fd);
		fd = next;
	}
	free(path);
	return fd;
}

static int out_commit_local(struct outwriter *w, struct outpart *p, struct wdn_err *err)
{
	struct wdn_buf dest = WDN_BUF_INIT;
	int dfd, rc = 0;

	if (out_part_open(w, p, err))
		return WDN_EIO;
	if (fsync(p->fd))
		return out_errno(err, "cannot write", w->tree, "_whodunnit/tmp", p->tmp);
	if ((dfd = out_part_dir(w, p->name, err)) < 0)
		return WDN_EIO;
	wdn_buf_addf(&dest, "%s.json.gz", w->id.ptr);
	/* until renamed, the run's lock keeps it from any cleaner */
	if (renameat(w->tree->tmpfd, p->tmp, dfd, dest.ptr))
		rc = wdn_err_set(err, WDN_EIO, "cannot rename into '%s/%s/%s': %s", w->tree->where, p->name,
				 dest.ptr, strerror(errno));
	else
		p->tmp[0] = '\0';
	close(dfd);
	wdn_buf_release(&dest);
	return rc;
}

static int out_commit_marker(struct outwriter *w, struct wdn_err *err)
{
	struct outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	char tmp[OUT_ID + 24];
	int fd, rc = 0;

	if (t->bucket) {
		wdn_buf_addf(&k, "%s_whodunnit/done/%s", t->prefix, w->id.ptr);
		rc = wdn_s3_put(w->aws, t->bucket, k.ptr, w->input, strlen(w->input), "text/plain", err);
		wdn_buf_release(&k);
		return rc;
	}
	if ((fd = out_tmp_make(w, tmp, sizeof(tmp), err)) < 0)
		return WDN_EIO;
	if (write_all(fd, w->input, strlen(w->input)) || write_all(fd, "\n", 1))
		rc = out_errno(err, "cannot write", t, "_whodunnit/tmp", tmp);
	else if (renameat(t->tmpfd, tmp, t->donefd, w->id.ptr))
		rc = out_errno(err, "cannot rename into", t, "_whodunnit/done", w->id.ptr);
	if (rc)
		unlinkat(t->tmpfd, tmp, 0);
	close(fd);
	return rc;
}

/* Put every part of the input in place, then its marker: a rerun skips
 * only an input wholly written. */
static int outwriter_commit(struct outwriter *w, struct wdn_err *err)
{
	struct outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < w->nparts; i++) {
		struct outpart *p = w->parts[i];

		if ((rc = out_part_flush(w, p, err)))
			break;
		if (!t->bucket) {
			rc = out_commit_local(w, p, err);
			continue;
		}
		/* one PutObject of the whole file: an object is there whole or not at all */
		wdn_buf_reset(&k);
		wdn_buf_addf(&k, "%s%s/%s.json.gz", t->prefix, p->name, w->id.ptr);
		rc = wdn_s3_put(w->aws, t->bucket, k.ptr, p->mem.ptr, p->mem.len, "application/gzip", err);
	}
	wdn_buf_release(&k);
	if (!rc && strcmp(w->input, "-"))
		rc = out_commit_marker(w, err);
	return rc;
}

/* Forget the input's output: what was not committed is removed. */
static void outwriter_drop(struct outwriter *w)
{
	size_t i;

	for (i = 0; i < w->nparts; i++) {
		struct outpart *p = w->parts[i];

		if (p->tmp[0])
			unlinkat(w->tree->tmpfd, p->tmp, 0);
		if (p->fd >= 0)
			close(p->fd);
		wdn_buf_release(&p->chunk);
		wdn_buf_release(&p->mem);
		free(p->name);
		free(p);
	}
	w->nparts = w->pending = w->open = w->evict = 0;
	if (w->index)
		memset(w->index, 0, w->nindex * sizeof(*w->index));
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
	wdn_buf_reset(&w->zbuf);
	wdn_event_partition(ev, &w->zbuf);
	if ((rc = outwriter_write(w->out, w->zbuf.ptr, w->line.ptr, w->line.len, &err))) {
		warn_locked(w->run, 1, "'%s': %s", w->input->name, err.msg);
		w->error = 1;
		return rc;
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
		    wdn_enricher_knows(w->enr, k.ptr, k.len, when))
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
	int rc = 0;

	w->input = in;
	w->events = 0;
	w->error = 0;
	if (r->out && (rc = outwriter_begin(w->out, in->name, &err))) {
		warn_locked(r, 1, "'%s': %s", in->name, err.msg);
		return;
	}
	if (r->out && (rc = outwriter_done(w->out, &err)) < 0)
		warn_locked(r, 1, "%s", err.msg); /* not known to be done: written again */
	if (r->out && rc > 0) {
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
	if (!r->out) {
		flush_stdout(w);
	} else {
		/* the one place an input's output is decided: all of it committed
		 * with its marker, or none of it */
		if (!w->error && (rc = outwriter_commit(w->out, &err))) {
			warn_locked(r, 1, "'%s': %s", in->name, err.msg);
			w->error = 1;
		}
		outwriter_drop(w->out);
	}
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
	if (r.out) {
		struct wdn_err err = { 0 };
		int rc = outtree_open(r.out, &r.tree, &err);

		r.out_s3 = !strncmp(r.out, "s3://", 5);
		if (rc && r.out_s3)
			cli_usage_error(&r.cli, "-o: %s", err.msg);
		if (rc) {
			cli_fail(&r.cli, "-o: %s", err.msg);
			return cli_exit(&r.cli);
		}
		if (r.out_s3 && cli_aws(&r.cli, &aws)) {
			outtree_close(r.tree);
			return cli_exit(&r.cli);
		}
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
		if (r.tree && !(w[j].out = outwriter_new(r.tree, w[j].aws))) {
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
		outwriter_free(w[j].out);
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
	outtree_close(r.tree);
	return cli_exit(&r.cli);
}
