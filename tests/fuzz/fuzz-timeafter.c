/*
 * Time parsing does not depend on what the thread parsed before (time.c
 * remembers the date of the last plain eventTime): a string parses the same,
 * value and verdict, after any earlier string as after a fixed other date.
 *
 * The first byte splits the rest into the earlier string and the one
 * parsed after it; with its high bit set, the later string takes the
 * earlier one's first 10 bytes (its date), the case the memory serves.
 */
#include "wdn.h"
#include "datetime.h"

#include <stdlib.h>
#include <string.h>

static int parse_after(const char *before, size_t blen, const char *s, size_t len, int64_t *t)
{
	int64_t ignored;

	wdn_time_parse(before, blen, &ignored);
	*t = -12345;
	return wdn_time_parse(s, len, t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char other[] = "1999-01-01T00:00:00Z";
	size_t k, len;
	char *before, *s;
	int64_t cold, warm, again;
	int rc_cold, rc_warm, rc_again;

	if (size < 2)
		return 0;
	k = (data[0] & 0x7f) % size;
	k = k < size - 1 ? k : size - 1;
	len = size - 1 - k;
	/* exact-size copies, not NUL-terminated */
	if (!(before = malloc(k ? k : 1)) || !(s = malloc(len + 10))) {
		free(before);
		return 0;
	}
	memcpy(before, data + 1, k);
	if ((data[0] & 0x80) && k >= 10) {
		memcpy(s, before, 10);
		memcpy(s + 10, data + 1 + k, len);
		len += 10;
	} else {
		memcpy(s, data + 1 + k, len);
	}
	rc_cold = parse_after(other, sizeof(other) - 1, s, len, &cold);
	rc_warm = parse_after(before, k, s, len, &warm);
	rc_again = parse_after(s, len, s, len, &again);
	if (rc_cold != rc_warm || rc_cold != rc_again)
		abort(); /* accepted or refused after one string, not after another */
	if (!rc_cold && (cold != warm || cold != again || cold < 0 || cold > 253402300799LL))
		abort(); /* a value that depends on the string before */
	free(before);
	free(s);
	return 0;
}
