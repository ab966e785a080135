/* wdn-lookup: who is behind an access key. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char synopsis[] =
	"usage: wdn-lookup [-q] [--store URL] [--at TIME] [--no-trails] [--descendants]\n"
	"                  [--format json|text] [--profile NAME] [--region REGION]\n"
	"                  [--endpoint-url URL] [KEY ...]\n";

enum { OPT_AT = CLI_OPT_CMD, OPT_NO_TRAILS, OPT_DESCENDANTS, OPT_FORMAT };
static const struct option options[] = {
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
	int text;       /* --format text */
	int colour;     /* on a terminal, and NO_COLOR unset */
};

/* ---- --format text: the chain as a tree, root first ----------------------- */

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
		printf("%s%s%s", BOLD(r), arn ? arn : "?", RESET(r));
		return;
	}
	printf("%s%.*s%s", BOLD(r), (int)a.resource.len, a.resource.ptr, RESET(r));
	if (a.account.len)
		printf(" %s(%.*s)%s", DIM(r), (int)a.account.len, a.account.ptr, RESET(r));
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
	for (i = 0; i < t->n; i++)
		printf(" %s=%s", v[i]->key, v[i]->value);
	free(v);
}

static void print_span(const struct run *r, int64_t start, int64_t end)
{
	char a[32], b[32];

	if (start == WDN_TIME_NONE)
		return;
	wdn_time_format(start, a);
	if (end == WDN_TIME_NONE)
		snprintf(b, sizeof(b), "(no end)");
	else
		wdn_time_format(end, b);
	printf("  %s%s -> %s%s", DIM(r), a, b, RESET(r));
}

static void print_text(const struct run *r, const struct wdn_answer *a)
{
	size_t i, depth = 0;

	printf("%s%s%s  %s key", BOLD(r), a->key, RESET(r), a->key_type ? a->key_type : "unknown");
	if (a->account[0])
		printf(", account %s", a->account);
	if (!a->found) {
		printf("  %snot found%s\n\n", WARN(r), RESET(r));
		return;
	}
	if (!a->complete)
		printf("  %sincomplete chain%s", WARN(r), RESET(r));
	if (a->inferred.data)
		printf("  %s(inferred link)%s", WARN(r), RESET(r));
	printf("\n");
	/* the root */
	printf("%s: ", a->id_type ? a->id_type : "caller");
	print_principal(r, a->id_service ? a->id_service : a->id_arn ? a->id_arn : a->id_provider);
	if (a->id_subject)
		printf("  subject %s", a->id_subject);
	if (a->id_user && (!a->id_subject || strcmp(a->id_user, a->id_subject)))
		printf("  user %s", a->id_user);
	if (a->id_key)
		printf("  %skey %s%s", DIM(r), a->id_key, RESET(r));
	printf("\n");
	/* each session, root-most first, one level deeper */
	for (i = a->nlinks; i-- > 0; depth++) {
		const struct wdn_issuance *is = &a->links[i].is;
		struct wdn_tags st = { 0 };

		if (is->event_name && !strcmp(is->event_name, "CreateAccessKey"))
			continue; /* the root line shows the user's key */
		printf("%*s└─ ", (int)(depth * 3), "");
		print_principal(r, is->principal);
		if (is->session_name)
			printf("  session %s", is->session_name);
		print_span(r, is->start, is->end);
		printf("\n%*s   %s%s%s %s", (int)(depth * 3), "", DIM(r), is->event_name, RESET(r), is->key_id);
		wdn_tags_from_json(&st, is->session_tags);
		if (st.n)
			print_tags("  session tags", &st);
		wdn_tags_release(&st);
		printf("\n");
	}
	print_tags("tags", &a->tags);
	printf("   transitive");
	if (!a->transitive.n)
		printf(" -");
	for (i = 0; i < a->transitive.n; i++)
		printf(" %s", a->transitive.v[i]);
	if (a->source_identity)
		printf("   source identity %s%s", a->source_identity,
		       a->source_identity_changed ? " (changed along the chain)" : "");
	if (a->status)
		printf("   status %s", a->status);
	printf("\n");
	for (i = 0; i < a->ndesc; i++) {
		printf("%s%*s+ %s", i ? "" : "descendants:\n", (int)(a->desc[i].depth * 2), "",
		       a->desc[i].is.key_id);
		printf("  ");
		print_principal(r, a->desc[i].is.principal);
		print_span(r, a->desc[i].is.start, a->desc[i].is.end);
		printf("\n");
	}
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
	if (r->text) {
		print_text(r, &a);
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

/* A stdin line: a bare key or an object with AccessKeyId. */
static void lookup_line(struct run *r, char *line, unsigned long n)
{
	char *p = line, *end;
	yajl_val v;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!*p)
		return;
	if (*p != '{') {
		if (!wdn_key_valid(p)) {
			cli_warn(&r->cli, "-: line %lu: '%.40s' is not an access key ID", n, p);
			cli_status(&r->cli, EXIT_REJECTED);
			return;
		}
		lookup(r, p);
		return;
	}
	v = wdn_json_parse(p, strlen(p), NULL);
	if (!v || !wdn_json_str(v, "AccessKeyId") || !wdn_key_valid(wdn_json_str(v, "AccessKeyId"))) {
		cli_warn(&r->cli, "-: line %lu: no valid AccessKeyId", n);
		cli_status(&r->cli, EXIT_REJECTED);
	} else {
		lookup(r, wdn_json_str(v, "AccessKeyId"));
	}
	wdn_json_free(v);
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	int o, i;

	cli_init(&r.cli, "wdn-lookup", synopsis);
	r.colour = r.cli.stdout_tty && !getenv("NO_COLOR");
	r.at = WDN_TIME_MAX;
	r.flags = WDN_ANS_TRAILS;
	while ((o = cli_getopt(&r.cli, argc, argv, "", options)) != -1) {
		if (o == OPT_AT && cli_parse_time(optarg, &r.at))
			cli_usage_error(&r.cli, "--at: '%s' is not a time (ISO 8601, e.g. 2021-07-03T23:15:00Z)", optarg);
		if (o == OPT_NO_TRAILS)
			r.flags &= ~WDN_ANS_TRAILS;
		if (o == OPT_DESCENDANTS)
			r.flags |= WDN_ANS_DESCENDANTS;
		if (o == OPT_FORMAT) {
			if (strcmp(optarg, "json") && strcmp(optarg, "text"))
				cli_usage_error(&r.cli, "--format: '%s' is neither json nor text", optarg);
			r.text = !strcmp(optarg, "text");
		}
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
	if (optind < argc) {
		int64_t *at = calloc((size_t)(argc - optind), sizeof(*at));

		/* many keys: a store read in round trips reads them together */
		for (i = 0; at && i < argc - optind; i++)
			at[i] = r.at;
		if (at)
			wdn_resolve_prefetch(r.store, (const char *const *)argv + optind, at, NULL,
					     (size_t)(argc - optind), NULL);
		free(at);
		for (i = optind; i < argc; i++)
			lookup(&r, argv[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		unsigned long n = 0;

		while (getline(&line, &cap, stdin) > 0)
			lookup_line(&r, line, ++n);
		free(line);
	}
	wdn_store_close(r.store);
	return cli_exit(&r.cli);
}
