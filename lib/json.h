/*
 * JSON helpers over yajl (json.c): parsing with bounds, paths, and
 * generators writing into a wdn_buf. The yajl types stay here, out of the
 * public header. Internal to libwdn and the commands (which link libwdn.a);
 * not installed.
 */
#ifndef WDN_JSON_H
#define WDN_JSON_H

#include "wdn.h"

struct yajl_val_s;
struct yajl_gen_t;
typedef struct yajl_val_s *wdn_json;

/* Parse a complete document; NULL on error with err filled. Free with wdn_json_free. */
wdn_json wdn_json_parse(const char *text, size_t len, struct wdn_err *err);
/* An upper estimate of the values and member names a JSON text holds (one
 * per bracket, comma and colon outside strings, and one): what its tree
 * would cost, whatever its length in bytes. */
size_t wdn_json_elements(const char *text, size_t len);
/* The same, refusing (WDN_ETOOBIG) a text of more than max_elements values and
 * keys (0: no bound) before building its tree: for hostile input. */
wdn_json wdn_json_parse_bounded(const char *text, size_t len, size_t max_elements,
				struct wdn_err *err);
void wdn_json_free(wdn_json v);
/* Member by dotted path ("userIdentity.sessionContext.sessionIssuer.arn"); NULL if absent. */
wdn_json wdn_json_get(wdn_json v, const char *path);
/* String at path, or NULL if absent or not a string. */
const char *wdn_json_str(wdn_json v, const char *path);
/* Emit a JSON value tree into a generator; its number texts are kept as they were. */
int wdn_json_gen(struct yajl_gen_t *g, wdn_json v);
/* Re-emit a serialized JSON text into a generator (value inserted as is). */
int wdn_json_gen_text(struct yajl_gen_t *g, const char *text, size_t len);
/* Is a member name the ASCII name, whatever its case? key is len bytes of
 * UTF-8, decoded, or as written in JSON text (escaped: its escapes are
 * decoded here). Case as case-insensitive readers see it: ASCII letters of
 * either case, and U+0130 and U+0131 as i, U+017F as s, U+212A as k; and a
 * NUL ends the name, as for readers of C strings. */
int wdn_json_name_is(const char *key, size_t len, int escaped, const char *name);
/* Serialize a tree compactly into out (appended). */
int wdn_json_serialize(wdn_json v, struct wdn_buf *out);
/* A generator writing compact JSON onto the end of out; free with yajl_gen_free. */
struct yajl_gen_t *wdn_gen_into(struct wdn_buf *out);
void wdn_gen_str(struct yajl_gen_t *g, const char *s);  /* null for NULL */
void wdn_gen_key(struct yajl_gen_t *g, const char *k);
void wdn_gen_time(struct yajl_gen_t *g, int64_t t);     /* null for WDN_TIME_NONE */

#endif
