/* wdn-lookup: who is behind an access key. */
#include "cli.h"
#include "arn.h"
#include "datetime.h"
#include "batch.h"
#include "resolve.h"
#include "tags.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char synopsis[] =
	"usage: wdn-lookup [-q] [--store URL] [--at TIME] [--no-trails] [--descendants]\n"
	"                  [--format json|text|markdown|dot] [--profile NAME]\n"
	"                  [--region REGION] [--endpoint-url URL] [KEY ...]\n"
	"       wdn-lookup --lambda [-q] [--store URL] [--max-messages N] [--profile NAME]\n"
	"                  [--region REGION] [--endpoint-url URL]\n";

enum { OPT_AT = CLI_OPT_CMD, OPT_NO_TRAILS, OPT_DESCENDANTS, OPT_FORMAT, OPT_LAMBDA, OPT_MAX };
static const struct option options[] = {
	{ "lambda", no_argument, NULL, OPT_LAMBDA },
	{ "max-messages", required_argument, NULL, OPT_MAX },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "at", required_argument, NULL, OPT_AT },
	{ "no-trails", no_argument, NULL, OPT_NO_TRAILS },
	{ "descendants", no_argument, NULL, OPT_DESCENDANTS },
	{ NULL, 0, NULL, 0 },
};

struct run {
	struct cli cli;
	struct wdn_store *store;
	int64_t at;
	int flags;
	enum { FORMAT_JSON, FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_DOT } format;
	int colour;     /* on a terminal, and NO_COLOR unset */
};

/* ---- --format text: the chain as a tree, root first ----------------------- */

/* Every string from the data goes through put: escaped (cli_text_escape),
 * so that no event can retitle, clear or write to the reader's terminal. */
static void put(const char *s)
{
	cli_text_put(stdout, s);
}

static void put_slice(struct wdn_str s)
{
	struct wdn_buf b = WDN_BUF_INIT;

	if (cli_text_escape(&b, s.ptr, s.len))
		fputs("(?)", stdout); /* out of memory: never a value cut short */
	else
		fwrite(b.ptr, 1, b.len, stdout);
	wdn_buf_release(&b);
}

static const char *paint(const struct run *r, const char *code)
{
	return r->colour ? code : "";
}
#define BOLD(r) paint(r, "\033[1m")
#define DIM(r) paint(r, "\033[2m")
#define WARN(r) paint(r, "\033[33m")
#define RESET(r) paint(r, "\033[0m")

/* "arn:aws:iam::123:role/x" -> "role/x" (123); other names as they are */
static void print_principal(const struct run *r, const char *arn)
{
	struct wdn_arn a;

	if (!arn || wdn_arn_parse_str(arn, &a)) {
		printf("%s", BOLD(r));
		put(arn ? arn : "?");
		printf("%s", RESET(r));
		return;
	}
	printf("%s", BOLD(r));
	put_slice(a.resource);
	printf("%s", RESET(r));
	if (a.account.len) {
		printf(" %s(", DIM(r));
		put_slice(a.account);
		printf(")%s", RESET(r));
	}
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct wdn_tag *const *)a)->key, (*(const struct wdn_tag *const *)b)->key);
}

/* Tags sorted by key, as the JSON output has them. */
static void print_tags(const char *label, const struct wdn_tags *t)
{
	const struct wdn_tag **v = t->n ? malloc(t->n * sizeof(*v)) : NULL;
	size_t i;

	printf("%s", label);
	if (!t->n || !v) {
		printf(" -");
		free(v);
		return;
	}
	for (i = 0; i < t->n; i++)
		v[i] = &t->v[i];
	qsort(v, t->n, sizeof(*v), by_key);
	for (i = 0; i < t->n; i++) {
		printf(" ");
		put(v[i]->key);
		printf("=");
		put(v[i]->value);
	}
	free(v);
}

static void print_span(const struct run *r, int64_t start, int64_t end)
{
	char t[WDN_SPAN_MAX];

	wdn_render_span(start, end, " -> ", t, sizeof(t));
	if (t[0])
		printf("  %s%s%s", DIM(r), t, RESET(r));
}

/* The key, its type and account, and what is known of it. */
static int print_head(const struct run *r, const struct wdn_answer *a)
{
	printf("%s", BOLD(r));
	put(a->key);
	printf("%s  %s key", RESET(r), a->key_type ? a->key_type : "unknown");
	if (a->account[0]) {
		printf(", account ");
		put(a->account);
	}
	if (!a->found) {
		printf("  %snot found%s\n\n", WARN(r), RESET(r));
		return 0;
	}
	if (!a->complete)
		printf("  %sincomplete chain%s", WARN(r), RESET(r));
	if (a->inferred.data)
		printf("  %s(inferred link)%s", WARN(r), RESET(r));
	printf("\n");
	return 1;
}

/* The root: who started the chain. */
static void print_root(const struct run *r, const struct wdn_answer *a)
{
	put(a->id_type ? a->id_type : "caller");
	printf(": ");
	print_principal(r, a->id_service ? a->id_service : a->id_arn ? a->id_arn : a->id_provider);
	if (a->id_subject) {
		printf("  subject ");
		put(a->id_subject);
	}
	if (a->id_user && (!a->id_subject || strcmp(a->id_user, a->id_subject))) {
		printf("  user ");
		put(a->id_user);
	}
	if (a->id_key) {
		printf("  %skey ", DIM(r));
		put(a->id_key);
		printf("%s", RESET(r));
	}
	printf("\n");
}

/* Each session, root-most first, one level deeper. */
static void print_links(const struct run *r, const struct wdn_answer *a)
{
	size_t i, depth = 0;

	for (i = a->nlinks; i-- > 0; depth++) {
		const struct wdn_issuance *is = &a->links[i].is;
		struct wdn_tags st = { 0 };

		if (is->event_name && !strcmp(is->event_name, "CreateAccessKey"))
			continue; /* the root line shows the user's key */
		printf("%*s└─ ", (int)(depth * 3), "");
		print_principal(r, is->principal);
		if (is->session_name) {
			printf("  session ");
			put(is->session_name);
		}
		print_span(r, is->start, is->end);
		printf("\n%*s   %s", (int)(depth * 3), "", DIM(r));
		put(is->event_name);
		printf("%s ", RESET(r));
		put(is->key_id);
		wdn_tags_from_json(&st, is->session_tags);
		if (st.n)
			print_tags("  session tags", &st);
		wdn_tags_release(&st);
		printf("\n");
	}
}

/* Tags, transitive keys, source identity, status; then the descendants. */
static void print_tail(const struct run *r, const struct wdn_answer *a)
{
	size_t i;

	print_tags("tags", &a->tags);
	printf("   transitive");
	if (!a->transitive.n)
		printf(" -");
	for (i = 0; i < a->transitive.n; i++) {
		printf(" ");
		put(a->transitive.v[i]);
	}
	if (a->source_identity) {
		printf("   source identity ");
		put(a->source_identity);
		printf("%s", a->source_identity_changed ? " (changed along the chain)" : "");
	}
	if (a->status) {
		printf("   status ");
		put(a->status);
	}
	printf("\n");
	for (i = 0; i < a->ndesc; i++) {
		printf("%s%*s+ ", i ? "" : "descendants:\n", (int)(a->desc[i].depth * 2), "");
		put(a->desc[i].is.key_id);
		printf("  ");
		print_principal(r, a->desc[i].is.principal);
		print_span(r, a->desc[i].is.start, a->desc[i].is.end);
		printf("\n");
	}
}

static void print_text(const struct run *r, const struct wdn_answer *a)
{
	if (!print_head(r, a))
		return;
	print_root(r, a);
	print_links(r, a);
	print_tail(r, a);
	printf("\n");
}

static void lookup(struct run *r, const char *key)
{
	struct wdn_answer a;
	struct wdn_err err = { 0 };
	yajl_gen g;

	if (wdn_resolve(r->store, key, r->at, &a, &err) ||
	    ((r->flags & WDN_ANS_DESCENDANTS) && wdn_resolve_descendants(r->store, &a, &err))) {
		cli_fail(&r->cli, "looking up '%s': %s", key, err.msg);
		wdn_answer_release(&a);
		return;
	}
	if (r->format == FORMAT_TEXT) {
		print_text(r, &a);
	} else if (r->format == FORMAT_MARKDOWN || r->format == FORMAT_DOT) {
		struct wdn_buf out = WDN_BUF_INIT;

		if (r->format == FORMAT_DOT ? wdn_answer_dot(&a, &out) : wdn_answer_markdown(&a, &out)) {
			cli_fail(&r->cli, "%s: out of memory", key); /* nothing rather than part */
		} else {
			/* one document per key: Markdown sections follow each other */
			fwrite(out.ptr, 1, out.len, stdout);
			if (r->format == FORMAT_MARKDOWN)
				fputc('\n', stdout);
		}
		wdn_buf_release(&out);
	} else {
		g = cli_gen(&r->cli, r->cli.stdout_tty);
		yajl_gen_map_open(g);
		wdn_answer_gen_lookup(g, &a, r->flags);
		yajl_gen_map_close(g);
		cli_gen_end(&r->cli);
	}
	fflush(stdout); /* an answer per key as it comes, for pipelines */
	if (!a.found)
		cli_status(&r->cli, EXIT_FAIL);
	wdn_answer_release(&a);
}

static int lookup_each(void *ctx, void *key)
{
	lookup(ctx, key);
	return 0;
}

/* Many keys: a store read in round trips reads them all together. */
static void lookup_operands(struct run *r, char **keys, size_t n)
{
	struct wdn_batch *b = wdn_batch_new(r->store, n, SIZE_MAX, lookup_each, NULL, r);
	size_t i;

	for (i = 0; i < n; i++)
		if (!b)
			lookup(r, keys[i]); /* out of memory: one by one */
		else if (wdn_batch_add(b, keys[i], 0, keys[i], r->at, NULL) < 0)
			break; /* cannot be: there is room for n */
	if (b)
		wdn_batch_release(b);
	wdn_batch_free(b);
}

/* Keys on standard input, one line each (cli_keyline_parse): an answer per
 * line as it comes, for pipelines. */
static void lookup_stdin(struct run *r)
{
	static struct cli_lines in;
	struct cli_keyline l = { 0 };
	int rc;

	wdn_buf_init(&l.text, WDN_MAX_RECORD);
	while ((rc = cli_lines_read(&in, &l.text))) {
		l.n++;
		cli_keyline_parse(&r->cli, &l, rc, r->at, 0);
		if (!l.skip)
			lookup(r, l.key);
		cli_keyline_clear(&l);
	}
	wdn_buf_release(&l.text);
}

/* --lambda: the lookup API, one invocation at a time (lib/api.c). */
static int api_handle(void *ctx, const char *request_id, const char *payload, size_t len,
		      struct wdn_buf *resp, const char **type, struct wdn_err *err)
{
	int rc = wdn_api_handle(ctx, payload, len, resp, err);

	if (rc)
		*type = rc == WDN_EINVAL ? "whodunnit.BadRequest" : "whodunnit.StoreFailed";
	return rc;
}

static void serve(struct run *r, uint64_t max)
{
	struct wdn_lambda_handler h = { api_handle, NULL, NULL, NULL, max, 0 };
	struct wdn_err err = { 0 };

	if (cli_open_store(&r->cli, 0, &r->store)) {
		wdn_lambda_init_error("whodunnit.StoreFailed", "cannot open the store", NULL);
		return;
	}
	h.ctx = r->store;
	if (wdn_lambda_serve(&h, &err))
		cli_fail(&r->cli, "%s", err.msg);
	wdn_store_close(r->store);
}

static int parse_format(struct run *r, const char *s)
{
	static const char *const formats[] = { "json", "text", "markdown", "dot" };
	int f;

	for (f = 0; f < 4 && strcmp(s, formats[f]); f++)
		;
	if (f == 4)
		cli_usage_error(&r->cli, "--format: '%s' is not json, text, markdown or dot", s);
	return f;
}

/* The options; --lambda alone takes none of the look-up ones. */
static void parse_options(struct run *r, int argc, char **argv, int *lambda, uint64_t *max)
{
	int o, other = 0;

	while ((o = cli_getopt(&r->cli, argc, argv, "", options)) != -1) {
		if (o == OPT_AT && cli_parse_time(optarg, &r->at))
			cli_usage_error(&r->cli, "--at: '%s' is not a time (ISO 8601, e.g. 2021-07-03T23:15:00Z)", optarg);
		if (o == OPT_NO_TRAILS)
			r->flags &= ~WDN_ANS_TRAILS;
		if (o == OPT_DESCENDANTS)
			r->flags |= WDN_ANS_DESCENDANTS;
		if (o == OPT_LAMBDA)
			*lambda = 1;
		if (o == OPT_MAX)
			*max = (uint64_t)cli_number(&r->cli, "--max-messages", optarg, 1, LLONG_MAX);
		if (o == OPT_AT || o == OPT_NO_TRAILS || o == OPT_DESCENDANTS || o == OPT_FORMAT)
			other = 1;
		if (o == OPT_FORMAT)
			r->format = parse_format(r, optarg);
	}
	if (*lambda && (optind < argc || other))
		cli_usage_error(&r->cli, "--lambda takes no KEY, --at, --no-trails, --descendants or --format: "
				"each request says its own");
	if (*max && !*lambda)
		cli_usage_error(&r->cli, "--max-messages is for --lambda");
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	int i, lambda = 0;
	uint64_t max = 0;

	cli_init(&r.cli, "wdn-lookup", synopsis);
	r.colour = r.cli.stdout_tty && !getenv("NO_COLOR");
	r.at = WDN_TIME_MAX;
	r.flags = WDN_ANS_TRAILS;
	parse_options(&r, argc, argv, &lambda, &max);
	if (lambda) {
		serve(&r, max);
		return cli_exit(&r.cli);
	}
	for (i = optind; i < argc; i++)
		if (!wdn_key_valid(argv[i]))
			cli_usage_error(&r.cli, "'%s' is not an access key ID", argv[i]);
	if (cli_open_store(&r.cli, 0, &r.store)) {
		/* still answer what the key itself tells */
		if (!r.cli.quiet)
			cli_warn(&r.cli, "answering from the keys alone");
		r.store = NULL;
	}
	if (optind < argc)
		lookup_operands(&r, argv + optind, (size_t)(argc - optind));
	else
		lookup_stdin(&r);
	wdn_store_close(r.store);
	return cli_exit(&r.cli);
}
