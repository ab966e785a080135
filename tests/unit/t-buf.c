/*
 * The growable buffer (buf.c): git's strbuf invariants (ptr never NULL,
 * ptr[len] == '\0', detach the only way to take the memory) and curl's size
 * cap (growing past max fails with WDN_ETOOBIG and leaves the buffer as it was).
 */
#include "tap.h"
#include "wdn.h"
#include "str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ptr non-NULL, NUL-terminated at len, len within cap, no NUL cut short */
static int sane(const struct wdn_buf *b)
{
	return b->ptr && b->ptr[b->len] == '\0' && (b->cap == 0 || b->len < b->cap);
}

static void test_init(void)
{
	struct wdn_buf a = WDN_BUF_INIT, b;

	ok(a.ptr != NULL && a.len == 0 && a.ptr[0] == '\0', "WDN_BUF_INIT: empty, non-NULL, terminated");
	wdn_buf_init(&b, 0);
	ok(b.ptr != NULL && b.len == 0 && b.cap == 0 && b.ptr[0] == '\0', "wdn_buf_init: same as WDN_BUF_INIT");
	is_int(wdn_buf_add(&b, "", 0), 0, "adding nothing to an empty buffer");
	ok(sane(&b) && b.len == 0, "still empty and terminated after adding nothing");
	wdn_buf_reset(&b);
	ok(sane(&b) && wdn_buf_empty[0] == '\0', "reset of an unallocated buffer keeps the shared empty string empty");
	wdn_buf_consume(&b, 5);
	ok(sane(&b) && b.len == 0, "consume on an empty buffer");
	wdn_buf_release(&b);
	wdn_buf_release(&b);
	ok(sane(&b) && b.len == 0 && b.cap == 0, "release twice is harmless");
}

static void test_add(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	char want[8192];
	size_t i, wl = 0;
	int bad = 0, rc = 0;

	is_int(wdn_buf_adds(&b, "abc"), 0, "adds");
	is_str(b.ptr, "abc", "adds content");
	is_int(b.len, 3, "adds length");
	ok(b.cap >= 4, "capacity holds the terminator");
	is_int(wdn_buf_addc(&b, 'd'), 0, "addc");
	is_str(b.ptr, "abcd", "addc content");
	is_int(wdn_buf_add(&b, "e\0f", 3), 0, "add with an embedded NUL");
	ok(b.len == 7 && !memcmp(b.ptr, "abcde\0f", 8), "embedded NUL kept, length counts it, terminated");
	wdn_buf_reset(&b);

	/* grow one byte at a time across several reallocations */
	for (i = 0; i < 5000; i++) {
		char c = (char)('a' + i % 26);

		rc |= wdn_buf_addc(&b, c);
		want[wl++] = c;
		if (!sane(&b) || b.len != wl || b.ptr[wl - 1] != c)
			bad++;
	}
	want[wl] = '\0';
	ok(!rc && !bad, "5000 addc: every step terminated and sized");
	ok(b.len == 5000 && !memcmp(b.ptr, want, 5001), "5000 addc: content");
	wdn_buf_release(&b);
}

static void test_addf(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	char want[65536], tmp[64];
	size_t wl = 0, i;
	int bad = 0, rc = 0;

	is_int(wdn_buf_addf(&b, "%s-%d", "x", 42), 0, "addf on an unallocated buffer");
	is_str(b.ptr, "x-42", "addf content");
	is_int(b.len, 4, "addf length");
	wdn_buf_reset(&b);

	/* lengths 0..199 so that some outputs fit exactly, some by one byte short */
	for (i = 0; i < 200; i++) {
		int n = snprintf(tmp, sizeof(tmp), "%zu:", i);

		rc |= wdn_buf_addf(&b, "%zu:%.*s", i, (int)(i % 7), "abcdefg");
		memcpy(want + wl, tmp, (size_t)n);
		wl += (size_t)n;
		memcpy(want + wl, "abcdefg", i % 7);
		wl += i % 7;
		if (!sane(&b) || b.len != wl || memcmp(b.ptr, want, wl))
			bad++;
	}
	ok(!rc && !bad, "200 addf of varied lengths: content, length, terminator at every step");
	wdn_buf_release(&b);

	/* an addf that needs exactly the free space, and one byte more */
	wdn_buf_init(&b, 0);
	wdn_buf_adds(&b, "x");
	{
		size_t room = b.cap - b.len - 1; /* what fits beside the terminator */
		char *s = malloc(room + 2);

		memset(s, 'y', room + 1);
		s[room] = '\0';
		is_int(wdn_buf_addf(&b, "%s", s), 0, "addf filling the capacity exactly");
		ok(sane(&b) && b.len == room + 1 && b.ptr[room] == 'y', "exact fit: content and terminator");
		wdn_buf_reset(&b);
		wdn_buf_adds(&b, "x");
		s[room] = 'y';
		s[room + 1] = '\0';
		is_int(wdn_buf_addf(&b, "%s", s), 0, "addf one byte past the capacity");
		ok(sane(&b) && b.len == room + 2 && b.ptr[0] == 'x' && b.ptr[room + 1] == 'y',
		   "one past: grew, content and terminator");
		free(s);
	}
	wdn_buf_release(&b);
}

static void test_max(void)
{
	struct wdn_buf b;
	char big[300];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	wdn_buf_init(&b, 16);
	is_int(wdn_buf_add(&b, "0123456789abcdef", 16), 0, "add up to max exactly");
	is_int(b.len, 16, "len == max is allowed");
	is_int(wdn_buf_addc(&b, 'x'), WDN_ETOOBIG, "one byte past max: WDN_ETOOBIG");
	ok(sane(&b) && b.len == 16 && !strcmp(b.ptr, "0123456789abcdef"), "add past max leaves the buffer intact");
	is_int(wdn_buf_adds(&b, big), WDN_ETOOBIG, "adds past max: WDN_ETOOBIG");
	ok(sane(&b) && b.len == 16 && !strcmp(b.ptr, "0123456789abcdef"), "adds past max leaves the buffer intact");
	is_int(wdn_buf_grow(&b, SIZE_MAX), WDN_ETOOBIG, "grow by SIZE_MAX: WDN_ETOOBIG, no overflow");
	is_int(wdn_buf_grow(&b, SIZE_MAX - 8), WDN_ETOOBIG, "grow by SIZE_MAX-8: WDN_ETOOBIG, no overflow");
	wdn_buf_release(&b);
	is_int(b.max, 16, "release keeps max");
	is_int(wdn_buf_add(&b, big, 17), WDN_ETOOBIG, "after release the cap still applies");

	/* addf past max on an allocated buffer with room left: vsnprintf must not
	 * have scribbled over the old terminator */
	wdn_buf_init(&b, 100);
	wdn_buf_adds(&b, "hello");
	is_int(wdn_buf_addf(&b, "%s", big), WDN_ETOOBIG, "addf past max: WDN_ETOOBIG");
	is_int(b.len, 5, "addf past max: length unchanged");
	ok(b.ptr[b.len] == '\0', "addf past max: still NUL-terminated at len");
	is_str(b.ptr, "hello", "addf past max: content unchanged");
	wdn_buf_release(&b);

	wdn_buf_init(&b, 100);
	is_int(wdn_buf_addf(&b, "%s", big), WDN_ETOOBIG, "addf past max on an unallocated buffer");
	ok(sane(&b) && b.len == 0 && wdn_buf_empty[0] == '\0', "unallocated buffer left empty, shared empty string intact");
	wdn_buf_release(&b);

	wdn_buf_init(&b, 0);
	is_int(wdn_buf_grow(&b, WDN_BUF_DEFAULT_MAX + 1), WDN_ETOOBIG, "max 0 means WDN_BUF_DEFAULT_MAX");
	wdn_buf_release(&b);
}

static void test_consume(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	size_t cap;

	wdn_buf_adds(&b, "hello world");
	cap = b.cap;
	wdn_buf_consume(&b, 0);
	is_str(b.ptr, "hello world", "consume 0 changes nothing");
	wdn_buf_consume(&b, 6);
	is_str(b.ptr, "world", "consume drops the first bytes");
	is_int(b.len, 5, "consume: length");
	ok(sane(&b) && b.cap == cap, "consume: terminated, memory kept");
	wdn_buf_consume(&b, 5);
	ok(sane(&b) && b.len == 0 && b.cap == cap, "consume everything: empty, memory kept");
	wdn_buf_adds(&b, "abc");
	wdn_buf_consume(&b, 1000);
	ok(sane(&b) && b.len == 0, "consume more than len: empty");
	wdn_buf_adds(&b, "again");
	is_str(b.ptr, "again", "usable after consume");
	wdn_buf_reset(&b);
	ok(sane(&b) && b.len == 0 && b.cap == cap, "reset: empty, memory kept");
	wdn_buf_release(&b);
}

static void test_detach(void)
{
	struct wdn_buf b;
	size_t len = 99;
	char *p;

	wdn_buf_init(&b, 1000);
	wdn_buf_adds(&b, "taken");
	p = wdn_buf_detach(&b, &len);
	is_str(p, "taken", "detach returns the content");
	is_int(len, 5, "detach reports the length");
	ok(b.ptr != NULL && b.ptr != p && b.len == 0 && b.cap == 0 && b.ptr[0] == '\0',
	   "after detach the buffer is back to its init state");
	is_int(b.max, 1000, "detach keeps max");
	free(p);

	len = 99;
	p = wdn_buf_detach(&b, &len);
	ok(p != NULL && p != wdn_buf_empty && p[0] == '\0' && len == 0,
	   "detach of an empty buffer gives a freeable empty string");
	free(p);
	p = wdn_buf_detach(&b, NULL);
	ok(p != NULL, "detach with NULL length");
	free(p);
	wdn_buf_adds(&b, "reuse");
	is_str(b.ptr, "reuse", "buffer reusable after detach");
	wdn_buf_release(&b);
}

static void test_str(void)
{
	struct wdn_str s = wdn_str_of("abc"), n = wdn_str_of(NULL);
	char *d;

	is_int(s.len, 3, "wdn_str_of length");
	ok(n.ptr == NULL && n.len == 0, "wdn_str_of(NULL)");
	ok(wdn_str_eq(s, "abc"), "wdn_str_eq equal");
	ok(!wdn_str_eq(s, "ab") && !wdn_str_eq(s, "abcd"), "wdn_str_eq different lengths");
	ok(!wdn_str_eq(n, ""), "wdn_str_eq: absent is not empty");
	ok(wdn_str_eq(WDN_STR("x\0y"), "x") == 0, "WDN_STR keeps an embedded NUL in its length");
	d = wdn_strndup("abcdef", 3);
	is_str(d, "abc", "wdn_strndup");
	free(d);
	ok(wdn_strdup(NULL) == NULL && wdn_strndup(NULL, 3) == NULL, "wdn_strdup/strndup of NULL");
	d = wdn_strdup("");
	is_str(d, "", "wdn_strdup of empty");
	free(d);
}

static void test_err(void)
{
	struct wdn_err e;

	memset(&e, 0, sizeof(e));
	is_int(wdn_err_set(&e, WDN_EINVAL, "bad '%s'", "x"), WDN_EINVAL, "wdn_err_set returns the code");
	is_str(e.msg, "bad 'x'", "wdn_err_set message");
	is_int(wdn_err_prefix(&e, "reading '%s': ", "f"), WDN_EINVAL, "wdn_err_prefix returns the code");
	is_str(e.msg, "reading 'f': bad 'x'", "wdn_err_prefix message");
	is_int(wdn_err_set(NULL, WDN_EIO, "x"), WDN_EIO, "wdn_err_set with no struct");
	is_str(wdn_strerror(WDN_ETOOBIG), "too big", "wdn_strerror");
	ok(wdn_strerror(12345) != NULL, "wdn_strerror of an unknown code");
}

/* A failure sticks: later appends change nothing, detach gives NULL, and
 * only reset or release start afresh. */
static void test_sticky(void)
{
	struct wdn_buf b;
	size_t len = 7;
	char *p;

	wdn_buf_init(&b, 8);
	is_int(wdn_buf_adds(&b, "abcdef"), 0, "sticky: six bytes fit");
	is_int(wdn_buf_adds(&b, "ghi"), WDN_ETOOBIG, "sticky: three more do not");
	is_int(wdn_buf_failed(&b), WDN_ETOOBIG, "sticky: wdn_buf_failed says why");
	is_int(wdn_buf_addc(&b, 'g'), WDN_ETOOBIG, "sticky: a byte that would fit fails too");
	is_int(wdn_buf_addf(&b, "%d", 1), WDN_ETOOBIG, "sticky: addf fails too");
	is_int(wdn_buf_add(&b, "", 0), WDN_ETOOBIG, "sticky: even adding nothing reports it");
	is_str(b.ptr, "abcdef", "sticky: nothing was added after the failure");
	wdn_buf_consume(&b, 2);
	is_int(wdn_buf_failed(&b), WDN_ETOOBIG, "sticky: consuming keeps the failure");
	p = wdn_buf_detach(&b, &len);
	ok(p == NULL && len == 0, "sticky: detach gives NULL and length 0, never a cut-short string");
	ok(sane(&b) && !wdn_buf_failed(&b) && b.len == 0, "sticky: detach leaves an empty, usable buffer");
	is_int(wdn_buf_adds(&b, "xy"), 0, "sticky: appends work again after detach");
	wdn_buf_adds(&b, "0123456789");
	wdn_buf_reset(&b);
	ok(!wdn_buf_failed(&b) && b.len == 0, "sticky: reset clears the failure");
	is_int(wdn_buf_adds(&b, "ok"), 0, "sticky: and appends work again");
	wdn_buf_adds(&b, "0123456789");
	wdn_buf_release(&b);
	ok(!wdn_buf_failed(&b) && b.max == 8, "sticky: release clears it, keeps max");
	wdn_buf_release(&b);
}

static void test_setlen(void)
{
	struct wdn_buf b = WDN_BUF_INIT;

	is_int(wdn_buf_setlen(&b, 0), 0, "setlen 0 on an unallocated buffer");
	ok(sane(&b), "and it stays sane");
	is_int(wdn_buf_setlen(&b, 1), WDN_EINVAL, "setlen past an unallocated buffer: WDN_EINVAL");
	wdn_buf_adds(&b, "hello");
	is_int(wdn_buf_setlen(&b, 2), 0, "setlen shrinks");
	ok(sane(&b) && !strcmp(b.ptr, "he"), "to 'he', terminated");
	if (!wdn_buf_grow(&b, 10)) {
		memcpy(b.ptr + b.len, "llo world", 9);
		is_int(wdn_buf_setlen(&b, b.len + 9), 0, "setlen over bytes written after grow");
		is_str(b.ptr, "hello world", "and they are the content");
	}
	is_int(wdn_buf_setlen(&b, b.cap), WDN_EINVAL, "setlen to cap: no room for the terminator");
	is_int(wdn_buf_setlen(&b, (size_t)-1), WDN_EINVAL, "setlen to SIZE_MAX");
	is_str(b.ptr, "hello world", "a refused setlen changes nothing");
	wdn_buf_release(&b);
}

/* A secret buffer holds the same as any other; its wiping is seen through
 * what it leaves behind in memory it still owns. */
static void test_secret(void)
{
	struct wdn_buf b;
	size_t i, clean = 1, len;
	char *p;

	wdn_buf_init_secret(&b, 0);
	for (i = 0; i < 200; i++)
		wdn_buf_addc(&b, 'S');
	is_int((int)b.len, 200, "secret: grows like any buffer");
	ok(!wdn_buf_failed(&b) && b.ptr[199] == 'S' && sane(&b), "secret: content intact after growing");
	wdn_buf_consume(&b, 150);
	for (i = b.len + 1; i < 200; i++)
		clean &= b.ptr[i] == '\0';
	ok(clean && b.len == 50, "secret: consume wipes the tail it leaves behind");
	wdn_buf_reset(&b);
	clean = 1;
	for (i = 0; i < 50; i++)
		clean &= b.ptr[i] == '\0';
	ok(clean, "secret: reset wipes the content");
	wdn_buf_adds(&b, "token");
	p = wdn_buf_detach(&b, &len);
	ok(p && len == 5 && !strcmp(p, "token"), "secret: detach hands the memory over");
	free(p);
	ok(b.secret, "secret: the buffer stays secret after detach");
	wdn_buf_release(&b);
	ok(b.secret, "secret: and after release");
}

int main(void)
{
	(void)skip;
	test_init();
	test_add();
	test_addf();
	test_max();
	test_consume();
	test_detach();
	test_sticky();
	test_setlen();
	test_secret();
	test_str();
	test_err();
	return done_testing();
}
