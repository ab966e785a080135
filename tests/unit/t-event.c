/*
 * Which events issue credentials and which change what a key's answer
 * reads (event.c): every name of the lists, and the names an attacker or a
 * new AWS API could write next to them (prefixes, longer names, other
 * case, a NUL inside, empty) are not taken for one.
 */
#include "tap.h"
#include "wdn.h"
#include "event.h"

#include <stdlib.h>
#include <string.h>

/* Every name of event.c's two lists, to tell what a name should be. */
static const char *const all_issuing[] = { "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
					   "AssumeRoot", "GetSessionToken", "GetFederationToken",
					   "CreateAccessKey" };
static const char *const all_changing[] = {
	"CreateRole", "TagRole", "UntagRole", "DeleteRole", "CreateUser", "TagUser", "UntagUser",
	"DeleteUser", "UpdateUser", "CreateOpenIDConnectProvider", "TagOpenIDConnectProvider",
	"UntagOpenIDConnectProvider", "CreateSAMLProvider", "TagSAMLProvider", "UntagSAMLProvider",
	"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateStack", "UpdateStack",
	"DeleteStack", "CreateStackSet", "UpdateStackSet", "GetRoleCredentials",
};
#define N(a) (sizeof(a) / sizeof(*(a)))

static struct wdn_str str_of(const char *p, size_t n)
{
	struct wdn_str s = { p, n };

	return s;
}

static void is_kind(const char *name, size_t len, int issues, int changes)
{
	struct wdn_str s = str_of(name, len);

	ok(wdn_event_issues(s) == issues && wdn_event_changes_anything(s) == changes,
	   "'%.*s' (%zu bytes): issues %d, changes %d", (int)len, name ? name : "", len, issues, changes);
}

static int in_list(const char *const *l, size_t n, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(l[i]) == len && !memcmp(l[i], p, len))
			return 1;
	return 0;
}

/* name's len bytes in a block of exactly that size, no NUL after them
 * (what an event's text holds), told apart as a length and a memcmp would */
static int exact_as_listed(const char *name, size_t len)
{
	char *p = malloc(len ? len : 1);
	struct wdn_str s = { p, len };
	int good;

	if (!p)
		return 0;
	memcpy(p, name, len);
	good = wdn_event_issues(s) == in_list(all_issuing, N(all_issuing), p, len) &&
	       wdn_event_changes_anything(s) == in_list(all_changing, N(all_changing), p, len);
	free(p);
	return good;
}

/* Each listed name, then every prefix of it, it and one byte more, each
 * byte changed, a NUL at each place: as the lists say, read no further
 * than the name's own bytes (under ASan, a byte past would be caught). */
static void test_every_slice(void)
{
	const char *const *lists[] = { all_issuing, all_changing };
	size_t nlists[] = { N(all_issuing), N(all_changing) }, l, i, k;
	static const char more[] = { 'x', 's', '\0', ' ', 'S', (char)0xff };

	for (l = 0; l < 2; l++) {
		for (i = 0; i < nlists[l]; i++) {
			const char *name = lists[l][i];
			size_t len = strlen(name), bad = 0, tried = 0;
			char buf[64];

			for (k = 0; k <= len; k++, tried++) /* prefixes, and the name */
				bad += !exact_as_listed(name, k);
			for (k = 0; k < sizeof(more); k++, tried++) {
				memcpy(buf, name, len);
				buf[len] = more[k];
				bad += !exact_as_listed(buf, len + 1);
			}
			for (k = 0; k < len; k++) {
				memcpy(buf, name, len);
				buf[k] ^= 1;
				bad += !exact_as_listed(buf, len);
				buf[k] = '\0';
				bad += !exact_as_listed(buf, len);
				buf[k] = (char)(name[k] ^ 0x20);
				bad += !exact_as_listed(buf, len);
				tried += 3;
			}
			ok(!bad, "'%s': %zu of %zu slices and changes told as listed", name, tried - bad, tried);
		}
	}
}

int main(void)
{
	static const char *const issuing[] = { "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
					       "AssumeRoot", "GetSessionToken", "GetFederationToken" };
	static const char *const changing[] = { "CreateRole", "TagRole", "UntagRole", "DeleteRole", "TagUser",
						"UpdateUser", "CreateOpenIDConnectProvider", "UntagSAMLProvider",
						"UpdateAccessKey", "DeleteStack", "UpdateStackSet", "GetRoleCredentials" };
	static const char *const neither[] = { "", "A", "Assume", "AssumeRol", "AssumeRolee", "assumerole",
					       "ASSUMEROLE", "AssumeRoleWithSAM", "GetSessionTokens", "Get",
					       "GetObject", "TagRoles", "Tag", "UpdateStackSets", "Delete",
					       "DescribeInstances", "CreateAccessKe" };
	char nul[] = "AssumeRole\0x";
	size_t i;

	(void)skip;
	for (i = 0; i < sizeof(issuing) / sizeof(*issuing); i++)
		is_kind(issuing[i], strlen(issuing[i]), 1, 0);
	is_kind("CreateAccessKey", 15, 1, 1); /* issues a key, and sets its status */
	for (i = 0; i < sizeof(changing) / sizeof(*changing); i++)
		is_kind(changing[i], strlen(changing[i]), 0, 1);
	for (i = 0; i < sizeof(neither) / sizeof(*neither); i++)
		is_kind(neither[i], strlen(neither[i]), 0, 0);
	is_kind(nul, sizeof(nul) - 1, 0, 0);     /* AssumeRole, a NUL, then more */
	is_kind(nul, 11, 0, 0);                  /* AssumeRole and a NUL */
	is_kind("AssumeRole", 10, 1, 0);
	is_kind(NULL, 0, 0, 0);
	is_kind("AssumeRoleWithSAML", 10, 1, 0); /* a name cut out of a longer text */
	is_kind("CreateStackSet", 11, 0, 1);
	is_kind("TagRole", 0, 0, 0);             /* empty, though its pointer points at a name */
	test_every_slice();
	return done_testing();
}
