/* The output tree of wdn-enrich -o: see outtree.h. */
#include "outtree.h"
#include "datetime.h"
#include "fs.h"
#include "isal.h"
#include "s3.h"
#include "sigv4.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

/* ISA-L when the command links it (isal.h), libdeflate otherwise */
#pragma weak wdn_isal_gzip
#pragma weak wdn_isal_gzip_bound
#pragma weak wdn_isal_gzip_scratch

/* ---- the tree ------------------------------------------------------------ */

#define OUT_CHUNK (1u << 20)        /* a partition's output is compressed this much at a time */
#define OUT_HELD (16u << 20)        /* and all of them hold at most this much memory */
#define OUT_OPEN 8                  /* temp files held open at once, per writer */
#define OUT_STEM 64                 /* bytes of the input's name kept in its output names */
#define OUT_ID 32                   /* hex digits of a run id and of a name's hash */

struct wdn_outtree {
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

struct wdn_outtree_writer {
	struct wdn_outtree *tree;
	struct wdn_aws *aws;
	char *input;                /* as read, in the marker */
	struct wdn_buf id;          /* stem.HASH: names its files and marker */
	struct outpart **parts, *last; /* last: the part written last */
	struct outpart *cur;        /* whose buffer wdn_outtree_line gave, until wrote */
	size_t cur_cap;             /* its capacity then */
	size_t nparts, cap;
	uint32_t *index;            /* parts by name hash, open addressing; 0 = empty */
	size_t nindex;
	size_t held;                /* bytes of memory the parts' chunks hold */
	size_t open, evict;
	struct libdeflate_compressor *deflater; /* without ISA-L */
	void *zscratch;             /* with ISA-L: its level's memory */
	struct wdn_buf zout;
};

/* "WHAT 'TREE/SUB/NAME': errno's text" (SUB and NAME may be "") */
static int out_errno(struct wdn_err *err, const char *what, const struct wdn_outtree *t,
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
 * from elsewhere, or through a link to the file, finds it: the stem comes
 * from that canonical name too). Standard input has no name: each run its
 * own. */
static int out_input_id(const char *input, struct wdn_buf *b)
{
	char *canon = NULL, hex[65];
	const char *base, *name = input;
	size_t n, i, from = b->len;

	if (!strcmp(input, "-")) {
		out_random_hex(hex, 16);
		return wdn_buf_addf(b, "stdin-%lld-%s", (long long)wdn_time_now(), hex);
	}
	if (strncmp(input, "s3://", 5) && (canon = realpath(input, NULL)))
		name = canon;
	wdn_sha256_hex(name, strlen(name), hex);
	base = strrchr(name, '/');
	base = base && base[1] ? base + 1 : name;
	n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".gz"))
		n -= 3;
	if (n > 5 && !strncmp(base + n - 5, ".json", 5))
		n -= 5;
	for (i = 0; i < n && i < OUT_STEM; i++) {
		char c = base[i];

		wdn_buf_addc(b, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_' || c == '.' ? c : '_');
	}
	/* Athena skips names starting with '.' or '_', mapped ones included */
	if (i && !wdn_buf_failed(b) && (b->ptr[from] == '.' || b->ptr[from] == '_'))
		b->ptr[from] = '-';
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
static int out_check_owner(const struct wdn_outtree *t, int fd, const char *sub, struct wdn_err *err)
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

static int out_private_dir(struct wdn_outtree *t, int at, const char *name, const char *sub, int *fd,
			   struct wdn_err *err)
{
	if ((*fd = out_subdir(at, name, 0700)) < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return wdn_err_set(err, WDN_EIO, "'%s/%s' is not a directory (a symbolic link?): "
					   "refusing to follow it", t->where, sub);
		return out_errno(err, "cannot create", t, sub, "");
	}
	if (out_check_owner(t, *fd, sub, err)) {
		close(*fd);
		*fd = -1;
		return WDN_EIO;
	}
	fchmod(*fd, 0700); /* trees made before private ones: now private */
	return 0;
}

/* This run's lock, held until wdn_outtree_close: a cleaner may take a lock file
 * between its creation and our flock, so the lock counts only if the file
 * is still there once held. */
static int out_lock(struct wdn_outtree *t, struct wdn_err *err)
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
static void out_clean_lock(struct wdn_outtree *t, const char *name)
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
static void out_clean_stale(struct wdn_outtree *t)
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

/*
 * A directory another user could change lets them swap what lies below it:
 * each directory on the -o path must be the user's or root's, and one that
 * others may write must be sticky (/tmp). A symbolic link on the way is
 * followed only when the user or root owns it; what it leads to is checked
 * the same way.
 */
static int out_path_dir(const struct wdn_outtree *t, int fd, const char *comp, struct wdn_err *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return out_errno(err, "cannot stat", t, "", "");
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return wdn_err_set(err, WDN_EIO, "'%s': the directory '%s' on the way is owned by uid %ld: "
				   "refusing a path another user can change", t->where, comp, (long)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return wdn_err_set(err, WDN_EIO, "'%s': the directory '%s' on the way is writable by others "
				   "(mode %04o): refusing a path another user can change", t->where, comp,
				   (unsigned)(st.st_mode & 07777));
	return 0;
}

/* The -o directory, made if missing, walked a name at a time from / (or
 * the current directory) under out_path_dir's rule. */
static int out_walk(struct wdn_outtree *t, struct wdn_err *err)
{
	char *path = wdn_strdup(t->where), *c, *s;
	int fd, next, rc = 0;
	struct stat st;

	if (!path)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	fd = open(*path == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = out_errno(err, "cannot open", t, "", "");
	for (c = path; !rc && c; c = s) {
		if ((s = strchr(c, '/')))
			*s++ = '\0';
		if (!*c || !strcmp(c, "."))
			continue;
		if (mkdirat(fd, c, 0755) && errno != EEXIST) {
			rc = out_errno(err, "cannot create", t, "", "");
			break;
		}
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR) && !fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode)) {
			if (st.st_uid != geteuid() && st.st_uid != 0) {
				rc = wdn_err_set(err, WDN_EIO, "'%s': '%s' is a symbolic link owned by uid %ld: "
						 "refusing to follow it", t->where, c, (long)st.st_uid);
				break;
			}
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		if (next < 0)
			rc = out_errno(err, "cannot open", t, "", "");
		close(fd);
		fd = next;
		if (!rc && s && out_path_dir(t, fd, c, err))
			rc = WDN_EIO;
	}
	free(path);
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	t->dirfd = fd;
	return 0;
}

static int out_open_local(struct wdn_outtree *t, struct wdn_err *err)
{
	int wfd, rc;

	if (out_walk(t, err))
		return WDN_EIO;
	if (out_check_owner(t, t->dirfd, "", err) ||
	    out_private_dir(t, t->dirfd, "_whodunnit", "_whodunnit", &wfd, err))
		return WDN_EIO;
	rc = out_private_dir(t, wfd, "tmp", "_whodunnit/tmp", &t->tmpfd, err) ||
	     out_private_dir(t, wfd, "done", "_whodunnit/done", &t->donefd, err) || out_lock(t, err);
	close(wfd);
	if (rc)
		return WDN_EIO;
	out_clean_stale(t);
	return 0;
}

void wdn_outtree_close(struct wdn_outtree *t)
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

int wdn_outtree_open(const char *where, struct wdn_outtree **out, struct wdn_err *err)
{
	struct wdn_outtree *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!*where) {
		free(t);
		return wdn_err_set(err, WDN_EINVAL, "no output directory named");
	}
	if (!t || !(t->where = wdn_strdup(where))) {
		free(t);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	t->dirfd = t->tmpfd = t->donefd = t->lockfd = -1;
	if (!strncmp(where, "s3://", 5)) {
		struct wdn_buf p = WDN_BUF_INIT;

		if ((rc = wdn_s3_parse_url(where, &t->bucket, &t->prefix, err))) {
			wdn_outtree_close(t);
			return rc;
		}
		wdn_buf_adds(&p, t->prefix);
		if (p.len && p.ptr[p.len - 1] != '/')
			wdn_buf_addc(&p, '/');
		free(t->prefix);
		if (!(t->prefix = wdn_buf_detach(&p, NULL))) { /* never a cut-short prefix */
			wdn_outtree_close(t);
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		}
	} else if ((rc = out_open_local(t, err))) {
		wdn_outtree_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- one input's output --------------------------------------------------- */

struct wdn_outtree_writer *wdn_outtree_writer_new(struct wdn_outtree *t, struct wdn_aws *aws)
{
	struct wdn_outtree_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->tree = t;
	w->aws = aws;
	wdn_buf_init(&w->id, 0);
	wdn_buf_init(&w->zout, 0);
	if (wdn_isal_gzip)
		w->zscratch = malloc(wdn_isal_gzip_scratch());
	else
		w->deflater = libdeflate_alloc_compressor(1);
	if (!w->zscratch && !w->deflater) {
		free(w);
		return NULL;
	}
	return w;
}

void wdn_outtree_writer_free(struct wdn_outtree_writer *w)
{
	if (!w)
		return;
	wdn_outtree_drop(w);
	free(w->parts);
	free(w->index);
	free(w->input);
	wdn_buf_release(&w->id);
	wdn_buf_release(&w->zout);
	libdeflate_free_compressor(w->deflater);
	free(w->zscratch);
	free(w);
}

/* Start an input's output; names it. */
int wdn_outtree_begin(struct wdn_outtree_writer *w, const char *input, struct wdn_err *err)
{
	wdn_outtree_drop(w);
	free(w->input);
	wdn_buf_reset(&w->id);
	if (!(w->input = wdn_strdup(input)) || out_input_id(input, &w->id))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

const char *wdn_outtree_name(const struct wdn_outtree_writer *w)
{
	return w->id.ptr;
}

/* 1 when the input's marker is there (a regular file: a link is not ours). */
int wdn_outtree_done(struct wdn_outtree_writer *w, struct wdn_err *err)
{
	struct wdn_outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	struct stat st;
	int done;

	if (!strcmp(w->input, "-"))
		return 0;
	if (!t->bucket)
		return !fstatat(t->donefd, w->id.ptr, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode);
	wdn_buf_addf(&k, "%s_whodunnit/done/%s", t->prefix, w->id.ptr);
	done = wdn_buf_failed(&k) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") /* never a cut-short key */
				  : wdn_s3_exists(w->aws, t->bucket, k.ptr, err);
	wdn_buf_release(&k);
	return done;
}

/* A temp file of this run, made exclusively. */
static int out_tmp_make(struct wdn_outtree_writer *w, char *name, size_t size, struct wdn_err *err)
{
	struct wdn_outtree *t = w->tree;
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
static int out_part_open(struct wdn_outtree_writer *w, struct outpart *p, struct wdn_err *err)
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
 * one gzip stream to every reader; ISA-L compresses whole buffers in well
 * under half of libdeflate's level-1 time, libdeflate in half of zlib's)
 * and spill it. */
static int out_part_flush(struct wdn_outtree_writer *w, struct outpart *p, struct wdn_err *err)
{
	size_t bound, got;

	if (!p->chunk.len)
		return 0;
	bound = w->zscratch ? wdn_isal_gzip_bound(p->chunk.len) :
			      libdeflate_gzip_compress_bound(w->deflater, p->chunk.len);
	wdn_buf_reset(&w->zout);
	if (wdn_buf_grow(&w->zout, bound))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	got = w->zscratch ? wdn_isal_gzip(p->chunk.ptr, p->chunk.len, w->zout.ptr, bound, w->zscratch) :
			    libdeflate_gzip_compress(w->deflater, p->chunk.ptr, p->chunk.len, w->zout.ptr, bound);
	if (!got)
		return wdn_err_set(err, WDN_EIO, "cannot compress");
	wdn_buf_reset(&p->chunk);
	if (w->tree->bucket)
		return wdn_buf_add(&p->mem, w->zout.ptr, got) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : 0;
	if (out_part_open(w, p, err))
		return WDN_EIO;
	if (wdn_fs_write_all(p->fd, w->zout.ptr, got))
		return out_errno(err, "cannot write", w->tree, "_whodunnit/tmp", p->tmp);
	return 0;
}

/* Index of parts by name: open addressing over a power of two slots. */
static int out_index_grow(struct wdn_outtree_writer *w)
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

static struct outpart *out_part(struct wdn_outtree_writer *w, const char *name, struct wdn_err *err)
{
	uint64_t h;
	struct outpart *p;
	size_t j;

	/* most events go where the one before went */
	if (w->last && !strcmp(w->last->name, name))
		return w->last;
	h = wdn_hash_str(name);
	if (w->nindex)
		for (j = h & (w->nindex - 1); w->index[j]; j = (j + 1) & (w->nindex - 1))
			if (w->parts[w->index[j] - 1]->hash == h && !strcmp(w->parts[w->index[j] - 1]->name, name))
				return w->last = w->parts[w->index[j] - 1];
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
	return w->last = p;
oom:
	wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return NULL;
}

/* The buffer of partition part that the input's next lines go into: the
 * caller appends to it in place (no copy of each line on the way to the
 * compressor) and then calls wdn_outtree_wrote. */
struct wdn_buf *wdn_outtree_line(struct wdn_outtree_writer *w, const char *part, struct wdn_err *err)
{
	struct outpart *p = out_part(w, part, err);

	if (!p)
		return NULL;
	w->cur = p;
	w->cur_cap = p->chunk.cap;
	return &p->chunk;
}

/* After lines were appended to wdn_outtree_line's buffer: a full chunk is
 * compressed as it fills, and memory stays bounded however many
 * partitions: past OUT_HELD, the part holding the most spills and lets its
 * memory go (a part alone keeps its buffer: no churn). */
int wdn_outtree_wrote(struct wdn_outtree_writer *w, struct wdn_err *err)
{
	struct outpart *p = w->cur;
	int rc;

	if (!p)
		return 0;
	w->cur = NULL;
	if ((rc = wdn_buf_failed(&p->chunk)))
		return wdn_err_set(err, rc, "%s", wdn_strerror(rc));
	w->held += p->chunk.cap - w->cur_cap;
	if (p->chunk.len >= OUT_CHUNK && out_part_flush(w, p, err))
		return WDN_EIO;
	while (w->held > OUT_HELD) {
		struct outpart *big = p;
		size_t i;

		for (i = 0; i < w->nparts; i++)
			if (w->parts[i]->chunk.cap > big->chunk.cap)
				big = w->parts[i];
		if (out_part_flush(w, big, err))
			return WDN_EIO;
		w->held -= big->chunk.cap;
		wdn_buf_release(&big->chunk);
	}
	return 0;
}

/* Append one output line (or several whole ones) to a partition of the input. */
int wdn_outtree_write(struct wdn_outtree_writer *w, const char *part, const void *line, size_t n,
		      struct wdn_err *err)
{
	struct wdn_buf *b = wdn_outtree_line(w, part, err);

	if (!b)
		return WDN_ENOMEM;
	wdn_buf_add(b, line, n); /* a failure is the buffer's, told by wrote */
	return wdn_outtree_wrote(w, err);
}

/* A partition's directory, walked from the tree without following links. */
static int out_part_dir(struct wdn_outtree_writer *w, const char *name, struct wdn_err *err)
{
	char *path = wdn_strdup(name), *s, *c, sub[256];
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
		/* a partition another user can write lets them replace our files */
		snprintf(sub, sizeof(sub), "%.*s", (int)(c - path + strlen(c)), name);
		if (fd >= 0 && out_check_owner(w->tree, fd, sub, err)) {
			close(fd);
			fd = -1;
		}
	}
	free(path);
	return fd;
}

static int out_commit_local(struct wdn_outtree_writer *w, struct outpart *p, struct wdn_err *err)
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
	if (wdn_buf_failed(&dest)) /* never a file under a cut-short name */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	else if (renameat(w->tree->tmpfd, p->tmp, dfd, dest.ptr))
		rc = wdn_err_set(err, WDN_EIO, "cannot rename into '%s/%s/%s': %s", w->tree->where, p->name,
				 dest.ptr, strerror(errno));
	else
		p->tmp[0] = '\0';
	close(dfd);
	wdn_buf_release(&dest);
	return rc;
}

static int out_commit_marker(struct wdn_outtree_writer *w, struct wdn_err *err)
{
	struct wdn_outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	char tmp[OUT_ID + 24];
	int fd, rc = 0;

	if (t->bucket) {
		wdn_buf_addf(&k, "%s_whodunnit/done/%s", t->prefix, w->id.ptr);
		rc = wdn_buf_failed(&k) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") :
		     wdn_s3_put(w->aws, t->bucket, k.ptr, w->input, strlen(w->input), "text/plain", err);
		wdn_buf_release(&k);
		return rc;
	}
	if ((fd = out_tmp_make(w, tmp, sizeof(tmp), err)) < 0)
		return WDN_EIO;
	if (wdn_fs_write_all(fd, w->input, strlen(w->input)) || wdn_fs_write_all(fd, "\n", 1))
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
int wdn_outtree_commit(struct wdn_outtree_writer *w, struct wdn_err *err)
{
	struct wdn_outtree *t = w->tree;
	struct wdn_buf k = WDN_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < w->nparts; i++) {
		struct outpart *p = w->parts[i];

		/* a part all of whose lines were taken back: no file */
		if (!p->chunk.len && !p->tmp[0] && !p->mem.len)
			continue;
		if ((rc = out_part_flush(w, p, err)))
			break;
		if (!t->bucket) {
			rc = out_commit_local(w, p, err);
			continue;
		}
		/* one PutObject of the whole file: an object is there whole or not at all */
		wdn_buf_reset(&k);
		wdn_buf_addf(&k, "%s%s/%s.json.gz", t->prefix, p->name, w->id.ptr);
		rc = wdn_buf_failed(&k) ? wdn_err_set(err, WDN_ENOMEM, "out of memory") :
		     wdn_s3_put(w->aws, t->bucket, k.ptr, p->mem.ptr, p->mem.len, "application/gzip", err);
	}
	wdn_buf_release(&k);
	if (!rc && strcmp(w->input, "-"))
		rc = out_commit_marker(w, err);
	return rc;
}

/* Forget the input's output: what was not committed is removed. */
void wdn_outtree_drop(struct wdn_outtree_writer *w)
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
	w->nparts = w->held = w->open = w->evict = 0;
	w->last = w->cur = NULL;
	if (w->index)
		memset(w->index, 0, w->nindex * sizeof(*w->index));
}
