/*
 * Credentials as endpoints answer them: credential_process output and the
 * container and instance-metadata endpoints (JSON), STS (XML). Any bytes give
 * whole credentials or none, and nothing leaks.
 */
#include "wdn.h"
#include "creds.h"

#include <stdlib.h>
#include <string.h>

static void check(const struct wdn_creds *c)
{
	/* credentials come whole: a key without a secret is no credentials */
	if ((c->key_id != NULL) != (c->secret != NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_creds c;
	struct wdn_err err = { 0 };

	memset(&c, 0, sizeof(c));
	if (!wdn_creds_from_json((const char *)data, size, &c, &err))
		check(&c);
	wdn_creds_release(&c);
	memset(&c, 0, sizeof(c));
	if (!wdn_creds_from_sts_xml((const char *)data, size, &c, &err))
		check(&c);
	wdn_creds_release(&c);
	return 0;
}
