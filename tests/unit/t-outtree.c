/*
 * The output tree (outtree.c): every input owns its names (same base names,
 * suffixes, long names, paths given two ways), trees others can change are
 * refused, no link is followed, any number of partitions with bounded memory
 * and open files (spill), stale temp files removed and live ones kept.
 * Round trips: what each partition's file decodes to (zlib member by member,
 * gzip -t, zcat, the library's own reader) is exactly the lines written,
 * from one byte to several MiB, compressible or not; and compressing costs
 * well under zlib's level 1.
 */
#include "tap.h"
#include "isal.h"
#include "outtree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zlib.h>

static char top[256];

static char *path(const char *fmt, const char *a)
{
	static char p[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/", top);
	snprintf(p[i] + strlen(p[i]), sizeof(p[i]) - strlen(p[i]), fmt, a);
	return p[i];
}

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd >= 0)
		close(fd);
}

static int count_dir(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* the whole (multi-member) gzip file, or NULL */
static char *gunzip(const char *p)
{
	gzFile g = gzopen(p, "rb");
	struct wdn_buf b = WDN_BUF_INIT;
	char buf[65536];
	int n;

	if (!g)
		return NULL;
	while ((n = gzread(g, buf, sizeof(buf))) > 0)
		wdn_buf_add(&b, buf, (size_t)n);
	gzclose(g);
	return wdn_buf_detach(&b, NULL);
}

/* The gzip members of file p, decoded one by one into out: how many, or -1
 * when the file is not whole gzip (damage, junk, truncation). */
static int members(const char *p, struct wdn_buf *out)
{
	size_t n, off = 0;
	char *z = slurp(p, &n);
	unsigned char buf[65536];
	z_stream s;
	int count = 0, rc = Z_OK;

	if (!z)
		return -1;
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) {
		free(z);
		return -1;
	}
	while (off < n && rc != -1) {
		inflateReset(&s);
		s.next_in = (unsigned char *)z + off;
		s.avail_in = (uInt)(n - off);
		do {
			s.next_out = buf;
			s.avail_out = sizeof(buf);
			rc = inflate(&s, Z_NO_FLUSH);
			wdn_buf_add(out, buf, sizeof(buf) - s.avail_out);
		} while (rc == Z_OK);
		if (rc != Z_STREAM_END) {
			rc = -1;
			break;
		}
		off = n - s.avail_in;
		count++;
	}
	inflateEnd(&s);
	free(z);
	return rc == -1 ? -1 : count;
}

static int tee_add(void *ctx, const void *p, size_t n)
{
	return wdn_buf_add(ctx, p, n);
}

static int no_event(void *ctx, const struct wdn_event *ev)
{
	return 0;
}

/* File p through the library's reader: its decoded bytes into out, its
 * records (events or not) counted; the reader's verdict. */
static int reread(const char *p, struct wdn_buf *out, size_t *records)
{
	struct wdn_reader *r = wdn_reader_new(p, no_event, NULL, NULL);
	uint64_t ev = 0, rej = 0;
	int digest;
	struct wdn_err err = { 0 };
	int fd = open(p, O_RDONLY), rc;

	if (!r || fd < 0) {
		wdn_reader_free(r);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	wdn_reader_tee(r, tee_add, out);
	rc = wdn_reader_read_fd(r, fd, &err);
	if (rc)
		printf("#   reader: %s\n", err.msg);
	wdn_reader_counts(r, &ev, &rej, &digest);
	*records = (size_t)(ev + rej);
	close(fd);
	wdn_reader_free(r);
	return rc;
}

/* One JSON line of exactly n bytes (n >= 48), newline included: its pad
 * words and hex digits drawn like a trail's, about as compressible. */
static void json_line(struct wdn_buf *b, size_t n, unsigned i)
{
	static const char *const words[] = { "AssumeRole", "sts.amazonaws.com", "arn:aws:iam::", "role/",
					     "us-east-1", "AwsApiCall", "userIdentity", "ASIA", "session",
					     "eventTime", "2021-07-03T", "principalId", "AROA", "Console",
					     "requestParameters", "accessKeyId", "-", ":", "/", " " };
	static uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t from = b->len, end;

	wdn_buf_addf(b, "{\"eventName\":\"E%u\",\"pad\":\"", i);
	end = from + n - 3;
	while (b->len < end) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 3) {
			const char *wd = words[(x >> 8) % (sizeof(words) / sizeof(*words))];
			size_t k = strlen(wd);

			wdn_buf_add(b, wd, b->len + k <= end ? k : end - b->len);
		} else {
			wdn_buf_addc(b, "0123456789ABCDEF"[(x >> 20) & 15]);
		}
	}
	wdn_buf_adds(b, "\"}\n");
}

/* Built twice: with ISA-L (t-outtree) and without (t-outtree-deflate, the
 * Lambda build's libdeflate fallback). */
#pragma weak wdn_isal_gzip

static struct wdn_outtree *open_tree(const char *dir)
{
	struct wdn_outtree *t = NULL;
	struct wdn_err err = { 0 };

	if (wdn_outtree_open(dir, &t, &err))
		printf("#   %s\n", err.msg);
	return t;
}

/* the name an input gets */
static char *name_of(struct wdn_outtree_writer *w, const char *input)
{
	struct wdn_err err = { 0 };

	if (wdn_outtree_begin(w, input, &err))
		return NULL;
	return strdup(wdn_outtree_name(w));
}

static void names(struct wdn_outtree_writer *w)
{
	char *a, *b, *c, *d, *e, *f, *g, *h, *in;
	char longname[1100];
	int uniq = 1;

	mkdir(path("a", ""), 0755);
	mkdir(path("b", ""), 0755);
	touch(path("a/events.json", ""));
	touch(path("b/events.json", ""));
	a = name_of(w, path("a/events.json", ""));
	b = name_of(w, path("b/events.json", ""));
	ok(a && b && strcmp(a, b), "a/events.json and b/events.json get their own names");
	ok(a && !strncmp(a, "events.", 7) && strlen(a) == 7 + 32, "named STEM.HASH (%s)", a ? a : "");
	c = name_of(w, path("a/x", ""));
	d = name_of(w, path("a/x.json", ""));
	e = name_of(w, path("a/x.json.gz", ""));
	ok(c && d && e && strcmp(c, d) && strcmp(d, e) && strcmp(c, e), "x, x.json and x.json.gz get their own names");
	ok(c && d && !strncmp(c, "x.", 2) && !strncmp(d, "x.", 2), "with the stem x");
	in = path("a/../b/./events.json", "");
	f = name_of(w, in);
	is_str(f, b, "a path given another way names the same input");
	memset(longname, 'q', sizeof(longname) - 1);
	memcpy(longname, "s3://bucket/", 12);
	longname[sizeof(longname) - 1] = '\0';
	g = name_of(w, longname);
	ok(g && strlen(g) <= 64 + 1 + 32, "a 1100-character name gives a bounded one (%zu)", g ? strlen(g) : 0);
	h = name_of(w, "s3://bucket/_hidden.json");
	ok(h && h[0] == '-', "a name Athena would skip does not start with '_' (%s)", h ? h : "");
	free(g);
	g = name_of(w, "s3://other/_hidden.json");
	ok(g && h && strcmp(g, h), "two buckets, one key: two names");
	free(g);
	g = name_of(w, "-");
	free(h);
	h = name_of(w, "-");
	ok(g && h && strcmp(g, h) && !strncmp(g, "stdin-", 6), "standard input gets a name of its own each time");
	uniq = a && c && strcmp(a, c);
	ok(uniq, "different stems differ");
	free(a), free(b), free(c), free(d), free(e), free(f), free(g), free(h);
}

static void refusals(void)
{
	struct wdn_outtree *t = NULL;
	struct wdn_err err = { 0 };
	int rc;

	mkdir(path("open", ""), 0777);
	chmod(path("open", ""), 0777);
	rc = wdn_outtree_open(path("open", ""), &t, &err);
	ok(rc && !t && strstr(err.msg, "writable by others"), "a tree others can write is refused: %s", err.msg);
	is_int(count_dir(path("open", "")), 0, "and nothing is made in it");
	mkdir(path("linked", ""), 0755);
	mkdir(path("elsewhere", ""), 0755);
	symlink(path("elsewhere", ""), path("linked/_whodunnit", ""));
	memset(&err, 0, sizeof(err));
	rc = wdn_outtree_open(path("linked", ""), &t, &err);
	ok(rc && !t && strstr(err.msg, "symbolic link"), "_whodunnit as a link is refused: %s", err.msg);
	is_int(count_dir(path("elsewhere", "")), 0, "and nothing is made where it points");
}

static int open_fds(void)
{
	return count_dir("/proc/self/fd");
}

/* resident memory, MiB */
static long rss_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

/* 300 partitions, 60 MB: spills, bounded memory, few files open, every
 * line in its file */
static void spill(void)
{
	struct wdn_outtree *t = open_tree(path("spill", ""));
	struct wdn_outtree_writer *w = t ? wdn_outtree_writer_new(t, NULL) : NULL;
	struct wdn_err err = { 0 };
	char part[64], line[4000];
	int i, j, rc = 0, base = open_fds(), most = 0, bad = 0;
	long rss = rss_mib(), grew = 0;
	char *name;

	if (!w) {
		ok(0, "a tree and a writer for the spill test");
		return;
	}
	wdn_outtree_begin(w, path("spill-input.json", ""), &err);
	name = strdup(wdn_outtree_name(w));
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (j = 0; !rc && j < 50; j++)
		for (i = 0; !rc && i < 300; i++) {
			snprintf(part, sizeof(part), "account=1/region=r/day=%04d", i);
			memcpy(line, strstr(part, "day=") + 4, 4);
			rc = wdn_outtree_write(w, part, line, sizeof(line), &err);
			if (i % 97 == 0 && open_fds() - base > most)
				most = open_fds() - base;
			if (i % 101 == 0 && rss_mib() - rss > grew)
				grew = rss_mib() - rss;
		}
	is_int(rc, 0, "60 MB over 300 partitions written %s", err.msg);
#ifdef __SANITIZE_ADDRESS__
	skip("resident memory under AddressSanitizer keeps what was freed");
#else
	ok(grew < 40, "holding at most a few tens of MiB (grew %ld MiB)", grew);
#endif
	ok(most <= 8, "with at most 8 files open at once (%d)", most);
	ok(count_dir(path("spill/_whodunnit/tmp", "")) > 1, "spilled to temp files before the commit");
	is_int(wdn_outtree_commit(w, &err), 0, "and committed %s", err.msg);
	is_int(count_dir(path("spill/account=1/region=r", "")), 300, "one directory per partition");
	for (i = 0; i < 300; i += 11) {
		char f[128], *z;

		snprintf(f, sizeof(f), "spill/account=1/region=r/day=%04d/%s.json.gz", i, name);
		z = gunzip(path("%s", f));
		if (!z || strlen(z) != 50 * sizeof(line) || memcmp(z, strstr(f, "day=") + 4, 4))
			bad++;
		free(z);
	}
	is_int(bad, 0, "each file holds its partition's lines, whole");
	wdn_outtree_drop(w);
	is_int(count_dir(path("spill/_whodunnit/tmp", "")), 1, "no temp file is left but the run's lock");
	wdn_outtree_begin(w, path("spill-input.json", ""), &err);
	is_int(wdn_outtree_done(w, &err), 1, "the input is done");
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
	is_int(count_dir(path("spill/_whodunnit/tmp", "")), 0, "closing removes the lock");
	free(name);
}

/* two inputs of one base name into one partition; a link where a
 * partition directory goes; a marker that is a link */
static void collide_and_links(void)
{
	struct wdn_outtree *t = open_tree(path("c", ""));
	struct wdn_outtree_writer *w = t ? wdn_outtree_writer_new(t, NULL) : NULL;
	struct wdn_err err = { 0 };
	char *na, *nb, *za, *zb, f[512];

	if (!w) {
		ok(0, "a tree and a writer");
		return;
	}
	wdn_outtree_begin(w, path("a/events.json", ""), &err);
	na = strdup(wdn_outtree_name(w));
	wdn_outtree_write(w, "account=1/region=r/day=d", "A\n", 2, &err);
	is_int(wdn_outtree_commit(w, &err), 0, "a/events.json committed");
	wdn_outtree_drop(w);
	wdn_outtree_begin(w, path("b/events.json", ""), &err);
	nb = strdup(wdn_outtree_name(w));
	wdn_outtree_write(w, "account=1/region=r/day=d", "B\n", 2, &err);
	is_int(wdn_outtree_commit(w, &err), 0, "b/events.json committed");
	wdn_outtree_drop(w);
	snprintf(f, sizeof(f), "c/account=1/region=r/day=d/%s.json.gz", na);
	za = gunzip(path("%s", f));
	snprintf(f, sizeof(f), "c/account=1/region=r/day=d/%s.json.gz", nb);
	zb = gunzip(path("%s", f));
	is_str(za, "A\n", "the first input's file holds its events");
	is_str(zb, "B\n", "the second input's too");
	free(za), free(zb);

	mkdir(path("else", ""), 0755);
	symlink(path("else", ""), path("c/account=2", ""));
	wdn_outtree_begin(w, path("x.json", ""), &err);
	wdn_outtree_write(w, "account=2/region=r/day=d", "X\n", 2, &err);
	memset(&err, 0, sizeof(err));
	ok(wdn_outtree_commit(w, &err) && strstr(err.msg, "account=2"),
	   "a partition directory that is a link fails the commit: %s", err.msg);
	wdn_outtree_drop(w);
	is_int(count_dir(path("else", "")), 0, "nothing is written where it points");
	is_int(wdn_outtree_done(w, &err), 0, "and the input is not done");
	is_int(count_dir(path("c/_whodunnit/tmp", "")), 1, "its temp files are removed");

	unlink(path("c/_whodunnit/done/%s", na));
	symlink("/etc/hostname", path("c/_whodunnit/done/%s", na));
	wdn_outtree_begin(w, path("a/events.json", ""), &err);
	is_int(wdn_outtree_done(w, &err), 0, "a marker that is a link does not mark the input done");
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
	free(na), free(nb);
}

/* other runs' temp files: the stale removed, the live and the foreign kept */
static void stale(void)
{
	static const char live[] = "11111111111111111111111111111111", dead[] = "22222222222222222222222222222222";
	struct wdn_outtree *t = open_tree(path("st", ""));
	int fd;

	wdn_outtree_close(t); /* made the tree */
	touch(path("st/_whodunnit/tmp/%s.lock", live));
	touch(path("st/_whodunnit/tmp/%s.0", live));
	touch(path("st/_whodunnit/tmp/%s.lock", dead));
	touch(path("st/_whodunnit/tmp/%s.0", dead));
	touch(path("st/_whodunnit/tmp/%s.7", dead));
	touch(path("st/_whodunnit/tmp/33333333333333333333333333333333.1", "")); /* its lock gone */
	touch(path("st/_whodunnit/tmp/4000000.0.0", ""));                          /* not ours */
	fd = open(path("st/_whodunnit/tmp/%s.lock", live), O_RDONLY);
	ok(fd >= 0 && !flock(fd, LOCK_EX), "another run's lock held");
	t = open_tree(path("st", ""));
	ok(t != NULL, "the tree opens beside them");
	ok(!access(path("st/_whodunnit/tmp/%s.lock", live), F_OK) && !access(path("st/_whodunnit/tmp/%s.0", live), F_OK),
	   "a live run's lock and temp file are kept");
	ok(access(path("st/_whodunnit/tmp/%s.lock", dead), F_OK) && access(path("st/_whodunnit/tmp/%s.0", dead), F_OK) &&
	   access(path("st/_whodunnit/tmp/%s.7", dead), F_OK), "a dead run's lock and temp files are removed");
	ok(access(path("st/_whodunnit/tmp/33333333333333333333333333333333.1", ""), F_OK),
	   "a temp file whose run's lock is gone is removed");
	ok(!access(path("st/_whodunnit/tmp/4000000.0.0", ""), F_OK), "a file of another shape is left alone");
	wdn_outtree_close(t);
	close(fd);
	t = open_tree(path("st", ""));
	ok(access(path("st/_whodunnit/tmp/%s.0", live), F_OK), "once its lock is released, the run is stale");
	wdn_outtree_close(t);
}

/* Lines appended in place (wdn_outtree_line, then wdn_outtree_wrote), mixed
 * with copied ones (wdn_outtree_write) and with lines taken back, over
 * several partitions and sizes from a byte to past a compressed chunk: each
 * file holds exactly its lines, in order. */
static void in_place(void)
{
	static const char *const parts[] = { "account=1/region=a/day=d", "account=2/region=b/day=d",
					     "account=unknown/region=unknown/day=unknown" };
	struct wdn_outtree *t = open_tree(path("inplace", ""));
	struct wdn_outtree_writer *w = t ? wdn_outtree_writer_new(t, NULL) : NULL;
	struct wdn_buf want[3] = { WDN_BUF_INIT, WDN_BUF_INIT, WDN_BUF_INIT };
	struct wdn_err err = { 0 };
	size_t sizes[] = { 1, 80, 4000, 300000, 1 << 20, 17 };
	int i, k, rc = 0, same = 1;
	char *name, *got;

	if (!w) {
		ok(0, "a tree and a writer for the in-place test");
		return;
	}
	wdn_outtree_begin(w, path("inplace-input.json", ""), &err);
	name = strdup(wdn_outtree_name(w));
	for (i = 0; !rc && i < 60; i++) {
		size_t n = sizes[i % 6] + (size_t)i, mark;
		int p = (i * 7) % 3;
		struct wdn_buf *b;
		char *line = malloc(n);

		memset(line, 'a' + i % 26, n - 1);
		line[n - 1] = '\n';
		if (i % 5 == 4) { /* copied */
			rc = wdn_outtree_write(w, parts[p], line, n, &err);
		} else if (!(b = wdn_outtree_line(w, parts[p], &err))) {
			rc = -1;
		} else {
			mark = b->len;
			wdn_buf_add(b, line, n);
			if (i % 7 == 3) /* taken back: as a rejected event */
				wdn_buf_setlen(b, mark);
			rc = wdn_outtree_wrote(w, &err);
		}
		if (i % 5 == 4 || i % 7 != 3)
			wdn_buf_add(&want[p], line, n);
		free(line);
	}
	if (!rc) { /* a partition whose only line is taken back (a rejected event) */
		struct wdn_buf *b = wdn_outtree_line(w, "account=3/region=c/day=d", &err);

		if (b) {
			size_t mark = b->len;

			wdn_buf_add(b, "rejected\n", 9);
			wdn_buf_setlen(b, mark);
		}
		rc = b ? wdn_outtree_wrote(w, &err) : -1;
	}
	ok(!rc, "lines appended in place and copied (%s)", rc ? err.msg : "ok");
	ok(!wdn_outtree_commit(w, &err), "committed (%s)", err.msg);
	for (k = 0; k < 3; k++) {
		char f[512];

		snprintf(f, sizeof(f), "inplace/%s/%s.json.gz", parts[k], name);
		got = gunzip(path("%s", f));
		if (!got || strlen(got) != want[k].len || memcmp(got, want[k].ptr, want[k].len)) {
			printf("#   %s: got %zu bytes, want %zu\n", parts[k], got ? strlen(got) : 0, want[k].len);
			same = 0;
		}
		free(got);
		wdn_buf_release(&want[k]);
	}
	ok(same, "each partition's file holds exactly its lines, in order");
	ok(count_dir(path("inplace/account=3", "")) < 0, "a partition whose only line was taken back has no file");
	free(name);
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
}

/* The pieces of shape k (a part's whole content), each a write: whole JSON
 * lines, or raw bytes for shapes the reader cannot parse. */
enum { RT_EMPTY, RT_BYTE, RT_MIB, RT_MIB1, RT_SEVERAL, RT_NOISE, RT_BIGLINE, RT_SHAPES };
static const char *const rt_names[RT_SHAPES] = { "empty", "one byte", "exactly 1 MiB", "1 MiB + 1",
						  "several MiB of lines", "3 MiB of random bytes",
						  "one line of 1 MiB + 1" };

static size_t rt_pieces(int k, struct wdn_buf *all, size_t *ends, size_t max)
{
	static uint64_t x = 88172645463325252ull;
	size_t n = 0, i;

	switch (k) {
	case RT_BYTE:
		wdn_buf_addc(all, 'x');
		ends[n++] = all->len;
		break;
	case RT_MIB:
	case RT_MIB1:
		for (i = 0; i < 256; i++, n++) {
			json_line(all, 4096, (unsigned)i);
			ends[n] = all->len;
		}
		if (k == RT_MIB1) { /* a blank line: a 1-byte member after a full one */
			wdn_buf_addc(all, '\n');
			ends[n++] = all->len;
		}
		break;
	case RT_SEVERAL:
		for (i = 0; all->len < (5u << 20) + 333 && n < max; i++, n++) {
			json_line(all, 48 + (i * 7919) % 9000, (unsigned)i);
			ends[n] = all->len;
		}
		break;
	case RT_NOISE:
		for (i = 0; i < (3u << 20) + 7; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			wdn_buf_addc(all, (char)(x >> 24));
			if (all->len % 65536 == 0 || i == (3u << 20) + 6)
				ends[n++] = all->len;
		}
		break;
	case RT_BIGLINE:
		json_line(all, (1u << 20) + 1, 1);
		ends[n++] = all->len;
		break;
	}
	return n;
}

/* Every shape into a partition of its own, then each file read back four
 * ways and compared with what was written. */
static void round_trip(void)
{
	struct wdn_outtree *t = open_tree(path("rt", ""));
	struct wdn_outtree_writer *w = t ? wdn_outtree_writer_new(t, NULL) : NULL;
	struct wdn_buf want[RT_SHAPES];
	int want_members[RT_SHAPES];
	size_t lines[RT_SHAPES], *ends = malloc(8192 * sizeof(*ends));
	struct wdn_err err = { 0 };
	char *name = NULL, part[64], f[512], cmd[2048];
	int k, rc = 0;

	if (!w || !ends) {
		ok(0, "a tree and a writer for the round trips");
		free(ends);
		wdn_outtree_writer_free(w);
		wdn_outtree_close(t);
		return;
	}
	wdn_outtree_begin(w, path("rt-input.json", ""), &err);
	name = strdup(wdn_outtree_name(w));
	for (k = 0; k < RT_SHAPES; k++) {
		size_t n, i, from = 0, chunk = 0;

		wdn_buf_init(&want[k], 0);
		n = rt_pieces(k, &want[k], ends, 8192);
		lines[k] = k == RT_MIB || k == RT_MIB1 || k == RT_SEVERAL || k == RT_BIGLINE ? (k == RT_MIB1 ? n - 1 : n) : 0;
		want_members[k] = 0;
		snprintf(part, sizeof(part), "account=%d/region=r/day=d", k);
		for (i = 0; !rc && i < n; from = ends[i++]) {
			struct wdn_buf *b;

			if (i % 2) { /* copied */
				rc = wdn_outtree_write(w, part, want[k].ptr + from, ends[i] - from, &err);
			} else if (!(b = wdn_outtree_line(w, part, &err))) {
				rc = -1;
			} else {
				wdn_buf_add(b, want[k].ptr + from, ends[i] - from);
				rc = wdn_outtree_wrote(w, &err);
			}
			/* a member each time a part's buffer reaches 1 MiB, and one for the rest */
			if ((chunk += ends[i] - from) >= (1u << 20)) {
				want_members[k]++;
				chunk = 0;
			}
		}
		want_members[k] += chunk > 0;
	}
	ok(!rc, "every shape written (%s)", rc ? err.msg : "ok");
	ok(!wdn_outtree_commit(w, &err), "and committed (%s)", err.msg);
	for (k = 0; k < RT_SHAPES; k++) {
		struct wdn_buf got = WDN_BUF_INIT, seen = WDN_BUF_INIT;
		size_t events = 0;
		int m, r;

		snprintf(f, sizeof(f), "rt/account=%d/region=r/day=d/%s.json.gz", k, name);
		if (k == RT_EMPTY) {
			ok(access(path("%s", f), F_OK) && count_dir(path("rt/account=%d", "0")) < 0,
			   "%s: no file", rt_names[k]);
			wdn_buf_release(&want[k]);
			continue;
		}
		m = members(path("%s", f), &got);
		ok(m == want_members[k] && got.len == want[k].len && !memcmp(got.ptr, want[k].ptr, got.len),
		   "%s: %d gzip member(s) (want %d) decode to the %zu bytes written (got %zu)", rt_names[k], m,
		   want_members[k], want[k].len, got.len);
		snprintf(cmd, sizeof(cmd), "gzip -t '%s'", path("%s", f));
		ok(system(cmd) == 0, "%s: gzip -t passes", rt_names[k]);
		snprintf(cmd, sizeof(cmd), "%s.want", path("%s", f));
		{
			FILE *o = fopen(cmd, "wb");

			if (o) {
				fwrite(want[k].ptr, 1, want[k].len, o);
				fclose(o);
			}
		}
		snprintf(cmd, sizeof(cmd), "zcat '%s' | cmp -s - '%s.want'", path("%s", f), path("%s", f));
		ok(system(cmd) == 0, "%s: zcat gives the bytes written", rt_names[k]);
		r = reread(path("%s", f), &seen, &events);
		ok(seen.len == want[k].len && !memcmp(seen.ptr, want[k].ptr, seen.len),
		   "%s: the reader decodes the %zu bytes written (got %zu)", rt_names[k], want[k].len, seen.len);
		if (lines[k])
			ok(!r && events == lines[k], "%s: and reads its %zu lines as records (got %zu, verdict %d)",
			   rt_names[k], lines[k], events, r);
		wdn_buf_release(&got);
		wdn_buf_release(&seen);
		wdn_buf_release(&want[k]);
	}
	free(ends);
	free(name);
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
}

int main(void)
{
	struct wdn_outtree *t;
	struct wdn_outtree_writer *w;
	const char *tmp = getenv("TMPDIR");

	umask(022);
	snprintf(top, sizeof(top), "%s/t-outtree.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(top)) {
		ok(0, "a scratch directory");
		return done_testing();
	}
	chmod(top, 0755);
	t = open_tree(path("names", ""));
	w = t ? wdn_outtree_writer_new(t, NULL) : NULL;
	ok(w != NULL, "a fresh tree opens");
	if (w)
		names(w);
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
	refusals();
	spill();
	in_place();
	collide_and_links();
	stale();
	round_trip();
	rm_rf(top);
	return done_testing();
}
