/* What an access key ID tells without any store: its type, and for
 * new-generation keys the account that owns it. */
#include "wdn.h"
#include "key.h"

#include <string.h>

static const struct {
	const char prefix[5], *type;
} key_types[] = {
	{ "AKIA", "long-term" },      /* IAM user or root access key */
	{ "ASIA", "temporary" },      /* STS session credentials */
	{ "ABIA", "bearer-token" },   /* STS service bearer token */
	{ "ACCA", "context-specific" },
};

const char *wdn_key_type(const char *key)
{
	size_t i;

	for (i = 0; key && i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (!strncmp(key, key_types[i].prefix, 4))
			return key_types[i].type;
	return NULL;
}

int wdn_key_id_ok(const char *p, size_t n)
{
	size_t i;

	if (!p || n < 16 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
			return 0;
	return 1;
}

int wdn_key_id_check(const char *p, size_t n)
{
	size_t i;

	if (wdn_key_id_ok(p, n))
		return WDN_KEY_ID;
	if (!p || n > 128)
		return WDN_KEY_BAD;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
			return WDN_KEY_BAD;
	return WDN_KEY_MASKED;
}

int wdn_key_valid(const char *s)
{
	return s && wdn_key_id_ok(s, strnlen(s, 129)) && wdn_key_type(s);
}

static int b32(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Keys issued since 2019 carry the account: base32-decode the characters after
 * the prefix; bits 7..46 of the first six bytes are the account number. Older
 * keys have a 5th character outside Q-Z/2-7 and carry no account. */
int wdn_key_account(const char *key, char out[16])
{
	uint64_t v = 0;
	int i, d, bits = 0;

	if (!wdn_key_valid(key) || strlen(key) < 14)
		return WDN_ENOTFOUND;
	if (!((key[4] >= 'Q' && key[4] <= 'Z') || (key[4] >= '2' && key[4] <= '7')))
		return WDN_ENOTFOUND;
	/* 10 base32 characters give 50 bits; the first 48 are the 6 bytes. */
	for (i = 4; i < 14; i++) {
		if ((d = b32(key[i])) < 0)
			return WDN_ENOTFOUND;
		v = v << 5 | (uint64_t)d;
		bits += 5;
	}
	v >>= bits - 48;
	v = (v & 0x7fffffffff80ULL) >> 7;
	snprintf(out, 16, "%012llu", (unsigned long long)v);
	return 0;
}
