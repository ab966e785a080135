/* wdn-chain: add the chain behind each line's access key (a pipeline filter). */
#include "cli.h"

static const char synopsis[] =
	"usage: wdn-chain [-q] [--store URL] [--at TIME] [--profile NAME] [--region REGION]\n"
	"                 [--endpoint-url URL]\n";

/* what wdn_answer_gen_chain writes, replaced if the input has them */
static const char *const added[] = {
	"Principal", "PrincipalChain", "Identity", "Complete", "Start", "End", "AccountId",
	"KeyType", "SessionName", "FirstSeen", "LastSeen", "Status", "StatusHistory", "Inferred",
	"Found", "Links", NULL,
};

int main(int argc, char **argv)
{
	return cli_filter_main(argc, argv, "wdn-chain", synopsis, wdn_answer_gen_chain, added);
}
