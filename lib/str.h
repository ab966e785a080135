/*
 * Strings and hashes (buf.c): the helpers beside the public wdn_buf.
 * Internal to libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_STR_H
#define WDN_STR_H

#include "wdn.h"

int wdn_str_eq(struct wdn_str a, const char *lit);
char *wdn_strndup(const char *p, size_t n); /* NULL only on ENOMEM or p == NULL */
/* A hex digit's value (either case), or -1. */
int wdn_hex_value(char c);
/* Strict UTF-8: no overlong forms, surrogates, or code points past U+10FFFF. */
int wdn_utf8_valid(const char *p, size_t n);
/* FNV-1a over n bytes, going on from h (WDN_HASH_INIT to start): hashing in
 * pieces gives the hash of the whole. For tables and shard choice, not for
 * secrets; shard and file names depend on its values, so they never change. */
#define WDN_HASH_INIT 1469598103934665603ULL
uint64_t wdn_hash(uint64_t h, const void *p, size_t n);
uint64_t wdn_hash_str(const char *s); /* of a whole string, from WDN_HASH_INIT */
char *wdn_strdup(const char *s);            /* NULL for NULL */
/* How many buffer growths and string copies have failed for want of memory
 * (all threads): work made of many copies (where NULL also means "absent")
 * compares it before and after, once, and fails with WDN_ENOMEM. */
unsigned long wdn_nomem_count(void);

#endif
