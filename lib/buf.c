/* The growable buffer every module shares, and borrowed string slices. */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>

char wdn_buf_empty[1];

void wdn_buf_init(struct wdn_buf *b, size_t max)
{
	b->ptr = wdn_buf_empty;
	b->len = b->cap = 0;
	b->max = max;
}

void wdn_buf_release(struct wdn_buf *b)
{
	size_t max = b->max;

	if (b->cap)
		free(b->ptr);
	wdn_buf_init(b, max);
}

int wdn_buf_grow(struct wdn_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : WDN_BUF_DEFAULT_MAX;
	size_t want, cap;
	char *p;

	if (extra > max || b->len > max - extra)
		return WDN_ETOOBIG;
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->cap ? b->ptr : NULL, cap);
	if (!p)
		return WDN_ENOMEM;
	if (!b->cap)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
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

	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return WDN_EINVAL;
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
	b->len = 0;
	b->ptr[0] = '\0';
}

void wdn_buf_consume(struct wdn_buf *b, size_t n)
{
	if (n >= b->len) {
		wdn_buf_reset(b);
		return;
	}
	memmove(b->ptr, b->ptr + n, b->len - n);
	b->len -= n;
	b->ptr[b->len] = '\0';
}

char *wdn_buf_detach(struct wdn_buf *b, size_t *len)
{
	char *p = b->cap ? b->ptr : calloc(1, 1);

	if (len)
		*len = b->len;
	wdn_buf_init(b, b->max);
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
	if (!(s = malloc(n + 1)))
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *wdn_strdup(const char *s)
{
	return s ? wdn_strndup(s, strlen(s)) : NULL;
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
