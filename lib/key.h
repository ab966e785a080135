/*
 * Access key ID shapes (key.c), as the recorder checks them; the public
 * header has wdn_key_valid, wdn_key_type and wdn_key_account. Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_KEY_H
#define WDN_KEY_H

#include "wdn.h"

/* The shape of a key ID, whatever its prefix: 16 to 128 characters of A-Z
 * and 0-9 (IAM's AccessKeyId is 16 to 128 word characters; every key ID AWS
 * issues is upper case and digits). No store holds any other. */
int wdn_key_id_ok(const char *p, size_t n);
/* What a key ID read from an event is. WDN_KEY_MASKED: printable ASCII of
 * at most 128 characters but no key ID, as the AKIA**************** of
 * published sample trails: it names no key, and nothing is recorded about
 * it. WDN_KEY_BAD: longer, or holding control or non-ASCII bytes: hostile,
 * and the record is rejected. */
enum { WDN_KEY_ID, WDN_KEY_MASKED, WDN_KEY_BAD };
int wdn_key_id_check(const char *p, size_t n);

#endif
