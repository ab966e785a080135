/* CloudTrail object keys: digest or log, and of which day (s3key.c). */
#ifndef WDN_S3KEY_H
#define WDN_S3KEY_H

/*
 * What a CloudTrail object key (or a path shaped like one) says (s3key.c).
 * A digest file: ACCOUNT_CloudTrail-Digest_ in its name or, for a name
 * that does not say, the trail's CloudTrail-Digest folder (the last such
 * folder followed by REGION/YYYY/MM/DD: a prefix may hold the names). Its date: the YYYY/MM/DD after the last
 * CloudTrail[-Digest]/REGION/ folder, into out as "YYYY/MM/DD"; -1 when the
 * key has none. Within --since/--until (YYYY-MM-DD, NULL: no bound): a key
 * with no date is. A log file: wdn_trail_key_skip gives NULL, else why not
 * ("a digest file", "not a CloudTrail log file"...).
 */
int wdn_s3key_digest(const char *key);
int wdn_s3key_date(const char *key, char out[11]);
int wdn_s3key_within(const char *key, const char *since, const char *until);
const char *wdn_trail_key_skip(const char *key);

#endif
