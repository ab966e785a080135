/*
 * The CloudTrail reader (reader.c): every input form (log file,
 * array, JSON lines, single event, EventBridge envelope),
 * plain and gzip, fed whole and in every chunking down to one byte at a
 * time; the fields pulled out while streaming; raw spans that are exactly
 * the event's bytes; record and line numbers in rejects; and hostile input
 * that must cost only the bad record, never the good ones around it (nor
 * memory: `make asan` runs this under LeakSanitizer).
 *
 * Also the input walker (input.c): files in name order, recursively.
 */
#include "tap.h"
#include "wdn.h"
#include "fastjson.h"
#include "event.h"
#include "str.h"
#include "enrich.h"
#include "json.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include <zlib.h>

/* ---- collecting what a reader delivers ------------------------------------ */

struct got_ev {
	uint64_t record, line;
	unsigned shape;
	char *raw;
	size_t rawlen;
	char *f[WDN_F_COUNT];
};

struct got_rej {
	uint64_t record, line;
	char *raw;
	size_t rawlen;
	char *msg;
};

struct got {
	struct got_ev *ev;
	size_t nev;
	struct got_rej *rej;
	size_t nrej;
	int rc;              /* first nonzero feed/finish result */
	char err[512];       /* what finish said of a failure */
	uint64_t events, rejected;
	int digest;
	int stop_at;         /* on_event returns WDN_EIO at this event (1-based), 0 never */
	size_t calls;        /* on_event calls */
	int bad_input_name;
};

static char *dupmem(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (p && n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct got *g = ctx;
	struct got_ev *e;
	int i;

	g->calls++;
	if (strcmp(ev->input, "input"))
		g->bad_input_name = 1;
	if ((g->nev & (g->nev - 1)) == 0) /* grow at powers of two */
		g->ev = realloc(g->ev, (g->nev ? 2 * g->nev : 1) * sizeof(*g->ev));
	e = &g->ev[g->nev++];
	e->record = ev->record;
	e->line = ev->line;
	e->shape = ev->shape;
	e->raw = dupmem(ev->raw.ptr, ev->raw.len);
	e->rawlen = ev->raw.len;
	for (i = 0; i < WDN_F_COUNT; i++)
		e->f[i] = ev->f[i].ptr ? dupmem(ev->f[i].ptr, ev->f[i].len) : NULL;
	if (g->stop_at && g->calls == (size_t)g->stop_at)
		return WDN_EIO;
	return 0;
}

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct got *g = ctx;
	struct got_rej *r;

	if (strcmp(rej->input, "input"))
		g->bad_input_name = 1;
	if ((g->nrej & (g->nrej - 1)) == 0)
		g->rej = realloc(g->rej, (g->nrej ? 2 * g->nrej : 1) * sizeof(*g->rej));
	r = &g->rej[g->nrej++];
	r->record = rej->record;
	r->line = rej->line;
	r->raw = dupmem(rej->raw.ptr, rej->raw.len);
	r->rawlen = rej->raw.len;
	r->msg = strdup(rej->msg ? rej->msg : "(null)");
}

static void got_release(struct got *g)
{
	size_t i;
	int k;

	for (i = 0; i < g->nev; i++) {
		free(g->ev[i].raw);
		for (k = 0; k < WDN_F_COUNT; k++)
			free(g->ev[i].f[k]);
	}
	for (i = 0; i < g->nrej; i++) {
		free(g->rej[i].raw);
		free(g->rej[i].msg);
	}
	free(g->ev);
	free(g->rej);
	memset(g, 0, sizeof(*g));
}

/* run: 1 wdn_reader_feed_whole, 2 wdn_reader_read_fd of a file,
 * 3 wdn_reader_feed_held in pieces */
static int whole_mode;
static int careful_mode; /* 1: wdn_reader_careful, the streaming parse only */
static void run_fd(const void *data, size_t len, struct got *g);

/* Feed data in chunks of chunk bytes (0: all at once), then finish. */
static void run(const void *data, size_t len, size_t chunk, struct got *g)
{
	struct wdn_reader *r;
	const unsigned char *p = data;
	size_t off = 0;
	int stop = g->stop_at, rc;

	memset(g, 0, sizeof(*g));
	g->stop_at = stop;
	r = wdn_reader_new("input", on_event, on_reject, g);
	if (!r) {
		g->rc = WDN_ENOMEM;
		return;
	}
	if (careful_mode)
		wdn_reader_careful(r);
	if (whole_mode == 2) {
		wdn_reader_free(r);
		run_fd(data, len, g);
		return;
	}
	if (whole_mode == 1) {
		g->rc = wdn_reader_feed_whole(r, p, len);
		off = len;
	}
	for (; whole_mode == 3 && off < len && !g->rc; off += chunk) {
		chunk = len - off < 99991 ? len - off : 99991;
		g->rc = wdn_reader_feed_held(r, p + off, chunk);
	}
	if (!chunk)
		chunk = len ? len : 1;
	while (off < len && !g->rc) {
		size_t n = len - off < chunk ? len - off : chunk;

		g->rc = wdn_reader_feed(r, p + off, n);
		off += n;
	}
	if (!g->rc) {
		struct wdn_err e = { 0 };

		if ((rc = wdn_reader_finish(r, &e)))
			g->rc = rc;
		snprintf(g->err, sizeof(g->err), "%s", e.msg);
	}
	wdn_reader_counts(r, &g->events, &g->rejected, &g->digest);
	wdn_reader_free(r);
}

static void dump(const struct got *g)
{
	size_t i;

	printf("#   rc %d (%s), %zu events, %zu rejects%s\n", g->rc, g->err, g->nev, g->nrej,
	       g->digest ? ", digest" : "");
	for (i = 0; i < g->nev && i < 10; i++)
		printf("#   event record %llu: %.80s\n", (unsigned long long)g->ev[i].record, g->ev[i].raw);
	for (i = 0; i < g->nrej && i < 10; i++)
		printf("#   reject record %llu line %llu: %s [%.60s]\n", (unsigned long long)g->rej[i].record,
		       (unsigned long long)g->rej[i].line, g->rej[i].msg, g->rej[i].raw);
}

/* Same events (records, raw bytes, fields) and same rejects (records, lines, messages). */
static int same(const struct got *a, const struct got *b)
{
	size_t i;
	int k;

	if (a->nev != b->nev || a->nrej != b->nrej || a->rc != b->rc || a->digest != b->digest ||
	    strcmp(a->err, b->err))
		return 0;
	for (i = 0; i < a->nev; i++) {
		if (a->ev[i].record != b->ev[i].record || a->ev[i].line != b->ev[i].line ||
		    a->ev[i].rawlen != b->ev[i].rawlen ||
		    memcmp(a->ev[i].raw, b->ev[i].raw, a->ev[i].rawlen))
			return 0;
		for (k = 0; k < WDN_F_COUNT; k++)
			if ((a->ev[i].f[k] == NULL) != (b->ev[i].f[k] == NULL) ||
			    (a->ev[i].f[k] && strcmp(a->ev[i].f[k], b->ev[i].f[k])))
				return 0;
	}
	for (i = 0; i < a->nrej; i++)
		if (a->rej[i].record != b->rej[i].record || a->rej[i].line != b->rej[i].line ||
		    strcmp(a->rej[i].msg, b->rej[i].msg))
			return 0;
	return 1;
}

static int has_msg(const struct got *g, size_t i, const char *part)
{
	return i < g->nrej && strstr(g->rej[i].msg, part) != NULL;
}

/* ---- inputs --------------------------------------------------------------- */

#define NEV 6
static char *EV[NEV]; /* compact events, distinct in every field */

static char *make_event(int i)
{
	struct wdn_buf b = WDN_BUF_INIT;

	wdn_buf_addf(&b,
		"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
		"\"principalId\":\"AROAEXAMPLE:s%d\",\"arn\":\"arn:aws:sts::11112222%04d:assumed-role/R%d/s%d\","
		"\"accountId\":\"11112222%04d\",\"accessKeyId\":\"ASIAQAAAAAAAAAA%05d\","
		"\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAEXAMPLE\","
		"\"arn\":\"arn:aws:iam::11112222%04d:role/R%d\",\"accountId\":\"11112222%04d\",\"userName\":\"R%d\"},"
		"\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"2021-07-03T23:00:00Z\",\"mfaAuthenticated\":\"false\"}}},"
		"\"eventTime\":\"2021-07-03T23:12:%02dZ\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole%d\","
		"\"awsRegion\":\"region-%d\",\"sourceIPAddress\":\"203.0.113.%d\",\"userAgent\":\"agent \\\"quoted\\\" \\u00e9\","
		"\"requestParameters\":{\"roleArn\":\"arn:aws:iam::111122223333:role/X\",\"roleSessionName\":\"s%d\","
		"\"eventName\":\"NotMe\",\"userIdentity\":{\"accessKeyId\":\"NOTME\",\"type\":\"NotMe\"},\"nums\":[1,2.5,-3e2,true,false,null]},"
		"\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAZZZZZZZZZZZ%05d\",\"expiration\":\"Jul 3, 2021 11:27:09 PM\","
		"\"sessionToken\":\"tok\"}},\"requestID\":\"req-%d\",\"eventID\":\"event-%d\",\"readOnly\":true,"
		"\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"99998888%04d\",\"sharedEventID\":\"shared-%d\"}",
		i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i);
	return wdn_buf_detach(&b, NULL);
}

/* the fields event i must have yielded */
static int fields_ok(const struct got_ev *e, int i)
{
	char want[WDN_F_COUNT][128];
	int k, good = 1;

	snprintf(want[WDN_F_EVENT_NAME], 128, "AssumeRole%d", i);
	snprintf(want[WDN_F_EVENT_SOURCE], 128, "sts.amazonaws.com");
	snprintf(want[WDN_F_EVENT_TIME], 128, "2021-07-03T23:12:%02dZ", i);
	snprintf(want[WDN_F_EVENT_ID], 128, "event-%d", i);
	snprintf(want[WDN_F_RECIPIENT], 128, "99998888%04d", i);
	snprintf(want[WDN_F_REGION], 128, "region-%d", i);
	snprintf(want[WDN_F_SHARED_EVENT_ID], 128, "shared-%d", i);
	snprintf(want[WDN_F_UI_TYPE], 128, "AssumedRole");
	snprintf(want[WDN_F_UI_ARN], 128, "arn:aws:sts::11112222%04d:assumed-role/R%d/s%d", i, i, i);
	snprintf(want[WDN_F_UI_ACCOUNT], 128, "11112222%04d", i);
	snprintf(want[WDN_F_UI_KEY], 128, "ASIAQAAAAAAAAAA%05d", i);
	snprintf(want[WDN_F_UI_ISSUER_ARN], 128, "arn:aws:iam::11112222%04d:role/R%d", i, i);
	for (k = 0; k < WDN_F_COUNT; k++) {
		if (k == WDN_F_ERROR_CODE || k == WDN_F_UI_INVOKED_BY) {
			if (e->f[k]) {
				printf("#   field %d: got '%s', want absent\n", k, e->f[k]);
				good = 0;
			}
			continue;
		}
		if (!e->f[k] || strcmp(e->f[k], want[k])) {
			printf("#   field %d: got '%s', want '%s'\n", k, e->f[k] ? e->f[k] : "(absent)", want[k]);
			good = 0;
		}
	}
	return good;
}

/* events delivered are exactly EV[first..first+n) with records rec0, rec0+1... */
static int events_are(const struct got *g, int first, int n, uint64_t rec0)
{
	int i;

	if ((int)g->nev != n) {
		dump(g);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct got_ev *e = &g->ev[i];

		if (e->record != rec0 + (uint64_t)i) {
			printf("#   event %d: record %llu, want %llu\n", i, (unsigned long long)e->record,
			       (unsigned long long)(rec0 + i));
			return 0;
		}
		if (e->rawlen != strlen(EV[first + i]) || memcmp(e->raw, EV[first + i], e->rawlen)) {
			printf("#   event %d: raw differs: '%.60s'\n", i, e->raw);
			return 0;
		}
		if (!fields_ok(e, first + i))
			return 0;
	}
	return 1;
}

static void gz_member(struct wdn_buf *out, const void *p, size_t n, int level)
{
	z_stream z;
	unsigned char tmp[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		rc = deflate(&z, Z_FINISH);
		wdn_buf_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (rc == Z_OK);
	deflateEnd(&z);
}

static void json_lines(struct wdn_buf *b, int first, int n, const char *eol)
{
	int i;

	for (i = first; i < first + n; i++) {
		wdn_buf_adds(b, EV[i]);
		wdn_buf_adds(b, eol);
	}
}

static void records_file(struct wdn_buf *b, int first, int n)
{
	int i;

	wdn_buf_adds(b, "{\"Records\":[");
	for (i = first; i < first + n; i++) {
		if (i > first)
			wdn_buf_addc(b, ',');
		wdn_buf_adds(b, EV[i]);
	}
	wdn_buf_adds(b, "]}");
}

static void envelope(struct wdn_buf *b, int i)
{
	wdn_buf_addf(b, "{\"version\":\"0\",\"id\":\"env-%d\",\"detail-type\":\"AWS API Call via CloudTrail\","
		     "\"source\":\"aws.sts\",\"account\":\"111122223333\",\"time\":\"2021-07-03T23:12:09Z\","
		     "\"region\":\"us-east-1\",\"resources\":[],\"detail\":%s}", i, EV[i]);
}

/* ---- the forms ------------------------------------------------------------ */

static const size_t chunks[] = { 0, 1, 2, 3, 7, 64, 4095, 65536, 65537 };

/* A form, plain and gzip, whole and in every chunking: the same events. */
static void check_form(const char *name, const char *text, size_t len, int first, int n, uint64_t rec0)
{
	struct wdn_buf z = WDN_BUF_INIT;
	struct got whole, g;
	size_t c;
	int bad = 0, gz;

	run(text, len, 0, &whole);
	ok(whole.rc == 0 && whole.nrej == 0 && events_are(&whole, first, n, rec0),
	   "%s: %d events, raw bytes and fields exact", name, n);
	ok(whole.events == (uint64_t)n && whole.rejected == 0 && !whole.digest && !whole.bad_input_name,
	   "%s: counts", name);
	gz_member(&z, text, len, 6);
	for (gz = 0; gz <= 1; gz++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			if (gz)
				run(z.ptr, z.len, chunks[c], &g);
			else
				run(text, len, chunks[c], &g);
			if (!same(&whole, &g)) {
				printf("#   %s chunk %zu differs\n", gz ? "gzip" : "plain", chunks[c]);
				dump(&g);
				bad++;
			}
			got_release(&g);
		}
	}
	is_int(bad, 0, "%s: plain and gzip, whole and fed in chunks of 1..65537 bytes: the same", name);
	got_release(&whole);
	wdn_buf_release(&z);
}

static void test_forms(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	int i;

	records_file(&b, 0, 3);
	check_form("Records log file", b.ptr, b.len, 0, 3, 1);
	wdn_buf_reset(&b);

	records_file(&b, 0, 1);
	wdn_buf_adds(&b, "\n");
	check_form("Records log file, one event, newline", b.ptr, b.len, 0, 1, 1);
	wdn_buf_reset(&b);

	wdn_buf_addc(&b, '[');
	for (i = 0; i < 4; i++)
		wdn_buf_addf(&b, "%s%s", i ? "," : "", EV[i]);
	wdn_buf_addc(&b, ']');
	check_form("JSON array", b.ptr, b.len, 0, 4, 1);
	wdn_buf_reset(&b);

	wdn_buf_adds(&b, "[\n");
	for (i = 0; i < 4; i++)
		wdn_buf_addf(&b, "  %s%s\n", EV[i], i < 3 ? "," : "");
	wdn_buf_adds(&b, "]\n");
	check_form("JSON array, one event a line", b.ptr, b.len, 0, 4, 1);
	wdn_buf_reset(&b);

	json_lines(&b, 0, NEV, "\n");
	check_form("JSON lines", b.ptr, b.len, 0, NEV, 1);
	wdn_buf_reset(&b);

	json_lines(&b, 0, 3, "\n");
	wdn_buf_setlen(&b, b.len - 1); /* no newline at the end */
	check_form("JSON lines, no final newline", b.ptr, b.len, 0, 3, 1);
	wdn_buf_reset(&b);

	json_lines(&b, 0, 3, "\r\n");
	check_form("JSON lines, CRLF", b.ptr, b.len, 0, 3, 1);
	wdn_buf_reset(&b);

	wdn_buf_adds(&b, "\n\n");
	json_lines(&b, 1, 2, "\n\n  \n");
	check_form("JSON lines with blank lines", b.ptr, b.len, 1, 2, 1);
	wdn_buf_reset(&b);

	envelope(&b, 2);
	check_form("EventBridge envelope", b.ptr, b.len, 2, 1, 1);
	wdn_buf_reset(&b);

	for (i = 0; i < 3; i++) {
		envelope(&b, i);
		wdn_buf_addc(&b, '\n');
	}
	check_form("EventBridge envelopes as JSON lines", b.ptr, b.len, 0, 3, 1);
	wdn_buf_reset(&b);

	records_file(&b, 0, 1);
	wdn_buf_addc(&b, '\n');
	records_file(&b, 1, 2);
	wdn_buf_addc(&b, '\n');
	check_form("two log files concatenated", b.ptr, b.len, 0, 3, 1);
	wdn_buf_reset(&b);

	wdn_buf_adds(&b, EV[4]);
	check_form("a single compact event", b.ptr, b.len, 4, 1, 1);
	wdn_buf_reset(&b);

	wdn_buf_release(&b);
}

static const char pretty[] =
	"{\n"
	"    \"eventVersion\": \"1.08\",\n"
	"    \"userIdentity\": {\n"
	"        \"type\": \"IAMUser\",\n"
	"        \"arn\": \"arn:aws:iam::111122223333:user/alice\",\n"
	"        \"accountId\": \"111122223333\",\n"
	"        \"accessKeyId\": \"AKIAIOSFODNN7EXAMPLE\"\n"
	"    },\n"
	"    \"eventTime\": \"2021-07-03T23:12:09Z\",\n"
	"    \"eventSource\": \"sts.amazonaws.com\",\n"
	"    \"eventName\": \"Assume\\u0052ole\",\n"
	"    \"errorCode\": \"AccessDenied\",\n"
	"    \"awsRegion\": \"us-east-1\",\n"
	"    \"eventID\": \"pretty-1\"\n"
	"}\n";

static void test_pretty(void)
{
	struct wdn_buf z = WDN_BUF_INIT, twice = WDN_BUF_INIT;
	struct got g, h;
	size_t c;
	int bad = 0;

	run(pretty, sizeof(pretty) - 1, 0, &g);
	ok(g.rc == 0 && g.nev == 1 && g.nrej == 0, "a single pretty-printed event: delivered");
	if (g.nev == 1) {
		const struct got_ev *e = &g.ev[0];

		ok(e->rawlen == sizeof(pretty) - 2 && !memcmp(e->raw, pretty, e->rawlen),
		   "pretty event: raw is exactly the object, newlines and all, without the final newline");
		is_int(e->record, 1, "pretty event: record 1");
		is_str(e->f[WDN_F_EVENT_NAME], "AssumeRole", "pretty event: escapes in fields are decoded");
		is_str(e->f[WDN_F_ERROR_CODE], "AccessDenied", "pretty event: errorCode");
		is_str(e->f[WDN_F_UI_TYPE], "IAMUser", "pretty event: userIdentity.type");
		is_str(e->f[WDN_F_UI_KEY], "AKIAIOSFODNN7EXAMPLE", "pretty event: userIdentity.accessKeyId");
		ok(e->f[WDN_F_UI_ISSUER_ARN] == NULL, "pretty event: no sessionIssuer.arn");
		ok(e->f[WDN_F_SHARED_EVENT_ID] == NULL, "pretty event: no sharedEventID");
	} else {
		dump(&g);
	}
	gz_member(&z, pretty, sizeof(pretty) - 1, 9);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		run(pretty, sizeof(pretty) - 1, chunks[c], &h);
		bad += !same(&g, &h);
		got_release(&h);
		run(z.ptr, z.len, chunks[c], &h);
		bad += !same(&g, &h);
		got_release(&h);
	}
	is_int(bad, 0, "pretty event: plain and gzip in every chunking: the same");
	got_release(&g);

	/* two pretty events back to back: multi-line values, records 1 and 2 */
	wdn_buf_add(&twice, pretty, sizeof(pretty) - 1);
	wdn_buf_add(&twice, pretty, sizeof(pretty) - 1);
	run(twice.ptr, twice.len, 1, &g);
	ok(g.nev == 2 && g.nrej == 0 && g.ev[1].record == 2 && g.ev[1].rawlen == sizeof(pretty) - 2,
	   "two pretty events back to back, fed byte by byte");
	got_release(&g);
	wdn_buf_release(&twice);
	wdn_buf_release(&z);
}

static void test_envelope_fields(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;

	/* detail first, envelope keys after: the envelope's own keys never leak in */
	wdn_buf_addf(&b, "{\"detail\":%s,\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.sts\","
		     "\"eventName\":\"EnvelopeNotEvent\",\"region\":\"x\"}", EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nrej == 0 && events_are(&g, 1, 1, 1), "envelope with detail first: the detail, exactly");
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_gzip_members(void)
{
	struct wdn_buf z = WDN_BUF_INIT, plain = WDN_BUF_INIT;
	struct got g, h;
	size_t c, half;
	int bad = 0;

	/* JSON lines split over three members, one cut mid-event */
	json_lines(&plain, 0, NEV, "\n");
	half = strlen(EV[0]) + 1 + strlen(EV[1]) / 2;
	gz_member(&z, plain.ptr, half, 6);
	gz_member(&z, plain.ptr + half, 100, 1);
	gz_member(&z, plain.ptr + half + 100, plain.len - half - 100, 9);
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 0 && events_are(&g, 0, NEV, 1),
	   "concatenated gzip members are one stream, even cut mid-event");
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		run(z.ptr, z.len, chunks[c], &h);
		bad += !same(&g, &h);
		got_release(&h);
	}
	is_int(bad, 0, "concatenated members in every chunking: the same");
	got_release(&g);

	/* a log file split over members */
	wdn_buf_reset(&z);
	wdn_buf_reset(&plain);
	records_file(&plain, 0, 4);
	gz_member(&z, plain.ptr, 5, 6);
	gz_member(&z, plain.ptr + 5, plain.len - 5, 6);
	run(z.ptr, z.len, 1, &g);
	ok(g.rc == 0 && g.nrej == 0 && events_are(&g, 0, 4, 1), "a log file over two members, byte by byte");
	got_release(&g);

	/* an empty member among others */
	wdn_buf_reset(&z);
	gz_member(&z, "", 0, 6);
	gz_member(&z, plain.ptr, plain.len, 6);
	gz_member(&z, "", 0, 6);
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 0 && events_are(&g, 0, 4, 1), "empty gzip members around a log file");
	got_release(&g);

	wdn_buf_release(&z);
	wdn_buf_release(&plain);
}

/* Many events, many times the reader's 64 KB piece, one line or many. */
static void test_large(void)
{
	struct wdn_buf b = WDN_BUF_INIT, z = WDN_BUF_INIT;
	struct got g;
	size_t i, bad = 0, n = 0;

	/* a single-line log file over 12 MB: bigger than WDN_MAX_RECORD, but no record is */
	wdn_buf_adds(&b, "{\"Records\":[");
	while (b.len < WDN_MAX_RECORD + (4u << 20)) {
		if (n)
			wdn_buf_addc(&b, ',');
		wdn_buf_adds(&b, EV[n % NEV]);
		n++;
	}
	wdn_buf_adds(&b, "]}");
	run(b.ptr, b.len, 0, &g);
	for (i = 0; i < g.nev; i++)
		if (g.ev[i].record != i + 1 || strcmp(g.ev[i].raw, EV[i % NEV]))
			bad++;
	ok(g.rc == 0 && g.nev == n && g.nrej == 0 && !bad,
	   "a %zu MB one-line log file of %zu events: all delivered, exact", b.len >> 20, n);
	if (g.nrej)
		dump(&g);
	got_release(&g);

	gz_member(&z, b.ptr, b.len, 1);
	run(z.ptr, z.len, 4096, &g);
	bad = 0;
	for (i = 0; i < g.nev; i++)
		if (g.ev[i].record != i + 1 || strcmp(g.ev[i].raw, EV[i % NEV]))
			bad++;
	ok(g.rc == 0 && g.nev == n && g.nrej == 0 && !bad, "the same log file gzipped, fed 4 KB at a time");
	got_release(&g);

	/* JSON lines: 5000 events */
	wdn_buf_reset(&b);
	for (i = 0; i < 5000; i++) {
		wdn_buf_adds(&b, EV[i % NEV]);
		wdn_buf_addc(&b, '\n');
	}
	run(b.ptr, b.len, 65536 + 17, &g);
	bad = 0;
	for (i = 0; i < g.nev; i++)
		if (g.ev[i].record != i + 1 || strcmp(g.ev[i].raw, EV[i % NEV]))
			bad++;
	ok(g.rc == 0 && g.nev == 5000 && g.nrej == 0 && !bad, "5000 JSON lines across pieces: all exact");
	got_release(&g);
	wdn_buf_release(&b);
	wdn_buf_release(&z);
}

/* ---- rejects and hostile input -------------------------------------------- */

static void test_bad_line(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;

	wdn_buf_addf(&b, "%s\n{\"eventName\": oops}\n%s\n", EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	is_int(g.rc, 0, "a bad line between good ones: no error");
	ok(g.nev == 2 && !strcmp(g.ev[0].raw, EV[0]) && !strcmp(g.ev[1].raw, EV[1]),
	   "a bad line between good ones: both good ones delivered");
	ok(g.nev == 2 && g.ev[0].record == 1 && g.ev[1].record == 3, "good lines keep their record numbers 1 and 3");
	is_int(g.nrej, 1, "one reject");
	if (g.nrej == 1) {
		is_int(g.rej[0].record, 2, "reject: record 2");
		is_int(g.rej[0].line, 2, "reject: line 2");
		ok(has_msg(&g, 0, "invalid JSON"), "reject says invalid JSON: %s", g.rej[0].msg);
		ok(g.rej[0].rawlen >= 10 && !strncmp(g.rej[0].raw, "{\"eventName\": oops}", 10),
		   "reject raw starts at the bad record");
		ok(!memmem(g.rej[0].raw, g.rej[0].rawlen, EV[1], 20), "reject raw does not swallow the next line");
	}
	is_int(g.rejected, 1, "counts: 1 rejected");
	run(b.ptr, b.len, 1, &h);
	ok(same(&g, &h), "a bad line, byte by byte: the same");
	got_release(&h);
	got_release(&g);

	/* the bad line first, then the bad line last without newline */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{{{\n%s\n%s\n{\"a\":", EV[2], EV[3]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 2 && g.nrej == 1 && g.rc == WDN_EIO,
	   "bad first line and a last line cut short: 2 events, 1 reject, the input fails");
	if (g.nrej == 1 && g.nev == 2) {
		ok(g.rej[0].record == 1 && g.rej[0].line == 1, "first reject: record 1, line 1");
		ok(strstr(g.err, "truncated") && strstr(g.err, "record 4 (line 4)"),
		   "the failure names the cut record 4, line 4: %s", g.err);
		ok(g.ev[0].record == 2 && g.ev[1].record == 3, "events: records 2 and 3");
	} else {
		dump(&g);
	}
	run(b.ptr, b.len, 1, &h);
	ok(same(&g, &h), "the same byte by byte");
	got_release(&h);
	got_release(&g);

	/* in JSON lines a record never spans lines */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%s\n{\"eventName\":\"AssumeRole\",\n%s\n", EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 2 && g.nrej == 1 && g.rej[0].line == 2 && g.rej[0].record == 2,
	   "JSON lines: a line ending inside a record is rejected, line 2 record 2");
	ok(g.nev == 2 && !strcmp(g.ev[1].raw, EV[1]) && g.ev[1].record == 3, "and the next line is delivered");
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_records_rejects(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;

	/* a pretty log file: records that are not objects, and one with no eventName */
	wdn_buf_addf(&b, "{\n  \"Records\": [\n    %s,\n    \"oops\",\n    [1, 2],\n    42,\n"
		     "    {\"eventSource\": \"sts.amazonaws.com\", \"eventTime\": \"2021-07-03T23:12:09Z\"},\n"
		     "    {\"eventName\": \"X\", \"eventSource\": \"example.com\", \"eventTime\": \"2021-07-03T23:12:09Z\"},\n"
		     "    %s\n  ]\n}\n", EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nev == 2 && g.nrej == 5, "log file with 5 bad records: 2 events, 5 rejects");
	if (g.nev == 2 && g.nrej == 5) {
		ok(g.ev[0].record == 1 && g.ev[1].record == 7, "events: records 1 and 7");
		ok(!strcmp(g.ev[1].raw, EV[1]), "the event after the bad ones: exact");
		ok(g.rej[0].record == 2 && g.rej[0].line == 4 && has_msg(&g, 0, "not a JSON object"),
		   "a string record: record 2, line 4 (%s)", g.rej[0].msg);
		ok(g.rej[1].record == 3 && g.rej[1].line == 5 && has_msg(&g, 1, "array"),
		   "an array record: record 3, line 5 (%s)", g.rej[1].msg);
		ok(g.rej[2].record == 4 && g.rej[2].line == 6 && has_msg(&g, 2, "not a JSON object"),
		   "a number record: record 4, line 6 (%s)", g.rej[2].msg);
		ok(g.rej[3].record == 5 && g.rej[3].line == 7 && has_msg(&g, 3, "eventName"),
		   "no eventName: record 5, line 7 (%s)", g.rej[3].msg);
		ok(g.rej[4].record == 6 && g.rej[4].line == 8 && has_msg(&g, 4, "eventSource"),
		   "eventSource not AWS: record 6, line 8 (%s)", g.rej[4].msg);
		ok(g.rej[3].rawlen > 0 && g.rej[3].raw[0] == '{' && g.rej[3].raw[g.rej[3].rawlen - 1] == '}',
		   "a rejected object's raw is the object");
	} else {
		dump(&g);
	}
	run(b.ptr, b.len, 1, &h);
	ok(same(&g, &h), "the same byte by byte");
	got_release(&h);
	got_release(&g);

	/* truncated plain input: a failure of the input, not a rejected record */
	wdn_buf_reset(&b);
	records_file(&b, 0, 2);
	b.len -= strlen(EV[1]) / 2 + 2;
	b.ptr[b.len] = '\0';
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 1 && !strcmp(g.ev[0].raw, EV[0]), "truncated log file: the whole first event is read");
	ok(g.rc == WDN_EIO && g.nrej == 0 && strstr(g.err, "truncated input") && strstr(g.err, "record 2"),
	   "truncated log file: the input fails, naming record 2 (%s)", g.err);
	got_release(&g);

	/* a top-level object that is no event */
	run("{\"foo\":\"bar\"}\n", 14, 0, &g);
	ok(g.nev == 0 && g.nrej == 1 && g.rej[0].record == 1 && has_msg(&g, 0, "not a CloudTrail event"),
	   "an object with no event fields is rejected");
	got_release(&g);

	/* an empty Records array, an empty array */
	run("{\"Records\":[]}", 14, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0, "an empty log file: nothing, no rejects");
	got_release(&g);
	run("[]\n", 3, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0, "an empty array: nothing, no rejects");
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_truncated_gzip(void)
{
	struct wdn_buf z = WDN_BUF_INIT, plain = WDN_BUF_INIT;
	struct got g, h;
	size_t cut;

	json_lines(&plain, 0, 2, "\n");
	gz_member(&z, plain.ptr, plain.len, 6);
	wdn_buf_reset(&plain);
	json_lines(&plain, 2, 2, "\n");
	cut = z.len;
	gz_member(&z, plain.ptr, plain.len, 6);
	z.len = cut + (z.len - cut) / 2; /* half the second member */
	run(z.ptr, z.len, 0, &g);
	is_int(g.rc, WDN_EIO, "truncated gzip: the input fails");
	ok(g.nev >= 2 && g.nev < 4 && !strcmp(g.ev[0].raw, EV[0]) && !strcmp(g.ev[1].raw, EV[1]) &&
	   g.ev[0].record == 1 && g.ev[1].record == 2, "truncated gzip: the first member's events delivered");
	is_int(g.nrej, 0, "truncated gzip: no record rejected");
	ok(strstr(g.err, "truncated") && strstr(g.err, "trailer"), "truncated gzip: says so (%s)", g.err);
	run(z.ptr, z.len, 1, &h);
	ok(same(&g, &h), "truncated gzip byte by byte: the same");
	got_release(&h);
	got_release(&g);

	/* only the gzip header */
	run(z.ptr, 6, 0, &g);
	ok(g.rc == WDN_EIO && g.nev == 0 && g.nrej == 0 && strstr(g.err, "truncated"),
	   "six bytes of gzip: the input fails, truncated");
	got_release(&g);

	/* damage a gzip made of stored (level 0) blocks in the second block's
	 * header: inflate fails there at once, so exactly the first block's bytes
	 * are good. Whatever the feeding, the complete events in them are
	 * delivered, and the damage fails the input: the rest cannot be read. */
	wdn_buf_reset(&z);
	wdn_buf_reset(&plain);
	{
		static const size_t cc[] = { 0, 1, 100, 4096, 65536 };
		size_t i, k, len1, want = 0, gzrej[5], nev[5];
		int all_one = 1, same_events = 1, exact = 1;

		for (i = 0; i < 100; i++) {
			wdn_buf_adds(&plain, EV[i % NEV]);
			wdn_buf_addc(&plain, '\n');
		}
		gz_member(&z, plain.ptr, plain.len, 0);
		/* 10-byte gzip header, then a stored block: 1 byte, LEN, NLEN, data */
		len1 = (unsigned char)z.ptr[11] | (size_t)(unsigned char)z.ptr[12] << 8;
		ok((z.ptr[10] & 6) == 0 && len1 > 0 && len1 < plain.len && 15 + len1 + 5 < z.len,
		   "a level-0 gzip starts with a stored block of %zu bytes", len1);
		z.ptr[15 + len1 + 3] ^= 0x55; /* the second block's NLEN */
		for (i = 0; i < len1; i++)
			want += plain.ptr[i] == '\n';
		for (i = 0; i < 5; i++) {
			run(z.ptr, z.len, cc[i], &g);
			for (k = 0, gzrej[i] = 0; k < g.nrej; k++)
				gzrej[i] += strstr(g.rej[k].msg, "gzip") != NULL;
			nev[i] = g.nev;
			for (k = 0; k < g.nev; k++)
				if (strcmp(g.ev[k].raw, EV[k % NEV]) || g.ev[k].record != k + 1)
					exact = 0;
			if (gzrej[i] || g.nrej || g.rc != WDN_EIO || !strstr(g.err, "corrupt gzip")) {
				printf("#   fed in chunks of %zu: %zu rejects, %zu of them gzip, rc %d (%s)\n",
				       cc[i], g.nrej, gzrej[i], g.rc, g.err);
				all_one = 0;
			}
			if (nev[i] != want) {
				printf("#   fed in chunks of %zu: %zu events, want %zu\n", cc[i], nev[i], want);
				same_events = 0;
			}
			got_release(&g);
		}
		ok(exact, "damaged gzip: the events delivered are exact");
		ok(same_events, "damaged gzip: every event before the damage delivered, whatever the feeding");
		ok(all_one, "damaged gzip: the input fails as corrupt, whatever the feeding");
	}
	wdn_buf_release(&z);
	wdn_buf_release(&plain);
}

static void test_deep(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;
	int i;

	for (i = 0; i < 100000; i++)
		wdn_buf_addc(&b, '[');
	wdn_buf_addf(&b, "\n%s\n", EV[0]);
	run(b.ptr, b.len, 0, &g);
	/* the outer array is a list of records, so record 1 is also "an array,
	 * not an event object": one or two rejects, all of record 1 on line 1 */
	ok(g.rc == 0 && g.nrej >= 1 && g.nrej <= 2 && has_msg(&g, g.nrej - 1, "deeper"),
	   "100000 nested arrays: rejected as too deep");
	ok(g.nrej >= 1 && g.rej[0].record == 1 && g.rej[0].line == 1 &&
	   g.rej[g.nrej - 1].record == 1 && g.rej[g.nrej - 1].line == 1, "too deep: record 1, line 1");
	ok(g.nev == 1 && !strcmp(g.ev[0].raw, EV[0]) && g.ev[0].record == 2, "the next line still delivered");
	run(b.ptr, b.len, 1000, &h);
	ok(same(&g, &h), "too deep, in 1000-byte chunks: the same");
	got_release(&h);
	got_release(&g);

	wdn_buf_reset(&b);
	for (i = 0; i < 100000; i++)
		wdn_buf_adds(&b, "{\"a\":");
	wdn_buf_addf(&b, "\n%s\n", EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 1 && g.nev == 1 && !strcmp(g.ev[0].raw, EV[1]),
	   "100000 nested objects: one reject, the next line delivered");
	got_release(&g);

	/* deep inside an event that also closes */
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "{\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"x\":");
	for (i = 0; i < 100000; i++)
		wdn_buf_addc(&b, '[');
	for (i = 0; i < 100000; i++)
		wdn_buf_addc(&b, ']');
	wdn_buf_addf(&b, "}\n%s\n", EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 1 && g.nev == 1 && !strcmp(g.ev[0].raw, EV[2]),
	   "an event nested 100000 deep inside: rejected, the next line delivered");
	got_release(&g);

	/* depth within the limit is fine */
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "{\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"x\":");
	/* the event is level 1: WDN_MAX_DEPTH - 1 more levels inside it */
	for (i = 0; i < WDN_MAX_DEPTH - 1; i++)
		wdn_buf_addc(&b, '[');
	for (i = 0; i < WDN_MAX_DEPTH - 1; i++)
		wdn_buf_addc(&b, ']');
	wdn_buf_adds(&b, "}\n");
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 0 && g.nev == 1, "an event nested exactly WDN_MAX_DEPTH deep is fine");
	got_release(&g);

	/* one more level is a record too deep */
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "{\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"x\":");
	for (i = 0; i < WDN_MAX_DEPTH; i++)
		wdn_buf_addc(&b, '[');
	for (i = 0; i < WDN_MAX_DEPTH; i++)
		wdn_buf_addc(&b, ']');
	wdn_buf_adds(&b, "}\n");
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 1 && g.nev == 0, "one level deeper is rejected");
	got_release(&g);
	wdn_buf_release(&b);
}

/* EV[0], one bad line, EV[1]: the bad line rejected as line 2, record 2,
 * the next delivered exact as record 3, and the same fed byte by byte. */
static void bad_middle_line(const char *bad, size_t n, const char *what)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;

	wdn_buf_addf(&b, "%s\n", EV[0]);
	wdn_buf_add(&b, bad, n);
	wdn_buf_addf(&b, "\n%s\n", EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nev == 2 && g.nrej == 1, "%s: rejected, good lines delivered", what);
	ok(g.nrej == 1 && g.rej[0].line == 2 && g.rej[0].record == 2, "%s: line 2, record 2", what);
	ok(g.nev == 2 && g.ev[1].record == 3 && !strcmp(g.ev[1].raw, EV[1]), "%s: the line after, record 3, exact",
	   what);
	run(b.ptr, b.len, 1, &h);
	ok(same(&g, &h), "%s byte by byte: the same", what);
	got_release(&h);
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_utf8_nul(void)
{
	static const char bad_utf8[] = "{\"eventName\":\"Assume\xff\xfeRole\",\"eventSource\":\"sts.amazonaws.com\","
				       "\"eventTime\":\"2021-07-03T23:12:09Z\"}";
	static const char nul_rec[] = "{\"eventName\":\"a\0b\",\"eventSource\":\"sts.amazonaws.com\","
				      "\"eventTime\":\"2021-07-03T23:12:09Z\"}";
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;

	bad_middle_line(bad_utf8, sizeof(bad_utf8) - 1, "invalid UTF-8 in a string");
	bad_middle_line(nul_rec, sizeof(nul_rec) - 1, "a NUL byte in a string");
	bad_middle_line("\0\0\0", 3, "a line of NUL bytes");

	/* a lone continuation byte */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{\"eventName\":\"\x80\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}\n%s\n", EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 1 && g.nrej == 1 && !strcmp(g.ev[0].raw, EV[2]), "a lone UTF-8 continuation byte: rejected");
	got_release(&g);

	/* an overlong encoding of '/' (RFC 3629: invalid UTF-8) */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{\"eventName\":\"\xc0\xaf\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}\n%s\n", EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 1 && g.nrej == 1 && !strcmp(g.ev[0].raw, EV[2]),
	   "an overlong UTF-8 sequence (C0 AF): rejected, not delivered as an event");
	got_release(&g);

	/* a file that starts with NUL bytes (a zeroed block) */
	wdn_buf_reset(&b);
	wdn_buf_add(&b, "\0\0\0\0\0\0\0\0", 8);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 1, "a file of NUL bytes: one reject");
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_types(void)
{
	static const char *const bad[] = {
		"{\"eventName\":5,\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}",
		"{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":{\"a\":1}}",
		"{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"userIdentity\":{\"accessKeyId\":[\"ASIA\"]}}",
		"{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"userIdentity\":{\"sessionContext\":{\"sessionIssuer\":{\"arn\":true}}}}",
		"{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"errorCode\":403}",
		"{\"eventName\":[\"X\"],\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}",
	};
	static const char *const what[] = {
		"eventName", "eventTime", "userIdentity.accessKeyId", "userIdentity.sessionContext.sessionIssuer.arn",
		"errorCode", "eventName",
	};
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wdn_buf_reset(&b);
		wdn_buf_addf(&b, "%s\n%s\n%s\n", EV[0], bad[i], EV[1]);
		run(b.ptr, b.len, 0, &g);
		ok(g.rc == 0 && g.nev == 2 && g.nrej == 1 && g.rej[0].record == 2 && has_msg(&g, 0, what[i]) &&
		   has_msg(&g, 0, "not a string"),
		   "%s of the wrong type: rejected as record 2 naming the field (%s)", what[i],
		   g.nrej ? g.rej[0].msg : "");
		ok(g.nev == 2 && g.ev[1].record == 3 && !strcmp(g.ev[1].raw, EV[1]), "and the event after it is delivered");
		got_release(&g);
	}

	/* null counts as absent */
	{
		static const char nul_time[] = "{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":null}";

		run(nul_time, sizeof(nul_time) - 1, 0, &g);
	}
	ok(g.nev == 0 && g.nrej == 1 && has_msg(&g, 0, "eventTime"), "a null eventTime is a missing eventTime");
	got_release(&g);

	/* a null optional field is just absent */
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\","
		     "\"errorCode\":null,\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"ec2.amazonaws.com\",\"accessKeyId\":\"\"}}");
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 1 && g.nrej == 0, "a null errorCode: still an event");
	if (g.nev == 1) {
		ok(g.ev[0].f[WDN_F_ERROR_CODE] == NULL, "a null errorCode is absent");
		is_str(g.ev[0].f[WDN_F_UI_INVOKED_BY], "ec2.amazonaws.com", "userIdentity.invokedBy");
		is_str(g.ev[0].f[WDN_F_UI_KEY], "", "an empty accessKeyId is present and empty");
	}
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_s3_notification(void)
{
	static const char s3[] =
		"{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-1\","
		"\"eventTime\":\"2021-07-03T23:12:09.123Z\",\"eventName\":\"ObjectCreated:Put\","
		"\"userIdentity\":{\"principalId\":\"AWS:AIDAEXAMPLE\"},\"requestParameters\":{\"sourceIPAddress\":\"203.0.113.1\"},"
		"\"responseElements\":{\"x-amz-request-id\":\"C3D13FE58DE4C810\"},\"s3\":{\"s3SchemaVersion\":\"1.0\","
		"\"configurationId\":\"c\",\"bucket\":{\"name\":\"b\",\"arn\":\"arn:aws:s3:::b\"},"
		"\"object\":{\"key\":\"AWSLogs/x.json.gz\",\"size\":1024}}}]}";
	struct got g;

	run(s3, sizeof(s3) - 1, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 1, "an S3 event notification: no event, one reject");
	ok(has_msg(&g, 0, "S3 event notification"), "the reject says what it is (%s)", g.nrej ? g.rej[0].msg : "");
	ok(g.nrej == 1 && g.rej[0].record == 1 && g.rej[0].line == 1, "S3 notification: record 1, line 1");
	got_release(&g);
}

static void test_huge(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;
	size_t i, huge = 20u << 20;

	/* a 20 MB string in an event on line 1, a good event on line 2 */
	wdn_buf_adds(&b, "{\"eventName\":\"X\",\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"userAgent\":\"");
	if (wdn_buf_grow(&b, huge + 4096)) {
		ok(0, "no memory for a %zu-byte input", huge);
		wdn_buf_release(&b);
		return;
	}
	memset(b.ptr + b.len, 'a', huge);
	wdn_buf_setlen(&b, b.len + huge);
	wdn_buf_addf(&b, "\"}\n%s\n", EV[0]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 1 && has_msg(&g, 0, "larger than"), "a 20 MB string: the record is rejected as too large");
	ok(g.nrej == 1 && g.rej[0].record == 1 && g.rej[0].line == 1, "too large: record 1, line 1");
	ok(g.nrej == 1 && g.rej[0].rawlen <= WDN_MAX_RECORD + (1u << 20), "too large: what is held of it stays bounded");
	ok(g.nev == 1 && !strcmp(g.ev[0].raw, EV[0]) && g.ev[0].record == 2, "the next line is delivered, record 2");
	run(b.ptr, b.len, 65536, &h);
	ok(same(&g, &h), "a 20 MB string in 64 KB chunks: the same");
	got_release(&h);
	got_release(&g);

	/* the huge string in a field the reader keeps */
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "{\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\",\"eventName\":\"");
	if (wdn_buf_grow(&b, huge + 4096)) {
		ok(0, "no memory for a %zu-byte input", huge);
		wdn_buf_release(&b);
		return;
	}
	memset(b.ptr + b.len, 'n', huge);
	wdn_buf_setlen(&b, b.len + huge);
	wdn_buf_addf(&b, "\"}\n%s\n", EV[1]);
	run(b.ptr, b.len, 1 << 20, &g);
	ok(g.rc == 0 && g.nrej == 1 && g.nev == 1 && !strcmp(g.ev[0].raw, EV[1]),
	   "a 20 MB eventName: rejected, the next line delivered");
	got_release(&g);

	/* a 20 MB top-level string, no object at all */
	wdn_buf_reset(&b);
	wdn_buf_addc(&b, '"');
	if (wdn_buf_grow(&b, huge + 4096)) {
		ok(0, "no memory for a %zu-byte input", huge);
		wdn_buf_release(&b);
		return;
	}
	memset(b.ptr + b.len, 's', huge);
	wdn_buf_setlen(&b, b.len + huge);
	wdn_buf_addf(&b, "\"\n%s\n", EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 1 && g.nev == 1 && !strcmp(g.ev[0].raw, EV[2]),
	   "a 20 MB top-level string: one reject, the next line delivered");
	got_release(&g);

	/* a 20 MB line of whitespace is no record */
	wdn_buf_reset(&b);
	if (wdn_buf_grow(&b, huge + 4096)) {
		ok(0, "no memory for a %zu-byte input", huge);
		wdn_buf_release(&b);
		return;
	}
	for (i = 0; i < huge; i++)
		b.ptr[i] = i % 64 == 63 ? '\n' : ' ';
	wdn_buf_setlen(&b, huge);
	b.ptr[b.len] = '\0';
	wdn_buf_addf(&b, "%s\n", EV[3]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nrej == 0 && g.nev == 1 && !strcmp(g.ev[0].raw, EV[3]),
	   "20 MB of whitespace before an event: no reject, the event delivered");
	got_release(&g);
	wdn_buf_release(&b);
}

static void test_empty_digest(void)
{
	static const char digest[] =
		"{\"awsAccountId\":\"111122223333\",\"digestStartTime\":\"2021-07-03T22:00:00Z\","
		"\"digestEndTime\":\"2021-07-03T23:00:00Z\",\"digestS3Bucket\":\"trail\","
		"\"digestS3Object\":\"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2021/07/03/x.json.gz\","
		"\"digestPublicKeyFingerprint\":\"0123\",\"digestSignatureAlgorithm\":\"SHA256withRSA\","
		"\"newestEventTime\":\"2021-07-03T22:59:59Z\",\"oldestEventTime\":\"2021-07-03T22:00:00Z\","
		"\"previousDigestS3Bucket\":\"trail\",\"previousDigestS3Object\":\"p.json.gz\","
		"\"previousDigestHashValue\":\"00\",\"previousDigestHashAlgorithm\":\"SHA-256\","
		"\"previousDigestSignature\":\"00\",\"logFiles\":[{\"s3Bucket\":\"trail\",\"s3Object\":\"l.json.gz\","
		"\"hashValue\":\"00\",\"hashAlgorithm\":\"SHA-256\",\"newestEventTime\":\"2021-07-03T22:59:59Z\","
		"\"oldestEventTime\":\"2021-07-03T22:00:00Z\"}]}";
	struct wdn_buf z = WDN_BUF_INIT;
	struct got g;
	size_t c;
	int bad = 0;

	run("", 0, 0, &g);
	ok(g.rc == WDN_EIO && g.nev == 0 && g.nrej == 0 && !g.digest && strstr(g.err, "empty input"),
	   "an empty file: the input fails, a copy in progress (%s)", g.err);
	got_release(&g);
	run("\n", 1, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0, "a one-byte file of a newline: nothing");
	got_release(&g);
	run("\n  \r\n\t\n", 7, 1, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0, "whitespace only: nothing");
	got_release(&g);
	run("{", 1, 0, &g);
	ok(g.rc == WDN_EIO && g.nev == 0 && g.nrej == 0, "a one-byte file '{': the input fails, cut short");
	got_release(&g);
	gz_member(&z, "", 0, 6);
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0, "gzip of an empty file: nothing, no rejects");
	got_release(&g);

	run(digest, sizeof(digest) - 1, 0, &g);
	ok(g.rc == 0 && g.nev == 0 && g.nrej == 0 && g.digest == 1, "a digest file: skipped silently, flagged digest");
	got_release(&g);
	wdn_buf_reset(&z);
	gz_member(&z, digest, sizeof(digest) - 1, 6);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		run(z.ptr, z.len, chunks[c], &g);
		bad += !(g.rc == 0 && g.nev == 0 && g.nrej == 0 && g.digest == 1);
		got_release(&g);
		run(digest, sizeof(digest) - 1, chunks[c], &g);
		bad += !(g.rc == 0 && g.nev == 0 && g.nrej == 0 && g.digest == 1);
		got_release(&g);
	}
	is_int(bad, 0, "a digest file, plain and gzip, in every chunking: skipped silently");
	wdn_buf_release(&z);
}

static void test_stop(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;

	json_lines(&b, 0, NEV, "\n");
	memset(&g, 0, sizeof(g));
	g.stop_at = 2;
	run(b.ptr, b.len, 0, &g);
	is_int(g.rc, WDN_EIO, "on_event's code stops the reader and is returned");
	is_int(g.calls, 2, "no event is delivered after the stop");
	got_release(&g);

	g.stop_at = 3;
	run(b.ptr, b.len, 1, &g);
	ok(g.rc == WDN_EIO && g.calls == 3, "stop, fed byte by byte");
	got_release(&g);

	wdn_buf_reset(&b);
	records_file(&b, 0, 4);
	g.stop_at = 4;
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == WDN_EIO && g.calls == 4, "stop at the last event of a log file");
	got_release(&g);
	wdn_buf_release(&b);
}

/* ---- read_fd and the walker ------------------------------------------------ */

static char tmpdir[] = "/tmp/t-reader.XXXXXX";

static void write_file(const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

/* run's whole_mode 2: data in a temporary file, read with wdn_reader_read_fd */
static void run_fd(const void *data, size_t len, struct got *g)
{
	char path[] = "/tmp/t-reader-fd.XXXXXX";
	struct wdn_reader *r;
	struct wdn_err e = { 0 };
	int fd = mkstemp(path), stop = g->stop_at;

	memset(g, 0, sizeof(*g));
	g->stop_at = stop;
	g->rc = WDN_EIO;
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || lseek(fd, 0, SEEK_SET) != 0 ||
	    !(r = wdn_reader_new("input", on_event, on_reject, g))) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		return;
	}
	unlink(path);
	if (careful_mode)
		wdn_reader_careful(r);
	g->rc = wdn_reader_read_fd(r, fd, &e);
	if (g->rc)
		snprintf(g->err, sizeof(g->err), "%s", e.msg);
	close(fd);
	wdn_reader_counts(r, &g->events, &g->rejected, &g->digest);
	wdn_reader_free(r);
}

/*
 * An input given whole (wdn_reader_feed_whole, or a small file through
 * wdn_reader_read_fd) is decoded at once by libdeflate: the verdicts must be
 * the streaming ones whatever the shape: members, junk, truncation, damage.
 */
static void test_whole(void)
{
	struct wdn_buf plain = WDN_BUF_INIT, z = WDN_BUF_INIT, big = WDN_BUF_INIT;
	struct { const char *name; struct wdn_buf b; } c[20];
	size_t nc = 0, i, one;
	struct got g, h;
	int bad, mode, k;

	records_file(&plain, 0, NEV);
	one = plain.len;
	for (k = 0; k < 4000; k++) /* a member larger than the next one's ISIZE says */
		records_file(&big, k % NEV, 1);
#define CASE(nm) (c[nc].name = (nm), c[nc].b = (struct wdn_buf)WDN_BUF_INIT, &c[nc++].b)
	gz_member(CASE("one member"), plain.ptr, one, 6);
	{
		struct wdn_buf *b = CASE("three members, an event cut between them");
		gz_member(b, plain.ptr, one / 3, 1);
		gz_member(b, plain.ptr + one / 3, one / 3, 9);
		gz_member(b, plain.ptr + 2 * (one / 3), one - 2 * (one / 3), 6);
	}
	{
		struct wdn_buf *b = CASE("a large member, then a small one");
		json_lines(&z, 0, NEV, "\n");
		gz_member(b, big.ptr, big.len, 6);
		gz_member(b, z.ptr, z.len, 6);
	}
	{
		struct wdn_buf *b = CASE("a member, then junk");
		gz_member(b, plain.ptr, one, 6);
		wdn_buf_adds(b, "junk after the member\n");
	}
	{
		struct wdn_buf *b = CASE("a member, then 20 zero bytes");
		gz_member(b, plain.ptr, one, 6);
		for (k = 0; k < 20; k++)
			wdn_buf_addc(b, 0);
	}
	{
		struct wdn_buf *b = CASE("a member, then one stray byte 0x1f");
		gz_member(b, plain.ptr, one, 6);
		wdn_buf_addc(b, 0x1f);
	}
	{
		struct wdn_buf *b = CASE("a member, then a member cut in its header");
		size_t first;

		gz_member(b, plain.ptr, one, 6);
		first = b->len;
		gz_member(b, plain.ptr, one, 6);
		wdn_buf_setlen(b, first + 5);
	}
	{
		struct wdn_buf *b = CASE("a member cut before its trailer");
		gz_member(b, plain.ptr, one, 6);
		wdn_buf_setlen(b, b->len - 5);
	}
	{
		struct wdn_buf *b = CASE("a second member cut mid-data");
		gz_member(b, plain.ptr, one / 2, 6);
		gz_member(b, plain.ptr + one / 2, one - one / 2, 6);
		wdn_buf_setlen(b, b->len - 40);
	}
	{
		struct wdn_buf *b = CASE("a wrong CRC in the trailer");
		gz_member(b, plain.ptr, one, 6);
		b->ptr[b->len - 8] ^= 0x55;
	}
	{
		struct wdn_buf *b = CASE("a wrong ISIZE in the trailer");
		gz_member(b, plain.ptr, one, 6);
		b->ptr[b->len - 4] ^= 0x01;
	}
	{
		struct wdn_buf *b = CASE("damaged data mid-member");
		gz_member(b, plain.ptr, one, 0);
		b->ptr[b->len / 2] ^= 0xff;
		b->ptr[13] ^= 0xff; /* a stored block's LEN/NLEN no longer agree */
	}
	{
		/* FHCRC with a header CRC of 0: libdeflate skips it, so whatever
		 * zlib makes of it must stand */
		struct wdn_buf *b = CASE("a header CRC that is wrong");
		gz_member(&z, plain.ptr, one, 6);
		wdn_buf_add(b, z.ptr, 10);
		b->ptr[3] |= 0x02;
		wdn_buf_add(b, "\0\0", 2);
		wdn_buf_add(b, z.ptr + 10, z.len - 10);
	}
	{
		struct wdn_buf *b = CASE("plain JSON lines");
		json_lines(b, 0, NEV, "\n");
	}
	gz_member(CASE("an empty member"), "", 0, 6);
	{
		/* more than is held (4 MB): streamed, from what was held on */
		struct wdn_buf *b = CASE("a member of 6 MB, stored");
		for (k = 0; b->len < (6u << 20); k++)
			gz_member(b, big.ptr, big.len, 0);
	}
	for (mode = 1; mode <= 3; mode++) {
		bad = 0;
		for (i = 0; i < nc; i++) {
			whole_mode = 0;
			run(c[i].b.ptr, c[i].b.len, c[i].b.len > 100000 ? 4096 : 1, &g);
			whole_mode = mode;
			run(c[i].b.ptr, c[i].b.len, 0, &h);
			whole_mode = 0;
			if (!same(&g, &h)) {
				printf("#   %s: streamed rc %d, %zu events, %zu rejects (%s); whole rc %d, %zu events, %zu rejects (%s)\n",
				       c[i].name, g.rc, g.nev, g.nrej, g.err, h.rc, h.nev, h.nrej, h.err);
				bad++;
			}
			got_release(&g);
			got_release(&h);
		}
		is_int(bad, 0, "%s: the verdicts of streaming, for %zu shapes of input",
		       mode == 1 ? "wdn_reader_feed_whole" : mode == 2 ? "wdn_reader_read_fd of a file"
							       : "wdn_reader_feed_held in pieces", nc);
	}
	/* the shapes do what they say, so the comparison means something */
	run(c[0].b.ptr, c[0].b.len, 0, &g);
	ok(g.rc == 0 && g.nev == NEV, "one member: every event");
	got_release(&g);
	run(c[3].b.ptr, c[3].b.len, 0, &g);
	ok(g.rc == 0 && g.nev == NEV && g.nrej == 1, "junk after a member: one rejection");
	got_release(&g);
	run(c[7].b.ptr, c[7].b.len, 0, &g);
	ok(g.rc == WDN_EIO && strstr(g.err, "truncated"), "a cut member: the input fails (%s)", g.err);
	got_release(&g);
	for (i = 0; i < nc; i++)
		wdn_buf_release(&c[i].b);
#undef CASE
	wdn_buf_release(&plain);
	wdn_buf_release(&z);
	wdn_buf_release(&big);
}

static int collect(void *ctx, const char *file)
{
	struct wdn_buf *b = ctx;

	wdn_buf_addf(b, "%s\n", file + strlen(tmpdir));
	return 0;
}

static int stop_second(void *ctx, const char *file)
{
	int *n = ctx;

	(void)file;
	return ++*n == 2 ? 42 : 0;
}

static void test_fd_walk(void)
{
	struct wdn_buf b = WDN_BUF_INIT, z = WDN_BUF_INIT, names = WDN_BUF_INIT;
	struct wdn_reader *r;
	struct wdn_err err;
	struct got g, whole;
	char path[512];
	int fd, rc, n = 0;

	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp");
		return;
	}
	records_file(&b, 0, NEV);
	gz_member(&z, b.ptr, b.len, 6);
	write_file("b.json.gz", z.ptr, z.len);
	run(b.ptr, b.len, 0, &whole);

	snprintf(path, sizeof(path), "%s/b.json.gz", tmpdir);
	fd = open(path, O_RDONLY);
	memset(&g, 0, sizeof(g));
	r = wdn_reader_new("input", on_event, on_reject, &g);
	memset(&err, 0, sizeof(err));
	rc = wdn_reader_read_fd(r, fd, &err);
	wdn_reader_counts(r, &g.events, &g.rejected, &g.digest);
	wdn_reader_free(r);
	close(fd);
	is_int(rc, 0, "read_fd of a gzip file");
	ok(same(&whole, &g), "read_fd gives what feeding gives");
	got_release(&g);
	got_release(&whole);

	r = wdn_reader_new("input", on_event, on_reject, &g);
	memset(&err, 0, sizeof(err));
	is_int(wdn_reader_read_fd(r, -1, &err), WDN_EIO, "read_fd of a bad descriptor: WDN_EIO");
	ok(err.msg[0] != '\0', "read_fd failure says why: %s", err.msg);
	wdn_reader_free(r);
	wdn_reader_free(NULL);

	/* the walker: name order, recursive, files only */
	write_file("a.json", "{}", 2);
	snprintf(path, sizeof(path), "%s/c", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/c/d", tmpdir);
	mkdir(path, 0700);
	write_file("c/d/z.json", "{}", 2);
	write_file("c/y.json", "{}", 2);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	mkdir(path, 0700);
	memset(&err, 0, sizeof(err));
	rc = wdn_input_walk(tmpdir, collect, &names, &err);
	is_int(rc, 0, "walk a directory");
	is_str(names.ptr, "/a.json\n/b.json.gz\n/c/d/z.json\n/c/y.json\n", "walk: files only, in name order, recursively");
	wdn_buf_reset(&names);
	snprintf(path, sizeof(path), "%s/", tmpdir);
	wdn_input_walk(path, collect, &names, &err);
	is_str(names.ptr, "/a.json\n/b.json.gz\n/c/d/z.json\n/c/y.json\n", "walk with a trailing slash: no double slash");
	wdn_buf_reset(&names);
	snprintf(path, sizeof(path), "%s/c/y.json", tmpdir);
	wdn_input_walk(path, collect, &names, &err);
	is_str(names.ptr, "/c/y.json\n", "walk of a file: the file");
	is_int(wdn_input_walk(tmpdir, stop_second, &n, &err), 42, "walk stops when the callback says so");
	is_int(n, 2, "walk: no call after the stop");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	memset(&err, 0, sizeof(err));
	is_int(wdn_input_walk(path, collect, &names, &err), WDN_EIO, "walk of a missing path: WDN_EIO");
	ok(strstr(err.msg, "missing") != NULL, "walk error names the path: %s", err.msg);

	rm_rf(tmpdir);
	wdn_buf_release(&b);
	wdn_buf_release(&z);
	wdn_buf_release(&names);
}

/* ---- real trails ---------------------------------------------------------- */

/* Every real CloudTrail file: as many events as yajl finds records, each raw
 * span parses to the record with the same eventID, nothing rejected. */
static void test_real(void)
{
	const char *td = getenv("WDN_TESTDATA");
	char dir[1024], path[1400];
	struct dirent **names;
	int n, i, files = 0, bad = 0;
	size_t total = 0;

	snprintf(dir, sizeof(dir), "%s/invictus-ir-aws_dataset/CloudTrail", td ? td : "../shared/testdata");
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		skip("no invictus-ir-aws_dataset in the test data");
		return;
	}
	for (i = 0; i < n; i++) {
		struct wdn_buf b = WDN_BUF_INIT;
		char tmp[65536];
		size_t k, m;
		yajl_val tree, recs;
		struct got g;
		FILE *f;

		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (!(f = fopen(path, "rb")))
			continue;
		while ((m = fread(tmp, 1, sizeof(tmp), f)) > 0)
			wdn_buf_add(&b, tmp, m);
		fclose(f);
		files++;
		tree = yajl_tree_parse(b.ptr, NULL, 0);
		{
			const char *p[] = { "Records", NULL };

			recs = tree ? yajl_tree_get(tree, p, yajl_t_array) : NULL;
		}
		run(b.ptr, b.len, files % 2 ? 0 : 1000, &g);
		if (!recs || g.nrej || g.rc || g.nev != recs->u.array.len) {
			printf("# %s: %zu events, %zu rejects\n", path, g.nev, g.nrej);
			bad++;
		} else {
			for (k = 0; k < g.nev; k++) {
				yajl_val one = yajl_tree_parse(g.ev[k].raw, NULL, 0);
				const char *id[] = { "eventID", NULL };
				yajl_val a = one ? yajl_tree_get(one, id, yajl_t_string) : NULL;
				yajl_val e = yajl_tree_get(recs->u.array.values[k], id, yajl_t_string);

				if (!a || !e || strcmp(a->u.string, e->u.string) || g.ev[k].record != k + 1) {
					bad++;
					k = g.nev;
				}
				yajl_tree_free(one);
			}
			total += g.nev;
		}
		got_release(&g);
		yajl_tree_free(tree);
		wdn_buf_release(&b);
	}
	free(names);
	ok(files > 0 && !bad, "%d real CloudTrail files, %zu events: every record delivered whole and in order", files, total);
}


/* ---- verdicts: an input not read whole fails; one record never hides the rest */

/* Cut input at every offset from 1 to its length less one, fed whole and in
 * 7-byte pieces: a cut inside a value fails the input (WDN_EIO, "truncated"),
 * a cut at a value's end does not; no cut is ever a rejected record. Returns
 * how many cuts went wrong. */
static int cuts(const char *what, const char *in, size_t len, int is_boundary(const char *, size_t))
{
	struct got g;
	size_t n;
	int bad = 0, k;

	for (n = 1; n < len; n++) {
		int want_fail = !is_boundary(in, n);

		for (k = 0; k < 2; k++) {
			run(in, n, k ? 7 : 0, &g);
			if (g.nrej || (want_fail ? g.rc != WDN_EIO || !strstr(g.err, "truncated") : g.rc != 0)) {
				if (bad++ < 3) {
					printf("#   %s cut at %zu of %zu (%s):\n", what, n, len,
					       want_fail ? "want a failure" : "want none");
					dump(&g);
				}
			}
			got_release(&g);
		}
	}
	return bad;
}

/* JSON lines: a cut just after a line's closing brace or its newline is a
 * whole input of fewer lines. */
static int lines_boundary(const char *p, size_t n)
{
	return p[n - 1] == '\n' || (p[n - 1] == '}' && p[n] == '\n');
}

/* One document: only its end (or trailing white space) is whole. */
static size_t doc_end;
static int doc_boundary(const char *p, size_t n)
{
	(void)p;
	return n >= doc_end;
}

/* gzip: no cut short of the whole stream is whole. */
static int never_boundary(const char *p, size_t n)
{
	(void)p;
	(void)n;
	return 0;
}

static void test_truncation(void)
{
	struct wdn_buf b = WDN_BUF_INIT, z = WDN_BUF_INIT;
	struct got g;
	size_t i;

	json_lines(&b, 0, 3, "\n");
	is_int(cuts("JSON lines", b.ptr, b.len, lines_boundary), 0,
	       "JSON lines cut at each of %zu offsets: inside a line fails the input, between lines not", b.len);
	wdn_buf_reset(&b);
	records_file(&b, 0, 3);
	wdn_buf_adds(&b, "\n");
	doc_end = b.len - 1;
	is_int(cuts("log file", b.ptr, b.len, doc_boundary), 0,
	       "a log file cut at each of %zu offsets (in a string, after a comma, in Records): fails", b.len);
	wdn_buf_reset(&b);
	wdn_buf_adds(&b, "[\n  ");
	wdn_buf_adds(&b, EV[4]);
	wdn_buf_adds(&b, ",\n  ");
	wdn_buf_adds(&b, EV[5]);
	wdn_buf_adds(&b, "\n]");
	doc_end = b.len;
	is_int(cuts("pretty array", b.ptr, b.len, doc_boundary), 0,
	       "a pretty array of events cut at each of %zu offsets: fails", b.len);

	/* gzip: in the header, in the deflate body, before the trailer */
	wdn_buf_reset(&b);
	json_lines(&b, 0, 4, "\n");
	gz_member(&z, b.ptr, b.len, 6);
	is_int(cuts("gzip", z.ptr, z.len, never_boundary), 0,
	       "gzip cut at each of %zu offsets (header, body, trailer): fails", z.len);
	run(z.ptr, z.len - 4, 0, &g);
	ok(g.rc == WDN_EIO && g.nev == 4 && strstr(g.err, "trailer"),
	   "gzip without the last 4 bytes: every event decoded, still a failure (%s)", g.err);
	got_release(&g);
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nev == 4 && g.nrej == 0, "the whole gzip: 4 events, no failure");
	got_release(&g);

	/* a bad record in the middle is still a rejection, and the rest goes on */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%s\n{\"eventName\":\"x\",\n%s\n{\"a\":[1,2}\n%s", EV[0], EV[1], EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nev == 3 && g.nrej == 2, "bad lines in the middle: rejected, not a failure");
	got_release(&g);

	/* trailing junk after a whole gzip member: rejected, the member kept */
	wdn_buf_reset(&z);
	wdn_buf_reset(&b);
	json_lines(&b, 0, 2, "\n");
	gz_member(&z, b.ptr, b.len, 6);
	for (i = 0; i < 8; i++)
		wdn_buf_addc(&z, "junk\0\0\0\0"[i]);
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nev == 2 && g.nrej == 1, "junk after a whole gzip member: rejected, not a failure");
	got_release(&g);
	z.len -= 8;
	wdn_buf_addc(&z, '\n');
	run(z.ptr, z.len, 0, &g);
	ok(g.rc == 0 && g.nev == 2 && g.nrej == 1, "one stray byte after a gzip member: rejected");
	got_release(&g);
	z.ptr[z.len - 1] = 0x1f;
	run(z.ptr, z.len, 1, &g);
	ok(g.rc == WDN_EIO && g.nev == 2 && g.nrej == 0, "a next member cut after its first byte: fails (%s)",
	   g.err);
	got_release(&g);
	wdn_buf_release(&b);
	wdn_buf_release(&z);
}

static const char digest_value[] =
	"{\"awsAccountId\":\"111122223333\",\"digestStartTime\":\"2021-07-03T22:00:00Z\","
	"\"digestEndTime\":\"2021-07-03T23:00:00Z\",\"logFiles\":[]}";

static void test_digest_position(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;
	int pos;

	/* first: a digest file; what follows it is still read */
	wdn_buf_addf(&b, "%s\n%s\n%s\n", digest_value, EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.digest && g.nrej == 0 && g.nev == 2 && g.ev[0].record == 1 && g.ev[1].line == 3,
	   "a digest first: a digest file, the events after it still delivered");
	got_release(&g);

	/* at line 2, in the middle, last: one rejected record, nothing hidden */
	for (pos = 1; pos <= 3; pos++) {
		int i, n = 0;

		wdn_buf_reset(&b);
		for (i = 0; i < 4; i++) {
			if (i == pos)
				wdn_buf_addf(&b, "%s\n", digest_value);
			else
				wdn_buf_addf(&b, "%s\n", EV[n++]);
		}
		run(b.ptr, b.len, pos == 2 ? 1 : 0, &g);
		ok(!g.digest && g.nev == 3 && g.nrej == 1 && g.rej[0].record == (uint64_t)pos + 1 &&
		   g.rej[0].line == (uint64_t)pos + 1 && has_msg(&g, 0, "digest"),
		   "a digest-like record at line %d of 4: rejected as record/line %d, 3 events kept",
		   pos + 1, pos + 1);
		if (g.nev != 3 || g.nrej != 1)
			dump(&g);
		got_release(&g);
	}

	/* an event with a digest member, and a digest carrying event members */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%s\n{\"eventName\":\"AssumeRole\",\"digestStartTime\":\"x\",\"eventSource\":"
		     "\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}\n%s\n", EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 2 && g.nrej == 1 && g.rej[0].line == 2 && !g.digest,
	   "an event with a digestStartTime member at line 2: rejected, the next line kept");
	got_release(&g);
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{\"digestStartTime\":\"x\",\"eventName\":\"AssumeRole\"}\n%s\n", EV[0]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 1 && g.nrej == 1 && g.rej[0].line == 1, "a first value both digest and event: rejected");
	got_release(&g);

	/* a digest after a rejected first line or a scalar is no digest file */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "garbage\n%s\n%s\n", digest_value, EV[0]);
	run(b.ptr, b.len, 0, &g);
	ok(!g.digest && g.nev == 1 && g.nrej == 2 && g.rej[1].line == 2 && has_msg(&g, 1, "digest"),
	   "a digest after a bad first line: rejected, line 2");
	got_release(&g);
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "42 %s\n%s\n", digest_value, EV[0]);
	run(b.ptr, b.len, 0, &g);
	ok(!g.digest && g.nev == 1 && g.nrej == 2, "a digest after a scalar: rejected");
	got_release(&g);

	/* Records in a later line, and an event that also holds Records */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%s\n{\"Records\":[%s,%s]}\n%s\n", EV[0], EV[1], EV[2], EV[3]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == 0 && g.nev == 4 && g.nrej == 0 && g.ev[3].line == 3,
	   "a log file on line 2 of JSON lines: its events and the line after it");
	got_release(&g);
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%s\n{\"eventName\":\"AssumeRole\",\"Records\":[%s]}\n%s\n", EV[0], EV[1], EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 3 && g.nrej == 1 && g.rej[0].line == 2 && has_msg(&g, 0, "also an event"),
	   "an event that also holds Records: named as rejected, nothing else lost");
	if (g.nev != 3 || g.nrej != 1)
		dump(&g);
	got_release(&g);
	wdn_buf_release(&b);
}

/* An event whose requestParameters hold n more elements, as an array or object. */
static void big_event(struct wdn_buf *b, size_t n, int object)
{
	size_t i;

	wdn_buf_adds(b, "{\"eventName\":\"AssumeRole\",\"eventSource\":\"sts.amazonaws.com\","
		     "\"eventTime\":\"2021-07-03T23:12:09Z\",\"requestParameters\":");
	wdn_buf_addc(b, object ? '{' : '[');
	for (i = 0; i < n; i++) {
		if (i)
			wdn_buf_addc(b, ',');
		if (object)
			wdn_buf_addf(b, "\"k%zu\":0", i);
		else
			wdn_buf_addc(b, '0');
	}
	wdn_buf_adds(b, object ? "}}" : "]}");
}

static void test_element_cap(void)
{
	static const struct { size_t n; int object, over; const char *what; } cases[] = {
		{ WDN_MAX_ELEMENTS - 100, 0, 0, "an array just under the bound" },
		{ WDN_MAX_ELEMENTS, 0, 1, "an array of exactly the bound (plus the event's own)" },
		{ 4 * WDN_MAX_ELEMENTS, 0, 1, "an array of four times the bound" },
		{ WDN_MAX_ELEMENTS / 2 - 100, 1, 0, "an object just under the bound (keys count)" },
		{ WDN_MAX_ELEMENTS / 2 + 10, 1, 1, "an object just over the bound (keys count)" },
	};
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g, h;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wdn_buf_reset(&b);
		wdn_buf_addf(&b, "%s\n", EV[0]);
		big_event(&b, cases[i].n, cases[i].object);
		wdn_buf_addf(&b, "\n%s\n", EV[1]);
		run(b.ptr, b.len, 0, &g);
		if (cases[i].over)
			ok(g.rc == 0 && g.nev == 2 && g.nrej == 1 && g.rej[0].record == 2 && g.rej[0].line == 2 &&
			   has_msg(&g, 0, "values and keys"),
			   "%s: rejected as record 2, line 2, its neighbours kept", cases[i].what);
		else
			ok(g.rc == 0 && g.nev == 3 && g.nrej == 0, "%s: delivered", cases[i].what);
		if (i == 2) {
			run(b.ptr, b.len, 4096, &h);
			ok(same(&g, &h), "%s, fed 4 KB at a time: the same", cases[i].what);
			got_release(&h);
		}
		got_release(&g);
	}
	/* the tree parser refuses the same shapes before building anything */
	wdn_buf_reset(&b);
	big_event(&b, 4 * WDN_MAX_ELEMENTS, 0);
	{
		struct wdn_err e = { 0 };
		wdn_json v = wdn_json_parse_bounded(b.ptr, b.len, WDN_MAX_ELEMENTS, &e);

		ok(!v && e.code == WDN_ETOOBIG, "wdn_json_parse_bounded refuses 4x the bound: %s", e.msg);
		wdn_json_free(v);
		v = wdn_json_parse_bounded(EV[0], strlen(EV[0]), WDN_MAX_ELEMENTS, &e);
		ok(v != NULL, "and takes a real event");
		wdn_json_free(v);
	}
	wdn_buf_release(&b);
}

/* Events carry the line they start on, in every form. */
static void test_event_lines(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct got g;

	wdn_buf_addf(&b, "\n\n%s\n\n%s\n%s\n", EV[0], EV[1], EV[2]);
	run(b.ptr, b.len, 1, &g);
	ok(g.nev == 3 && g.ev[0].line == 3 && g.ev[1].line == 5 && g.ev[2].line == 6,
	   "JSON lines with blank lines: events on lines 3, 5, 6");
	got_release(&g);
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{\n  \"Records\": [\n    %s,\n\n    %s\n  ]\n}\n", EV[0], EV[1]);
	run(b.ptr, b.len, 0, &g);
	ok(g.nev == 2 && g.ev[0].line == 3 && g.ev[1].line == 5, "a pretty log file: events on lines 3 and 5");
	got_release(&g);
	wdn_buf_release(&b);
}

/* A bad record of kind k (0 invalid JSON in a string, 1 too deep, 2 too big);
 * its strings hold brackets and separators that must not end it early. */
static void bad_record(struct wdn_buf *b, int k)
{
	int i;

	wdn_buf_adds(b, "{\"eventName\":\"a},{\\\"x\\\":\\\"]\",\"y\":\"[\\\\\",\"z\":");
	if (k == 0) {
		wdn_buf_adds(b, "\"raw\ttab\"");
	} else if (k == 1) {
		for (i = 0; i < 300; i++)
			wdn_buf_addc(b, '[');
		for (i = 0; i < 300; i++)
			wdn_buf_addc(b, ']');
	} else {
		char pad[980];

		memset(pad, 'x', sizeof(pad)); /* about 1 KB a piece, past the cap in all */
		wdn_buf_addc(b, '"');
		for (i = 0; i < (int)(WDN_MAX_RECORD / 1024) + 64; i++) {
			wdn_buf_adds(b, "},{\"eventVersion\":\"1.08\"} ");
			wdn_buf_add(b, pad, sizeof(pad));
		}
		wdn_buf_addc(b, '"');
	}
	wdn_buf_addc(b, '}');
}

/* A bad record in a one-line log file or a top-level array costs only itself. */
static void test_bad_in_array(void)
{
	static const char *const kinds[] = { "invalid JSON in a string", "too deep", "too big" };
	static const size_t few[] = { 0, 7, 65537 };
	const int n = 12, at[] = { 1, 2, 6, 12 };
	struct wdn_buf b = WDN_BUF_INIT, z = WDN_BUF_INIT;
	struct got g;
	int k, a, arr, gz, i, bad;
	size_t c;

	for (k = 0; k < 3; k++)
		for (arr = 0; arr < 2; arr++)
			for (a = 0; a < 4; a++) {
				wdn_buf_reset(&b);
				wdn_buf_adds(&b, arr ? "[" : "{\"Records\":[");
				for (i = 1; i <= n; i++) {
					if (i > 1)
						wdn_buf_adds(&b, i % 2 ? "," : " , ");
					if (i == at[a])
						bad_record(&b, k);
					else
						wdn_buf_adds(&b, EV[i % NEV]);
				}
				wdn_buf_adds(&b, arr ? "]\n" : "]}\n");
				wdn_buf_reset(&z);
				gz_member(&z, b.ptr, b.len, 1);
				bad = 0;
				for (gz = 0; gz < 2; gz++)
					for (c = 0; c < (k == 2 ? 3 : sizeof(chunks) / sizeof(chunks[0])); c++) {
						size_t ch = k == 2 ? few[c] : chunks[c];

						run(gz ? z.ptr : b.ptr, gz ? z.len : b.len, ch, &g);
						if (!(g.rc == 0 && g.nev == (size_t)n - 1 && g.nrej == 1 &&
						      g.rej[0].record == (uint64_t)at[a] &&
						      g.ev[n - 2].record == (uint64_t)(at[a] == n ? n - 1 : n) &&
						      !strcmp(g.ev[n - 2].raw, EV[(at[a] == n ? n - 1 : n) % NEV]))) {
							if (!bad++) {
								printf("# gz %d chunk %zu: rc %d %s\n", gz, ch, g.rc, g.err);
								dump(&g);
							}
						}
						got_release(&g);
					}
				is_int(bad, 0, "%s, record %d of %d %s: only it is lost, plain and gzip, every chunking",
				       arr ? "an array" : "a log file", at[a], n, kinds[k]);
			}

	/* when the bad record's end cannot be found, the input fails, saying so */
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "{\"Records\":[%s,{\"eventVersion\":\"1.08\",\"x\":[[[{\t%s]}\n", EV[1], EV[2]);
	run(b.ptr, b.len, 0, &g);
	ok(g.rc == WDN_EIO && g.nev == 1 && strstr(g.err, "record 2: ") &&
	   strstr(g.err, "the rest of the input ("),
	   "a bad record without an end: the input fails (%s)", g.err);
	got_release(&g);
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "[%s,{\"a\":\"\t\"} x %s]\n", EV[1], EV[2]);
	run(b.ptr, b.len, 1, &g);
	ok(g.rc == WDN_EIO && g.nev == 1 && strstr(g.err, "cannot be read"),
	   "junk after a bad record: the input fails (%s)", g.err);
	got_release(&g);
	wdn_buf_release(&b);
	wdn_buf_release(&z);
}

/*
 * The fast path (simdjson, for a whole input) against the streaming parse
 * alone, on the same bytes: the same events (records, lines, bytes, fields),
 * rejects and verdicts for every shape, the odd ones included, which the
 * fast path leaves to the streaming parse from the start; and what it says
 * of each event's text (compact, a forged whodunnit) is so.
 */
static const char *const fast_odd[] = {
	/* each is put in a log file as one record among good ones: %s is where */
	"{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"eventTime\":\"2021-07-03T23:12:09Z\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventTime\":\"2021-07-03T23:12:09Z\"}",
	"{\"eventSource\":\"sts.example.com\",\"eventName\":\"X\",\"eventTime\":\"2021-07-03T23:12:09Z\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":7,\"eventTime\":\"2021-07-03T23:12:09Z\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":{\"a\":1},\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":[\"a\"],\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventName\":null,\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventName\":\"B\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"userIdentity\":\"x\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"userIdentity\":[{\"arn\":\"no\"}]}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"userIdentity\":{\"arn\":\"a1\",\"type\":\"T\"},"
	"\"userIdentity\":{\"arn\":\"a2\",\"sessionContext\":{\"sessionIssuer\":{\"arn\":\"i\"}}}}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"userIdentity\":{\"sessionContext\":{\"sessionIssuer\":{\"arn\":5}}}}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\\u00e9\\n\\\"\\/\\ud83d\\ude00\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\\u0000B\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\\ud800\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\xc3\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\xc0\xaf\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\xed\xa0\x80\",\"eventTime\":\"t\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"detail\":{}}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"detail-type\":\"x\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"digestStartTime\":\"x\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"Records\":[{}]}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"n\":[1e999,-0,1.5E+3,123456789012345678901234567890]}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"whodunnit\":1}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"WhoDunnit\":1}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"\\u0077hodunnit\":1}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"whodunnit\\u0000x\":1}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":{\"whodunnit\":1}}",
	"{ \"eventSource\" : \"sts.amazonaws.com\",\n\"eventName\":\"A\",\r\n\t\"eventTime\":\"t\" }",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"s\":\"a b\\t{[,:\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"e\":{},\"a\":[],\"b\":[[],{}]}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":tru}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":01}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":\"a\x01\"}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\f\"x\":1}",
	"{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",}",
	"[1]", "\"str\"", "null", "{}", "{\"a\":1", "",
};

static void fast_case(struct wdn_buf *b, const char *before, const char *rec, const char *after)
{
	wdn_buf_reset(b);
	wdn_buf_adds(b, before);
	wdn_buf_addf(b, "%s,%s%s%s,%s", EV[0], rec, *rec ? "," : "", EV[1], EV[2]);
	wdn_buf_adds(b, after);
}

/* 1 if fast and careful agree on text (plain, gzip; every whole mode). */
static int fast_same(const char *what, const char *text, size_t len, int *fast_seen)
{
	struct wdn_buf z = WDN_BUF_INIT;
	struct got a, c;
	int gz, mode, good = 1;
	size_t i;

	gz_member(&z, text, len, 6);
	for (gz = 0; gz < 2; gz++) {
		for (mode = 1; mode <= 3; mode++) {
			const char *p = gz ? z.ptr : text;
			size_t n = gz ? z.len : len;

			whole_mode = mode;
			careful_mode = 1;
			run(p, n, 0, &c);
			careful_mode = 0;
			run(p, n, 0, &a);
			whole_mode = 0;
			if (!same(&a, &c) || a.events != c.events || a.rejected != c.rejected) {
				printf("#   %s (%s, mode %d): fast then careful differ from careful\n", what,
				       gz ? "gzip" : "plain", mode);
				dump(&a);
				dump(&c);
				good = 0;
			}
			for (i = 0; i < a.nev; i++) {
				if (!(a.ev[i].shape & WDN_SHAPE_KNOWN))
					continue;
				(*fast_seen)++;
				if (!(a.ev[i].shape & WDN_SHAPE_COMPACT) != !wdn_json_is_compact(a.ev[i].raw, a.ev[i].rawlen)) {
					printf("#   %s: event %zu said compact %u\n", what, i, a.ev[i].shape);
					good = 0;
				}
			}
			for (i = 0; i < c.nev; i++)
				if (c.ev[i].shape)
					good = 0; /* the careful path knows nothing of the shape */
			got_release(&a);
			got_release(&c);
		}
	}
	wdn_buf_release(&z);
	return good;
}

/* on_event that reads another whole input first, as a consumer might */
static int nested_event(void *ctx, const struct wdn_event *ev)
{
	struct got *g = ctx, inner;
	struct wdn_buf b = WDN_BUF_INIT;

	records_file(&b, 3, 3);
	whole_mode = 1;
	run(b.ptr, b.len, 0, &inner);
	whole_mode = 0;
	if (inner.rc || !events_are(&inner, 3, 3, 1))
		g->bad_input_name = 1;
	got_release(&inner);
	wdn_buf_release(&b);
	return on_event(ctx, ev);
}

static void test_fast_path(void)
{
	static const char *const wrap[][2] = {
		{ "{\"Records\":[", "]}" },
		{ " \n{ \"Records\" :\n[\n", "\n] }\n\n" },
		{ "{\"Rec\\u006frds\":[", "]}" },
		{ "{\"Records\":[", "]}{\"Records\":[]}" },
		{ "{\"Records\":[", "]}x" },
		{ "\xef\xbb\xbf{\"Records\":[", "]}" },
		{ "{\"Records\":[", "],\"Records\":[]}" },
		{ "{\"Records\":[", "],\"eventName\":\"X\"}" },
		{ "{\"digestStartTime\":\"x\",\"Records\":[", "]}" },
		{ "[", "]" },
		{ "{\"Records\":[", "]" },
	};
	struct wdn_buf b = WDN_BUF_INIT;
	size_t i, w, bad = 0, nfast = 0;
	int seen = 0, fast_good = 0, k;
	struct got g;

	for (w = 0; w < sizeof(wrap) / sizeof(wrap[0]); w++)
		for (i = 0; i < sizeof(fast_odd) / sizeof(fast_odd[0]); i++) {
			char what[64];

			snprintf(what, sizeof(what), "wrap %zu, record %zu", w, i);
			fast_case(&b, wrap[w][0], fast_odd[i], wrap[w][1]);
			bad += !fast_same(what, b.ptr, b.len, &seen);
			nfast++;
		}
	is_int((long long)bad, 0, "fast path then streaming parse = streaming parse alone, %zu inputs x 6 ways", nfast);
	ok(seen > 0, "the fast path took some of them (%d events)", seen);

	/* a plain log file: every event from the fast path, with its shape */
	wdn_buf_reset(&b);
	records_file(&b, 0, NEV);
	whole_mode = 1;
	run(b.ptr, b.len, 0, &g);
	whole_mode = 0;
	for (i = 0; i < g.nev; i++)
		fast_good += g.ev[i].shape == (WDN_SHAPE_KNOWN | WDN_SHAPE_COMPACT);
	ok(g.rc == 0 && events_are(&g, 0, NEV, 1) && fast_good == NEV,
	   "a log file given whole: every event through the fast path, compact (%d of %zu)", fast_good, g.nev);
	got_release(&g);

	/* a consumer reading another input from inside on_event */
	{
		struct wdn_reader *r;

		wdn_buf_reset(&b);
		records_file(&b, 0, 3);
		memset(&g, 0, sizeof(g));
		r = wdn_reader_new("input", nested_event, on_reject, &g);
		g.rc = wdn_reader_feed_whole(r, b.ptr, b.len);
		if (!g.rc)
			g.rc = wdn_reader_finish(r, NULL);
		wdn_reader_free(r);
		ok(g.rc == 0 && !g.bad_input_name && events_are(&g, 0, 3, 1),
		   "an input read whole from inside on_event: both inputs' events are right");
		got_release(&g);
	}

	/* forged whodunnit members, said so; not nested ones */
	{
		static const struct { const char *key; int forged; } fk[] = {
			{ "whodunnit", 1 }, { "WHODUNNIT", 1 }, { "\\u0057hodunnit", 1 }, { "whodunn\\u0130t", 1 },
			{ "whodunnit\\u0000tail", 1 }, { "whodunnitx", 0 }, { "who", 0 }, { "xwhodunnit", 0 },
		};
		int good = 0;

		for (k = 0; k < (int)(sizeof(fk) / sizeof(fk[0])); k++) {
			wdn_buf_reset(&b);
			wdn_buf_addf(&b, "{\"Records\":[{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\","
				     "\"eventTime\":\"t\",\"%s\":{\"whodunnit\":1}}, {\"eventSource\":\"s3.amazonaws.com\","
				     "\"eventName\":\"B\",\"eventTime\":\"t\",\"x\": {\"whodunnit\":1}}]}", fk[k].key);
			whole_mode = 1;
			run(b.ptr, b.len, 0, &g);
			whole_mode = 0;
			if (g.nev == 2 && g.ev[0].shape == (WDN_SHAPE_KNOWN | WDN_SHAPE_COMPACT | (fk[k].forged ? WDN_SHAPE_FORGED : 0)) &&
			    g.ev[1].shape == WDN_SHAPE_KNOWN)
				good++;
			else
				printf("#   key %s: %zu events, shapes %u %u\n", fk[k].key, g.nev,
				       g.nev ? g.ev[0].shape : 0, g.nev > 1 ? g.ev[1].shape : 0);
			got_release(&g);
		}
		is_int(good, (int)(sizeof(fk) / sizeof(fk[0])), "a top-level whodunnit member in any case or escape is said forged, a nested one not, white space after a comma not compact");
	}

	/* caps: depth and element count at and past the reader's */
	for (k = WDN_MAX_DEPTH - 3; k <= WDN_MAX_DEPTH + 1; k++) {
		char what[64];
		int d;

		wdn_buf_reset(&b);
		wdn_buf_adds(&b, "{\"Records\":[{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":");
		for (d = 3; d < k; d++)
			wdn_buf_addc(&b, '[');
		for (d = 3; d < k; d++)
			wdn_buf_addc(&b, ']');
		wdn_buf_adds(&b, "}]}");
		snprintf(what, sizeof(what), "nested %d deep", k);
		ok(fast_same(what, b.ptr, b.len, &seen), "%s: the same verdicts", what);
	}
	for (k = -1; k <= 1; k++) {
		char what[64];
		unsigned e;

		/* the record holds 6 keys and values, then the array and its numbers */
		wdn_buf_reset(&b);
		wdn_buf_adds(&b, "{\"Records\":[{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"A\",\"eventTime\":\"t\",\"x\":[");
		for (e = 0; e < WDN_MAX_ELEMENTS - 8 + (unsigned)(k + 1); e++)
			wdn_buf_adds(&b, e ? ",0" : "0");
		wdn_buf_adds(&b, "]}]}");
		snprintf(what, sizeof(what), "%u keys and values in a record", WDN_MAX_ELEMENTS + (unsigned)k + 1);
		ok(fast_same(what, b.ptr, b.len, &seen), "%s: the same verdicts", what);
	}
	wdn_buf_release(&b);
}

/* The principal of a caller without sessionIssuer is wdn_principal_of's
 * answer for its ARN; only an assumed-role ARN is converted, written into
 * the caller's buffer, and nothing is ever allocated. */
static void test_principal(void)
{
	static const struct {
		const char *arn;
		int converts;
	} cases[] = {
		{ "arn:aws:iam::111122223333:user/alice", 0 },
		{ "arn:aws-cn:iam::111122223333:user/path/bob", 0 },
		{ "arn:aws:sts::111122223333:assumed-role/Admin/sess", 1 },
		{ "arn:aws:sts::111122223333:assumed-role/Admin", 0 }, /* no session: as it is */
		{ "arn:aws:sts::111122223333:federated-user/carol", 0 },
		{ "not an arn", 0 },
		{ "", 0 },
		{ "arn:aws:iam::111122223333:root", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wdn_event ev;
		struct wdn_str p;
		char buf[WDN_PRINCIPAL_BUF], *want = wdn_principal_of(NULL, cases[i].arn, NULL), *got;

		memset(&ev, 0, sizeof(ev));
		ev.f[WDN_F_UI_ARN] = wdn_str_of(cases[i].arn);
		p = wdn_event_principal(&ev, buf);
		got = p.ptr ? wdn_strndup(p.ptr, p.len) : NULL;
		is_str(got, want, "principal of %s", cases[i].arn);
		is_int(p.ptr == buf, cases[i].converts, "principal of %s: written out only when converted",
		       cases[i].arn);
		ok(p.ptr == buf || p.ptr == ev.f[WDN_F_UI_ARN].ptr, "principal of %s: the ARN itself, "
		   "or converted", cases[i].arn);
		free(got);
		free(want);
	}
	/* a sessionIssuer ARN wins, as it is */
	{
		struct wdn_event ev;
		struct wdn_str p;
		char buf[WDN_PRINCIPAL_BUF];

		memset(&ev, 0, sizeof(ev));
		ev.f[WDN_F_UI_ARN] = wdn_str_of("arn:aws:sts::1:assumed-role/A/s");
		ev.f[WDN_F_UI_ISSUER_ARN] = wdn_str_of("arn:aws:iam::1:role/A");
		p = wdn_event_principal(&ev, buf);
		ok(p.ptr == ev.f[WDN_F_UI_ISSUER_ARN].ptr, "sessionIssuer's ARN as it is");
		/* an empty one names no one: the session's role, as wdn_principal_of has it */
		ev.f[WDN_F_UI_ISSUER_ARN] = wdn_str_of("");
		p = wdn_event_principal(&ev, buf);
		ok(p.ptr == buf && p.len == 21 && !memcmp(buf, "arn:aws:iam::1:role/A", 21),
		   "an empty sessionIssuer ARN: the session's role (got %.*s)", (int)p.len, p.ptr ? p.ptr : "");
	}
}

int main(void)
{
	int i;

	for (i = 0; i < NEV; i++)
		EV[i] = make_event(i);
	test_forms();
	test_pretty();
	test_envelope_fields();
	test_gzip_members();
	test_large();
	test_bad_line();
	test_records_rejects();
	test_truncated_gzip();
	test_deep();
	test_utf8_nul();
	test_types();
	test_s3_notification();
	test_huge();
	test_empty_digest();
	test_stop();
	test_fd_walk();
	test_real();
	test_truncation();
	test_digest_position();
	test_element_cap();
	test_event_lines();
	test_bad_in_array();
	test_whole();
	test_fast_path();
	test_principal();
	for (i = 0; i < NEV; i++)
		free(EV[i]);
	return done_testing();
}
