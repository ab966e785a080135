/*
 * ARNs (arn.c). Internal to libwdn and the commands (which link libwdn.a);
 * not installed.
 */
#ifndef WDN_ARN_H
#define WDN_ARN_H

#include "wdn.h"

/*
 * An ARN split by position: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
 * Every member borrows from the text parsed. RESOURCE is the rest, ':' and
 * '/' included; type is RESOURCE before its first '/' (empty when it has
 * none) and name what follows its last '/' (all of RESOURCE when none):
 * "role/path/NAME" is type "role", name "NAME".
 */
struct wdn_arn {
	struct wdn_str partition, service, region, account, resource;
	struct wdn_str type, name;
};
#define WDN_ARN_MAX 2048 /* IAM's longest ARN parameter; longer text is no ARN */
/* 0, or WDN_EINVAL when s[0..len) is not an ARN: no "arn:" prefix, fewer
 * than six fields, an empty partition, service or resource, a control byte
 * (NUL included), or longer than WDN_ARN_MAX. */
int wdn_arn_parse(const char *s, size_t len, struct wdn_arn *out);
int wdn_arn_parse_str(const char *s, struct wdn_arn *out); /* s may be NULL */
/* Is a of this service and resource type (NULL: any)? */
int wdn_arn_is(const struct wdn_arn *a, const char *service, const char *type);
/* The ACCOUNT of an ARN (owned), or NULL when s is no ARN or names none. */
char *wdn_arn_account(const char *arn);
/* The SESSION of an assumed-role/ROLE/SESSION ARN (owned), or NULL. */
char *wdn_arn_session(const char *arn);

#endif
