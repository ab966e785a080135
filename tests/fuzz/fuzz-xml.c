/*
 * XML as S3 and STS answer it, and AWS error bodies (XML or JSON): any bytes
 * either parse or fail cleanly; the error parser always names some code.
 */
#include "wdn.h"
#include "aws.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

static int touch(void *ctx, const char *path, const char *text, size_t len)
{
	size_t *sum = ctx;

	*sum += strlen(path) + len + (len ? (unsigned char)text[len - 1] : 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_err err = { 0 };
	size_t sum = 0;
	long status = size ? 400 + data[0] % 200 : 500;

	wdn_xml_walk((const char *)data, size, touch, &sum, NULL);
	wdn_aws_parse_error(status, size > 1 && data[1] & 1 ? "Fuzz#Header:x" : NULL,
			    (const char *)data, size, &err);
	if (err.code != WDN_EAWS || !err.aws_type[0])
		abort(); /* an error answer always becomes a named AWS error */
	return 0;
}
