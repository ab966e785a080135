/*
 * Digest files: any bytes either fail to parse or give a digest whose data
 * to sign can be built; the verifier takes them (twice, as a chain would)
 * with a log, and decides without crashing.
 */
#include "digest.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_digest d;
	struct wdn_buf b = WDN_BUF_INIT;
	struct wdn_verifier *v;
	uint8_t sha[32] = { 0 };

	if (!wdn_digest_parse((const char *)data, size, &d, NULL)) {
		if (wdn_digest_to_sign(&d, sha, &b) || b.len < 4)
			abort(); /* a parsed digest always has its four lines */
		wdn_buf_release(&b);
		wdn_digest_release(&d);
	}
	if ((v = wdn_verifier_new())) {
		wdn_verifier_add_digest(v, "a", NULL, NULL, data, size, NULL, NULL);
		wdn_verifier_add_digest(v, "s3://b/k", "b", "k", data, size, "00ff", "SHA256withRSA");
		wdn_verifier_add_log(v, "x/y.json.gz", NULL, NULL, sha);
		wdn_verifier_finish(v, NULL, NULL);
		wdn_verifier_free(v);
	}
	return 0;
}
