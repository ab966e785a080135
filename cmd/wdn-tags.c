/* wdn-tags: add the tags IAM saw on each line's key (a pipeline filter). */
#include "cli.h"
#include "resolve.h"

static const char synopsis[] =
	"usage: wdn-tags [-q] [--store URL] [--at TIME] [--profile NAME] [--region REGION]\n"
	"                [--endpoint-url URL]\n";

int main(int argc, char **argv)
{
	return cli_filter_main(argc, argv, "wdn-tags", synopsis, wdn_answer_gen_tags,
			       wdn_tags_members /* replaced where the input has them */);
}
