/*
 * Answers as JSON members, through yajl (resolve.c), and the member lists
 * the Athena DDL and wdn-chain/wdn-tags are built from. Internal to libwdn
 * and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_RESOLVE_H
#define WDN_RESOLVE_H

#include "wdn.h"
#include "json.h"

/* The same, for a key seen in an event: with no issuance in use at at, the
 * answer is what that sighting tells, not the store's sightings. */
int wdn_resolve_seen(struct wdn_store *s, const char *key, int64_t at, const struct wdn_sighting *seen,
		     struct wdn_answer *a, struct wdn_err *err);
/* Emit the lookup object's members (without the enclosing braces). */
void wdn_answer_gen_lookup(struct yajl_gen_t *g, const struct wdn_answer *a, int flags);
/* The members wdn-chain and wdn-tags add to their input objects. */
void wdn_answer_gen_chain(struct yajl_gen_t *g, const struct wdn_answer *a);
void wdn_answer_gen_tags(struct yajl_gen_t *g, const struct wdn_answer *a);
/* The Identity member: the chain's root. */
void wdn_answer_gen_identity(struct yajl_gen_t *g, const struct wdn_answer *a);

/* A JSON member a generator may write, with its Amazon Athena (Hive DDL)
 * type, or sub: it is a structure of those members. Each list sits beside
 * the generator it describes, ends with a NULL name, and a test checks that
 * the two agree: the Athena DDL and wdn-chain/wdn-tags are built from them. */
struct wdn_member {
	const char *name;
	const char *type;
	const struct wdn_member *sub;
};
extern const struct wdn_member wdn_identity_members[];   /* wdn_answer_gen_identity */
extern const struct wdn_member wdn_chain_members[];      /* wdn_answer_gen_chain */
extern const struct wdn_member wdn_tags_members[];       /* wdn_answer_gen_tags */
/* An issuance's summary members (key, principal, session, caller, event,
 * validity): the Links, the Descendants, and wdn-record's output lines. */
void wdn_issuance_gen_summary(struct yajl_gen_t *g, const struct wdn_issuance *is);

/* A validity window as every output shows it (render.c): "START<arrow>END",
 * END "(no end)" when none is known yet; "" when start is unknown. Cut to
 * size; WDN_SPAN_MAX holds any with an arrow of up to 16 bytes. */
#define WDN_SPAN_MAX 80
void wdn_render_span(int64_t start, int64_t end, const char *arrow, char *buf, size_t size);

#endif
