/* Times as CloudTrail writes them, as epoch seconds UTC, and back to ISO 8601.
 * Civil-date arithmetic is done here so nothing depends on gmtime or the TZ. */
#include "wdn.h"
#include "datetime.h"

#include <string.h>
#include <time.h>

/* Howard Hinnant's algorithms: the one copy, used by SigV4's dates too. */
int64_t wdn_time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void wdn_time_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* 9999-12-31T23:59:59Z: the last time written back in four-digit years */
#define TIME_LAST 253402300799LL

struct cursor {
	const char *p, *end;
};

static int digits(struct cursor *c, int min, int max, int64_t *out)
{
	int n = 0;
	int64_t v = 0;

	while (c->p < c->end && n < max && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	*out = v;
	return n >= min ? 0 : -1;
}

static int lit(struct cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 0;
	}
	return -1;
}

static void spaces(struct cursor *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

static int valid_ymdhms(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
	       (mo != 2 || d <= 28 + leap) && h <= 23 && mi <= 59 && s <= 60;
}

static int parse_iso(struct cursor *c, int64_t *out)
{
	int64_t y, mo, d, h = 0, mi = 0, s = 0, oh, om, frac;
	int64_t off = 0;

	if (digits(c, 4, 4, &y) || lit(c, '-') || digits(c, 2, 2, &mo) || lit(c, '-') ||
	    digits(c, 2, 2, &d))
		return -1;
	if (c->p < c->end && (*c->p == 'T' || *c->p == ' ')) {
		c->p++;
		if (digits(c, 2, 2, &h) || lit(c, ':') || digits(c, 2, 2, &mi))
			return -1;
		if (!lit(c, ':') && digits(c, 2, 2, &s))
			return -1;
		if (!lit(c, '.') && digits(c, 1, 9, &frac))
			return -1;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
			int sign = *c->p++ == '-' ? -1 : 1;

			if (digits(c, 2, 2, &oh))
				return -1;
			lit(c, ':');
			if (digits(c, 2, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else if (lit(c, 'Z')) {
			return -1;
		}
	}
	if (c->p != c->end || !valid_ymdhms(y, mo, d, h, mi, s))
		return -1;
	*out = wdn_time_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + s - off;
	/* an offset must not carry the time out of the years we write back */
	return *out < 0 || *out > TIME_LAST ? -1 : 0;
}

/* "Jul 3, 2021 11:27:09 PM" and "Jul 1, 2026, 12:08:19 PM" */
static int parse_expiration(struct cursor *c, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int64_t y, mo = 0, d, h, mi, s;
	int i;

	if (c->end - c->p < 3)
		return -1;
	for (i = 0; i < 12; i++)
		if (!strncmp(c->p, months + 3 * i, 3))
			mo = i + 1;
	if (!mo)
		return -1;
	c->p += 3;
	spaces(c);
	if (digits(c, 1, 2, &d) || lit(c, ','))
		return -1;
	spaces(c);
	if (digits(c, 4, 4, &y))
		return -1;
	lit(c, ',');
	spaces(c);
	if (digits(c, 1, 2, &h) || lit(c, ':') || digits(c, 2, 2, &mi) || lit(c, ':') ||
	    digits(c, 2, 2, &s))
		return -1;
	spaces(c);
	if (c->end - c->p != 2 || c->p[1] != 'M' || (c->p[0] != 'A' && c->p[0] != 'P'))
		return -1;
	if (h > 12)
		return -1; /* hour 0 is not 12-hour style, but it is unambiguous */
	h = h % 12 + (c->p[0] == 'P' ? 12 : 0);
	c->p += 2;
	if (!valid_ymdhms(y, mo, d, h, mi, s))
		return -1;
	*out = wdn_time_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

/*
 * The date of the last "YYYY-MM-DDTHH:MM:SSZ" parsed in this thread, the
 * form CloudTrail writes every eventTime in: a file's events share a few
 * dates, and working a date out costs more than the rest of the parse.
 * (Per thread, so no lock; initial-exec for the reason reader.c gives.)
 */
static __thread struct {
	char date[10];
	int64_t days;
} last_date __attribute__((tls_model("initial-exec")));

static int two_digits(const char *p, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

/* s in the plain form: its time of day in seconds, or -1. */
static int plain_seconds(const char *s, size_t len)
{
	int h, mi, sec;

	if (len != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	    two_digits(s + 11, &h) || two_digits(s + 14, &mi) || two_digits(s + 17, &sec) ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	return h * 3600 + mi * 60 + sec;
}

int wdn_time_parse(const char *s, size_t len, int64_t *out)
{
	struct cursor c = { s, s + len };
	int secs;

	if (!s || !len)
		return WDN_EINVAL;
	if (*s < '0' || *s > '9')
		return parse_expiration(&c, out) ? WDN_EINVAL : 0;
	secs = plain_seconds(s, len);
	if (secs >= 0 && last_date.date[0] && !memcmp(s, last_date.date, 10) &&
	    last_date.days * 86400 + secs <= TIME_LAST) {
		*out = last_date.days * 86400 + secs;
		return 0;
	}
	if (parse_iso(&c, out))
		return WDN_EINVAL;
	if (secs >= 0) { /* (a leap second's time is the next day's first) */
		memcpy(last_date.date, s, 10);
		last_date.days = (*out - secs) / 86400;
	}
	return 0;
}

void wdn_time_format(int64_t t, char buf[32])
{
	int64_t days = t / 86400, secs = t % 86400, y;
	int m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	wdn_time_civil_from_days(days, &y, &m, &d);
	snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int64_t wdn_time_now(void)
{
	return (int64_t)time(NULL);
}
