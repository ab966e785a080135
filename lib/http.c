/*
 * HTTP transport over libcurl: a set of transfers performed together (several
 * in flight on one multi handle), connections reused across calls. TLS peer
 * verification is never turned off.
 */
#include "wdn.h"
#include "http.h"

#define CURL_DISABLE_TYPECHECK /* calls go through the pointers below */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

/*
 * libcurl and the 30-odd libraries it pulls in cost a command ~15 ms to
 * load; most runs never make a request. So it is opened when the first
 * request is made, and its functions called through this table.
 */
static struct {
	CURLcode (*global_init)(long);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static int cu_ready;

static void load_curl(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	struct { void **fn; const char *name; } syms[] = {
		{ (void **)&cu.global_init, "curl_global_init" },
		{ (void **)&cu.multi_init, "curl_multi_init" },
		{ (void **)&cu.multi_setopt, "curl_multi_setopt" },
		{ (void **)&cu.multi_cleanup, "curl_multi_cleanup" },
		{ (void **)&cu.multi_add_handle, "curl_multi_add_handle" },
		{ (void **)&cu.multi_remove_handle, "curl_multi_remove_handle" },
		{ (void **)&cu.multi_perform, "curl_multi_perform" },
		{ (void **)&cu.multi_poll, "curl_multi_poll" },
		{ (void **)&cu.multi_info_read, "curl_multi_info_read" },
		{ (void **)&cu.easy_init, "curl_easy_init" },
		{ (void **)&cu.easy_reset, "curl_easy_reset" },
		{ (void **)&cu.easy_cleanup, "curl_easy_cleanup" },
		{ (void **)&cu.easy_setopt, "curl_easy_setopt" },
		{ (void **)&cu.easy_getinfo, "curl_easy_getinfo" },
		{ (void **)&cu.easy_strerror, "curl_easy_strerror" },
		{ (void **)&cu.slist_append, "curl_slist_append" },
		{ (void **)&cu.slist_free_all, "curl_slist_free_all" },
	};
	size_t i;

	if (!h)
		return;
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!(*syms[i].fn = dlsym(h, syms[i].name)))
			return;
	/* once, before any thread makes a request */
	cu_ready = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static int curl_loaded(void)
{
	pthread_once(&cu_once, load_curl);
	return cu_ready;
}

struct curl_slist *wdn_http_header(struct curl_slist *list, const char *line)
{
	return curl_loaded() ? cu.slist_append(list, line) : NULL;
}

void wdn_http_headers_free(struct curl_slist *list)
{
	struct curl_slist *l;

	if (!list || !curl_loaded())
		return;
	/* header lines carry tokens and signatures: none is left in freed memory */
	for (l = list; l; l = l->next)
		if (l->data)
			sodium_memzero(l->data, strlen(l->data));
	cu.slist_free_all(list);
}

struct wdn_http {
	CURLM *multi;
	CURL **idle;       /* easy handles kept for their connections */
	size_t nidle, cap;
};

struct wdn_http *wdn_http_new(void)
{
	struct wdn_http *h;

	if (!curl_loaded())
		return NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	if (!(h->multi = cu.multi_init())) {
		free(h);
		return NULL;
	}
	cu.multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	return h;
}

void wdn_http_free(struct wdn_http *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nidle; i++)
		cu.easy_cleanup(h->idle[i]);
	free(h->idle);
	cu.multi_cleanup(h->multi);
	free(h);
}

static CURL *take_easy(struct wdn_http *h)
{
	CURL *e = h->nidle ? h->idle[--h->nidle] : cu.easy_init();

	if (e)
		cu.easy_reset(e); /* keeps the connection cache */
	return e;
}

static void give_easy(struct wdn_http *h, CURL *e)
{
	if (h->nidle == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		CURL **n = realloc(h->idle, cap * sizeof(*n));

		if (!n) {
			cu.easy_cleanup(e);
			return;
		}
		h->idle = n;
		h->cap = cap;
	}
	h->idle[h->nidle++] = e;
}

static size_t on_write(char *p, size_t size, size_t n, void *ctx)
{
	struct wdn_http_xfer *x = ctx;
	size_t len = size * n, skip = 0;

	if (x->status == 0)
		cu.easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	/* only a successful body streams out; error bodies are kept to parse */
	if (x->on_body && x->status >= 200 && x->status < 300) {
		if (!x->started) {
			/* a resumed download the server sent whole: drop what was read */
			x->started = 1;
			x->skip = x->status == 200 ? x->received : 0;
		}
		if (x->skip) {
			skip = x->skip < len ? (size_t)x->skip : len;
			x->skip -= skip;
		}
		if (len > skip && (x->aborted = x->on_body(x->ctx, p + skip, len - skip)))
			return 0; /* the consumer stopped (its WDN_E* code kept): abort the transfer */
		x->received += len - skip;
		return len;
	}
	if (wdn_buf_add(&x->body, p, len))
		return 0;
	return len;
}

/* An x-amz-meta-NAME header (p at NAME) as a "name: value" line in x->meta. */
static int keep_meta(struct wdn_http_xfer *x, const char *p, size_t len)
{
	const char *colon = memchr(p, ':', len), *v;
	size_t i, vl;

	if (!colon)
		return 0;
	for (i = 0; p + i < colon; i++)
		if (wdn_buf_addc(x->meta, (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i])))
			return -1;
	v = colon + 1;
	vl = len - (size_t)(v - p);
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (wdn_buf_add(x->meta, ": ", 2) || wdn_buf_add(x->meta, v, vl) || wdn_buf_addc(x->meta, '\n'))
		return -1;
	return 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct wdn_http_xfer *x = ctx;
	size_t len = size * n;
	static const char rid[] = "x-amz-request-id:", rid2[] = "x-amzn-requestid:";
	static const char etype[] = "x-amzn-errortype:";
	char *into = x->request_id;
	size_t room = sizeof(x->request_id);
	const char *v = NULL;

	if (x->meta && len > 11 && !strncasecmp(p, "x-amz-meta-", 11))
		return keep_meta(x, p + 11, len - 11) ? 0 : len;
	if (len > sizeof(rid) - 1 && !strncasecmp(p, rid, sizeof(rid) - 1))
		v = p + sizeof(rid) - 1;
	else if (len > sizeof(rid2) - 1 && !strncasecmp(p, rid2, sizeof(rid2) - 1))
		v = p + sizeof(rid2) - 1;
	else if (len > sizeof(etype) - 1 && !strncasecmp(p, etype, sizeof(etype) - 1)) {
		v = p + sizeof(etype) - 1;
		into = x->error_type;
		room = sizeof(x->error_type);
	} else if (x->want_header) {
		size_t wl = strlen(x->want_header);

		if (len > wl && p[wl] == ':' && !strncasecmp(p, x->want_header, wl)) {
			v = p + wl + 1;
			into = x->header_value;
			room = sizeof(x->header_value);
		}
	}
	if (v) {
		size_t vl = len - (size_t)(v - p);

		while (vl && (*v == ' ')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(into, room, "%.*s", (int)vl, v);
	}
	return len;
}

int wdn_http_run(struct wdn_http *h, struct wdn_http_xfer **xs, size_t n)
{
	size_t i;
	int running = 0;
	CURLMsg *m;
	int left;

	for (i = 0; i < n; i++) {
		struct wdn_http_xfer *x = xs[i];
		CURL *e = take_easy(h);

		x->easy = e;
		x->status = 0;
		x->started = 0;
		x->aborted = 0;
		x->error_type[0] = '\0';
		x->header_value[0] = '\0';
		if (x->meta)
			wdn_buf_reset(x->meta); /* each attempt's own answer */
		x->curl_code = 0;
		x->error[0] = '\0';
		wdn_buf_reset(&x->body);
		if (!e) {
			x->curl_code = CURLE_OUT_OF_MEMORY;
			continue;
		}
		cu.easy_setopt(e, CURLOPT_URL, x->url);
		cu.easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
		cu.easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
		cu.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		cu.easy_setopt(e, CURLOPT_WRITEDATA, x);
		cu.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		cu.easy_setopt(e, CURLOPT_HEADERDATA, x);
		cu.easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
		cu.easy_setopt(e, CURLOPT_PRIVATE, x);
		cu.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		cu.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		/* a stalled transfer is a failed one, to be retried */
		cu.easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		cu.easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
		cu.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		/* an S3 key's "." and ".." segments are its own, signed as they are */
		cu.easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
		if (!strcmp(x->method, "HEAD"))
			cu.easy_setopt(e, CURLOPT_NOBODY, 1L);
		if (x->body_len || !strcmp(x->method, "POST") || !strcmp(x->method, "PUT")) {
			cu.easy_setopt(e, CURLOPT_POSTFIELDS, x->body_ptr ? x->body_ptr : "");
			cu.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		}
		cu.multi_add_handle(h->multi, e);
	}
	do {
		if (cu.multi_perform(h->multi, &running) != CURLM_OK)
			break;
		while ((m = cu.multi_info_read(h->multi, &left))) {
			struct wdn_http_xfer *x;

			if (m->msg != CURLMSG_DONE)
				continue;
			cu.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			x->curl_code = m->data.result;
			cu.easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->status);
			if (x->curl_code && !x->error[0])
				snprintf(x->error, sizeof(x->error), "%s", cu.easy_strerror(m->data.result));
		}
		if (running)
			cu.multi_poll(h->multi, NULL, 0, 1000, NULL);
	} while (running);
	for (i = 0; i < n; i++) {
		if (!xs[i]->easy)
			continue;
		cu.multi_remove_handle(h->multi, xs[i]->easy);
		give_easy(h, xs[i]->easy);
		xs[i]->easy = NULL;
	}
	return 0;
}
