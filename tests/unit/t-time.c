/*
 * Times (time.c): ISO 8601 as CloudTrail writes eventTime, the two forms of
 * credentials.expiration, strictness on impossible dates, and formatting
 * back to ISO 8601 UTC.
 */
#include "tap.h"
#include "wdn.h"
#include "datetime.h"
#include "sigv4.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *s, int64_t *t)
{
	*t = -12345;
	return wdn_time_parse(s, strlen(s), t);
}

/* parses, and to the expected epoch seconds */
static void is_time(const char *s, int64_t want)
{
	int64_t t;
	int rc = parse(s, &t);

	if (rc) {
		ok(0, "parse '%s'", s);
		printf("#   returned %d\n", rc);
		return;
	}
	is_int(t, want, "parse '%s'", s);
}

static void rejects(const char *s)
{
	int64_t t;

	is_int(parse(s, &t), WDN_EINVAL, "rejects '%s'", s);
}

static void is_fmt(int64_t t, const char *want)
{
	char buf[32];

	memset(buf, 'X', sizeof(buf));
	wdn_time_format(t, buf);
	is_str(buf, want, "format %lld", (long long)t);
}

static void test_iso(void)
{
	int64_t t;

	is_time("2021-07-03T23:12:09Z", 1625353929);
	is_time("1970-01-01T00:00:00Z", 0);
	is_time("2021-07-03T23:12:09.5Z", 1625353929);
	is_time("2021-07-03T23:12:09.123Z", 1625353929);
	is_time("2021-07-03T23:12:09.123456789Z", 1625353929);
	is_time("2021-07-04T09:12:09+10:00", 1625353929);
	is_time("2021-07-04T09:12:09+1000", 1625353929);
	is_time("2021-07-03T17:42:09-05:30", 1625353929);
	is_time("2021-07-03T23:12:09.250+00:00", 1625353929);
	is_time("2021-07-03T23:12Z", 1625353920);
	is_time("2021-07-03 23:12:09Z", 1625353929);
	is_time("2021-07-03", 1625270400);
	is_time("9999-12-31T23:59:59Z", 253402300799);
	/* a leap second is allowed and lands on the next second */
	is_int(parse("2016-12-31T23:59:60Z", &t), 0, "a leap second (:60) parses");
	is_int(t, 1483228800, "23:59:60 is the next day's 00:00:00");

	/* the length is honoured: no NUL needed, nothing read past it */
	{
		const char *s = "2021-07-03T23:12:09Zgarbage";

		is_int(wdn_time_parse(s, 20, &t), 0, "only len bytes are read");
		is_int(t, 1625353929, "only len bytes are read: value");
	}
	rejects("2021-07-03T23:12:09");      /* no zone: local time is unknowable */
	rejects("2021-07-03T23:12:09Zx");
	rejects("2021-07-03T23:12:09Z ");
	rejects(" 2021-07-03T23:12:09Z");
	rejects("2021-07-03T23:12:09.Z");
	rejects("2021-07-03T23:12:09+5");
	rejects("2021-7-03T23:12:09Z");
	rejects("21-07-03T23:12:09Z");
	rejects("2021-07-03T");
	rejects("2021-07-03T23Z");
	rejects("2021-07-03T24:00:00Z");
	rejects("2021-07-03T23:60:00Z");
	rejects("2021-07-03T23:59:61Z");
	rejects("2021-07-03T23:12:09+99:00"); /* no zone is 99 hours off UTC */
	rejects("2021-13-01T00:00:00Z");
	rejects("2021-00-01T00:00:00Z");
	rejects("2021-01-00T00:00:00Z");
	rejects("2021-01-32T00:00:00Z");
	rejects("2021-04-31T00:00:00Z");
	rejects("2021-06-31T00:00:00Z");
	rejects("2021-02-30T00:00:00Z");
	is_int(wdn_time_parse("", 0, &t), WDN_EINVAL, "rejects the empty string");
	is_int(wdn_time_parse("2021", 4, &t), WDN_EINVAL, "rejects a bare year");
}

static void test_leap(void)
{
	is_time("2020-02-29T00:00:00Z", 1582934400);
	is_time("2000-02-29T00:00:00Z", 951782400);   /* divisible by 400: leap */
	is_time("2024-02-29T01:02:03Z", 1709168523);
	is_time("2020-03-01T00:00:00Z", 1583020800);
	is_time("2020-12-31T00:00:00Z", 1609372800); /* day 366 of a leap year */
	/* February 29th of a common year does not exist */
	rejects("2021-02-29T00:00:00Z");
	rejects("2023-02-29T12:00:00Z");
	rejects("2100-02-29T00:00:00Z"); /* divisible by 100, not 400: common */
	rejects("Feb 29, 2023 1:00:00 AM");
}

static void test_expiration(void)
{
	/* the older form, no comma after the year */
	is_time("Jul 3, 2021 11:27:09 PM", 1625354829);
	/* the newer form, with a comma after the year */
	is_time("Jul 1, 2026, 12:08:19 PM", 1782907699);
	is_time("Jul 10, 2023, 6:38:25 PM", 1689014305);
	is_time("Dec 3, 2021, 10:15:11 AM", 1638526511);
	/* 12 AM is midnight, 12 PM noon */
	is_time("Jan 1, 2022 12:00:00 AM", 1640995200);
	is_time("Jan 1, 2022, 12:00:00 AM", 1640995200);
	is_time("Oct 15, 2023 12:59:59 AM", 1697331599);
	is_time("Dec 31, 2021 12:30:00 PM", 1640953800);
	is_time("Dec 31, 2021 11:59:59 PM", 1640995199);
	is_time("Jan 1, 2022 1:00:00 AM", 1640998800);
	is_time("Jan 1, 2022 1:00:00 PM", 1641042000);
	is_time("Feb 29, 2024 1:02:03 AM", 1709168523);
	is_time("Jul 03, 2021 11:27:09 PM", 1625354829);
	rejects("Jul 3, 2021 13:27:09 PM");
	/* hour 0 is not 12-hour style, but unambiguous: accepted (synthetic trails write it) */
	is_time("Jul 3, 2021 0:27:09 AM", 1625272029);
	rejects("Jul 3, 2021 11:27:09");
	rejects("Jul 3, 2021 11:27:09 XM");
	rejects("Jul 3, 2021 11:27:09 PM ");
	rejects("Jul 3 2021 11:27:09 PM");
	rejects("Jly 3, 2021 11:27:09 PM");
	rejects("Jul 32, 2021 11:27:09 PM");
	rejects("Apr 31, 2021 11:27:09 PM");
	rejects("Feb 30, 2024 11:27:09 PM");
	rejects("Jul 3, 21 11:27:09 PM");
	rejects("Jul 3, 2021 11:60:09 PM");
	rejects("Jul");
	rejects("J");
}

static void test_format(void)
{
	static const char *const round[] = {
		"1970-01-01T00:00:00Z", "2021-07-03T23:12:09Z", "2000-02-29T00:00:00Z",
		"2020-12-31T23:59:59Z", "2100-03-01T00:00:00Z", "9999-12-31T23:59:59Z",
		"2038-01-19T03:14:08Z", "2026-07-01T12:08:19Z",
	};
	size_t i;
	int64_t t;
	char buf[32];

	is_fmt(0, "1970-01-01T00:00:00Z");
	is_fmt(1625353929, "2021-07-03T23:12:09Z");
	is_fmt(951782400, "2000-02-29T00:00:00Z");
	is_fmt(-1, "1969-12-31T23:59:59Z");
	is_fmt(-86400, "1969-12-31T00:00:00Z");
	is_fmt(253402300799, "9999-12-31T23:59:59Z");
	for (i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		if (parse(round[i], &t)) {
			ok(0, "round trip '%s' (parse failed)", round[i]);
			continue;
		}
		wdn_time_format(t, buf);
		is_str(buf, round[i], "round trip '%s'", round[i]);
	}
	/* every day for 30 years through format and back */
	{
		int bad = 0;

		for (t = 946684800; t < 946684800 + 30LL * 366 * 86400; t += 86400 + 3661) {
			int64_t back;

			wdn_time_format(t, buf);
			if (strlen(buf) != 20 || wdn_time_parse(buf, strlen(buf), &back) || back != t)
				bad++;
		}
		is_int(bad, 0, "format then parse is the identity, 2000..2030");
	}
	/* expiration form and ISO form agree */
	{
		int64_t a, b;

		parse("Jul 1, 2026, 12:08:19 PM", &a);
		parse("2026-07-01T12:08:19Z", &b);
		ok(a == b, "newer expiration form equals its ISO form");
	}
	ok(wdn_time_now() > 1600000000, "wdn_time_now is a plausible epoch time");
}

/* The one civil-date conversion: both ways agree over four centuries, on
 * dates chosen for their edges, and SigV4's dates are the same dates. */
static void test_civil(void)
{
	static const struct { int64_t y; int m, d; int64_t days; } known[] = {
		{ 1970, 1, 1, 0 }, { 1969, 12, 31, -1 }, { 2000, 2, 29, 11016 }, { 2000, 3, 1, 11017 },
		{ 1900, 3, 1, -25508 }, { 2021, 7, 3, 18811 }, { 0, 1, 1, -719528 }, { 9999, 12, 31, 2932896 },
	};
	int64_t z, y, bad = 0;
	int m, d;
	size_t i;
	char a[17], f[32];

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		is_int(wdn_time_days_from_civil(known[i].y, known[i].m, known[i].d), known[i].days,
		       "%04lld-%02d-%02d is day %lld", (long long)known[i].y, known[i].m, known[i].d,
		       (long long)known[i].days);
		wdn_time_civil_from_days(known[i].days, &y, &m, &d);
		ok(y == known[i].y && m == known[i].m && d == known[i].d, "and back (%lld-%d-%d)",
		   (long long)y, m, d);
	}
	for (z = -146097 * 2; z < 146097 * 2; z += 7) {
		wdn_time_civil_from_days(z, &y, &m, &d);
		if (m < 1 || m > 12 || d < 1 || d > 31 || wdn_time_days_from_civil(y, m, d) != z)
			bad++;
	}
	is_int(bad, 0, "every seventh day of 800 years round-trips");
	for (z = -719528; z <= 2932896; z += 9973) {
		wdn_sigv4_amz_date(z * 86400 + 3723, a);
		wdn_time_format(z * 86400 + 3723, f);
		if (memcmp(a, f, 4) || memcmp(a + 4, f + 5, 2) || memcmp(a + 6, f + 8, 2))
			bad++;
	}
	is_int(bad, 0, "SigV4's dates and wdn_time_format's agree");
}

/* A plain time's date is remembered from one parse to the next: a time
 * after another of its date parses as it does after any other date, and
 * the remembered date never lets through what the full parse refuses. */
static void test_remembered_date(void)
{
	static const char *const times[] = {
		"2016-12-31T23:59:60Z", "2016-12-31T00:00:01Z", "2016-12-31T23:59:59Z",
		"2021-07-01T10:00:00Z", "2021-07-01T24:00:00Z", "2021-07-01T10:60:00Z",
		"2021-07-01T10:00:61Z", "2021-07-01T1a:00:00Z", "2021-07-01T10:00:00z",
		"2021-07-01T10:00:00.5Z", "2021-07-01 10:00:00Z", "2021-07-01T10:00:00+01:00",
		"2021-07-01T10:00:00ZZ", "2021-07-01T10:00:0Z", "9999-12-31T23:59:59Z",
		"9999-12-31T23:59:60Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z",
	};
	size_t i, j;

	for (i = 0; i < sizeof(times) / sizeof(*times); i++) {
		int64_t cold, warm;
		int rc_cold, rc_warm;

		parse("1999-01-01T00:00:00Z", &cold);
		rc_cold = parse(times[i], &cold);
		for (j = 0; j < sizeof(times) / sizeof(*times); j++) {
			if (strncmp(times[i], times[j], 10))
				continue;
			parse(times[j], &warm); /* the same date, remembered if it parsed */
			rc_warm = parse(times[i], &warm);
			ok(rc_warm == rc_cold && (rc_cold || warm == cold),
			   "'%s' after '%s': as after another date (%d %lld, %d %lld)", times[i], times[j],
			   rc_cold, (long long)cold, rc_warm, (long long)warm);
		}
	}
	is_time("2016-12-31T23:59:60Z", wdn_time_days_from_civil(2017, 1, 1) * 86400);
	is_time("2016-12-31T00:00:01Z", wdn_time_days_from_civil(2016, 12, 31) * 86400 + 1);
}

/* Times a remembered date could be asked about: plain ones on the first
 * and last days written, leap seconds, impossible times of day, a plain
 * time's length with other separators or digits, fractions and offsets on
 * a date just remembered, other digits than ASCII's. */
#define TM(s) { s, sizeof(s) - 1 } /* its bytes, a NUL among them */
static const struct {
	const char *s;
	size_t len;
} after_times[] = {
	TM("1970-01-01T00:00:00Z"), TM("1970-01-01T23:59:60Z"), TM("1970-01-01T00:00:00+00:01"),
	TM("1970-01-01T00:00:00-00:01"), TM("9999-12-31T23:59:59Z"), TM("9999-12-31T23:59:60Z"),
	TM("9999-12-31T00:00:00Z"), TM("9999-12-31T23:59:59-00:01"), TM("2016-12-31T23:59:60Z"),
	TM("2016-12-31T23:59:59Z"), TM("2016-12-31T24:00:00Z"), TM("2016-12-31T00:00:00Z"),
	TM("2021-07-01T10:00:00Z"), TM("2021-07-01T10:00:00.999999999Z"), TM("2021-07-01T10:00:00+14:00"),
	TM("2021-07-01T10:00Z"), TM("2021-07-01T10:00:00"), TM("2021-07-01 10:00:00Z"),
	TM("2021-07-01t10:00:00Z"), TM("2021-07-01T10-00-00Z"), TM("2021-07-01T10:00:00\0"),
	TM("2021-07-01T10:00:0\x00Z"), TM("2021-07-01T\xd9\xa1\xd9\xa0:00:00Z"),
	TM("2021-07-01T\xef\xbc\x91\xef\xbc\x90:00:00Z"), TM("2021-07-01T99:99:99Z"),
	TM("2021-07-01T23:59:61Z"), TM("2021-07-01T-1:00:00Z"), TM("2021-07-01T+1:00:00Z"),
	TM("2021-07-01T 1:00:00Z"), TM("2021/07/01T10:00:00Z"), TM("2021-07-01"), TM("2021-07-01T"),
	TM("2021-07-01T10:00:00Z "), TM("2024-02-29T00:00:00Z"), TM("2023-02-29T00:00:00Z"),
	TM("2021-07-01T00:00:00Z"),
};

/* after_times[i], in a block of exactly its bytes */
static int parse_nth(size_t i, int64_t *t)
{
	char *p = malloc(after_times[i].len);
	int rc;

	if (!p)
		return -1;
	memcpy(p, after_times[i].s, after_times[i].len);
	*t = -12345;
	rc = wdn_time_parse(p, after_times[i].len, t);
	free(p);
	return rc;
}

/* Any time, after any other of the list: as after a date of none of them. */
static void test_after_any(void)
{
	size_t n = sizeof(after_times) / sizeof(*after_times), i, j;

	for (i = 0; i < n; i++) {
		int64_t cold, warm;
		int rc_cold, rc_warm, bad = 0;

		parse("1999-01-01T00:00:00Z", &cold);
		rc_cold = parse_nth(i, &cold);
		for (j = 0; j < n; j++) {
			parse_nth(j, &warm);
			rc_warm = parse_nth(i, &warm);
			if (rc_warm != rc_cold || (!rc_cold && warm != cold)) {
				printf("#   after '%s': %d %lld, else %d %lld\n", after_times[j].s, rc_warm,
				       (long long)warm, rc_cold, (long long)cold);
				bad++;
			}
		}
		ok(!bad, "'%s' (%s) parses the same after each of %zu others", after_times[i].s,
		   rc_cold ? "refused" : "taken", n);
	}
}

/* Threads parsing times of different dates by turns: each parses them as
 * one thread alone does (the memory of a date is the thread's own). */
struct turns {
	size_t start;
	int64_t want[sizeof(after_times) / sizeof(*after_times)];
	int rc[sizeof(after_times) / sizeof(*after_times)];
	int bad;
};

static void *take_turns(void *arg)
{
	struct turns *t = arg;
	size_t n = sizeof(after_times) / sizeof(*after_times), k;

	for (k = 0; k < 20000; k++) {
		size_t i = (t->start + k * 7) % n;
		int64_t v;
		int rc = parse_nth(i, &v);

		if (rc != t->rc[i] || (!rc && v != t->want[i]))
			t->bad++;
	}
	return NULL;
}

static void test_threads(void)
{
	size_t n = sizeof(after_times) / sizeof(*after_times), i, k;
	struct turns t[3];
	pthread_t th[3];
	int started[3];

	for (k = 0; k < 3; k++) {
		t[k].start = k * 5;
		t[k].bad = 0;
		for (i = 0; i < n; i++) {
			parse("1999-01-01T00:00:00Z", &t[k].want[i]);
			t[k].rc[i] = parse_nth(i, &t[k].want[i]);
		}
	}
	for (k = 0; k < 3; k++)
		started[k] = !pthread_create(&th[k], NULL, take_turns, &t[k]);
	for (k = 0; k < 3; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		ok(started[k] && !t[k].bad, "thread %zu: %d of 20000 times parsed otherwise than alone", k,
		   t[k].bad);
	}
}

int main(void)
{
	(void)skip;
	test_iso();
	test_leap();
	test_expiration();
	test_format();
	test_civil();
	test_remembered_date();
	test_after_any();
	test_threads();
	return done_testing();
}
