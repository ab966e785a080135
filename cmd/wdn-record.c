/* wdn-record: store the credential-issuing CloudTrail events of its inputs. */
#include "cli.h"
#include "coverage.h"
#include "datetime.h"
#include "digest.h"
#include "json.h"
#include "recorder.h"
#include "resolve.h"
#include "s3.h"
#include "store.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char synopsis[] =
	"usage: wdn-record [-q] [--store URL] [--reject FILE] [--since DATE] [--until DATE]\n"
	"                  [--public-keys FILE] [--create-table] [--ttl-days N]\n"
	"                  [--profile NAME] [--region REGION] [--endpoint-url URL] [INPUT ...]\n"
	"       wdn-record --lambda [-q] [--store URL] [--reject FILE] [--ttl-days N]\n"
	"                  [--max-messages N]\n"
	"       wdn-record --sqs QUEUE_URL [-q] [--store URL] [--reject FILE] [--ttl-days N]\n"
	"                  [--max-messages N] [--profile NAME] [--region REGION]\n"
	"                  [--endpoint-url URL]\n"
	"       wdn-record --coverage [--store URL] [--profile NAME] [--region REGION]\n"
	"                  [--endpoint-url URL]\n";

enum { OPT_REJECT = CLI_OPT_CMD, OPT_SINCE, OPT_UNTIL, OPT_CREATE, OPT_TTL, OPT_LAMBDA, OPT_SQS,
       OPT_MAX, OPT_KEYS, OPT_COVERAGE };
static const struct option options[] = {
	{ "lambda", no_argument, NULL, OPT_LAMBDA },
	{ "sqs", required_argument, NULL, OPT_SQS },
	{ "max-messages", required_argument, NULL, OPT_MAX },
	{ "create-table", no_argument, NULL, OPT_CREATE },
	{ "ttl-days", required_argument, NULL, OPT_TTL },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "public-keys", required_argument, NULL, OPT_KEYS },
	{ "coverage", no_argument, NULL, OPT_COVERAGE },
	{ NULL, 0, NULL, 0 },
};

/* A group ends after this many inputs, or bytes of them as stored, or when
 * its sightings fill the recorder's memory for them: what a run killed
 * midway loses, and the write-ahead log's growth, stay bounded. */
#define GROUP_INPUTS 64
#define GROUP_BYTES ((uint64_t)64 << 20)

struct run {
	struct cli cli;
	struct wdn_store *store;
	struct wdn_recorder *rec;
	const char *input;
	struct wdn_aws *aws;
	struct cli_progress progress;
	uint64_t inputs, events, rejected, refused;
	int failed;     /* the store failed: stop */
	const char *what; /* what the summary counts: inputs, or messages */
	struct wdn_verifier *verifier;    /* when the inputs hold digest files */
	struct wdn_sha256_stream *sha;    /* hashes each log file as it is read */
	int keys_given;                   /* --public-keys: never ask ListPublicKeys */
	const struct cli_select *sel;
	int grouped;                      /* inputs committed in groups (SQLite) */
	const struct cli_input *group[GROUP_INPUTS]; /* read whole, not yet committed */
	size_t ngroup;
	uint64_t group_bytes;             /* their size as stored (compressed) */
};

#define MAX_TTL_DAYS 36500 /* a hundred years: keep for good by not asking */


static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct run *r = ctx;

	if (rej->untrusted)
		r->refused++;
	else
		r->rejected++;
	cli_reject(&r->cli, rej);
}

static void print_issuance(struct run *r, const struct wdn_issuance *is)
{
	yajl_gen g = cli_gen(&r->cli, 0);

	yajl_gen_map_open(g);
	wdn_issuance_gen_summary(g, is);
	yajl_gen_map_close(g);
	cli_gen_end(&r->cli);
}

static void print_change(struct run *r, const struct wdn_change *c)
{
	yajl_gen g = cli_gen(&r->cli, 0);

	yajl_gen_map_open(g);
	wdn_gen_key(g, "Subject");
	wdn_gen_str(g, c->subject);
	wdn_gen_key(g, "Change");
	wdn_gen_str(g, c->kind);
	wdn_gen_key(g, "Data");
	if (!c->data || wdn_json_gen_text(g, c->data, strlen(c->data)))
		yajl_gen_null(g);
	wdn_gen_key(g, "EventID");
	wdn_gen_str(g, c->event_id);
	wdn_gen_key(g, "Time");
	wdn_gen_time(g, c->time);
	yajl_gen_map_close(g);
	cli_gen_end(&r->cli);
}

static void print_result(struct run *r, const struct wdn_record_result *res)
{
	size_t i;

	if (r->cli.quiet)
		return;
	for (i = 0; i < res->nchanges; i++)
		print_change(r, &res->changes[i]);
	if (res->issuance)
		print_issuance(r, res->issuance);
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct run *r = ctx;
	struct wdn_record_result res;
	struct wdn_err err = { 0 };
	int rc = wdn_recorder_event(r->rec, ev, &res, &err);

	r->progress.events++;
	if (!(r->progress.events & 1023))
		cli_progress(&r->cli, &r->progress, 0);
	if (rc == WDN_EINVAL) {
		/* a malformed issuing event: reject it, keep the rest */
		struct wdn_reject rej = { ev->input, ev->record, ev->line, ev->raw, err.msg, 0 };

		on_reject(r, &rej);
		return 0;
	}
	if (rc) {
		cli_fail(&r->cli, "%s", err.msg);
		r->failed = 1;
		return rc;
	}
	print_result(r, &res);
	return 0;
}

/* The inputs of a group that was never committed: read whole, yet not
 * recorded. A rerun records them. */
static void group_lost(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ngroup; i++)
		cli_fail(&r->cli, "'%s': not recorded: its group of inputs was not committed",
			 r->group[i]->name);
	r->ngroup = 0;
	r->group_bytes = 0;
}

/* Commit the group: its sightings, then the transaction. */
static void commit_group(struct run *r)
{
	struct wdn_err err = { 0 };

	if (wdn_recorder_flush(r->rec, &err)) {
		cli_fail(&r->cli, "%s", err.msg);
		r->failed = 1;
		group_lost(r);
	}
	r->ngroup = 0;
	r->group_bytes = 0;
}

static void record_input(struct run *r, const struct cli_input *in)
{
	struct wdn_err err = { 0 };
	struct wdn_reader *rd = wdn_reader_new(in->name, on_event, on_reject, r);
	uint64_t events;
	uint8_t sha[32];
	int rc, hash = r->sha && strcmp(in->name, "-") && wdn_verifier_expects(r->verifier, in->name, in->key);

	if (!rd) {
		cli_fail(&r->cli, "out of memory");
		r->failed = 1;
		return;
	}
	if (!strcmp(in->name, "-"))
		wdn_reader_allow_empty(rd); /* an empty stdin: nothing to do */
	if (hash) /* the bytes read for events are the bytes hashed: one reading */
		wdn_reader_tee(rd, wdn_sha256_stream_add, r->sha);
	rc = cli_input_read(&r->cli, r->aws, in, rd, &err);
	if (hash && (wdn_sha256_stream_end(r->sha, sha) ||
		     (!rc && wdn_verifier_add_log(r->verifier, in->name, in->bucket, in->key, sha)))) {
		cli_fail(&r->cli, "out of memory");
		r->failed = 1;
	}
	wdn_reader_counts(rd, &events, NULL, NULL);
	wdn_reader_free(rd);
	r->events += events;
	r->inputs++;
	r->progress.done++;
	cli_progress(&r->cli, &r->progress, 0);
	if (rc && !r->failed) {
		/* an input not read whole keeps nothing (its savepoint, or its
		 * transaction, undone), so a rerun once it is whole records it all */
		cli_fail(&r->cli, "reading '%s': %s", in->name, err.msg);
		if (wdn_recorder_discard(r->rec, &err)) {
			cli_fail(&r->cli, "%s", err.msg);
			r->failed = 1;
		}
		return;
	}
	if (!r->failed && wdn_recorder_keep_input(r->rec, &err)) {
		cli_fail(&r->cli, "%s", err.msg);
		r->failed = 1;
	}
	if (!r->grouped)
		return;
	/* if the store failed, as it was read or kept: lost with its group */
	r->group[r->ngroup++] = in;
	r->group_bytes += in->size;
	if (!r->failed && (r->ngroup == GROUP_INPUTS || r->group_bytes >= GROUP_BYTES ||
			   wdn_recorder_group_full(r->rec)))
		commit_group(r);
}

static int add_bytes(void *ctx, const void *p, size_t n)
{
	return wdn_buf_add(ctx, p, n);
}

/* A digest file: read whole (they are small), kept by the verifier. */
static void read_digest(struct run *r, const struct cli_input *in)
{
	struct wdn_buf raw, text, meta;
	struct wdn_err err = { 0 };
	char *sig = NULL, *alg = NULL;
	int rc, fd;

	wdn_buf_init(&raw, WDN_DIGEST_FILE_MAX);
	wdn_buf_init(&text, WDN_DIGEST_FILE_MAX);
	wdn_buf_init(&meta, 64 << 10);
	if (in->bucket) {
		rc = wdn_s3_get_meta(r->aws, in->bucket, in->key, add_bytes, &raw, &meta, &err);
		sig = wdn_s3_meta_get(&meta, "signature");
		alg = wdn_s3_meta_get(&meta, "signature-algorithm");
	} else if ((fd = open(in->name, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = wdn_err_set(&err, WDN_EIO, "%s", strerror(errno));
	} else {
		char buf[64 << 10];
		ssize_t n;

		rc = 0;
		while (!rc && (n = read(fd, buf, sizeof(buf))) != 0)
			if (n < 0 && errno != EINTR)
				rc = wdn_err_set(&err, WDN_EIO, "%s", strerror(errno));
			else if (n > 0 && wdn_buf_add(&raw, buf, (size_t)n))
				rc = wdn_buf_failed(&raw) == WDN_ETOOBIG
					     ? wdn_err_set(&err, WDN_ETOOBIG, "larger than %u bytes", WDN_DIGEST_FILE_MAX)
					     : wdn_err_set(&err, WDN_ENOMEM, "out of memory");
		close(fd);
	}
	if (rc) {
		cli_fail(&r->cli, "reading digest '%s': %s", in->name, err.msg);
	} else {
		/* a digest that does not inflate is kept as it is: it fails as a digest */
		if (wdn_gunzip(raw.ptr, raw.len, &text, &err) && err.code != WDN_ENOMEM) {
			wdn_buf_reset(&text);
			wdn_buf_add(&text, raw.ptr, raw.len);
		}
		/* a digest cut short would fail as tampered: want of memory is no verdict */
		if (wdn_buf_failed(&text) ||
		    wdn_verifier_add_digest(r->verifier, in->name, in->bucket, in->key, text.ptr, text.len,
					    sig, alg)) {
			cli_fail(&r->cli, "out of memory");
			r->failed = 1;
		}
	}
	r->progress.done++;
	free(sig);
	free(alg);
	wdn_buf_release(&raw);
	wdn_buf_release(&text);
	wdn_buf_release(&meta);
}

static void on_finding(void *ctx, const struct wdn_finding *f)
{
	struct run *r = ctx;

	switch (f->kind) {
	case WDN_FINDING_TAMPERED:
		cli_warn(&r->cli, "'%s': tampered: %s", f->source, f->why);
		break;
	case WDN_FINDING_DIGEST:
		cli_warn(&r->cli, "tampered %s", f->why);
		break;
	case WDN_FINDING_MISSING:
		if (!cli_key_selected(r->sel, f->key))
			return; /* outside --since/--until: not read on purpose */
		cli_warn(&r->cli, "'s3://%s/%s': missing: %s", f->bucket, f->key, f->why);
		break;
	default:
		if (f->key)
			cli_warn(&r->cli, "digest chain broken: %s (s3://%s/%s)", f->why, f->bucket, f->key);
		else
			cli_warn(&r->cli, "digest chain broken: %s", f->why);
	}
	cli_status(&r->cli, EXIT_INTEGRITY);
}

struct cover_ctx {
	struct run *r;
	struct wdn_err *err;
};

/* What the digests say was delivered, and which listed logs this run read;
 * a log left out by --since/--until was not read on purpose: not said. */
static int keep_cover(void *ctx, const struct wdn_cover *c)
{
	struct cover_ctx *k = ctx;

	if (c->log && !c->seen && !cli_key_selected(k->r->sel, c->log))
		return 0;
	if (!c->log && c->backfill)
		return 0; /* late files of hours other digests cover */
	return k->r->store->ops->put_cover(k->r->store, c, k->err);
}

/* Each log file's status into the store, and what the digests cover, in one
 * transaction: the answers' provenance and coverage. Unverified is what a
 * source not kept is: nothing to write. */
static void keep_sources(struct run *r, const struct cli_inputs *in)
{
	struct cover_ctx k = { r, NULL };
	struct wdn_store *s = r->store;
	struct wdn_err err = { 0 };
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int rc;

	if ((rc = s->ops->begin(s, &err)))
		goto fail;
	for (i = 0; i < in->n && !rc; i++) {
		const char *why = NULL;

		if (in->v[i].digest || in->v[i].integrity == WDN_INTEGRITY_UNVERIFIED)
			continue;
		wdn_verifier_status(r->verifier, in->v[i].name, &why);
		rc = s->ops->put_source(s, in->v[i].name, in->v[i].integrity, why, now, &err);
	}
	k.err = &err;
	if (!rc && (rc = wdn_verifier_coverage(r->verifier, keep_cover, &k)) == WDN_ENOMEM && !err.code)
		wdn_err_set(&err, rc, "out of memory");
	if (!rc && !(rc = s->ops->commit(s, &err)))
		return;
	s->ops->rollback(s, NULL);
fail:
	cli_fail(&r->cli, "recording the inputs' integrity: %s", err.msg);
	r->failed = 1;
}

/* Once every input is read: keys, then each log file's integrity. */
static void verify(struct run *r, struct cli_inputs *in)
{
	struct wdn_err err = { 0 };
	size_t i;

	if (!r->keys_given && wdn_verifier_fetch_keys(r->verifier, r->cli.profile, r->cli.endpoint, &err))
		cli_fail(&r->cli, "cannot fetch CloudTrail's public keys: %s (digests not verified)", err.msg);
	if (wdn_verifier_finish(r->verifier, on_finding, r)) {
		cli_fail(&r->cli, "out of memory");
		return;
	}
	for (i = 0; i < in->n; i++)
		if (!in->v[i].digest)
			in->v[i].integrity = wdn_verifier_status(r->verifier, in->v[i].name, NULL);
	keep_sources(r, in);
}

/* Read --public-keys FILE into the verifier; exits on failure. */
static void load_keys(struct run *r, const char *path)
{
	struct wdn_buf b;
	struct wdn_err err = { 0 };
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n;

	wdn_buf_init(&b, 16 << 20);
	if (!f) {
		cli_fail(&r->cli, "--public-keys: cannot open '%s': %s", path, strerror(errno));
		exit(cli_exit(&r->cli));
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (wdn_buf_add(&b, buf, n))
			break;
	fclose(f);
	if ((!r->verifier && !(r->verifier = wdn_verifier_new())) ||
	    wdn_verifier_add_keys(r->verifier, b.ptr, b.len, &err)) {
		cli_fail(&r->cli, "--public-keys: '%s': %s", path, r->verifier ? err.msg : "out of memory");
		exit(cli_exit(&r->cli));
	}
	r->keys_given = 1;
	wdn_buf_release(&b);
}

static void on_delivered(void *ctx, const struct wdn_event *ev, const struct wdn_record_result *res)
{
	struct run *r = ctx;

	r->events++;
	print_result(r, res);
	fflush(stdout); /* a long-running loop: each line as it comes */
}

static void on_failed(void *ctx, const char *message, const struct wdn_err *err)
{
	struct run *r = ctx;

	if (err->code != WDN_EINVAL) {
		cli_fail(&r->cli, "'%s': %s", message, err->msg);
		return;
	}
	r->rejected++;
	cli_warn(&r->cli, "'%s': %s", message, err->msg);
	cli_status(&r->cli, EXIT_REJECTED);
}

/* --lambda and --sqs: events delivered rather than read; the loops are in lib/. */
static void deliver(struct run *r, int lambda, const char *queue, uint64_t max)
{
	static char region[32];
	struct wdn_delivery d = { 0 };

	/* the queue's URL names its region */
	if (queue && !r->cli.region && !wdn_sqs_url_region(queue, region))
		r->cli.region = region;
	if (cli_aws(&r->cli, &r->aws))
		return;
	d.rec = r->rec;
	d.aws = r->aws;
	d.on_recorded = on_delivered;
	d.on_reject = on_reject;
	d.on_failed = on_failed;
	d.ctx = r;
	d.max = max;
	cli_deliver(&r->cli, &d, lambda, queue);
	r->inputs = d.messages;
	r->what = "messages";
}

/* --coverage: every gap in what the digests recorded show delivered, one
 * JSON line each, for a cron job to alert on. */
static int print_coverage(struct run *r)
{
	struct wdn_gaps g = { 0 };
	struct wdn_err err = { 0 };
	size_t i;

	if (cli_open_store(&r->cli, 0, &r->store))
		return cli_status(&r->cli, EXIT_FAIL), cli_exit(&r->cli);
	if (wdn_coverage_gaps(r->store, NULL, WDN_TIME_NONE, WDN_TIME_MAX, &g, &err))
		cli_fail(&r->cli, "reading coverage: %s", err.msg);
	for (i = 0; i < g.n; i++) {
		yajl_gen y = cli_gen(&r->cli, 0);

		wdn_gap_gen(y, &g.v[i]);
		cli_gen_end(&r->cli);
	}
	wdn_gaps_release(&g);
	wdn_store_close(r->store);
	return cli_exit(&r->cli);
}

#define MAX_KEY_FILES ((size_t)64) /* --public-keys given */

/* What the options say beyond struct run. */
struct opts {
	struct cli_select sel;
	const char *queue, *keys[MAX_KEY_FILES];
	size_t nkeys;
	uint64_t max;
	int create, ttl_days, lambda, coverage;
};

/* 0, or -1 when the run is over already (--reject could not be opened). */
static int parse_options(struct run *r, struct opts *o, int argc, char **argv)
{
	int64_t t;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt(&r->cli, argc, argv, "", options)) != -1) {
		if (c == OPT_REJECT && cli_open_reject(&r->cli, optarg))
			return -1;
		if ((c == OPT_SINCE || c == OPT_UNTIL) &&
		    (strlen(optarg) != 10 || wdn_time_parse(optarg, 10, &t)))
			cli_usage_error(&r->cli, "--%s: '%s' is not a date (YYYY-MM-DD)",
					c == OPT_SINCE ? "since" : "until", optarg);
		if (c == OPT_CREATE)
			o->create = 1;
		if (c == OPT_TTL)
			o->ttl_days = (int)cli_number(&r->cli, "--ttl-days", optarg, 1, MAX_TTL_DAYS);
		if (c == OPT_SINCE)
			o->sel.since = optarg;
		if (c == OPT_UNTIL)
			o->sel.until = optarg;
		if (c == OPT_LAMBDA)
			o->lambda = 1;
		if (c == OPT_COVERAGE)
			o->coverage = 1;
		if (c == OPT_SQS)
			o->queue = optarg;
		if (c == OPT_MAX)
			o->max = (uint64_t)cli_number(&r->cli, "--max-messages", optarg, 1, INT64_MAX);
		if (c == OPT_KEYS && o->nkeys < MAX_KEY_FILES)
			o->keys[o->nkeys++] = optarg;
		else if (c == OPT_KEYS)
			cli_usage_error(&r->cli, "--public-keys: at most %zu files", MAX_KEY_FILES);
	}
	return 0;
}

/* Options that do not go together: usage errors. */
static void check_options(struct run *r, const struct opts *o, int operands)
{
	int stream = o->lambda || o->queue;

	if (stream && (operands || (o->lambda && o->queue)))
		cli_usage_error(&r->cli, "--lambda and --sqs take no INPUT, and not each other");
	if (o->max && !stream)
		cli_usage_error(&r->cli, "--max-messages is for --lambda and --sqs");
	if (o->nkeys && stream)
		cli_usage_error(&r->cli, "--public-keys is for INPUTs, not --lambda or --sqs");
}

/* --create-table, --ttl-days: the DynamoDB table; -1 when the run is over. */
static int prepare_table(struct run *r, const struct opts *o)
{
	const char *url = r->cli.store ? r->cli.store : getenv("WDN_STORE");
	struct wdn_store_opts so = { r->cli.profile, r->cli.region, r->cli.endpoint, o->ttl_days };
	struct wdn_err err = { 0 };

	if (!o->create && !o->ttl_days)
		return 0;
	if (!url || strncmp(url, "dynamodb:", 9) || !url[9])
		cli_usage_error(&r->cli, "--create-table and --ttl-days need --store dynamodb:TABLE");
	if (o->create && wdn_store_dynamodb_create(url + 9, &so, &err)) {
		cli_fail(&r->cli, "creating table '%s': %s", url + 9, err.msg);
		return -1;
	}
	r->cli.ttl_days = o->ttl_days;
	return 0;
}

/* The INPUTs: digests first (they are few and small, and say which logs
 * to hash), then the logs, then what the digests say of them. */
static void record_inputs(struct run *r, struct cli_select *sel, char **operands, int n)
{
	struct cli_inputs in;
	size_t i;

	/* inputs that can be read again: a key's uses may fold over the whole
	 * run (DynamoDB), and inputs be committed in groups (SQLite) */
	wdn_recorder_hold_sightings(r->rec, 1);
	r->grouped = wdn_recorder_group(r->rec, 1);
	sel->digests = 1;
	r->sel = sel;
	cli_inputs_collect(&r->cli, &r->aws, operands, n, sel, &in);
	r->progress.total = in.n;
	for (i = 0; i < in.n && !r->failed; i++)
		if (in.v[i].digest && ((!r->verifier && !(r->verifier = wdn_verifier_new())) ||
				       (!r->sha && !(r->sha = wdn_sha256_stream_new())))) {
			cli_fail(&r->cli, "out of memory");
			r->failed = 1;
		}
	for (i = 0; i < in.n && !r->failed; i++)
		if (in.v[i].digest)
			read_digest(r, &in.v[i]);
	for (i = 0; i < in.n && !r->failed; i++)
		if (!in.v[i].digest)
			record_input(r, &in.v[i]);
	wdn_recorder_hold_sightings(r->rec, 0);
	if (r->failed)
		group_lost(r); /* the store failed, or memory: the group is rolled back */
	else
		commit_group(r);
	wdn_recorder_group(r->rec, 0);
	cli_progress_end(&r->cli, &r->progress);
	if (!r->failed && r->sha)
		verify(r, &in);
	cli_inputs_release(&in);
}

static void print_summary(struct run *r)
{
	uint64_t issuances, sightings, changes, nd, v, tm, u;

	if (r->cli.quiet)
		return;
	wdn_recorder_counts(r->rec, &issuances, &sightings, &changes);
	fprintf(stderr, "wdn-record: %llu %s, %llu events, %llu issuances, "
		"%llu changes, %llu keys seen, %llu rejected, %llu refused\n", (unsigned long long)r->inputs,
		r->what, (unsigned long long)r->events, (unsigned long long)issuances,
		(unsigned long long)changes, (unsigned long long)sightings,
		(unsigned long long)r->rejected, (unsigned long long)r->refused);
	if (!r->sha)
		return;
	wdn_verifier_counts(r->verifier, &nd, &v, &tm, &u);
	u = r->inputs - v - tm; /* and those no digest lists: never hashed */
	fprintf(stderr, "wdn-record: %llu digests; log files %llu verified, %llu tampered, "
		"%llu unverified\n", (unsigned long long)nd, (unsigned long long)v,
		(unsigned long long)tm, (unsigned long long)u);
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	struct opts o;
	size_t i;

	cli_init(&r.cli, "wdn-record", synopsis);
	if (parse_options(&r, &o, argc, argv))
		return cli_exit(&r.cli);
	if (o.coverage && (optind < argc || o.lambda || o.queue || o.nkeys || o.create || o.ttl_days ||
			   o.max || o.sel.since || o.sel.until || r.cli.reject))
		cli_usage_error(&r.cli, "--coverage takes no INPUT and no recording option");
	if (o.coverage)
		return print_coverage(&r);
	/* after the options: --help and usage errors come first */
	for (i = 0; i < o.nkeys; i++)
		load_keys(&r, o.keys[i]);
	check_options(&r, &o, optind < argc);
	if (prepare_table(&r, &o))
		return cli_exit(&r.cli);
	if (cli_open_store(&r.cli, WDN_STORE_CREATE | WDN_STORE_BULK, &r.store)) {
		if (o.lambda)
			wdn_lambda_init_error("whodunnit.StoreFailed", "cannot open the store", NULL);
		return cli_status(&r.cli, EXIT_FAIL), cli_exit(&r.cli);
	}
	if (!(r.rec = wdn_recorder_new(r.store))) {
		cli_fail(&r.cli, "out of memory");
	} else {
		r.what = "inputs";
		if (o.lambda || o.queue)
			deliver(&r, o.lambda, o.queue, o.max);
		else
			record_inputs(&r, &o.sel, argv + optind, argc - optind);
		print_summary(&r);
	}
	wdn_recorder_free(r.rec);
	wdn_store_close(r.store);
	wdn_aws_free(r.aws);
	wdn_verifier_free(r.verifier);
	wdn_sha256_stream_free(r.sha);
	return cli_exit(&r.cli);
}
