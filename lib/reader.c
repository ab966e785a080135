/*
 * The CloudTrail input reader: gzip or plain bytes in, events out.
 *
 * One streaming yajl parse over the whole input. The bytes of the record in
 * progress are kept in a window so an event can be handed over as it was
 * read; everything before it is dropped, so memory follows the largest record.
 * The few fields every consumer needs (name, time, caller key...) are pulled
 * out during the same parse, so no event is parsed twice unless a consumer
 * wants the whole tree. After a syntax error the reader skips to the next
 * line that starts a new top-level value, so one bad line in a JSON-lines file
 * costs that line only.
 *
 * A whole decoded input (a file or S3 object read at once) goes first to the
 * fast path (fastjson.cc), which takes a plain log file {"Records":[...]}
 * validated whole and answers "not sure" for anything else; then this parse
 * reads the same bytes from the start, so its verdicts are the only ones.
 *
 * Two verdicts differ: a bad record is rejected and reading goes on, but an
 * input that ends early (a gzip stream before its trailer, a document inside
 * an open value) or whose gzip data is damaged was not read whole: that is a
 * failure of the input, so its consumer keeps nothing of it. No one record
 * changes how the rest of an input is read: only the first top-level value
 * can make the input a digest file.
 */
#include "wdn.h"
#include "fastjson.h"
#include "str.h"

#include <errno.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

/* Weak: only a program linked with the fast path (wdn-record, wdn-enrich,
 * libwdn.so) has it; the others start without simdjson and the C++ runtime,
 * and read every input the streaming way. */
#pragma weak wdn_fast_walk
#pragma weak wdn_fast_buffer

/* Thread-local flags in the program's own TLS block: the general model would
 * call __tls_get_addr, which makes every command need the dynamic loader by
 * name (the Lambda package allows glibc's libraries only). */
#define TLS_IE __attribute__((tls_model("initial-exec")))

/* What the container at each depth is, as far as the reader cares. */
enum ctx {
	C_NONE,      /* not interesting */
	C_TOP_ARRAY, /* [event, ...] */
	C_TOP_OBJ,   /* a top-level object: an event, {"Records":[...]} or an envelope */
	C_RECORDS,   /* the Records array of a log file */
	C_EVENT,     /* an event nested in an array or an envelope */
	C_UI,        /* event.userIdentity */
	C_SC,        /* userIdentity.sessionContext */
	C_SI,        /* sessionContext.sessionIssuer */
};

/* Keys the reader recognises; fields map to enum wdn_field. */
enum key {
	K_NONE = -1,
	K_USER_IDENTITY = WDN_F_COUNT, K_SESSION_CONTEXT, K_SESSION_ISSUER, K_RECORDS, K_DETAIL,
};

struct keyname {
	int key;
	const char *name;
	size_t len;
};
#define K(key, name) { key, name, sizeof(name) - 1 }

/* One table per container: a key is compared only with its own (cb_key
 * runs for every key of every event). */
static const struct keyname event_keys[] = {
	K(WDN_F_EVENT_NAME, "eventName"),
	K(WDN_F_EVENT_SOURCE, "eventSource"),
	K(WDN_F_EVENT_TIME, "eventTime"),
	K(WDN_F_EVENT_ID, "eventID"),
	K(WDN_F_ERROR_CODE, "errorCode"),
	K(WDN_F_RECIPIENT, "recipientAccountId"),
	K(WDN_F_REGION, "awsRegion"),
	K(WDN_F_SHARED_EVENT_ID, "sharedEventID"),
	K(K_USER_IDENTITY, "userIdentity"),
	{ K_NONE, NULL, 0 },
};
static const struct keyname ui_keys[] = {
	K(WDN_F_UI_TYPE, "type"),
	K(WDN_F_UI_ARN, "arn"),
	K(WDN_F_UI_ACCOUNT, "accountId"),
	K(WDN_F_UI_KEY, "accessKeyId"),
	K(WDN_F_UI_INVOKED_BY, "invokedBy"),
	K(K_SESSION_CONTEXT, "sessionContext"),
	{ K_NONE, NULL, 0 },
};
static const struct keyname sc_keys[] = { K(K_SESSION_ISSUER, "sessionIssuer"), { K_NONE, NULL, 0 } };
static const struct keyname si_keys[] = { K(WDN_F_UI_ISSUER_ARN, "arn"), { K_NONE, NULL, 0 } };

static const char *const field_names[WDN_F_COUNT] = {
	"eventName", "eventSource", "eventTime", "eventID", "errorCode", "recipientAccountId",
	"awsRegion", "sharedEventID", "userIdentity.type", "userIdentity.arn",
	"userIdentity.accountId", "userIdentity.accessKeyId", "userIdentity.invokedBy",
	"userIdentity.sessionContext.sessionIssuer.arn",
};

/* What a top-level object showed itself to be, to refuse one that is two. */
enum { TK_EVENT = 1, TK_CONTAINER = 2 /* Records */, TK_DIGEST = 4 };

#define ZCHUNK (64 * 1024)
#define PIECE (64 * 1024)
/* A gzip input given whole is decoded at once by libdeflate (about twice as
 * fast as zlib's streaming inflate) when it decodes to at most WHOLE_OUT
 * bytes: the decoded copy is held while it is parsed, so this bounds memory
 * (a CloudTrail log file is rarely over a few MB). Larger or stranger
 * inputs take the streaming path, which gives every verdict. */
#define WHOLE_OUT WDN_FAST_MAX

struct wdn_reader {
	const char *name;
	wdn_event_fn on_event;
	wdn_reject_fn on_reject;
	void *cbctx;
	int (*tee)(void *ctx, const void *p, size_t n); /* every decoded byte, too */
	void *tee_ctx;

	/* decoding: 0 undecided, 1 plain, 2 gzip */
	int mode;
	unsigned char head[2];
	size_t nhead;
	z_stream z;
	int z_live, z_done;    /* z_live 2: between members (or none begun past its magic) */
	unsigned char z_first; /* first byte after a member's end */
	uint64_t z_before;     /* compressed bytes of the members before this one */
	unsigned char *zout;

	/* parsing */
	yajl_handle h;
	struct wdn_buf win;    /* input bytes from offset base on */
	uint64_t base;         /* absolute input offset of win.ptr[0] */
	uint64_t lines;        /* newlines in the bytes before base */
	uint64_t chunk_base;   /* absolute offset of the chunk yajl is parsing */
	int depth;
	unsigned char ctx[WDN_MAX_DEPTH + 2];
	int pending;           /* key just read, for the next value */
	int ev_depth;          /* depth of the event in progress, 0 if none */
	uint64_t ev_start;     /* its first byte */
	uint64_t val_start;    /* first byte of the top-level value in progress */
	uint64_t tok_end;      /* end of the last token seen, to cap tokens yajl buffers */
	uint64_t last_ink;     /* just past the last byte read that is not white space */
	uint64_t record, events, rejected;
	struct wdn_buf scratch; /* field values of the event in progress */
	struct { size_t off, len; int set; } f[WDN_F_COUNT];
	int type_error;        /* field that had a non-string value, or -1 */
	char why[160];         /* why a callback cancelled the parse */
	int stop_code;         /* on_event asked to stop with this code */
	int digest;            /* input is a CloudTrail digest file */
	int refuse_env;        /* refuse EventBridge envelopes (wdn_reader_refuse_envelopes) */
	int allow_empty;       /* zero bytes are no failure (wdn_reader_allow_empty) */
	int env_seen;          /* the top-level object in progress has an envelope's member */
	int ev_env;            /* so has the event in progress itself (one in an array) */
	uint64_t values;       /* top-level values begun */
	int top_kind;          /* TK_* seen in the top-level value in progress */
	uint64_t ev_elems;     /* values and keys in the event in progress */
	int ev_over;           /* ... more than WDN_MAX_ELEMENTS of them */
	uint64_t lc_off, lc_line; /* line cursor: lc_off starts line lc_line */
	int failed;            /* the input was not read whole: failmsg says why */
	char failmsg[200];
	int skipping;          /* after an error: dropping bytes until a line starts a value */
	int done;              /* nothing more of this input is read */
	int lines_mode;        /* 1: JSON lines, so a record never spans lines; -1: not */
	char prev;             /* the byte before win.ptr[0] */
	int relex;             /* parse stopped at a value's end to switch to lines */
	int val_multiline;     /* the top-level value in progress spans a newline */
	char last;             /* last byte seen, for resync across chunks */
	/* after a bad record of an array: its bytes are scanned (strings and
	 * brackets only, no yajl) to its end, and the parse resumes at the next
	 * record of the array */
	int sk_on;             /* scanning past a bad record */
	int sk_kind;           /* SK_RECORDS or SK_ARRAY: the array it is in; 0: hopeless */
	int sk_str, sk_esc;    /* inside a string, after a backslash in it */
	int sk_depth;          /* brackets open in the bad record; 0 once it ended */
	uint64_t sk_from;      /* its first byte */
	uint64_t sk_record;
	char sk_msg[160];      /* why it was bad */
	struct wdn_buf hold;   /* wdn_reader_feed_held: the input so far, to decode whole */
	int held;              /* 1 holding, -1 past WHOLE_OUT: streaming */
	int careful;           /* never the fast path (wdn_reader_careful) */
};

enum { SK_RECORDS = 1, SK_ARRAY = 2 };

static uint64_t pos_now(struct wdn_reader *r)
{
	return r->chunk_base + yajl_get_bytes_consumed(r->h);
}

/* Line of the byte at off. A cursor makes asking in input order cost each
 * byte once, not once per event in the window. */
static uint64_t line_of(struct wdn_reader *r, uint64_t off)
{
	uint64_t n = r->lines + 1;
	const char *p = r->win.ptr, *end;

	if (off < r->base)
		return 0;
	if (off - r->base > r->win.len)
		off = r->base + r->win.len;
	if (r->lc_line && r->lc_off >= r->base && r->lc_off <= off) {
		p = r->win.ptr + (r->lc_off - r->base);
		n = r->lc_line;
	}
	end = r->win.ptr + (off - r->base);
	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	r->lc_off = off;
	r->lc_line = n;
	return n;
}

/* The input cannot be read whole: nothing more of it is read. */
static void fail(struct wdn_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct wdn_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(r->failmsg, sizeof(r->failmsg), fmt, ap);
	va_end(ap);
	r->failed = 1;
	r->done = 1;
}

/* One more value or key in the event in progress. */
static void count_elem(struct wdn_reader *r)
{
	if (r->ev_depth && ++r->ev_elems > WDN_MAX_ELEMENTS)
		r->ev_over = 1;
}

static void reject_v(struct wdn_reader *r, int untrusted, uint64_t record, uint64_t from,
		     uint64_t to, const char *fmt, va_list ap)
{
	struct wdn_reject rej;
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (from < r->base)
		from = r->base;
	if (to > r->base + r->win.len)
		to = r->base + r->win.len;
	if (to < from)
		to = from;
	rej.input = r->name;
	rej.record = record;
	rej.line = line_of(r, from);
	rej.raw.ptr = r->win.ptr + (from - r->base);
	rej.raw.len = (size_t)(to - from);
	rej.msg = msg;
	rej.untrusted = untrusted;
	r->rejected++;
	if (r->on_reject)
		r->on_reject(r->cbctx, &rej);
}

static void reject(struct wdn_reader *r, uint64_t record, uint64_t from, uint64_t to,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reject(struct wdn_reader *r, uint64_t record, uint64_t from, uint64_t to,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reject_v(r, 0, record, from, to, fmt, ap);
	va_end(ap);
}

static void refuse(struct wdn_reader *r, uint64_t record, uint64_t from, uint64_t to,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void refuse(struct wdn_reader *r, uint64_t record, uint64_t from, uint64_t to,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reject_v(r, 1, record, from, to, fmt, ap);
	va_end(ap);
}

static void begin_event(struct wdn_reader *r, uint64_t at, int depth)
{
	r->ev_depth = depth;
	r->ev_start = at;
	r->ev_env = 0;
	wdn_buf_reset(&r->scratch);
	memset(r->f, 0, sizeof(r->f));
	r->type_error = -1;
	r->ev_elems = 0;
	r->ev_over = 0;
}

static int finish_event(struct wdn_reader *r, uint64_t end)
{
	struct wdn_event ev;
	int i, rc = 0;

	ev.input = r->name;
	ev.record = r->record;
	ev.line = line_of(r, r->ev_start);
	ev.raw.ptr = r->win.ptr + (r->ev_start - r->base);
	ev.raw.len = (size_t)(end - r->ev_start);
	ev.shape = 0; /* a consumer looks for itself */
	for (i = 0; i < WDN_F_COUNT; i++) {
		ev.f[i].ptr = r->f[i].set ? r->scratch.ptr + r->f[i].off : NULL;
		ev.f[i].len = r->f[i].len;
	}
	r->ev_depth = 0;
	if (r->refuse_env && (r->env_seen || r->ev_env)) {
		refuse(r, ev.record, r->ev_start, end,
		       "refused: an EventBridge envelope among other records (it must be a message of its own)");
	} else if (r->ev_over) {
		reject(r, ev.record, r->ev_start, end, "more than %u values and keys in one record",
		       WDN_MAX_ELEMENTS);
	} else if (r->top_kind & TK_DIGEST && r->depth == 1) {
		reject(r, ev.record, r->ev_start, end,
		       "a CloudTrail digest among events (only a first value makes a digest file)");
	} else if (!wdn_utf8_valid(ev.raw.ptr, ev.raw.len)) {
		reject(r, ev.record, r->ev_start, end, "invalid UTF-8");
	} else if (r->type_error >= 0) {
		reject(r, ev.record, r->ev_start, end, "field '%s' is not a string",
		       field_names[r->type_error]);
	} else if (wdn_str_eq(ev.f[WDN_F_EVENT_SOURCE], "aws:s3")) {
		reject(r, ev.record, r->ev_start, end,
		       "an S3 event notification, not a CloudTrail event");
	} else if (!ev.f[WDN_F_EVENT_NAME].ptr || !ev.f[WDN_F_EVENT_SOURCE].ptr ||
		   !ev.f[WDN_F_EVENT_TIME].ptr) {
		reject(r, ev.record, r->ev_start, end, "not a CloudTrail event (no %s)",
			       !ev.f[WDN_F_EVENT_NAME].ptr ? "eventName" :
			       !ev.f[WDN_F_EVENT_SOURCE].ptr ? "eventSource" : "eventTime");
	} else if (ev.f[WDN_F_EVENT_SOURCE].len < 13 ||
		   memcmp(ev.f[WDN_F_EVENT_SOURCE].ptr + ev.f[WDN_F_EVENT_SOURCE].len - 13,
			  "amazonaws.com", 13)) {
		reject(r, ev.record, r->ev_start, end,
		       "not a CloudTrail event (eventSource '%.*s')",
		       (int)(ev.f[WDN_F_EVENT_SOURCE].len > 64 ? 64 : ev.f[WDN_F_EVENT_SOURCE].len),
		       ev.f[WDN_F_EVENT_SOURCE].ptr);
	} else {
		r->events++;
		if (r->on_event && (rc = r->on_event(r->cbctx, &ev))) {
			r->stop_code = rc;
			snprintf(r->why, sizeof(r->why), "stopped");
			return 0; /* cancel the parse */
		}
	}
	return 1;
}

static int lookup_key(enum ctx c, const unsigned char *k, size_t n)
{
	const struct keyname *t;

	if (c == C_TOP_OBJ) {
		if (n == 7 && !memcmp(k, "Records", 7))
			return K_RECORDS;
		if (n == 6 && !memcmp(k, "detail", 6))
			return K_DETAIL;
		c = C_EVENT;
	}
	t = c == C_EVENT ? event_keys : c == C_UI ? ui_keys : c == C_SC ? sc_keys : c == C_SI ? si_keys : NULL;
	/* memcmp, not strncmp: a key may hold NUL bytes */
	for (; t && t->name; t++)
		if (t->len == n && t->name[0] == k[0] && !memcmp(t->name, k, n))
			return t->key;
	return K_NONE;
}

static int enter(struct wdn_reader *r, int is_map)
{
	int d = ++r->depth;
	enum ctx parent = d > 1 ? r->ctx[d - 1] : C_NONE;
	int key = r->pending;
	uint64_t at;

	r->pending = K_NONE;
	r->tok_end = pos_now(r);
	if (d > WDN_MAX_DEPTH) {
		snprintf(r->why, sizeof(r->why), "nested deeper than %d levels", WDN_MAX_DEPTH);
		return 0;
	}
	at = pos_now(r) - 1;
	if (d == 1) {
		r->val_start = at;
		r->val_multiline = 0;
		r->values++;
		r->top_kind = 0;
	}
	count_elem(r);
	r->ctx[d] = C_NONE;
	if (key >= 0 && key < WDN_F_COUNT && r->type_error < 0)
		r->type_error = key;
	if (!is_map) {
		if (d == 1) {
			r->ctx[d] = C_TOP_ARRAY;
		} else if (parent == C_TOP_OBJ && key == K_RECORDS) {
			r->ctx[d] = C_RECORDS; /* a log file: the object itself is no event */
			if (r->ev_depth == 1) {
				r->ev_depth = 0;
				r->record--;
			}
			r->top_kind |= TK_CONTAINER;
		} else if (parent == C_TOP_ARRAY || parent == C_RECORDS) {
			r->record++;
			reject(r, r->record, at, at + 1, "record is an array, not an event object");
		}
		return 1;
	}
	if (d == 1) {
		r->ctx[d] = C_TOP_OBJ;
		r->record++;
		r->env_seen = 0;
		begin_event(r, at, d);
	} else if (parent == C_TOP_ARRAY || parent == C_RECORDS) {
		r->ctx[d] = C_EVENT;
		r->record++;
		begin_event(r, at, d);
	} else if (parent == C_TOP_OBJ && key == K_DETAIL) {
		r->ctx[d] = C_EVENT; /* an EventBridge envelope: the event is its detail */
		if (r->ev_depth != 1)
			r->record++; /* the envelope stopped being the record in progress */
		begin_event(r, at, d);
		count_elem(r);
	} else if ((parent == C_EVENT || parent == C_TOP_OBJ) && key == K_USER_IDENTITY) {
		r->ctx[d] = C_UI;
	} else if (parent == C_UI && key == K_SESSION_CONTEXT) {
		r->ctx[d] = C_SC;
	} else if (parent == C_SC && key == K_SESSION_ISSUER) {
		r->ctx[d] = C_SI;
	}
	return 1;
}

static int tok_end_ok(const struct wdn_reader *r)
{
	return r->tok_end >= r->base && r->tok_end <= r->base + r->win.len;
}

static int leave(struct wdn_reader *r)
{
	int ok = 1, was_event = r->depth == r->ev_depth, k = r->top_kind;

	r->tok_end = pos_now(r);
	if (was_event)
		ok = finish_event(r, r->tok_end);
	if (ok && r->depth == 1 && !was_event &&
	    ((k & TK_CONTAINER && k & (TK_EVENT | TK_DIGEST)) || (k & TK_DIGEST && k & TK_EVENT))) {
		/* what was read of it stays read; what it would hide is named */
		reject(r, ++r->record, r->val_start, r->tok_end, "a %s that is also %s",
		       k & TK_CONTAINER ? "log file" : "digest",
		       k & TK_EVENT ? "an event" : "a digest");
	}
	r->depth--;
	if (r->depth == 0 && !r->lines_mode) {
		/* a first record on one line makes this JSON lines; trim() has
		 * noted newlines in what of it is no longer in the window */
		uint64_t from = r->val_start > r->base ? r->val_start : r->base;

		r->lines_mode = !r->val_multiline && tok_end_ok(r) &&
			!memchr(r->win.ptr + (from - r->base), '\n', (size_t)(r->tok_end - from)) ? 1 : -1;
		if (r->lines_mode > 0) {
			r->relex = 1; /* stop here; parse_window goes on line by line */
			return 0;
		}
	}
	r->pending = K_NONE;
	return ok;
}

static int cb_start_map(void *c) { return enter(c, 1); }
static int cb_start_array(void *c) { return enter(c, 0); }
static int cb_end(void *c) { return leave(c); }

static int cb_key(void *c, const unsigned char *k, size_t n)
{
	struct wdn_reader *r = c;
	enum ctx cx = r->ctx[r->depth];

	r->pending = K_NONE;
	r->tok_end = pos_now(r);
	count_elem(r);
	if (cx == C_TOP_OBJ || cx == C_EVENT || cx == C_UI || cx == C_SC || cx == C_SI)
		r->pending = lookup_key(cx, k, n);
	if ((n == 6 && !memcmp(k, "detail", 6)) || (n == 11 && !memcmp(k, "detail-type", 11))) {
		if (cx == C_TOP_OBJ)
			r->env_seen = 1;
		else if (cx == C_EVENT && r->depth == r->ev_depth)
			r->ev_env = 1; /* an envelope as a record of an array: never unwrapped, never trusted */
	}
	if (cx == C_TOP_OBJ && r->pending >= 0 && r->pending <= K_USER_IDENTITY)
		r->top_kind |= TK_EVENT;
	if (cx == C_TOP_OBJ && n == 15 && !memcmp(k, "digestStartTime", 15)) {
		if (r->values == 1 && r->record == 1 && r->ev_depth == 1 &&
		    !(r->top_kind & TK_CONTAINER)) {
			/* CloudTrail-Digest files vouch for logs and hold no events:
			 * the first value is no record, and nothing after it is hidden */
			r->digest = 1;
			r->ev_depth = 0;
			r->record--;
			r->top_kind |= TK_DIGEST;
		} else {
			r->top_kind |= TK_DIGEST; /* one record, rejected at its end */
		}
	}
	return 1;
}

/* A scalar: a field value, or a record that is not an object. */
static int scalar(struct wdn_reader *r, const unsigned char *s, size_t n, int is_string,
		  int is_null)
{
	int key = r->pending;
	enum ctx parent = r->ctx[r->depth];
	int rc;

	r->pending = K_NONE;
	r->tok_end = pos_now(r);
	count_elem(r);
	if (r->depth == 0 || parent == C_TOP_ARRAY || parent == C_RECORDS) {
		uint64_t at = pos_now(r);

		r->record++;
		reject(r, r->record, at > n ? at - n : 0, at, "record is not a JSON object");
		return 1;
	}
	if (key < 0 || key >= WDN_F_COUNT || is_null)
		return 1;
	if (!is_string) {
		if (r->type_error < 0)
			r->type_error = key;
		return 1;
	}
	r->f[key].off = r->scratch.len;
	r->f[key].len = n;
	r->f[key].set = 1;
	if ((rc = wdn_buf_add(&r->scratch, s, n))) {
		if (rc == WDN_ENOMEM)
			r->stop_code = rc; /* not the record's fault: reading stops */
		snprintf(r->why, sizeof(r->why), "%s", rc == WDN_ENOMEM ? "out of memory" : "field too large");
		return 0;
	}
	return 1;
}

static int cb_null(void *c) { return scalar(c, NULL, 0, 0, 1); }
static int cb_bool(void *c, int b) { return scalar(c, NULL, 0, 0, 0); }
static int cb_number(void *c, const char *s, size_t n) { return scalar(c, (const unsigned char *)s, n, 0, 0); }
static int cb_string(void *c, const unsigned char *s, size_t n) { return scalar(c, s, n, 1, 0); }

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

static int parser_reset(struct wdn_reader *r)
{
	if (r->h)
		yajl_free(r->h);
	r->h = yajl_alloc(&callbacks, NULL, r);
	if (!r->h)
		return WDN_ENOMEM;
	yajl_config(r->h, yajl_allow_multiple_values, 1);
	r->depth = 0;
	r->ev_depth = 0;
	r->pending = K_NONE;
	r->why[0] = '\0';
	return 0;
}

struct wdn_reader *wdn_reader_new(const char *name, wdn_event_fn on_event,
				  wdn_reject_fn on_reject, void *ctx)
{
	struct wdn_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->name = name;
	r->on_event = on_event;
	r->on_reject = on_reject;
	r->cbctx = ctx;
	wdn_buf_init(&r->win, WDN_MAX_RECORD + 4 * PIECE);
	wdn_buf_init(&r->scratch, WDN_MAX_RECORD);
	r->type_error = -1;
	if (parser_reset(r)) {
		free(r);
		return NULL;
	}
	return r;
}

void wdn_reader_careful(struct wdn_reader *r)
{
	r->careful = 1;
}

void wdn_reader_refuse_envelopes(struct wdn_reader *r)
{
	r->refuse_env = 1;
}

void wdn_reader_allow_empty(struct wdn_reader *r)
{
	r->allow_empty = 1;
}

void wdn_reader_free(struct wdn_reader *r)
{
	if (!r)
		return;
	if (r->h)
		yajl_free(r->h);
	if (r->z_live)
		inflateEnd(&r->z);
	free(r->zout);
	wdn_buf_release(&r->win);
	wdn_buf_release(&r->scratch);
	wdn_buf_release(&r->hold);
	free(r);
}

void wdn_reader_counts(const struct wdn_reader *r, uint64_t *events, uint64_t *rejected,
		       int *digest)
{
	if (events)
		*events = r->events;
	if (rejected)
		*rejected = r->rejected;
	if (digest)
		*digest = r->digest;
}

static uint64_t count_lines(const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t c = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		c++;
		p++;
	}
	return c;
}

/* Drop window bytes no longer needed: all but the event in progress. */
static void trim(struct wdn_reader *r)
{
	uint64_t keep = r->ev_depth ? r->ev_start : r->base + r->win.len;
	size_t n;

	if (keep <= r->base)
		return;
	n = (size_t)(keep - r->base);
	if (r->depth && r->val_start < keep) {
		/* a top-level value in progress loses bytes: note a newline in them */
		size_t from = r->val_start > r->base ? (size_t)(r->val_start - r->base) : 0;

		if (from < n && memchr(r->win.ptr + from, '\n', n - from))
			r->val_multiline = 1;
	}
	r->lines += count_lines(r->win.ptr, n);
	r->prev = r->win.ptr[n - 1];
	wdn_buf_consume(&r->win, n);
	r->base = keep;
}

/* Offset (in win) of the next line, at or after from, that starts a
 * top-level value; or -1. */
static long resync_point(struct wdn_reader *r, size_t from)
{
	const char *p = r->win.ptr + from, *end = r->win.ptr + r->win.len;
	char before = from ? p[-1] : r->prev;

	if (p < end && before == '\n' && (*p == '{' || *p == '['))
		return (long)from;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		p++;
		if (p < end && (*p == '{' || *p == '['))
			return (long)(p - r->win.ptr);
	}
	return -1;
}

/* The error is inside an array of records (a log file's Records or a
 * top-level array): the records after it are not to be lost with it. (A
 * record that is no object still resumes at the next line, as before.) */
static int in_array(const struct wdn_reader *r)
{
	return (r->depth >= 2 && r->ctx[1] == C_TOP_OBJ && r->ctx[2] == C_RECORDS) ||
	       (r->depth >= 1 && r->ctx[1] == C_TOP_ARRAY);
}

/*
 * Scan n bytes of a bad record (or what follows it) at p. Returns the offset
 * in p where the parse resumes (just past the comma after the record, or at
 * the array's closing bracket), or -1 when p ends first. A byte after the
 * record that is neither makes the rest unreadable (sk_kind 0): the bytes are
 * then only counted to the end of the input, which fails.
 */
static long sk_scan(struct wdn_reader *r, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && r->sk_kind; i++) {
		char c = p[i];

		if (r->sk_str) {
			if (r->sk_esc)
				r->sk_esc = 0;
			else if (c == '\\')
				r->sk_esc = 1;
			else if (c == '"')
				r->sk_str = 0;
		} else if (r->sk_depth) {
			if (c == '"')
				r->sk_str = 1;
			else if (c == '{' || c == '[')
				r->sk_depth++;
			else if (c == '}' || c == ']')
				r->sk_depth--;
			else if (c == '\n' && r->lines_mode > 0)
				r->sk_kind = 0;
		} else if (c == '\n' && r->lines_mode > 0) {
			r->sk_kind = 0; /* in JSON lines a record never spans lines */
		} else if (c == ',') {
			return (long)i + 1;
		} else if (c == ']') {
			return (long)i;
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			r->sk_kind = 0;
		}
	}
	return -1;
}

/* Resume the parse at absolute offset at, inside the array the bad record was
 * in: a fresh parser is told where it is, as if the array began right there. */
static int sk_resume(struct wdn_reader *r, uint64_t at)
{
	static const char records[] = "{\"Records\":[", array[] = "[";
	const char *pre = r->sk_kind == SK_RECORDS ? records : array;
	size_t n = strlen(pre);
	int rc;

	r->sk_on = 0;
	if ((rc = parser_reset(r)))
		return rc;
	r->chunk_base = at >= n ? at - n : 0;
	if (yajl_parse(r->h, (const unsigned char *)pre, n) != yajl_status_ok)
		return WDN_ENOMEM; /* cannot happen: a fixed prefix */
	r->tok_end = at;
	return 0;
}

/*
 * A bad record in an array: reject it, then scan to its end from its first
 * byte; return the window offset where the parse resumes, or -1 when the
 * scan goes on in later bytes (or -2 without memory).
 */
static long skip_record(struct wdn_reader *r, uint64_t from, const char *msg)
{
	uint64_t start = r->ev_start;
	size_t off;
	long k;

	r->sk_on = 1;
	r->sk_kind = r->ctx[1] == C_TOP_ARRAY ? SK_ARRAY : SK_RECORDS;
	r->sk_str = r->sk_esc = 0;
	r->sk_depth = 0;
	r->sk_from = r->ev_start;
	r->sk_record = r->record;
	snprintf(r->sk_msg, sizeof(r->sk_msg), "%s", msg);
	if (*r->sk_msg && r->sk_msg[strlen(r->sk_msg) - 1] == '.')
		r->sk_msg[strlen(r->sk_msg) - 1] = '\0'; /* yajl's full stop, before more text */
	if (start < r->base)
		start = r->base;
	off = (size_t)(start - r->base);
	r->sk_depth = 1; /* the record's opening brace */
	off++;
	k = sk_scan(r, r->win.ptr + off, r->win.len - off);
	reject(r, r->record, from, k >= 0 ? r->base + off + (uint64_t)k : r->base + r->win.len,
	       "%s", msg);
	if (k >= 0)
		return sk_resume(r, r->base + off + (uint64_t)k) ? -2 : (long)(off + (size_t)k);
	if (parser_reset(r))
		return -2;
	r->depth = 0;
	r->ev_depth = 0;
	r->tok_end = r->base + r->win.len;
	r->lines += count_lines(r->win.ptr, r->win.len);
	r->prev = r->win.len ? r->win.ptr[r->win.len - 1] : r->prev;
	r->base += r->win.len;
	wdn_buf_reset(&r->win);
	return -1;
}

/*
 * After a parse error at absolute offset at: reject the record in progress,
 * reset the parser, and return the window offset of the next line that starts
 * a top-level value, or -1 when there is none yet (then bytes are skipped
 * until one comes).
 */
static long recover(struct wdn_reader *r, uint64_t at, const char *msg)
{
	uint64_t from = r->ev_depth ? r->ev_start : r->depth ? r->val_start : at;
	uint64_t rec;
	size_t rest_off = at > r->base ? (size_t)(at - r->base) : 0;
	long sync;

	if (!r->ev_depth && !r->depth)
		r->record++; /* a value that failed before it began is a record too */
	rec = r->record;
	if (rest_off > r->win.len)
		rest_off = r->win.len;
	if (in_array(r) && r->ev_depth)
		return skip_record(r, from, msg);
	sync = resync_point(r, rest_off);
	reject(r, rec, from, sync >= 0 ? r->base + (uint64_t)sync : r->base + r->win.len,
	       "%s", msg);
	if (parser_reset(r))
		return -2;
	r->tok_end = sync >= 0 ? r->base + (uint64_t)sync : r->base + r->win.len;
	if (sync < 0) {
		r->skipping = 1;
		trim(r);
	}
	return sync;
}

/* Parse window bytes from off on; errors resume at the next good line. */
static int parse_window(struct wdn_reader *r, size_t off)
{
	char msg[160];
	yajl_status st;
	uint64_t at;
	long sync;

	while (off < r->win.len) {
		size_t len = r->win.len - off;
		const char *nl = NULL;

		if (r->lines_mode > 0 && (nl = memchr(r->win.ptr + off, '\n', len)))
			len = (size_t)(nl - (r->win.ptr + off)) + 1; /* one line at a time */
		r->chunk_base = r->base + off;
		st = yajl_parse(r->h, (const unsigned char *)r->win.ptr + off, len);
		if (st == yajl_status_ok) {
			off += len;
			if (!nl || !r->depth)
				continue;
			/* in JSON lines a record never spans lines: this one is cut short */
			at = r->base + off;
			snprintf(msg, sizeof(msg), "invalid JSON: the line ends inside the record");
			if ((sync = recover(r, at, msg)) == -2)
				return WDN_ENOMEM;
			if (sync < 0)
				return 0;
			off = (size_t)sync;
			continue;
		}
		at = pos_now(r);
		if (st == yajl_status_client_canceled && r->stop_code)
			return r->stop_code; /* the consumer's word comes first */
		if (st == yajl_status_client_canceled && r->relex) {
			r->relex = 0;
			if (parser_reset(r))
				return WDN_ENOMEM;
			off = (size_t)(at - r->base);
			continue;
		}
		if (st == yajl_status_client_canceled) {
			if (r->stop_code)
				return r->stop_code;
			snprintf(msg, sizeof(msg), "%s", r->why);
		} else {
			unsigned char *e = yajl_get_error(r->h, 0, NULL, 0);
			snprintf(msg, sizeof(msg), "invalid JSON: %s", e ? (char *)e : "parse error");
			msg[strcspn(msg, "\n")] = '\0';
			if (e)
				yajl_free_error(r->h, e);
		}
		if ((sync = recover(r, at, msg)) == -2)
			return WDN_ENOMEM;
		if (sync < 0)
			return 0;
		off = (size_t)sync;
	}
	if (r->base + r->win.len - (r->ev_depth ? r->ev_start : r->tok_end) > WDN_MAX_RECORD &&
	    (r->ev_depth || r->last_ink > r->tok_end)) {
		snprintf(msg, sizeof(msg), "record larger than %u bytes", WDN_MAX_RECORD);
		if ((sync = recover(r, r->base + r->win.len, msg)) == -2)
			return WDN_ENOMEM;
		if (sync >= 0)
			return parse_window(r, (size_t)sync);
		return 0;
	}
	trim(r);
	return 0;
}

static int parse_plain(struct wdn_reader *r, const unsigned char *p, size_t n)
{
	size_t take, off;
	int rc;

	while (n && !r->done) {
		take = n < PIECE ? n : PIECE; /* bounds the window whatever a caller feeds */
		if (r->sk_on) {
			long k = sk_scan(r, (const char *)p, take);
			size_t drop = k >= 0 ? (size_t)k : take;

			r->lines += count_lines((const char *)p, drop);
			if (drop)
				r->prev = r->last = (char)p[drop - 1];
			r->base += drop;
			p += drop;
			n -= drop;
			if (k < 0)
				continue;
			if ((rc = sk_resume(r, r->base)))
				return rc;
			continue;
		}
		if (r->skipping) {
			const char *q = (const char *)p, *end = q + take;
			long found = -1;

			if (r->last == '\n' && (*q == '{' || *q == '['))
				found = 0;
			while (found < 0 && q < end && (q = memchr(q, '\n', (size_t)(end - q)))) {
				q++;
				if (q < end && (*q == '{' || *q == '['))
					found = (long)(q - (const char *)p);
			}
			if (found < 0) {
				r->last = (char)p[take - 1];
				r->lines += count_lines((const char *)p, take);
				r->base += take;
				p += take;
				n -= take;
				continue;
			}
			r->lines += count_lines((const char *)p, (size_t)found);
			r->base += (uint64_t)found;
			r->tok_end = r->base;
			r->skipping = 0;
			p += found;
			n -= (size_t)found;
			take -= (size_t)found;
			if (!take)
				continue;
		}
		off = r->win.len;
		if ((rc = wdn_buf_add(&r->win, p, take)))
			return rc;
		r->last = (char)p[take - 1];
		{
			/* only a token in progress (not white space) may outgrow the cap */
			size_t k = take;

			while (k && (p[k - 1] == ' ' || p[k - 1] == '\n' || p[k - 1] == '\t' || p[k - 1] == '\r'))
				k--;
			if (k)
				r->last_ink = r->base + off + k;
		}
		if ((rc = parse_window(r, off)))
			return rc;
		p += take;
		n -= take;
	}
	return 0;
}

/* Decoded bytes: to the tee, then to the parse (unless it is done). */
static int decoded(struct wdn_reader *r, const unsigned char *p, size_t n)
{
	int rc;

	if (r->tee && n && (rc = r->tee(r->tee_ctx, p, n)))
		return rc;
	return r->done ? 0 : parse_plain(r, p, n);
}

void wdn_reader_tee(struct wdn_reader *r, int (*fn)(void *ctx, const void *p, size_t n), void *ctx)
{
	r->tee = fn;
	r->tee_ctx = ctx;
}

/*
 * Damage inside a gzip member loses the rest of the input: a failure of the
 * input. Bytes after a whole member that are no gzip (padding, junk) cost
 * only themselves: rejected, the members before them kept.
 */
static int gz_error(struct wdn_reader *r, const char *what)
{
	uint64_t end = r->base + r->win.len;

	if (r->z_live == 2 && r->z.total_in <= 2) /* no gzip magic where a member would begin */
		reject(r, r->ev_depth || r->depth ? r->record : 0,
		       r->ev_depth ? r->ev_start : r->depth ? r->val_start : end, end,
		       "%s after the end of a gzip member", what);
	else
		fail(r, "%s at compressed byte %llu", what,
		     (unsigned long long)(r->z_before + r->z.total_in));
	r->z_done = 1;
	r->skipping = 1; /* nothing more can be decoded */
	r->last = 0;
	return 0;
}

static int parse_gzip(struct wdn_reader *r, const unsigned char *p, size_t n)
{
	int zrc, rc;

	if (r->z_done)
		return 0; /* a damaged stream yields nothing more */
	if (!r->z_live) {
		memset(&r->z, 0, sizeof(r->z));
		if (inflateInit2(&r->z, 15 + 16) != Z_OK || !(r->zout = malloc(ZCHUNK)))
			return WDN_ENOMEM;
		r->z_live = 1;
	}
	r->z.next_in = (unsigned char *)p;
	r->z.avail_in = (uInt)n;
	/* loop while input remains or the last round filled the output buffer,
	 * since zlib may still hold output then */
	do {
		r->z.next_out = r->zout;
		r->z.avail_out = ZCHUNK;
		if (r->z_live == 2 && !r->z.total_in && r->z.avail_in)
			r->z_first = *r->z.next_in;
		zrc = inflate(&r->z, Z_NO_FLUSH);
		/* what was decoded before any damage is good input */
		if ((rc = decoded(r, r->zout, ZCHUNK - r->z.avail_out)))
			return rc;
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
			return gz_error(r, "corrupt gzip data");
		if (zrc == Z_STREAM_END) {
			/* concatenated gzip members are one stream */
			r->z_before += r->z.total_in;
			if (inflateReset(&r->z) != Z_OK)
				return gz_error(r, "corrupt gzip data");
			r->z_live = 2; /* between members: the input may end here */
		} else if (r->z.total_in >= 2) {
			r->z_live = 1; /* zlib checks the magic on two bytes: a member began */
		}
		if (zrc == Z_BUF_ERROR && r->z.avail_out == ZCHUNK)
			break; /* no progress possible without more input */
	} while (!r->z_done && (!r->done || r->tee) && (r->z.avail_in || r->z.avail_out == 0));
	return 0;
}

int wdn_reader_feed(struct wdn_reader *r, const void *bytes, size_t len)
{
	const unsigned char *p = bytes;

	if (!len)
		return 0;
	if (!r->mode) {
		/* decide gzip or plain from the first two bytes */
		while (r->nhead < 2 && len) {
			r->head[r->nhead++] = *p++;
			len--;
		}
		if (r->nhead < 2)
			return 0;
		r->mode = r->head[0] == 0x1f && r->head[1] == 0x8b ? 2 : 1;
		{
			int rc = r->mode == 2 ? parse_gzip(r, r->head, 2) : decoded(r, r->head, 2);

			if (rc)
				return rc;
		}
	}
	if (!len)
		return 0;
	return r->mode == 2 ? parse_gzip(r, p, len) : decoded(r, p, len);
}

/* The thread's buffer for decoded inputs (wdn_fast_buffer) is in use: an
 * input read from inside on_event takes one of its own. */
static __thread int whole_busy[2] TLS_IE; /* decoded, read */

/* Would finish_event deliver an event with these fields (the checks of its
 * own fields; the fast path took no envelope, digest or oversized record)? */
static int fast_good(const struct wdn_str *f)
{
	struct wdn_str src = f[WDN_F_EVENT_SOURCE];

	return f[WDN_F_EVENT_NAME].ptr && src.ptr && f[WDN_F_EVENT_TIME].ptr &&
	       !wdn_str_eq(src, "aws:s3") && src.len >= 13 &&
	       !memcmp(src.ptr + src.len - 13, "amazonaws.com", 13);
}

/* A consumer that reads another input from inside on_event would have the
 * fast path's results of this thread overwritten: that one reads the careful way. */
static __thread int fast_busy TLS_IE;

/* Deliver what the fast path found: every event good, in order. */
static int fast_deliver(struct wdn_reader *r, const unsigned char *p,
			const struct wdn_fast_event *fe, size_t nev)
{
	const char *counted = (const char *)p;
	uint64_t line = 1;
	struct wdn_event ev;
	size_t i;
	int rc;

	r->done = 1; /* all of it is read here */
	ev.input = r->name;
	for (i = 0; i < nev; i++) {
		ev.raw.ptr = (const char *)p + fe[i].off;
		ev.raw.len = fe[i].len;
		line += count_lines(counted, (size_t)(ev.raw.ptr - counted));
		/* a compact record holds no line break (a string holds none
		 * raw, or the parse refused it): count on from its end */
		counted = fe[i].compact ? ev.raw.ptr + ev.raw.len : ev.raw.ptr;
		ev.record = ++r->record;
		ev.line = line;
		memcpy(ev.f, fe[i].f, sizeof(ev.f));
		ev.shape = WDN_SHAPE_KNOWN | (fe[i].compact ? WDN_SHAPE_COMPACT : 0) |
			   (fe[i].forged ? WDN_SHAPE_FORGED : 0);
		r->events++;
		if (!r->on_event)
			continue;
		fast_busy = 1;
		rc = r->on_event(r->cbctx, &ev);
		fast_busy = 0;
		if (rc)
			return r->stop_code = rc;
	}
	return 0;
}

/*
 * A whole decoded input, p[0..n) (padded: WDN_FAST_PADDING more bytes may be
 * read): to the tee, then the fast path if it is sure of all of it, else the
 * streaming parse from the start, fed as wdn_reader_feed would (split: the
 * bytes it takes first to tell gzip from plain). Nothing is delivered before
 * the fast path validated the whole input, so no event comes twice.
 */
static int parse_whole(struct wdn_reader *r, const unsigned char *p, size_t n, int padded,
		       size_t split)
{
	const struct wdn_fast_event *fe;
	size_t nev, i;
	int rc;

	if (r->tee && n && (rc = r->tee(r->tee_ctx, p, n)))
		return rc;
	if (r->done)
		return 0;
	if (!r->careful && !fast_busy && wdn_fast_walk &&
	    wdn_fast_walk((const char *)p, n, padded, &fe, &nev)) {
		for (i = 0; i < nev && fast_good(fe[i].f); i++)
			;
		if (i == nev)
			return fast_deliver(r, p, fe, nev);
	}
	if (split && (rc = parse_plain(r, p, split)))
		return rc;
	return r->done ? 0 : parse_plain(r, p + split, n - split);
}

static int is_member(const unsigned char *p, size_t n)
{
	/* FHCRC: zlib checks the header's CRC, libdeflate skips it; leave
	 * those members to zlib so that the verdict is zlib's */
	return n >= 18 && p[0] == 0x1f && p[1] == 0x8b && !(p[3] & 0x02);
}

/*
 * Decode gzip members filling all of p[0..n) into one buffer of at most
 * WHOLE_OUT bytes. NULL when anything is amiss (damage, junk after a member,
 * too large, no memory): the caller streams the input instead, whose
 * verdicts (truncation, corruption, junk rejected) are the reader's.
 * libdeflate, not ISA-L's isal_inflate: on a generated 100 MB trail that
 * was 2% faster, on gzip -6 output of enriched lines 15-20% slower.
 */
static unsigned char *inflate_whole(const unsigned char *p, size_t n, size_t *outlen,
				    unsigned char *shared)
{
	struct libdeflate_decompressor *d;
	unsigned char *out = NULL;
	size_t cap, used, off, in_used, out_used;
	enum libdeflate_result res;

	if (!is_member(p, n))
		return NULL;
	/* ISIZE, the last member's size mod 2^32: exact for one member */
	cap = (size_t)p[n - 4] | (size_t)p[n - 3] << 8 | (size_t)p[n - 2] << 16 | (size_t)p[n - 1] << 24;
	if (cap > WHOLE_OUT)
		return NULL;
	if (cap < 4096)
		cap = 4096;
	if (shared)
		cap = WHOLE_OUT; /* room for any */
	if (!(d = libdeflate_alloc_decompressor()))
		return NULL;
	for (;;) {
		if (!shared)
			free(out);
		if (!(out = shared ? shared : malloc(cap + WDN_FAST_PADDING)))
			break;
		used = 0;
		res = LIBDEFLATE_SUCCESS;
		for (off = 0; off < n && res == LIBDEFLATE_SUCCESS; off += in_used, used += out_used) {
			if (!is_member(p + off, n - off)) {
				res = LIBDEFLATE_BAD_DATA;
				break;
			}
			res = libdeflate_gzip_decompress_ex(d, p + off, n - off, out + used, cap - used,
							    &in_used, &out_used);
		}
		if (res == LIBDEFLATE_SUCCESS) {
			libdeflate_free_decompressor(d);
			memset(out + used, 0, WDN_FAST_PADDING); /* read by the fast path */
			*outlen = used;
			return out;
		}
		if (res != LIBDEFLATE_INSUFFICIENT_SPACE || cap >= WHOLE_OUT)
			break;
		/* several members: ISIZE was the last one's */
		cap = cap > WHOLE_OUT / 2 ? WHOLE_OUT : cap * 2;
	}
	if (!shared)
		free(out);
	libdeflate_free_decompressor(d);
	return NULL;
}

/* wdn_reader_feed_whole; padded: WDN_FAST_PADDING bytes after bytes[len]
 * may be read. */
static int feed_whole(struct wdn_reader *r, const unsigned char *bytes, size_t len, int padded)
{
	unsigned char *out, *shared = NULL;
	size_t n;
	int rc;

	if (r->mode || r->nhead || len < 2)
		return wdn_reader_feed(r, bytes, len);
	if (!(bytes[0] == 0x1f && bytes[1] == 0x8b)) {
		if (len > WHOLE_OUT)
			return wdn_reader_feed(r, bytes, len);
		/* plain: the parse as wdn_reader_feed would begin it */
		r->mode = 1;
		r->nhead = 2;
		memcpy(r->head, bytes, 2);
		return parse_whole(r, bytes, len, padded, 2);
	}
	if (!whole_busy[0] && wdn_fast_buffer)
		shared = wdn_fast_buffer(0);
	if (!(out = inflate_whole(bytes, len, &n, shared)))
		return wdn_reader_feed(r, bytes, len);
	/* as if streamed: gzip, every member whole (z_live 0: nothing pending) */
	r->mode = 2;
	r->nhead = 2;
	memcpy(r->head, bytes, 2);
	whole_busy[0] += out == shared;
	rc = parse_whole(r, out, n, 1, 0);
	if (out == shared)
		whole_busy[0]--;
	else
		free(out);
	return rc;
}

int wdn_reader_feed_whole(struct wdn_reader *r, const void *bytes, size_t len)
{
	return feed_whole(r, bytes, len, 0);
}

int wdn_reader_feed_held(struct wdn_reader *r, const void *bytes, size_t len)
{
	int rc;

	if (!len || r->held < 0)
		return len ? wdn_reader_feed(r, bytes, len) : 0;
	if (!r->held && (r->mode || r->nhead)) {
		r->held = -1; /* fed before: stream the rest */
		return wdn_reader_feed(r, bytes, len);
	}
	r->held = 1;
	if (len <= WHOLE_OUT - r->hold.len) {
		if (!r->hold.max)
			wdn_buf_init(&r->hold, WHOLE_OUT);
		return wdn_buf_add(&r->hold, bytes, len);
	}
	/* too large to decode whole: what was held, then the rest, streamed */
	r->held = -1;
	rc = wdn_reader_feed(r, r->hold.ptr, r->hold.len);
	wdn_buf_release(&r->hold);
	return rc ? rc : wdn_reader_feed(r, bytes, len);
}

int wdn_reader_finish(struct wdn_reader *r, struct wdn_err *err)
{
	yajl_status st;
	int rc;

	if (r->held > 0) {
		r->held = -1;
		rc = wdn_reader_feed_whole(r, r->hold.ptr, r->hold.len);
		wdn_buf_release(&r->hold);
		if (rc)
			return rc;
	}
	if (!r->mode && r->nhead == 1 && r->head[0] == 0x1f)
		fail(r, "truncated input: the gzip stream ends in its header");
	if (!r->mode && r->nhead && !r->failed) {
		/* a one-byte input */
		r->mode = 1;
		if ((rc = decoded(r, r->head, r->nhead)))
			return rc;
	}
	if (r->mode == 2 && !r->z_done && r->z_live == 1)
		fail(r, "truncated input: the gzip stream ends before its trailer");
	if (r->mode == 2 && !r->z_done && r->z_live == 2 && r->z.total_in == 1) {
		/* one byte after a member: a next one cut in its magic, or junk */
		if (r->z_first == 0x1f)
			fail(r, "truncated input: the gzip stream ends in a member's header");
		else
			reject(r, 0, r->base + r->win.len, r->base + r->win.len,
			       "a stray byte after the end of a gzip member");
	}
	/* zero bytes: a file still being copied in, not an empty log */
	if (!r->mode && !r->nhead && !r->failed && !r->allow_empty)
		fail(r, "empty input (a copy in progress?)");
	if (r->sk_on)
		fail(r, "record %llu: %s; the rest of the input (%llu bytes) cannot be read",
		     (unsigned long long)r->sk_record, r->sk_msg,
		     (unsigned long long)(r->base + r->win.len - r->sk_from));
	if (!r->skipping && !r->done && r->mode) {
		r->chunk_base = r->base + r->win.len;
		st = yajl_complete_parse(r->h);
		if (st == yajl_status_client_canceled && r->stop_code)
			return r->stop_code;
		/* the parser wanted more: the input ends inside a value */
		if (st != yajl_status_ok && (r->depth || r->ev_depth || r->last_ink > r->tok_end))
			fail(r, "truncated input: it ends inside record %llu (line %llu)",
			     (unsigned long long)(r->depth || r->ev_depth ? r->record : r->record + 1),
			     (unsigned long long)line_of(r, r->depth ? r->val_start : r->last_ink - 1));
	}
	if (r->failed)
		return wdn_err_set(err, WDN_EIO, "%s", r->failmsg);
	return 0;
}

/*
 * A regular file small enough is read whole and decoded at once. Returns 1
 * when it was (then finished or failed with *rc set), 0 to stream it.
 */
static int read_whole(struct wdn_reader *r, int fd, int *rc, struct wdn_err *err)
{
	struct stat st;
	unsigned char *buf = NULL, *shared = NULL;
	size_t size, got = 0;
	ssize_t n;

	if (r->mode || r->nhead || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 18 ||
	    (uint64_t)st.st_size > WHOLE_OUT)
		return 0;
	if (!whole_busy[1] && wdn_fast_buffer)
		buf = shared = wdn_fast_buffer(1);
	if (!buf && !(buf = malloc((size_t)st.st_size + 1 + WDN_FAST_PADDING)))
		return 0;
	size = (size_t)st.st_size + 1; /* one more: a file that grew is streamed */
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (buf != shared)
				free(buf);
			*rc = wdn_err_set(err, WDN_EIO, "%s", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	memset(buf + got, 0, WDN_FAST_PADDING);
	whole_busy[1] += buf == shared;
	*rc = got < size ? feed_whole(r, buf, got, 1) : wdn_reader_feed(r, buf, got);
	if (buf == shared)
		whole_busy[1]--;
	else
		free(buf);
	if (*rc)
		return 1;
	if (got < size)
		*rc = wdn_reader_finish(r, err);
	return got < size;
}

int wdn_reader_read_fd(struct wdn_reader *r, int fd, struct wdn_err *err)
{
	unsigned char buf[128 * 1024];
	ssize_t n;
	int rc;

	if (read_whole(r, fd, &rc, err))
		return rc;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wdn_err_set(err, WDN_EIO, "%s", strerror(errno));
		if (n == 0)
			break;
		if ((rc = wdn_reader_feed(r, buf, (size_t)n)))
			return rc;
		if (r->failed)
			break; /* nothing more of it can be read */
	}
	return wdn_reader_finish(r, err);
}
