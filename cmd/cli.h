/* What every wdn-* command shares: common options, JSON output on stdout,
 * warnings and rejected input on stderr, and the exit statuses: 0 ok, 1 runtime
 * failure or not found, 2 usage, 3 some input rejected, 4 integrity. */
#ifndef WDN_CLI_H
#define WDN_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "wdn.h"
#include "json.h"
#include "resolve.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_REJECTED = 3, EXIT_INTEGRITY = 4 };

/* Option codes of the common long-only options; commands number theirs from CLI_OPT_CMD. */
enum { CLI_OPT_STORE = 256, CLI_OPT_PROFILE, CLI_OPT_REGION, CLI_OPT_ENDPOINT, CLI_OPT_CMD = 300 };

struct cli {
	const char *prog;
	const char *synopsis;    /* the man page's SYNOPSIS, for --help and usage errors */
	const char *store, *profile, *region, *endpoint;
	int quiet;
	int ttl_days;            /* dynamodb: stores: items expire after this many days */
	int stdout_tty, stderr_tty;
	int status;              /* worst exit status so far */
	FILE *reject;            /* --reject FILE */
	yajl_gen gen;
	int pretty;              /* gen indents, and ends each document with a newline itself */
	struct wdn_buf doc;      /* the document being made: written whole by cli_gen_end, or not */
	unsigned long nomem;     /* wdn_nomem_count() when it was begun */
};

/* Set up c and parse options. Returns each command-specific option (its val)
 * with optarg set, -1 at the end; handles common ones and exits on -h, -V or
 * a usage error. */
void cli_init(struct cli *c, const char *prog, const char *synopsis);
int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra);
void cli_usage_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/*
 * Numbers on the command line, as OpenBSD's strtonum(3) but stricter about
 * the form: decimal digits only (no sign, space, base prefix, fraction or
 * trailing text), from min to max. On failure 0, and *errstr says why
 * ("invalid", "too small", "too large"); NULL on success.
 */
long long cli_strtonum(const char *s, long long min, long long max, const char **errstr);
/* The same for an option's value; anything else is a usage error naming opt. */
long long cli_number(struct cli *c, const char *opt, const char *s, long long min, long long max);

/*
 * Text for people (every diagnostic, wdn-lookup --format text) quotes data:
 * event strings, file names, key lines, AWS messages. cli_text_escape
 * appends s to out so that no terminal acts on it: C0 controls, DEL and
 * bytes that are not UTF-8 as \xNN, a backslash as \\, C1 controls
 * (U+0080-U+009F) and bidirectional formatting controls as \uNNNN, and any
 * other non-ASCII character as \uNNNN (\UNNNNNNNN past U+FFFF) unless the
 * locale (LC_ALL, LC_CTYPE, LANG) is UTF-8. cli_warn and the rest escape
 * their whole message; JSON output escapes DEL and C1 as \u007F-\u009F.
 */
int cli_text_escape(struct wdn_buf *out, const char *s, size_t n);
void cli_text_put(FILE *f, const char *s); /* s escaped; NULL writes nothing */

void cli_warn(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failure that does not stop the run: warn and make the exit status 1. */
void cli_fail(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_status(struct cli *c, int status); /* keep the worst */

/* A rejected record: a warning naming input and record, raw kept for --reject, status 3. */
void cli_reject(struct cli *c, const struct wdn_reject *rej);
int cli_open_reject(struct cli *c, const char *path);

/* JSON output: one object per line, pretty when pretty is set. */
yajl_gen cli_gen(struct cli *c, int pretty);
void cli_gen_end(struct cli *c); /* after each top-level object */
/* Check stdout was really written, then exit with the run's status. */
int cli_exit(struct cli *c);

/* Parse --at: ISO 8601 time, or "now". */
int cli_parse_time(const char *s, int64_t *out);
int cli_open_store(struct cli *c, int flags, struct wdn_store **out);

/* The --lambda (Runtime API) or --sqs QUEUE loop over d, a failure
 * reported; with --sqs, SIGTERM and SIGINT stop it after what is in hand
 * (d->stop is set here). */
int cli_deliver(struct cli *c, struct wdn_delivery *d, int lambda, const char *queue);

#endif

/*
 * Standard input line by line, read by hand: a caller can tell whether
 * another line has arrived already (cli_lines_ready) without waiting, and a
 * line longer than WDN_MAX_RECORD is skipped to its end, never held.
 */
struct cli_lines {
	char buf[65536];
	size_t pos, len;
	int eof;
};
/* The next line into b (its max is the cap): 1, 0 at the end, -1 if it was longer. */
int cli_lines_read(struct cli_lines *in, struct wdn_buf *b);
int cli_lines_ready(struct cli_lines *in);

/*
 * One line of keys, as wdn-lookup, wdn-chain and wdn-tags read them: blank,
 * a bare access key ID, or a JSON object with AccessKeyId; with
 * CLI_KEYLINE_EVENTS also a CloudTrail event (its caller's key, looked up at
 * its eventTime) or an object with no key at all (passed through). A line
 * over WDN_MAX_RECORD bytes or CLI_MAX_VALUES JSON values, or that is none
 * of these, is rejected: a warning names its line number, status 3.
 */
#define CLI_MAX_VALUES (1u << 18) /* a CloudTrail event (256 KB at most) holds fewer */
enum { CLI_KEYLINE_EVENTS = 1 };
struct cli_keyline {
	unsigned long n;      /* line number, from 1 */
	struct wdn_buf text;  /* the line; init with max WDN_MAX_RECORD */
	wdn_json v;           /* the object, or NULL for a bare key */
	const char *key;      /* NULL: nothing to look up */
	int64_t when;         /* look the key up as of this time */
	size_t values;        /* JSON values in the line: what its tree costs */
	int skip;             /* blank or rejected: no output */
};
/* Parse l->text as read (r from cli_lines_read); at is --at. */
void cli_keyline_parse(struct cli *c, struct cli_keyline *l, int r, int64_t at, int flags);
/* Free the tree, and the room of a long line (1000 held could be gigabytes). */
void cli_keyline_clear(struct cli_keyline *l);

/*
 * The filter loop wdn-chain and wdn-tags share: each input line is a bare
 * key, an object with AccessKeyId, or a CloudTrail event (its caller's key at
 * its eventTime); the object passes through with the members add() writes
 * (members of the same names in the input are replaced). Output for a line
 * is flushed before the next is read.
 */
typedef void (*cli_add_fn)(yajl_gen g, const struct wdn_answer *a);
void cli_filter(struct cli *c, struct wdn_store *s, int64_t at, cli_add_fn add,
		const struct wdn_member *added);
/* The whole of a filter command (--at, the common options, stdin to stdout). */
int cli_filter_main(int argc, char **argv, const char *prog, const char *synopsis, cli_add_fn add,
		    const struct wdn_member *added);

/* Inputs as wdn-record and wdn-enrich take them: files, directories
 * (recursively), "-" for stdin, s3://bucket/prefix (every object under it,
 * digest files left out). */
struct cli_input {
	char *name;            /* path, "-", or s3://bucket/key: for messages */
	char *bucket, *key;    /* set for S3 objects */
	uint64_t size;
	int digest;            /* in a CloudTrail-Digest/ folder (collected with sel->digests) */
	int integrity;         /* WDN_INTEGRITY_*, once a verifier decided it */
};
struct cli_inputs {
	struct cli_input *v;
	size_t n, cap;
};
struct cli_select {
	unsigned shard, nshards; /* keep inputs whose name hashes to shard (0-based) of nshards */
	const char *since, *until; /* S3 keys: YYYY/MM/DD bounds on the date in the key */
	int digests;             /* keep S3 digest objects too (marked digest) */
};
#define CLI_MAX_SHARDS 1000000
/* --shard K/N, 1 <= K <= N <= CLI_MAX_SHARDS, strictly; else a usage error. */
void cli_parse_shard(struct cli *c, const char *s, struct cli_select *sel);
/* Is an S3 key within sel's --since/--until (a key with no date is)? */
int cli_key_selected(const struct cli_select *sel, const char *key);
/* Expand operands (none: stdin); failures warn and set the status. */
void cli_inputs_collect(struct cli *c, struct wdn_aws **aws, char **operands, int n,
			const struct cli_select *sel, struct cli_inputs *out);
void cli_inputs_release(struct cli_inputs *in);
/* Stream one input's bytes into a reader (S3 objects through aws). */
int cli_input_read(struct cli *c, struct wdn_aws *aws, const struct cli_input *in,
		   struct wdn_reader *r, struct wdn_err *err);
/* A client for s3:// inputs and outputs, made on first need from the options. */
int cli_aws(struct cli *c, struct wdn_aws **aws);

/* A progress line on stderr for long runs: only when stderr is a terminal
 * and -q was not given, redrawn at most five times a second. */
struct cli_progress {
	size_t done, total;     /* inputs */
	uint64_t events, bytes; /* bytes of the inputs done, as stored (compressed) */
	int64_t started_ms, drawn_ms;
	int shown;
};
void cli_progress(struct cli *c, struct cli_progress *p, int force);
void cli_progress_end(struct cli *c, struct cli_progress *p);
