/*
 * Allocation failures, one at a time (as SQLite's malloc tests): each
 * scenario runs once to get its reference output, then again with its Nth
 * allocation failing, N = 1, 2, ... until a run ends without reaching N.
 * Every run must either fail with an error code or give exactly the
 * reference output; a crash or a leak (LeakSanitizer under make asan) fails
 * the whole test. Built with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (Makefile), so the library's own allocations are the ones counted; those
 * of SQLite, yajl and libc inside shared libraries are not.
 *
 * Each scenario reports how many allocation sites it reached and how many of
 * them were wdn_buf_grow, the failure path of every append.
 */
#include "tap.h"
#include "wdn.h"
#include "json.h"
#include "resolve.h"
#include "sigv4.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define SEED_LEAF "ASIATJVZAAAARRT5X7PR"
#define MAX_SITES 4096

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static int armed;          /* count (and fail) allocations now */
static long nalloc;        /* allocations counted in this run */
static long fail_at;       /* the one to fail, 0 for none */
/* An allocation site: the last four return addresses (the allocating
 * function and its callers), so that each append through
 * wdn_buf_add or wdn_buf_addf counts as its own site. */
struct site {
	void *pc[4];
	int grow;   /* made by wdn_buf_grow: an append's failure path */
	int failed; /* a run failed it */
	int ref;    /* the reference run reached it */
};
static struct site sites[MAX_SITES];
static size_t nsites;
static int grow_failed;    /* a failed allocation was wdn_buf_grow's */
static void *failed_site;  /* where the failed allocation was asked for */
static void *failed_stack[6];
static int failed_depth;

static int in_buf_grow(void *caller);
static int in_run(void *pc);
static void show_site(const char *what, void *const *pc);

static struct site *note_site(void)
{
	void *f[6] = { 0 };
	size_t i;

	backtrace(f, 6); /* this function, the wrapper, then the library */
	for (i = 2; i < 6; i++)
		if (in_run(f[i])) /* the same site whichever copy of the loop ran it */
			memset(f + i, 0, (6 - i) * sizeof(*f));
	for (i = 0; i < nsites; i++)
		if (!memcmp(sites[i].pc, f + 2, sizeof(sites[i].pc)))
			return &sites[i];
	if (nsites == MAX_SITES)
		return NULL;
	memcpy(sites[nsites].pc, f + 2, sizeof(sites[nsites].pc));
	sites[nsites].grow = in_buf_grow(f[2]) || in_buf_grow(f[3]); /* buf.c's resize, inlined or not */
	sites[nsites].ref = fail_at == 0;
	sites[nsites].failed = 0;
	return &sites[nsites++];
}

/* Is this return address inside wdn_buf_grow (where buf.c's resize lands)? */
static int in_buf_grow(void *caller)
{
	Dl_info info;

	return dladdr(caller, &info) && info.dli_sname && strcmp(info.dli_sname, "wdn_buf_grow") == 0;
}

/* 1 when this allocation is the one to fail. */
static int should_fail(void *caller)
{
	struct site *at;

	if (!armed)
		return 0;
	armed = 0; /* backtrace and dladdr must not count themselves */
	at = note_site();
	if (++nalloc != fail_at) {
		armed = 1;
		return 0;
	}
	failed_site = caller;
	failed_depth = backtrace(failed_stack, 6);
	if (at) {
		at->failed = 1;
		grow_failed |= at->grow;
	}
	armed = 1;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail(__builtin_return_address(0)) ? NULL : __real_realloc(p, n);
}

/* ---- scenarios: each returns 0 and its output in out, or an error code ---- */

static char tmpdir[] = "/tmp/t-allocfail.XXXXXX";
static char *seed;
static size_t seed_len;
static struct wdn_store *seeded; /* the seed fixture, recorded with no failure */

typedef int (*scenario_fn)(struct wdn_buf *out);

static int on_event_names(void *ctx, const struct wdn_event *ev)
{
	struct wdn_buf *out = ctx;
	const struct wdn_str *n = &ev->f[WDN_F_EVENT_NAME], *k = &ev->f[WDN_F_UI_KEY];

	wdn_buf_addf(out, "%llu %.*s %.*s\n", (unsigned long long)ev->record, (int)n->len,
		     n->ptr ? n->ptr : "", (int)k->len, k->ptr ? k->ptr : "");
	return wdn_buf_failed(out);
}

static void on_reject_note(void *ctx, const struct wdn_reject *rej)
{
	wdn_buf_addf(ctx, "reject %llu %s\n", (unsigned long long)rej->record, rej->msg);
}

static int sc_reader(struct wdn_buf *out)
{
	struct wdn_reader *r = wdn_reader_new("seed", on_event_names, on_reject_note, out);
	int rc;

	if (!r)
		return WDN_ENOMEM;
	if (!(rc = wdn_reader_feed(r, seed, seed_len)))
		rc = wdn_reader_finish(r, NULL);
	wdn_reader_free(r);
	return rc;
}

static int lookup_json(struct wdn_store *s, const char *key, int flags, struct wdn_buf *out)
{
	struct wdn_answer a;
	struct wdn_err err = { 0 };
	yajl_gen g;
	int rc;

	if ((rc = wdn_resolve(s, key, WDN_TIME_MAX, &a, &err)) ||
	    (rc = wdn_resolve_descendants(s, &a, &err))) {
		wdn_answer_release(&a);
		return rc;
	}
	if (!(g = wdn_gen_into(out))) {
		wdn_answer_release(&a);
		return WDN_ENOMEM;
	}
	yajl_gen_map_open(g);
	wdn_answer_gen_lookup(g, &a, flags);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	if (!(rc = wdn_buf_failed(out)) && !(rc = wdn_answer_markdown(&a, out)))
		rc = wdn_answer_dot(&a, out);
	wdn_answer_release(&a);
	return rc;
}

struct rec {
	struct wdn_recorder *r;
	int rc;
};

static int rec_event(void *ctx, const struct wdn_event *ev)
{
	struct rec *rc = ctx;
	struct wdn_err err = { 0 };

	return rc->rc = wdn_recorder_event(rc->r, ev, NULL, &err);
}

static void rec_reject(void *ctx, const struct wdn_reject *rej)
{
	((struct rec *)ctx)->rc = WDN_EINVAL;
}

static int record_seed(struct wdn_store *s)
{
	struct rec rc = { wdn_recorder_new(s), 0 };
	struct wdn_reader *r;
	struct wdn_err err = { 0 };
	int code = WDN_ENOMEM;

	if (!rc.r)
		return WDN_ENOMEM;
	if ((r = wdn_reader_new("seed", rec_event, rec_reject, &rc))) {
		if (!(code = wdn_reader_feed(r, seed, seed_len)) && !(code = wdn_reader_finish(r, &err)) &&
		    !(code = rc.rc))
			code = wdn_recorder_flush(rc.r, &err);
		wdn_reader_free(r);
	}
	wdn_recorder_free(rc.r);
	return code;
}

static int sc_record(struct wdn_buf *out)
{
	char path[512];
	struct wdn_store *s = NULL;
	struct wdn_err err = { 0 };
	int rc;

	snprintf(path, sizeof(path), "%s/record.db", tmpdir);
	unlink(path);
	if ((rc = wdn_store_open(path, WDN_STORE_CREATE, NULL, &s, &err)))
		return rc;
	rc = record_seed(s);
	if (!rc) { /* what it recorded, looked up with nothing failing */
		int was = armed;

		armed = 0;
		rc = lookup_json(s, SEED_LEAF, WDN_ANS_TRAILS | WDN_ANS_DESCENDANTS, out);
		armed = was;
	}
	wdn_store_close(s);
	return rc;
}

static int sc_resolve(struct wdn_buf *out)
{
	return lookup_json(seeded, SEED_LEAF, WDN_ANS_TRAILS | WDN_ANS_DESCENDANTS, out);
}

struct enr {
	struct wdn_enricher *e;
	struct wdn_buf *out;
};

static int enr_event(void *ctx, const struct wdn_event *ev)
{
	struct enr *en = ctx;
	struct wdn_err err = { 0 };

	return wdn_enrich_event(en->e, ev, en->out, &err);
}

static void enr_reject(void *ctx, const struct wdn_reject *rej)
{
	on_reject_note(((struct enr *)ctx)->out, rej);
}

static int sc_enrich(struct wdn_buf *out)
{
	struct wdn_enrich_cache *c = wdn_enrich_cache_new();
	struct enr en = { NULL, out };
	struct wdn_reader *r;
	int rc = WDN_ENOMEM;

	if (!c)
		return WDN_ENOMEM;
	if ((en.e = wdn_enricher_new(seeded, c))) {
		if ((r = wdn_reader_new("seed", enr_event, enr_reject, &en))) {
			if (!(rc = wdn_reader_feed(r, seed, seed_len)))
				rc = wdn_reader_finish(r, NULL);
			wdn_reader_free(r);
		}
		wdn_enricher_free(en.e);
	}
	wdn_enrich_cache_free(c);
	return rc ? rc : wdn_buf_failed(out);
}

static int sc_sigv4(struct wdn_buf *out)
{
	static const struct wdn_sigv4_header h[] = {
		{ { "Host", 4 }, { "dynamodb.us-east-1.amazonaws.com", 32 } },
		{ { "Content-Type", 12 }, { " application/x-amz-json-1.0 ", 28 } },
		{ { "X-Amz-Target", 12 }, { "DynamoDB_20120810.GetItem", 25 } },
	};
	struct wdn_sigv4_req r;
	struct wdn_sigv4_sig s;
	struct wdn_err err = { 0 };
	int rc, presign;

	for (presign = 0; presign < 2; presign++) {
		wdn_sigv4_req_init(&r, "dynamodb");
		r.method = "POST";
		r.path = wdn_str_of("/a b/./c");
		r.query = wdn_str_of("z=1&a=%2F&b=x y");
		r.headers = h;
		r.nheaders = 3;
		r.payload = wdn_str_of("{\"TableName\":\"t\"}");
		r.region = "us-east-1";
		r.time = 1440938160;
		r.creds.key_id = "AKIDEXAMPLE";
		r.creds.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
		r.creds.token = "IQoJb3JpZ2luX2VjE///token";
		r.presign = presign;
		r.expires = presign ? 300 : 0;
		wdn_sigv4_sig_init(&s);
		if (!(rc = wdn_sigv4_sign(&r, &s, &err)))
			wdn_buf_addf(out, "%s\n%s\n%s\n%s\n", s.creq.ptr, s.sts.ptr, s.authorization.ptr,
				     s.query.ptr);
		wdn_sigv4_sig_release(&s);
		if (rc)
			return rc;
	}
	return wdn_buf_failed(out);
}

static int sc_json(struct wdn_buf *out)
{
	struct wdn_err err = { 0 };
	wdn_json v = wdn_json_parse(seed, seed_len, &err);
	int rc;

	if (!v)
		return err.code ? err.code : WDN_ENOMEM;
	rc = wdn_json_serialize(v, out);
	wdn_json_free(v);
	return rc;
}

static int sc_api(struct wdn_buf *out)
{
	static const char *const payloads[] = {
		"{\"AccessKeyId\":\"" SEED_LEAF "\",\"Descendants\":true}",
		"{\"AccessKeyIds\":[\"" SEED_LEAF "\",\"AKIAIOSFODNN7EXAMPLE\"]}",
		"{\"version\":\"2.0\",\"rawPath\":\"/keys/" SEED_LEAF "\",\"rawQueryString\":\"format=markdown\","
		"\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/keys/" SEED_LEAF "\"}},"
		"\"queryStringParameters\":{\"format\":\"markdown\"}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/keys/" SEED_LEAF "\",\"rawQueryString\":\"format=dot\","
		"\"requestContext\":{\"http\":{\"method\":\"GET\",\"path\":\"/keys/" SEED_LEAF "\"}},"
		"\"queryStringParameters\":{\"format\":\"dot\"}}",
	};
	struct wdn_buf resp = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]) && !rc; i++) {
		wdn_buf_reset(&resp);
		if (!(rc = wdn_api_handle(seeded, payloads[i], strlen(payloads[i]), &resp, &err)) &&
		    strstr(resp.ptr, "\"statusCode\":500"))
			rc = WDN_ENOMEM; /* an HTTP answer that says it failed */
		if (!rc)
			rc = wdn_buf_add(out, resp.ptr, resp.len) || wdn_buf_addc(out, '\n');
	}
	wdn_buf_release(&resp);
	return rc;
}

/* ---- the loop ----------------------------------------------------------- */

int t_allocfail_run(scenario_fn fn, long n, struct wdn_buf *out, long *count);

/* Is this return address in t_allocfail_run (exported: -rdynamic names it)? */
static int in_run(void *pc)
{
	static void *seen[256];
	static int yes[256];
	static size_t n;
	Dl_info info;
	size_t i;

	for (i = 0; i < n; i++)
		if (seen[i] == pc)
			return yes[i];
	i = dladdr(pc, &info) && info.dli_saddr == (void *)t_allocfail_run;
	if (n < 256) {
		seen[n] = pc;
		yes[n++] = (int)i;
	}
	return (int)i;
}

__attribute__((noinline)) int t_allocfail_run(scenario_fn fn, long n, struct wdn_buf *out, long *count)
{
	int rc;

	wdn_buf_release(out); /* each run grows its output afresh */
	nalloc = 0;
	fail_at = n;
	armed = 1;
	rc = fn(out);
	armed = 0;
	*count = nalloc;
	return rc;
}

static void show_site(const char *what, void *const *pc)
{
	Dl_info info;
	int i;

	printf("#   %s:", what);
	for (i = 0; i < 4; i++)
		printf(" %s+0x%lx", dladdr(pc[i], &info) && info.dli_sname ? info.dli_sname : "?",
		       dladdr(pc[i], &info) ? (unsigned long)((char *)pc[i] - (char *)info.dli_fbase) : 0UL);
	printf("\n");
}

/* Every site reached was failed by some run: the first N-1 allocations of
 * run N follow the reference run's path. */
static void report_sites(const char *name, long nallocs)
{
	size_t i, ref = 0, failed = 0, grow = 0, grow_failed_n = 0;

	for (i = 0; i < nsites; i++) {
		ref += sites[i].ref;
		failed += sites[i].ref && sites[i].failed;
		grow += sites[i].ref && sites[i].grow;
		grow_failed_n += sites[i].ref && sites[i].grow && sites[i].failed;
	}
	printf("# %s: %ld allocations at %zu sites, %zu of them appends (wdn_buf_grow); "
	       "%zu more sites on error paths\n", name, nallocs, ref, grow, nsites - ref);
	if (!is_int(failed, ref, "%s: every allocation site reached was failed once", name))
		for (i = 0; i < nsites; i++)
			if (sites[i].ref && !sites[i].failed)
				show_site("never failed", sites[i].pc);
	is_int(grow_failed_n, grow, "%s: every append reached took its failure path", name);
}

/* Where a wrong success first differs, and whose allocation failed. */
static void show_wrong(const char *name, long n, const struct wdn_buf *got, const struct wdn_buf *want)
{
	size_t at = 0, from;
	Dl_info info;

	while (at < got->len && at < want->len && got->ptr[at] == want->ptr[at])
		at++;
	from = at > 60 ? at - 60 : 0;
	printf("# %s: allocation %ld (in %s) failed, yet a different output came back; from byte %zu:\n"
	       "#   got:  %.120s\n#   want: %.120s\n", name, n,
	       dladdr(failed_site, &info) && info.dli_sname ? info.dli_sname : "?", from,
	       got->ptr + (from < got->len ? from : got->len), want->ptr + from);
	for (int i = 2; i < failed_depth; i++)
		if (dladdr(failed_stack[i], &info))
			printf("#   called from %s (%s+0x%lx)\n", info.dli_sname ? info.dli_sname : "?",
			       info.dli_fname, (unsigned long)((char *)failed_stack[i] - (char *)info.dli_fbase));
}

static void scenario(const char *name, scenario_fn fn)
{
	struct wdn_buf want = WDN_BUF_INIT, got = WDN_BUF_INIT;
	long n, count, wrong = 0, errors = 0;
	int rc;

	/* n = -1 and 0 run with no failure: the first once so that what is made
	 * once and kept (a store's prepared statements) is not counted as a
	 * site, the second for the reference output. */
	for (n = -1;; n++) {
		rc = t_allocfail_run(fn, n < 0 ? 0 : n, n <= 0 ? &want : &got, &count);
		if (n < 0) {
			nsites = 0;
			grow_failed = 0;
			continue;
		}
		if (n == 0) {
			if (!ok(rc == 0 && want.len > 0, "%s: reference run (%ld allocations)", name, count)) {
				printf("#   %s\n", wdn_strerror(rc));
				wdn_buf_release(&want);
				return;
			}
			continue;
		}
		if (rc) {
			errors++;
		} else if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len)) {
			if (!wrong++)
				show_wrong(name, n, &got, &want);
		}
		if (count < n)
			break;
	}
	is_int(wrong, 0, "%s: %ld runs, each failed or gave the reference output", name, n);
	ok(errors > 0, "%s: %ld runs failed with an error code", name, errors);
	ok(grow_failed, "%s: a failure of wdn_buf_grow was among them", name);
	report_sites(name, n - 1);
	wdn_buf_release(&want);
	wdn_buf_release(&got);
}

int main(void)
{
	const char *top = getenv("WDN_TOP");
	char path[1024];
	struct wdn_err err = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	backtrace(failed_stack, 1); /* its first call loads what it needs */
	snprintf(path, sizeof(path), "%s/tests/fixtures/seed-example.json", top ? top : ".");
	if (!(seed = slurp(path, &seed_len)) || !mkdtemp(tmpdir)) {
		printf("Bail out! cannot read %s or make a directory\n", path);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/seeded.db", tmpdir);
	if (wdn_store_open(path, WDN_STORE_CREATE, NULL, &seeded, &err) || record_seed(seeded)) {
		printf("Bail out! cannot record the seed fixture: %s\n", err.msg);
		return 1;
	}
	scenario("reader", sc_reader);
	scenario("json", sc_json);
	scenario("sigv4", sc_sigv4);
	scenario("resolve", sc_resolve);
	scenario("enrich", sc_enrich);
	scenario("api", sc_api);
	scenario("record", sc_record);
	wdn_store_close(seeded);
	free(seed);
	rm_rf(tmpdir);
	return done_testing();
}
