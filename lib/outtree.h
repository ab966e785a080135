/*
 * outtree: the partitioned, atomic, resumable output of wdn-enrich -o, into
 * a local directory or under s3://bucket/prefix. Internal to libwdn and its
 * commands; not installed.
 *
 * An input's events go to one gzip file per partition (account=/region=/
 * day=), named STEM.HASH.json.gz after the input: STEM its last name tamed
 * and cut to 64 bytes, HASH 128 bits of SHA-256 of its whole name (a local
 * path made canonical), so every input owns its names and a rerun finds them.
 * Files are written whole or not at all; a marker _whodunnit/done/STEM.HASH
 * follows the last of them, and an input with a marker is done.
 *
 * A local tree must be owned by the user and not writable by group or
 * others; _whodunnit/, its tmp/ and done/ are 0700; no symbolic link in the
 * tree is followed. A run holds an flock on _whodunnit/tmp/ID.lock (ID
 * random, 128 bits) and makes its temp files ID.N with O_EXCL; another run's
 * temp files are removed only when nobody holds that run's lock or its lock
 * file is gone. Memory is bounded whatever the number of partitions: past a
 * budget the largest part spills, as a gzip member, to its temp file, and few
 * temp files are open at once.
 *
 * One wdn_outtree per run, shared by threads; one writer per thread.
 */
#ifndef WDN_OUTTREE_H
#define WDN_OUTTREE_H

#include "wdn.h"

struct wdn_outtree;
struct wdn_outtree_writer;

/* Open (making what is missing) the tree WHERE, a directory or s3:// URL;
 * a local tree is checked, locked for this run and cleaned of stale temp
 * files. Refusals say why in err. */
int wdn_outtree_open(const char *where, struct wdn_outtree **out, struct wdn_err *err);
/* Release the run's lock; every writer must be freed first. NULL is fine. */
void wdn_outtree_close(struct wdn_outtree *t);

/* A writer of inputs into t; aws (borrowed) sends S3 objects. NULL: no memory. */
struct wdn_outtree_writer *wdn_outtree_writer_new(struct wdn_outtree *t, struct wdn_aws *aws);
void wdn_outtree_writer_free(struct wdn_outtree_writer *w); /* drops what is not committed */

/* Start the output of the input named input ("-": standard input, which is
 * never done and gets a name of its own each run). */
int wdn_outtree_begin(struct wdn_outtree_writer *w, const char *input, struct wdn_err *err);
/* "STEM.HASH": what the input begun names its files and marker by. */
const char *wdn_outtree_name(const struct wdn_outtree_writer *w);
/* 1 when the input begun has its marker, 0 when not, < 0 when S3 cannot say. */
int wdn_outtree_done(struct wdn_outtree_writer *w, struct wdn_err *err);
/* Append n bytes (whole lines) to the input's file of partition part. */
int wdn_outtree_write(struct wdn_outtree_writer *w, const char *part, const void *line, size_t n,
		      struct wdn_err *err);
/* The same without a copy: the buffer (owned by w) of partition part, NULL
 * when out of memory. Append whole lines to it (a failed line: restore its
 * length with wdn_buf_setlen), then call wdn_outtree_wrote, before any other
 * call on w; it compresses what is due and reports a failed append. */
struct wdn_buf *wdn_outtree_line(struct wdn_outtree_writer *w, const char *part, struct wdn_err *err);
int wdn_outtree_wrote(struct wdn_outtree_writer *w, struct wdn_err *err);
/* Put every file of the input in place, then its marker. On failure nothing
 * is marked; wdn_outtree_drop then removes what is left. */
int wdn_outtree_commit(struct wdn_outtree_writer *w, struct wdn_err *err);
/* Forget the input's output; what was not committed is removed. */
void wdn_outtree_drop(struct wdn_outtree_writer *w);

#endif
