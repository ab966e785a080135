/*
 * The command layer's parsers and escapers (cmd/cli.c), by the first byte:
 * 0: text escaping gives only printable UTF-8 (ASCII alone outside a UTF-8
 *    locale) that unescapes to the input;
 * 1: a key line is rejected, or gives a valid key (or, for a filter, none);
 * 2: a number is accepted only as digits within its bounds, with its value;
 * 3: a string written as JSON output is UTF-8 without DEL or C1 controls,
 *    and parses back to the input when that was UTF-8.
 */
#include "../../cmd/cli.h"
#include "json.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static FILE *devnull;

static void set_locale(struct cli *c, int utf8)
{
	setenv("LC_ALL", utf8 ? "C.UTF-8" : "C", 1);
	cli_init(c, "fuzz", "usage: fuzz\n");
}

static void put_utf8(struct wdn_buf *b, unsigned long c)
{
	if (c < 0x80) {
		wdn_buf_addc(b, (char)c);
	} else if (c < 0x800) {
		wdn_buf_addc(b, (char)(0xc0 | c >> 6));
		wdn_buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		wdn_buf_addc(b, (char)(0xe0 | c >> 12));
		wdn_buf_addc(b, (char)(0x80 | (c >> 6 & 0x3f)));
		wdn_buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else {
		wdn_buf_addc(b, (char)(0xf0 | c >> 18));
		wdn_buf_addc(b, (char)(0x80 | (c >> 12 & 0x3f)));
		wdn_buf_addc(b, (char)(0x80 | (c >> 6 & 0x3f)));
		wdn_buf_addc(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* The inverse of cli_text_escape: \\, \xNN, \uNNNN, \UNNNNNNNN. */
static void unescape(const char *s, size_t n, struct wdn_buf *out)
{
	size_t i, w;
	char hex[9];

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			wdn_buf_addc(out, s[i]);
			continue;
		}
		if (++i >= n)
			abort();
		if (s[i] == '\\') {
			wdn_buf_addc(out, '\\');
			continue;
		}
		w = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : s[i] == 'U' ? 8 : 0;
		if (!w || i + w >= n)
			abort(); /* an escape cut short */
		memcpy(hex, s + i + 1, w);
		hex[w] = '\0';
		if (strspn(hex, "0123456789abcdef") != w)
			abort();
		if (w == 2)
			wdn_buf_addc(out, (char)strtoul(hex, NULL, 16));
		else
			put_utf8(out, strtoul(hex, NULL, 16));
		i += w;
	}
}

static void check_escape(const uint8_t *d, size_t n, int utf8)
{
	struct cli c;
	struct wdn_buf e = WDN_BUF_INIT, back = WDN_BUF_INIT;
	size_t i;

	set_locale(&c, utf8);
	if (cli_text_escape(&e, (const char *)d, n))
		abort();
	for (i = 0; i < e.len; i++) {
		unsigned char b = (unsigned char)e.ptr[i];

		if (b < 0x20 || b == 0x7f || (!utf8 && b >= 0x80) ||
		    (b == 0xc2 && i + 1 < e.len && (unsigned char)e.ptr[i + 1] <= 0x9f))
			abort(); /* a control, or non-ASCII outside a UTF-8 locale */
	}
	if (!wdn_utf8_valid(e.ptr, e.len))
		abort();
	unescape(e.ptr, e.len, &back);
	if (back.len != n || memcmp(back.ptr, d, n))
		abort(); /* the escaping lost or changed something */
	wdn_buf_release(&e);
	wdn_buf_release(&back);
}

static void check_keyline(const uint8_t *d, size_t n, int flags)
{
	struct cli c;
	struct cli_keyline l = { 0 };
	FILE *err = stderr;

	set_locale(&c, 1);
	wdn_buf_init(&l.text, WDN_MAX_RECORD);
	wdn_buf_add(&l.text, d, n);
	l.n = 1;
	stderr = devnull; /* the warnings; sanitizers write to fd 2 themselves */
	cli_keyline_parse(&c, &l, 1, WDN_TIME_MAX, flags);
	stderr = err;
	if (!l.skip && l.key && !wdn_key_valid(l.key))
		abort();
	if (!l.skip && !l.key && !(flags & CLI_KEYLINE_EVENTS))
		abort(); /* a lookup line must name a key */
	if (l.skip && (l.v || l.key))
		abort();
	if (l.v && l.values > CLI_MAX_VALUES)
		abort();
	cli_keyline_clear(&l);
	wdn_buf_release(&l.text);
}

static void check_number(const uint8_t *d, size_t n)
{
	char s[32];
	const char *why;
	long long v, min, max;

	if (n < 2 || n > 26)
		return;
	min = d[0] % 100;
	max = min + d[1] * 1000LL;
	memcpy(s, d + 2, n - 2);
	s[n - 2] = '\0';
	v = cli_strtonum(s, min, max, &why);
	if (!why && (strspn(s, "0123456789") != strlen(s) || !*s || v < min || v > max ||
		     strtoll(s, NULL, 10) != v))
		abort();
	if (why && v)
		abort();
}

static void check_json(const uint8_t *d, size_t n)
{
	struct cli c;
	char *out = NULL;
	size_t len = 0, i;
	FILE *o = stdout, *m = open_memstream(&out, &len);
	wdn_json v;

	if (!m || memchr(d, 0, n)) {
		if (m)
			fclose(m);
		free(out);
		return;
	}
	set_locale(&c, 1);
	stdout = m;
	yajl_gen_string(cli_gen(&c, n & 1), d, n);
	cli_gen_end(&c);
	yajl_gen_free(c.gen);
	wdn_buf_release(&c.doc); /* what cli_exit releases; the target cannot call it (it closes stdout) */
	stdout = o;
	fclose(m);
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] == 0x7f || ((unsigned char)out[i] == 0xc2 && i + 1 < len &&
						      (unsigned char)out[i + 1] <= 0x9f))
			abort();
	if (!wdn_utf8_valid(out, len) || !(v = wdn_json_parse(out, len, NULL)) || !YAJL_IS_STRING(v))
		abort();
	if (wdn_utf8_valid((const char *)d, n) && (strlen(v->u.string) != n || memcmp(v->u.string, d, n)))
		abort();
	wdn_json_free(v);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (size < 1)
		return 0;
	switch (data[0] & 7) {
	case 0: check_escape(data + 1, size - 1, 1); break;
	case 1: check_escape(data + 1, size - 1, 0); break;
	case 2: check_keyline(data + 1, size - 1, 0); break;
	case 3: check_keyline(data + 1, size - 1, CLI_KEYLINE_EVENTS); break;
	case 4: check_number(data + 1, size - 1); break;
	default: check_json(data + 1, size - 1); break;
	}
	return 0;
}
