/*
 * Public key lists (ListPublicKeys answers, either AWS CLI's output): any
 * bytes either fail, adding nothing, or add keys that can be looked up and
 * tried as RSA keys.
 */
#include "digest.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_pubkeys k = { 0 };
	size_t i;
	static const uint8_t sig[4] = { 1, 2, 3, 4 };

	if (wdn_pubkeys_parse(&k, (const char *)data, size, NULL)) {
		if (k.n)
			abort(); /* a refused list adds nothing */
		wdn_pubkeys_release(&k);
		return 0;
	}
	for (i = 0; i < k.n; i++) {
		if (wdn_pubkeys_find(&k, k.v[i].fingerprint, k.v[i].from) == NULL && k.v[i].from <= k.v[i].to)
			abort(); /* a key is found at the start of its validity */
		wdn_rsa_verify(k.v[i].der, k.v[i].derlen, "m", 1, sig, sizeof(sig), NULL);
	}
	wdn_pubkeys_release(&k);
	return 0;
}
