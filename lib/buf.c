/* The growable buffer every module shares, and borrowed string slices. */
#include "wdn.h"
#include "str.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

char wdn_buf_empty[1];

/* Failed allocations of buffers and string copies, so that work made of
 * many copies, where NULL also means "absent", is checked once
 * (wdn_nomem_count before and after) instead of at every copy. One count
 * for all threads (no TLS: the Lambda binaries need no dynamic loader): a
 * thread may fail for another's want of memory, never succeed wrongly. */
static unsigned long nomem;

static void nomem_add(void)
{
	__atomic_fetch_add(&nomem, 1, __ATOMIC_RELAXED);
}

unsigned long wdn_nomem_count(void)
{
	return __atomic_load_n(&nomem, __ATOMIC_RELAXED);
}

void wdn_buf_init(struct wdn_buf *b, size_t max)
{
	b->ptr = wdn_buf_empty;
	b->len = b->cap = 0;
	b->max = max;
	b->failed = 0;
	b->secret = 0;
}

void wdn_buf_init_secret(struct wdn_buf *b, size_t max)
{
	wdn_buf_init(b, max);
	b->secret = 1;
}

void wdn_buf_release(struct wdn_buf *b)
{
	size_t max = b->max;
	int secret = b->secret;

	if (b->cap) {
		if (secret)
			sodium_memzero(b->ptr, b->cap);
		free(b->ptr);
	}
	wdn_buf_init(b, max);
	b->secret = secret;
}

/* The first failure is kept: later appends report it and change nothing. */
static int fail(struct wdn_buf *b, int rc)
{
	if (rc == WDN_ENOMEM)
		nomem_add();
	if (!b->failed)
		b->failed = rc;
	return b->failed;
}

/* A secret's old memory is wiped, never left behind by realloc. */
static char *resize(struct wdn_buf *b, size_t cap)
{
	char *p;

	if (!b->secret)
		return realloc(b->cap ? b->ptr : NULL, cap);
	if (!(p = malloc(cap)))
		return NULL;
	if (b->cap) {
		memcpy(p, b->ptr, b->len + 1);
		sodium_memzero(b->ptr, b->cap);
		free(b->ptr);
	}
	return p;
}

int wdn_buf_grow(struct wdn_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : WDN_BUF_DEFAULT_MAX;
	size_t want, cap;
	char *p;

	if (b->failed)
		return b->failed;
	if (extra > max || b->len > max - extra)
		return fail(b, WDN_ETOOBIG);
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (!(p = resize(b, cap)))
		return fail(b, WDN_ENOMEM);
	if (!b->cap)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int wdn_buf_setlen(struct wdn_buf *b, size_t len)
{
	if (len && len >= b->cap)
		return WDN_EINVAL;
	b->len = len;
	b->ptr[len] = '\0';
	return 0;
}

int wdn_buf_add(struct wdn_buf *b, const void *p, size_t n)
{
	int rc = wdn_buf_grow(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int wdn_buf_adds(struct wdn_buf *b, const char *s)
{
	return wdn_buf_add(b, s, strlen(s));
}

int wdn_buf_addc(struct wdn_buf *b, char c)
{
	return wdn_buf_add(b, &c, 1);
}

int wdn_buf_vaddf(struct wdn_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	if (b->failed)
		return b->failed;
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->ptr[b->len] = '\0';
		return fail(b, WDN_EINVAL);
	}
	if (b->cap && (size_t)n < b->cap - b->len) {
		b->len += n;
		return 0;
	}
	if ((rc = wdn_buf_grow(b, (size_t)n))) {
		b->ptr[b->len] = '\0'; /* the first try wrote a truncated copy */
		return rc;
	}
	vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	b->len += n;
	return 0;
}

int wdn_buf_addf(struct wdn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = wdn_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void wdn_buf_reset(struct wdn_buf *b)
{
	if (b->secret && b->cap)
		sodium_memzero(b->ptr, b->len);
	b->len = 0;
	b->ptr[0] = '\0';
	b->failed = 0;
}

void wdn_buf_consume(struct wdn_buf *b, size_t n)
{
	int failed = b->failed;

	if (n >= b->len) {
		wdn_buf_reset(b);
		b->failed = failed; /* what is left is still not all there was */
		return;
	}
	memmove(b->ptr, b->ptr + n, b->len - n);
	if (b->secret)
		sodium_memzero(b->ptr + b->len - n, n); /* the tail left behind */
	b->len -= n;
	b->ptr[b->len] = '\0';
}

char *wdn_buf_detach(struct wdn_buf *b, size_t *len)
{
	char *p;
	int secret;

	if (b->failed) {
		wdn_buf_release(b);
		if (len)
			*len = 0;
		return NULL;
	}
	p = b->cap ? b->ptr : calloc(1, 1);
	if (!p)
		nomem_add();
	if (len)
		*len = p ? b->len : 0;
	secret = b->secret;
	wdn_buf_init(b, b->max);
	b->secret = secret;
	return p;
}

int wdn_str_eq(struct wdn_str a, const char *lit)
{
	size_t n = strlen(lit);

	return a.ptr && a.len == n && memcmp(a.ptr, lit, n) == 0;
}

char *wdn_strndup(const char *p, size_t n)
{
	char *s;

	if (!p)
		return NULL;
	if (!(s = malloc(n + 1))) {
		nomem_add();
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *wdn_strdup(const char *s)
{
	return s ? wdn_strndup(s, strlen(s)) : NULL;
}

int wdn_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int wdn_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		uint64_t w;
		unsigned c;

		/* eight ASCII bytes at a time: trails are mostly ASCII */
		if (end - p >= 8) {
			memcpy(&w, p, 8);
			if (!(w & 0x8080808080808080ULL)) {
				p += 8;
				continue;
			}
		}
		c = *p;
		if (c < 0x80) {
			p++;
		} else if (c >= 0xc2 && c <= 0xdf) {
			if (end - p < 2 || (p[1] & 0xc0) != 0x80)
				return 0;
			p += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (end - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			    (c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
				return 0; /* overlong, or a UTF-16 surrogate */
			p += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (end - p < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
			    (p[3] & 0xc0) != 0x80 || (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
				return 0; /* overlong, or past U+10FFFF */
			p += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

uint64_t wdn_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

uint64_t wdn_hash_str(const char *s)
{
	return wdn_hash(WDN_HASH_INIT, s, s ? strlen(s) : 0);
}
