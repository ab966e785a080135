/*
 * libwdn: who is behind an AWS access key.
 *
 * One public header, one section per module. The library never prints and
 * never exits: fallible functions return 0 or a negative WDN_E* code and fill
 * an optional struct wdn_err with the human detail.
 *
 * Ownership: a struct wdn_str is borrowed and never freed by its holder;
 * char * members of records are owned by the record and released by its
 * _release function.
 */
#ifndef WDN_H
#define WDN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WDN_VERSION "0.1.0"

/* ---- errors (err.c) ------------------------------------------------------ */

enum {
	WDN_OK = 0,
	WDN_EIO = -1,       /* reading or writing a file failed */
	WDN_ENOMEM = -2,
	WDN_EINVAL = -3,    /* malformed input or argument */
	WDN_ETOOBIG = -4,   /* a size cap was hit */
	WDN_ESTORE = -5,    /* the store failed */
	WDN_ENOTFOUND = -6,
	WDN_EAWS = -7,      /* an AWS service answered with an error */
	WDN_ENET = -8,      /* connection failed, after retries */
	WDN_ECRED = -9,     /* no usable credentials */
};

struct wdn_err {
	int code;
	int http_status;    /* 0 when not an HTTP error */
	char aws_type[64];  /* AWS error code, e.g. ThrottlingException */
	char msg[512];
};

/* Fill err (if not NULL) and return code, so callers can `return wdn_err_set(...)`. */
int wdn_err_set(struct wdn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix err->msg with more context ("reading 'x': " + old message). */
int wdn_err_prefix(struct wdn_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *wdn_strerror(int code);

/* ---- buffers (buf.c) ------------------------------------------------------ */

/*
 * A growable byte buffer. Invariants (as git's strbuf): ptr is never NULL and
 * ptr[len] == '\0'. max caps the length (0 = WDN_BUF_DEFAULT_MAX) so hostile
 * input cannot grow it without bound: growing past it fails with WDN_ETOOBIG.
 * wdn_buf_detach is the only way to take the memory.
 */
struct wdn_buf {
	char *ptr;
	size_t len, cap, max;
};

#define WDN_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define WDN_BUF_INIT { wdn_buf_empty, 0, 0, 0 }
extern char wdn_buf_empty[1];

void wdn_buf_init(struct wdn_buf *b, size_t max);
void wdn_buf_release(struct wdn_buf *b);          /* free contents, back to init state */
int wdn_buf_grow(struct wdn_buf *b, size_t extra); /* room for extra more bytes */
int wdn_buf_add(struct wdn_buf *b, const void *p, size_t n);
int wdn_buf_adds(struct wdn_buf *b, const char *s);
int wdn_buf_addc(struct wdn_buf *b, char c);
int wdn_buf_addf(struct wdn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wdn_buf_vaddf(struct wdn_buf *b, const char *fmt, va_list ap);
void wdn_buf_reset(struct wdn_buf *b);           /* len = 0, keeps memory */
void wdn_buf_consume(struct wdn_buf *b, size_t n); /* drop the first n bytes */
char *wdn_buf_detach(struct wdn_buf *b, size_t *len);

/* A borrowed slice: never owns its bytes, not necessarily NUL-terminated. */
struct wdn_str {
	const char *ptr;
	size_t len;
};

#define WDN_STR(lit) ((struct wdn_str){ (lit), sizeof(lit) - 1 })
static inline struct wdn_str wdn_str_of(const char *s)
{
	struct wdn_str r = { s, 0 };
	while (s && s[r.len])
		r.len++;
	return r;
}
int wdn_str_eq(struct wdn_str a, const char *lit);
char *wdn_strndup(const char *p, size_t n); /* NULL only on ENOMEM or p == NULL */
char *wdn_strdup(const char *s);            /* NULL for NULL */

/* ---- time (time.c) -------------------------------------------------------- */

/* Seconds since the epoch, UTC. WDN_TIME_NONE means unknown / not set. */
#define WDN_TIME_NONE INT64_MIN
#define WDN_TIME_MAX INT64_MAX

/* ISO 8601 ("2021-07-03T23:12:09Z", fractions and offsets allowed), or
 * CloudTrail's expiration forms "Jul 3, 2021 11:27:09 PM" and
 * "Jul 1, 2026, 12:08:19 PM". Returns 0 or WDN_EINVAL. */
int wdn_time_parse(const char *s, size_t len, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void wdn_time_format(int64_t t, char buf[32]);
int64_t wdn_time_now(void);

/* ---- access key facts (key.c) -------------------------------------------- */

/* True if s looks like an access key ID (AKIA/ASIA/ABIA/ACCA + base32ish). */
int wdn_key_valid(const char *s);
/* "long-term", "temporary", ... or NULL if the prefix is not a key prefix. */
const char *wdn_key_type(const char *key);
/* Account ID encoded in new-generation keys, into out[16]; 0 or WDN_ENOTFOUND. */
int wdn_key_account(const char *key, char out[16]);

/* ---- JSON helpers over yajl (json.c) ------------------------------------- */

struct yajl_val_s;
struct yajl_gen_t;
typedef struct yajl_val_s *wdn_json;

/* Parse a complete document; NULL on error with err filled. Free with wdn_json_free. */
wdn_json wdn_json_parse(const char *text, size_t len, struct wdn_err *err);
void wdn_json_free(wdn_json v);
/* Member by dotted path ("userIdentity.sessionContext.sessionIssuer.arn"); NULL if absent. */
wdn_json wdn_json_get(wdn_json v, const char *path);
/* String at path, or NULL if absent or not a string. */
const char *wdn_json_str(wdn_json v, const char *path);
/* Emit a JSON value tree into a generator; its number texts are kept as they were. */
int wdn_json_gen(struct yajl_gen_t *g, wdn_json v);
/* Re-emit a serialized JSON text into a generator (value inserted as is). */
int wdn_json_gen_text(struct yajl_gen_t *g, const char *text, size_t len);
/* Serialize a tree compactly into out (appended). */
int wdn_json_serialize(wdn_json v, struct wdn_buf *out);
void wdn_gen_str(struct yajl_gen_t *g, const char *s);  /* null for NULL */
void wdn_gen_key(struct yajl_gen_t *g, const char *k);
void wdn_gen_time(struct yajl_gen_t *g, int64_t t);     /* null for WDN_TIME_NONE */

/* ---- tags (tags.c) -------------------------------------------------------- */

/* An ordered tag set. Keys compare case-insensitively (IAM's rule for users
 * and roles) and keep the case they were first set with. */
struct wdn_tag {
	char *key, *value;
};
struct wdn_tags {
	struct wdn_tag *v;
	size_t n, cap;
};
void wdn_tags_release(struct wdn_tags *t);
int wdn_tags_set(struct wdn_tags *t, const char *key, const char *value);
int wdn_tags_unset(struct wdn_tags *t, const char *key);
const char *wdn_tags_get(const struct wdn_tags *t, const char *key);
int wdn_tags_merge(struct wdn_tags *t, const struct wdn_tags *over); /* over wins */
/* JSON object text {"k":"v",...} <-> tags. */
int wdn_tags_from_json(struct wdn_tags *t, const char *text);
int wdn_tags_to_json(const struct wdn_tags *t, struct wdn_buf *out);
void wdn_tags_gen(struct yajl_gen_t *g, const struct wdn_tags *t, int sorted);

/* A sorted set of tag keys (transitive keys), case-insensitive. */
struct wdn_keyset {
	char **v;
	size_t n, cap;
};
void wdn_keyset_release(struct wdn_keyset *k);
int wdn_keyset_add(struct wdn_keyset *k, const char *key);
int wdn_keyset_has(const struct wdn_keyset *k, const char *key);
int wdn_keyset_from_json(struct wdn_keyset *k, const char *text); /* ["a","b"] */
int wdn_keyset_to_json(const struct wdn_keyset *k, struct wdn_buf *out);
void wdn_keyset_gen(struct yajl_gen_t *g, const struct wdn_keyset *k);

/* ---- CloudTrail input reader (reader.c) ----------------------------------- */

/*
 * A push reader: feed it an input's bytes as they arrive (a file, stdin, an S3
 * body), gzip or plain (told by magic bytes), holding any of the forms of
 * DESIGN.md section 4. It calls on_event with each CloudTrail event's raw
 * bytes and a few fields pulled out while streaming, and on_reject for
 * anything that is not a good event, then carries on with the rest of the
 * input. Memory stays bounded by the largest record, not the input.
 */
enum wdn_field {
	WDN_F_EVENT_NAME, WDN_F_EVENT_SOURCE, WDN_F_EVENT_TIME, WDN_F_EVENT_ID,
	WDN_F_ERROR_CODE, WDN_F_RECIPIENT, WDN_F_REGION, WDN_F_SHARED_EVENT_ID,
	WDN_F_UI_TYPE, WDN_F_UI_ARN, WDN_F_UI_ACCOUNT, WDN_F_UI_KEY, WDN_F_UI_INVOKED_BY,
	WDN_F_UI_ISSUER_ARN,
	WDN_F_COUNT
};

struct wdn_event {
	const char *input;          /* input name, as given to wdn_reader_new */
	uint64_t record;            /* 1-based record number within the input */
	struct wdn_str raw;         /* the event's bytes as read (valid during the callback) */
	struct wdn_str f[WDN_F_COUNT]; /* fields pulled out; ptr NULL when absent */
};

struct wdn_reject {
	const char *input;
	uint64_t record;            /* 0 when the trouble is not inside a record */
	uint64_t line;              /* line the record starts on */
	struct wdn_str raw;         /* what was read of it (may be partial) */
	const char *msg;
};

/* on_event returns 0 to go on, or a WDN_E* code to stop reading (the code is
 * returned by wdn_reader_feed / wdn_reader_finish). */
typedef int (*wdn_event_fn)(void *ctx, const struct wdn_event *ev);
typedef void (*wdn_reject_fn)(void *ctx, const struct wdn_reject *rej);

#define WDN_MAX_RECORD (8u << 20) /* CloudTrail caps events at 256 KB; be generous */
#define WDN_MAX_DEPTH 128

struct wdn_reader;
struct wdn_reader *wdn_reader_new(const char *name, wdn_event_fn on_event,
				  wdn_reject_fn on_reject, void *ctx);
int wdn_reader_feed(struct wdn_reader *r, const void *bytes, size_t len);
int wdn_reader_finish(struct wdn_reader *r); /* end of input */
void wdn_reader_free(struct wdn_reader *r);
/* Counts so far: events delivered, records rejected; digest: input was a digest file. */
void wdn_reader_counts(const struct wdn_reader *r, uint64_t *events, uint64_t *rejected,
		       int *digest);
/* Read a whole file descriptor through a reader; WDN_EIO with err on read failure. */
int wdn_reader_read_fd(struct wdn_reader *r, int fd, struct wdn_err *err);

/* Expand an operand (file, or directory walked recursively in name order)
 * into files; cb returns nonzero to stop. */
int wdn_input_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
		   struct wdn_err *err);

#endif
