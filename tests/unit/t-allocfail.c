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
 * them were wdn_buf_grow, the failure path of every append. A failed run must
 * never blame the input (WDN_EINVAL: a rejection, exit 3) for want of memory.
 * The AWS scenarios (DynamoDB store, S3, SQS, Lambda's Runtime API, the
 * credential chain, digest keys) run against a canned local endpoint.
 *
 * Coverage, measured by tests/unit/allocfail-cover.sh: the functions of
 * libwdn.a that call an append (from its relocations) against those this run
 * saw an append fail in (WDN_ALLOCFAIL_APPENDERS), on a build without sibling
 * calls so that an append in tail position still names its function:
 *
 *   make B=build/cover BIN=build/cover/bin \
 *       CFLAGS="-O2 -g -fno-optimize-sibling-calls" build/cover/tests/t-allocfail
 *   sh tests/unit/allocfail-cover.sh build/cover
 *
 * gives 95 of 95 (lib/ only: cmd/ is not linked here). Some appends fail
 * only where a buffer outgrows its first 64 bytes (or a doubling) at that
 * very append, so scenarios shape their inputs for it: an SSO portal under
 * a path, a queue URL with a long host part, S3 prefixes of 40 and 44
 * bytes and continuation tokens of 26 to 44, partition values over 64
 * bytes, a graph rendered after offsets of 5 to 59 bytes. The canned
 * endpoint answers each source of the credential chain (IMDSv2's token,
 * role and credentials; the SSO portal), ListPublicKeys, and DynamoDB
 * queries of coverage partitions and reads of sources.
 */
#include "tap.h"
#include "wdn.h"
#include "athena.h"
#include "creds.h"
#include "digest.h"
#include "enrich.h"
#include "ini.h"
#include "outtree.h"
#include "recorder.h"
#include "s3.h"
#include "sigv4.h"
#include "store.h"
#include "str.h"
#include "verify.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <zlib.h>

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
static void *failed_stack[12];
static int failed_depth;

static int in_buf_grow(void *caller);
static void note_appender(void *const *f, int n);
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
	failed_depth = backtrace(failed_stack, 12);
	if (at) {
		at->failed = 1;
		grow_failed |= at->grow;
		if (at->grow)
			note_appender(failed_stack, failed_depth);
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

/* ---- which function appended: names from the program's own symbol table ---- */

/* dladdr names only exported functions; the library's static ones, where
 * most appends are made, are named from .symtab (the test is not stripped).
 * A static name is "file:name" (file without .c), an exported one "name". */
struct sym {
	uintptr_t at, size;
	const char *name, *file;
};
static struct sym *syms;
static size_t nsyms;
static uintptr_t exe_base;

static void syms_load(void)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	static char *img;
	long size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *file = "";
	Dl_info info;
	size_t i, k;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < (long)sizeof(*eh) || fseek(f, 0, SEEK_SET) ||
	    !(img = __real_malloc((size_t)size)) || fread(img, 1, (size_t)size, f) != (size_t)size) {
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	eh = (const Elf64_Ehdr *)img;
	if (dladdr((void *)syms_load, &info) && eh->e_type == ET_DYN)
		exe_base = (uintptr_t)info.dli_fbase;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *s = (const Elf64_Sym *)(img + sh[i].sh_offset);
		const char *str = img + sh[sh[i].sh_link].sh_offset;
		size_t n = sh[i].sh_size / sizeof(*s);

		if (sh[i].sh_type != SHT_SYMTAB || !(syms = __real_calloc(n, sizeof(*syms))))
			continue;
		for (k = 0; k < n; k++) {
			if (ELF64_ST_TYPE(s[k].st_info) == STT_FILE)
				file = str + s[k].st_name;
			else if (ELF64_ST_TYPE(s[k].st_info) == STT_FUNC && s[k].st_size)
				syms[nsyms++] = (struct sym){ s[k].st_value, s[k].st_size, str + s[k].st_name,
							     ELF64_ST_BIND(s[k].st_info) == STB_LOCAL ? file : "" };
		}
		break;
	}
}

static const struct sym *sym_of(void *pc)
{
	uintptr_t at = (uintptr_t)pc - exe_base;
	size_t i;

	for (i = 0; i < nsyms; i++)
		if (at >= syms[i].at && at < syms[i].at + syms[i].size)
			return &syms[i];
	return NULL;
}

/* "athena:scan_region", or "wdn_athena_ddl" */
static void sym_key(const struct sym *s, char *out, size_t size)
{
	const char *base = strrchr(s->file, '/');
	int n;

	base = base ? base + 1 : s->file;
	n = (int)strcspn(base, ".");
	if (*base)
		snprintf(out, size, "%.*s:%s", n, base, s->name);
	else
		snprintf(out, size, "%s", s->name);
}

#define MAX_APPENDERS 1024
static char appenders[MAX_APPENDERS][96];
static size_t nappenders;

/* A failed allocation of wdn_buf_grow: note the function whose append it was
 * (the first frame past buf.c). */
static void note_appender(void *const *f, int n)
{
	char key[96];
	int i;
	size_t k;

	for (i = 0; i < n; i++) {
		const struct sym *s = sym_of(f[i]);

		if (!s)
			return;
		if (strstr(s->file, "buf.c") || !strncmp(s->name, "wdn_buf_", 8) ||
		    !strcmp(s->name, "should_fail") || !strncmp(s->name, "__wrap_", 7))
			continue; /* the wrapper, then buf.c's own functions */
		sym_key(s, key, sizeof(key));
		for (k = 0; k < nappenders; k++)
			if (!strcmp(appenders[k], key))
				return;
		if (nappenders < MAX_APPENDERS)
			snprintf(appenders[nappenders++], sizeof(appenders[0]), "%s", key);
		return;
	}
}

/* How many; and, for tests/unit/allocfail-cover.sh, which (WDN_ALLOCFAIL_APPENDERS=FILE). */
static void report_appenders(void)
{
	const char *path = getenv("WDN_ALLOCFAIL_APPENDERS");
	FILE *f = path ? fopen(path, "w") : NULL;
	size_t k;

	printf("# functions whose append failed in some run: %zu\n", nappenders);
	for (k = 0; f && k < nappenders; k++)
		fprintf(f, "%s\n", appenders[k]);
	if (f)
		fclose(f);
}

/* ---- scenarios: each returns 0 and its output in out, or an error code ---- */

static char tmpdir[] = "/tmp/t-allocfail.XXXXXX";
static char *seed;
static size_t seed_len;
static struct wdn_store *seeded; /* the seed fixture, recorded with no failure */
static unsigned char gz_seed[1 << 16]; /* the seed, gzipped */
static size_t gz_seed_len;

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
	unsigned long nomem;
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
	nomem = wdn_nomem_count(); /* as the commands check a document (cli_gen_end) */
	yajl_gen_map_open(g);
	wdn_answer_gen_lookup(g, &a, flags);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	if (wdn_nomem_count() != nomem)
		rc = WDN_ENOMEM;
	else if (!(rc = wdn_buf_failed(out)) && !(rc = wdn_answer_markdown(&a, out)))
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

/* One input for the group scenario: an issuance of key ASIAGROUPALLOC<n>,
 * a TagRole of role G<n>, and a use of the key issued. */
static void group_input(struct wdn_buf *b, int n)
{
	wdn_buf_addf(b, "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
		     "\"arn\":\"arn:aws:iam::111122223333:user/g\",\"accountId\":\"111122223333\","
		     "\"accessKeyId\":\"AKIAGROUPALLOCCALLER\"},\"eventTime\":\"2024-01-03T00:00:01Z\","
		     "\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\",\"requestParameters\":"
		     "{\"roleArn\":\"arn:aws:iam::111122223333:role/G%d\",\"roleSessionName\":\"g%d\"},"
		     "\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAGROUPALLOC%06d\","
		     "\"sessionToken\":\"x\",\"expiration\":\"Jan 3, 2024, 1:00:01 AM\"},\"assumedRoleUser\":"
		     "{\"assumedRoleId\":\"AROAG:g%d\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/G%d/g%d\"}},"
		     "\"eventID\":\"g-%d\",\"recipientAccountId\":\"111122223333\"},", n, n, n, n, n, n, n);
	wdn_buf_addf(b, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
		     "\"arn\":\"arn:aws:iam::111122223333:user/g\",\"accountId\":\"111122223333\","
		     "\"accessKeyId\":\"AKIAGROUPALLOCCALLER\"},\"eventTime\":\"2024-01-03T00:00:02Z\","
		     "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"TagRole\",\"requestParameters\":"
		     "{\"roleName\":\"G%d\",\"tags\":[{\"key\":\"k\",\"value\":\"v%d\"}]},\"eventID\":\"t-%d\","
		     "\"recipientAccountId\":\"111122223333\"},", n, n, n);
	wdn_buf_addf(b, "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\","
		     "\"arn\":\"arn:aws:sts::111122223333:assumed-role/G%d/g%d\",\"accountId\":\"111122223333\","
		     "\"accessKeyId\":\"ASIAGROUPALLOC%06d\"},\"eventTime\":\"2024-01-03T00:10:00Z\","
		     "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"eventID\":\"u-%d\","
		     "\"recipientAccountId\":\"111122223333\"}]}", n, n, n, n);
}

static int note_change(void *ctx, const struct wdn_change *c)
{
	return wdn_buf_addf(ctx, "change %s %s %s\n", c->subject, c->event_id, c->data ? c->data : "-");
}

/* One group input: read whole (kept) or cut short (discarded), as
 * wdn-record does; a failed event (not a rejection) fails the run. */
static int group_one(struct rec *rc, int n, int whole)
{
	struct wdn_buf in = WDN_BUF_INIT;
	struct wdn_reader *r;
	struct wdn_err err = { 0 };
	int code;

	rc->rc = 0;
	group_input(&in, n);
	if ((code = wdn_buf_failed(&in)) || !(r = wdn_reader_new("group", rec_event, rec_reject, rc))) {
		wdn_buf_release(&in);
		return code ? code : WDN_ENOMEM;
	}
	code = wdn_reader_feed(r, in.ptr, whole ? in.len : in.len - 3);
	if (!code && whole)
		code = wdn_reader_finish(r, &err);
	if (!code)
		code = rc->rc;
	wdn_reader_free(r);
	wdn_buf_release(&in);
	if (code && code != WDN_EINVAL)
		return code;
	if (!whole || code)
		return wdn_recorder_discard(rc->r, &err);
	return wdn_recorder_keep_input(rc->r, &err);
}

/* Inputs in a group (wdn-record on SQLite): each input's issuances and
 * changes are held in memory until it is read whole. Whatever allocation
 * fails, the run fails or the store holds every whole input, and nothing of
 * the one cut short (2). */
static int sc_record_group(struct wdn_buf *out)
{
	char path[512];
	struct wdn_store *s = NULL;
	struct wdn_err err = { 0 };
	struct rec rc = { NULL, 0 };
	int code, n, was;

	snprintf(path, sizeof(path), "%s/group.db", tmpdir);
	unlink(path);
	if ((code = wdn_store_open(path, WDN_STORE_CREATE, NULL, &s, &err)))
		return code;
	if (!(rc.r = wdn_recorder_new(s))) {
		wdn_store_close(s);
		return WDN_ENOMEM;
	}
	wdn_recorder_hold_sightings(rc.r, 1);
	wdn_recorder_group(rc.r, 1);
	for (n = 1, code = 0; n <= 3 && !code; n++)
		code = group_one(&rc, n, n != 2);
	wdn_recorder_hold_sightings(rc.r, 0);
	if (!code)
		code = wdn_recorder_flush(rc.r, &err);
	wdn_recorder_free(rc.r);
	was = armed;
	armed = 0; /* what it recorded, read with nothing failing */
	for (n = 1; n <= 3 && !code; n++) {
		char key[32], subject[64];

		snprintf(key, sizeof(key), "ASIAGROUPALLOC%06d", n);
		snprintf(subject, sizeof(subject), "tags:111122223333:role/G%d", n);
		wdn_buf_addf(out, "%s:\n", key);
		if (!(code = lookup_json(s, key, 0, out)))
			code = s->ops->changes(s, subject, WDN_TIME_MAX, note_change, out, &err);
	}
	armed = was;
	wdn_store_close(s);
	return code;
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

/* log read and enriched against the seeded store, each event to each(). */
static int enrich_log(struct wdn_buf *out, const char *name, const char *log, size_t len,
		      wdn_event_fn each)
{
	struct wdn_enrich_cache *c = wdn_enrich_cache_new();
	struct enr en = { NULL, out };
	struct wdn_reader *r;
	int rc = WDN_ENOMEM;

	if (!c)
		return WDN_ENOMEM;
	if ((en.e = wdn_enricher_new(seeded, c))) {
		if ((r = wdn_reader_new(name, each, enr_reject, &en))) {
			if (!(rc = wdn_reader_feed(r, log, len)))
				rc = wdn_reader_finish(r, NULL);
			wdn_reader_free(r);
		}
		wdn_enricher_free(en.e);
	}
	wdn_enrich_cache_free(c);
	return rc ? rc : wdn_buf_failed(out);
}

static int sc_enrich(struct wdn_buf *out)
{
	return enrich_log(out, "seed", seed, seed_len, enr_event);
}

/* Events that carry a whodunnit member of their own (dropped before ours),
 * an assumed role's key the store never saw (its principal from its ARN),
 * and partition values long enough to outgrow a path's first 64 bytes. */
static const char forged_log[] =
	"{\"Records\":[{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-02T03:04:05Z\","
	"\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
	"\"awsRegion\":\"us-east-1-a-region-name-long-enough-to-outgrow-a-buffer\","
	"\"recipientAccountId\":\"111122223333\",\"eventID\":\"forged-1\","
	"\"userIdentity\":{\"type\":\"AssumedRole\",\"accessKeyId\":\"ASIAFORGEDNEVERSEEN1\","
	"\"arn\":\"arn:aws:sts::111122223333:assumed-role/SomeRole/some-session\"},"
	"\"whodunnit\":{\"principal\":\"arn:aws:iam::111122223333:role/NotReally\","
	"\"chain\":[\"arn:aws:iam::111122223333:role/NotReally\",\"padding padding padding padding\"]},"
	"\"requestParameters\":{\"bucketName\":\"b\",\"key\":\"k\"}},"
	"{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-02T03:04:06Z\","
	"\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutObject\",\"awsRegion\":\"us-east-1\","
	"\"recipientAccountId\":\"111122223333-and-then-a-long-tail-of-characters-to-pad-it-out\","
	"\"eventID\":\"forged-2\",\"whodunnit\":null,"
	"\"userIdentity\":{\"type\":\"IAMUser\",\"accessKeyId\":\"AKIAFORGEDNEVERSEEN2\","
	"\"arn\":\"arn:aws:iam::111122223333:user/u\"}}]}";

static int forged_event(void *ctx, const struct wdn_event *ev)
{
	struct enr *en = ctx;
	struct wdn_buf part = WDN_BUF_INIT; /* empty: its own appends grow it */
	struct wdn_err err = { 0 };
	int rc = wdn_enrich_event(en->e, ev, en->out, &err);

	if (!rc && !(rc = wdn_event_partition(ev, &part)))
		rc = wdn_buf_addf(en->out, "%s\n", part.ptr);
	wdn_buf_release(&part);
	return rc;
}

static int sc_forged(struct wdn_buf *out)
{
	return enrich_log(out, "forged", forged_log, sizeof(forged_log) - 1, forged_event);
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

/* ---- delivery: Lambda invocations and SQS/SNS messages (lambda.c, sqs.c) ---- */


struct told {
	struct wdn_buf *out;
	int nomem; /* a message failed for want of memory: the run failed */
};

static void told_failed(void *ctx, const char *message, const struct wdn_err *err)
{
	struct told *t = ctx;

	if (err->code == WDN_ENOMEM || err->code == WDN_ETOOBIG)
		t->nomem = 1;
	wdn_buf_addf(t->out, "failed %s (%s): %s\n", message, wdn_strerror(err->code), err->msg);
}

static void told_skipped(void *ctx, const char *object, const char *why)
{
	wdn_buf_addf(((struct told *)ctx)->out, "skipped %s: %s\n", object, why);
}

static int told_object(void *ctx, const char *bucket, const char *key, struct wdn_err *err)
{
	wdn_buf_addf(((struct told *)ctx)->out, "object %s %s\n", bucket, key);
	return 0;
}

static void told_reject(void *ctx, const struct wdn_reject *rej)
{
	struct told *t = ctx;

	if (strstr(rej->msg, "memory"))
		t->nomem = 1;
	wdn_buf_addf(t->out, "reject %llu %s\n", (unsigned long long)rej->record, rej->msg);
}

/* A delivery that records into a store of its own (name.db, made anew with
 * allocations not failing: each run does the same work), telling t. */
static int delivery_open(const char *name, struct told *t, struct wdn_store **s,
			 struct wdn_recorder **rec, struct wdn_delivery *d)
{
	struct wdn_err err = { 0 };
	char path[512];
	int rc, was = armed;

	armed = 0;
	snprintf(path, sizeof(path), "%s/%s.db", tmpdir, name);
	unlink(path);
	rc = wdn_store_open(path, WDN_STORE_CREATE, NULL, s, &err);
	armed = was;
	if (rc)
		return rc;
	if (!(*rec = wdn_recorder_new(*s))) {
		wdn_store_close(*s);
		return WDN_ENOMEM;
	}
	d->rec = *rec;
	d->on_failed = told_failed;
	d->on_reject = told_reject;
	d->ctx = t;
	return 0;
}

/* A Lambda payload whose Records hold bodies: the seed as JSON strings. */
static int lambda_payload(struct wdn_buf *p, const char *source, const char *field)
{
	yajl_gen g = wdn_gen_into(p);

	if (!g)
		return WDN_ENOMEM;
	yajl_gen_map_open(g);
	wdn_gen_key(g, "Records");
	yajl_gen_array_open(g);
	for (int i = 0; i < 3; i++) {
		char id[32];

		snprintf(id, sizeof(id), "m-%d-%s", i, source + 4);
		yajl_gen_map_open(g);
		wdn_gen_key(g, !strcmp(source, "aws:sns") ? "EventSource" : "eventSource");
		wdn_gen_str(g, source);
		wdn_gen_key(g, "messageId");
		wdn_gen_str(g, id);
		if (!strcmp(source, "aws:sns")) {
			wdn_gen_key(g, "Sns");
			yajl_gen_map_open(g);
			wdn_gen_key(g, "MessageId");
			wdn_gen_str(g, id);
		}
		if (i != 1) { /* the second has none: it fails, by name */
			wdn_gen_key(g, field);
			if (i == 0)
				yajl_gen_string(g, (const unsigned char *)seed, seed_len);
			else
				wdn_gen_str(g, "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
					    "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}]}");
		}
		if (!strcmp(source, "aws:sns"))
			yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return wdn_buf_failed(p);
}

static int sc_lambda(struct wdn_buf *out)
{
	struct wdn_store *s = NULL;
	struct wdn_recorder *rec;
	struct told t = { out, 0 };
	struct wdn_delivery d = { 0 };
	struct wdn_buf payload = WDN_BUF_INIT, resp = WDN_BUF_INIT;
	int rc, i;

	if ((rc = delivery_open("delivered", &t, &s, &rec, &d)))
		return rc;
	for (i = 0; i < 3 && !rc && !t.nomem; i++) {
		struct wdn_err err = { 0 };

		wdn_buf_reset(&payload);
		if (i == 0)
			rc = lambda_payload(&payload, "aws:sqs", "body");
		else if (i == 1)
			rc = lambda_payload(&payload, "aws:sns", "Message");
		else
			rc = wdn_buf_add(&payload, seed, seed_len);
		if (!rc && !(rc = wdn_lambda_handle(&d, "req-1", payload.ptr, payload.len, &resp, &err)))
			wdn_buf_addf(out, "%d %s\n", i, resp.ptr);
		else if (i == 1 && rc == WDN_EINVAL && !t.nomem)
			rc = !wdn_buf_addf(out, "%d refused: %s\n", i, err.msg) ? 0 : WDN_ENOMEM;
	}
	wdn_buf_release(&payload);
	wdn_buf_release(&resp);
	wdn_recorder_free(rec);
	wdn_store_close(s);
	return rc ? rc : t.nomem ? WDN_ENOMEM : wdn_buf_failed(out);
}

/* S3 notifications, as wdn-enrich --sqs reads them: each object told, or skipped. */
static int sc_notify(struct wdn_buf *out)
{
	static const char *const bodies[] = {
		"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":"
		"{\"name\":\"trail-bucket\"},\"object\":{\"key\":\"AWSLogs/111122223333/CloudTrail/us-east-1/2024/"
		"01/02/111122223333_CloudTrail_us-east-1_20240102T0000Z_a+b%2Bc.json.gz\"}}},"
		"{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":"
		"{\"name\":\"trail-bucket\"},\"object\":{\"key\":\"AWSLogs/111122223333/CloudTrail-Digest/"
		"us-east-1/2024/01/02/x.json.gz\"}}},"
		"{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":"
		"{\"name\":\"trail-bucket\"},\"object\":{\"key\":\"some/other%20thing.txt\"}}}]}",
		"{\"s3Bucket\":\"trail-bucket\",\"s3ObjectKey\":[\"AWSLogs/444455556666/CloudTrail/eu-west-1/"
		"2024/03/04/444455556666_CloudTrail_eu-west-1_20240304T0000Z_q.json.gz\"]}",
	};
	struct told t = { out, 0 };
	struct wdn_delivery d = { 0 };
	size_t i;
	int rc = 0;

	d.on_object = told_object;
	d.on_skipped = told_skipped;
	d.on_failed = told_failed;
	d.ctx = &t;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]) && !rc; i++) {
		char name[32];

		snprintf(name, sizeof(name), "sqs:n-%zu", i);
		rc = wdn_delivery_message(&d, name, bodies[i], strlen(bodies[i]), NULL);
	}
	return rc ? rc : t.nomem ? WDN_ENOMEM : wdn_buf_failed(out);
}

/* ---- athena.c: partitions read from a tree, then the statements ---------- */

/* Partition directories, and two names that are none (skipped). */
static int make_athena_tree(void)
{
	static const char *const dirs[] = {
		"athena", "athena/account=111122223333", "athena/account=111122223333/region=us-east-1",
		"athena/account=111122223333/region=eu-west-1", "athena/account=444455556666",
		"athena/account=444455556666/region=ap-southeast-2", "athena/account=bogus",
		"athena/account=bogus/region=us-east-1", "athena/account=111122223333/region=",
		"walk", "walk/a", "walk/a/b", /* for wdn_input_walk (sc_small) */
	};
	static const char *const files[] = { "walk/a/b/x.json", "walk/a/y.json.gz", "walk/z.json" };
	char path[512];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, dirs[i]);
		if (mkdir(path, 0700))
			return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		if (!(f = fopen(path, "w")))
			return -1;
		fclose(f);
	}
	return 0;
}

static int sc_athena(struct wdn_buf *out)
{
	char dir[512];
	struct wdn_athena a;
	struct wdn_err err = { 0 };
	int rc;

	snprintf(dir, sizeof(dir), "%s/athena", tmpdir);
	wdn_athena_init(&a);
	a.table = "whodunnit.events";
	a.location = "s3://out-bucket/enriched";
	if (!(rc = wdn_athena_scan_dir(&a, dir, &err)) && !(rc = wdn_athena_ddl(out, &a, &err)))
		rc = wdn_athena_consolidate(out, &a, "2024-01-02", "R1", &err);
	wdn_athena_release(&a);
	return rc;
}

/* ---- outtree.c: an input's partitions written, committed, marked --------- */

/* The tree's files, by relative name and size; the temp directory's left out
 * (the run's lock has a random name). */
static void list_tree(const char *dir, const char *rel, struct wdn_buf *out)
{
	char path[1200], sub[1024];
	struct dirent **names;
	struct stat st;
	int n, i;

	snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *e = names[i]->d_name;

		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e);
		snprintf(path, sizeof(path), "%s/%s", dir, sub);
		if (strcmp(e, ".") && strcmp(e, "..") && strcmp(sub, "_whodunnit/tmp") && !lstat(path, &st)) {
			if (S_ISDIR(st.st_mode))
				list_tree(dir, sub, out);
			else
				wdn_buf_addf(out, "%s %lld\n", sub, (long long)st.st_size);
		}
		free(names[i]);
	}
	free(names);
}

static int sc_outtree(struct wdn_buf *out)
{
	static const char *const parts[] = {
		"account=111122223333/region=us-east-1/day=2024-01-02",
		"account=111122223333/region=eu-west-1/day=2024-01-02",
		"account=444455556666/region=us-east-1/day=2024-01-03",
	};
	char dir[512], id[256] = "";
	struct wdn_outtree *t = NULL;
	struct wdn_outtree_writer *w = NULL;
	struct wdn_err err = { 0 };
	int rc, was = armed, i;

	armed = 0;
	snprintf(dir, sizeof(dir), "%s/tree", tmpdir);
	rm_rf(dir);
	armed = was;
	if ((rc = wdn_outtree_open(dir, &t, &err)))
		return rc;
	if (!(w = wdn_outtree_writer_new(t, NULL)))
		rc = WDN_ENOMEM;
	if (!rc && !(rc = wdn_outtree_begin(w, "/nonexistent/_input.json.gz", &err)))
		snprintf(id, sizeof(id), "/%s.json.gz ", wdn_outtree_name(w));
	for (i = 0; i < 300 && !rc; i++) {
		char line[128];
		int n = snprintf(line, sizeof(line), "{\"n\":%d}\n", i);

		rc = wdn_outtree_write(w, parts[i % 3], line, (size_t)n, &err);
	}
	if (!rc)
		rc = wdn_outtree_commit(w, &err);
	wdn_outtree_writer_free(w);
	wdn_outtree_close(t);
	armed = 0;
	if (!rc) {
		list_tree(dir, "", out);
	} else {
		/* failed: no file may be there under a name not whole, nor the marker */
		struct wdn_buf got = WDN_BUF_INIT;
		char *line, *end;

		list_tree(dir, "", &got);
		for (line = got.ptr; (end = strchr(line, '\n')); line = end + 1) {
			*end = '\0';
			if (!strncmp(line, "_whodunnit/done/", 16) || (strstr(line, "day=") && !strstr(line, id))) {
				wdn_buf_addf(out, "after a failure (%s): %s\n", wdn_strerror(rc), line);
				rc = 0; /* a wrong output: counted as such */
			}
		}
		wdn_buf_release(&got);
	}
	armed = was;
	return rc;
}

/* ---- the paths fixtures: issuances, tag changes, renames, then answers ---- */

static const char *const path_files[] = {
	"iam-tags.json", "iam-rename.json", "iam-provider-tags.json", "iam-access-keys.json",
	"sts-assumeroot.json", "sts-identity-center.json", "sts-saml.json", "sts-oidc.json", "cfn-stack.json",
};
#define NPATHS (sizeof(path_files) / sizeof(path_files[0]))
static char *path_text[NPATHS];
static size_t path_len[NPATHS];

struct prec {
	struct wdn_recorder *r;
	struct wdn_buf *out;
	char keys[32][32]; /* the keys issued, to look up after */
	size_t nkeys;
	int rc;
};

static int prec_event(void *ctx, const struct wdn_event *ev)
{
	struct prec *p = ctx;
	struct wdn_record_result res;
	struct wdn_err err = { 0 };
	size_t i;

	if ((p->rc = wdn_recorder_event(p->r, ev, &res, &err)) == WDN_EINVAL) {
		p->rc = 0;
		return wdn_buf_addf(p->out, "rejected %llu: %s\n", (unsigned long long)ev->record, err.msg);
	}
	if (p->rc)
		return p->rc;
	wdn_buf_addf(p->out, "%llu %s", (unsigned long long)ev->record,
		     res.issuance && res.issuance->principal ? res.issuance->principal : "-");
	if (res.issuance && res.issuance->key_id && p->nkeys < 32)
		snprintf(p->keys[p->nkeys++], sizeof(p->keys[0]), "%s", res.issuance->key_id);
	for (i = 0; i < res.nchanges; i++)
		wdn_buf_addf(p->out, " [%s %s %s]", res.changes[i].subject, res.changes[i].kind,
			     res.changes[i].data ? res.changes[i].data : "-");
	wdn_buf_addf(p->out, " %.*s\n", (int)ev->f[WDN_F_EVENT_NAME].len, ev->f[WDN_F_EVENT_NAME].ptr);
	return wdn_event_partition(ev, p->out) || wdn_buf_addc(p->out, '\n');
}

static void prec_reject(void *ctx, const struct wdn_reject *rej)
{
	on_reject_note(((struct prec *)ctx)->out, rej);
}

static struct wdn_store *pathsdb; /* the paths fixtures, recorded with no failure */
static char path_keys[32][32];     /* the keys they issue */
static size_t npath_keys;

/* The paths fixtures recorded into s (the first n), then each key issued
 * looked up. */
static int record_paths(struct wdn_store *s, size_t n, struct wdn_buf *out)
{
	struct wdn_err err = { 0 };
	struct prec p = { NULL, out, { { 0 } }, 0, 0 };
	size_t i;
	int rc = 0;

	if (!(p.r = wdn_recorder_new(s)))
		rc = WDN_ENOMEM;
	for (i = 0; !rc && i < n; i++) {
		struct wdn_reader *r = wdn_reader_new(path_files[i], prec_event, prec_reject, &p);

		if (!r) {
			rc = WDN_ENOMEM;
			break;
		}
		if (!(rc = wdn_reader_feed(r, path_text[i], path_len[i])) && !(rc = wdn_reader_finish(r, &err)))
			rc = p.rc;
		wdn_reader_free(r);
	}
	if (!rc)
		rc = wdn_recorder_flush(p.r, &err);
	wdn_recorder_free(p.r);
	if (!rc && !fail_at) /* the keys, for sc_render */
		for (npath_keys = 0; npath_keys < p.nkeys; npath_keys++)
			memcpy(path_keys[npath_keys], p.keys[npath_keys], sizeof(path_keys[0]));
	for (i = 0; !rc && i < p.nkeys; i++)
		if ((rc = lookup_json(s, p.keys[i], WDN_ANS_TRAILS | WDN_ANS_DESCENDANTS, out)) == WDN_ENOTFOUND)
			rc = wdn_buf_addf(out, "%s not found\n", p.keys[i]);
	return rc ? rc : wdn_buf_failed(out);
}

static int sc_paths(struct wdn_buf *out)
{
	struct wdn_store *s = NULL;
	struct wdn_err err = { 0 };
	char path[512];
	int rc, was = armed;

	armed = 0;
	snprintf(path, sizeof(path), "%s/paths.db", tmpdir);
	unlink(path);
	rc = wdn_store_open(path, WDN_STORE_CREATE, NULL, &s, &err);
	armed = was;
	if (rc)
		return rc;
	rc = record_paths(s, NPATHS, out);
	wdn_store_close(s);
	return rc;
}

static int on_walked(void *ctx, const char *file)
{
	return wdn_buf_addf(ctx, "walked %s\n", file + strlen(tmpdir));
}

/* Answers of the paths fixtures' keys (chains, descendants) rendered as
 * Markdown and Graphviz, each into a buffer of its own: the rows' and the
 * sessions' appends are where those buffers grow. */
static int sc_render(struct wdn_buf *out)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; !rc && i < npath_keys; i++) {
		struct wdn_answer a;
		struct wdn_buf md = WDN_BUF_INIT, dot = WDN_BUF_INIT;
		struct wdn_err err = { 0 };

		if ((rc = wdn_resolve(pathsdb, path_keys[i], WDN_TIME_MAX, &a, &err)) ||
		    (rc = wdn_resolve_descendants(pathsdb, &a, &err))) {
			wdn_answer_release(&a);
			if (rc == WDN_ENOTFOUND)
				rc = wdn_buf_addf(out, "%s not found\n", path_keys[i]);
			continue;
		}
		if (!(rc = wdn_answer_markdown(&a, &md)) && !(rc = wdn_answer_dot(&a, &dot)))
			rc = wdn_buf_addf(out, "%s%s", md.ptr, dot.ptr);
		/* a chain or descendants: the graph again after k bytes, so
		 * that the buffer grows at other places among its appends */
		for (k = 5; !rc && (a.nlinks > 1 || a.ndesc) && k < 64; k += 6) {
			wdn_buf_release(&dot);
			if (!(rc = wdn_buf_addf(&dot, "%*s", (int)k, "")) && !(rc = wdn_answer_dot(&a, &dot)))
				rc = wdn_buf_addf(out, "%zu %zu\n", k, dot.len);
		}
		wdn_answer_release(&a);
		wdn_buf_release(&md);
		wdn_buf_release(&dot);
	}
	return rc;
}

/* Paths the library makes from the environment, a directory walked, and a
 * digest's inputs. */
static int sc_small(struct wdn_buf *out)
{
	static const char b64[] = "d2hvZHVubml0IGRpZ2VzdCBzaWduYXR1cmU=";
	char *cfg = getenv("AWS_CONFIG_FILE") ? strdup(getenv("AWS_CONFIG_FILE")) : NULL;
	char *p1, *p2;
	struct wdn_buf dec = WDN_BUF_INIT, gz = WDN_BUF_INIT;
	struct wdn_err err = { 0 };
	int rc;

	unsetenv("AWS_CONFIG_FILE");
	p1 = wdn_aws_config_path();
	p2 = wdn_store_default_path();
	if (cfg)
		setenv("AWS_CONFIG_FILE", cfg, 1);
	free(cfg);
	rc = !p1 || !p2 ? WDN_ENOMEM : wdn_buf_addf(out, "%s\n%s\n", p1, p2);
	free(p1);
	free(p2);
	if (!rc) {
		char walk[512];

		snprintf(walk, sizeof(walk), "%s/walk", tmpdir);
		rc = wdn_input_walk(walk, on_walked, out, &err);
	}
	if (!rc && !(rc = wdn_base64_decode(b64, strlen(b64), &dec)))
		rc = wdn_buf_addf(out, "%s\n", dec.ptr);
	if (!rc && !(rc = wdn_gunzip(gz_seed, gz_seed_len, &gz, &err)))
		rc = wdn_buf_addf(out, "gunzipped %zu bytes\n", gz.len);
	wdn_buf_release(&dec);
	wdn_buf_release(&gz);
	return rc;
}

/* ---- AWS paths, against a canned endpoint ------------------------------- */

/* A forked server on a loopback port answers every AWS call the scenarios
 * make (DynamoDB, S3, SQS, STS, the container endpoint, Lambda's Runtime
 * API) with fixed answers: its allocations are another process's, never
 * counted. */
static char aws_url[64];
static pid_t aws_pid;

static const char *canned(const char *req, int *status, const char **type, const char **extra)
{
	static const char sts[] =
		"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIACANNEDROLE000001</AccessKeyId>"
		"<SecretAccessKey>canned-secret</SecretAccessKey><SessionToken>canned-token</SessionToken>"
		"<Expiration>2031-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
	static const char *const keys[] = {
		"out/account=111122223333/region=us-east-1/day=2024-01-02/a.json.gz",
		"out/account=111122223333/region=us-east-1/day=2024-01-03/b.json.gz",
		"out/account=444455556666/region=eu-west-1/day=2024-01-02/c.json.gz",
	};
	static char list[2048];
	static const char receive[] =
		"{\"Messages\":[{\"MessageId\":\"m-1\",\"ReceiptHandle\":\"rh-1\",\"Body\":\"{\\\"Records\\\":[{"
		"\\\"eventSource\\\":\\\"aws:s3\\\",\\\"eventName\\\":\\\"ObjectCreated:Put\\\",\\\"s3\\\":{\\\"bucket\\\":"
		"{\\\"name\\\":\\\"trail-bucket\\\"},\\\"object\\\":{\\\"key\\\":\\\"AWSLogs/111122223333/CloudTrail/"
		"us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_20240102T0000Z_x.json\\\"}}}]}\"}]}";
	const char *target = strcasestr(req, "\r\nx-amz-target:");

	*status = 200;
	*type = "application/x-amz-json-1.0";
	*extra = "";
	if (target) {
		target += 15;
		while (*target == ' ')
			target++;
#define T(op) !strncmp(target, op, strlen(op))
		if (T("DynamoDB_20120810.BatchWriteItem"))
			return "{\"UnprocessedItems\":{}}";
		if (T("DynamoDB_20120810.BatchGetItem"))
			return "{\"Responses\":{},\"UnprocessedKeys\":{}}";
		if (T("DynamoDB_20120810.Query") && strstr(req, "{\"S\":\"D\"}"))
			return "{\"Items\":[{\"pk\":{\"S\":\"D\"},\"sk\":{\"S\":\"111122223333#us-east-1\"}},"
			       "{\"pk\":{\"S\":\"D\"},\"sk\":{\"S\":\"444455556666#eu-west-1\"}}],\"Count\":2}";
		if (T("DynamoDB_20120810.Query") && strstr(req, "{\"S\":\"D#111122223333#us-east-1\"}"))
			return "{\"Items\":[{\"pk\":{\"S\":\"D#111122223333#us-east-1\"},\"sk\":{\"S\":\"x\"},"
			       "\"account\":{\"S\":\"111122223333\"},\"region\":{\"S\":\"us-east-1\"},"
			       "\"start\":{\"N\":\"1704153600\"},\"end\":{\"N\":\"1704157200\"},"
			       "\"digest\":{\"S\":\"digest/a.json.gz\"}}],\"Count\":1}";
		if (T("DynamoDB_20120810.Query"))
			return "{\"Items\":[],\"Count\":0}";
		if (T("DynamoDB_20120810.BatchGetItem") && strstr(req, "{\"S\":\"S\"}"))
			return "{\"Responses\":{\"wdn-kinds\":[{\"pk\":{\"S\":\"S#s3://trail-bucket/AWSLogs/a.json.gz\"},"
			       "\"sk\":{\"S\":\"S\"},\"integrity\":{\"S\":\"verified\"}}]},\"UnprocessedKeys\":{}}";
		if (T("DynamoDB_20120810.DescribeTable"))
			return "{\"Table\":{\"TableStatus\":\"ACTIVE\"}}";
		if (T("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys"))
			return "{\"PublicKeyList\":[{\"Value\":\"AAEC\",\"ValidityStartTime\":1709251200,"
			       "\"ValidityEndTime\":1711929600,\"Fingerprint\":\"0a1b2c3d4e5f60718293a4b5c6d7e8f9\"}]}";
		if (T("AmazonSQS.ReceiveMessage"))
			return receive;
		if (T("AmazonSQS.DeleteMessageBatch"))
			return "{\"Successful\":[{\"Id\":\"0\"}],\"Failed\":[]}";
		return "{}"; /* PutItem, GetItem, CreateTable, UpdateTimeToLive */
#undef T
	}
	*type = "text/xml";
	if (strstr(req, "Action=AssumeRole"))
		return sts;
	if (!strncmp(req, "GET /container-creds", 20)) {
		*type = "application/json";
		return "{\"AccessKeyId\":\"ASIACANNEDCONTAINER1\",\"SecretAccessKey\":\"c-secret\",\"Token\":\"c-token\","
		       "\"Expiration\":\"2031-01-01T00:00:00Z\"}";
	}
	/* IMDSv2: the session token, the role's name, its credentials */
	if (!strncmp(req, "PUT /latest/api/token ", 22))
		return "canned-imds-session-token\n";
	if (!strncmp(req, "GET /latest/meta-data/iam/security-credentials/ ", 48))
		return "CannedInstanceRole\n";
	if (!strncmp(req, "GET /latest/meta-data/iam/security-credentials/CannedInstanceRole ", 66)) {
		*type = "application/json";
		return "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIACANNEDINSTANCE01\",\"SecretAccessKey\":\"i-secret\","
		       "\"Token\":\"i-token\",\"Expiration\":\"2031-01-01T00:00:00Z\"}";
	}
	if (!strncmp(req, "GET /portal/federation/credentials?", 35)) {
		*type = "application/json";
		return "{\"roleCredentials\":{\"accessKeyId\":\"ASIACANNEDSSOPORTAL1\",\"secretAccessKey\":\"p-secret\","
		       "\"sessionToken\":\"p-token\",\"expiration\":1924992000000}}";
	}
	if (!strncmp(req, "GET /2018-06-01/runtime/invocation/next", 39)) {
		*type = "application/json";
		*extra = "Lambda-Runtime-Aws-Request-Id: req-canned-1\r\n";
		return "{\"s3Bucket\":\"trail-bucket\",\"s3ObjectKey\":[\"AWSLogs/111122223333/CloudTrail/us-east-1/"
		       "2024/01/02/111122223333_CloudTrail_us-east-1_20240102T0000Z_x.json\"]}";
	}
	if (!strncmp(req, "POST /2018-06-01/runtime/", 25)) {
		*status = 202;
		return "{\"status\":\"OK\"}";
	}
	if (strstr(req, "list-type=2") && strstr(req, "prefix=page") && !strstr(req, "continuation-token=")) {
		/* "pageNN": a first page whose continuation token is NN bytes long */
		const char *p = strstr(req, "prefix=page") + 11;
		size_t n = strtoul(p, NULL, 10), i;

		i = (size_t)snprintf(list, sizeof(list), "<ListBucketResult><IsTruncated>true</IsTruncated>"
				     "<NextContinuationToken>");
		for (; n && i < sizeof(list) - 64; n--)
			list[i++] = 't';
		snprintf(list + i, sizeof(list) - i, "</NextContinuationToken></ListBucketResult>");
		return list;
	}
	if (strstr(req, "list-type=2")) {
		/* the keys after start-after, as S3 lists them */
		const char *sa = strstr(req, "start-after="), *p;
		char after[512] = "";
		size_t i, n = 0, k;

		for (p = sa ? sa + 12 : ""; *p && *p != '&' && *p != ' ' && n < sizeof(after) - 1; p++)
			after[n++] = *p == '%' && p[1] && p[2] ? (char)strtol((char[]){ p[1], p[2], 0 }, NULL, 16) : *p,
			p += *p == '%' && p[1] && p[2] ? 2 : 0;
		after[n] = '\0';
		k = (size_t)snprintf(list, sizeof(list), "<ListBucketResult><IsTruncated>false</IsTruncated>");
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i], after) > 0)
				k += (size_t)snprintf(list + k, sizeof(list) - k,
						      "<Contents><Key>%s</Key><Size>%zu</Size></Contents>", keys[i], i + 9);
		snprintf(list + k, sizeof(list) - k, "</ListBucketResult>");
		return list;
	}
	if (!strncmp(req, "GET /trail-bucket/AWSLogs/", 26))
		return seed;
	if (!strncmp(req, "GET /digest-bucket/", 19)) {
		*extra = "x-amz-meta-signature: 0badc0de\r\nX-Amz-Meta-Signature-Algorithm: SHA256withRSA\r\n";
		return "{}";
	}
	if (!strncmp(req, "HEAD ", 5)) {
		*status = 404;
		return "";
	}
	return ""; /* PUT of an object */
}

static void aws_serve_one(int fd)
{
	static char req[1 << 20];
	char head[512];
	const char *body, *type, *extra;
	size_t n;
	int status, hn;

	n = http_read_request(fd, req, sizeof(req));
	if (!n)
		return;
	body = canned(req, &status, &type, &extra);
	hn = snprintf(head, sizeof(head), "HTTP/1.1 %d Canned\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		      "Connection: close\r\n\r\n", status, type, strlen(body), extra);
	if (write(fd, head, (size_t)hn) == hn && strncmp(req, "HEAD ", 5))
		(void)!write(fd, body, strlen(body));
}

static int aws_start(void)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int l;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 64) || getsockname(l, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(aws_url, sizeof(aws_url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	if ((aws_pid = fork()) < 0)
		return -1;
	if (!aws_pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
		for (;;) {
			int fd = accept(l, NULL, NULL);

			if (fd < 0)
				_exit(1);
			aws_serve_one(fd);
			close(fd);
		}
	}
	close(l);
	setenv("AWS_ENDPOINT_URL", aws_url, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDCANNEDEXAMPLE001", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "canned-secret-key", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_MAX_ATTEMPTS", "1", 1); /* a failed run fails now, not after backoffs */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	return 0;
}

static void aws_stop(void)
{
	if (aws_pid > 0) {
		kill(aws_pid, SIGTERM);
		waitpid(aws_pid, NULL, 0);
	}
}

/* The DynamoDB store: the seed recorded (BatchWriteItem), keys looked up. */
static int sc_dynamodb(struct wdn_buf *out)
{
	static const char *const keys[] = { SEED_LEAF, "AKIAIOSFODNN7EXAMPLE" };
	struct wdn_store_opts o = { NULL, NULL, NULL, 30 };
	struct wdn_store *s = NULL;
	struct wdn_err err = { 0 };
	size_t i;
	int rc;

	o.endpoint = aws_url;
	if ((rc = wdn_store_dynamodb_create("wdn-canned", &o, &err)) ||
	    (rc = wdn_store_open("dynamodb:wdn-canned", WDN_STORE_CREATE, &o, &s, &err)))
		return rc;
	rc = record_seed(s);
	for (i = 0; !rc && i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct wdn_answer a;

		rc = wdn_resolve(s, keys[i], WDN_TIME_MAX, &a, &err);
		if (!rc)
			rc = wdn_resolve_descendants(s, &a, &err);
		if (rc == WDN_ENOTFOUND)
			rc = 0, wdn_buf_addf(out, "%s not found\n", keys[i]);
		else if (!rc)
			wdn_buf_addf(out, "%s %s\n", keys[i], a.principal ? a.principal : "-");
		wdn_answer_release(&a);
	}
	wdn_store_close(s);
	return rc ? rc : wdn_buf_failed(out);
}

static int on_cover(void *ctx, const struct wdn_cover *c)
{
	return wdn_buf_addf(ctx, "cover %s %s %lld %lld %s\n", c->account, c->region, (long long)c->start,
			    (long long)c->end, c->log ? c->log : c->digest ? c->digest : "-");
}

/* The DynamoDB store by kind: the paths fixtures' issuances and changes
 * recorded (PutItem, BatchWriteItem), a key's next issuance, sources kept
 * and read back (GetItem by BatchGetItem), covers written and listed
 * (Query answers canned for the D partitions). */
static int sc_ddb_kinds(struct wdn_buf *out)
{
	static const struct wdn_cover covers[] = {
		{ "111122223333", "us-east-1", 1704153600, 1704157200, "digest/a.json.gz", NULL, 0, 0 },
		{ "111122223333", "us-east-1", 1704153600, 1704157200, "digest/a.json.gz", "logs/a.json.gz", 1, 0 },
		{ "111122223333", "us-east-1", 1704153600, 1704157200, "digest/a.json.gz", "logs/b.json.gz", 0, 0 },
	};
	struct wdn_store_opts o = { NULL, NULL, NULL, 30 };
	struct wdn_store *s = NULL;
	struct wdn_err err = { 0 };
	int64_t start;
	size_t i;
	int rc, integrity;

	o.endpoint = aws_url;
	if ((rc = wdn_store_open("dynamodb:wdn-kinds", WDN_STORE_CREATE, &o, &s, &err)))
		return rc;
	rc = record_paths(s, 1, out); /* iam-tags.json: tag changes */
	for (i = 0; !rc && i < 3; i++) {
		/* one key ID issued again in a run, and a cross-account copy */
		struct wdn_issuance is = { 0 };

		is.key_id = "ASIAKINDSRECYCLED001";
		is.start = 1704153600 + (int64_t)i * 7200;
		is.end = is.start + 3600;
		is.event_id = i ? "ev-kinds-2" : "ev-kinds-1";
		is.principal = "arn:aws:iam::111122223333:role/Kinds";
		is.caller_key = i < 2 ? "AKIAKINDSCALLER00001" : NULL;
		is.caller_type = i < 2 ? "IAMUser" : "AWSAccount";
		rc = s->ops->put_issuance(s, &is, &err);
	}
	if (!rc && (rc = s->ops->next_issuance(s, SEED_LEAF, 0, &start, &err)) == WDN_ENOTFOUND)
		rc = wdn_buf_adds(out, "no next issuance\n");
	if (!rc)
		rc = s->ops->put_source(s, "s3://trail-bucket/AWSLogs/a.json.gz", WDN_INTEGRITY_VERIFIED, "listed",
					1704157200, &err);
	if (!rc)
		rc = s->ops->put_source(s, "s3://trail-bucket/AWSLogs/b.json.gz", WDN_INTEGRITY_TAMPERED,
					"hash differs", 1704157200, &err);
	if (!rc && !(rc = s->ops->get_source(s, "s3://trail-bucket/AWSLogs/a.json.gz", &integrity, &err)))
		rc = wdn_buf_addf(out, "source %d\n", integrity);
	else if (rc == WDN_ENOTFOUND)
		rc = wdn_buf_adds(out, "source not kept\n");
	for (i = 0; !rc && i < sizeof(covers) / sizeof(covers[0]); i++)
		rc = s->ops->put_cover(s, &covers[i], &err);
	if (!rc)
		rc = s->ops->commit(s, &err);
	if (!rc)
		rc = s->ops->covers(s, NULL, on_cover, out, &err);
	wdn_store_close(s);
	return rc ? rc : wdn_buf_failed(out);
}

static int on_listed(void *ctx, const struct wdn_s3_object *o)
{
	return wdn_buf_addf(ctx, "listed %s %lld\n", o->key, (long long)o->size);
}

static int on_body(void *ctx, const void *p, size_t n)
{
	return wdn_buf_addf(ctx, "got %zu bytes\n", n);
}

/* Listings whose queries outgrow a buffer's first 64 bytes at each of
 * their parameters: prefixes of 40 and 44 bytes that need no escapes (at
 * start-after), and second pages after continuation tokens of 26 to 44
 * bytes (at list-type, prefix). */
static int s3_pages(struct wdn_aws *a, struct wdn_buf *out, struct wdn_err *err)
{
	static const char *const prefixes[] = {
		"out.account-111122223333.region-us-east-1", "out.account-111122223333.region-us-east-1.day",
		"page26", "page29", "page32", "page36", "page40", "page44",
	};
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		rc = wdn_s3_list(a, "out-bucket", prefixes[i], "out", on_listed, out, err);
	return rc;
}

/* A digest's object read with its metadata (the signature headers). */
static int s3_meta(struct wdn_aws *a, struct wdn_buf *out, struct wdn_err *err)
{
	struct wdn_buf meta = WDN_BUF_INIT;
	char *sig = NULL, *alg = NULL;
	int rc = wdn_s3_get_meta(a, "digest-bucket", "AWSLogs/d.json.gz", on_body, out, &meta, err);

	if (!rc && (!(sig = wdn_s3_meta_get(&meta, "signature")) ||
		    !(alg = wdn_s3_meta_get(&meta, "signature-algorithm"))))
		rc = WDN_ENOMEM; /* the canned answer has both */
	if (!rc)
		rc = wdn_buf_addf(out, "signature %s %s\n", sig, alg);
	free(sig);
	free(alg);
	wdn_buf_release(&meta);
	return rc;
}

/* S3: put, list, get, exists; Athena's partitions read from a listing; an
 * output tree under s3:// written and marked. */
static int sc_s3(struct wdn_buf *out)
{
	struct wdn_aws *a = NULL;
	struct wdn_athena at;
	struct wdn_outtree *t = NULL;
	struct wdn_outtree_writer *w = NULL;
	struct wdn_err err = { 0 };
	int rc;

	wdn_athena_init(&at);
	at.table = "t";
	at.location = "s3://out-bucket/out";
	if ((rc = wdn_aws_new(NULL, NULL, NULL, &a, &err)))
		return rc;
	if (!(rc = wdn_s3_put(a, "out-bucket", "a key/with spaces+plus.json", "{}", 2, "application/json", &err)) &&
	    !(rc = wdn_s3_list(a, "out-bucket", "out/", NULL, on_listed, out, &err)) &&
	    !(rc = s3_pages(a, out, &err)) &&
	    !(rc = s3_meta(a, out, &err)) &&
	    !(rc = wdn_s3_get(a, "trail-bucket", "AWSLogs/x.json", on_body, out, &err)) &&
	    (rc = wdn_s3_exists(a, "out-bucket", "nothing/here", &err)) >= 0 &&
	    !wdn_buf_addf(out, "exists %d\n", rc) &&
	    !(rc = wdn_athena_scan_s3(&at, a, "out-bucket", "out", &err)) && !(rc = wdn_athena_ddl(out, &at, &err)) &&
	    !(rc = wdn_outtree_open("s3://out-bucket/enriched", &t, &err))) {
		if (!(w = wdn_outtree_writer_new(t, a)))
			rc = WDN_ENOMEM;
		if (!rc && !(rc = wdn_outtree_begin(w, "s3://trail-bucket/AWSLogs/x.json", &err)) &&
		    (rc = wdn_outtree_done(w, &err)) >= 0 &&
		    !(rc = wdn_outtree_write(w, "account=111122223333/region=us-east-1/day=2024-01-02", "{}\n", 3,
					     &err)))
			rc = wdn_outtree_commit(w, &err);
		wdn_outtree_writer_free(w);
		wdn_outtree_close(t);
	}
	wdn_athena_release(&at);
	wdn_aws_free(a);
	return rc ? rc : wdn_buf_failed(out);
}

static int dl_object(void *ctx, const char *bucket, const char *key, struct wdn_err *err)
{
	return wdn_buf_addf(((struct told *)ctx)->out, "object %s %s\n", bucket, key);
}

/* An invocation handled as wdn-record --lambda does; one that failed for
 * want of memory (answered as failed: Lambda sends it again) fails the run. */
static int queue_handle(void *ctx, const char *id, const char *payload, size_t len, struct wdn_buf *resp,
			const char **type, struct wdn_err *err)
{
	struct wdn_delivery *d = ctx;
	int rc = wdn_lambda_handle(d, id, payload, len, resp, err);

	if (rc == WDN_ENOMEM)
		((struct told *)d->ctx)->nomem = 1;
	return rc;
}

/* SQS: one batch received, its object recorded, the message deleted; then
 * Lambda's Runtime API: one invocation fetched, handled, answered. */
static int sc_queue(struct wdn_buf *out)
{
	struct wdn_store *s = NULL;
	struct wdn_recorder *rec;
	struct told t = { out, 0 };
	struct wdn_delivery d = { 0 };
	struct wdn_err err = { 0 };
	int rc;

	if ((rc = delivery_open("queue", &t, &s, &rec, &d)))
		return rc;
	d.max = 1;
	if (!(rc = wdn_aws_new(NULL, NULL, NULL, &d.aws, &err))) {
		char queue[192];

		/* no endpoint for SQS: the queue URL's host is it (S3 keeps the canned
		 * one), longer than the default endpoint's (a user name before the
		 * host) so that its own copy outgrows the buffer */
		snprintf(queue, sizeof(queue), "http://a-queue-user-name-long-enough-to-pad-the-host-out@%s/"
			 "111122223333/trail-queue", aws_url + 7);
		setenv("AWS_ENDPOINT_URL_S3", aws_url, 1);
		unsetenv("AWS_ENDPOINT_URL");
		rc = wdn_sqs_run(&d, queue, &err);
		setenv("AWS_ENDPOINT_URL", aws_url, 1);
		unsetenv("AWS_ENDPOINT_URL_S3");
		if (!rc)
			wdn_buf_addf(out, "sqs: %llu messages, %llu events\n", (unsigned long long)d.messages,
				     (unsigned long long)d.events);
		d.on_object = dl_object; /* the Lambda invocation: named, not read */
		d.messages = 0;
		if (!rc) {
			struct wdn_lambda_handler h = { queue_handle, NULL, &d, NULL, 1, 0 };

			if (!(rc = wdn_lambda_serve(&h, &err)))
				wdn_buf_addf(out, "lambda: %llu invocations\n", (unsigned long long)h.invocations);
		}
		wdn_aws_free(d.aws);
	}
	wdn_recorder_free(rec);
	wdn_store_close(s);
	return rc ? rc : t.nomem ? WDN_ENOMEM : wdn_buf_failed(out);
}

/* The credential chain: a role assumed through STS from a profile's keys,
 * from the container endpoint, from instance metadata (IMDSv2, its endpoint
 * from the profile); a credential_process program; IAM Identity Center (the
 * token cached under HOME, then the portal). */
static int sc_creds(struct wdn_buf *out)
{
	static const char *const profiles[] = { "canned-role", "canned-container", "canned-imds",
						"canned-process", "canned-sso" };
	size_t i;
	int rc = 0;

	unsetenv("AWS_EC2_METADATA_DISABLED"); /* libc's allocations: not counted */
	for (i = 0; !rc && i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		struct wdn_aws *a = NULL;
		struct wdn_creds c;
		struct wdn_err err = { 0 };

		memset(&c, 0, sizeof(c));
		if (!(rc = wdn_aws_new(profiles[i], NULL, NULL, &a, &err)) && !(rc = wdn_creds_resolve(a, &c, &err)))
			wdn_buf_addf(out, "%s %s %s\n", profiles[i], c.key_id, c.source);
		else if (!fail_at)
			printf("#   %s: %s\n", profiles[i], err.msg); /* why a reference run failed */
		wdn_creds_release(&c);
		wdn_aws_free(a);
	}
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	return rc ? rc : wdn_buf_failed(out);
}

/* ---- digests: a digest file from S3, its key fetched, its log checked ---- */

/* The shape of CloudTrail's digest files, our own values. */
static const char digest_text[] =
	"{\"awsAccountId\":\"444455556666\",\"digestStartTime\":\"2024-03-09T10:22:05Z\","
	"\"digestEndTime\":\"2024-03-09T11:22:05Z\",\"digestS3Bucket\":\"example-trail-bucket\","
	"\"digestS3Object\":\"AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
	"444455556666_CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T112205Z.json.gz\","
	"\"digestPublicKeyFingerprint\":\"0a1b2c3d4e5f60718293a4b5c6d7e8f9\","
	"\"digestSignatureAlgorithm\":\"SHA256withRSA\",\"newestEventTime\":\"2024-03-09T11:10:44Z\","
	"\"oldestEventTime\":\"2024-03-09T10:31:02Z\",\"previousDigestS3Bucket\":\"example-trail-bucket\","
	"\"previousDigestS3Object\":\"AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/"
	"444455556666_CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T102205Z.json.gz\","
	"\"previousDigestHashValue\":\"5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592\","
	"\"previousDigestHashAlgorithm\":\"SHA-256\",\"previousDigestSignature\":\"0badc0de\","
	"\"logFiles\":[{\"s3Bucket\":\"example-trail-bucket\",\"s3Object\":\"AWSLogs/444455556666/CloudTrail/"
	"eu-west-3/2024/03/09/444455556666_CloudTrail_eu-west-3_20240309T1045Z_Qx3vB0kq9ZtP1LmA.json.gz\","
	"\"hashValue\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\","
	"\"hashAlgorithm\":\"SHA-256\"}]}";

static void on_finding(void *ctx, const struct wdn_finding *f)
{
	wdn_buf_addf(ctx, "finding %d %s: %s\n", f->kind, f->source ? f->source : f->key ? f->key : "-", f->why);
}

/* A digest read from S3 (its metadata signature), one it lists and one it
 * does not: the key fetched from ListPublicKeys (canned, not a key that
 * verifies anything), the message to sign made, each status decided. */
static int sc_verify(struct wdn_buf *out)
{
	static const char log_key[] = "AWSLogs/444455556666/CloudTrail/eu-west-3/2024/03/09/"
				      "444455556666_CloudTrail_eu-west-3_20240309T1045Z_Qx3vB0kq9ZtP1LmA.json.gz";
	struct wdn_verifier *v = wdn_verifier_new();
	struct wdn_err err = { 0 };
	uint64_t n[4];
	uint8_t sha[32];
	int rc;

	if (!v)
		return WDN_ENOMEM;
	wdn_sha256("", 0, sha);
	rc = wdn_verifier_add_digest(v, "s3://example-trail-bucket/digest", "example-trail-bucket",
				     "AWSLogs/444455556666/CloudTrail-Digest/eu-west-3/2024/03/09/444455556666_"
				     "CloudTrail-Digest_eu-west-3_audit_eu-west-3_20240309T112205Z.json.gz",
				     digest_text, sizeof(digest_text) - 1, "0badc0de", "SHA256withRSA");
	if (!rc)
		rc = wdn_verifier_add_digest(v, "junk.json", NULL, NULL, "{\"awsAccountId\":1}", 18, NULL, NULL);
	if (!rc)
		rc = wdn_verifier_add_log(v, "s3://example-trail-bucket/log", "example-trail-bucket", log_key, sha);
	if (!rc)
		rc = wdn_verifier_fetch_keys(v, NULL, NULL, &err);
	if (!rc)
		rc = wdn_verifier_finish(v, on_finding, out);
	if (!rc)
		rc = wdn_verifier_coverage(v, on_cover, out);
	if (!rc) {
		wdn_verifier_counts(v, &n[0], &n[1], &n[2], &n[3]);
		rc = wdn_buf_addf(out, "%s; %llu %llu %llu %llu\n",
				  wdn_integrity_name(wdn_verifier_status(v, "s3://example-trail-bucket/log", NULL)),
				  (unsigned long long)n[0], (unsigned long long)n[1], (unsigned long long)n[2],
				  (unsigned long long)n[3]);
	}
	wdn_verifier_free(v);
	return rc ? rc : wdn_buf_failed(out);
}

/* The files sc_creds reads: ~/.aws/config, ~/.aws/credentials. */
static int make_aws_files(void)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/aws-config", tmpdir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "[profile canned-role]\nrole_arn = arn:aws:iam::111122223333:role/Canned\n"
		   "source_profile = canned-keys\nrole_session_name = canned-session\nexternal_id = ext-1\n"
		   "[profile canned-container]\ncredential_source = EcsContainer\n"
		   "role_arn = arn:aws:iam::111122223333:role/FromContainer\n"
		   "[profile canned-imds]\ncredential_source = Ec2InstanceMetadata\n"
		   "role_arn = arn:aws:iam::111122223333:role/FromInstance\n"
		   "ec2_metadata_service_endpoint = %s/\n"
		   "[profile canned-process]\ncredential_process = %s/creds-process.sh\n"
		   "[profile canned-sso]\nsso_session = canned-sso\nsso_account_id = 111122223333\n"
		   "sso_role_name = Canned\n"
		   "[sso-session canned-sso]\nsso_start_url = https://canned.awsapps.com/start\n"
		   "sso_region = us-east-1\n", aws_url, tmpdir);
	fclose(f);
	setenv("AWS_CONFIG_FILE", path, 1);
	/* credential_process: a program printing its JSON */
	snprintf(path, sizeof(path), "%s/creds-process.sh", tmpdir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "#!/bin/sh\nprintf '%%s' '{\"Version\": 1, \"AccessKeyId\": \"ASIACANNEDPROCESS001\", "
		   "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\", "
		   "\"Expiration\": \"2031-01-01T00:00:00Z\"}'\n");
	fclose(f);
	chmod(path, 0700);
	/* the portal under a path: its URL outgrows a buffer's first 64 bytes
	 * in sso_portal's own append, not only in the endpoint's */
	snprintf(path, sizeof(path), "%s/portal", aws_url);
	setenv("AWS_ENDPOINT_URL_SSO", path, 1);
	/* the SSO token `aws sso login` caches, named by the session's SHA-1 */
	setenv("HOME", tmpdir, 1);
	snprintf(path, sizeof(path), "%s/.aws", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.aws/sso", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.aws/sso/cache", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.aws/sso/cache/31e23effe0630e07a6fbff986ba94482d6b8d0da.json", tmpdir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "{\"accessToken\": \"canned-sso-access-token\", \"expiresAt\": \"2031-01-01T00:00:00Z\"}\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/aws-credentials", tmpdir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "[canned-keys]\naws_access_key_id = AKIDCANNEDKEYS000001\naws_secret_access_key = s\n");
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	snprintf(path, sizeof(path), "%s/container-creds", aws_url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", path, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "canned-container-token", 1);
	setenv("AWS_LAMBDA_RUNTIME_API", aws_url + 7, 1);
	return 0;
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

/* Whose allocation failed, named as note_appender names them. */
static void show_stack(void)
{
	char key[96];
	int i;

	for (i = 2; i < failed_depth; i++) {
		const struct sym *s = sym_of(failed_stack[i]);

		if (!s)
			break;
		sym_key(s, key, sizeof(key));
		printf("#   called from %s\n", key);
	}
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
	       "#   got:  %.300s\n#   want: %.120s\n", name, n,
	       dladdr(failed_site, &info) && info.dli_sname ? info.dli_sname : "?", from,
	       got->ptr + (from < got->len ? from : got->len), want->ptr + from);
	show_stack();
}

static void scenario(const char *name, scenario_fn fn)
{
	struct wdn_buf want = WDN_BUF_INIT, got = WDN_BUF_INIT;
	long n, count, wrong = 0, errors = 0, other = 0;
	const char *only = getenv("WDN_ALLOCFAIL_ONLY"); /* one scenario, when looking into it */
	int rc;

	if (only && strcmp(only, name))
		return;
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
			/* want of memory is a runtime failure, never the input's fault
			 * (a rejection: exit 3, and the input set aside as bad) */
			if (rc == WDN_EINVAL && !other++)
				printf("# %s: allocation %ld failed, and the run said %s\n", name, n, wdn_strerror(rc)),
					show_stack();
		} else if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len)) {
			if (!wrong++)
				show_wrong(name, n, &got, &want);
		}
		if (count < n)
			break;
	}
	is_int(wrong, 0, "%s: %ld runs, each failed or gave the reference output", name, n);
	ok(errors > 0, "%s: %ld runs failed with an error code", name, errors);
	is_int(other, 0, "%s: none of them blamed the input (WDN_EINVAL or a rejection)", name);
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
	syms_load();
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
	for (size_t i = 0; i < NPATHS; i++) {
		snprintf(path, sizeof(path), "%s/tests/fixtures/paths/%s", top ? top : ".", path_files[i]);
		if (!(path_text[i] = slurp(path, &path_len[i]))) {
			printf("Bail out! cannot read %s\n", path);
			return 1;
		}
	}
	{
		z_stream z = { 0 };

		if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return 1;
		z.next_in = (unsigned char *)seed;
		z.avail_in = (uInt)seed_len;
		z.next_out = gz_seed;
		z.avail_out = sizeof(gz_seed);
		if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
			printf("Bail out! cannot gzip the seed\n");
			return 1;
		}
		gz_seed_len = sizeof(gz_seed) - z.avail_out;
		deflateEnd(&z);
	}
	{
		struct wdn_buf scratch = WDN_BUF_INIT;

		snprintf(path, sizeof(path), "%s/pathsdb.db", tmpdir);
		if (wdn_store_open(path, WDN_STORE_CREATE, NULL, &pathsdb, &err) ||
		    record_paths(pathsdb, NPATHS, &scratch)) {
			printf("Bail out! cannot record the paths fixtures: %s\n", err.msg);
			return 1;
		}
		wdn_buf_release(&scratch);
	}
	if (make_athena_tree()) {
		printf("Bail out! cannot make the partitions\n");
		return 1;
	}
	scenario("reader", sc_reader);
	scenario("json", sc_json);
	scenario("sigv4", sc_sigv4);
	scenario("resolve", sc_resolve);
	scenario("enrich", sc_enrich);
	scenario("forged", sc_forged);
	scenario("api", sc_api);
	scenario("record", sc_record);
	scenario("record-group", sc_record_group);
	scenario("lambda", sc_lambda);
	scenario("notify", sc_notify);
	scenario("athena", sc_athena);
	scenario("outtree", sc_outtree);
	scenario("paths", sc_paths);
	scenario("render", sc_render);
	scenario("small", sc_small);
	if (aws_start() || make_aws_files()) {
		printf("Bail out! cannot start the canned AWS endpoint\n");
		return 1;
	}
	scenario("dynamodb", sc_dynamodb);
	scenario("ddb-kinds", sc_ddb_kinds);
	scenario("s3", sc_s3);
	scenario("queue", sc_queue);
	scenario("creds", sc_creds);
	scenario("verify", sc_verify);
	aws_stop();
	report_appenders();
	wdn_store_close(seeded);
	wdn_store_close(pathsdb);
	for (size_t i = 0; i < NPATHS; i++)
		free(path_text[i]);
	free(seed);
	rm_rf(tmpdir);
	return done_testing();
}
