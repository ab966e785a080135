/*
 * Tag sets and transitive key sets from JSON text: whatever parses must
 * serialize to JSON that parses back to the same set, and every key must
 * be found again with its value.
 */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_tags t = { 0 }, t2 = { 0 };
	struct wdn_keyset k = { 0 }, k2 = { 0 };
	struct wdn_buf a = WDN_BUF_INIT, b = WDN_BUF_INIT;
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!wdn_tags_from_json(&t, text)) {
		for (i = 0; i < t.n; i++)
			if (wdn_tags_get(&t, t.v[i].key) != t.v[i].value)
				abort(); /* a key that does not find its own tag */
		if (wdn_tags_to_json(&t, &a) || wdn_tags_from_json(&t2, a.ptr) ||
		    wdn_tags_to_json(&t2, &b) || strcmp(a.ptr, b.ptr) || t.n != t2.n)
			abort(); /* tags do not round-trip */
		if (wdn_tags_merge(&t2, &t) || t2.n != t.n || (t.n && wdn_tags_unset(&t2, t.v[0].key)) ||
		    (t.n && (t2.n != t.n - 1 || wdn_tags_get(&t2, t.v[0].key))))
			abort(); /* merging a set into itself changed it, or unset failed */
	}
	wdn_buf_reset(&a);
	wdn_buf_reset(&b);
	if (!wdn_keyset_from_json(&k, text)) {
		for (i = 0; i < k.n; i++)
			if (!wdn_keyset_has(&k, k.v[i]) || (i && strcmp(k.v[i - 1], k.v[i]) >= 0))
				abort(); /* not sorted, or a key not found */
		if (wdn_keyset_to_json(&k, &a) || wdn_keyset_from_json(&k2, a.ptr) ||
		    wdn_keyset_to_json(&k2, &b) || strcmp(a.ptr, b.ptr) || k.n != k2.n)
			abort(); /* key set does not round-trip */
	}
	wdn_tags_release(&t);
	wdn_tags_release(&t2);
	wdn_keyset_release(&k);
	wdn_keyset_release(&k2);
	wdn_buf_release(&a);
	wdn_buf_release(&b);
	free(text);
	return 0;
}
