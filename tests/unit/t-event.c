/*
 * Which events issue credentials and which change what a key's answer
 * reads (event.c): every name of the lists, and the names an attacker or a
 * new AWS API could write next to them (prefixes, longer names, other
 * case, a NUL inside, empty) are not taken for one.
 */
#include "tap.h"
#include "wdn.h"
#include "event.h"

#include <string.h>

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
	return done_testing();
}
