/*
 * Answers as pictures and prose for people: Graphviz (the chain from root
 * to key, and the sessions the key begat) and a Markdown section for an
 * incident report (the answer in words, a table of hops, the chain as a
 * Mermaid diagram). Every string in an answer came from an event, so each
 * output's own escaping is applied to all of it: a principal named with
 * quotes, pipes, backticks, brackets, terminal or bidi controls renders as
 * text and cannot end a label, a table cell or a code block, nor reorder
 * what is shown around it.
 */
#include "wdn.h"
#include "datetime.h"
#include "resolve.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

/* ---- escaping ------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t k = p[0] < 0x80 ? 1 : p[0] >= 0xc2 && p[0] <= 0xdf ? 2 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
		 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : 0;

	return k && k <= n && wdn_utf8_valid((const char *)p, k) ? k : 0;
}

/* The code point of the valid UTF-8 sequence of k bytes at p. */
static unsigned code_point(const unsigned char *p, size_t k)
{
	static const unsigned char lead[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned c = p[0] & lead[k];
	size_t i;

	for (i = 1; i < k; i++)
		c = c << 6 | (p[i] & 0x3f);
	return c;
}

/* A C0, DEL or C1 control, or a character that reorders what a reader
 * sees (U+202E shows "gpj.exe" as "exe.jpg"), as the text output has them. */
static int is_control(const unsigned char *p, size_t k)
{
	unsigned c = code_point(p, k);

	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* Shown in place of a control or a byte that is not UTF-8: its code, as
 * text (xNN up to U+00FF, uNNNN above). */
static void add_code(struct wdn_buf *out, const unsigned char *p, size_t k, const char *backslash)
{
	unsigned c = k == 1 ? p[0] : code_point(p, k);

	wdn_buf_addf(out, c > 0xff ? "%su%04x" : "%sx%02x", backslash, c);
}

/*
 * One escaper for every output, told apart by a table: what a control or a
 * byte that is not UTF-8 is shown as (its code after a prefix), which ASCII
 * marks take a backslash, and, for an output that quotes by entities, which
 * marks besides letters and digits pass as they are (the rest as #NN;).
 */
struct escape {
	const char *code;      /* before "xNN": a control or a byte not UTF-8 */
	const char *backslash; /* ASCII written after a backslash */
	const char *bare;      /* NULL: every other character as it is; else
				* only these, letters and digits, others #NN; */
};

/* DOT, inside a double-quoted string: \ and " escaped, controls and bad
 * bytes shown as \xNN (a backslash escaped in turn). */
static const struct escape esc_dot = { "\\\\", "\"\\", NULL };
/* Markdown text in mid-line (a paragraph or a table cell): a backslash
 * before every character that can start markup, end a cell or open a code
 * span or HTML, so none of it is read as anything but text. */
static const struct escape esc_md = { "\\\\", "\\`*_[]<>|&~{}!#$", NULL };
/* Mermaid, inside a quoted node or edge label: its own entity codes
 * (#NN;) for everything but letters, digits, spaces and a few safe marks. */
static const struct escape esc_mermaid = { "#92;", "", " .,@=/-:_+" };

static int alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void escape(struct wdn_buf *out, const struct escape *e, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "-");
	size_t n = strlen((const char *)p), k;

	for (; n; p += k, n -= k) {
		k = utf8_len(p, n);
		if (!k || is_control(p, k)) {
			add_code(out, p, k ? k : 1, e->code);
			k = k ? k : 1;
		} else if (k == 1 && strchr(e->backslash, *p)) {
			wdn_buf_addc(out, '\\');
			wdn_buf_addc(out, (char)*p);
		} else if (k == 1 && e->bare && !alnum(*p) && !strchr(e->bare, *p)) {
			wdn_buf_addf(out, "#%u;", *p);
		} else {
			wdn_buf_add(out, p, k);
		}
	}
}

static void dot_str(struct wdn_buf *out, const char *s)
{
	escape(out, &esc_dot, s);
}

static void md_str(struct wdn_buf *out, const char *s)
{
	escape(out, &esc_md, s);
}

static void mermaid_str(struct wdn_buf *out, const char *s)
{
	escape(out, &esc_mermaid, s);
}

/* "arn:aws:iam::123:role/x" -> "role/x"; other names as they are. */
static const char *short_name(const char *arn)
{
	const char *p = arn;
	int colons = 0;

	if (!arn || strncmp(arn, "arn:", 4))
		return arn;
	for (; *p && colons < 5; p++)
		if (*p == ':')
			colons++;
	return colons == 5 && *p ? p : arn;
}

static const char *root_name(const struct wdn_answer *a)
{
	return a->id_service ? a->id_service : a->id_arn ? a->id_arn : a->id_provider ? a->id_provider
		: a->id_key;
}

/* The hops drawn: issuances but a long-term key's CreateAccessKey, whose
 * key the root itself stands for. */
static int drawn(const struct wdn_issuance *is)
{
	return !(is->event_name && !strcmp(is->event_name, "CreateAccessKey"));
}

void wdn_render_span(int64_t start, int64_t end, const char *arrow, char *buf, size_t size)
{
	char a[32], b[32];

	if (!size)
		return;
	buf[0] = '\0';
	if (start == WDN_TIME_NONE)
		return;
	wdn_time_format(start, a);
	if (end == WDN_TIME_NONE)
		snprintf(b, sizeof(b), "(no end)");
	else
		wdn_time_format(end, b);
	snprintf(buf, size, "%s%s%s", a, arrow, b);
}

/* ---- Graphviz -------------------------------------------------------------- */

/* A session's node label: principal, session, account, validity. */
static void dot_session(struct wdn_buf *out, const struct wdn_issuance *is)
{
	char t[WDN_SPAN_MAX];

	dot_str(out, short_name(is->principal));
	if (is->session_name) {
		wdn_buf_adds(out, "\\nsession ");
		dot_str(out, is->session_name);
	}
	if (is->account) {
		wdn_buf_adds(out, "\\naccount ");
		dot_str(out, is->account);
	}
	wdn_render_span(is->start, is->end, " to ", t, sizeof(t));
	if (t[0]) {
		wdn_buf_adds(out, "\\n");
		dot_str(out, t);
	}
	wdn_buf_adds(out, "\\nkey ");
	dot_str(out, is->key_id);
}

/* An edge drawn as its evidence stands: inferred dotted (no event logs it),
 * tampered red, unverified dashed, verified solid; integrity < 0: a
 * descendant, whose logs were not asked about. */
static void dot_edge(struct wdn_buf *out, const char *from, const char *to, const char *event,
		     int inferred, int integrity)
{
	wdn_buf_addf(out, "  %s -> %s [label=\"", from, to);
	dot_str(out, event);
	if (inferred)
		wdn_buf_adds(out, " (inferred)\", style=dotted");
	else if (integrity == WDN_INTEGRITY_TAMPERED)
		wdn_buf_adds(out, " (tampered)\", style=bold, color=red, fontcolor=red");
	else if (integrity == WDN_INTEGRITY_UNVERIFIED)
		wdn_buf_adds(out, "\", style=dashed");
	else
		wdn_buf_adds(out, "\", style=solid");
	wdn_buf_adds(out, "];\n");
}

static int dot(const struct wdn_answer *a, struct wdn_buf *out)
{
	size_t i;
	char from[32], to[32];
	int have_prev = 0;

	wdn_buf_adds(out, "digraph whodunnit {\n"
		     "  graph [rankdir=TB, fontname=\"Helvetica\", labelloc=t, label=\"");
	dot_str(out, a->key);
	wdn_buf_adds(out, a->found ? (a->complete ? "" : " (incomplete chain)") : " (not found)");
	wdn_buf_adds(out, "\"];\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
		     "  edge [fontname=\"Helvetica\", fontsize=10];\n");
	if (!a->found) {
		wdn_buf_adds(out, "  key [label=\"");
		dot_str(out, a->key);
		if (a->account[0]) {
			wdn_buf_adds(out, "\\naccount ");
			dot_str(out, a->account);
		}
		wdn_buf_adds(out, "\\nnot found\", style=dashed];\n}\n");
		return wdn_buf_failed(out);
	}
	/* the root: who or what is behind the whole chain */
	wdn_buf_adds(out, "  root [shape=ellipse, label=\"");
	dot_str(out, a->id_type ? a->id_type : "caller");
	wdn_buf_adds(out, "\\n");
	dot_str(out, short_name(root_name(a)));
	if (a->id_subject) {
		wdn_buf_adds(out, "\\nsubject ");
		dot_str(out, a->id_subject);
	}
	if (a->id_account) {
		wdn_buf_adds(out, "\\naccount ");
		dot_str(out, a->id_account);
	}
	wdn_buf_adds(out, a->complete ? "\"];\n" : "\", style=dashed];\n");
	snprintf(from, sizeof(from), "root");
	/* sessions, root-most first */
	for (i = a->nlinks; i-- > 0;) {
		const struct wdn_issuance *is = &a->links[i].is;

		if (!drawn(is))
			continue;
		snprintf(to, sizeof(to), "s%zu", i);
		wdn_buf_addf(out, "  %s [label=\"", to);
		dot_session(out, is);
		wdn_buf_adds(out, i == 0 ? "\", penwidth=2];\n" : "\"];\n");
		dot_edge(out, from, to, is->event_name, !have_prev && a->inferred.data,
			 a->links[i].integrity);
		snprintf(from, sizeof(from), "%s", to);
		have_prev = 1;
	}
	/* the blast radius: each descendant under the session that issued it */
	for (i = 0; i < a->ndesc; i++) {
		const struct wdn_issuance *is = &a->desc[i].is;
		const char *parent = from; /* the key's own node */
		char pid[32];
		size_t j;

		for (j = 0; j < i; j++)
			if (is->caller_key && a->desc[j].is.key_id && !strcmp(is->caller_key, a->desc[j].is.key_id)) {
				snprintf(pid, sizeof(pid), "d%zu", j);
				parent = pid;
			}
		wdn_buf_addf(out, "  d%zu [style=\"rounded,dashed\", label=\"", i);
		dot_session(out, is);
		wdn_buf_adds(out, "\"];\n");
		snprintf(to, sizeof(to), "d%zu", i);
		dot_edge(out, parent, to, is->event_name, 0, -1);
	}
	wdn_buf_adds(out, "}\n");
	return wdn_buf_failed(out); /* checked once: every append above is sticky */
}

/* ---- Markdown ------------------------------------------------------------ */

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct wdn_tag *const *)a)->key, (*(const struct wdn_tag *const *)b)->key);
}

static void md_tag(struct wdn_buf *out, size_t i, const struct wdn_tag *tag)
{
	if (i)
		wdn_buf_adds(out, ", ");
	md_str(out, tag->key);
	wdn_buf_adds(out, " = ");
	md_str(out, tag->value);
}

/* "k = v, ..." sorted by key, as the JSON answer has them */
static void md_tags(struct wdn_buf *out, const struct wdn_tags *t)
{
	const struct wdn_tag **v = t->n ? malloc(t->n * sizeof(*v)) : NULL;
	const struct wdn_tag *prev = NULL, *next;
	size_t i, k;

	if (!t->n) {
		wdn_buf_adds(out, "none");
		return;
	}
	if (!v) { /* no memory to sort in: the next key after the last, each time */
		for (k = 0; k < t->n; k++) {
			next = NULL;
			for (i = 0; i < t->n; i++)
				if ((!prev || strcmp(t->v[i].key, prev->key) > 0) &&
				    (!next || strcmp(t->v[i].key, next->key) < 0))
					next = &t->v[i];
			md_tag(out, k, next);
			prev = next;
		}
		return;
	}
	for (i = 0; i < t->n; i++)
		v[i] = &t->v[i];
	qsort(v, t->n, sizeof(*v), by_key);
	for (i = 0; i < t->n; i++)
		md_tag(out, i, v[i]);
	free(v);
}

static void md_words(struct wdn_buf *out, const struct wdn_answer *a)
{
	size_t i, sessions = 0;
	char t[WDN_SPAN_MAX];

	for (i = 0; i < a->nlinks; i++)
		sessions += drawn(&a->links[i].is);
	wdn_buf_adds(out, "**Answer.** ");
	if (!a->found) {
		wdn_buf_adds(out, "No issuance or use of this key is recorded");
		if (a->at != WDN_TIME_MAX) {
			char at[32];

			wdn_time_format(a->at, at);
			wdn_buf_addf(out, " as of %s", at);
		}
		wdn_buf_addf(out, ". The key is %s", a->key_type ? a->key_type : "of an unknown type");
		if (a->account[0]) {
			wdn_buf_adds(out, " and belongs to account ");
			md_str(out, a->account);
		}
		wdn_buf_adds(out, ". Not found is not proof that it was never used: check the coverage of "
			     "the trails recorded.\n\n");
		return;
	}
	wdn_buf_adds(out, "The key acts as ");
	md_str(out, short_name(a->principal));
	if (a->session_name) {
		wdn_buf_adds(out, " (session ");
		md_str(out, a->session_name);
		wdn_buf_adds(out, ")");
	}
	wdn_render_span(a->start, a->end, " to ", t, sizeof(t));
	if (t[0]) {
		wdn_buf_adds(out, ", valid ");
		md_str(out, t);
	}
	wdn_buf_addf(out, ". Behind it: %s ", a->id_type ? a->id_type : "a caller");
	md_str(out, root_name(a));
	if (a->id_subject) {
		wdn_buf_adds(out, " (subject ");
		md_str(out, a->id_subject);
		wdn_buf_adds(out, ")");
	}
	if (a->id_account) {
		wdn_buf_adds(out, " in account ");
		md_str(out, a->id_account);
	}
	wdn_buf_addf(out, ", through %zu session%s. ", sessions, sessions == 1 ? "" : "s");
	wdn_buf_adds(out, a->complete ? "The chain is complete"
				      : "The chain is **incomplete**: a parent issuance was not recorded");
	if (a->inferred.data)
		wdn_buf_adds(out, "; one link is **inferred**, not logged");
	wdn_buf_adds(out, a->integrity == WDN_INTEGRITY_TAMPERED ?
		     ". **A log file behind it was tampered with** (see Integrity below)" :
		     a->integrity == WDN_INTEGRITY_VERIFIED ?
		     ". Every log file behind it was verified against CloudTrail's digests" :
		     ". Not every log file behind it was verified against CloudTrail's digests");
	wdn_buf_adds(out, ".\n\nTags IAM evaluated for the session: ");
	md_tags(out, &a->tags);
	if (a->source_identity) {
		wdn_buf_adds(out, ". Source identity: ");
		md_str(out, a->source_identity);
		if (a->source_identity_changed)
			wdn_buf_adds(out, " (**changed along the chain**)");
	}
	wdn_buf_adds(out, ".\n\n");
}

/* A hop: with its source and integrity when integrity >= 0 (the chain's
 * table), without (the descendants'). */
static void md_row(struct wdn_buf *out, size_t n, const struct wdn_issuance *is, int integrity)
{
	char t[WDN_SPAN_MAX];

	wdn_buf_addf(out, "| %zu | ", n);
	md_str(out, is->key_id);
	wdn_buf_adds(out, " | ");
	md_str(out, short_name(is->principal));
	wdn_buf_adds(out, " | ");
	md_str(out, is->session_name);
	wdn_buf_adds(out, " | ");
	md_str(out, is->event_name);
	wdn_buf_adds(out, " | ");
	md_str(out, is->event_id);
	wdn_buf_adds(out, " | ");
	wdn_render_span(is->start, is->end, " to ", t, sizeof(t));
	md_str(out, t[0] ? t : NULL);
	if (integrity >= 0) {
		wdn_buf_adds(out, " | ");
		md_str(out, is->source);
		wdn_buf_adds(out, integrity == WDN_INTEGRITY_TAMPERED ? " | **tampered**" : " | ");
		if (integrity != WDN_INTEGRITY_TAMPERED)
			wdn_buf_adds(out, wdn_integrity_name(integrity));
	}
	wdn_buf_adds(out, " |\n");
}

/* A Mermaid edge styled as dot_edge styles it, so the picture tells the
 * same: inferred dotted, tampered thick and red, unverified dashed,
 * verified solid. Mermaid styles an edge by its number (from 0, in the
 * order written), so the styles follow the edges in styles. */
static void mermaid_edge(struct wdn_buf *out, struct wdn_buf *styles, size_t n, const char *from,
			 size_t to, const char *event, int inferred, int integrity)
{
	int tampered = !inferred && integrity == WDN_INTEGRITY_TAMPERED;

	wdn_buf_addf(out, "  %s %s|\"", from, inferred ? "-.->" : tampered ? "==>" : "-->");
	mermaid_str(out, event);
	wdn_buf_adds(out, inferred ? " (inferred)" : tampered ? " (tampered)" : "");
	wdn_buf_addf(out, "\"| s%zu\n", to);
	if (inferred)
		wdn_buf_addf(styles, "  linkStyle %zu stroke-dasharray:2 4\n", n);
	else if (tampered)
		wdn_buf_addf(styles, "  linkStyle %zu stroke:red,stroke-width:3px,color:red\n", n);
	else if (integrity == WDN_INTEGRITY_UNVERIFIED)
		wdn_buf_addf(styles, "  linkStyle %zu stroke-dasharray:8 4\n", n);
}

static void md_mermaid(struct wdn_buf *out, const struct wdn_answer *a)
{
	struct wdn_buf styles = WDN_BUF_INIT;
	size_t i, n = 0;
	char from[32] = "root";

	wdn_buf_adds(out, "```mermaid\nflowchart TD\n  root([\"");
	mermaid_str(out, a->id_type ? a->id_type : "caller");
	wdn_buf_adds(out, ": ");
	mermaid_str(out, short_name(root_name(a)));
	wdn_buf_adds(out, "\"])\n");
	for (i = a->nlinks; i-- > 0;) {
		const struct wdn_issuance *is = &a->links[i].is;

		if (!drawn(is))
			continue;
		wdn_buf_addf(out, "  s%zu[\"", i);
		mermaid_str(out, short_name(is->principal));
		if (is->session_name) {
			wdn_buf_adds(out, "<br/>session ");
			mermaid_str(out, is->session_name);
		}
		wdn_buf_adds(out, "<br/>");
		mermaid_str(out, is->key_id);
		wdn_buf_adds(out, "\"]\n");
		mermaid_edge(out, &styles, n, from, i, is->event_name, !n && a->inferred.data,
			     a->links[i].integrity);
		snprintf(from, sizeof(from), "s%zu", i);
		n++;
	}
	if (styles.len)
		wdn_buf_add(out, styles.ptr, styles.len);
	wdn_buf_adds(out, "```\n");
	wdn_buf_release(&styles);
}

/* What the digests say of the answer's hours: nothing known, complete, or
 * each gap. */
static void md_coverage(struct wdn_buf *out, const struct wdn_answer *a)
{
	size_t i, j;
	char t0[32], t1[32];

	wdn_buf_adds(out, "**Coverage.** ");
	if (!a->coverage.known) {
		wdn_buf_adds(out, "No digest files were recorded for the accounts this answer touches: "
			     "whether log files are missing cannot be told.\n\n");
		return;
	}
	if (!a->coverage.n) {
		wdn_buf_adds(out, "Complete: the digests show every log file of the hops' hours "
			     "delivered and read.\n\n");
		return;
	}
	wdn_buf_addf(out, "%zu gap%s in what the digests show delivered:\n\n", a->coverage.n,
		     a->coverage.n == 1 ? "" : "s");
	for (i = 0; i < a->coverage.n; i++) {
		const struct wdn_gap *g = &a->coverage.v[i];

		wdn_time_format(g->from, t0);
		wdn_time_format(g->to, t1);
		wdn_buf_adds(out, "- ");
		md_str(out, g->account);
		wdn_buf_adds(out, " ");
		md_str(out, g->region);
		wdn_buf_addf(out, ", %s to %s: ", t0, t1);
		if (!g->nmissing)
			wdn_buf_adds(out, "no digest");
		else
			wdn_buf_addf(out, "%zu log file%s never read:", g->nmissing, g->nmissing == 1 ? "" : "s");
		for (j = 0; j < g->nmissing; j++) {
			wdn_buf_adds(out, j ? ", " : " ");
			md_str(out, g->missing[j]);
		}
		wdn_buf_adds(out, "\n");
	}
	wdn_buf_adds(out, "\n");
}

static int markdown(const struct wdn_answer *a, struct wdn_buf *out)
{
	size_t i, n = 0;

	wdn_buf_adds(out, "## Access key ");
	md_str(out, a->key);
	wdn_buf_adds(out, "\n\n");
	md_words(out, a);
	md_coverage(out, a);
	if (!a->found)
		return wdn_buf_failed(out);
	wdn_buf_adds(out, "| # | Key | Principal | Session | Event | Event ID | Valid | Source | Integrity |\n"
		     "|---|-----|-----------|---------|-------|----------|-------|--------|-----------|\n");
	for (i = a->nlinks; i-- > 0;)
		md_row(out, ++n, &a->links[i].is, a->links[i].integrity);
	wdn_buf_adds(out, "\nHops are listed from the root-most session to the key itself.\n\n");
	md_mermaid(out, a);
	if (a->ndesc) {
		wdn_buf_addf(out, "\n%zu session%s issued from this key (its blast radius):\n\n", a->ndesc,
			     a->ndesc == 1 ? " was" : "s were");
		wdn_buf_adds(out, "| # | Key | Principal | Session | Event | Event ID | Valid |\n"
			     "|---|-----|-----------|---------|-------|----------|-------|\n");
		for (i = 0; i < a->ndesc; i++)
			md_row(out, i + 1, &a->desc[i].is, -1);
	}
	return wdn_buf_failed(out); /* checked once: every append above is sticky */
}

/* The scratch buffers above fail as the output does: either is no answer. */
static int render(int (*fn)(const struct wdn_answer *, struct wdn_buf *), const struct wdn_answer *a,
		  struct wdn_buf *out)
{
	unsigned long nomem = wdn_nomem_count();
	int rc = fn(a, out);

	return rc ? rc : wdn_nomem_count() != nomem ? WDN_ENOMEM : 0;
}

int wdn_answer_dot(const struct wdn_answer *a, struct wdn_buf *out)
{
	return render(dot, a, out);
}

int wdn_answer_markdown(const struct wdn_answer *a, struct wdn_buf *out)
{
	return render(markdown, a, out);
}
