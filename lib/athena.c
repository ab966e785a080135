/*
 * Amazon Athena statements for wdn-enrich's partitioned output: the tables,
 * the view over them, and the daily step that rewrites a finished day as
 * Parquet. Only text is made here; Athena runs it.
 */
#include "wdn.h"
#include "athena.h"
#include "datetime.h"
#include "enrich.h"
#include "resolve.h"
#include "s3.h"
#include "str.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 100000   /* accounts or regions: past this, the listing is not ours */
#define STOP_LISTING 1      /* a listing callback's "enough" */

/* CloudTrail's own members, as Athena's CloudTrail table names them. */
static const char event_columns[] =
	"  eventversion STRING,\n"
	"  useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING,\n"
	"    accountid: STRING, invokedby: STRING, accesskeyid: STRING, username: STRING,\n"
	"    sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING,\n"
	"      creationdate: STRING>, sessionissuer: STRUCT<type: STRING, principalid: STRING,\n"
	"      arn: STRING, accountid: STRING, username: STRING>, sourceidentity: STRING>>,\n"
	"  eventtime STRING,\n"
	"  eventsource STRING,\n"
	"  eventname STRING,\n"
	"  awsregion STRING,\n"
	"  sourceipaddress STRING,\n"
	"  useragent STRING,\n"
	"  errorcode STRING,\n"
	"  errormessage STRING,\n"
	"  requestparameters STRING,\n"
	"  responseelements STRING,\n"
	"  additionaleventdata STRING,\n"
	"  requestid STRING,\n"
	"  eventid STRING,\n"
	"  readonly STRING,\n"
	"  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,\n"
	"  eventtype STRING,\n"
	"  apiversion STRING,\n"
	"  managementevent BOOLEAN,\n"
	"  recipientaccountid STRING,\n"
	"  sharedeventid STRING,\n"
	"  vpcendpointid STRING,\n"
	"  eventcategory STRING,\n"
	"  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING,\n"
	"    clientprovidedhostheader: STRING>,\n";

/* The same columns, for SELECT lists. */
static const char *const event_names[] = {
	"eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion",
	"sourceipaddress", "useragent", "errorcode", "errormessage", "requestparameters",
	"responseelements", "additionaleventdata", "requestid", "eventid", "readonly",
	"resources", "eventtype", "apiversion", "managementevent", "recipientaccountid",
	"sharedeventid", "vpcendpointid", "eventcategory", "tlsdetails", "whodunnit", NULL,
};

void wdn_athena_init(struct wdn_athena *a)
{
	memset(a, 0, sizeof(*a));
}

static void values_release(struct wdn_athena_values *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

void wdn_athena_release(struct wdn_athena *a)
{
	values_release(&a->accounts);
	values_release(&a->regions);
}

static int value_add(struct wdn_athena_values *v, struct wdn_str s)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strlen(v->v[i]) == s.len && !memcmp(v->v[i], s.ptr, s.len))
			return 0;
	if (v->n >= MAX_VALUES)
		return WDN_ETOOBIG;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return WDN_ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	if (!(v->v[v->n] = wdn_strndup(s.ptr, s.len)))
		return WDN_ENOMEM;
	v->n++;
	return 0;
}

int wdn_athena_add_path(struct wdn_athena *a, const char *path, size_t len)
{
	struct wdn_str acct, region;
	int rc;

	if (wdn_partition_parse(path, len, &acct, &region))
		return WDN_EINVAL;
	if ((rc = value_add(&a->accounts, acct)) || (rc = value_add(&a->regions, region)))
		return rc;
	return 0;
}

/* Subdirectories of dir named NAME=..., each passed to fn. */
static int each_dir(const char *dir, const char *name, int (*fn)(void *, const char *), void *ctx)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = strlen(name);
	int rc = 0;

	if (!d)
		return WDN_EIO;
	while (!rc && (e = readdir(d)))
		if (!strncmp(e->d_name, name, n) && e->d_name[n] == '=')
			rc = fn(ctx, e->d_name);
	closedir(d);
	return rc;
}

struct dir_scan {
	struct wdn_athena *a;
	const char *top;
	const char *account;    /* account=A, while its regions are read */
};

static int scan_region(void *ctx, const char *region)
{
	struct dir_scan *s = ctx;
	struct wdn_buf p = WDN_BUF_INIT;
	int rc;

	/* a cut-short path would be no partition of ours, and skipped unsaid */
	rc = wdn_buf_addf(&p, "%s/%s/", s->account, region) ? WDN_ENOMEM : wdn_athena_add_path(s->a, p.ptr, p.len);
	wdn_buf_release(&p);
	return rc == WDN_EINVAL ? 0 : rc; /* a name not of ours: not a partition */
}

static int scan_account(void *ctx, const char *account)
{
	struct dir_scan *s = ctx;
	struct wdn_buf p = WDN_BUF_INIT;
	int rc;

	if (wdn_buf_addf(&p, "%s/%s", s->top, account)) {
		wdn_buf_release(&p);
		return WDN_ENOMEM; /* a cut-short path would be read as gone, unsaid */
	}
	s->account = account;
	rc = each_dir(p.ptr, "region", scan_region, s);
	wdn_buf_release(&p);
	return rc == WDN_EIO ? 0 : rc; /* a file, or gone meanwhile */
}

int wdn_athena_scan_dir(struct wdn_athena *a, const char *dir, struct wdn_err *err)
{
	struct dir_scan s = { a, dir, NULL };
	int rc = each_dir(dir, "account", scan_account, &s);

	if (rc == WDN_EIO)
		return wdn_err_set(err, rc, "cannot read '%s'", dir);
	if (rc)
		return wdn_err_set(err, rc, "reading '%s': %s", dir, wdn_strerror(rc));
	return 0;
}

struct s3_scan {
	size_t skip;            /* the prefix's length */
	char *first;            /* the first key listed */
};

static int first_key(void *ctx, const struct wdn_s3_object *o)
{
	struct s3_scan *s = ctx;

	if (!(s->first = wdn_strdup(o->key)))
		return WDN_ENOMEM;
	return STOP_LISTING;
}

/*
 * S3 has no directories to read: list from the first key under
 * PREFIX/account=, take its account and region, then list again from just
 * past every key of that pair ("…/region=R/" sorts before "…/region=R0").
 * One request per (account, region) written, however many objects.
 */
int wdn_athena_scan_s3(struct wdn_athena *a, struct wdn_aws *aws, const char *bucket,
		       const char *prefix, struct wdn_err *err)
{
	struct wdn_buf from = WDN_BUF_INIT, top = WDN_BUF_INIT;
	size_t rounds;
	int rc = 0;

	wdn_buf_adds(&top, prefix);
	if (top.len && top.ptr[top.len - 1] != '/')
		wdn_buf_addc(&top, '/');
	if (wdn_buf_adds(&top, "account="))
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	for (rounds = 0; !rc; rounds++) {
		struct s3_scan s = { top.len - 8, NULL };
		const char *rel;

		if (rounds >= 2 * MAX_VALUES) {
			rc = wdn_err_set(err, WDN_ETOOBIG, "s3://%s/%s: too many partitions", bucket, top.ptr);
			break;
		}
		if (wdn_buf_failed(&from)) { /* listing from a cut-short key would list again what was read */
			rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			break;
		}
		rc = wdn_s3_list(aws, bucket, top.ptr, from.len ? from.ptr : NULL, first_key, &s, err);
		if (rc == STOP_LISTING)
			rc = 0;
		if (rc || !s.first) {
			free(s.first);
			break;
		}
		rel = s.first + s.skip;
		wdn_buf_reset(&from);
		if (!(rc = wdn_athena_add_path(a, rel, strlen(rel)))) {
			const char *slash = strchr(strchr(rel, '/') + 1, '/');

			wdn_buf_add(&from, s.first, (size_t)(slash - s.first));
			wdn_buf_addc(&from, '0');
		} else if (rc == WDN_EINVAL) {
			/* not a partition of ours: step over its directory two levels
			 * down, or over this key alone, not over each object under it */
			const char *s1 = strchr(rel, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;

			rc = 0;
			if (s2) {
				wdn_buf_add(&from, s.first, (size_t)(s2 - s.first));
				wdn_buf_addc(&from, '0');
			} else {
				wdn_buf_adds(&from, s.first);
			}
		} else {
			wdn_err_set(err, rc, "%s", wdn_strerror(rc));
		}
		free(s.first);
	}
	wdn_buf_release(&from);
	wdn_buf_release(&top);
	return rc;
}

/* ---- statements ---------------------------------------------------------- */

/* Text being made: the first failed append is kept, and reported at the end. */
struct text {
	struct wdn_buf *b;
	int rc;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = wdn_buf_vaddf(t->b, fmt, ap);
	va_end(ap);
	if (rc && !t->rc)
		t->rc = rc;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* 'v1,v2,…' sorted, always with "unknown": what the writer names a missing value. */
static void gen_values(struct text *out, struct wdn_athena_values *v)
{
	static const struct wdn_str unknown = { "unknown", 7 };
	size_t i;
	int rc = value_add(v, unknown);

	if (rc && !out->rc)
		out->rc = rc; /* never a list that lacks it */
	qsort(v->v, v->n, sizeof(*v->v), cmp_str);
	put(out, "%c", '\'');
	for (i = 0; i < v->n; i++)
		put(out, "%s%s", i ? "," : "", v->v[i]);
	put(out, "%c", '\'');
}

static void gen_lower(struct text *out, const char *s)
{
	for (; *s; s++)
		put(out, "%c", *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s);
}

/* A structure's fields, as "name: TYPE, …"; start and end are reserved words. */
static void gen_struct(struct text *out, const struct wdn_member *m, int indent)
{
	for (; m->name; m++) {
		int quote = !strcmp(m->name, "Start") || !strcmp(m->name, "End");

		put(out, "\n%*s%s", indent, "", quote ? "`" : "");
		gen_lower(out, m->name);
		put(out, "%s", quote ? "`: " : ": ");
		if (m->sub) {
			put(out, "%s", "STRUCT<");
			gen_struct(out, m->sub, indent + 2);
			put(out, "%c", '>');
		} else {
			put(out, "%s", m->type);
		}
		if (m[1].name)
			put(out, "%c", ',');
	}
}

static void gen_columns(struct text *out)
{
	put(out, "%s", event_columns);
	put(out, "%s", "  whodunnit STRUCT<");
	gen_struct(out, wdn_whodunnit_members, 4);
	put(out, "%s", ">");
}

static void gen_select_list(struct text *out)
{
	size_t i;

	for (i = 0; event_names[i]; i++)
		put(out, "%s\"%s\"", i ? (i % 6 ? ", " : ",\n  ") : "  ", event_names[i]);
}

static void gen_projection_values(struct text *out, struct wdn_athena *a)
{
	put(out, "ALTER TABLE %s_json SET TBLPROPERTIES (\n  'projection.account.values' = ",
		     a->table);
	gen_values(out, &a->accounts);
	put(out, "%s", ",\n  'projection.region.values' = ");
	gen_values(out, &a->regions);
	put(out, "%s", "\n);\n");
}

/* The view: Parquet before the cutoff day, JSON from it on, so that each day
 * is read from exactly one of them. */
static void gen_view(struct text *out, const struct wdn_athena *a, const char *cutoff)
{
	put(out, "CREATE OR REPLACE VIEW %s AS\nSELECT\n", a->table);
	gen_select_list(out);
	put(out, ",\n  \"account\", \"region\", \"day\"\nFROM %s_parquet WHERE \"day\" < '%s'\n"
		     "UNION ALL\nSELECT\n", a->table, cutoff);
	gen_select_list(out);
	put(out, ",\n  \"account\", \"region\", \"day\"\nFROM %s_json WHERE \"day\" >= '%s';\n",
		     a->table, cutoff);
}

/* Names and locations go into SQL text as they are: only tame ones. */
int wdn_athena_check(const struct wdn_athena *a, const char *run, struct wdn_err *err)
{
	const char *p;

	for (p = a->table; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		      (p > a->table && ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] && p[1] != '.')))))
			break;
	if (!*a->table || *p || a->table[strlen(a->table) - 1] == '.')
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not a table name (letters, digits, '_', "
				   "DATABASE.TABLE)", a->table);
	if (strncmp(a->location, "s3://", 5) || strlen(a->location) <= 5 ||
	    strpbrk(a->location, "'\\\"\n\r\t") || a->location[strlen(a->location) - 1] == '/')
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not an S3 location for a table", a->location);
	for (p = run; p && *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z')))
			return wdn_err_set(err, WDN_EINVAL, "'%s' is not a run name", run);
	return 0;
}

int wdn_athena_ddl(struct wdn_buf *b, struct wdn_athena *a, struct wdn_err *err)
{
	struct text t = { b, 0 }, *out = &t;

	if (wdn_athena_check(a, NULL, err))
		return WDN_EINVAL;
	put(out, "CREATE EXTERNAL TABLE IF NOT EXISTS %s_json (\n", a->table);
	gen_columns(out);
	put(out, "\n)\n"
		     "PARTITIONED BY (account STRING, region STRING, day STRING)\n"
		     "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
		     "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')\n"
		     "LOCATION '%s/'\n"
		     "TBLPROPERTIES (\n"
		     "  'projection.enabled' = 'true',\n"
		     "  'projection.account.type' = 'enum',\n"
		     "  'projection.account.values' = ", a->location);
	gen_values(out, &a->accounts);
	put(out, "%s", ",\n  'projection.region.type' = 'enum',\n  'projection.region.values' = ");
	gen_values(out, &a->regions);
	put(out, ",\n"
		     "  'projection.day.type' = 'date',\n"
		     "  'projection.day.format' = 'yyyy-MM-dd',\n"
		     "  'projection.day.range' = '2013-11-01,NOW',\n"
		     "  'projection.day.interval' = '1',\n"
		     "  'projection.day.interval.unit' = 'DAYS',\n"
		     "  'storage.location.template' = '%s/" WDN_PARTITION_TEMPLATE "'\n"
		     ");\n\n", a->location);
	gen_projection_values(out, a);
	put(out, "\nCREATE EXTERNAL TABLE IF NOT EXISTS %s_parquet (\n", a->table);
	gen_columns(out);
	put(out, ",\n  account STRING,\n  region STRING\n)\n"
		     "PARTITIONED BY (day STRING)\n"
		     "STORED AS PARQUET\n"
		     "LOCATION '%s/" WDN_ATHENA_PARQUET "/';\n\n", a->location);
	gen_view(out, a, "0000-00-00");
	return out->rc ? wdn_err_set(err, out->rc, "%s", wdn_strerror(out->rc)) : 0;
}

int wdn_athena_consolidate(struct wdn_buf *b, struct wdn_athena *a, const char *day,
			   const char *run, struct wdn_err *err)
{
	struct text t = { b, 0 }, *out = &t;
	char next[32];
	int64_t when;

	if (strlen(day) != 10 || wdn_time_parse(day, 10, &when) || day[4] != '-' || day[7] != '-')
		return wdn_err_set(err, WDN_EINVAL, "'%s' is not a day (YYYY-MM-DD)", day);
	if (wdn_athena_check(a, run, err))
		return WDN_EINVAL;
	wdn_time_format(when + 86400, next);
	next[10] = '\0';
	gen_projection_values(out, a);
	put(out, "\nUNLOAD (\nSELECT\n");
	gen_select_list(out);
	put(out, ",\n  \"account\", \"region\"\nFROM %s_json WHERE \"day\" = '%s'\n)\n"
		     "TO '%s/" WDN_ATHENA_PARQUET "/day=%s/run=%s/'\n"
		     "WITH (format = 'PARQUET', compression = 'SNAPPY');\n\n",
		     a->table, day, a->location, day, run);
	put(out, "ALTER TABLE %s_parquet ADD IF NOT EXISTS\n"
		     "  PARTITION (day = '%s') LOCATION '%s/" WDN_ATHENA_PARQUET "/day=%s/run=%s/';\n\n"
		     "ALTER TABLE %s_parquet PARTITION (day = '%s')\n"
		     "  SET LOCATION '%s/" WDN_ATHENA_PARQUET "/day=%s/run=%s/';\n\n",
		     a->table, day, a->location, day, run, a->table, day, a->location, day, run);
	gen_view(out, a, next);
	return out->rc ? wdn_err_set(err, out->rc, "%s", wdn_strerror(out->rc)) : 0;
}
