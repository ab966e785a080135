/*
 * Enrichment internals (enrich.c): the whodunnit member, the output
 * partitions. Internal to libwdn and the commands (which link libwdn.a); not
 * installed.
 */
#ifndef WDN_ENRICH_H
#define WDN_ENRICH_H

#include "wdn.h"
#include "resolve.h"

/* The store may have changed (a new input, its own read snapshot): drop the
 * issuances the enricher's view kept from it, read again when asked. */
void wdn_enricher_forget(struct wdn_enricher *e);
/* The whodunnit object alone, for an answer (members as the enrich output). */
void wdn_answer_gen_whodunnit(struct yajl_gen_t *g, const struct wdn_answer *a);
extern const struct wdn_member wdn_whodunnit_members[];  /* wdn_answer_gen_whodunnit */
/* Hive-style partition of an event: "account=A/region=R/day=YYYY-MM-DD". */
int wdn_event_partition(const struct wdn_event *ev, struct wdn_buf *out);
/* The same layout as an Athena storage.location.template. */
#define WDN_PARTITION_TEMPLATE "account=${account}/region=${region}/day=${day}"
/* The account and region of a path under the output ("account=A/region=R/..."),
 * each a value wdn_event_partition writes; WDN_EINVAL for anything else. */
int wdn_partition_parse(const char *path, size_t len, struct wdn_str *account, struct wdn_str *region);
/* The shared answer cache's budget, taken whole by wdn_enrich_cache_new:
 * what it holds never grows past it, and no answer allocates. */
#define WDN_ENRICH_CACHE_BYTES (8u << 20)
/* Touch the whole budget now, so a run's memory is the same for every input
 * size from its start (untouched, it is paid for as answers fill it). */
void wdn_enrich_cache_touch(struct wdn_enrich_cache *c);
/* Is this JSON text compact (no whitespace outside strings)? */
int wdn_json_is_compact(const char *p, size_t n);

#endif
