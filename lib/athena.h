/*
 * Amazon Athena statements for partitioned output (athena.c). Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_ATHENA_H
#define WDN_ATHENA_H

#include "wdn.h"

/*
 * The Amazon Athena statements for partitioned output: a JSON table over what
 * wdn-enrich writes (TABLE_json), a Parquet table of consolidated days
 * (TABLE_parquet, under LOCATION/parquet/), and the view TABLE over both.
 * The JSON table projects account and region as enums of the values the
 * output holds, read from it by the scan functions.
 */
#define WDN_ATHENA_PARQUET "parquet"
struct wdn_athena_values {
	char **v;
	size_t n, cap;
};
struct wdn_athena {
	const char *table;       /* borrowed */
	const char *location;    /* s3://bucket/prefix without a trailing '/', borrowed */
	struct wdn_athena_values accounts, regions; /* owned */
};
void wdn_athena_init(struct wdn_athena *a);
void wdn_athena_release(struct wdn_athena *a);
/* Note the account and region of a path under the output; WDN_EINVAL when it
 * is not "account=A/region=R/...". */
int wdn_athena_add_path(struct wdn_athena *a, const char *path, size_t len);
/* Note every account=A/region=R written into a directory, or under an S3 prefix. */
int wdn_athena_scan_dir(struct wdn_athena *a, const char *dir, struct wdn_err *err);
int wdn_athena_scan_s3(struct wdn_athena *a, struct wdn_aws *aws, const char *bucket,
		       const char *prefix, struct wdn_err *err);
/* WDN_EINVAL unless the table name, the location and run (may be NULL) are
 * tame enough to stand in SQL text as they are. */
int wdn_athena_check(const struct wdn_athena *a, const char *run, struct wdn_err *err);
/* Append the tables, the projection values and the view. */
int wdn_athena_ddl(struct wdn_buf *out, struct wdn_athena *a, struct wdn_err *err);
/* Append the daily step for a finished day (YYYY-MM-DD): the projection
 * values, the day as Parquet under a location of this run's own, the
 * partition pointed at it, and the view's cutoff moved past the day. */
int wdn_athena_consolidate(struct wdn_buf *out, struct wdn_athena *a, const char *day,
			   const char *run, struct wdn_err *err);

#endif
