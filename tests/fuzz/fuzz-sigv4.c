/*
 * SigV4 over any request. The first byte holds the options; then lines:
 * method, path[?query], headers "name:value" up to an empty line, payload.
 * Signing must not crash, and signing again into the same result must agree.
 */
#include "wdn.h"
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

static struct wdn_str line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	struct wdn_str s = { *p, (size_t)((nl ? nl : end) - *p) };

	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct wdn_sigv4_header hs[64];
	struct wdn_sigv4_req r;
	struct wdn_sigv4_sig s;
	struct wdn_str m, u;
	char method[32], first[65];
	const char *q;
	unsigned f;

	if (size < 1)
		return 0;
	f = data[0];
	wdn_sigv4_req_init(&r, f & 1 ? "s3" : "sts");
	r.region = "us-east-1";
	r.time = f & 2 ? 1440938160 : INT64_C(253402300799) - (f >> 4);
	r.presign = !!(f & 4);
	r.unsigned_token = !!(f & 8);
	r.expires = f >> 5 ? f >> 5 : 604801;
	r.creds.key_id = "AKIDEXAMPLE";
	r.creds.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	r.creds.token = f & 16 ? "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ" : NULL;
	m = line(&p, end);
	snprintf(method, sizeof(method), "%.*s", (int)(m.len < 31 ? m.len : 31), m.ptr);
	r.method = method;
	u = line(&p, end);
	q = memchr(u.ptr, '?', u.len);
	r.path.ptr = u.ptr;
	r.path.len = q ? (size_t)(q - u.ptr) : u.len;
	r.query.ptr = q ? q + 1 : NULL;
	r.query.len = q ? u.len - r.path.len - 1 : 0;
	while (p < end && r.nheaders < 64 && (u = line(&p, end)).len) {
		q = memchr(u.ptr, ':', u.len);
		hs[r.nheaders].name.ptr = u.ptr;
		hs[r.nheaders].name.len = q ? (size_t)(q - u.ptr) : u.len;
		hs[r.nheaders].value.ptr = q ? q + 1 : NULL;
		hs[r.nheaders++].value.len = q ? u.len - (size_t)(q - u.ptr) - 1 : 0;
	}
	r.headers = hs;
	r.payload.ptr = p;
	r.payload.len = (size_t)(end - p);
	r.payload_hash = f & 128 && (f & 64) ? "UNSIGNED-PAYLOAD" : NULL;
	wdn_sigv4_sig_init(&s);
	if (!wdn_sigv4_sign(&r, &s, NULL)) {
		memcpy(first, s.signature, sizeof(first));
		if (strlen(first) != 64 || wdn_sigv4_sign(&r, &s, NULL) || strcmp(first, s.signature))
			abort(); /* signing is not repeatable */
	}
	wdn_sigv4_sig_release(&s);
	return 0;
}
