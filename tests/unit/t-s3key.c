/*
 * What a CloudTrail object key says (s3key.c): digest files by folder or
 * name, the day in the key under account, organization and prefixed trails
 * (a prefix that holds the folder names too), --since/--until bounds, and
 * which keys are log files.
 */
#include "tap.h"
#include "wdn.h"
#include "s3key.h"

#define LOG "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/" \
	"111122223333_CloudTrail_us-east-1_20240102T0005Z_abcdEFGH1234.json.gz"
#define DIGEST "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/" \
	"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240102T010000Z.json.gz"

static void test_digest(void)
{
	static const struct { const char *key; int want; } v[] = {
		{ DIGEST, 1 },
		{ "logs/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2023/12/31/x.json.gz", 1 },
		{ "CloudTrail-Digest/us-east-1/2024/01/02/x.json.gz", 1 },
		{ "/data/trail/CloudTrail-Digest/x.json.gz", 1 },
		{ "flat/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240102T010000Z.json.gz", 1 },
		{ LOG, 0 },
		{ "AWSLogs/111122223333/CloudTrail-DigestOld/us-east-1/2024/01/02/x.json.gz", 0 },
		{ "AWSLogs/111122223333/oldCloudTrail-Digest/us-east-1/2024/01/02/x.json.gz", 0 },
		{ "CloudTrail-Digest-archive/AWSLogs/1/CloudTrail/us-east-1/2024/01/02/x.json.gz", 0 },
		{ "AWSLogs/111122223333/CloudTrail-Digest", 0 },
		{ "", 0 },
		/* a bucket prefix named like the folders: the trail's own folder or the file's name decides */
		{ "CloudTrail-Digest/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/"
		  "111122223333_CloudTrail_us-east-1_20240102T0005Z_abcdEFGH1234.json.gz", 0 },
		{ "a/CloudTrail-Digest/b/AWSLogs/1/CloudTrail/us-east-1/2024/01/02/renamed.json.gz", 0 },
		{ "CloudTrail-Digest/x/CloudTrail-Digest/AWSLogs/1/CloudTrail/eu-west-1/2023/12/31/f.json", 0 },
		{ "old/CloudTrail/AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/02/renamed.json.gz", 1 },
		{ "AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/02/"
		  "1_CloudTrail-Digest_us-east-1_my_CloudTrail_trail_us-east-1_20240102T010000Z.json.gz", 1 },
		{ "1_CloudTrail_us-east-1_20240102T0005Z_x.json.gz", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(wdn_s3key_digest(v[i].key), v[i].want, "digest? '%s'", v[i].key);
}

static void test_date(void)
{
	static const struct { const char *key, *want; } v[] = {
		{ LOG, "2024/01/02" },
		{ DIGEST, "2024/01/02" },
		{ "AWSLogs/o-abc123/111122223333/CloudTrail/ap-southeast-2/2023/12/31/f.json.gz", "2023/12/31" },
		{ "CloudTrail/us-east-1/2024/02/29/f.json.gz", "2024/02/29" },
		/* a prefix with the folder names in it: the trail's own folders count */
		{ "logs/CloudTrail/AWSLogs/111122223333/CloudTrail/eu-west-1/2023/12/31/f.json.gz", "2023/12/31" },
		{ "CloudTrail/old/2020/01/01/AWSLogs/1/CloudTrail/us-east-1/2024/02/29/f.json.gz", "2024/02/29" },
		{ "CloudTrail-Digest/old/2020/01/01/AWSLogs/1/CloudTrail/us-east-1/2024/03/01/f", "2024/03/01" },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02", "2024/01/02" },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/f.json.gz", NULL },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/abcd/ef/gh/f.json.gz", NULL },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/2024/1/02/f.json.gz", NULL },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01", NULL },
		{ "AWSLogs/111122223333/CloudTrail//2024/01/02/f.json.gz", NULL },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/023/f.json.gz", NULL },
		{ "AWSLogs/111122223333/MyCloudTrail/us-east-1/2024/01/02/f.json.gz", NULL },
		{ "a/b/2024/01/02/f.json.gz", NULL },
		{ "", NULL },
	};
	size_t i;
	char d[11];

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = wdn_s3key_date(v[i].key, d);

		is_str(rc ? NULL : d, v[i].want, "date of '%s'", v[i].key);
	}
}

static void test_within(void)
{
	static const struct { const char *key, *since, *until; int want; } v[] = {
		{ LOG, NULL, NULL, 1 },
		{ LOG, "2024-01-02", NULL, 1 },
		{ LOG, "2024-01-03", NULL, 0 },
		{ LOG, "2023-12-31", NULL, 1 },
		{ LOG, NULL, "2024-01-02", 1 },
		{ LOG, NULL, "2024-01-01", 0 },
		{ LOG, "2024-01-01", "2024-01-03", 1 },
		{ LOG, "2024-01-03", "2024-01-05", 0 },
		{ DIGEST, "2024-01-03", NULL, 0 },
		{ "AWSLogs/1/CloudTrail/us-east-1/2023/12/31/f.json.gz", "2024-01-01", NULL, 0 },
		{ "AWSLogs/1/CloudTrail/us-east-1/2023/12/31/f.json.gz", NULL, "2024-01-01", 1 },
		{ "AWSLogs/1/CloudTrail/us-east-1/2024/12/01/f.json.gz", NULL, "2024-02-01", 0 },
		/* the prefix's false date is not the key's */
		{ "CloudTrail/old/2020/01/01/AWSLogs/1/CloudTrail/us-east-1/2024/02/29/f", "2024-02-01", NULL, 1 },
		/* no date in the key: kept, whatever the bounds */
		{ "upload/f.json.gz", "2024-01-03", "2024-01-04", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(wdn_s3key_within(v[i].key, v[i].since, v[i].until), v[i].want, "'%s' within %s..%s",
		       v[i].key, v[i].since ? v[i].since : "", v[i].until ? v[i].until : "");
}

static void test_log(void)
{
	static const struct { const char *key; int log; } v[] = {
		{ LOG, 1 },
		{ "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_x.json", 1 },
		{ "AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_x.json.gz", 1 },
		{ DIGEST, 0 },
		{ "AWSLogs/1/CloudTrail-Insight/us-east-1/2024/01/02/1_CloudTrail-Insight_us-east-1_x.json.gz", 0 },
		{ "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/", 0 },
		{ "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/1_CloudTrail_us-east-1_x.json.gz.tmp", 0 },
		{ "AWSLogs/1/Config/us-east-1/2024/01/02/1_Config_us-east-1_x.json.gz", 0 },
		{ "1_CloudTrail_us-east-1_x.json.gz", 0 },
		/* prefixes named like the other folders hold log files all the same */
		{ "CloudTrail-Digest/AWSLogs/1/CloudTrail/us-east-1/2024/01/02/1_CloudTrail_us-east-1_x.json.gz", 1 },
		{ "CloudTrail-Insight/AWSLogs/1/CloudTrail/us-east-1/2024/01/02/1_CloudTrail_us-east-1_x.json.gz", 1 },
		{ "b/CloudTrail-Insight/AWSLogs/o-a1/1/CloudTrail/eu-west-1/2024/01/02/1_CloudTrail_eu-west-1_x.json", 1 },
		{ "CloudTrail/AWSLogs/1/CloudTrail-Insight/us-east-1/2024/01/02/1_CloudTrail-Insight_us-east-1_x.json.gz", 0 },
		{ "CloudTrail/AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/02/"
		  "1_CloudTrail-Digest_us-east-1_t_CloudTrail_x_us-east-1_20240102T010000Z.json.gz", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *why = wdn_trail_key_skip(v[i].key);

		ok(v[i].log ? !why : why != NULL, "log file? '%s': %s", v[i].key, why ? why : "yes");
	}
}

int main(void)
{
	test_digest();
	test_date();
	test_within();
	test_log();
	return done_testing();
}
