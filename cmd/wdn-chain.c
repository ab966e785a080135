/* wdn-chain: add the chain behind each line's access key (a pipeline filter). */
#include "cli.h"

static const char synopsis[] =
	"usage: wdn-chain [-q] [--store URL] [--at TIME] [--profile NAME] [--region REGION]\n"
	"                 [--endpoint-url URL]\n";

enum { OPT_AT = CLI_OPT_CMD };
static const struct option options[] = {
	{ "at", required_argument, NULL, OPT_AT },
	{ NULL, 0, NULL, 0 },
};

/* what wdn_answer_gen_chain writes, replaced if the input has them */
static const char *const added[] = {
	"Principal", "PrincipalChain", "Identity", "Complete", "Start", "End", "AccountId",
	"KeyType", "SessionName", "FirstSeen", "LastSeen", "Status", "StatusHistory", "Inferred",
	"Found", "Links", NULL,
};

int main(int argc, char **argv)
{
	struct cli c;
	struct wdn_store *s = NULL;
	int64_t at = WDN_TIME_MAX;
	int o;

	cli_init(&c, "wdn-chain", synopsis);
	while ((o = cli_getopt(&c, argc, argv, "", options)) != -1)
		if (o == OPT_AT && cli_parse_time(optarg, &at))
			cli_usage_error(&c, "--at: '%s' is not a time", optarg);
	if (optind < argc)
		cli_usage_error(&c, "unexpected operand '%s' (keys come on standard input)", argv[optind]);
	if (cli_open_store(&c, 0, &s))
		cli_status(&c, EXIT_FAIL); /* still pass every line through */
	cli_filter(&c, s, at, wdn_answer_gen_chain, added);
	wdn_store_close(s);
	return cli_exit(&c);
}
