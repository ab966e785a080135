/* What every wdn-* command shares: common options, JSON output on stdout,
 * warnings and rejected input on stderr, exit statuses (DESIGN.md section 6). */
#ifndef WDN_CLI_H
#define WDN_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "wdn.h"

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
};

/* Set up c and parse options. Returns each command-specific option (its val)
 * with optarg set, -1 at the end; handles common ones and exits on -h, -V or
 * a usage error. */
void cli_init(struct cli *c, const char *prog, const char *synopsis);
int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra);
void cli_usage_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

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

#endif

/*
 * The filter loop wdn-chain and wdn-tags share: each input line is a bare
 * key, an object with AccessKeyId, or a CloudTrail event (its caller's key at
 * its eventTime); the object passes through with the members add() writes
 * (members of the same names in the input are replaced). Output for a line
 * is flushed before the next is read.
 */
typedef void (*cli_add_fn)(yajl_gen g, const struct wdn_answer *a);
void cli_filter(struct cli *c, struct wdn_store *s, int64_t at, cli_add_fn add,
		const char *const *added_names);
/* The whole of a filter command (--at, the common options, stdin to stdout). */
int cli_filter_main(int argc, char **argv, const char *prog, const char *synopsis, cli_add_fn add,
		    const char *const *added_names);

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
