/* ARNs split by position, with bounds: the one parser every module uses. */
#include "wdn.h"
#include "arn.h"
#include "str.h"

#include <string.h>

/* The next ':'-separated field of [p, end), or end when none is left. */
static const char *field_end(const char *p, const char *end)
{
	const char *c = memchr(p, ':', (size_t)(end - p));

	return c ? c : end;
}

int wdn_arn_parse(const char *s, size_t len, struct wdn_arn *out)
{
	struct wdn_str *f[] = { &out->partition, &out->service, &out->region, &out->account };
	const char *p = s, *end, *c;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!s || len < 4 || len > WDN_ARN_MAX || memcmp(s, "arn:", 4))
		return WDN_EINVAL;
	end = s + len; /* not before: NULL + 0 is undefined */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return WDN_EINVAL; /* NUL and controls: no ARN holds them */
	p += 4;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if ((c = field_end(p, end)) == end)
			return WDN_EINVAL; /* fewer than six fields */
		f[i]->ptr = p;
		f[i]->len = (size_t)(c - p);
		p = c + 1;
	}
	if (!out->partition.len || !out->service.len || p == end)
		return WDN_EINVAL;
	out->resource.ptr = p;
	out->resource.len = (size_t)(end - p);
	/* type: before the resource's first '/'; name: after its last */
	if ((c = memchr(p, '/', out->resource.len))) {
		out->type.ptr = p;
		out->type.len = (size_t)(c - p);
		c = memrchr(p, '/', out->resource.len);
		out->name.ptr = c + 1;
		out->name.len = (size_t)(end - (c + 1));
	} else {
		out->type.ptr = p;
		out->name = out->resource;
	}
	return 0;
}

int wdn_arn_parse_str(const char *s, struct wdn_arn *out)
{
	return wdn_arn_parse(s, s ? strlen(s) : 0, out);
}

int wdn_arn_is(const struct wdn_arn *a, const char *service, const char *type)
{
	return (!service || wdn_str_eq(a->service, service)) && (!type || wdn_str_eq(a->type, type));
}

char *wdn_arn_account(const char *arn)
{
	struct wdn_arn a;

	if (wdn_arn_parse_str(arn, &a) || !a.account.len)
		return NULL;
	return wdn_strndup(a.account.ptr, a.account.len);
}

char *wdn_arn_session(const char *arn)
{
	struct wdn_arn a;

	/* assumed-role/ROLE/SESSION: a name after the role's */
	if (wdn_arn_parse_str(arn, &a) || !wdn_arn_is(&a, NULL, "assumed-role") ||
	    a.name.ptr == a.type.ptr + a.type.len + 1 || !a.name.len)
		return NULL;
	return wdn_strndup(a.name.ptr, a.name.len);
}
