/* JSON over yajl: parsing whole documents, paths into trees, and emitting
 * trees or already-serialized text through a yajl generator. */
#include "wdn.h"
#include "datetime.h"
#include "json.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

/* Deepest nesting of brackets outside strings: yajl's tree is freed (and
 * ours walked) recursively, so a hostile depth must not reach it. Also an
 * upper estimate of the tree's elements (values and keys): one per bracket,
 * comma and colon, plus one. */
static size_t nesting(const char *p, size_t n, size_t *elements)
{
	const char *end = p + n;
	size_t depth = 0, max = 0, count = 1;
	int in_string = 0;

	for (; p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == '{' || *p == '[') {
			count++;
			if (++depth > max)
				max = depth;
		} else if ((*p == '}' || *p == ']') && depth) {
			depth--;
		} else if (*p == ',' || *p == ':') {
			count++;
		}
	}
	*elements = count;
	return max;
}

size_t wdn_json_elements(const char *text, size_t len)
{
	size_t n;

	nesting(text, len, &n);
	return n;
}

wdn_json wdn_json_parse_bounded(const char *text, size_t len, size_t max_elements,
				struct wdn_err *err)
{
	char ebuf[256] = "";
	char *copy;
	yajl_val v;
	size_t elements;

	if (nesting(text, len, &elements) > WDN_MAX_DEPTH) {
		wdn_err_set(err, WDN_EINVAL, "nested deeper than %d levels", WDN_MAX_DEPTH);
		return NULL;
	}
	if (max_elements && elements > max_elements) {
		wdn_err_set(err, WDN_ETOOBIG, "more than %zu values and keys", max_elements);
		return NULL;
	}
	/* yajl_tree_parse wants a NUL-terminated text */
	if (!(copy = wdn_strndup(text, len))) {
		wdn_err_set(err, WDN_ENOMEM, "out of memory");
		return NULL;
	}
	v = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!v) {
		char *nl = strchr(ebuf, '\n');

		if (nl)
			*nl = '\0';
		wdn_err_set(err, WDN_EINVAL, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	return v;
}

wdn_json wdn_json_parse(const char *text, size_t len, struct wdn_err *err)
{
	return wdn_json_parse_bounded(text, len, 0, err);
}

void wdn_json_free(wdn_json v)
{
	yajl_tree_free(v);
}

wdn_json wdn_json_get(wdn_json v, const char *path)
{
	const char *p = path, *dot;
	size_t i, n;

	while (v && *p) {
		if (!YAJL_IS_OBJECT(v))
			return NULL;
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		for (i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			if (strlen(k) == n && !memcmp(k, p, n))
				break;
		}
		if (i == v->u.object.len)
			return NULL;
		v = v->u.object.values[i];
		p += n + (dot != NULL);
	}
	return v;
}

const char *wdn_json_str(wdn_json v, const char *path)
{
	v = wdn_json_get(v, path);
	return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int wdn_json_gen(yajl_gen g, wdn_json v)
{
	yajl_gen_status st;
	size_t i;

	if (!v)
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : WDN_EINVAL;
	switch (v->type) {
	case yajl_t_string:
		st = yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
		break;
	case yajl_t_number:
		st = yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
		break;
	case yajl_t_object:
		if ((st = yajl_gen_map_open(g)) != yajl_gen_status_ok)
			return WDN_ETOOBIG; /* deeper than the generator nests */
		for (i = 0; i < v->u.object.len; i++) {
			wdn_gen_key(g, v->u.object.keys[i]);
			if (wdn_json_gen(g, v->u.object.values[i]))
				return WDN_ETOOBIG;
		}
		st = yajl_gen_map_close(g);
		break;
	case yajl_t_array:
		if ((st = yajl_gen_array_open(g)) != yajl_gen_status_ok)
			return WDN_ETOOBIG;
		for (i = 0; i < v->u.array.len; i++)
			if (wdn_json_gen(g, v->u.array.values[i]))
				return WDN_ETOOBIG;
		st = yajl_gen_array_close(g);
		break;
	case yajl_t_true:
		st = yajl_gen_bool(g, 1);
		break;
	case yajl_t_false:
		st = yajl_gen_bool(g, 0);
		break;
	default:
		st = yajl_gen_null(g);
	}
	return st == yajl_gen_status_ok ? 0 : WDN_EINVAL;
}

/* Replaying parser events into a generator inserts serialized JSON into the
 * output stream, pretty-printed or not as the generator is configured. */
static int re_null(void *g) { return yajl_gen_null(g) == yajl_gen_status_ok; }
static int re_bool(void *g, int b) { return yajl_gen_bool(g, b) == yajl_gen_status_ok; }
static int re_num(void *g, const char *s, size_t n) { return yajl_gen_number(g, s, n) == yajl_gen_status_ok; }
static int re_str(void *g, const unsigned char *s, size_t n) { return yajl_gen_string(g, s, n) == yajl_gen_status_ok; }
static int re_omap(void *g) { return yajl_gen_map_open(g) == yajl_gen_status_ok; }
static int re_cmap(void *g) { return yajl_gen_map_close(g) == yajl_gen_status_ok; }
static int re_oarr(void *g) { return yajl_gen_array_open(g) == yajl_gen_status_ok; }
static int re_carr(void *g) { return yajl_gen_array_close(g) == yajl_gen_status_ok; }

static const yajl_callbacks replay = {
	re_null, re_bool, NULL, NULL, re_num, re_str, re_omap, re_str, re_cmap, re_oarr, re_carr,
};

int wdn_json_gen_text(yajl_gen g, const char *text, size_t len)
{
	yajl_handle h = yajl_alloc(&replay, NULL, g);
	int rc = 0;

	if (!h)
		return WDN_ENOMEM;
	if (yajl_parse(h, (const unsigned char *)text, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok)
		rc = WDN_EINVAL;
	yajl_free(h);
	return rc;
}

static void append_cb(void *ctx, const char *s, size_t n)
{
	wdn_buf_add(ctx, s, n);
}

yajl_gen wdn_gen_into(struct wdn_buf *out)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g)
		yajl_gen_config(g, yajl_gen_print_callback, append_cb, out);
	return g;
}

int wdn_json_serialize(wdn_json v, struct wdn_buf *out)
{
	yajl_gen g = wdn_gen_into(out);
	size_t mark = out->len;
	int rc;

	if (!g)
		return WDN_ENOMEM;
	rc = wdn_json_gen(g, v);
	yajl_gen_free(g);
	if (!rc)
		rc = wdn_buf_failed(out);
	if (rc)
		wdn_buf_setlen(out, mark); /* never half a document */
	return rc;
}

void wdn_gen_str(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

void wdn_gen_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void wdn_gen_time(yajl_gen g, int64_t t)
{
	char b[32];

	if (t == WDN_TIME_NONE) {
		yajl_gen_null(g);
		return;
	}
	wdn_time_format(t, b);
	wdn_gen_str(g, b);
}

/* The next character of a member name as a code point: an escape (when the
 * name is as written in JSON text) or a UTF-8 sequence; -1 if malformed. */
static long name_char(const unsigned char **pp, const unsigned char *end, int escaped)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const unsigned char *p = *pp;
	const char *s;
	long cp = 0;
	int n, i;

	if (escaped && *p == '\\') {
		if (end - p < 2)
			return -1;
		if (p[1] != 'u') {
			for (s = simple; *s && *s != (char)p[1]; s += 2)
				;
			*pp = p + 2;
			return *s ? (unsigned char)s[1] : -1;
		}
		if (end - p < 6)
			return -1;
		for (i = 2; i < 6; i++) {
			int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
				c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

			if (d < 0)
				return -1;
			cp = cp * 16 + d;
		}
		*pp = p + 6;
		return cp; /* a surrogate stays one: it never stands for a letter */
	}
	if (*p < 0x80) {
		*pp = p + 1;
		return *p;
	}
	n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : -1;
	if (n < 0 || end - p <= n)
		return -1;
	cp = *p & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*pp = p + n + 1;
	return cp;
}

/* A letter as case-insensitive readers take it: ASCII lowercased, and the
 * letters whose case mapping lands on an ASCII one (Java's equalsIgnoreCase,
 * Unicode's folding) taken for it. */
static long name_fold(long cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + ('a' - 'A');
	switch (cp) {
	case 0x130: /* capital I with dot above */
	case 0x131: /* dotless i */
		return 'i';
	case 0x17f: /* long s */
		return 's';
	case 0x212a: /* Kelvin sign */
		return 'k';
	}
	return cp;
}

int wdn_json_name_is(const char *key, size_t len, int escaped, const char *name)
{
	const unsigned char *p = (const unsigned char *)key, *end = p + len;
	long cp;

	for (; *name; name++)
		if (p == end || (cp = name_char(&p, end, escaped)) < 0 ||
		    name_fold(cp) != name_fold((unsigned char)*name))
			return 0;
	/* a NUL ends the name for readers of C strings (yajl's tree among them) */
	return p == end || name_char(&p, end, escaped) == 0;
}
