/*
 * HTTP transport over libcurl: a set of transfers performed together (several
 * in flight on one multi handle), connections reused across calls. TLS peer
 * verification is never turned off.
 */
#include "wdn.h"

#include <curl/curl.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

struct wdn_http {
	CURLM *multi;
	CURL **idle;       /* easy handles kept for their connections */
	size_t nidle, cap;
};

static int global_ready;

struct wdn_http *wdn_http_new(void)
{
	struct wdn_http *h;

	if (!global_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return NULL;
		global_ready = 1;
	}
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	if (!(h->multi = curl_multi_init())) {
		free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	return h;
}

void wdn_http_free(struct wdn_http *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	free(h->idle);
	curl_multi_cleanup(h->multi);
	free(h);
}

static CURL *take_easy(struct wdn_http *h)
{
	CURL *e = h->nidle ? h->idle[--h->nidle] : curl_easy_init();

	if (e)
		curl_easy_reset(e); /* keeps the connection cache */
	return e;
}

static void give_easy(struct wdn_http *h, CURL *e)
{
	if (h->nidle == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		CURL **n = realloc(h->idle, cap * sizeof(*n));

		if (!n) {
			curl_easy_cleanup(e);
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
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
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
		if (len > skip && x->on_body(x->ctx, p + skip, len - skip))
			return 0; /* the consumer stopped: abort the transfer */
		x->received += len - skip;
		return len;
	}
	if (wdn_buf_add(&x->body, p, len))
		return 0;
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct wdn_http_xfer *x = ctx;
	size_t len = size * n;
	static const char rid[] = "x-amz-request-id:", rid2[] = "x-amzn-requestid:";
	const char *v = NULL;

	if (len > sizeof(rid) - 1 && !strncasecmp(p, rid, sizeof(rid) - 1))
		v = p + sizeof(rid) - 1;
	else if (len > sizeof(rid2) - 1 && !strncasecmp(p, rid2, sizeof(rid2) - 1))
		v = p + sizeof(rid2) - 1;
	if (v) {
		size_t vl = len - (size_t)(v - p);

		while (vl && (*v == ' ')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
			vl--;
		snprintf(x->request_id, sizeof(x->request_id), "%.*s", (int)vl, v);
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
		x->curl_code = 0;
		x->error[0] = '\0';
		wdn_buf_reset(&x->body);
		if (!e) {
			x->curl_code = CURLE_OUT_OF_MEMORY;
			continue;
		}
		curl_easy_setopt(e, CURLOPT_URL, x->url);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
		curl_easy_setopt(e, CURLOPT_PRIVATE, x);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		/* a stalled transfer is a failed one, to be retried */
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		if (!strcmp(x->method, "HEAD"))
			curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		if (x->body_len || !strcmp(x->method, "POST") || !strcmp(x->method, "PUT")) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body_ptr ? x->body_ptr : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		}
		curl_multi_add_handle(h->multi, e);
	}
	do {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			break;
		while ((m = curl_multi_info_read(h->multi, &left))) {
			struct wdn_http_xfer *x;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			x->curl_code = m->data.result;
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->status);
			if (x->curl_code && !x->error[0])
				snprintf(x->error, sizeof(x->error), "%s", curl_easy_strerror(m->data.result));
		}
		if (running)
			curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
	} while (running);
	for (i = 0; i < n; i++) {
		if (!xs[i]->easy)
			continue;
		curl_multi_remove_handle(h->multi, xs[i]->easy);
		give_easy(h, xs[i]->easy);
		xs[i]->easy = NULL;
	}
	return 0;
}
