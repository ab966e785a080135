/* wdn-lookup: who is behind an access key. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const char synopsis[] =
	"usage: wdn-lookup [-q] [--store URL] [--at TIME] [--no-trails] [--descendants]\n"
	"                  [--profile NAME] [--region REGION] [--endpoint-url URL] [KEY ...]\n";

enum { OPT_AT = CLI_OPT_CMD, OPT_NO_TRAILS, OPT_DESCENDANTS };
static const struct option options[] = {
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
};

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
	g = cli_gen(&r->cli, r->cli.stdout_tty);
	yajl_gen_map_open(g);
	wdn_answer_gen_lookup(g, &a, r->flags);
	yajl_gen_map_close(g);
	cli_gen_end(&r->cli);
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
	v = yajl_tree_parse(p, NULL, 0);
	if (!v || !wdn_json_str(v, "AccessKeyId") || !wdn_key_valid(wdn_json_str(v, "AccessKeyId"))) {
		cli_warn(&r->cli, "-: line %lu: no valid AccessKeyId", n);
		cli_status(&r->cli, EXIT_REJECTED);
	} else {
		lookup(r, wdn_json_str(v, "AccessKeyId"));
	}
	yajl_tree_free(v);
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	int o, i;

	cli_init(&r.cli, "wdn-lookup", synopsis);
	r.at = WDN_TIME_MAX;
	r.flags = WDN_ANS_TRAILS;
	while ((o = cli_getopt(&r.cli, argc, argv, "", options)) != -1) {
		if (o == OPT_AT && cli_parse_time(optarg, &r.at))
			cli_usage_error(&r.cli, "--at: '%s' is not a time (ISO 8601, e.g. 2021-07-03T23:15:00Z)", optarg);
		if (o == OPT_NO_TRAILS)
			r.flags &= ~WDN_ANS_TRAILS;
		if (o == OPT_DESCENDANTS)
			r.flags |= WDN_ANS_DESCENDANTS;
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
