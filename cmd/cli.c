/* Shared command-line plumbing for the wdn-* commands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

void cli_init(struct cli *c, const char *prog, const char *synopsis)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->synopsis = synopsis;
	c->stdout_tty = isatty(1);
	c->stderr_tty = isatty(2);
}

/* Severity, least first: ok, some input rejected, a failure, a usage error. */
static int severity(int status)
{
	return status == EXIT_OK ? 0 : status == EXIT_REJECTED ? 1 : status == EXIT_FAIL ? 2 : 3;
}

void cli_status(struct cli *c, int status)
{
	if (severity(status) > severity(c->status))
		c->status = status;
}

static void vwarn(struct cli *c, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", c->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(c, fmt, ap);
	va_end(ap);
}

void cli_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(c, fmt, ap);
	va_end(ap);
	cli_status(c, EXIT_FAIL);
}

void cli_usage_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(c, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s", c->synopsis);
	exit(EXIT_USAGE);
}

static const struct option common[] = {
	{ "store", required_argument, NULL, CLI_OPT_STORE },
	{ "profile", required_argument, NULL, CLI_OPT_PROFILE },
	{ "region", required_argument, NULL, CLI_OPT_REGION },
	{ "endpoint-url", required_argument, NULL, CLI_OPT_ENDPOINT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))

int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra)
{
	static struct option all[64];
	static char shorts[64];
	size_t n = 0, i;
	int o;

	argv[0] = (char *)c->prog; /* getopt names the command in its messages */
	if (!all[0].name) {
		for (i = 0; i < NCOMMON; i++)
			all[n++] = common[i];
		for (i = 0; extra && extra[i].name && n < 63; i++)
			all[n++] = extra[i];
		snprintf(shorts, sizeof(shorts), "qhV%s", shortopts ? shortopts : "");
	}
	while ((o = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		switch (o) {
		case CLI_OPT_STORE: c->store = optarg; break;
		case CLI_OPT_PROFILE: c->profile = optarg; break;
		case CLI_OPT_REGION: c->region = optarg; break;
		case CLI_OPT_ENDPOINT: c->endpoint = optarg; break;
		case 'q': c->quiet = 1; break;
		case 'h':
			printf("%s", c->synopsis);
			exit(EXIT_OK);
		case 'V':
			printf("%s (whodunnit) %s\n", c->prog, WDN_VERSION);
			exit(EXIT_OK);
		case '?':
			fprintf(stderr, "%s", c->synopsis);
			exit(EXIT_USAGE);
		default:
			return o;
		}
	}
	return -1;
}

int cli_open_reject(struct cli *c, const char *path)
{
	if (!(c->reject = fopen(path, "a"))) {
		cli_fail(c, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void cli_reject(struct cli *c, const struct wdn_reject *rej)
{
	if (rej->record)
		cli_warn(c, "'%s': record %llu (line %llu): %s", rej->input,
			 (unsigned long long)rej->record, (unsigned long long)rej->line, rej->msg);
	else
		cli_warn(c, "'%s': %s", rej->input, rej->msg);
	if (c->reject && rej->raw.len) {
		fwrite(rej->raw.ptr, 1, rej->raw.len, c->reject);
		if (rej->raw.ptr[rej->raw.len - 1] != '\n')
			fputc('\n', c->reject);
	}
	cli_status(c, EXIT_REJECTED);
}

static void print_stdout(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

yajl_gen cli_gen(struct cli *c, int pretty)
{
	if (!c->gen) {
		if (!(c->gen = yajl_gen_alloc(NULL))) {
			cli_fail(c, "out of memory");
			exit(cli_exit(c));
		}
		yajl_gen_config(c->gen, yajl_gen_print_callback, print_stdout, NULL);
		if (pretty) {
			yajl_gen_config(c->gen, yajl_gen_beautify, 1);
			yajl_gen_config(c->gen, yajl_gen_indent_string, "  ");
		}
	}
	return c->gen;
}

void cli_gen_end(struct cli *c)
{
	yajl_gen_reset(c->gen, NULL);
	/* yajl ends a beautified document with a newline already */
	if (!c->stdout_tty || !c->gen)
		fputc('\n', stdout);
}

int cli_exit(struct cli *c)
{
	if (c->gen)
		yajl_gen_free(c->gen);
	if (c->reject && fclose(c->reject))
		cli_fail(c, "writing the reject file: %s", strerror(errno));
	if (fflush(stdout) || ferror(stdout) || fclose(stdout)) {
		cli_warn(c, "write error on standard output: %s", strerror(errno));
		c->status = EXIT_FAIL;
	}
	return c->status;
}

int cli_parse_time(const char *s, int64_t *out)
{
	if (!strcmp(s, "now")) {
		*out = wdn_time_now();
		return 0;
	}
	return wdn_time_parse(s, strlen(s), out);
}

int cli_open_store(struct cli *c, int flags, struct wdn_store **out)
{
	struct wdn_err err = { 0 };
	struct wdn_store_opts o = { c->profile, c->region, c->endpoint, c->ttl_days };
	int rc = wdn_store_open(c->store, flags, &o, out, &err);

	if (rc && !(c->quiet && rc == WDN_ENOTFOUND))
		cli_warn(c, "%s", err.msg);
	return rc;
}

/* A member the filter writes itself: the input's own, in any case (a
 * case-insensitive reader would take it for ours), is left out. */
static int is_added(const char *k, const char *const *names)
{
	for (; *names; names++)
		if (wdn_json_name_is(k, strlen(k), 0, *names))
			return 1;
	return 0;
}

/* Standard input, read by hand so that we know whether more is there
 * already: lines that have arrived are resolved together, and a line that
 * has not never holds up the answers before it. */
struct in {
	char buf[65536];
	size_t pos, len;
	int eof;
};

static int in_getc(struct in *in)
{
	if (in->pos == in->len) {
		ssize_t n;

		if (in->eof)
			return EOF;
		while ((n = read(0, in->buf, sizeof(in->buf))) < 0 && errno == EINTR)
			;
		if (n <= 0) {
			in->eof = 1;
			return EOF;
		}
		in->pos = 0;
		in->len = (size_t)n;
	}
	return (unsigned char)in->buf[in->pos++];
}

/* Can a line be read without waiting for the writer? */
static int in_ready(struct in *in)
{
	struct pollfd p = { 0, POLLIN, 0 };

	return in->pos < in->len || (!in->eof && poll(&p, 1, 0) > 0);
}

/* Read a line of at most max bytes into b; 0 at EOF, -1 if it was longer. */
static int read_line(struct in *in, struct wdn_buf *b)
{
	int ch, over = 0;

	wdn_buf_reset(b);
	while ((ch = in_getc(in)) != EOF) {
		if (ch == '\n')
			return over ? -1 : 1;
		if (!over && wdn_buf_addc(b, (char)ch))
			over = 1;
	}
	return over ? -1 : b->len > 0;
}

#define FILTER_BATCH 1000             /* lines resolved together, at most */
#define FILTER_BATCH_BYTES (16u << 20) /* and their bytes */

/* One input line of a filter, parsed, waiting for its answer. */
struct filter_line {
	unsigned long n;
	struct wdn_buf text;
	wdn_json v;        /* an object, or NULL for a bare key */
	const char *key;   /* NULL: nothing to resolve (rejected, or no key) */
	int64_t when;
	int skip;          /* rejected or blank: no output */
};

/* Parse a line: its key and time, or a warning and skip. */
static void filter_parse(struct cli *c, struct filter_line *l, int r, int64_t at)
{
	struct wdn_err err = { 0 };
	const char *p = l->text.ptr;

	l->v = NULL;
	l->key = NULL;
	l->when = at;
	l->skip = 1;
	if (r < 0) {
		cli_warn(c, "-: line %lu: longer than %u bytes", l->n, WDN_MAX_RECORD);
		cli_status(c, EXIT_REJECTED);
		return;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (!*p)
		return;
	if (*p == '{') {
		const char *t;

		if (!(l->v = wdn_json_parse(l->text.ptr, l->text.len, &err)) || !YAJL_IS_OBJECT(l->v)) {
			cli_warn(c, "-: line %lu: %s", l->n, l->v ? "not a JSON object" : err.msg);
			cli_status(c, EXIT_REJECTED);
			wdn_json_free(l->v);
			l->v = NULL;
			return;
		}
		/* an event: its caller's key, at its own time */
		if ((l->key = wdn_json_str(l->v, "userIdentity.accessKeyId")) &&
		    (t = wdn_json_str(l->v, "eventTime")) && wdn_time_parse(t, strlen(t), &l->when))
			l->when = at;
		if (!l->key || !*l->key)
			l->key = wdn_json_str(l->v, "AccessKeyId");
	} else {
		l->text.ptr[strcspn(l->text.ptr, " \t\r")] = '\0';
		l->key = p;
	}
	if (l->key && *l->key && !wdn_key_valid(l->key)) {
		cli_warn(c, "-: line %lu: '%.40s' is not an access key ID", l->n, l->key);
		cli_status(c, EXIT_REJECTED);
		wdn_json_free(l->v);
		l->v = NULL;
		l->key = NULL;
		return;
	}
	if (l->key && !*l->key)
		l->key = NULL;
	l->skip = 0;
}

/* Write a line's object: its members, and the answer's unless it has no key. */
static void filter_answer(struct cli *c, struct wdn_store *s, struct filter_line *l,
			  cli_add_fn add, const char *const *added_names)
{
	struct wdn_answer a;
	struct wdn_err err = { 0 };
	yajl_gen g = cli_gen(c, 0);
	size_t i;

	yajl_gen_map_open(g);
	if (l->v) {
		for (i = 0; i < l->v->u.object.len; i++) {
			if (l->key && is_added(l->v->u.object.keys[i], added_names))
				continue;
			wdn_gen_key(g, l->v->u.object.keys[i]);
			wdn_json_gen(g, l->v->u.object.values[i]);
		}
	} else {
		wdn_gen_key(g, "AccessKeyId");
		wdn_gen_str(g, l->key);
	}
	/* an event made without a key (an AWS service, a console sign-in)
	 * passes through as it is */
	if (l->key) {
		if (wdn_resolve(s, l->key, l->when, &a, &err))
			cli_fail(c, "-: line %lu: looking up '%s': %s", l->n, l->key, err.msg);
		else
			add(g, &a);
		wdn_answer_release(&a);
	}
	yajl_gen_map_close(g);
	cli_gen_end(c);
}

void cli_filter(struct cli *c, struct wdn_store *s, int64_t at, cli_add_fn add,
		const char *const *added_names)
{
	static struct in in;
	struct filter_line *batch = calloc(FILTER_BATCH, sizeof(*batch));
	const char **keys = calloc(FILTER_BATCH, sizeof(*keys));
	int64_t *whens = calloc(FILTER_BATCH, sizeof(*whens));
	unsigned long n = 0;
	size_t i, nb = 0, bytes, nk;
	int r = 1;

	if (!batch || !keys || !whens) {
		cli_fail(c, "out of memory");
		goto out;
	}
	for (i = 0; i < FILTER_BATCH; i++)
		wdn_buf_init(&batch[i].text, WDN_MAX_RECORD);
	while (r) {
		/* the lines already there, at least one */
		for (nb = 0, bytes = 0; nb < FILTER_BATCH && bytes < FILTER_BATCH_BYTES &&
					(nb == 0 || in_ready(&in)); nb++) {
			struct filter_line *l = &batch[nb];

			if (!(r = read_line(&in, &l->text)))
				break;
			l->n = ++n;
			bytes += l->text.len;
			filter_parse(c, l, r, at);
		}
		for (i = 0, nk = 0; i < nb; i++)
			if (!batch[i].skip && batch[i].key) {
				keys[nk] = batch[i].key;
				whens[nk++] = batch[i].when;
			}
		/* a store failing here is told again, line by line, below */
		wdn_resolve_prefetch(s, keys, whens, NULL, nk, NULL);
		for (i = 0; i < nb; i++) {
			if (!batch[i].skip)
				filter_answer(c, s, &batch[i], add, added_names);
			wdn_json_free(batch[i].v);
			batch[i].v = NULL;
			/* a long line's room is not kept for the next batch: 1000 of
			 * them could hold gigabytes */
			if (batch[i].text.cap > (64u << 10))
				wdn_buf_release(&batch[i].text);
		}
		fflush(stdout);
	}
out:
	for (i = 0; batch && i < FILTER_BATCH; i++)
		wdn_buf_release(&batch[i].text);
	free(batch);
	free(keys);
	free(whens);
}

int cli_aws(struct cli *c, struct wdn_aws **aws)
{
	struct wdn_err err = { 0 };

	if (*aws)
		return 0;
	if (wdn_aws_new(c->profile, c->region, c->endpoint, aws, &err)) {
		cli_fail(c, "%s", err.msg);
		return -1;
	}
	return 0;
}

static int add_input(struct cli_inputs *in, const char *name, const char *bucket, const char *key,
		     uint64_t size)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 64;
		struct cli_input *nv = realloc(in->v, cap * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		in->v = nv;
		in->cap = cap;
	}
	in->v[in->n].name = wdn_strdup(name);
	in->v[in->n].bucket = wdn_strdup(bucket);
	in->v[in->n].key = wdn_strdup(key);
	in->v[in->n].size = size;
	in->n++;
	return 0;
}

struct collect {
	struct cli_inputs *out;
	const struct cli_select *sel;
	const char *bucket;
};

static int selected(const struct cli_select *sel, const char *name)
{
	return !sel || sel->nshards <= 1 || wdn_hash_str(name) % sel->nshards == sel->shard;
}

static int collect_file(void *ctx, const char *path)
{
	struct collect *k = ctx;
	struct stat st;

	if (!selected(k->sel, path))
		return 0;
	return add_input(k->out, path, NULL, NULL, stat(path, &st) ? 0 : (uint64_t)st.st_size);
}

/* The date in a CloudTrail object key: .../CloudTrail/REGION/YYYY/MM/DD/... as "YYYY/MM/DD". */
static int key_date(const char *key, char out[11])
{
	const char *p = strstr(key, "/CloudTrail/");

	if (!p || !(p = strchr(p + 12, '/')))
		return -1;
	p++;
	if (strlen(p) < 10 || p[4] != '/' || p[7] != '/')
		return -1;
	memcpy(out, p, 10);
	out[10] = '\0';
	return 0;
}

/* A --since/--until bound as "YYYY/MM/DD" (it is given as YYYY-MM-DD). */
static void bound(const char *b, char out[11])
{
	size_t i;

	for (i = 0; i < 10 && b[i]; i++)
		out[i] = b[i] == '-' ? '/' : b[i];
	out[i] = '\0';
}

static int collect_object(void *ctx, const struct wdn_s3_object *o)
{
	struct collect *k = ctx;
	struct wdn_buf name = WDN_BUF_INIT;
	char d[11], b[11];
	int rc = 0;

	if (strstr(o->key, "CloudTrail-Digest") || (o->key[0] && o->key[strlen(o->key) - 1] == '/'))
		return 0; /* digests vouch for logs and hold no events; "folders" hold nothing */
	if (k->sel && (k->sel->since || k->sel->until) && !key_date(o->key, d)) {
		if (k->sel->since && (bound(k->sel->since, b), strcmp(d, b) < 0))
			return 0;
		if (k->sel->until && (bound(k->sel->until, b), strcmp(d, b) > 0))
			return 0;
	}
	wdn_buf_addf(&name, "s3://%s/%s", k->bucket, o->key);
	if (selected(k->sel, name.ptr))
		rc = add_input(k->out, name.ptr, k->bucket, o->key, o->size);
	wdn_buf_release(&name);
	return rc;
}

void cli_inputs_collect(struct cli *c, struct wdn_aws **aws, char **operands, int n,
			const struct cli_select *sel, struct cli_inputs *out)
{
	struct wdn_err err = { 0 };
	struct collect k = { out, sel, NULL };
	int i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		add_input(out, "-", NULL, NULL, 0);
	for (i = 0; i < n; i++) {
		if (!strcmp(operands[i], "-")) {
			add_input(out, "-", NULL, NULL, 0);
		} else if (!strncmp(operands[i], "s3://", 5)) {
			char *bucket, *prefix;

			if (wdn_s3_parse_url(operands[i], &bucket, &prefix, &err)) {
				cli_fail(c, "%s", err.msg);
				continue;
			}
			k.bucket = bucket;
			if (!cli_aws(c, aws) && wdn_s3_list(*aws, bucket, prefix, NULL, collect_object, &k, &err))
				cli_fail(c, "%s", err.msg);
			free(bucket);
			free(prefix);
		} else if (wdn_input_walk(operands[i], collect_file, &k, &err)) {
			cli_fail(c, "%s", err.msg);
		}
	}
}

void cli_inputs_release(struct cli_inputs *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].bucket);
		free(in->v[i].key);
	}
	free(in->v);
	memset(in, 0, sizeof(*in));
}

static int feed_reader(void *ctx, const void *p, size_t n)
{
	return wdn_reader_feed(ctx, p, n);
}

int cli_input_read(struct cli *c, struct wdn_aws *aws, const struct cli_input *in,
		   struct wdn_reader *r, struct wdn_err *err)
{
	int fd, rc;

	(void)c;
	if (in->bucket) {
		if ((rc = wdn_s3_get(aws, in->bucket, in->key, feed_reader, r, err)))
			return rc;
		return wdn_reader_finish(r);
	}
	if (!strcmp(in->name, "-"))
		return wdn_reader_read_fd(r, 0, err);
	if ((fd = open(in->name, O_RDONLY | O_CLOEXEC)) < 0)
		return wdn_err_set(err, WDN_EIO, "cannot open '%s': %s", in->name, strerror(errno));
	rc = wdn_reader_read_fd(r, fd, err);
	close(fd);
	return rc;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_progress(struct cli *c, struct cli_progress *p, int force)
{
	int64_t t = now_ms(), el;
	double rate, eta;
	char bar[21];
	size_t i, fill;

	if (!c->stderr_tty || c->quiet)
		return;
	if (!p->started_ms)
		p->started_ms = t;
	if (!force && t - p->drawn_ms < 200)
		return;
	p->drawn_ms = t;
	el = t - p->started_ms;
	fill = p->total ? p->done * 20 / p->total : 0;
	for (i = 0; i < 20; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[20] = '\0';
	rate = el > 0 ? (double)p->events * 1000.0 / (double)el : 0;
	eta = p->done && p->total > p->done ? (double)el / 1000.0 / (double)p->done * (double)(p->total - p->done) : 0;
	fprintf(stderr, "\r%s: [%s] %zu/%zu inputs, %.1f MB, %llu events, %.0f events/s, ETA %.0fs  ",
		c->prog, bar, p->done, p->total, (double)p->bytes / 1e6, (unsigned long long)p->events,
		rate, eta);
	p->shown = 1;
}

void cli_progress_end(struct cli *c, struct cli_progress *p)
{
	if (p->shown) {
		cli_progress(c, p, 1);
		fputc('\n', stderr);
	}
}

int cli_filter_main(int argc, char **argv, const char *prog, const char *synopsis, cli_add_fn add,
		    const char *const *added_names)
{
	static const struct option options[] = {
		{ "at", required_argument, NULL, CLI_OPT_CMD },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	struct wdn_store *s = NULL;
	int64_t at = WDN_TIME_MAX;
	int o;

	cli_init(&c, prog, synopsis);
	while ((o = cli_getopt(&c, argc, argv, "", options)) != -1)
		if (o == CLI_OPT_CMD && cli_parse_time(optarg, &at))
			cli_usage_error(&c, "--at: '%s' is not a time", optarg);
	if (optind < argc)
		cli_usage_error(&c, "unexpected operand '%s' (keys come on standard input)", argv[optind]);
	if (cli_open_store(&c, 0, &s))
		cli_status(&c, EXIT_FAIL); /* still pass every line through */
	cli_filter(&c, s, at, add, added_names);
	wdn_store_close(s);
	return cli_exit(&c);
}
