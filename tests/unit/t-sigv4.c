/*
 * SigV4 against AWS's public test suites, read in place from $WDN_TESTDATA
 * (default ../shared/testdata): one line per stage per case, as aws-c-auth's
 * own tests do (canonical request, string to sign, signature).
 */
#include "tap.h"
#include "wdn.h"
#include "sigv4.h"
#include "str.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const char *testdata;

/* ---- files ---------------------------------------------------------------- */

static char *path_join(const char *a, const char *b)
{
	struct wdn_buf p = WDN_BUF_INIT;

	if (wdn_buf_addf(&p, "%s/%s", a, b))
		return NULL;
	return wdn_buf_detach(&p, NULL);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Byte-exact contents, or NULL when the file is absent. */
static char *slurp_in(const char *dir, const char *name, size_t *len)
{
	char *path = path_join(dir, name), *text;

	if (!path)
		return NULL;
	text = slurp(path, len);
	free(path);
	return text;
}

/* Expected outputs never end in a newline; a few files carry one anyway
 * (smithy-rs get-query-plus, double-url-encode). */
static char *expected(const char *dir, const char *name)
{
	size_t n;
	char *s = slurp_in(dir, name, &n);

	while (s && n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct names {
	char **v;
	size_t n, cap;
};

static void names_add(struct names *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = wdn_strdup(s);
}

static void names_free(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Subdirectories of dir (relative to root) holding a file <name>/<name><suffix>,
 * or, with suffix NULL, every subdirectory. Recurses into the others. */
static void collect(const char *root, const char *rel, const char *suffix, int depth,
		    struct names *out)
{
	char *dir = rel ? path_join(root, rel) : wdn_strdup(root);
	struct dirent *e;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (e = readdir(d))) {
		char *sub, *relsub, *file;
		struct wdn_buf fn = WDN_BUF_INIT;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		sub = path_join(dir, e->d_name);
		relsub = rel ? path_join(rel, e->d_name) : wdn_strdup(e->d_name);
		if (sub && relsub && is_dir(sub)) {
			if (!suffix) {
				names_add(out, relsub);
			} else {
				wdn_buf_addf(&fn, "%s%s", e->d_name, suffix);
				file = path_join(sub, fn.ptr);
				if (file && stat(file, &st) == 0)
					names_add(out, relsub);
				else if (depth > 0)
					collect(root, relsub, suffix, depth - 1, out);
				free(file);
			}
		}
		wdn_buf_release(&fn);
		free(sub);
		free(relsub);
	}
	if (d)
		closedir(d);
	free(dir);
	qsort(out->v, out->n, sizeof(*out->v), cmp_strp);
}

/* ---- time ----------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "20150830T123600Z" or "2015-08-30T12:36:00Z". */
static int parse_time(const char *s, int64_t *t)
{
	int v[14], n = 0;
	int64_t y;
	unsigned mo, d, h, mi, se;

	for (; s && *s && *s != 'Z' && n < 14; s++)
		if (*s >= '0' && *s <= '9')
			v[n++] = *s - '0';
	if (n != 14)
		return -1;
	y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
	mo = (unsigned)(v[4] * 10 + v[5]);
	d = (unsigned)(v[6] * 10 + v[7]);
	h = (unsigned)(v[8] * 10 + v[9]);
	mi = (unsigned)(v[10] * 10 + v[11]);
	se = (unsigned)(v[12] * 10 + v[13]);
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* ---- raw HTTP requests ---------------------------------------------------- */

struct rawreq {
	char method[16];
	struct wdn_str path, query, body;
	struct wdn_sigv4_header h[64];
	size_t nh;
};

static struct wdn_str next_line(const char **p, const char *end)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	struct wdn_str l = { s, (size_t)((nl ? nl : end) - s) };

	*p = nl ? nl + 1 : end;
	if (l.len && s[l.len - 1] == '\r')
		l.len--;
	return l;
}

/*
 * "METHOD target HTTP/1.1", headers, a blank line, the body. The target may
 * hold spaces (get-space), so the version is split off at the last space.
 * A line starting with whitespace continues the previous header: the value
 * slice then spans the fold, and the signer collapses it.
 */
static int parse_request(const char *text, size_t len, struct rawreq *rq)
{
	const char *p = text, *end = text + len, *sp1, *sp2, *q;
	struct wdn_str l;

	memset(rq, 0, sizeof(*rq));
	rq->body.ptr = end;
	l = next_line(&p, end);
	sp1 = memchr(l.ptr, ' ', l.len);
	for (sp2 = l.ptr + l.len; sp2 > l.ptr && sp2[-1] != ' '; sp2--)
		;
	if (!sp1 || sp2 <= sp1 + 1 || (size_t)(sp1 - l.ptr) >= sizeof(rq->method))
		return -1;
	memcpy(rq->method, l.ptr, (size_t)(sp1 - l.ptr));
	rq->path.ptr = sp1 + 1;
	rq->path.len = (size_t)(sp2 - 1 - rq->path.ptr);
	if ((q = memchr(rq->path.ptr, '?', rq->path.len))) {
		rq->query.ptr = q + 1;
		rq->query.len = (size_t)(rq->path.ptr + rq->path.len - q - 1);
		rq->path.len = (size_t)(q - rq->path.ptr);
	}
	while (p < end) {
		const char *colon;

		l = next_line(&p, end);
		if (!l.len) {
			rq->body.ptr = p;
			rq->body.len = (size_t)(end - p);
			break;
		}
		if (l.ptr[0] == ' ' || l.ptr[0] == '\t') {
			struct wdn_str *v;

			if (!rq->nh)
				return -1;
			v = &rq->h[rq->nh - 1].value;
			v->len = (size_t)(l.ptr + l.len - v->ptr);
			continue;
		}
		if (!(colon = memchr(l.ptr, ':', l.len)) || rq->nh == sizeof(rq->h) / sizeof(rq->h[0]))
			return -1;
		rq->h[rq->nh].name = (struct wdn_str){ l.ptr, (size_t)(colon - l.ptr) };
		rq->h[rq->nh].value = (struct wdn_str){ colon + 1, (size_t)(l.ptr + l.len - colon - 1) };
		rq->nh++;
	}
	return 0;
}

static void req_from_raw(struct wdn_sigv4_req *r, const struct rawreq *rq)
{
	r->method = rq->method;
	r->path = rq->path;
	r->query = rq->query;
	r->headers = rq->h;
	r->nheaders = rq->nh;
	r->payload = rq->body;
}

/* ---- checking ------------------------------------------------------------- */

/* Authorization values compare with or without a space after each comma
 * (AWS's docs drop it, the suites keep it). */
static char *squeeze_commas(const char *s)
{
	struct wdn_buf b = WDN_BUF_INIT;

	for (; s && *s; s++) {
		wdn_buf_addc(&b, *s);
		if (*s == ',')
			while (s[1] == ' ')
				s++;
	}
	return wdn_buf_detach(&b, NULL);
}

struct want {
	const char *creq, *sts, *sig, *authz, *query;
	const char *why_no_sts;  /* skip reason when the string to sign is absent */
	int sig_elsewhere;       /* the caller checks the signature itself */
};

static void check(const char *label, const struct wdn_sigv4_req *r, const struct want *w)
{
	struct wdn_sigv4_sig s;
	struct wdn_err err;
	struct wdn_buf why = WDN_BUF_INIT;
	int rc;

	memset(&err, 0, sizeof(err));
	wdn_sigv4_sig_init(&s);
	rc = wdn_sigv4_sign(r, &s, &err);
	if (rc)
		printf("# %s: signing failed: %s (%s)\n", label, err.msg, wdn_strerror(rc));

	if (w->creq)
		is_str(s.creq.ptr, w->creq, "%s: canonical request", label);
	else
		wdn_buf_addf(&why, "%s: canonical request: the suite has no expected one", label),
			skip(why.ptr);

	wdn_buf_reset(&why);
	if (w->sts)
		is_str(s.sts.ptr, w->sts, "%s: string to sign", label);
	else
		wdn_buf_addf(&why, "%s: string to sign: %s", label,
			     w->why_no_sts ? w->why_no_sts : "the suite has no expected one"),
			skip(why.ptr);

	wdn_buf_reset(&why);
	if (w->authz) {
		char *got = squeeze_commas(s.authorization.ptr), *want = squeeze_commas(w->authz);

		is_str(got, want, "%s: signature (Authorization header)", label);
		free(got);
		free(want);
	} else if (w->sig) {
		is_str(s.signature, w->sig, "%s: signature", label);
	} else if (!w->sig_elsewhere) {
		wdn_buf_addf(&why, "%s: signature: the suite has no expected one", label);
		skip(why.ptr);
	}
	if (w->query)
		is_str(s.query.ptr, w->query, "%s: presigned query", label);
	wdn_buf_release(&why);
	wdn_sigv4_sig_release(&s);
}

/* ---- botocore: .req .creq .sts .authz ------------------------------------- */

static void run_botocore(void)
{
	char *root = path_join(testdata, "botocore-aws4_testsuite");
	struct names cases = { 0 };
	size_t i;
	int64_t t;

	parse_time("20150830T123600Z", &t);
	if (!root || !is_dir(root)) {
		skip("botocore-aws4_testsuite: not present");
		free(root);
		return;
	}
	collect(root, NULL, ".req", 1, &cases);
	for (i = 0; i < cases.n; i++) {
		const char *base = strrchr(cases.v[i], '/') ? strrchr(cases.v[i], '/') + 1 : cases.v[i];
		char *dir = path_join(root, cases.v[i]), *label = path_join("botocore", cases.v[i]);
		struct wdn_buf fn = WDN_BUF_INIT;
		char *raw, *creq, *sts, *authz, *tok, *token = NULL;
		struct wdn_sigv4_req r;
		struct rawreq rq;
		struct want w = { 0 };
		size_t rawlen;

#define LOAD(var, ext) (wdn_buf_reset(&fn), wdn_buf_addf(&fn, "%s" ext, base), \
			var = ext[1] == 'r' && ext[2] == 'e' ? slurp_in(dir, fn.ptr, &rawlen) : expected(dir, fn.ptr))
		LOAD(raw, ".req");
		LOAD(creq, ".creq");
		LOAD(sts, ".sts");
		LOAD(authz, ".authz");
#undef LOAD
		/* botocore's own harness takes the session token from the canonical
		 * request: the .req of get-vanilla-with-session-token lacks it. */
		if (creq && (tok = strstr(creq, "\nx-amz-security-token:"))) {
			tok += strlen("\nx-amz-security-token:");
			token = wdn_strndup(tok, strcspn(tok, "\n"));
		}
		if (!raw || parse_request(raw, rawlen, &rq)) {
			ok(0, "%s: parse request", label);
		} else {
			wdn_sigv4_req_init(&r, "service");
			req_from_raw(&r, &rq);
			r.region = "us-east-1";
			r.time = t;
			r.creds = (struct wdn_sigv4_creds){ AKID, SECRET, token };
			w.creq = creq;
			w.sts = sts;
			w.authz = authz;
			check(label, &r, &w);
		}
		free(token);
		free(raw);
		free(creq);
		free(sts);
		free(authz);
		free(dir);
		free(label);
		wdn_buf_release(&fn);
	}
	names_free(&cases);
	free(root);
}

/* ---- aws-c-auth format: context.json + request.txt + {header,query}-* ----- */

static yajl_val jget(yajl_val v, const char *a, const char *b)
{
	const char *path[3] = { a, b, NULL };

	return yajl_tree_get(v, path, yajl_t_any);
}

static const char *jstr(yajl_val v, const char *a, const char *b)
{
	yajl_val x = jget(v, a, b);

	return YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
}

static int jtrue(yajl_val v, const char *a)
{
	return YAJL_IS_TRUE(jget(v, a, NULL));
}

/* Returns 0 when dir has no context.json (the caller knows the case). */
static int run_crt_case(const char *label, const char *dir)
{
	size_t len, rawlen;
	char *ctx = slurp_in(dir, "context.json", &len), *raw, errbuf[256];
	yajl_val j;
	struct rawreq rq;
	int mode;

	if (!ctx)
		return 0;
	j = yajl_tree_parse(ctx, errbuf, sizeof(errbuf));
	raw = slurp_in(dir, "request.txt", &rawlen);
	if (!j || !raw || parse_request(raw, rawlen, &rq)) {
		ok(0, "%s: read context.json and request.txt", label);
		goto out;
	}
	for (mode = 0; mode < 2; mode++) {
		const char *pfx = mode ? "query" : "header";
		struct wdn_buf fn = WDN_BUF_INIT, lab = WDN_BUF_INIT;
		struct wdn_sigv4_req r;
		struct want w = { 0 };
		yajl_val exp = jget(j, "expiration_in_seconds", NULL);
		char *creq, *sts, *sig;

		wdn_sigv4_req_init(&r, jstr(j, "service", NULL));
		req_from_raw(&r, &rq);
		r.region = jstr(j, "region", NULL);
		if (parse_time(jstr(j, "timestamp", NULL), &r.time))
			r.time = WDN_TIME_NONE;
		r.creds.key_id = jstr(j, "credentials", "access_key_id");
		r.creds.secret = jstr(j, "credentials", "secret_access_key");
		r.creds.token = jstr(j, "credentials", "token");
		r.normalize_path = jtrue(j, "normalize");
		r.double_encode = 1; /* aws-c-auth's default for every case */
		r.sign_body = jtrue(j, "sign_body");
		r.unsigned_token = jtrue(j, "omit_session_token");
		r.presign = mode;
		r.expires = YAJL_IS_INTEGER(exp) ? YAJL_GET_INTEGER(exp) : 0;

		wdn_buf_addf(&fn, "%s-canonical-request.txt", pfx);
		creq = expected(dir, fn.ptr);
		wdn_buf_reset(&fn);
		wdn_buf_addf(&fn, "%s-string-to-sign.txt", pfx);
		sts = expected(dir, fn.ptr);
		wdn_buf_reset(&fn);
		wdn_buf_addf(&fn, "%s-signature.txt", pfx);
		sig = expected(dir, fn.ptr);
		w.creq = creq;
		w.sts = sts;
		w.sig = sig;
		wdn_buf_addf(&lab, "%s [%s]", label, pfx);
		check(lab.ptr, &r, &w);
		free(creq);
		free(sts);
		free(sig);
		wdn_buf_release(&fn);
		wdn_buf_release(&lab);
	}
out:
	yajl_tree_free(j);
	free(ctx);
	free(raw);
	return 1;
}

static void run_crt(void)
{
	char *root = path_join(testdata, "aws-c-auth-signing-test-suite/v4");
	struct names cases = { 0 };
	size_t i;

	if (!root || !is_dir(root)) {
		skip("aws-c-auth-signing-test-suite/v4: not present");
		free(root);
		return;
	}
	collect(root, NULL, NULL, 0, &cases);
	for (i = 0; i < cases.n; i++) {
		char *dir = path_join(root, cases.v[i]), *label = path_join("aws-c-auth", cases.v[i]);
		struct wdn_buf why = WDN_BUF_INIT;

		if (!run_crt_case(label, dir)) {
			wdn_buf_addf(&why, "%s: no context.json", label);
			skip(why.ptr);
		}
		wdn_buf_release(&why);
		free(dir);
		free(label);
	}
	names_free(&cases);
	free(root);
}

/* ---- smithy-rs extra cases ------------------------------------------------ */

static char *signature_in(const char *signed_request)
{
	const char *p = signed_request ? strstr(signed_request, "Signature=") : NULL;

	return p ? wdn_strndup(p + 10, strspn(p + 10, "0123456789abcdef")) : NULL;
}

/*
 * The two cases without context.json, run as smithy-rs's own tests do:
 * double-url-encode with the suite's key in us-east-2 for lambda at its
 * X-Amz-Date; double-encode-path with smithy-rs's Credentials::for_tests()
 * key, its canonical request at 20210511T154045Z (SOURCES.md: request.txt
 * says 20150830) and its signature (test_sign_url_escape) at 20150830T123600Z.
 */
static void run_smithy_double(const char *root, const char *name)
{
	char *dir = path_join(root, name), *label = path_join("smithy-rs", name);
	char *raw = NULL, *creq = expected(dir, "header-canonical-request.txt");
	char *sts = expected(dir, "header-string-to-sign.txt");
	char *sreq = expected(dir, "header-signed-request.txt"), *sig = signature_in(sreq);
	struct wdn_sigv4_req r;
	struct want w = { 0 };
	struct rawreq rq;
	size_t rawlen;
	int anotreal = !strcmp(name, "double-encode-path");

	raw = slurp_in(dir, "request.txt", &rawlen);
	if (!raw || parse_request(raw, rawlen, &rq)) {
		ok(0, "%s: parse request.txt", label);
		goto out;
	}
	wdn_sigv4_req_init(&r, anotreal ? "service" : "lambda");
	req_from_raw(&r, &rq);
	r.region = anotreal ? "us-east-1" : "us-east-2";
	parse_time("20210511T154045Z", &r.time); /* both canonical requests' x-amz-date */
	if (anotreal)
		r.creds = (struct wdn_sigv4_creds){ "ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby", NULL };
	else
		r.creds = (struct wdn_sigv4_creds){ AKID, SECRET, NULL };
	w.creq = creq;
	w.sts = sts;
	w.sig = anotreal ? NULL : sig;
	w.why_no_sts = "the suite has no string-to-sign file for this case";
	w.sig_elsewhere = anotreal;
	check(label, &r, &w);
	if (anotreal) {
		struct wdn_sigv4_sig s;
		struct wdn_buf lab = WDN_BUF_INIT;

		wdn_sigv4_sig_init(&s);
		parse_time("20150830T123600Z", &r.time);
		wdn_sigv4_sign(&r, &s, NULL);
		wdn_buf_addf(&lab, "%s: signature (header-signed-request.txt, at 20150830T123600Z)",
			     label);
		is_str(s.signature, sig, "%s", lab.ptr);
		wdn_buf_release(&lab);
		wdn_sigv4_sig_release(&s);
	}
out:
	free(raw);
	free(creq);
	free(sts);
	free(sreq);
	free(sig);
	free(dir);
	free(label);
}

static void run_smithy(void)
{
	char *root = path_join(testdata, "smithy-rs-aws-sigv4-extra-cases");
	struct names cases = { 0 };
	size_t i;

	if (!root || !is_dir(root)) {
		skip("smithy-rs-aws-sigv4-extra-cases: not present");
		free(root);
		return;
	}
	collect(root, NULL, NULL, 0, &cases);
	for (i = 0; i < cases.n; i++) {
		char *dir = path_join(root, cases.v[i]), *label = path_join("smithy-rs", cases.v[i]);

		if (!run_crt_case(label, dir)) {
			if (!strcmp(cases.v[i], "double-encode-path") ||
			    !strcmp(cases.v[i], "double-url-encode")) {
				run_smithy_double(root, cases.v[i]);
			} else {
				struct wdn_buf why = WDN_BUF_INIT;

				wdn_buf_addf(&why, "%s: no context.json and no known settings", label);
				skip(why.ptr);
				wdn_buf_release(&why);
			}
		}
		free(dir);
		free(label);
	}
	names_free(&cases);
	free(root);
}

/* ---- S3 documentation examples (manifest.json) ---------------------------- */

static int64_t expires_in(const char *sreq)
{
	const char *p = sreq ? strstr(sreq, "X-Amz-Expires=") : NULL;
	int64_t v = 0;

	for (p = p ? p + 14 : NULL; p && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

static void run_s3_chunks(const char *root, const struct wdn_sigv4_req *seed)
{
	char *text = slurp_in(root, "chunked-put.chunks.json", NULL), errbuf[256];
	yajl_val j = text ? yajl_tree_parse(text, errbuf, sizeof(errbuf)) : NULL;
	const char *path[] = { "chunks", NULL };
	yajl_val chunks = j ? yajl_tree_get(j, path, yajl_t_array) : NULL;
	const char *prev = j ? jstr(j, "seed_signature", NULL) : NULL;
	char amz_date[17], empty[65], data_hash[65], sig[65];
	uint8_t key[32];
	size_t i;

	if (!chunks || !prev) {
		skip("s3 chunked-put: chunked-put.chunks.json not present or unreadable");
		goto out;
	}
	wdn_sigv4_amz_date(seed->time, amz_date);
	wdn_sigv4_signing_key(seed->creds.secret, amz_date, seed->region, seed->service, key);
	wdn_sha256_hex("", 0, empty);
	for (i = 0; i < YAJL_GET_ARRAY(chunks)->len; i++) {
		yajl_val c = YAJL_GET_ARRAY(chunks)->values[i], size = jget(c, "size", NULL);
		size_t n = YAJL_IS_INTEGER(size) ? (size_t)YAJL_GET_INTEGER(size) : 0;
		char *data = malloc(n + 1);
		struct wdn_buf sts = WDN_BUF_INIT;

		if (!data)
			abort();
		memset(data, 'a', n);
		wdn_sha256_hex(data, n, data_hash);
		/* The chunk string to sign: the previous signature chains them. */
		wdn_buf_addf(&sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%.8s/%s/%s/aws4_request\n%s\n%s\n%s",
			     amz_date, amz_date, seed->region, seed->service, prev, empty, data_hash);
		is_str(sts.ptr, jstr(c, "string_to_sign", NULL),
		       "s3 chunked-put chunk %zu (%zu bytes): string to sign", i + 1, n);
		wdn_sigv4_signature(key, sts.ptr, sts.len, sig);
		is_str((const char *)&sig[0], jstr(c, "signature", NULL), "s3 chunked-put chunk %zu: signature", i + 1);
		prev = jstr(c, "signature", NULL);
		wdn_buf_release(&sts);
		free(data);
	}
	memset(key, 0, sizeof(key));
out:
	yajl_tree_free(j);
	free(text);
}

static void run_s3(void)
{
	char *root = path_join(testdata, "aws-s3-sigv4-doc-examples"), *text, errbuf[256];
	const char *path[] = { "cases", NULL };
	yajl_val j = NULL, cases;
	struct wdn_sigv4_req seed;
	int64_t t;
	size_t i;

	if (!root || !(text = slurp_in(root, "manifest.json", NULL))) {
		skip("aws-s3-sigv4-doc-examples: not present");
		free(root);
		return;
	}
	j = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	cases = j ? yajl_tree_get(j, path, yajl_t_object) : NULL;
	if (!cases || parse_time(jstr(j, "timestamp", NULL), &t)) {
		ok(0, "s3: read manifest.json");
		goto out;
	}
	wdn_sigv4_req_init(&seed, jstr(j, "service", NULL));
	for (i = 0; i < YAJL_GET_OBJECT(cases)->len; i++) {
		const char *name = YAJL_GET_OBJECT(cases)->keys[i];
		yajl_val c = YAJL_GET_OBJECT(cases)->values[i];
		struct wdn_buf fn = WDN_BUF_INIT, lab = WDN_BUF_INIT;
		char *raw, *creq, *sts, *authz, *sreq, *q = NULL;
		struct wdn_sigv4_req r;
		struct want w = { 0 };
		struct rawreq rq;
		size_t rawlen;

#define FILE_OF(ext) (wdn_buf_reset(&fn), wdn_buf_addf(&fn, "%s" ext, name), fn.ptr)
		raw = slurp_in(root, FILE_OF(".req"), &rawlen);
		creq = expected(root, FILE_OF(".creq"));
		sts = expected(root, FILE_OF(".sts"));
		authz = expected(root, FILE_OF(".authz"));
		sreq = expected(root, FILE_OF(".sreq"));
#undef FILE_OF
		wdn_buf_addf(&lab, "s3 %s", name);
		if (!raw || parse_request(raw, rawlen, &rq)) {
			ok(0, "%s: parse request", lab.ptr);
		} else {
			/* S3: path not normalised nor double-encoded, x-amz-content-sha256 signed. */
			wdn_sigv4_req_init(&r, jstr(j, "service", NULL));
			req_from_raw(&r, &rq);
			r.region = jstr(j, "region", NULL);
			r.time = t;
			r.creds.key_id = jstr(j, "credentials", "access_key_id");
			r.creds.secret = jstr(j, "credentials", "secret_access_key");
			/* Bodies are placeholders (chunked-put-seed): the manifest has the hash. */
			r.payload_hash = jstr(c, "payload_hash", NULL);
			if (!authz && sreq) {
				r.presign = 1;
				r.expires = expires_in(sreq);
				q = strchr(sreq, '?');
			}
			w.creq = creq;
			w.sts = sts;
			w.sig = jstr(c, "signature", NULL);
			check(lab.ptr, &r, &w);
			if (authz || q) {
				/* the whole Authorization value, or the presigned URL's query */
				struct wdn_sigv4_sig s;
				char *got, *want;

				wdn_sigv4_sig_init(&s);
				wdn_sigv4_sign(&r, &s, NULL);
				if (authz) {
					got = squeeze_commas(s.authorization.ptr);
					want = squeeze_commas(authz);
					is_str(got, want, "%s: Authorization header", lab.ptr);
					free(got);
					free(want);
				} else {
					is_str(s.query.ptr, q + 1, "%s: presigned query", lab.ptr);
				}
				wdn_sigv4_sig_release(&s);
			}
			if (!strcmp(name, "chunked-put-seed")) {
				seed = r;
				run_s3_chunks(root, &seed);
			}
		}
		free(raw);
		free(creq);
		free(sts);
		free(authz);
		free(sreq);
		wdn_buf_release(&fn);
		wdn_buf_release(&lab);
	}
out:
	yajl_tree_free(j);
	free(text);
	free(root);
}

/* ---- the module's own checks (run without testdata too) ------------------- */

/* tap.h's is_str compares pointers first: keep clang's -Wstring-compare quiet. */
static const char *lit(const char *s)
{
	return s;
}

static void run_own(void)
{
	static const struct {
		int64_t t;
		const char *want;
	} dates[] = {
		{ 0, "19700101T000000Z" },
		{ 951782400, "20000229T000000Z" },     /* leap day of a century leap year */
		{ 1440938160, "20150830T123600Z" },
		{ -1, "19691231T235959Z" },
		{ INT64_C(-62167219200), "00000101T000000Z" },
		{ INT64_C(253402300799), "99991231T235959Z" },
	};
	struct wdn_sigv4_header hs[] = {
		{ WDN_STR("Host"), WDN_STR("example.amazonaws.com") },
		{ WDN_STR("User-Agent"), WDN_STR("wdn/0.1") },
		{ WDN_STR("X-Amz-Date"), WDN_STR("19990101T000000Z") },
	};
	struct wdn_buf b = WDN_BUF_INIT;
	struct wdn_sigv4_sig s;
	struct wdn_sigv4_req r;
	struct wdn_err err;
	uint8_t key[131], mac[32];
	char out[65], d[17];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		rc = wdn_sigv4_amz_date(dates[i].t, d);
		ok(rc == 0 && !strcmp(d, dates[i].want), "amz date of %lld is %s", (long long)dates[i].t,
		   dates[i].want);
	}
	is_int(wdn_sigv4_amz_date(INT64_C(253402300800), d), WDN_EINVAL, "amz date past year 9999");

	wdn_sha256_hex("abc", 3, out);
	is_str((const char *)&out[0],
	       lit("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), "sha256 abc");
	/* RFC 4231 cases 2 and 6 (a 131-byte key, hashed first) */
	wdn_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	for (i = 0; i < 32; i++)
		wdn_buf_addf(&b, "%02x", mac[i]);
	is_str(b.ptr, lit("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	       "hmac-sha256 RFC 4231 case 2");
	memset(key, 0xaa, sizeof(key));
	wdn_hmac_sha256(key, sizeof(key), "Test Using Larger Than Block-Size Key - Hash Key First", 54,
			mac);
	wdn_buf_reset(&b);
	for (i = 0; i < 32; i++)
		wdn_buf_addf(&b, "%02x", mac[i]);
	is_str(b.ptr, lit("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
	       "hmac-sha256 RFC 4231 case 6 (long key)");

	wdn_buf_reset(&b);
	wdn_sigv4_uri_encode(&b, "a b/c+d~é", 10, 0);
	is_str(b.ptr, lit("a%20b/c%2Bd~%C3%A9"), "uri encode keeps '/' and unreserved");
	wdn_buf_reset(&b);
	wdn_sigv4_uri_encode(&b, "a/b", 3, 1);
	is_str(b.ptr, lit("a%2Fb"), "uri encode can encode '/'");

	/* Query quirks, S3 path rules, unsignable and replaced headers, errors. */
	memset(&err, 0, sizeof(err));
	wdn_sigv4_sig_init(&s);
	wdn_sigv4_req_init(&r, "s3");
	ok(r.sign_body && !r.normalize_path && !r.double_encode, "s3 defaults");
	r.method = "GET";
	r.path = WDN_STR("my-object//example//photo%2fa b$.user");
	r.query = WDN_STR("b=2&&a=x+y&c&a=%zz&%41=1");
	r.headers = hs;
	r.nheaders = 3;
	r.region = "us-east-1";
	r.time = 1440938160;
	r.payload_hash = "UNSIGNED-PAYLOAD";
	rc = wdn_sigv4_canonical_request(&r, &s, &err);
	is_str(s.creq.ptr,
	       lit("GET\n/my-object//example//photo%2Fa%20b%24.user\n"
	       "A=1&a=%25zz&a=x%2By&b=2&c=\n"
	       "host:example.amazonaws.com\n"
	       "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20150830T123600Z\n\n"
	       "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"),
	       "own: s3 path, query decoding and '+', dropped and replaced headers");

	wdn_sigv4_req_init(&r, "sts");
	r.method = "GET";
	r.path = WDN_STR("/a/./b/../../c/");
	r.headers = hs;
	r.nheaders = 1;
	r.region = "us-east-1";
	r.time = 1440938160;
	wdn_sigv4_canonical_request(&r, &s, NULL);
	ok(!strncmp(s.creq.ptr, "GET\n/c/\n\n", 9), "own: dot segments removed");

	r.nheaders = 0;
	is_int(wdn_sigv4_sign(&r, &s, &err), WDN_EINVAL, "own: no host header is an error");
	is_str(err.msg, lit("missing host header"), "own: and says so");
	r.nheaders = 1;
	r.presign = 1;
	r.creds = (struct wdn_sigv4_creds){ AKID, SECRET, NULL };
	is_int(wdn_sigv4_sign(&r, &s, &err), WDN_EINVAL, "own: presign needs an expiry");
	r.presign = 0;
	r.creds.secret = NULL;
	is_int(wdn_sigv4_sign(&r, &s, &err), WDN_ECRED, "own: no secret is a credential error");
	r.region = "us-east-1/x";
	is_int(wdn_sigv4_sign(&r, &s, &err), WDN_EINVAL, "own: a '/' in the region is refused");

	wdn_sigv4_sig_release(&s);
	wdn_buf_release(&b);
}

int main(void)
{
	const char *env = getenv("WDN_TESTDATA");

	testdata = env && *env ? env : "../shared/testdata";
	run_own();
	if (!is_dir(testdata)) {
		struct wdn_buf why = WDN_BUF_INIT;

		wdn_buf_addf(&why, "AWS SigV4 test suites: '%s' not found (set WDN_TESTDATA)", testdata);
		skip(why.ptr);
		wdn_buf_release(&why);
		return done_testing();
	}
	run_botocore();
	run_crt();
	run_smithy();
	run_s3();
	return done_testing();
}
