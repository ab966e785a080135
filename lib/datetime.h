/*
 * Time as text and civil dates (time.c); the public header has WDN_TIME_NONE
 * and WDN_TIME_MAX. Internal to libwdn and the commands (which link
 * libwdn.a); not installed.
 */
#ifndef WDN_DATETIME_H
#define WDN_DATETIME_H

#include "wdn.h"

/* ISO 8601 ("2021-07-03T23:12:09Z", fractions and offsets allowed), or
 * CloudTrail's expiration forms "Jul 3, 2021 11:27:09 PM" and
 * "Jul 1, 2026, 12:08:19 PM". Returns 0 or WDN_EINVAL. */
int wdn_time_parse(const char *s, size_t len, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void wdn_time_format(int64_t t, char buf[32]);
int64_t wdn_time_now(void);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), and back:
 * no gmtime, no locale, no time zone. */
int64_t wdn_time_days_from_civil(int64_t y, int m, int d);
void wdn_time_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
