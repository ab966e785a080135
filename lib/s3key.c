/*
 * What a CloudTrail object key says, beside the inputs it names: which keys
 * are log files, which are digest files, and the day in the key. CloudTrail
 * writes [PREFIX/]AWSLogs/[ORG/]ACCOUNT/CloudTrail[-Digest]/REGION/YYYY/MM/DD/
 * ACCOUNT_CloudTrail[-Digest]_REGION_...json.gz.
 */
#include "wdn.h"
#include "s3key.h"

#include <string.h>

static int digits(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* The folder name dir as a whole component of key: after its start or a '/', before a '/'. */
static const char *component(const char *key, const char *from, const char *dir)
{
	size_t n = strlen(dir);
	const char *p;

	for (p = strstr(from, dir); p; p = strstr(p + 1, dir))
		if ((p == key || p[-1] == '/') && p[n] == '/')
			return p;
	return NULL;
}

/* REGION/YYYY/MM/DD at p: the date's start, or NULL. */
static const char *region_date(const char *p)
{
	if (*p == '/' || !(p = strchr(p, '/')))
		return NULL;
	p++;
	if (strlen(p) < 10 || !digits(p, 4) || p[4] != '/' || !digits(p + 5, 2) || p[7] != '/' ||
	    !digits(p + 8, 2) || (p[10] && p[10] != '/'))
		return NULL;
	return p;
}

/* What kind of file a key names. */
enum kind { KIND_NONE, KIND_LOG, KIND_DIGEST, KIND_INSIGHT };

static const char *const kind_dirs[] = { NULL, "CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight" };

/* ACCOUNT_CloudTrail[-Digest|-Insight]_...: the first "_CloudTrail" after
 * the account says it; a trail's name later in a digest's may hold the
 * word again. */
static enum kind name_kind(const char *base)
{
	const char *p = strstr(base, "_CloudTrail");

	if (!p)
		return KIND_NONE;
	p += strlen("_CloudTrail");
	if (*p == '_')
		return KIND_LOG;
	if (!strncmp(p, "-Digest_", 8))
		return KIND_DIGEST;
	if (!strncmp(p, "-Insight_", 9))
		return KIND_INSIGHT;
	return KIND_NONE;
}

/*
 * The file's name says its kind; a name that does not (a renamed copy) is
 * of its trail's folder: the last CloudTrail[-Digest|-Insight] folder
 * followed by REGION/YYYY/MM/DD, else the last one at all. Never the first:
 * a bucket prefix may be named like them, and a log file under a prefix
 * "CloudTrail-Digest/" judged a digest is silently not read.
 */
static enum kind key_kind(const char *key)
{
	const char *base = strrchr(key, '/'), *p, *dated = NULL, *any = NULL;
	enum kind k = KIND_NONE, kd = KIND_NONE, ka = KIND_NONE;
	size_t i;

	base = base ? base + 1 : key;
	if ((k = name_kind(base)) != KIND_NONE)
		return k;
	for (i = 1; i < sizeof(kind_dirs) / sizeof(kind_dirs[0]); i++)
		for (p = component(key, key, kind_dirs[i]); p; p = component(key, p + 1, kind_dirs[i])) {
			if (!any || p > any)
				any = p, ka = (enum kind)i;
			if (region_date(p + strlen(kind_dirs[i]) + 1) && (!dated || p > dated))
				dated = p, kd = (enum kind)i;
		}
	return dated ? kd : ka;
}

int wdn_s3key_digest(const char *key)
{
	return key_kind(key) == KIND_DIGEST;
}

int wdn_s3key_date(const char *key, char out[11])
{
	static const char *const dirs[] = { "CloudTrail", "CloudTrail-Digest" };
	const char *p, *d, *found = NULL;
	size_t i;

	/* the last folder of that name followed by a date: a prefix may hold
	 * the name too */
	for (i = 0; i < 2; i++)
		for (p = component(key, key, dirs[i]); p; p = component(key, p + 1, dirs[i]))
			if ((d = region_date(p + strlen(dirs[i]) + 1)) && (!found || d > found))
				found = d;
	if (!found)
		return -1;
	memcpy(out, found, 10);
	out[10] = '\0';
	return 0;
}

/* A YYYY-MM-DD bound or a YYYY/MM/DD date as YYYYMMDD, for comparing. */
static void day_digits(const char *s, char out[9])
{
	size_t i, n = 0;

	for (i = 0; i < 10 && s[i] && n < 8; i++)
		if (s[i] >= '0' && s[i] <= '9')
			out[n++] = s[i];
	out[n] = '\0';
}

int wdn_s3key_within(const char *key, const char *since, const char *until)
{
	char d[11], day[9], b[9];

	if ((!since && !until) || wdn_s3key_date(key, d))
		return 1;
	day_digits(d, day);
	if (since && (day_digits(since, b), strcmp(day, b) < 0))
		return 0;
	if (until && (day_digits(until, b), strcmp(day, b) > 0))
		return 0;
	return 1;
}

const char *wdn_trail_key_skip(const char *key)
{
	const char *base = strrchr(key, '/');
	size_t n = strlen(key);

	base = base ? base + 1 : key;
	if (!*base)
		return "a folder";
	switch (key_kind(key)) {
	case KIND_DIGEST:
		return "a digest file: it holds no events";
	case KIND_INSIGHT:
		return "an Insights file: it holds no CloudTrail events";
	case KIND_LOG:
		break;
	case KIND_NONE:
		return "not a CloudTrail log file";
	}
	/* ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz, under
	 * .../CloudTrail/REGION/YYYY/MM/DD/ */
	if (name_kind(base) != KIND_LOG || !component(key, key, "CloudTrail") ||
	    !((n > 8 && !strcmp(key + n - 8, ".json.gz")) || (n > 5 && !strcmp(key + n - 5, ".json"))))
		return "not a CloudTrail log file";
	return NULL;
}
