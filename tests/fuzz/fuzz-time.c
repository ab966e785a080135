/*
 * Time parsing: any bytes either fail or give a time that formats to an ISO
 * 8601 string parsing back to the same second.
 */
#include "wdn.h"
#include "datetime.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1), buf[32];
	int64_t t, back;

	if (!s)
		return 0;
	memcpy(s, data, size); /* an exact-size copy, not NUL-terminated */
	if (!wdn_time_parse(s, size, &t)) {
		wdn_time_format(t, buf);
		if (strlen(buf) != 20 || wdn_time_parse(buf, strlen(buf), &back) || back != t)
			abort(); /* parse accepted a time its own format cannot round-trip */
	}
	free(s);
	return 0;
}
