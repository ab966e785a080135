/*
 * Key and signature encodings: base64 text into DER, DER tried as an RSA
 * public key (PKCS #1 or SubjectPublicKeyInfo), hex signatures. Decoding
 * never reads or writes out of bounds; base64 decodes to at most 3/4 of
 * its length.
 */
#include "digest.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_buf b;
	uint8_t out[512];
	size_t n;

	wdn_buf_init(&b, 1 << 20);
	if (!wdn_base64_decode((const char *)data, size, &b)) {
		if (b.len > size * 3 / 4 + 1)
			abort();
		wdn_rsa_verify((const unsigned char *)b.ptr, b.len, data, size, out, 256, NULL);
	}
	wdn_buf_release(&b);
	/* the raw bytes as DER too: most fuzz inputs are not base64 */
	wdn_rsa_verify(data, size, "m", 1, data, size < 512 ? size : 512, NULL);
	if (!wdn_hex_decode((const char *)data, size, out, sizeof(out), &n) && n * 2 != size)
		abort();
	return 0;
}
