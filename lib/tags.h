/*
 * Building and printing tag sets and key sets (tags.c); the public header
 * has the types and the read functions. Internal to libwdn and the commands
 * (which link libwdn.a); not installed.
 */
#ifndef WDN_TAGS_H
#define WDN_TAGS_H

#include "wdn.h"
#include "json.h"

void wdn_tags_release(struct wdn_tags *t);
int wdn_tags_set(struct wdn_tags *t, const char *key, const char *value);
int wdn_tags_unset(struct wdn_tags *t, const char *key);
int wdn_tags_merge(struct wdn_tags *t, const struct wdn_tags *over); /* over wins */
/* JSON object text {"k":"v",...} <-> tags. */
int wdn_tags_from_json(struct wdn_tags *t, const char *text);
int wdn_tags_to_json(const struct wdn_tags *t, struct wdn_buf *out);
void wdn_tags_gen(struct yajl_gen_t *g, const struct wdn_tags *t, int sorted);

void wdn_keyset_release(struct wdn_keyset *k);
int wdn_keyset_add(struct wdn_keyset *k, const char *key);
int wdn_keyset_from_json(struct wdn_keyset *k, const char *text); /* ["a","b"] */
int wdn_keyset_to_json(const struct wdn_keyset *k, struct wdn_buf *out);
void wdn_keyset_gen(struct yajl_gen_t *g, const struct wdn_keyset *k);

#endif
