/*
 * The enricher's shared answer cache stays small however many keys a run
 * meets (peak RSS flat from 10 MB to 1 GB of input), and what it drops is
 * the oldest: a key answered lately is still answered, and so is a key
 * asked for all along, however long ago it was first answered.
 */
#include "tap.h"
#include "wdn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIME "2021-07-01T00:00:00Z"

/* Enrich one event of key number i (no store: answers from userIdentity). */
static int enrich_key(struct wdn_enricher *e, unsigned i, int ask_only)
{
	char key[32], raw[256];
	struct wdn_event ev;
	struct wdn_buf out = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	int n, rc;

	snprintf(key, sizeof(key), "AKIA%016u", i);
	n = snprintf(raw, sizeof(raw),
		     "{\"eventTime\":\"" TIME "\",\"userIdentity\":{\"type\":\"IAMUser\","
		     "\"arn\":\"arn:aws:iam::111122223333:user/u%u\",\"accessKeyId\":\"%s\"}}", i, key);
	memset(&ev, 0, sizeof(ev));
	ev.raw.ptr = raw;
	ev.raw.len = (size_t)n;
	ev.f[WDN_F_EVENT_TIME] = wdn_str_of(TIME);
	ev.f[WDN_F_UI_KEY] = wdn_str_of(key);
	if (ask_only) {
		int64_t t = 1625097600; /* TIME */

		return wdn_enricher_knows(e, &ev, t);
	}
	rc = wdn_enrich_event(e, &ev, &out, &err);
	wdn_buf_release(&out);
	return rc;
}

int main(void)
{
	struct wdn_enrich_cache *c = wdn_enrich_cache_new();
	struct wdn_enricher *e = wdn_enricher_new(NULL, c);
	unsigned i, n = 20000, bad = 0; /* some 10 MB of answers */

	ok(c && e, "an enricher with a shared cache");
	ok(!enrich_key(e, 0, 0), "key 0 enriched");
	ok(enrich_key(e, 0, 1), "key 0 then cached");
	for (i = 1; i <= n; i++)
		bad += enrich_key(e, i, 0) != 0;
	is_int(bad, 0, "%u more keys enriched", n);
	/* the cache holds a few MB: the first key of 20000 is gone */
	ok(!enrich_key(e, 0, 1), "the first key is no longer cached after %u others", n);
	/* and the latest ones are all there, across the last aging */
	for (i = n - 499, bad = 0; i <= n; i++)
		bad += !enrich_key(e, i, 1);
	is_int(bad, 0, "the last 500 keys are all still cached");
	/* a key in use all along stays, across every aging: a hit in the
	 * older generation keeps it (several keys, asked at several rates) */
	for (i = 0, bad = 0; i < 3; i++)
		bad += enrich_key(e, 900000 + i, 0) != 0;
	for (i = 1; i <= n; i++) {
		unsigned k;

		bad += enrich_key(e, 2 * n + i, 0) != 0;
		for (k = 0; k < 3; k++)
			if (i % (50u << (2 * k)) == 0 && !enrich_key(e, 900000 + k, 1))
				bad++;
	}
	is_int(bad, 0, "3 keys asked for every 50, 200 and 800 others stay cached across %u others", n);
	for (i = 0, bad = 0; i < 3; i++)
		bad += !enrich_key(e, 900000 + i, 1);
	is_int(bad, 0, "and are still cached at the end");
	wdn_enricher_free(e);
	wdn_enrich_cache_free(c);
	return done_testing();
}
