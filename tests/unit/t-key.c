/*
 * Access key facts (key.c): the type from the prefix, what counts as a key
 * ID, and the account ID that new-generation keys carry (base32 of the
 * characters after the prefix; bits 7..46 of the first six bytes).
 */
#include "tap.h"
#include "wdn.h"
#include "key.h"

#include <string.h>

static void account_is(const char *key, const char *want)
{
	char out[16];

	memset(out, 'X', sizeof(out));
	if (!ok(wdn_key_account(key, out) == 0, "account of %s found", key))
		return;
	is_str(out, want, "account of %s", key);
}

static void no_account(const char *key, const char *why)
{
	char out[16] = "";

	is_int(wdn_key_account(key, out), WDN_ENOTFOUND, "no account in %s (%s)", key ? key : "NULL", why);
}

static void test_type(void)
{
	is_str(wdn_key_type("AKIAIOSFODNN7EXAMPLE"), "long-term", "AKIA: long-term");
	is_str(wdn_key_type("ASIAY34FZKBOKMUTVV7A"), "temporary", "ASIA: temporary");
	is_str(wdn_key_type("ABIAY34FZKBOKMUTVV7A"), "bearer-token", "ABIA: bearer token");
	is_str(wdn_key_type("ACCAY34FZKBOKMUTVV7A"), "context-specific", "ACCA: context-specific");
	ok(wdn_key_type("AIDAJCXW2GXJQGTRBT3DC") == NULL, "AIDA (a user ID) is no key");
	ok(wdn_key_type("AROAY24FZZZZI4PQIZZHL") == NULL, "AROA (a role ID) is no key");
	ok(wdn_key_type("akiaiosfodnn7example") == NULL, "lower case is no key prefix");
	ok(wdn_key_type("AKI") == NULL, "a short prefix is no key");
	ok(wdn_key_type("") == NULL, "empty is no key");
	ok(wdn_key_type(NULL) == NULL, "NULL is no key");
	is_str(wdn_key_type("AKIA"), "long-term", "the prefix alone still has a type");
}

static void test_valid(void)
{
	char k[200];

	ok(wdn_key_valid("AKIAIOSFODNN7EXAMPLE"), "AWS's documented example key is valid");
	ok(wdn_key_valid("ASIAY34FZKBOKMUTVV7A"), "a temporary key is valid");
	ok(wdn_key_valid("ASIATJVZAAAARRT5X7PR"), "the seed example's key is valid");
	ok(!wdn_key_valid("asiatjvzaaaarrt5x7pr"), "lower case is not valid");
	ok(!wdn_key_valid("ASIATJVZAAAARRT5X7P-"), "punctuation is not valid");
	ok(!wdn_key_valid("ASIATJVZAAAARRT5X7P "), "a trailing space is not valid");
	ok(!wdn_key_valid("AIDAJCXW2GXJQGTRBT3DC"), "a user ID is not a key");
	ok(!wdn_key_valid("ASIA"), "the prefix alone is not valid");
	ok(!wdn_key_valid(""), "empty is not valid");
	ok(!wdn_key_valid(NULL), "NULL is not valid");
	memcpy(k, "ASIAAAAAAAAAAAAA", 17);
	ok(wdn_key_valid(k), "16 characters: valid (IAM's minimum)");
	k[15] = '\0';
	ok(!wdn_key_valid(k), "15 characters: too short");
	memset(k, 'A', 128);
	memcpy(k, "AKIA", 4);
	k[128] = '\0';
	ok(wdn_key_valid(k), "128 characters: valid (IAM's maximum)");
	k[128] = 'A';
	k[129] = '\0';
	ok(!wdn_key_valid(k), "129 characters: too long");
}

static void test_account(void)
{
	char out[16];

	/* the published example (Aidan Steele, "AWS access key ID formats") */
	account_is("ASIAY34FZKBOKMUTVV7A", "609629065308");
	/* the same decoding as Python's base64.b32decode over the rest of the key */
	account_is("ASIATJVZAAAARRT5X7PR", "226947497985");
	account_is("ASIAY24FZZZZJJS7IPOU", "607481613938");
	/* leading zeros are kept: account IDs are 12 digits */
	account_is("AKIAQYLPMN5HHHFPZAM2", "052310077262");
	/* the account does not depend on the type prefix */
	account_is("AKIAY34FZKBOKMUTVV7A", "609629065308");
	/* old-style keys (5th character outside Q-Z and 2-7) carry none */
	no_account("AKIAJWMRCSBBKQO4HQCQ", "old style, J");
	no_account("AKIAIOSFODNN7EXAMPLE", "old style, I");
	no_account("AKIAAAAAAAAAAAAAAAAA", "old style, A");
	no_account("ASIAY34FZ1BOKMUTVV7A", "1 is not base32");
	no_account("AIDAY34FZKBOKMUTVV7A", "not a key prefix");
	no_account("asiay34fzkbokmutvv7a", "lower case");
	no_account("", "empty");
	no_account(NULL, "NULL");
	memset(out, 'X', sizeof(out));
	wdn_key_account("ASIAY34FZKBOKMUTVV7A", out);
	is_int(strlen(out), 12, "the account is 12 digits, NUL-terminated");
}

/* Key IDs read from events: a key ID's shape, a masked one, a hostile one. */
static void test_key_id_check(void)
{
	char k[300];

	ok(wdn_key_id_ok("AKIAIOSFODNN7EXAMPLE", 20), "a key ID");
	ok(wdn_key_id_ok("ZZZZ000000000000", 16), "any prefix: only the shape counts");
	ok(!wdn_key_id_ok("AKIAIOSFODNN7EXAMPLE", 15), "15 characters: too short");
	ok(!wdn_key_id_ok("AKIAIOSFODNN7EXAMPL\0", 20), "a NUL inside");
	ok(!wdn_key_id_ok(NULL, 20), "NULL");
	memset(k, 'A', sizeof(k));
	ok(wdn_key_id_ok(k, 128), "128 characters");
	ok(!wdn_key_id_ok(k, 129), "129 characters");
	is_int(wdn_key_id_check(k, 128), WDN_KEY_ID, "128 characters: a key ID");
	is_int(wdn_key_id_check(k, 129), WDN_KEY_BAD, "129 characters: hostile");
	is_int(wdn_key_id_check(k, 300), WDN_KEY_BAD, "300 characters: hostile");
	is_int(wdn_key_id_check("AKIA****************", 20), WDN_KEY_MASKED, "a sample's masked key: no key");
	is_int(wdn_key_id_check("akiaiosfodnn7example", 20), WDN_KEY_MASKED, "lower case: no key");
	is_int(wdn_key_id_check("AKIA", 4), WDN_KEY_MASKED, "a prefix alone: no key");
	is_int(wdn_key_id_check("AKIAIOSFODNN7EXAMP\n", 19), WDN_KEY_BAD, "a control character: hostile");
	is_int(wdn_key_id_check("AKIAIOSFODNN7EXAMP\0E", 20), WDN_KEY_BAD, "a NUL: hostile");
	is_int(wdn_key_id_check("AKIAIOSFODNN7EXAM\xc3\xa9", 19), WDN_KEY_BAD, "non-ASCII: hostile");
	memcpy(k, "AKIA", 4);
	k[200] = '\0';
	ok(!wdn_key_valid(k), "wdn_key_valid: 200 characters with a key prefix is no key");
}

int main(void)
{
	(void)skip;
	test_type();
	test_valid();
	test_account();
	test_key_id_check();
	return done_testing();
}
