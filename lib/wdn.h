/*
 * libwdn: who is behind an AWS access key. The installed, public header.
 *
 * What a program needs to record CloudTrail and ask about keys: errors and
 * buffers, the reader, stores, the recorder, answers (resolve), enrichment
 * and delivered events (SQS, Lambda, the lookup API). Each declaration
 * marked WDN_API is exported by libwdn.so; nothing else is. No libcurl,
 * yajl, SQLite or OpenSSL type appears here: clients hold opaque pointers.
 *
 * The rest is declared by one uninstalled header per module in lib/
 * (json.h, sigv4.h, http.h, aws.h, s3.h, s3key.h, creds.h, ini.h, xml.h,
 * store.h, event.h, resolve.h, batch.h, fastjson.h, verify.h, digest.h,
 * outtree.h...), for the library
 * itself and for the wdn-* commands and tests, which link libwdn.a.
 *
 * The library never prints and never exits: fallible functions return 0 or
 * a negative WDN_E* code and fill an optional struct wdn_err with the human
 * detail.
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

/* Marks what libwdn.so exports. The library is built with
 * -fvisibility=hidden, so every other function, the module headers' too,
 * stays inside it. */
#define WDN_API __attribute__((visibility("default")))

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
WDN_API int wdn_err_set(struct wdn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix err->msg with more context ("reading 'x': " + old message). */
WDN_API int wdn_err_prefix(struct wdn_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
WDN_API const char *wdn_strerror(int code); /* "out of memory"... for a WDN_E* code */

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
WDN_API extern char wdn_buf_empty[1]; /* what an empty buffer points at: never written */

#define WDN_MUST_CHECK __attribute__((warn_unused_result))

/* An empty buffer capped at max bytes (0: WDN_BUF_DEFAULT_MAX); the secret
 * one wipes what it leaves behind. */
WDN_API void wdn_buf_init(struct wdn_buf *b, size_t max);
WDN_API void wdn_buf_init_secret(struct wdn_buf *b, size_t max);
WDN_API void wdn_buf_release(struct wdn_buf *b);          /* free contents, back to init state */
WDN_API int wdn_buf_grow(struct wdn_buf *b, size_t extra) WDN_MUST_CHECK; /* room for extra more bytes */
/* Append n bytes, a string, a byte, or printf output: 0, or the buffer's
 * (sticky) failure, WDN_ETOOBIG or WDN_ENOMEM. */
WDN_API int wdn_buf_add(struct wdn_buf *b, const void *p, size_t n);
WDN_API int wdn_buf_adds(struct wdn_buf *b, const char *s);
WDN_API int wdn_buf_addc(struct wdn_buf *b, char c);
WDN_API int wdn_buf_addf(struct wdn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
WDN_API int wdn_buf_vaddf(struct wdn_buf *b, const char *fmt, va_list ap);
static inline int wdn_buf_failed(const struct wdn_buf *b) { return b->failed; }
/* Set len: at most cap - 1 (the bytes up to it written by hand after a
 * wdn_buf_grow), or 0; terminates it. Anything longer fails with WDN_EINVAL. */
WDN_API int wdn_buf_setlen(struct wdn_buf *b, size_t len);
WDN_API void wdn_buf_reset(struct wdn_buf *b);           /* len = 0, keeps memory, clears a failure */
WDN_API void wdn_buf_consume(struct wdn_buf *b, size_t n); /* drop the first n bytes */
/* The memory, the caller's to free; NULL (and *len 0) after a failure. */
WDN_API char *wdn_buf_detach(struct wdn_buf *b, size_t *len) WDN_MUST_CHECK;

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

/* ---- time ----------------------------------------------------------------- */

/* Seconds since the epoch, UTC. WDN_TIME_NONE means unknown / not set. */
#define WDN_TIME_NONE INT64_MIN
#define WDN_TIME_MAX INT64_MAX

/* ---- access key facts (key.c) -------------------------------------------- */

/* True if s looks like an access key ID (AKIA/ASIA/ABIA/ACCA + base32ish). */
WDN_API int wdn_key_valid(const char *s);
/* "long-term", "temporary", ... or NULL if the prefix is not a key prefix. */
WDN_API const char *wdn_key_type(const char *key);
/* Account ID encoded in new-generation keys, into out[16]; 0 or WDN_ENOTFOUND. */
WDN_API int wdn_key_account(const char *key, char out[16]);

/* ---- tags (tags.c) -------------------------------------------------------- */

/* An ordered tag set. Keys compare case-insensitively (IAM's rule for users
 * and roles) and keep the case they were first set with; a later value
 * replaces an earlier one. Sets past a few tags keep a hash index, so a set
 * of n tags is built in O(n). Read v[0..n) freely (an answer's tags). */
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
/* The value of key (any case), or NULL. */
WDN_API const char *wdn_tags_get(const struct wdn_tags *t, const char *key);

/* A sorted set of tag keys (transitive keys), case-insensitive. */
struct wdn_keyset {
	char **v;
	size_t n, cap;
};
WDN_API int wdn_keyset_has(const struct wdn_keyset *k, const char *key); /* any case */

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
#define WDN_MAX_DEPTH 96 /* the JSON writer nests 128 deep; output embeds events 3 levels down */
/* Values and keys in one record (or one message parsed whole): a tree costs
 * about 100 bytes per element, so 8 MB of "[0,0,..." would take 400 MB;
 * CloudTrail's 256 KB events hold a few thousand at most. */
#define WDN_MAX_ELEMENTS 65536u

struct wdn_reader;
/* A reader of the input called name (for messages); NULL: no memory. */
WDN_API struct wdn_reader *wdn_reader_new(const char *name, wdn_event_fn on_event,
				  wdn_reject_fn on_reject, void *ctx);
/* The next bytes of the input: 0, or on_event's stop code. */
WDN_API int wdn_reader_feed(struct wdn_reader *r, const void *bytes, size_t len);
/* The whole input at once, before any wdn_reader_feed (then finish): the
 * same verdicts as feeding it, but a gzip input that decodes to at most 4 MB
 * is decoded in one go (libdeflate), which costs about half the CPU. */
WDN_API int wdn_reader_feed_whole(struct wdn_reader *r, const void *bytes, size_t len);
/* Like wdn_reader_feed, for a body that comes in pieces (an S3 object): the
 * pieces are held, up to 4 MB, and decoded whole by wdn_reader_finish;
 * past that the input is streamed. Use it or wdn_reader_feed, not both. */
WDN_API int wdn_reader_feed_held(struct wdn_reader *r, const void *bytes, size_t len);
/* End of input: 0, a stop code of on_event, or WDN_EIO with err when the
 * input was not read whole (see above). */
WDN_API int wdn_reader_finish(struct wdn_reader *r, struct wdn_err *err);
WDN_API void wdn_reader_free(struct wdn_reader *r); /* NULL is fine */
/* Counts so far: events delivered, records rejected; digest: input was a digest file. */
WDN_API void wdn_reader_counts(const struct wdn_reader *r, uint64_t *events, uint64_t *rejected,
		       int *digest);
/* From now on refuse (reject, untrusted) every EventBridge envelope, that is
 * every top-level object with a "detail" or "detail-type" member: for input
 * whose envelopes could not be checked before reading (wdn_delivery). */
WDN_API void wdn_reader_refuse_envelopes(struct wdn_reader *r);
/* A zero-byte input fails ("empty input"): a file being copied in. This
 * reader takes it as an input with nothing in it (stdin: nothing to do). */
WDN_API void wdn_reader_allow_empty(struct wdn_reader *r);
/* Read a whole file descriptor through a reader and finish it; WDN_EIO with
 * err on read failure or an input not read whole. A small regular file is
 * read whole and given to wdn_reader_feed_whole. */
WDN_API int wdn_reader_read_fd(struct wdn_reader *r, int fd, struct wdn_err *err);
/* Hand every decoded (uncompressed) byte of the input to fn as well, whatever
 * the parse makes of it: so a log file is hashed from the one reading of it.
 * A nonzero return stops reading with that code. */
WDN_API void wdn_reader_tee(struct wdn_reader *r, int (*fn)(void *ctx, const void *p, size_t n), void *ctx);

/* Expand an operand (file, or directory walked recursively in name order)
 * into files; cb returns nonzero to stop. */
WDN_API int wdn_input_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
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

/* ---- stores (store.c, store_sqlite.c, store_dynamodb.c) --------------------- */

/* A store: SQLite or DynamoDB, opened by URL. */
struct wdn_store;

#define WDN_STORE_CREATE 1  /* create the store if missing (writers) */
/* a writer of many inputs in groups (wdn-record): the memory of its page
 * cache goes to the group's sightings, held until the group commits */
#define WDN_STORE_BULK 2

/* How to reach AWS for a dynamodb: store (any member may be NULL). */
struct wdn_store_opts {
	const char *profile, *region, *endpoint;
	int ttl_days;        /* items expire this many days after their time; 0: never */
};

/* Open "sqlite:PATH", a bare path, "dynamodb:TABLE", or NULL for $WDN_STORE
 * or the default ${XDG_DATA_HOME:-$HOME/.local/share}/whodunnit/wdn.db. */
WDN_API int wdn_store_open(const char *url, int flags, const struct wdn_store_opts *opts,
		   struct wdn_store **out, struct wdn_err *err);
/* Create a DynamoDB table of this design (on-demand, GSI, TTL) and wait till ACTIVE. */
WDN_API int wdn_store_dynamodb_create(const char *table, const struct wdn_store_opts *opts,
			      struct wdn_err *err);
WDN_API void wdn_store_close(struct wdn_store *s); /* NULL is fine */
/* $XDG_DATA_HOME/whodunnit/wdn.db (or under $HOME): the default store. Caller frees. */
WDN_API char *wdn_store_default_path(void);

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

/* ---- recording (recorder.c) ----------------------------------------------- */

/* Turns events into store records: issuances at once, sightings folded in
 * memory and written at each flush, all within store transactions. */
struct wdn_recorder;
struct wdn_record_result {
	const struct wdn_issuance *issuance; /* set when the event issued a key */
	const struct wdn_change *changes;    /* the changes it made (tags, names...) */
	size_t nchanges;
};
/* A recorder into s (borrowed); NULL: no memory. */
WDN_API struct wdn_recorder *wdn_recorder_new(struct wdn_store *s);
/* Record one event from the reader. Returns 0, or WDN_EINVAL with err for a
 * record no store may hold (the caller rejects that record): a malformed
 * issuing event, a hostile key ID (over 128 characters, or control or
 * non-ASCII bytes), an ARN or name past 2048 bytes, more than WDN_MAX_TAGS tags in a list, or more
 * than WDN_MAX_STORED bytes; or a store error. */
WDN_API int wdn_recorder_event(struct wdn_recorder *r, const struct wdn_event *ev,
		       struct wdn_record_result *res, struct wdn_err *err);
WDN_API int wdn_recorder_flush(struct wdn_recorder *r, struct wdn_err *err); /* commit */
/* Drop everything since the last flush (an input not read whole): its
 * sightings, and the store's transaction (rolled back). */
WDN_API int wdn_recorder_discard(struct wdn_recorder *r, struct wdn_err *err);
/* For a run over inputs that can be read again, and a store that asks for it
 * (fold_sightings): keep sightings folded across flushes until one with hold
 * off (or until too many), so a key used in many inputs is written once.
 * Flushes still commit issuances and changes; sightings held are lost if the
 * process dies, and a rerun writes them. */
WDN_API void wdn_recorder_hold_sightings(struct wdn_recorder *r, int on);
WDN_API void wdn_recorder_free(struct wdn_recorder *r); /* does not flush */
WDN_API void wdn_recorder_counts(const struct wdn_recorder *r, uint64_t *issuances, uint64_t *sightings,
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
WDN_API int wdn_resolve(struct wdn_store *s, const char *key, int64_t at, struct wdn_answer *a,
		struct wdn_err *err);
WDN_API void wdn_answer_release(struct wdn_answer *a); /* everything a resolve filled */
/* Read ahead what resolving these keys (each at its time, at NULL: the
 * latest; each with its sighting, seen NULL: none) will need, in a few
 * batched rounds, so that wdn_resolve answers them from the store's cache.
 * A no-op for stores without bulk reads. */
WDN_API int wdn_resolve_prefetch(struct wdn_store *s, const char *const *keys, const int64_t *at,
			 const struct wdn_sighting *seen, size_t n, struct wdn_err *err);
/* Every session issued from a's key (within its validity), transitively:
 * the blast radius of a leaked key. Breadth first, capped at WDN_MAX_DESCENDANTS. */
WDN_API int wdn_resolve_descendants(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err);
/* For people (render.c), appended to out: Graphviz DOT of the chain from
 * its root to the key, with the descendants when resolved; a Markdown
 * section for an incident report (the answer in words, a table of hops,
 * the chain as a Mermaid diagram). Every string from an event is escaped
 * for the format, controls shown as codes. 0, or WDN_ENOMEM. */
WDN_API int wdn_answer_dot(const struct wdn_answer *a, struct wdn_buf *out);
WDN_API int wdn_answer_markdown(const struct wdn_answer *a, struct wdn_buf *out);
/* The lookup object wdn-lookup prints, compact JSON appended to out; flags
 * are WDN_ANS_TRAILS and WDN_ANS_DESCENDANTS. 0, or out's failure. */
WDN_API int wdn_answer_json(const struct wdn_answer *a, int flags, struct wdn_buf *out);

/* An answer's integrity, and each link's: are the CloudTrail log files it
 * was read from vouched for by signed digests (see wdn-record --digests)? */
enum { WDN_INTEGRITY_UNVERIFIED = 0, WDN_INTEGRITY_VERIFIED = 1, WDN_INTEGRITY_TAMPERED = 2 };
WDN_API const char *wdn_integrity_name(int status); /* "unverified", "verified", "tampered" */

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
WDN_API struct wdn_enrich_cache *wdn_enrich_cache_new(void);
WDN_API void wdn_enrich_cache_free(struct wdn_enrich_cache *c); /* after its enrichers */
/* One per thread, each with its own store connection; cache NULL: its own. */
WDN_API struct wdn_enricher *wdn_enricher_new(struct wdn_store *s, struct wdn_enrich_cache *cache);
WDN_API void wdn_enricher_free(struct wdn_enricher *e); /* NULL is fine */
/* Has the shared cache the answer for ev's key at time t already? */
WDN_API int wdn_enricher_knows(struct wdn_enricher *e, const struct wdn_event *ev, int64_t t);
/* Append the enriched line (ending in '\n') for ev to out. */
WDN_API int wdn_enrich_event(struct wdn_enricher *e, const struct wdn_event *ev, struct wdn_buf *out,
		     struct wdn_err *err);

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
 * S3 could have it (its bucket naming rules, keys of at most 1024 bytes of
 * UTF-8 without control characters). A message is
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
/* An AWS client: profile, region and endpoint resolved as the AWS CLI does;
 * credentials resolved on first use and refreshed before they expire. */
struct wdn_aws;
WDN_API int wdn_aws_new(const char *profile, const char *region, const char *endpoint_url,
		struct wdn_aws **out, struct wdn_err *err);
WDN_API void wdn_aws_free(struct wdn_aws *a); /* wipes its credentials; NULL is fine */

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
WDN_API int wdn_delivery_message(struct wdn_delivery *d, const char *name, const char *body, size_t len,
			 struct wdn_err *err);

/* Poll an SQS queue (JSON protocol, SigV4 service "sqs", endpoint
 * AWS_ENDPOINT_URL_SQS or the queue URL's own host): long-poll up to 10
 * messages, record them, flush, then DeleteMessageBatch the ones recorded;
 * the others stay to be received again (and reach the queue's dead-letter
 * queue, if it has one). With on_object, once *stop is set no further
 * message of the batch is begun: those come again after their visibility
 * timeout; without, the batch in hand is finished. Returns 0 when *stop was set or max messages were
 * handled, else the SQS or store failure that ended it. */
WDN_API int wdn_sqs_run(struct wdn_delivery *d, const char *queue_url, struct wdn_err *err);
/* The region of an SQS queue URL (https://sqs.REGION.amazonaws.com/...) into
 * out; WDN_ENOTFOUND when the URL does not say (a custom endpoint). */
WDN_API int wdn_sqs_url_region(const char *queue_url, char out[32]);

/* The AWS Lambda Runtime API loop, at $AWS_LAMBDA_RUNTIME_API: fetch each
 * invocation, handle it as wdn_lambda_handle does, answer it. Returns only
 * when *stop is set, max invocations were answered, or the API fails. */
WDN_API int wdn_lambda_run(struct wdn_delivery *d, struct wdn_err *err);
/* One invocation: an EventBridge event, an S3 notification, an SNS event,
 * or an SQS batch of messages. Records it, flushes, and puts the answer in
 * resp (for SQS, {"batchItemFailures":[{"itemIdentifier":ID}...]} naming
 * the messages that failed). Returns 0, or an error (the invocation failed:
 * nothing of it was acknowledged) with err. */
WDN_API int wdn_lambda_handle(struct wdn_delivery *d, const char *request_id, const char *payload,
		      size_t len, struct wdn_buf *resp, struct wdn_err *err);
/* Tell the Runtime API that initialisation failed (POST .../init/error). */
WDN_API int wdn_lambda_init_error(const char *type, const char *msg, struct wdn_err *err);

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
WDN_API int wdn_lambda_serve(struct wdn_lambda_handler *h, struct wdn_err *err);

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
WDN_API int wdn_api_handle(struct wdn_store *s, const char *payload, size_t len, struct wdn_buf *resp,
		   struct wdn_err *err);

#endif
