/* wdn-chain: add the chain behind each line's access key (a pipeline filter). */
#include "cli.h"
#include "resolve.h"

static const char synopsis[] =
	"usage: wdn-chain [-q] [--store URL] [--at TIME] [--profile NAME] [--region REGION]\n"
	"                 [--endpoint-url URL]\n";

int main(int argc, char **argv)
{
	return cli_filter_main(argc, argv, "wdn-chain", synopsis, wdn_answer_gen_chain,
			       wdn_chain_members /* replaced where the input has them */);
}
