/* Shared command-line plumbing for the wdn-* commands. */
#include "cli.h"
#include "datetime.h"
#include "json.h"
#include "batch.h"
#include "resolve.h"
#include "s3.h"
#include "s3key.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* ---- text for people ------------------------------------------------------ */

static int text_utf8; /* the locale's character set is UTF-8: set by cli_init */

static int locale_utf8(void)
{
	const char *v = getenv("LC_ALL");

	if (!v || !*v)
		v = getenv("LC_CTYPE");
	if (!v || !*v)
		v = getenv("LANG");
	return v && (strcasestr(v, "UTF-8") || strcasestr(v, "UTF8"));
}

/* The strict UTF-8 character at p (n bytes left): its length and code
 * point, or 0 when it is none (overlong, a surrogate, past U+10FFFF, cut). */
static size_t utf8_char(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that reorder what a reader sees (U+202E shows "gpj.exe" as "exe.jpg"). */
static int bidi_control(uint32_t c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

int cli_text_escape(struct wdn_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;
	uint32_t c;
	int rc = 0;

	while (i < n && !rc) {
		if (!(len = utf8_char(p + i, n - i, &c)))
			rc = wdn_buf_addf(out, "\\x%02x", p[i]), len = 1;
		else if (c == '\\')
			rc = wdn_buf_add(out, "\\\\", 2);
		else if (c < 0x20 || c == 0x7f)
			rc = wdn_buf_addf(out, "\\x%02x", (unsigned)c);
		else if (c < 0x80 || (text_utf8 && c > 0x9f && !bidi_control(c)))
			rc = wdn_buf_add(out, p + i, len);
		else
			rc = wdn_buf_addf(out, c > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)c);
		i += len;
	}
	return rc;
}

void cli_text_put(FILE *f, const char *s)
{
	struct wdn_buf b = WDN_BUF_INIT;

	if (!s)
		return;
	if (cli_text_escape(&b, s, strlen(s)))
		fputs("(?)", f); /* out of memory: nothing rather than the raw bytes */
	else
		fwrite(b.ptr, 1, b.len, f);
	wdn_buf_release(&b);
}

/* Every diagnostic: the message (which quotes data) escaped, as one write. */
static void vwarn(struct cli *c, const char *fmt, va_list ap)
{
	struct wdn_buf msg = WDN_BUF_INIT, line = WDN_BUF_INIT;

	if (wdn_buf_vaddf(&msg, fmt, ap) || wdn_buf_addf(&line, "%s: ", c->prog) ||
	    cli_text_escape(&line, msg.ptr, msg.len) || wdn_buf_addc(&line, '\n'))
		fprintf(stderr, "%s: out of memory writing a message\n", c->prog);
	else
		fwrite(line.ptr, 1, line.len, stderr);
	wdn_buf_release(&msg);
	wdn_buf_release(&line);
}

void cli_init(struct cli *c, const char *prog, const char *synopsis)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->synopsis = synopsis;
	c->stdout_tty = isatty(1);
	c->stderr_tty = isatty(2);
	wdn_buf_init(&c->doc, 0);
	text_utf8 = locale_utf8();
}

/* Severity, least first: ok, some input rejected, an integrity finding, a
 * failure, a usage error. */
static int severity(int status)
{
	return status == EXIT_OK ? 0 : status == EXIT_REJECTED ? 1 : status == EXIT_INTEGRITY ? 2 :
	       status == EXIT_FAIL ? 3 : 4;
}

void cli_status(struct cli *c, int status)
{
	if (severity(status) > severity(c->status))
		c->status = status;
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

static long long strtonum_n(const char *s, size_t n, long long min, long long max, const char **errstr)
{
	unsigned long long v = 0;
	size_t i;

	*errstr = "invalid";
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (!n)
		return 0;
	*errstr = "too large";
	if (n > 19)
		return 0;
	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0'); /* 19 digits fit in 64 bits */
	*errstr = NULL;
	if (v < (unsigned long long)(min < 0 ? 0 : min))
		*errstr = "too small";
	else if (v > (unsigned long long)max)
		*errstr = "too large";
	return *errstr ? 0 : (long long)v;
}

long long cli_strtonum(const char *s, long long min, long long max, const char **errstr)
{
	return strtonum_n(s, strlen(s), min, max, errstr);
}

long long cli_number(struct cli *c, const char *opt, const char *s, long long min, long long max)
{
	const char *why;
	long long v = cli_strtonum(s, min, max, &why);

	if (why)
		cli_usage_error(c, "%s: '%s' is %s (a whole number from %lld to %lld)", opt, s, why, min, max);
	return v;
}

void cli_parse_shard(struct cli *c, const char *s, struct cli_select *sel)
{
	const char *slash = strchr(s, '/'), *why = "invalid";
	long long k = 0, n = 0;

	if (slash && (n = strtonum_n(slash + 1, strlen(slash + 1), 1, CLI_MAX_SHARDS, &why), !why))
		k = strtonum_n(s, (size_t)(slash - s), 1, n, &why);
	if (why)
		cli_usage_error(c, "--shard: '%s' is %s (K/N with 1 <= K <= N <= %d)", s, why, CLI_MAX_SHARDS);
	sel->shard = (unsigned)k - 1;
	sel->nshards = (unsigned)n;
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

/* getopt's own message would quote the argument raw: ours goes through vwarn. */
static void __attribute__((noreturn)) bad_option(struct cli *c, char **argv, int o, int before)
{
	/* a long option, or the last of a cluster, has been stepped over */
	const char *arg = argv[optind > before ? optind - 1 : optind];
	int n = (int)strcspn(arg, "=");

	if (strncmp(arg, "--", 2))
		cli_usage_error(c, o == ':' ? "option requires an argument -- '%c'" :
			"invalid option -- '%c'", optopt);
	if (o == ':')
		cli_usage_error(c, "option '%.*s' requires an argument", n, arg);
	if (optopt && arg[n])
		cli_usage_error(c, "option '%.*s' doesn't allow an argument", n, arg);
	cli_usage_error(c, "unrecognized option '%.*s'", n, arg);
}

int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra)
{
	static struct option all[64];
	static char shorts[64];
	size_t n = 0, i;
	int o, before = optind;

	argv[0] = (char *)c->prog;
	opterr = 0;
	if (!all[0].name) {
		for (i = 0; i < NCOMMON; i++)
			all[n++] = common[i];
		for (i = 0; extra && extra[i].name && n < 63; i++)
			all[n++] = extra[i];
		snprintf(shorts, sizeof(shorts), ":qhV%s", shortopts ? shortopts : "");
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
		case ':':
			bad_option(c, argv, o, before);
		default:
			return o;
		}
		before = optind;
	}
	return -1;
}

/*
 * Rejected records are raw input, session tokens and all: the file is the
 * user's own and private. Made 0600 whatever the umask; an existing regular
 * file of ours that others could read is narrowed to 0600; one another user
 * owns is refused. Anything else (/dev/stderr, a pipe) is used as it is.
 */
/*
 * A symlink is followed only when we or root own it (/dev/stderr), so one
 * planted by another user cannot point us at a file of ours. O_NONBLOCK
 * keeps another user's FIFO from holding the open; what was opened must be
 * ours, or a character device or FIFO of root's (/dev/null), or a terminal.
 */
static const char *reject_why(int fd)
{
	struct stat st;
	uid_t me = geteuid();

	if (fstat(fd, &st))
		return strerror(errno);
	if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (st.st_uid != me && !(S_ISFIFO(st.st_mode) && st.st_uid == 0))
			return "it belongs to another user, and rejected records hold tokens";
		if (S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmod(fd, st.st_mode & 0700))
			return strerror(errno);
	} else if (!S_ISCHR(st.st_mode)) {
		return "not a regular file, a FIFO or a character device";
	} else if (st.st_uid != me && st.st_uid != 0 && !isatty(fd)) {
		return "it belongs to another user, and rejected records hold tokens";
	}
	return NULL;
}

int cli_open_reject(struct cli *c, const char *path)
{
	struct stat lst;
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK;
	int fd = open(path, flags | O_NOFOLLOW, 0600);
	const char *why = NULL;

	if (fd < 0 && errno == ELOOP && !lstat(path, &lst) && S_ISLNK(lst.st_mode)) {
		if (lst.st_uid != geteuid() && lst.st_uid != 0)
			errno = ELOOP;
		else
			fd = open(path, flags & ~O_CREAT);
	}
	if (fd < 0)
		why = errno == ELOOP ? "a symbolic link another user owns" : strerror(errno);
	else if (!(why = reject_why(fd)) && fcntl(fd, F_SETFL, O_APPEND))
		why = strerror(errno);
	else if (!why && !(c->reject = fdopen(fd, "a")))
		why = strerror(errno);
	if (why) {
		cli_fail(c, "cannot use '%s' for rejected records: %s", path, why);
		if (fd >= 0)
			close(fd);
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

/*
 * JSON allows DEL and C1 controls raw in strings, and yajl writes a lone
 * surrogate from the input (\udc80) as bytes that are not UTF-8: a terminal
 * showing the JSON would act on them. Each is written as the \u escape that
 * means the same (other bytes that are not UTF-8 as U+FFFD), so the output
 * is UTF-8 with no control but the newlines between lines. They can only be
 * inside strings: yajl writes the rest in ASCII, and never splits a
 * character between two calls.
 */
static void print_stdout(void *ctx, const char *s, size_t n)
{
	struct wdn_buf *doc = ctx;
	const unsigned char *p = (const unsigned char *)s;
	size_t i, len, from = 0;
	uint32_t c;
	char esc[8];

	for (i = 0; i < n; i += len) {
		len = 1;
		if (p[i] < 0x7f || ((len = utf8_char(p + i, n - i, &c)) && c > 0x9f))
			continue;
		if (!len && p[i] == 0xed && n - i >= 3 && (p[i + 1] & 0xe0) == 0xa0 && (p[i + 2] & 0xc0) == 0x80)
			c = 0xd000 | (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f), len = 3;
		else if (!len)
			c = 0xfffd, len = 1;
		wdn_buf_add(doc, s + from, i - from);
		snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)c);
		wdn_buf_adds(doc, esc);
		from = i + len;
	}
	wdn_buf_add(doc, s + from, n - from); /* checked once, in cli_gen_end */
}

yajl_gen cli_gen(struct cli *c, int pretty)
{
	if (!c->gen) {
		if (!(c->gen = yajl_gen_alloc(NULL))) {
			cli_fail(c, "out of memory");
			exit(cli_exit(c));
		}
		yajl_gen_config(c->gen, yajl_gen_print_callback, print_stdout, &c->doc);
		if (pretty) {
			yajl_gen_config(c->gen, yajl_gen_beautify, 1);
			yajl_gen_config(c->gen, yajl_gen_indent_string, "  ");
		}
		c->pretty = pretty;
	}
	c->nomem = wdn_nomem_count();
	return c->gen;
}

/* The document out whole, or not at all: a copy lost for want of memory
 * while it was made (a field that would read as absent) withholds it. */
void cli_gen_end(struct cli *c)
{
	yajl_gen_reset(c->gen, NULL);
	if (wdn_buf_failed(&c->doc) || wdn_nomem_count() != c->nomem) {
		cli_fail(c, "out of memory: an output object left out rather than written in part");
	} else {
		fwrite(c->doc.ptr, 1, c->doc.len, stdout);
		/* yajl ends a beautified document with a newline already */
		if (!c->pretty)
			fputc('\n', stdout);
	}
	wdn_buf_reset(&c->doc);
}

int cli_exit(struct cli *c)
{
	if (c->gen)
		yajl_gen_free(c->gen);
	wdn_buf_release(&c->doc);
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
static int is_added(const char *k, const struct wdn_member *m)
{
	for (; m->name; m++)
		if (wdn_json_name_is(k, strlen(k), 0, m->name))
			return 1;
	return 0;
}

/* Standard input, read by hand so that we know whether more is there
 * already: lines that have arrived are resolved together, and a line that
 * has not never holds up the answers before it. */
/* More bytes into the buffer once it is used up; 0 at the end. */
static int in_fill(struct cli_lines *in)
{
	ssize_t n;

	if (in->pos < in->len)
		return 1;
	if (in->eof)
		return 0;
	while ((n = read(0, in->buf, sizeof(in->buf))) < 0 && errno == EINTR)
		;
	if (n <= 0) {
		in->eof = 1;
		return 0;
	}
	in->pos = 0;
	in->len = (size_t)n;
	return 1;
}

int cli_lines_ready(struct cli_lines *in)
{
	struct pollfd p = { 0, POLLIN, 0 };

	return in->pos < in->len || (!in->eof && poll(&p, 1, 0) > 0);
}

int cli_lines_read(struct cli_lines *in, struct wdn_buf *b)
{
	int over = 0;

	wdn_buf_reset(b);
	while (in_fill(in)) {
		char *p = in->buf + in->pos, *nl = memchr(p, '\n', in->len - in->pos);
		size_t n = nl ? (size_t)(nl - p) : in->len - in->pos;

		/* past the cap the rest of the line is read and dropped */
		if (!over && wdn_buf_add(b, p, n))
			over = 1;
		in->pos += n + (nl != NULL);
		if (nl)
			return over ? -1 : 1;
	}
	return over ? -1 : b->len > 0;
}

static void keyline_reject(struct cli *c, struct cli_keyline *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void keyline_reject(struct cli *c, struct cli_keyline *l, const char *fmt, ...)
{
	struct wdn_buf why = WDN_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	wdn_buf_vaddf(&why, fmt, ap);
	va_end(ap);
	cli_warn(c, "-: line %lu: %s", l->n, wdn_buf_failed(&why) ? "rejected (out of memory to say why)" : why.ptr);
	cli_status(c, EXIT_REJECTED);
	wdn_buf_release(&why);
	wdn_json_free(l->v);
	l->v = NULL;
	l->key = NULL;
	l->skip = 1;
}

/* A JSON object line (p to end): its key, as an event's caller or as AccessKeyId. */
static void keyline_object(struct cli *c, struct cli_keyline *l, char *p, char *end, int64_t at, int flags)
{
	struct wdn_err err = { 0 };
	const char *t;

	/* a tree costs per value: 8 MB of [0,0,...] would take 500 MB */
	if ((l->values = wdn_json_elements(p, (size_t)(end - p))) > CLI_MAX_VALUES) {
		keyline_reject(c, l, "more than %u values", CLI_MAX_VALUES);
		return;
	}
	if (!(l->v = wdn_json_parse(p, (size_t)(end - p), &err)) || !YAJL_IS_OBJECT(l->v)) {
		keyline_reject(c, l, "%s", l->v ? "not a JSON object" : err.msg);
		return;
	}
	/* an event: its caller's key, at its own time */
	if ((flags & CLI_KEYLINE_EVENTS) && (l->key = wdn_json_str(l->v, "userIdentity.accessKeyId")) &&
	    (t = wdn_json_str(l->v, "eventTime")) && wdn_time_parse(t, strlen(t), &l->when))
		l->when = at;
	if (!l->key || !*l->key)
		l->key = wdn_json_str(l->v, "AccessKeyId");
	if (l->key && !*l->key)
		l->key = NULL;
	if (l->key && !wdn_key_valid(l->key)) {
		keyline_reject(c, l, "'%.40s' is not an access key ID", l->key);
		return;
	}
	/* a filter passes an object without a key through; a lookup has nothing to do */
	if (!l->key && !(flags & CLI_KEYLINE_EVENTS)) {
		keyline_reject(c, l, "no AccessKeyId");
		return;
	}
	l->skip = 0;
}

void cli_keyline_parse(struct cli *c, struct cli_keyline *l, int r, int64_t at, int flags)
{
	char *p = l->text.ptr, *end = p + l->text.len;

	l->v = NULL;
	l->key = NULL;
	l->when = at;
	l->values = 0;
	l->skip = 1;
	if (r < 0) {
		keyline_reject(c, l, "longer than %u bytes", WDN_MAX_RECORD);
		return;
	}
	if (memchr(p, '\0', l->text.len)) {
		keyline_reject(c, l, "holds a NUL byte");
		return;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (p == end)
		return; /* blank */
	if (*p == '{') {
		keyline_object(c, l, p, end, at, flags);
		return;
	}
	p[strcspn(p, " \t")] = '\0'; /* a bare key: the rest of the line is a comment */
	if (!wdn_key_valid(p)) {
		keyline_reject(c, l, "'%.40s' is not an access key ID", p);
		return;
	}
	l->key = p;
	l->skip = 0;
}

void cli_keyline_clear(struct cli_keyline *l)
{
	wdn_json_free(l->v);
	l->v = NULL;
	l->key = NULL;
	if (l->text.cap > (64u << 10))
		wdn_buf_release(&l->text);
}

#define FILTER_BATCH 1000               /* lines resolved together, at most */
#define FILTER_BATCH_BYTES (16u << 20)  /* and their bytes */
#define FILTER_BATCH_VALUES CLI_MAX_VALUES /* and their trees' values */

/* Write a line's object: its members, and the answer's unless it has no key. */
static void filter_answer(struct cli *c, struct wdn_store *s, struct cli_keyline *l,
			  cli_add_fn add, const struct wdn_member *added)
{
	struct wdn_answer a;
	struct wdn_err err = { 0 };
	yajl_gen g = cli_gen(c, 0);
	size_t i;

	yajl_gen_map_open(g);
	if (l->v) {
		for (i = 0; i < l->v->u.object.len; i++) {
			if (l->key && is_added(l->v->u.object.keys[i], added))
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

struct filter {
	struct cli *c;
	struct wdn_store *s;
	cli_add_fn add;
	const struct wdn_member *added;
};

static int filter_each(void *ctx, void *item)
{
	struct filter *f = ctx;
	struct cli_keyline *l = item;

	if (!l->skip)
		filter_answer(f->c, f->s, l, f->add, f->added);
	cli_keyline_clear(l);
	return 0;
}

static void filter_drop(void *ctx, void *item)
{
	cli_keyline_clear(item);
}

/* The lines already there, at least one, are resolved together: a line that
 * has not come never holds up the answers before it. */
void cli_filter(struct cli *c, struct wdn_store *s, int64_t at, cli_add_fn add,
		const struct wdn_member *added)
{
	static struct cli_lines in;
	struct filter f = { c, s, add, added };
	struct cli_keyline *pool = calloc(FILTER_BATCH, sizeof(*pool));
	struct wdn_batch *b = wdn_batch_new(s, FILTER_BATCH, FILTER_BATCH_BYTES, filter_each, filter_drop, &f);
	unsigned long n = 0;
	size_t i, values = 0;
	int r, full;

	if (!pool || !b) {
		cli_fail(c, "out of memory");
		goto out;
	}
	for (i = 0; i < FILTER_BATCH; i++)
		wdn_buf_init(&pool[i].text, WDN_MAX_RECORD);
	for (;;) {
		struct cli_keyline *l = &pool[wdn_batch_count(b)];

		if (!(r = cli_lines_read(&in, &l->text)))
			break;
		l->n = ++n;
		cli_keyline_parse(c, l, r, at, CLI_KEYLINE_EVENTS);
		values += l->values;
		full = wdn_batch_add(b, l, l->text.len, l->skip ? NULL : l->key, l->when, NULL);
		if (full || values >= FILTER_BATCH_VALUES || !cli_lines_ready(&in)) {
			wdn_batch_release(b);
			values = 0;
			fflush(stdout);
		}
	}
	wdn_batch_release(b);
	fflush(stdout);
out:
	wdn_batch_free(b);
	for (i = 0; pool && i < FILTER_BATCH; i++)
		wdn_buf_release(&pool[i].text);
	free(pool);
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
	in->v[in->n].digest = wdn_s3key_digest(name);
	in->v[in->n].integrity = WDN_INTEGRITY_UNVERIFIED;
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

int cli_key_selected(const struct cli_select *sel, const char *key)
{
	return !sel || wdn_s3key_within(key, sel->since, sel->until);
}

static int collect_object(void *ctx, const struct wdn_s3_object *o)
{
	struct collect *k = ctx;
	struct wdn_buf name = WDN_BUF_INIT;
	int rc = 0;

	/* digests vouch for logs and hold no events: only a verifier wants them */
	if ((wdn_s3key_digest(o->key) && !(k->sel && k->sel->digests)) ||
	    (o->key[0] && o->key[strlen(o->key) - 1] == '/'))
		return 0; /* "folders" hold nothing */
	if (!cli_key_selected(k->sel, o->key))
		return 0;
	if (wdn_buf_addf(&name, "s3://%s/%s", k->bucket, o->key))
		rc = WDN_ENOMEM; /* never an input under a cut-short name */
	else if (selected(k->sel, name.ptr))
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

			if (wdn_s3_parse_url(operands[i], &bucket, &prefix, &err))
				cli_usage_error(c, "%s", err.msg); /* a bucket S3 cannot have: a typo, or worse */
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
	return wdn_reader_feed_held(ctx, p, n); /* a small object is decoded whole */
}

int cli_input_read(struct cli *c, struct wdn_aws *aws, const struct cli_input *in,
		   struct wdn_reader *r, struct wdn_err *err)
{
	int fd, rc;

	(void)c;
	if (in->bucket) {
		if ((rc = wdn_s3_get(aws, in->bucket, in->key, feed_reader, r, err)))
			return rc;
		return wdn_reader_finish(r, err);
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
		    const struct wdn_member *added)
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
	cli_filter(&c, s, at, add, added);
	wdn_store_close(s);
	return cli_exit(&c);
}

/* ---- --lambda, --sqs ------------------------------------------------------ */

static volatile sig_atomic_t deliver_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	deliver_stop = 1;
}

int cli_deliver(struct cli *c, struct wdn_delivery *d, int lambda, const char *queue)
{
	struct wdn_err err = { 0 };
	struct sigaction sa = { 0 };
	int rc;

	d->stop = &deliver_stop;
	if (!lambda) {
		/* a queue's poller stops when told, after what it has in hand;
		 * Lambda ends a runtime itself */
		sa.sa_handler = on_stop_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	rc = lambda ? wdn_lambda_run(d, &err) : wdn_sqs_run(d, queue, &err);
	if (rc)
		cli_fail(c, "%s", err.msg);
	return rc;
}
