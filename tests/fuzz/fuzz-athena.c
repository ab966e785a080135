/*
 * Output paths (object keys in a bucket anyone may write to) into Athena
 * statements: whatever the path, a value taken from it is one the writer
 * makes, and the statements printed hold no quote, comma or backslash from it.
 */
#include "wdn.h"
#include "athena.h"

#include <stdlib.h>
#include <string.h>

static int tame(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct wdn_athena a;
	struct wdn_buf out = WDN_BUF_INIT;
	size_t i;

	if (!s)
		return 0;
	memcpy(s, data, size); /* an exact-size copy, not NUL-terminated */
	wdn_athena_init(&a);
	a.table = "t";
	a.location = "s3://b/p";
	wdn_athena_add_path(&a, s, size);
	for (i = 0; i < a.accounts.n; i++)
		if (!tame(a.accounts.v[i]) || !*a.accounts.v[i] || strlen(a.accounts.v[i]) > 64)
			abort();
	for (i = 0; i < a.regions.n; i++)
		if (!tame(a.regions.v[i]) || !*a.regions.v[i] || strlen(a.regions.v[i]) > 64)
			abort();
	if (wdn_athena_ddl(&out, &a, NULL) || !strstr(out.ptr, "CREATE OR REPLACE VIEW t AS"))
		abort();
	wdn_buf_release(&out);
	wdn_athena_release(&a);
	free(s);
	return 0;
}
