/*
 * HTTP transfers over libcurl, loaded at run time (http.c). Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_HTTP_H
#define WDN_HTTP_H

#include "wdn.h"

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
	int aborted;          /* on_body stopped it: what it returned */
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

#endif
