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
 * wdn_buf_detach is the only way to take the memory, wdn_buf_setlen the only
 * way to change len by hand.
 *
 * A failure is sticky: once an append fails (too big, out of memory), the
 * content stays as it was, every later append fails with the same code and
 * changes nothing, wdn_buf_failed says so, and wdn_buf_detach gives NULL, so
 * a cut-short string is never taken for a whole one. A run of appends is
 * checked once, where the result is used. wdn_buf_reset and wdn_buf_release
 * start afresh.
 *
 * A secret buffer (wdn_buf_init_secret) wipes every copy it leaves behind:
 * the old memory when it grows, the content when reset or released.
 */
struct wdn_buf {
	char *ptr;
	size_t len, cap, max;
	int failed;     /* the first failure's code, or 0 */
	int secret;
};

#define WDN_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define WDN_BUF_INIT { wdn_buf_empty, 0, 0, 0, 0, 0 }
extern char wdn_buf_empty[1];

#define WDN_MUST_CHECK __attribute__((warn_unused_result))

void wdn_buf_init(struct wdn_buf *b, size_t max);
void wdn_buf_init_secret(struct wdn_buf *b, size_t max);
void wdn_buf_release(struct wdn_buf *b);          /* free contents, back to init state */
int wdn_buf_grow(struct wdn_buf *b, size_t extra) WDN_MUST_CHECK; /* room for extra more bytes */
int wdn_buf_add(struct wdn_buf *b, const void *p, size_t n);
int wdn_buf_adds(struct wdn_buf *b, const char *s);
int wdn_buf_addc(struct wdn_buf *b, char c);
int wdn_buf_addf(struct wdn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wdn_buf_vaddf(struct wdn_buf *b, const char *fmt, va_list ap);
static inline int wdn_buf_failed(const struct wdn_buf *b) { return b->failed; }
/* Set len: at most cap - 1 (the bytes up to it written by hand after a
 * wdn_buf_grow), or 0; terminates it. Anything longer fails with WDN_EINVAL. */
int wdn_buf_setlen(struct wdn_buf *b, size_t len);
void wdn_buf_reset(struct wdn_buf *b);           /* len = 0, keeps memory, clears a failure */
void wdn_buf_consume(struct wdn_buf *b, size_t n); /* drop the first n bytes */
/* The memory, the caller's to free; NULL (and *len 0) after a failure. */
char *wdn_buf_detach(struct wdn_buf *b, size_t *len) WDN_MUST_CHECK;

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
/* A hex digit's value (either case), or -1. */
int wdn_hex_value(char c);
/* Strict UTF-8: no overlong forms, surrogates, or code points past U+10FFFF. */
int wdn_utf8_valid(const char *p, size_t n);
/* FNV-1a over n bytes, going on from h (WDN_HASH_INIT to start): hashing in
 * pieces gives the hash of the whole. For tables and shard choice, not for
 * secrets; shard and file names depend on its values, so they never change. */
#define WDN_HASH_INIT 1469598103934665603ULL
uint64_t wdn_hash(uint64_t h, const void *p, size_t n);
uint64_t wdn_hash_str(const char *s); /* of a whole string, from WDN_HASH_INIT */
char *wdn_strdup(const char *s);            /* NULL for NULL */
/* How many buffer growths and string copies have failed for want of memory
 * (all threads): work made of many copies (where NULL also means "absent")
 * compares it before and after, once, and fails with WDN_ENOMEM. */
unsigned long wdn_nomem_count(void);

/* ---- directories (fs.c) ---------------------------------------------------- */

/* mkdir -p: path and every directory above it, new ones with mode; those that
 * exist already are fine. 0 or WDN_EIO / WDN_ENOMEM with err naming the one
 * that could not be made. */
int wdn_fs_mkdirs(const char *path, unsigned mode, struct wdn_err *err);
/* Write all n bytes, going on after EINTR; -1 with errno on failure. */
int wdn_fs_write_all(int fd, const void *p, size_t n);

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
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), and back:
 * no gmtime, no locale, no time zone. */
int64_t wdn_time_days_from_civil(int64_t y, int m, int d);
void wdn_time_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* ---- access key facts (key.c) -------------------------------------------- */

/* True if s looks like an access key ID (AKIA/ASIA/ABIA/ACCA + base32ish). */
int wdn_key_valid(const char *s);
/* The shape of a key ID, whatever its prefix: 16 to 128 characters of A-Z
 * and 0-9 (IAM's AccessKeyId is 16 to 128 word characters; every key ID AWS
 * issues is upper case and digits). No store holds any other. */
int wdn_key_id_ok(const char *p, size_t n);
/* What a key ID read from an event is. WDN_KEY_MASKED: printable ASCII of
 * at most 128 characters but no key ID, as the AKIA**************** of
 * published sample trails: it names no key, and nothing is recorded about
 * it. WDN_KEY_BAD: longer, or holding control or non-ASCII bytes: hostile,
 * and the record is rejected. */
enum { WDN_KEY_ID, WDN_KEY_MASKED, WDN_KEY_BAD };
int wdn_key_id_check(const char *p, size_t n);
/* "long-term", "temporary", ... or NULL if the prefix is not a key prefix. */
const char *wdn_key_type(const char *key);
/* Account ID encoded in new-generation keys, into out[16]; 0 or WDN_ENOTFOUND. */
int wdn_key_account(const char *key, char out[16]);

/* ---- ARNs (arn.c) --------------------------------------------------------- */

/*
 * An ARN split by position: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
 * Every member borrows from the text parsed. RESOURCE is the rest, ':' and
 * '/' included; type is RESOURCE before its first '/' (empty when it has
 * none) and name what follows its last '/' (all of RESOURCE when none):
 * "role/path/NAME" is type "role", name "NAME".
 */
struct wdn_arn {
	struct wdn_str partition, service, region, account, resource;
	struct wdn_str type, name;
};
#define WDN_ARN_MAX 2048 /* IAM's longest ARN parameter; longer text is no ARN */
/* 0, or WDN_EINVAL when s[0..len) is not an ARN: no "arn:" prefix, fewer
 * than six fields, an empty partition, service or resource, a control byte
 * (NUL included), or longer than WDN_ARN_MAX. */
int wdn_arn_parse(const char *s, size_t len, struct wdn_arn *out);
int wdn_arn_parse_str(const char *s, struct wdn_arn *out); /* s may be NULL */
/* Is a of this service and resource type (NULL: any)? */
int wdn_arn_is(const struct wdn_arn *a, const char *service, const char *type);
/* The ACCOUNT of an ARN (owned), or NULL when s is no ARN or names none. */
char *wdn_arn_account(const char *arn);
/* The SESSION of an assumed-role/ROLE/SESSION ARN (owned), or NULL. */
char *wdn_arn_session(const char *arn);

/* ---- JSON helpers over yajl (json.c) ------------------------------------- */

struct yajl_val_s;
struct yajl_gen_t;
typedef struct yajl_val_s *wdn_json;

/* Parse a complete document; NULL on error with err filled. Free with wdn_json_free. */
wdn_json wdn_json_parse(const char *text, size_t len, struct wdn_err *err);
/* The same, refusing (WDN_ETOOBIG) a text of more than max_elements values and
 * keys (0: no bound) before building its tree: for hostile input. */
/* An upper estimate of the values and member names a JSON text holds (one
 * per bracket, comma and colon outside strings, and one): what its tree
 * would cost, whatever its length in bytes. */
size_t wdn_json_elements(const char *text, size_t len);
wdn_json wdn_json_parse_bounded(const char *text, size_t len, size_t max_elements,
				struct wdn_err *err);
void wdn_json_free(wdn_json v);
/* Member by dotted path ("userIdentity.sessionContext.sessionIssuer.arn"); NULL if absent. */
wdn_json wdn_json_get(wdn_json v, const char *path);
/* String at path, or NULL if absent or not a string. */
const char *wdn_json_str(wdn_json v, const char *path);
/* Emit a JSON value tree into a generator; its number texts are kept as they were. */
int wdn_json_gen(struct yajl_gen_t *g, wdn_json v);
/* Re-emit a serialized JSON text into a generator (value inserted as is). */
int wdn_json_gen_text(struct yajl_gen_t *g, const char *text, size_t len);
/* Is a member name the ASCII name, whatever its case? key is len bytes of
 * UTF-8, decoded, or as written in JSON text (escaped: its escapes are
 * decoded here). Case as case-insensitive readers see it: ASCII letters of
 * either case, and U+0130 and U+0131 as i, U+017F as s, U+212A as k; and a
 * NUL ends the name, as for readers of C strings. */
int wdn_json_name_is(const char *key, size_t len, int escaped, const char *name);
/* Serialize a tree compactly into out (appended). */
int wdn_json_serialize(wdn_json v, struct wdn_buf *out);
/* A generator writing compact JSON onto the end of out; free with yajl_gen_free. */
struct yajl_gen_t *wdn_gen_into(struct wdn_buf *out);
void wdn_gen_str(struct yajl_gen_t *g, const char *s);  /* null for NULL */
void wdn_gen_key(struct yajl_gen_t *g, const char *k);
void wdn_gen_time(struct yajl_gen_t *g, int64_t t);     /* null for WDN_TIME_NONE */

/* ---- tags (tags.c) -------------------------------------------------------- */

/* An ordered tag set. Keys compare case-insensitively (IAM's rule for users
 * and roles) and keep the case they were first set with; a later value
 * replaces an earlier one. Sets past a few tags keep a hash index, so a set
 * of n tags is built in O(n). Read v[0..n) freely; change it only through
 * these functions. */
struct wdn_tag {
	char *key, *value;
};
struct wdn_tags {
	struct wdn_tag *v;
	size_t n, cap;
	uint32_t *slot;     /* the index: position + 1 of a tag, 0 empty */
	size_t nslot;       /* a power of 2, or 0: no index (lookups scan) */
};
/* The most tags one list in an event may hold (session tags, a Tag* call's
 * tags, transitive keys...): IAM allows 50 session tags and 50 tags on a
 * user or role; twenty times that leaves room for whatever AWS raises them
 * to, while a hostile event cannot make every lookup fold 250 000 tags.
 * Events over it are rejected. */
#define WDN_MAX_TAGS 1000
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
 * body), gzip or plain (told by magic bytes), holding a CloudTrail log file
 * {"Records":[...]}, a JSON array of events, JSON lines, a single event or
 * EventBridge envelopes. It calls on_event with each CloudTrail event's raw
 * bytes and a few fields pulled out while streaming, and on_reject for
 * anything that is not a good event, then carries on with the rest of the
 * input. Memory stays bounded by the largest record, not the input.
 *
 * An input that was not read whole is a failure, not a rejection:
 * wdn_reader_finish returns WDN_EIO with err saying why when the input ends
 * early (a gzip stream before its trailer, a document inside an open value,
 * a last JSON line cut short) or its gzip data is damaged; whoever consumes
 * the events then keeps nothing of that input. An input is a digest file only
 * when its first top-level value is one; a digest-like record later is
 * rejected like any other bad record.
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
	uint64_t line;              /* line the event starts on */
	struct wdn_str raw;         /* the event's bytes as read (valid during the callback) */
	struct wdn_str f[WDN_F_COUNT]; /* fields pulled out; ptr NULL when absent */
	unsigned shape;             /* WDN_SHAPE_* the reader learned of raw, 0 if nothing */
};
/* Shape of an event's text, when the reader knows it (WDN_SHAPE_KNOWN):
 * compact (no white space outside strings), forged (a top-level member named
 * whodunnit in some case or escape, as wdn_json_name_is sees names). */
#define WDN_SHAPE_KNOWN 1u
#define WDN_SHAPE_COMPACT 2u
#define WDN_SHAPE_FORGED 4u

struct wdn_reject {
	const char *input;
	uint64_t record;            /* 0 when the trouble is not inside a record */
	uint64_t line;              /* line the record starts on */
	struct wdn_str raw;         /* what was read of it (may be partial) */
	const char *msg;
	int untrusted;              /* refused for what it claims (an EventBridge envelope
				     * that fails the checks), not for being malformed */
};

/* on_event returns 0 to go on, or a WDN_E* code to stop reading (the code is
 * returned by wdn_reader_feed / wdn_reader_finish). */
typedef int (*wdn_event_fn)(void *ctx, const struct wdn_event *ev);
typedef void (*wdn_reject_fn)(void *ctx, const struct wdn_reject *rej);

#define WDN_MAX_RECORD (8u << 20) /* CloudTrail caps events at 256 KB; be generous */
/* The most a record may put in a store, all its strings together: a
 * DynamoDB item holds at most 400 KB, names and keys included. An event
 * whose issuance or change would be larger is rejected, in every store. */
#define WDN_MAX_STORED (380u << 10)
#define WDN_MAX_DEPTH 96 /* yajl_gen nests 128 deep; output embeds events 3 levels down */
/* Values and keys in one record (or one message parsed whole): a tree costs
 * about 100 bytes per element, so 8 MB of "[0,0,..." would take 400 MB;
 * CloudTrail's 256 KB events hold a few thousand at most. */
#define WDN_MAX_ELEMENTS 65536u

struct wdn_reader;
struct wdn_reader *wdn_reader_new(const char *name, wdn_event_fn on_event,
				  wdn_reject_fn on_reject, void *ctx);
int wdn_reader_feed(struct wdn_reader *r, const void *bytes, size_t len);
/* The whole input at once, before any wdn_reader_feed (then finish): the
 * same verdicts as feeding it, but a gzip input that decodes to at most 4 MB
 * is decoded in one go (libdeflate), which costs about half the CPU. */
int wdn_reader_feed_whole(struct wdn_reader *r, const void *bytes, size_t len);
/* Like wdn_reader_feed, for a body that comes in pieces (an S3 object): the
 * pieces are held, up to 4 MB, and decoded whole by wdn_reader_finish;
 * past that the input is streamed. Use it or wdn_reader_feed, not both. */
int wdn_reader_feed_held(struct wdn_reader *r, const void *bytes, size_t len);
/* End of input: 0, a stop code of on_event, or WDN_EIO with err when the
 * input was not read whole (see above). */
int wdn_reader_finish(struct wdn_reader *r, struct wdn_err *err);
void wdn_reader_free(struct wdn_reader *r);
/* Counts so far: events delivered, records rejected; digest: input was a digest file. */
void wdn_reader_counts(const struct wdn_reader *r, uint64_t *events, uint64_t *rejected,
		       int *digest);
/* From now on refuse (reject, untrusted) every EventBridge envelope, that is
 * every top-level object with a "detail" or "detail-type" member: for input
 * whose envelopes could not be checked before reading (wdn_delivery). */
void wdn_reader_refuse_envelopes(struct wdn_reader *r);
/* A zero-byte input fails ("empty input"): a file being copied in. This
 * reader takes it as an input with nothing in it (stdin: nothing to do). */
void wdn_reader_allow_empty(struct wdn_reader *r);
/* Read a whole file descriptor through a reader and finish it; WDN_EIO with
 * err on read failure or an input not read whole. A small regular file is
 * read whole and given to wdn_reader_feed_whole. */
int wdn_reader_read_fd(struct wdn_reader *r, int fd, struct wdn_err *err);
/* Hand every decoded (uncompressed) byte of the input to fn as well, whatever
 * the parse makes of it: so a log file is hashed from the one reading of it.
 * A nonzero return stops reading with that code. */
void wdn_reader_tee(struct wdn_reader *r, int (*fn)(void *ctx, const void *p, size_t n), void *ctx);
/* Tests: parse this reader's input the streaming way only, never the fast path. */
void wdn_reader_careful(struct wdn_reader *r);

/* The reader's fast path (fastjson.cc, simdjson): a whole decoded input that
 * is one log file {"Records":[{...},...]} of plain shape, validated at once.
 * Returns 1 with *evs (*nev of them, valid until the next call in this thread)
 * or 0 when not sure: any error, another shape, a cap reached. With padded,
 * WDN_FAST_PADDING bytes after buf[len] may be read; else buf is copied. */
#define WDN_FAST_PADDING 64
#define WDN_FAST_MAX (4u << 20) /* larger inputs: not sure */
struct wdn_fast_event {
	size_t off, len;               /* the event's bytes: buf[off .. off+len) */
	struct wdn_str f[WDN_F_COUNT]; /* its fields decoded (ptr NULL: absent or null) */
	int compact, forged;           /* as WDN_SHAPE_COMPACT, WDN_SHAPE_FORGED */
};
int wdn_fast_walk(const char *buf, size_t len, int padded, const struct wdn_fast_event **evs,
		  size_t *nev);
/* This thread's buffer number which (0 or 1) of WDN_FAST_MAX + 1 +
 * WDN_FAST_PADDING bytes, kept from input to input (buffers of a few MB
 * taken and freed for each input raise malloc's mmap threshold, and the heap
 * then keeps them), or NULL. */
unsigned char *wdn_fast_buffer(int which);

/* Expand an operand (file, or directory walked recursively in name order)
 * into files; cb returns nonzero to stop. */
int wdn_input_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
		   struct wdn_err *err);

/* ---- CloudTrail model (event.c) ------------------------------------------- */

/* An issuance: one credential-issuing event, the key it issued and who that
 * key acts as. Every string member is owned (malloc'd) and may be NULL. */
struct wdn_issuance {
	char *key_id;          /* the issued access key ID */
	int64_t start, end;    /* event time; expiration (WDN_TIME_NONE: none yet) */
	char *event_id, *event_name, *shared_event_id;
	char *principal;       /* role, user, federated-user or root ARN the key acts as */
	char *account;         /* the principal's account */
	char *session_name;
	char *caller_key;      /* userIdentity.accessKeyId: the parent link */
	char *caller_type;     /* userIdentity.type: IAMUser, AssumedRole, Root, AWSService... */
	char *caller_arn;      /* userIdentity.arn */
	char *caller_principal;/* the caller as a chain entry: a role's ARN, a user's ARN... */
	char *caller_account;
	char *invoked_by;      /* userIdentity.invokedBy (an AWS service) */
	char *session_tags;    /* JSON object of the session tags passed */
	char *transitive_keys; /* JSON array of the transitive tag keys passed */
	char *incoming_tags;   /* JSON object: incomingTransitiveTags as logged */
	char *source_identity;
	char *provider;        /* SAML or OIDC provider of a federated caller */
	char *subject;         /* the federated caller: SAML subject, OIDC sub claim */
	char *audience;        /* OIDC audience (client ID) */
	char *event;           /* the issuing event, compact, session tokens redacted */
	char *source;          /* where the event was read: a path or s3:// URI (NULL: not known) */
};

/* A sighting: a key seen in some event's userIdentity. */
struct wdn_sighting {
	char *key_id, *principal, *arn, *type, *account;
	int64_t first, last;
};

/*
 * A change: one IAM or CloudFormation fact in a subject's time-ordered log.
 * Subjects and kinds:
 *   tags:ACCOUNT:role/NAME, tags:ACCOUNT:user/NAME, tags:PROVIDER_ARN
 *       create (data: tags object, replaces), tag (data: tags object),
 *       untag (data: array of keys), delete, rename (data: {"name","path"}:
 *       the name moved away), renamed-from (data: {"name"}: the old name)
 *   key:ACCESS_KEY_ID      status (data: "Active" / "Inactive"), delete
 *   pass:ROLE_ARN          pass (data: {"key","principal","event"}: a caller
 *                          handed the role to CloudFormation)
 */
struct wdn_change {
	char *subject;
	int64_t time;
	char *event_id;
	char *kind;
	char *data; /* JSON text or NULL */
};
typedef int (*wdn_change_fn)(void *ctx, const struct wdn_change *c);
void wdn_change_release(struct wdn_change *c);
/* Does this event (name, no errorCode) change tags, names, key status, or pass a role? */
int wdn_event_changes_anything(struct wdn_str event_name);
/* Emit the changes a parsed event makes. */
int wdn_event_changes(wdn_json ev, wdn_change_fn cb, void *ctx, struct wdn_err *err);

void wdn_issuance_release(struct wdn_issuance *is);
void wdn_sighting_release(struct wdn_sighting *s);

/* The sighting an event is of its caller's key, at time t (every member
 * owned); WDN_ENOTFOUND if the event names no key. */
int wdn_event_sighting(const struct wdn_event *ev, int64_t t, struct wdn_sighting *out);
/* The caller as a chain entry, from the event's userIdentity: its session
 * issuer's ARN as is, else a conversion into *conv (to free). */
struct wdn_str wdn_event_principal(const struct wdn_event *ev, char **conv);
/* Does this event name (with no errorCode) issue credentials? */
int wdn_event_issues(struct wdn_str event_name);
/* Build the issuance of a parsed issuing event: 1 done, 0 not an issuance
 * (e.g. no key in the response), or a WDN_E* code with err. */
int wdn_event_issuance(wdn_json ev, struct wdn_issuance *out, struct wdn_err *err);
/* Replace session tokens and secrets anywhere in a tree. */
void wdn_event_redact(wdn_json v);
/* The chain-entry principal of a userIdentity: the role ARN of an assumed
 * role (from sessionIssuer or the assumed-role ARN), else the ARN as is. */
char *wdn_principal_of(const char *type, const char *arn, const char *issuer_arn);

/* ---- stores (store.c, store_sqlite.c) -------------------------------------- */

/* What digests say was delivered: a digest's span (log NULL), or one log
 * file it lists and whether it was read (wdn_verifier_coverage). */
struct wdn_cover {
	const char *account, *region;
	int64_t start, end;         /* digestStartTime, digestEndTime */
	const char *digest;         /* the digest's object key */
	const char *log;            /* a listed log file's object key, or NULL */
	int seen;
	int backfill;               /* a backfill digest: lists late files, covers no hour */
};
typedef int (*wdn_cover_fn)(void *ctx, const struct wdn_cover *c);

struct wdn_store;
typedef int (*wdn_issuance_fn)(void *ctx, const struct wdn_issuance *is);

struct wdn_store_ops {
	const char *kind;
	int fold_sightings; /* writes are paid per item: a run's sightings are best written once */
	int (*begin)(struct wdn_store *s, struct wdn_err *err);
	int (*commit)(struct wdn_store *s, struct wdn_err *err);
	/* Drop what was written since begin, as far as the store can: an input
	 * that was not read whole keeps nothing (DynamoDB: what a full batch
	 * already sent stays, idempotent). */
	int (*rollback)(struct wdn_store *s, struct wdn_err *err);
	/* Idempotent: the same issuance twice, or its cross-account copy, is one row. */
	int (*put_issuance)(struct wdn_store *s, const struct wdn_issuance *is, struct wdn_err *err);
	int (*put_sighting)(struct wdn_store *s, const struct wdn_sighting *si, struct wdn_err *err);
	/* The issuance of key in use at time at (WDN_TIME_MAX: the latest): the one
	 * whose window holds at, else the latest before it. WDN_ENOTFOUND if none. */
	int (*get_issuance)(struct wdn_store *s, const char *key, int64_t at,
			    struct wdn_issuance *out, struct wdn_err *err);
	/* The start of key's first issuance after time after; WDN_ENOTFOUND if
	 * none. Says until when an issuance chosen by get_issuance stays chosen. */
	int (*next_issuance)(struct wdn_store *s, const char *key, int64_t after, int64_t *start,
			     struct wdn_err *err);
	/* The principal seen using key as of at (WDN_TIME_MAX: the latest), as
	 * wdn_sighting_prefer chooses among its principals; WDN_ENOTFOUND if never. */
	int (*get_sighting)(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			    struct wdn_err *err);
	/* Idempotent: a change is keyed by (subject, event ID, kind). */
	int (*put_change)(struct wdn_store *s, const struct wdn_change *c, struct wdn_err *err);
	/* A subject's changes at or before until, in (time, event ID) order. */
	int (*changes)(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb,
		       void *ctx, struct wdn_err *err);
	/* A source (a log file's path or s3:// URI) as a digest run found it:
	 * its WDN_INTEGRITY_* status, why, and when checked. Tampered stays
	 * tampered, verified is not taken back by a later unverified; only
	 * verified and tampered are kept (a source not kept is unverified). */
	int (*put_source)(struct wdn_store *s, const char *source, int integrity, const char *why,
			  int64_t checked, struct wdn_err *err);
	/* A source's status into *integrity; WDN_ENOTFOUND if none was kept. */
	int (*get_source)(struct wdn_store *s, const char *source, int *integrity,
			  struct wdn_err *err);
	/* What a digest run found delivered (wdn_verifier_coverage): a digest's
	 * span (log NULL), or a log file it lists, seen or not. A log file once
	 * seen is never missing again. */
	int (*put_cover)(struct wdn_store *s, const struct wdn_cover *c, struct wdn_err *err);
	/* The spans and the logs still missing of an account (NULL: every
	 * account), in no set order: cb gets spans with log NULL, missing logs
	 * with log set and seen 0. */
	int (*covers)(struct wdn_store *s, const char *account, wdn_cover_fn cb, void *ctx,
		      struct wdn_err *err);
	/* Every issuance whose caller key is key, in time order. */
	int (*children)(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx,
			struct wdn_err *err);
	/* Bulk reading, for a store whose reads are round trips (NULL if not):
	 * on 1, reads not yet cached are noted and answer "not found"; on 0,
	 * everything noted is read at once. Returns 1 if it read anything, 0 if
	 * nothing was noted, or an error. wdn_resolve_prefetch drives it. */
	int (*gather)(struct wdn_store *s, int on, struct wdn_err *err);
	void (*close)(struct wdn_store *s);
	/* Reads only, many of them (NULL if the store gains nothing): on 1 the
	 * reads until 0 see one snapshot, so each read need not take and drop
	 * the store's locks (SQLite: a read transaction). No writes meanwhile. */
	int (*snapshot)(struct wdn_store *s, int on, struct wdn_err *err);
};

struct wdn_store {
	const struct wdn_store_ops *ops;
	char *where; /* what was opened, for messages */
};

#define WDN_STORE_CREATE 1  /* create the store if missing (writers) */

/* How to reach AWS for a dynamodb: store (any member may be NULL). */
struct wdn_store_opts {
	const char *profile, *region, *endpoint;
	int ttl_days;        /* items expire this many days after their time; 0: never */
};

/* Open "sqlite:PATH", a bare path, "dynamodb:TABLE", or NULL for $WDN_STORE
 * or the default ${XDG_DATA_HOME:-$HOME/.local/share}/whodunnit/wdn.db. */
int wdn_store_open(const char *url, int flags, const struct wdn_store_opts *opts,
		   struct wdn_store **out, struct wdn_err *err);
int wdn_store_dynamodb_open(const char *table, int flags, const struct wdn_store_opts *opts,
			    struct wdn_store **out, struct wdn_err *err);
/* Create a DynamoDB table of this design (on-demand, GSI, TTL) and wait till ACTIVE. */
int wdn_store_dynamodb_create(const char *table, const struct wdn_store_opts *opts,
			      struct wdn_err *err);
void wdn_store_close(struct wdn_store *s);
/* Of two sightings of one key (folded per principal), is a the one in use at
 * at rather than b? The one whose [first, last] holds at, the latest to
 * begin; else the one last seen before at, the latest; else the first seen
 * after it; ties to the smaller principal. Both stores choose by it. */
int wdn_sighting_prefer(const struct wdn_sighting *a, const struct wdn_sighting *b, int64_t at);
char *wdn_store_default_path(void);
int wdn_store_sqlite_open(const char *path, int flags, struct wdn_store **out,
			  struct wdn_err *err);

/* ---- coverage (coverage.c) ------------------------------------------------- */

/* A gap in what the digests recorded show delivered, for an account and
 * region: [from, to] with no digest (missing empty), or a digest's span
 * whose listed log files (missing, object keys) no run read. Owned. */
struct wdn_gap {
	char *account, *region;
	int64_t from, to;
	char **missing;
	size_t nmissing;
};
struct wdn_gaps {
	int known;              /* digests were recorded for an account asked about */
	struct wdn_gap *v;      /* sorted by account, region, from, to */
	size_t n, cap;
};
/* Append the gaps of account (NULL: every account) overlapping [from, to]
 * (WDN_TIME_NONE, WDN_TIME_MAX: the recorded spans' own ends). */
int wdn_coverage_gaps(struct wdn_store *s, const char *account, int64_t from, int64_t to,
		      struct wdn_gaps *g, struct wdn_err *err);
void wdn_gaps_release(struct wdn_gaps *g);
/* One gap as {"Account","Region","From","To","Missing"}. */
void wdn_gap_gen(struct yajl_gen_t *g, const struct wdn_gap *x);

/* ---- recording (recorder.c) ----------------------------------------------- */

/* Turns events into store records: issuances at once, sightings folded in
 * memory and written at each flush, all within store transactions. */
struct wdn_recorder;
struct wdn_record_result {
	const struct wdn_issuance *issuance; /* set when the event issued a key */
	const struct wdn_change *changes;    /* the changes it made (tags, names...) */
	size_t nchanges;
};
struct wdn_recorder *wdn_recorder_new(struct wdn_store *s);
/* Record one event from the reader. Returns 0, or WDN_EINVAL with err for a
 * record no store may hold (the caller rejects that record): a malformed
 * issuing event, a key ID that is WDN_KEY_BAD (wdn_key_id_check), an ARN
 * or name past WDN_ARN_MAX, more than WDN_MAX_TAGS tags in a list, or more
 * than WDN_MAX_STORED bytes; or a store error. */
int wdn_recorder_event(struct wdn_recorder *r, const struct wdn_event *ev,
		       struct wdn_record_result *res, struct wdn_err *err);
int wdn_recorder_flush(struct wdn_recorder *r, struct wdn_err *err); /* commit */
/* Drop everything since the last flush (an input not read whole): its
 * sightings, and the store's transaction (rolled back). */
int wdn_recorder_discard(struct wdn_recorder *r, struct wdn_err *err);
/* For a run over inputs that can be read again, and a store that asks for it
 * (fold_sightings): keep sightings folded across flushes until one with hold
 * off (or until too many), so a key used in many inputs is written once.
 * Flushes still commit issuances and changes; sightings held are lost if the
 * process dies, and a rerun writes them. */
void wdn_recorder_hold_sightings(struct wdn_recorder *r, int on);
void wdn_recorder_free(struct wdn_recorder *r); /* does not flush */
void wdn_recorder_counts(const struct wdn_recorder *r, uint64_t *issuances, uint64_t *sightings,
			 uint64_t *changes);

/* ---- answers: chains and tags (resolve.c) --------------------------------- */

#define WDN_MAX_CHAIN 64 /* deeper chains are cut and marked incomplete */

struct wdn_link {
	struct wdn_issuance is;
	int integrity;          /* WDN_INTEGRITY_* of is.source, as the store keeps it */
};

struct wdn_answer {
	char key[129];
	int64_t at;
	int found;              /* an issuance or a sighting was found */
	int complete;           /* the chain reached a root */
	const char *key_type;
	char account[16];
	char *principal, *session_name, *source_identity;
	int source_identity_changed;
	int64_t start, end;
	int64_t first_seen, last_seen; /* from a sighting, when no issuance is known */
	int64_t issued_later;   /* none yet at at: when the key's latest issuance began */
	struct wdn_link *links; /* leaf first */
	size_t nlinks;
	int integrity;          /* the weakest of the links' (and the inferred link's) */
	struct wdn_gaps coverage; /* around the answer's accounts and window */
	char **chain;           /* PrincipalChain, leaf first */
	size_t nchain;
	struct wdn_tags tags, chain_tags;
	struct wdn_keyset transitive;
	/* the root */
	char *id_type, *id_arn, *id_key, *id_account, *id_service, *id_detail;
	char *id_provider, *id_subject, *id_audience, *id_user;
	char *id_user_id, *id_store;   /* Identity Center: the person's ID and identity store */
	struct wdn_tags provider_tags; /* a SAML or OIDC root's provider's tags */
	int sso_pending;
	/* long-term keys: status as of at, and its history */
	char *status;
	struct wdn_change *history;
	size_t nhistory;
	/* inferred links: a role session CloudFormation started, to the caller who
	 * passed it the role; an Identity Center session, to the portal's
	 * GetRoleCredentials that named the person */
	struct wdn_change inferred;
	/* with wdn_resolve_descendants: every session issued from the key */
	struct wdn_descendant { struct wdn_issuance is; unsigned depth; } *desc;
	size_t ndesc;
};

#define WDN_ANS_TRAILS 1      /* Trails: the issuing events */
#define WDN_ANS_DESCENDANTS 2 /* Descendants: sessions issued from the key */
#define WDN_MAX_DESCENDANTS 100000

/* Resolve key as of at (WDN_TIME_MAX: latest). An unknown key is not an
 * error: found is 0. */
int wdn_resolve(struct wdn_store *s, const char *key, int64_t at, struct wdn_answer *a,
		struct wdn_err *err);
void wdn_answer_release(struct wdn_answer *a);
/* The same, for a key seen in an event: with no issuance in use at at, the
 * answer is what that sighting tells, not the store's sightings. */
int wdn_resolve_seen(struct wdn_store *s, const char *key, int64_t at, const struct wdn_sighting *seen,
		     struct wdn_answer *a, struct wdn_err *err);
/* Read ahead what resolving these keys (each at its time, at NULL: the
 * latest; each with its sighting, seen NULL: none) will need, in a few
 * batched rounds, so that wdn_resolve answers them from the store's cache.
 * A no-op for stores without bulk reads. */
int wdn_resolve_prefetch(struct wdn_store *s, const char *const *keys, const int64_t *at,
			 const struct wdn_sighting *seen, size_t n, struct wdn_err *err);
/* Every session issued from a's key (within its validity), transitively:
 * the blast radius of a leaked key. Breadth first, capped at WDN_MAX_DESCENDANTS. */
int wdn_resolve_descendants(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err);
/* Emit the lookup object's members (without the enclosing braces). */
void wdn_answer_gen_lookup(struct yajl_gen_t *g, const struct wdn_answer *a, int flags);
/* The members wdn-chain and wdn-tags add to their input objects. */
void wdn_answer_gen_chain(struct yajl_gen_t *g, const struct wdn_answer *a);
void wdn_answer_gen_tags(struct yajl_gen_t *g, const struct wdn_answer *a);
/* The Identity member: the chain's root. */
void wdn_answer_gen_identity(struct yajl_gen_t *g, const struct wdn_answer *a);
/* For people (render.c), appended to out: Graphviz DOT of the chain from
 * its root to the key, with the descendants when resolved; a Markdown
 * section for an incident report (the answer in words, a table of hops,
 * the chain as a Mermaid diagram). Every string from an event is escaped
 * for the format, controls shown as codes. 0, or WDN_ENOMEM. */
int wdn_answer_dot(const struct wdn_answer *a, struct wdn_buf *out);
int wdn_answer_markdown(const struct wdn_answer *a, struct wdn_buf *out);

/* A JSON member a generator may write, with its Amazon Athena (Hive DDL)
 * type, or sub: it is a structure of those members. Each list sits beside
 * the generator it describes, ends with a NULL name, and a test checks that
 * the two agree: the Athena DDL and wdn-chain/wdn-tags are built from them. */
struct wdn_member {
	const char *name;
	const char *type;
	const struct wdn_member *sub;
};
extern const struct wdn_member wdn_identity_members[];   /* wdn_answer_gen_identity */
extern const struct wdn_member wdn_chain_members[];      /* wdn_answer_gen_chain */
extern const struct wdn_member wdn_tags_members[];       /* wdn_answer_gen_tags */
/* An issuance's summary members (key, principal, session, caller, event,
 * validity): the Links, the Descendants, and wdn-record's output lines. */
void wdn_issuance_gen_summary(struct yajl_gen_t *g, const struct wdn_issuance *is);

/* ---- SigV4 (sigv4.c) --------------------------------------------------------
 * AWS Signature Version 4 (sigv4.c): SHA-256 and HMAC-SHA256 over libsodium,
 * and each SigV4 stage on its own (canonical request, string to sign, signing
 * key, signature) so tests can check them one by one against AWS's suites.
 *
 * Ownership: struct wdn_sigv4_req only borrows; nothing in it is freed.
 * struct wdn_sigv4_sig owns its buffers; wdn_sigv4_sig_release frees them,
 * wiping those that may hold the session token. Secret-derived bytes (keys,
 * HMAC state) are wiped before each call returns.
 */
/* ---- hashes --------------------------------------------------------------- */

void wdn_sha256(const void *p, size_t n, uint8_t out[32]);           /* SHA-256 digest */
void wdn_sha256_hex(const void *p, size_t n, char out[65]);          /* lowercase hex, NUL-terminated */
void wdn_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n,
		     uint8_t out[32]);                               /* any key length */

/* ---- SigV4 ---------------------------------------------------------------- */

struct wdn_sigv4_header {
	struct wdn_str name, value; /* as sent: any case, untrimmed, may be folded */
};

struct wdn_sigv4_creds {
	const char *key_id, *secret;
	const char *token;          /* session token, NULL for long-term keys */
};

struct wdn_sigv4_req {
	const char *method;                     /* "GET" */
	struct wdn_str path;                    /* as sent, before '?': "/a%20b" ("" = "/") */
	struct wdn_str query;                   /* raw, without '?': "b=2&a=1" */
	const struct wdn_sigv4_header *headers; /* must hold host */
	size_t nheaders;
	struct wdn_str payload;                 /* body, hashed when payload_hash is NULL */
	const char *payload_hash;               /* hex digest, "UNSIGNED-PAYLOAD", ... or NULL */
	const char *region, *service;
	int64_t time;                           /* signing time, epoch seconds */
	int64_t expires;                        /* presign: X-Amz-Expires, 1..604800 */
	struct wdn_sigv4_creds creds;
	int normalize_path;  /* remove dot segments, collapse slashes (all but S3) */
	int double_encode;   /* encode the sent path once more, '%' too (all but S3) */
	int sign_body;       /* header mode: add and sign x-amz-content-sha256 (S3) */
	int presign;         /* sign into the query (presigned URL), not a header */
	int unsigned_token;  /* session token sent but not signed (added after) */
};

/*
 * Results of each stage. In header mode the caller sends X-Amz-Date:
 * amz_date, X-Amz-Security-Token when creds.token is set, X-Amz-Content-Sha256:
 * payload_hash when sign_body, and Authorization: authorization. In presign
 * mode it sends `query` as the whole query string.
 */
struct wdn_sigv4_sig {
	char amz_date[17];              /* YYYYMMDDTHHMMSSZ */
	char payload_hash[72];          /* hex SHA-256 or a literal like UNSIGNED-PAYLOAD */
	char signature[65];             /* lowercase hex */
	struct wdn_buf scope;           /* 20150830/us-east-1/service/aws4_request */
	struct wdn_buf signed_headers;  /* host;x-amz-date */
	struct wdn_buf canonical_query;
	struct wdn_buf creq;            /* canonical request */
	struct wdn_buf sts;             /* string to sign */
	struct wdn_buf authorization;   /* header mode: the Authorization value */
	struct wdn_buf query;           /* presign: query to send, X-Amz-Signature last */
};

/* Zero r and set the options AWS uses for service ("s3" and "s3express":
 * no normalising, no double encoding, signed x-amz-content-sha256). */
void wdn_sigv4_req_init(struct wdn_sigv4_req *r, const char *service);
void wdn_sigv4_sig_init(struct wdn_sigv4_sig *s);
void wdn_sigv4_sig_release(struct wdn_sigv4_sig *s); /* frees and wipes; s reusable */

/* Epoch seconds to "YYYYMMDDTHHMMSSZ" (years 0..9999, else WDN_EINVAL). */
int wdn_sigv4_amz_date(int64_t t, char out[17]);
/* Append p[0..n) percent-encoded outside RFC 3986 unreserved; '/' kept unless encode_slash. */
int wdn_sigv4_uri_encode(struct wdn_buf *out, const void *p, size_t n, int encode_slash);

/* Stage 1: fills amz_date, payload_hash, scope, signed_headers, canonical_query, creq. */
int wdn_sigv4_canonical_request(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s,
				struct wdn_err *err);
/* Stage 2: sts from s->amz_date, s->scope and s->creq. */
int wdn_sigv4_string_to_sign(struct wdn_sigv4_sig *s);
/* Stage 3: HMAC chain from "AWS4"+secret over the first 8 chars of date8
 * ("YYYYMMDD", an amz_date does), region, service. Caller wipes key. */
int wdn_sigv4_signing_key(const char *secret, const char *date8, const char *region,
			  const char *service, uint8_t key[32]);
/* Stage 4: hex HMAC of the string to sign under the signing key. */
void wdn_sigv4_signature(const uint8_t key[32], const char *sts, size_t n, char out[65]);
/* All stages, then authorization (header mode) or query (presign). */
int wdn_sigv4_sign(const struct wdn_sigv4_req *r, struct wdn_sigv4_sig *s, struct wdn_err *err);

/* ---- HTTP (http.c) --------------------------------------------------------- */

struct wdn_http;
struct curl_slist;

/* One transfer. The caller owns everything it sets; body is reset per run. */
struct wdn_http_xfer {
	const char *method, *url;
	struct curl_slist *headers;
	const void *body_ptr;
	size_t body_len;
	/* a 2xx body streams to on_body (nonzero return aborts); any other is kept in body */
	int (*on_body)(void *ctx, const void *p, size_t n);
	void *ctx;
	uint64_t skip;        /* body bytes still to drop (a resume the server sent whole) */
	const char *want_header; /* a response header to keep in header_value, or NULL */
	struct wdn_buf *meta;  /* x-amz-meta-* headers as "name: value" lines, or NULL */
	int long_poll;        /* waits without a stall limit (Lambda's next invocation) */
	int started;          /* the body of this run has begun */
	/* results */
	long status;          /* HTTP status, 0 when none came */
	int curl_code;        /* 0, or how the transfer failed */
	int aborted;          /* on_body stopped it */
	char error[256];
	char request_id[128];
	char error_type[128]; /* X-Amzn-ErrorType, where a service puts the error code */
	char header_value[256]; /* want_header's value */
	struct wdn_buf body;
	uint64_t received;    /* bytes handed to on_body, over all runs */
	void *easy;
};

/* libcurl is loaded on first use (dlopen), so commands that never talk to
 * AWS start as fast as SQLite's own shell. NULL if it cannot be loaded. */
struct wdn_http *wdn_http_new(void);
/* Append a "Name: value" header line (a copy); NULL on failure. */
struct curl_slist *wdn_http_header(struct curl_slist *list, const char *line);
void wdn_http_headers_free(struct curl_slist *list);
void wdn_http_free(struct wdn_http *h);
/* Perform n transfers concurrently; each reports its own outcome. */
int wdn_http_run(struct wdn_http *h, struct wdn_http_xfer **xs, size_t n);

/* ---- XML (xml.c) ----------------------------------------------------------- */

/* Calls cb with each element's path ("ListBucketResult/Contents/Key") and its
 * text when the element closes. Returns WDN_EINVAL for malformed XML. */
typedef int (*wdn_xml_fn)(void *ctx, const char *path, const char *text, size_t len);
int wdn_xml_walk(const char *xml, size_t len, wdn_xml_fn cb, void *ctx, struct wdn_err *err);

/* ---- AWS access (aws.c, creds.c, ini.c) --------------------------------------- */

struct wdn_creds {
	char *key_id, *secret, *token;
	int64_t expires;      /* WDN_TIME_NONE for long-term keys */
	char source[64];      /* where they came from, for messages */
};
void wdn_creds_release(struct wdn_creds *c); /* wipes the secret */

/* Shared config and credentials files: value of key in section, or NULL.
 * Sections as the files name them: "default", "profile NAME" (config), "NAME"
 * (credentials), "sso-session NAME". Caller frees. */
char *wdn_ini_get(const char *path, const char *section, const char *key);
int wdn_ini_has_section(const char *path, const char *section);
char *wdn_aws_config_path(void);      /* $AWS_CONFIG_FILE or ~/.aws/config */
char *wdn_aws_credentials_path(void); /* $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */

struct wdn_aws;
/* A client: profile, region and endpoint resolved as the AWS CLI does;
 * credentials resolved on first use and refreshed before they expire. */
int wdn_aws_new(const char *profile, const char *region, const char *endpoint_url,
		struct wdn_aws **out, struct wdn_err *err);
void wdn_aws_free(struct wdn_aws *a);
const char *wdn_aws_region(const struct wdn_aws *a);
const char *wdn_aws_profile(const struct wdn_aws *a);
/* A profile setting (config file) for this client's profile, or NULL. Caller frees. */
char *wdn_aws_profile_get(const struct wdn_aws *a, const char *key);
/* DynamoDB's JSON API: one operation, body in, body out (resp). */
int wdn_ddb_call(struct wdn_aws *a, const char *op, const char *body, size_t len,
		 struct wdn_buf *resp, struct wdn_err *err);
/* Base URL for service (no trailing '/'): the client's --endpoint-url, else as
 * wdn_aws_endpoint_of in the client's region; custom (may be NULL) is set for
 * an endpoint given by option or environment. */
int wdn_aws_endpoint(const struct wdn_aws *a, const char *service, struct wdn_buf *url,
		     int *custom);
/* The one endpoint rule: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL,
 * else https://<host>.<region>.amazonaws.com (".com.cn" in China); host NULL
 * means service ("portal.sso" for the SSO portal, whose service is "sso"). */
int wdn_aws_endpoint_of(const char *service, const char *host, const char *region,
			struct wdn_buf *url, int *custom);
/* Current credentials (resolving or refreshing them). */
int wdn_aws_creds(struct wdn_aws *a, const struct wdn_creds **out, struct wdn_err *err);
/* Credentials from a JSON answer (credential_process, container endpoint). */
int wdn_creds_from_json(const char *text, size_t len, struct wdn_creds *c, struct wdn_err *err);
/* Credentials from an STS query-protocol answer (AssumeRole, AssumeRoleWithWebIdentity...). */
int wdn_creds_from_sts_xml(const char *xml, size_t len, struct wdn_creds *c, struct wdn_err *err);
/* Resolve credentials from the chain; creds.c. */
int wdn_creds_resolve(struct wdn_aws *a, struct wdn_creds *out, struct wdn_err *err);

/* One AWS request; wdn_aws_perform signs, sends, retries and fills the rest. */
struct wdn_aws_call {
	const char *service;      /* signing name: "s3", "dynamodb", "sts" */
	const char *method;
	const char *url_base;     /* scheme://host[:port], or NULL for the service endpoint */
	const char *path;         /* URI-encoded, starting with '/' */
	const char *query;        /* URI-encoded, or NULL */
	const char *headers[8];   /* extra "Name: value" lines, NULL-terminated */
	const void *body;
	size_t body_len;
	int unsigned_payload;     /* S3: do not hash the body */
	int (*on_body)(void *ctx, const void *p, size_t n); /* stream a 2xx body */
	void *ctx;
	struct wdn_buf *meta;     /* keep x-amz-meta-* response headers here (or NULL) */
	/* who signs: NULL for the client's credentials; the credential chain,
	 * which is finding those, names its own (AssumeRole's source) */
	const struct wdn_creds *signer;
	int anonymous;            /* no SigV4: headers[] sent as they are */
	int max_attempts;         /* 0: the client's (AWS_MAX_ATTEMPTS) */
	size_t resp_max;          /* 0: 16 MiB */
	int secret_resp;          /* the answer holds credentials: resp is a secret buffer */
	/* results */
	long status;
	struct wdn_buf resp;      /* the body, when not streamed */
	char request_id[128];
	struct wdn_err err;
	int attempts;
};
void wdn_aws_call_release(struct wdn_aws_call *c);
/* A call to an AWS JSON-protocol API (DynamoDB, SQS): POST / with the
 * X-Amz-Target header target ("X-Amz-Target: Service.Op") and body. */
struct wdn_aws_call *wdn_aws_json_init(struct wdn_aws_call *c, const char *service,
				       const char *target, const void *body, size_t len);
/* One such call made: target_prefix.op at url_base (NULL: the service's
 * endpoint); the answer's body into resp (may be NULL). */
int wdn_aws_json_call(struct wdn_aws *a, const char *service, const char *url_base,
		      const char *target_prefix, const char *op, const void *body, size_t len,
		      struct wdn_buf *resp, struct wdn_err *err);
/* Perform n calls concurrently, each retried with backoff and jitter on
 * throttling, 5xx and connection errors, up to AWS_MAX_ATTEMPTS. Returns 0
 * when every call got a 2xx answer, else the first failing call's code. */
int wdn_aws_perform(struct wdn_aws *a, struct wdn_aws_call **calls, size_t n);
/* Is this AWS error code a throttling one? */
int wdn_aws_throttling(const char *code);
/* Sleep before retry round (0 for the first retry): full jitter, up to
 * 100 ms << round, never above 5 s. The one backoff, for every retry loop. */
void wdn_aws_backoff(int round);
/* Parse an AWS error into err: the JSON body's __type/code and message, the
 * XML body's Code and Message, or the X-Amzn-ErrorType header (type_header,
 * may be NULL) when the body names none. */
void wdn_aws_parse_error(long status, const char *type_header, const char *body, size_t len,
			 struct wdn_err *err);

/* ---- S3 (s3.c) ------------------------------------------------------------- */

/* "s3://bucket/prefix" -> bucket and prefix (both owned by the caller);
 * WDN_EINVAL when the bucket is not a valid name (wdn_s3_check_bucket). */
int wdn_s3_parse_url(const char *url, char **bucket, char **prefix, struct wdn_err *err);
/* Is this a bucket name S3 can have (its naming rules for general purpose
 * buckets: 3 to 63 of a-z 0-9 . -, alphanumeric at both ends, no "..", not an
 * IPv4 address, no reserved prefix or suffix)? 0, or WDN_EINVAL saying why.
 * Every S3 call checks its bucket so, whatever the caller checked. */
int wdn_s3_check_bucket(const char *bucket, struct wdn_err *err);
/* Is this an object key to ask S3 for: 1 to WDN_S3_MAX_KEY bytes of UTF-8
 * without C0 control characters or DEL? 0, or WDN_EINVAL saying why. */
#define WDN_S3_MAX_KEY 1024
int wdn_s3_check_key(const char *key, size_t len, struct wdn_err *err);
struct wdn_s3_object {
	const char *key;
	uint64_t size;
};
typedef int (*wdn_s3_object_fn)(void *ctx, const struct wdn_s3_object *o);
/* ListObjectsV2 over every page, keys after start_after (may be NULL). */
int wdn_s3_list(struct wdn_aws *a, const char *bucket, const char *prefix,
		const char *start_after, wdn_s3_object_fn cb, void *ctx, struct wdn_err *err);
/* GetObject, its body streamed to on_body (a broken transfer resumes by Range). */
int wdn_s3_get(struct wdn_aws *a, const char *bucket, const char *key,
	       int (*on_body)(void *ctx, const void *p, size_t n), void *ctx, struct wdn_err *err);
/* The same, keeping the object's user metadata: "name: value" lines, one per
 * x-amz-meta-NAME header (NAME lowercase), in meta. */
int wdn_s3_get_meta(struct wdn_aws *a, const char *bucket, const char *key,
		    int (*on_body)(void *ctx, const void *p, size_t n), void *ctx,
		    struct wdn_buf *meta, struct wdn_err *err);
/* A value from such metadata lines into out, or NULL. Caller frees. */
char *wdn_s3_meta_get(const struct wdn_buf *meta, const char *name);
int wdn_s3_put(struct wdn_aws *a, const char *bucket, const char *key, const void *body,
	       size_t len, const char *content_type, struct wdn_err *err);
/* 1 if the object exists, 0 if not, or a WDN_E* code. */
int wdn_s3_exists(struct wdn_aws *a, const char *bucket, const char *key, struct wdn_err *err);
int wdn_s3_create_bucket(struct wdn_aws *a, const char *bucket, struct wdn_err *err);

/* ---- CloudTrail log file integrity (digest.c) ---------------------------- */

/*
 * CloudTrail's digest files list each log file delivered with its SHA-256,
 * chain to the previous digest by its hash and signature, and are signed
 * SHA256withRSA with a regional key (libcrypto's EVP checks it). The
 * verifier collects the digests and the hashes of the log files a run read,
 * then decides each log file's integrity:
 *   verified    its hash matches a digest whose signature verified and
 *               whose chain is intact;
 *   tampered    its hash differs, or its digest fails its signature or chain;
 *   unverified  no digest lists it, or its digest cannot be checked (no
 *               signature: the newest digest of local copies; no key).
 * A digest's signature is the S3 object's x-amz-meta-signature when it was
 * read from S3, else the next digest's previousDigestSignature. Log files are
 * matched to what digests list by bucket and key (S3 inputs) or by file name
 * (local copies: CloudTrail's names are unique).
 *
 * Ownership: the verifier copies what it is given.
 */
#define WDN_DIGEST_FILE_MAX (64u << 20) /* a digest file's bytes, compressed or not */
enum { WDN_INTEGRITY_UNVERIFIED = 0, WDN_INTEGRITY_VERIFIED = 1, WDN_INTEGRITY_TAMPERED = 2 };
const char *wdn_integrity_name(int status); /* "unverified", "verified", "tampered" */
int wdn_integrity_parse(const char *name);  /* back; anything else is unverified */
/* The weaker of two statuses: tampered, then unverified, then verified. */
int wdn_integrity_weakest(int a, int b);

/* Streaming SHA-256 (libcrypto: the CPU's SHA instructions where it has them). */
struct wdn_sha256_stream;
struct wdn_sha256_stream *wdn_sha256_stream_new(void);
int wdn_sha256_stream_add(void *s, const void *p, size_t n); /* a wdn_reader_tee fn */
int wdn_sha256_stream_end(struct wdn_sha256_stream *s, uint8_t out[32]); /* and starts over */
void wdn_sha256_stream_free(struct wdn_sha256_stream *s);
/* Gzip (detected by magic) inflated, or plain bytes copied, onto out (capped by out->max). */
int wdn_gunzip(const void *p, size_t n, struct wdn_buf *out, struct wdn_err *err);

struct wdn_verifier;
struct wdn_verifier *wdn_verifier_new(void);
void wdn_verifier_free(struct wdn_verifier *v);
/* Public keys: a ListPublicKeys answer or `aws cloudtrail list-public-keys` output. */
int wdn_verifier_add_keys(struct wdn_verifier *v, const char *json, size_t len, struct wdn_err *err);
/* A digest file read from source (path or s3:// URI): its uncompressed text,
 * its S3 location (NULL for a local copy) and S3 metadata signature (hex) and
 * algorithm (NULL when none). A text that is no digest is kept, tampered.
 * Fails only for lack of memory. */
int wdn_verifier_add_digest(struct wdn_verifier *v, const char *source, const char *bucket,
			    const char *key, const void *text, size_t len, const char *sig_hex,
			    const char *sig_alg);
/* Does a digest list a log file of this name (key, else source)? Only
 * those need hashing: asked once every digest is in. */
int wdn_verifier_expects(struct wdn_verifier *v, const char *source, const char *key);
/* A log file read: its source, S3 location (NULL local), SHA-256 of its uncompressed bytes. */
int wdn_verifier_add_log(struct wdn_verifier *v, const char *source, const char *bucket,
			 const char *key, const uint8_t sha[32]);
/* For each region whose digests name a key fingerprint the verifier has no
 * key for: cb with the region (from the digest's object key) and the span
 * of their end times, to ask ListPublicKeys. */
int wdn_verifier_key_needs(struct wdn_verifier *v,
			   int (*cb)(void *ctx, const char *region, int64_t from, int64_t to), void *ctx);
/* Fetch keys for what wdn_verifier_key_needs reports, through CloudTrail's
 * ListPublicKeys in each region (SigV4, JSON protocol; endpoint as for the
 * service "cloudtrail": AWS_ENDPOINT_URL_CLOUDTRAIL...). */
int wdn_verifier_fetch_keys(struct wdn_verifier *v, const char *profile, const char *endpoint,
			    struct wdn_err *err);

/* What finish reports: each is a reason for wdn-record's exit status 4. */
enum { WDN_FINDING_TAMPERED = 1, /* a log file read: hash differs, or its digest failed */
       WDN_FINDING_DIGEST,       /* a digest file failed (signature, format, location) */
       WDN_FINDING_MISSING,      /* a log file a digest lists was not among the inputs */
       WDN_FINDING_CHAIN };      /* the digest chain is broken (a digest missing or replaced) */
struct wdn_finding {
	int kind;
	const char *source;         /* the file read (TAMPERED, DIGEST, CHAIN), else NULL */
	const char *bucket, *key;   /* MISSING: the object listed; CHAIN: the digest missing, if any */
	const char *why;
};
typedef void (*wdn_finding_fn)(void *ctx, const struct wdn_finding *f);
/* Decide every status (once every input was added); cb for each finding. */
int wdn_verifier_finish(struct wdn_verifier *v, wdn_finding_fn cb, void *ctx);
/* A log file's status after finish (unverified for a source never added); why may be NULL. */
int wdn_verifier_status(const struct wdn_verifier *v, const char *source, const char **why);
/* After finish: for each digest that verified or could not be checked (not
 * one that failed), cb once with log NULL (the span it covers), then once
 * per log file it lists (seen: read in this run). Account from the digest,
 * region from its object key. */
int wdn_verifier_coverage(const struct wdn_verifier *v, wdn_cover_fn cb, void *ctx);
void wdn_verifier_counts(const struct wdn_verifier *v, uint64_t *digests, uint64_t *verified,
			 uint64_t *tampered, uint64_t *unverified);

/* ---- enrichment (enrich.c) --------------------------------------------------- */

/*
 * Events in, enriched JSON lines out: each event unchanged (its bytes as read
 * when compact, else re-serialized compactly with every member in order) with
 * a "whodunnit" member added, resolved at the event's own time: the answer
 * wdn_resolve gives for its key at its eventTime, whatever else is enriched
 * in the run. Answers are cached per key for as long as nothing they were
 * made of changes (the issuance in use, the tag, name and key status logs
 * folded up to that time; for keys with no issuance, the event's own
 * userIdentity), so a trail's thousands of uses of a few keys cost a few
 * lookups.
 */
struct wdn_enricher;
struct wdn_enrich_cache; /* answers shared by the enrichers of one run (threads) */
struct wdn_enrich_cache *wdn_enrich_cache_new(void);
void wdn_enrich_cache_free(struct wdn_enrich_cache *c);
/* One per thread, each with its own store connection; cache NULL: its own. */
struct wdn_enricher *wdn_enricher_new(struct wdn_store *s, struct wdn_enrich_cache *cache);
void wdn_enricher_free(struct wdn_enricher *e);
/* Has the shared cache the answer for ev's key at time t already? */
int wdn_enricher_knows(struct wdn_enricher *e, const struct wdn_event *ev, int64_t t);
/* Append the enriched line (ending in '\n') for ev to out. */
int wdn_enrich_event(struct wdn_enricher *e, const struct wdn_event *ev, struct wdn_buf *out,
		     struct wdn_err *err);
/* The whodunnit object alone, for an answer (members as the enrich output). */
void wdn_answer_gen_whodunnit(struct yajl_gen_t *g, const struct wdn_answer *a);
extern const struct wdn_member wdn_whodunnit_members[];  /* wdn_answer_gen_whodunnit */
/* Hive-style partition of an event: "account=A/region=R/day=YYYY-MM-DD". */
int wdn_event_partition(const struct wdn_event *ev, struct wdn_buf *out);
/* The same layout as an Athena storage.location.template. */
#define WDN_PARTITION_TEMPLATE "account=${account}/region=${region}/day=${day}"
/* The account and region of a path under the output ("account=A/region=R/..."),
 * each a value wdn_event_partition writes; WDN_EINVAL for anything else. */
int wdn_partition_parse(const char *path, size_t len, struct wdn_str *account, struct wdn_str *region);
/* Is this JSON text compact (no whitespace outside strings)? */
int wdn_json_is_compact(const char *p, size_t n);

/* ---- Athena (athena.c) ------------------------------------------------------ */

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

/* ---- delivered events: SQS and Lambda (sqs.c, lambda.c) --------------------- */

/*
 * Events pushed to whodunnit rather than read from files. A message is an
 * EventBridge event (a CloudTrail event in its "detail"), any other form the
 * reader takes, an S3 object-created notification (each object it names is
 * read from S3 and recorded), CloudTrail's own notification of a delivered
 * log file, S3's EventBridge event of a new object, or an SNS notification
 * holding one of these. An EventBridge envelope is refused unless its source
 * is AWS's own (aws.*) and, for a CloudTrail event, its account is the
 * event's recipientAccountId; a bucket or object key named is used only if
 * S3 could have it (wdn_s3_check_bucket, wdn_s3_check_key). A message is
 * recorded whole, refused, or reported failed; it is acknowledged (deleted from its
 * queue, answered to Lambda) only after the recorder has flushed, and since
 * recording is idempotent a message delivered twice records nothing new.
 *
 * The action per object is the caller's when on_object is set (wdn-enrich
 * --lambda and --sqs enrich each object): every object a notification names
 * is handed to it, bucket and key checked, instead of being read and
 * recorded; a message that names no object (an event delivered inline) then
 * fails as no notification, and an object that is no CloudTrail log file
 * (a digest, a "folder", an Insights file, any other key) is skipped and
 * told to on_skipped. rec may then be NULL: nothing is flushed.
 *
 * Ownership: the delivery borrows rec, aws and stop; the caller frees them.
 */
struct wdn_delivery {
	struct wdn_recorder *rec;
	/* optional: the per-object action; 0 done, else the message failed
	 * (WDN_ESTORE: the store failed, as store_failed says) */
	int (*on_object)(void *ctx, const char *bucket, const char *key, struct wdn_err *err);
	void (*on_skipped)(void *ctx, const char *object, const char *why);
	struct wdn_aws *aws;       /* S3 reads and SQS calls; NULL: none can be made */
	/* optional: each event recorded, each record rejected, each message that
	 * failed for another reason (S3 unreadable, the store failing) */
	void (*on_recorded)(void *ctx, const struct wdn_event *ev, const struct wdn_record_result *res);
	wdn_reject_fn on_reject;
	void (*on_failed)(void *ctx, const char *message, const struct wdn_err *err);
	void *ctx;
	const volatile int *stop;  /* a sig_atomic_t a signal handler sets: stop (see wdn_sqs_run) */
	uint64_t max;              /* stop after this many SQS messages or Lambda invocations; 0: never */
	/* counts; refused: envelopes refused as untrusted (reported through
	 * on_reject with untrusted set, yet acknowledged: they would only be
	 * refused again) */
	uint64_t messages, invocations, events, objects, failed, refused;
	int store_failed;          /* the store failed: nothing since the last flush is safe to acknowledge */
};

/* Record one message's bytes; name is for warnings ("sqs:MESSAGE_ID"). Returns 0
 * when everything in it was recorded (not yet flushed); WDN_EINVAL when some
 * record in it was rejected or it is no event (err says why); another code
 * when S3 or the store failed (the store also sets store_failed). */
int wdn_delivery_message(struct wdn_delivery *d, const char *name, const char *body, size_t len,
			 struct wdn_err *err);

/* Poll an SQS queue (JSON protocol, SigV4 service "sqs", endpoint
 * AWS_ENDPOINT_URL_SQS or the queue URL's own host): long-poll up to 10
 * messages, record them, flush, then DeleteMessageBatch the ones recorded;
 * the others stay to be received again (and reach the queue's dead-letter
 * queue, if it has one). With on_object, once *stop is set no further
 * message of the batch is begun: those come again after their visibility
 * timeout; without, the batch in hand is finished. Returns 0 when *stop was set or max messages were
 * handled, else the SQS or store failure that ended it. */
int wdn_sqs_run(struct wdn_delivery *d, const char *queue_url, struct wdn_err *err);
/* The region of an SQS queue URL (https://sqs.REGION.amazonaws.com/...) into
 * out; WDN_ENOTFOUND when the URL does not say (a custom endpoint). */
int wdn_sqs_url_region(const char *queue_url, char out[32]);
/* Is this S3 key a CloudTrail log file (.../CloudTrail/REGION/YYYY/MM/DD/
 * ACCOUNT_CloudTrail_REGION_..json.gz)? NULL when it is, else why not
 * ("a digest file", "not a CloudTrail log file"...). */
const char *wdn_trail_key_skip(const char *key);

/* The AWS Lambda Runtime API loop, at $AWS_LAMBDA_RUNTIME_API: fetch each
 * invocation, handle it as wdn_lambda_handle does, answer it. Returns only
 * when *stop is set, max invocations were answered, or the API fails. */
int wdn_lambda_run(struct wdn_delivery *d, struct wdn_err *err);
/* One invocation: an EventBridge event, an S3 notification, an SNS event,
 * or an SQS batch of messages. Records it, flushes, and puts the answer in
 * resp (for SQS, {"batchItemFailures":[{"itemIdentifier":ID}...]} naming
 * the messages that failed). Returns 0, or an error (the invocation failed:
 * nothing of it was acknowledged) with err. */
int wdn_lambda_handle(struct wdn_delivery *d, const char *request_id, const char *payload,
		      size_t len, struct wdn_buf *resp, struct wdn_err *err);
/* Tell the Runtime API that initialisation failed (POST .../init/error). */
int wdn_lambda_init_error(const char *type, const char *msg, struct wdn_err *err);

/* The Runtime API loop for any function: handle gets each invocation's
 * payload and puts the answer in resp; a non-zero return answers the
 * invocation as an error (err's message, type or a default errorType).
 * After each answer, fatal (optional) may end the loop: the runtime exits
 * and Lambda starts a fresh one. invocations counts the answered ones. */
struct wdn_lambda_handler {
	int (*handle)(void *ctx, const char *request_id, const char *payload, size_t len,
		      struct wdn_buf *resp, const char **type, struct wdn_err *err);
	int (*fatal)(void *ctx);
	void *ctx;
	const volatile int *stop;  /* stop before the next invocation once set */
	uint64_t max;              /* stop after this many invocations; 0: never */
	uint64_t invocations;
};
int wdn_lambda_serve(struct wdn_lambda_handler *h, struct wdn_err *err);

/* ---- the lookup API (api.c) ----------------------------------------------- */

/*
 * One invocation of the lookup function. A direct payload is
 * {"AccessKeyId": KEY} (answer: the object wdn-lookup KEY prints) or
 * {"AccessKeyIds": [KEY...]} (an array of them, at most 1000), with the
 * options "At" (a time, or "now"), "Descendants" and "NoTrails" (booleans);
 * a bad one returns WDN_EINVAL with err. An HTTP request (function URL or
 * HTTP API, payload format 2.0) GET /keys/KEY?at=&descendants=0|1&trails=0|1
 * &format=json|markdown|dot gets an HTTP response object: 200 with the answer, 404 with the not-found
 * answer, 400 (a bad key, time, path or parameter), 405 (not GET) or 500
 * (the store failed), each with a JSON body; it returns 0. A store failure
 * of a direct payload returns the store's error.
 */
#define WDN_API_MAX_PAYLOAD (256 * 1024)
int wdn_api_handle(struct wdn_store *s, const char *payload, size_t len, struct wdn_buf *resp,
		   struct wdn_err *err);

#endif
