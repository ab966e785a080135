/*
 * The reader's fast path: a whole decoded CloudTrail log file validated at
 * once by simdjson (SIMD, several times yajl's speed) and walked for the
 * same fields the streaming parse pulls out.
 *
 * Only the plainest shape is taken: one object whose only member is a
 * Records array of objects, each within the reader's caps, every field a
 * string or null. Anything else, and any error, answers "not sure", and the
 * reader parses the input its careful way from the start; so every verdict
 * and message stays the streaming parse's.
 *
 * simdjson's tree has no byte offsets. The event spans come from the
 * structural index of the same parse (stage 1: the offset of every bracket,
 * colon, comma and token start, in order), which the pinned library version
 * (Debian's 3.0.1) keeps public for its benchmarks: a bracket count over it
 * costs one step per token, not per byte. Nothing here throws to C: the
 * calls used return error codes, and allocation failure is caught.
 */
#include <simdjson.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

extern "C" {
#include "wdn.h"
#include "fastjson.h"
#include "json.h"
#include <yajl/yajl_tree.h>
}

namespace {

struct keyname {
	int field;
	const char *name;
	size_t len;
};
#define K(field, name) { field, name, sizeof(name) - 1 }

/* -1: a container the walk goes into */
enum { K_UI = -2, K_SC = -3, K_SI = -4, K_NONE = -1 };

constexpr keyname event_keys[] = {
	K(WDN_F_EVENT_NAME, "eventName"), K(WDN_F_EVENT_SOURCE, "eventSource"),
	K(WDN_F_EVENT_TIME, "eventTime"), K(WDN_F_EVENT_ID, "eventID"),
	K(WDN_F_ERROR_CODE, "errorCode"), K(WDN_F_RECIPIENT, "recipientAccountId"),
	K(WDN_F_REGION, "awsRegion"), K(WDN_F_SHARED_EVENT_ID, "sharedEventID"),
	K(K_UI, "userIdentity"), { K_NONE, nullptr, 0 },
};
constexpr keyname ui_keys[] = {
	K(WDN_F_UI_TYPE, "type"), K(WDN_F_UI_ARN, "arn"), K(WDN_F_UI_ACCOUNT, "accountId"),
	K(WDN_F_UI_KEY, "accessKeyId"), K(WDN_F_UI_INVOKED_BY, "invokedBy"),
	K(K_SC, "sessionContext"), { K_NONE, nullptr, 0 },
};
constexpr keyname sc_keys[] = { K(K_SI, "sessionIssuer"), { K_NONE, nullptr, 0 } };
constexpr keyname si_keys[] = { K(WDN_F_UI_ISSUER_ARN, "arn"), { K_NONE, nullptr, 0 } };

/* A table's keys by a hash of length, first and third-last byte (eventName
 * and eventTime share the first and last): most keys of an
 * event are none of these, and one compare of a bucket turns them away
 * without a scan. Each table's keys land in distinct buckets (checked at
 * compile time below). */
constexpr unsigned khash(const char *k, size_t len)
{
	return (unsigned)(len * 7 + (unsigned char)k[0] +
			  (unsigned char)k[len >= 3 ? len - 3 : 0] * 7) & 63;
}
struct keyindex {
	signed char at[64] = {};
	constexpr keyindex(const keyname *t)
	{
		for (int i = 0; i < 64; i++)
			at[i] = -1;
		for (int i = 0; t[i].name; i++) {
			unsigned h = khash(t[i].name, t[i].len);
			if (at[h] >= 0)
				throw "two keys of a table share a bucket"; /* a compile error */
			at[h] = (signed char)i;
		}
	}
};
constexpr keyindex event_index(event_keys), ui_index(ui_keys), sc_index(sc_keys), si_index(si_keys);

/* n bytes alike? Eight at a time, inline: the keys are short, and a call
 * to memcmp for each member of each event cost more than the compare. Not
 * strcmp: a key may hold NUL bytes. */
inline bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		std::memcpy(&x, a, 8);
		std::memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; n; a++, b++, n--)
		if (*a != *b)
			return false;
	return true;
}

inline __attribute__((always_inline)) int lookup(const keyname *t, const keyindex &x, std::string_view k)
{
	int i;

	if (k.empty() || (i = x.at[khash(k.data(), k.size())]) < 0)
		return K_NONE;
	if (k.size() == t[i].len && same_bytes(t[i].name, k.data(), k.size()))
		return t[i].field;
	return K_NONE;
}

const keyindex &index_of(const keyname *t)
{
	return t == event_keys ? event_index : t == ui_keys ? ui_index : t == sc_keys ? sc_index : si_index;
}

/* Pull the fields of one container into ev; false when not sure. As the
 * streaming parse does: a later duplicate wins, a null leaves what was there,
 * and a container that is no object is passed over. */
bool fields(simdjson::dom::object o, const keyname *t, struct wdn_fast_event *ev, int top)
{
	const keyindex &x = index_of(t);

	for (auto m : o) {
		int k = lookup(t, x, m.key);
		std::string_view s;

		if (top) {
			/* only ASCII w folds to w: a cheap test before the exact one */
			if (m.key.size() >= 9 && (m.key[0] | 0x20) == 'w' &&
			    wdn_json_name_is(m.key.data(), m.key.size(), 0, "whodunnit"))
				ev->forged = 1;
			/* an envelope's members among records: the careful path refuses them */
			if (m.key == "detail" || m.key == "detail-type")
				return false;
		}
		if (k == K_NONE)
			continue;
		if (k >= 0) {
			if (m.value.is_null())
				continue;
			if (m.value.get_string().get(s))
				return false; /* not a string: the careful path rejects the record */
			ev->f[k].ptr = s.data();
			ev->f[k].len = s.size();
			continue;
		}
		if (!m.value.is_object())
			continue;
		if (!fields(m.value.get_object().value_unsafe(),
			    k == K_UI ? ui_keys : k == K_SC ? sc_keys : si_keys, ev, 0))
			return false;
	}
	return true;
}

bool is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* What a structural byte does: open or close a container, separate, or
 * begin a value or key (0); and JSON's white space. */
enum { S_VALUE, S_OPEN, S_CLOSE, S_SEP, S_WS = 8 };
struct classes {
	unsigned char c[256] = {};
	constexpr classes()
	{
		c['{'] = c['['] = S_OPEN;
		c['}'] = c[']'] = S_CLOSE;
		c[':'] = c[','] = S_SEP;
		c[' '] = c['\n'] = c['\t'] = c['\r'] = S_WS;
	}
};
constexpr classes cls;

/* The same as one step of a sum: a value or key begun (the elements the
 * reader counts) adds 1 << 32, an open bracket 1 more, a close subtracts 1.
 * The low half is the depth, never below 0 inside a record, so a close
 * never borrows from the count above it. */
struct counts {
	uint64_t step[256] = {};
	constexpr counts()
	{
		for (int i = 0; i < 256; i++)
			step[i] = cls.c[i] == S_CLOSE ? ~(uint64_t)0 :
				  ((uint64_t)(cls.c[i] <= S_OPEN) << 32) + (cls.c[i] == S_OPEN);
	}
};
constexpr counts steps;

static_assert(WDN_FAST_PADDING >= simdjson::SIMDJSON_PADDING, "the reader pads too little");

/* One parser per thread, kept: its buffers grow to the largest input once. */
struct state {
	simdjson::dom::parser parser{ WDN_FAST_MAX }; /* (3.0.1's set_max_capacity sets 32) */
	simdjson::dom::document doc;
	std::vector<struct wdn_fast_event> evs;
	bool ready = false;
	std::unique_ptr<unsigned char[]> buf[2]; /* wdn_fast_buffer */
};

thread_local state tls;

/*
 * The events of {"Records":[...]} from the structural index si[0..n), checked
 * against the tree as it goes: false on any surprise.
 */
bool walk(state &st, const char *buf, size_t len, const uint32_t *si, uint32_t n,
	  simdjson::dom::array recs)
{
	uint32_t k = 4;

	/* { "Records" : [  ...  ] } and nothing around it but JSON's white space */
	if (n < 6 || buf[si[0]] != '{' || buf[si[1]] != '"' || buf[si[2]] != ':' || buf[si[3]] != '[' ||
	    buf[si[n - 1]] != '}' || buf[si[n - 2]] != ']')
		return false;
	for (size_t i = 0; i < si[0]; i++)
		if (!is_ws(buf[i]))
			return false;
	for (size_t i = si[n - 1] + 1; i < len; i++)
		if (!is_ws(buf[i]))
			return false;
	for (auto v : recs) {
		struct wdn_fast_event ev;
		uint32_t j;
		uint64_t sum, elems;
		int compact;
		simdjson::dom::object o;

		if (k >= n - 2 || buf[si[k]] != '{' || v.get_object().get(o))
			return false;
		unsigned ws = 0;

		/* the record's brace, then what is in it to the matching one;
		 * a sum from a table, not branches, which a CPU guesses badly */
		for (j = k + 1, sum = steps.step['{']; j < n; j++) {
			/* white space outside strings always comes just before a token */
			ws |= cls.c[(unsigned char)buf[si[j] - 1]];
			sum += steps.step[(unsigned char)buf[si[j]]];
			if (!(uint32_t)sum)
				break;
		}
		elems = sum >> 32;
		compact = !(ws & S_WS);
		/* elems counted the record's own brace: the reader counts what is in it */
		if (j >= n - 2 || elems - 1 > WDN_MAX_ELEMENTS || si[j] + 1 - si[k] > WDN_MAX_RECORD)
			return false;
		std::memset(&ev, 0, sizeof(ev));
		ev.off = si[k];
		ev.len = si[j] + 1 - si[k];
		ev.compact = compact;
		if (!fields(o, event_keys, &ev, 1))
			return false;
		st.evs.push_back(ev);
		k = j + 1;
		if (buf[si[k]] == ',')
			k++;
		else if (buf[si[k]] != ']' || k != n - 2)
			return false;
	}
	return k == n - 2 || (st.evs.empty() && k == 4);
}

/* ---- an issuing or changing event's tree, for the rules of event.c ---- */

/* The top-level members those rules read (event.c: every path it asks
 * wdn_json_get for begins with one of these); the rest of an event (its
 * resources, tlsDetails, user agent, ...) is never looked at. */
constexpr keyname read_keys[] = {
	K(0, "eventName"), K(0, "errorCode"), K(0, "eventTime"), K(0, "eventID"),
	K(0, "sharedEventID"), K(0, "recipientAccountId"), K(0, "userIdentity"),
	K(0, "requestParameters"), K(0, "responseElements"), { K_NONE, nullptr, 0 },
};
constexpr keyindex read_index(read_keys);

/* Events larger than this go to yajl (a parser's buffers are about ten
 * times its largest input, and issuing events are a few KB). */
constexpr size_t EVENT_MAX = 64u << 10;

/*
 * The tree is built in this thread's arena: chunks kept from event to event
 * and taken from in turn, so an event of a few hundred values costs no
 * malloc and no free. (yajl's own tree is a malloc for every node, key,
 * string and array, and as many frees.)
 */
class arena {
	/* 64 KB of text makes at most a few MB of tree; more: not sure */
	static constexpr size_t CHUNK = EVENT_MAX + 64, CHUNKS = 64;
	std::unique_ptr<char[]> chunks[CHUNKS]; /* (no std::vector: it would be exported) */
	size_t nchunks = 0, cur = 0, used = 0;

public:
	void reset()
	{
		cur = used = 0;
	}
	void *take(size_t n)
	{
		n = (n + 15) & ~(size_t)15;
		if (n > CHUNK)
			return nullptr;
		if (!nchunks || used + n > CHUNK) {
			size_t next = nchunks ? cur + 1 : 0;

			if (next == CHUNKS)
				return nullptr;
			if (next == nchunks) {
				chunks[next].reset(new (std::nothrow) char[CHUNK]);
				if (!chunks[next])
					return nullptr;
				nchunks++;
			}
			cur = next;
			used = 0;
		}
		used += n;
		return chunks[cur].get() + used - n;
	}
};

struct evstate {
	simdjson::dom::parser parser{ EVENT_MAX };
	bool ready = false;
	arena mem;
};
thread_local evstate evtls;

yajl_val node(arena &m, yajl_type t)
{
	yajl_val v = (yajl_val)m.take(sizeof(*v));

	if (v) {
		std::memset(v, 0, sizeof(*v));
		v->type = t;
	}
	return v;
}

char *text(arena &m, std::string_view s)
{
	char *p = (char *)m.take(s.size() + 1);

	if (p) {
		std::memcpy(p, s.data(), s.size());
		p[s.size()] = '\0';
	}
	return p;
}

yajl_val tree(arena &m, simdjson::dom::element e, bool top);

/* An object's members in order, duplicates and all (wdn_json_get takes the
 * first, as on yajl's tree); at the top only those of read_keys. */
yajl_val object(arena &m, simdjson::dom::object o, bool top)
{
	yajl_val v = node(m, yajl_t_object);
	size_t n = 0;

	if (!v)
		return nullptr;
	for (auto x : o)
		n += !top || lookup(read_keys, read_index, x.key) != K_NONE;
	if (n && (!(v->u.object.keys = (const char **)m.take(n * sizeof(char *))) ||
		  !(v->u.object.values = (yajl_val *)m.take(n * sizeof(yajl_val)))))
		return nullptr;
	for (auto x : o) {
		if (top && lookup(read_keys, read_index, x.key) == K_NONE)
			continue;
		const char *k = text(m, x.key);
		yajl_val y = k ? tree(m, x.value, false) : nullptr;

		if (!y)
			return nullptr;
		v->u.object.keys[v->u.object.len] = k;
		v->u.object.values[v->u.object.len++] = y;
	}
	return v;
}

yajl_val array(arena &m, simdjson::dom::array a)
{
	yajl_val v = node(m, yajl_t_array);
	size_t n = a.size();

	if (!v)
		return nullptr;
	if (n && !(v->u.array.values = (yajl_val *)m.take(n * sizeof(yajl_val))))
		return nullptr;
	for (auto x : a) {
		yajl_val y = tree(m, x, false);

		if (!y || v->u.array.len == n)
			return nullptr;
		v->u.array.values[v->u.array.len++] = y;
	}
	return v;
}

/* A number's text is never read by event.c's rules (they take strings; a
 * number is "not a string"), and this tree is never serialized: the text
 * is simdjson's value written out, not necessarily the event's. */
yajl_val number(arena &m, simdjson::dom::element e)
{
	yajl_val v = node(m, yajl_t_number);
	char b[40];
	int64_t i;
	uint64_t u;
	double d;

	if (!v)
		return nullptr;
	if (!e.get_int64().get(i)) {
		std::snprintf(b, sizeof(b), "%" PRId64, i);
		v->u.number.i = i;
		v->u.number.flags = YAJL_NUMBER_INT_VALID;
	} else if (!e.get_uint64().get(u)) {
		std::snprintf(b, sizeof(b), "%" PRIu64, u);
	} else {
		d = e.get_double().value_unsafe();
		std::snprintf(b, sizeof(b), "%.17g", d);
		v->u.number.d = d;
		v->u.number.flags = YAJL_NUMBER_DOUBLE_VALID;
	}
	return (v->u.number.r = text(m, b)) ? v : nullptr;
}

yajl_val tree(arena &m, simdjson::dom::element e, bool top)
{
	yajl_val v;

	switch (e.type()) {
	case simdjson::dom::element_type::OBJECT:
		return object(m, e.get_object().value_unsafe(), top);
	case simdjson::dom::element_type::ARRAY:
		return array(m, e.get_array().value_unsafe());
	case simdjson::dom::element_type::STRING:
		if ((v = node(m, yajl_t_string)) && !(v->u.string = text(m, e.get_string().value_unsafe())))
			return nullptr;
		return v;
	case simdjson::dom::element_type::INT64:
	case simdjson::dom::element_type::UINT64:
	case simdjson::dom::element_type::DOUBLE:
		return number(m, e);
	case simdjson::dom::element_type::BOOL:
		return node(m, e.get_bool().value_unsafe() ? yajl_t_true : yajl_t_false);
	default:
		return node(m, yajl_t_null);
	}
}

} // namespace

extern "C" wdn_json wdn_fast_event_tree(const char *raw, size_t len)
{
	try {
		evstate &st = evtls;
		simdjson::dom::element doc;
		size_t depth = 0, max = 0, elements = 1;

		if (len > EVENT_MAX || len < 2 || raw[0] != '{' || std::memchr(raw, '\\', len))
			return nullptr;
		if (!st.ready) {
			/* deeper than WDN_MAX_DEPTH is refused below, by yajl's path */
			if (st.parser.allocate(EVENT_MAX, WDN_MAX_DEPTH + 1))
				return nullptr;
			st.ready = true;
		}
		if (st.parser.parse(raw, len, true).get(doc) || !doc.is_object())
			return nullptr;
		const uint32_t *si = st.parser.implementation->structural_indexes.get();
		uint32_t n = st.parser.implementation->n_structural_indexes;

		/* The caps of wdn_json_parse_bounded, counted its way (json.c's
		 * nesting: a bracket, comma or colon outside strings is one more
		 * element); and compact: no white space before a token. Anything
		 * past a cap goes to yajl's path, which says so as it always has. */
		for (uint32_t j = 0; j < n; j++) {
			unsigned char c = cls.c[(unsigned char)raw[si[j]]];

			if (j && cls.c[(unsigned char)raw[si[j] - 1]] == S_WS)
				return nullptr;
			if (c == S_OPEN) {
				elements++;
				if (++depth > max)
					max = depth;
			} else if (c == S_CLOSE) {
				depth--;
			} else if (c == S_SEP) {
				elements++;
			}
		}
		if (max > WDN_MAX_DEPTH || elements > WDN_MAX_ELEMENTS || si[n - 1] + 1 != len)
			return nullptr;
		st.mem.reset();
		return tree(st.mem, doc, true);
	} catch (...) {
		return nullptr;
	}
}

extern "C" int wdn_fast_walk(const char *buf, size_t len, int padded,
			     const struct wdn_fast_event **evs, size_t *nev)
{
	try {
		simdjson::dom::element doc;
		simdjson::dom::object top;
		simdjson::dom::array recs;

		state &st = tls;

		if (!st.ready) {
			/* Once, for the largest input the fast path takes: buffers
			 * that grew by turns would be freed and taken again from the
			 * heap, which then keeps them; pages never used cost nothing.
			 * (The parser's own document would be allocated for each larger input.)
			 * The depth cap is the reader's: deeper is the careful path's. */
			if (st.parser.allocate(WDN_FAST_MAX, WDN_MAX_DEPTH) || st.doc.allocate(WDN_FAST_MAX))
				return 0;
			st.ready = true;
		}
		if (len > WDN_FAST_MAX)
			return 0;
		st.evs.clear();
		if (st.parser.parse_into_document(st.doc, buf, len, !padded).get(doc) ||
		    doc.get_object().get(top) ||
		    top.size() != 1 || top["Records"].get_array().get(recs))
			return 0;
		if (!walk(st, buf, len, st.parser.implementation->structural_indexes.get(),
			  st.parser.implementation->n_structural_indexes, recs))
			return 0;
		*evs = st.evs.data();
		*nev = st.evs.size();
		return 1;
	} catch (...) {
		return 0; /* out of memory: the careful path says so, or copes */
	}
}

extern "C" unsigned char *wdn_fast_buffer(int which)
{
	std::unique_ptr<unsigned char[]> &b = tls.buf[which & 1];

	if (!b)
		b.reset(new (std::nothrow) unsigned char[WDN_FAST_MAX + 1 + WDN_FAST_PADDING]);
	return b.get();
}
