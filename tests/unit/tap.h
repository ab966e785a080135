/* A minimal TAP producer for unit tests: one "ok N - what" line per check. */
#ifndef TAP_H
#define TAP_H
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)

static __attribute__((unused)) int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static __attribute__((unused)) int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return pass;
}

static __attribute__((unused)) int tap_is_str(const char *got, const char *want, const char *file, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static __attribute__((unused)) int tap_is_str(const char *got, const char *want, const char *file, int line,
		      const char *fmt, ...)
{
	int pass = got && want ? strcmp(got, want) == 0 : got == want;
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!tap_ok(pass, file, line, "%s", what))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return pass;
}

static __attribute__((unused)) int tap_is_int(long long got, long long want, const char *file, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static __attribute__((unused)) int tap_is_int(long long got, long long want, const char *file, int line,
		      const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!tap_ok(got == want, file, line, "%s", what))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

static __attribute__((unused)) void skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
}

/* Remove a scratch directory tree a test made. */
static __attribute__((unused)) void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[1024];

	if (lstat(path, &st))
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* ---- helpers shared by the tests of libwdn ---- */
#include "wdn.h"
#include "tags.h"
#include <stdlib.h>
#include <yajl/yajl_gen.h>

/* A file's bytes, NUL-terminated; NULL when it cannot be read whole. */
static __attribute__((unused)) char *slurp(const char *path, size_t *len)
{
	struct wdn_buf b = WDN_BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (wdn_buf_add(&b, chunk, n))
			break;
	if (ferror(f)) {
		fclose(f);
		wdn_buf_release(&b);
		return NULL;
	}
	fclose(f);
	return wdn_buf_detach(&b, len); /* NULL when it did not fit */
}

/* One HTTP request off fd into req (NUL-terminated): its head, then as many
 * body bytes as Content-Length says, or what fits. Returns the bytes read. */
static __attribute__((unused)) size_t http_read_request(int fd, char *req, size_t size)
{
	char *end = NULL, *cl;
	size_t n = 0, want = 0;
	ssize_t r;

	while (n < size - 1 && (r = read(fd, req + n, size - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (!end && (end = strstr(req, "\r\n\r\n"))) {
			cl = strcasestr(req, "\r\ncontent-length:");
			want = (size_t)(end + 4 - req) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && n >= want)
			break;
	}
	req[n] = '\0';
	return n;
}

static __attribute__((unused)) void tap_append(void *ctx, const char *s, size_t n)
{
	(void)wdn_buf_add(ctx, s, n); /* checked once, by the caller's detach */
}

/* A tag set as JSON: as stored (tags_json) or with sorted keys (tags_sorted). */
static __attribute__((unused)) char *tap_tags_gen(const struct wdn_tags *t, int sorted)
{
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return NULL;
	yajl_gen_config(g, yajl_gen_print_callback, tap_append, &b);
	wdn_tags_gen(g, t, sorted);
	yajl_gen_free(g);
	return wdn_buf_detach(&b, NULL);
}
#define tags_json(t) tap_tags_gen((t), 0)
#define tags_sorted(t) tap_tags_gen((t), 1)

/* A key set as JSON, NULL when it cannot be made. */
static __attribute__((unused)) char *keys_json(const struct wdn_keyset *k)
{
	struct wdn_buf b = WDN_BUF_INIT;

	if (wdn_keyset_to_json(k, &b)) {
		wdn_buf_release(&b);
		return NULL;
	}
	return wdn_buf_detach(&b, NULL);
}

static int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
