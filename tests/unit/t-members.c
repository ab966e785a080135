/* The member lists beside the generators (the Athena DDL's whodunnit
 * structure, what wdn-chain and wdn-tags replace) against what the
 * generators write for an answer with every optional part set, and the
 * partition path parser against the writer. */
#include "tap.h"
#include "wdn.h"
#include "enrich.h"
#include "json.h"
#include "resolve.h"
#include "str.h"
#include "tags.h"

#include <stdlib.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

static char *sdup(const char *s)
{
	return wdn_strdup(s);
}

/* An answer in which every member a generator may leave out is there. */
static void full_answer(struct wdn_answer *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->key, "ASIAEXAMPLEEXAMPLE01", 21);
	a->found = a->complete = 1;
	a->key_type = "temporary";
	memcpy(a->account, "111122223333", 13);
	a->principal = sdup("arn:aws:iam::111122223333:role/r");
	a->session_name = sdup("s");
	a->source_identity = sdup("alice");
	a->source_identity_changed = 1;
	a->start = 1000;
	a->end = 2000;
	a->first_seen = 1100;
	a->last_seen = 1200;
	a->issued_later = WDN_TIME_NONE;
	a->chain = calloc(1, sizeof(*a->chain));
	a->chain[0] = sdup(a->principal);
	a->nchain = 1;
	a->links = calloc(1, sizeof(*a->links));
	a->links[0].is.key_id = sdup(a->key);
	a->nlinks = 1;
	wdn_tags_set(&a->tags, "team", "red");
	wdn_tags_set(&a->chain_tags, "team", "red");
	wdn_keyset_add(&a->transitive, "team");
	a->id_type = sdup("SAMLUser");
	a->id_arn = sdup("arn:aws:iam::111122223333:user/alice");
	a->id_key = sdup("AKIAEXAMPLEEXAMPLE01");
	a->id_account = sdup("111122223333");
	a->id_service = sdup("ec2.amazonaws.com");
	a->id_detail = sdup("i-0123456789abcdef0");
	a->id_provider = sdup("arn:aws:iam::111122223333:saml-provider/idp");
	a->id_subject = sdup("alice@example.com");
	a->id_audience = sdup("sts.amazonaws.com");
	a->id_user = sdup("alice");
	a->id_user_id = sdup("9067-abcd");
	a->id_store = sdup("arn:aws:identitystore::111122223333:identitystore/d-1");
	wdn_tags_set(&a->provider_tags, "dept", "ops");
	a->status = sdup("Active");
	a->history = calloc(1, sizeof(*a->history));
	a->history[0].kind = sdup("status");
	a->history[0].data = sdup("{\"status\":\"Active\"}");
	a->nhistory = 1;
	a->inferred.data = sdup("{\"event\":\"CreateStack\",\"stack\":\"s\",\"principal\":\"p\",\"key\":\"k\"}");
	a->inferred.event_id = sdup("e");
}

static int listed(const struct wdn_member *m, const char *name, const struct wdn_member **at)
{
	for (; m->name; m++)
		if (!strcmp(m->name, name)) {
			*at = m;
			return 1;
		}
	return 0;
}

/* Every member written is listed, and every listed member written; at any depth. */
static void agree(yajl_val obj, const struct wdn_member *list, const char *where)
{
	const struct wdn_member *m = NULL;
	size_t i;

	for (i = 0; i < obj->u.object.len; i++) {
		const char *k = obj->u.object.keys[i];
		yajl_val v = obj->u.object.values[i];

		if (!ok(listed(list, k, &m), "%s: member %s written is listed", where, k))
			continue;
		if (m->sub) {
			char sub[256];

			snprintf(sub, sizeof(sub), "%s.%s", where, k);
			if (ok(YAJL_IS_OBJECT(v), "%s: an object, as listed", sub))
				agree(v, m->sub, sub);
		}
	}
	for (m = list; m->name; m++) {
		int found = 0;

		for (i = 0; i < obj->u.object.len; i++)
			found |= !strcmp(obj->u.object.keys[i], m->name);
		ok(found, "%s: listed member %s is written", where, m->name);
		ok(m->sub || m->type, "%s.%s: has a type or members", where, m->name);
	}
}

static yajl_val generate(void (*gen)(yajl_gen, const struct wdn_answer *), const struct wdn_answer *a,
			 int wrap, struct wdn_buf *text)
{
	yajl_gen g = wdn_gen_into(text);
	char msg[128];

	if (wrap)
		yajl_gen_map_open(g);
	gen(g, a);
	if (wrap)
		yajl_gen_map_close(g);
	yajl_gen_free(g);
	return yajl_tree_parse(text->ptr, msg, sizeof(msg));
}

static void check(const char *name, void (*gen)(yajl_gen, const struct wdn_answer *), int wrap,
		  const struct wdn_member *list)
{
	struct wdn_answer a;
	struct wdn_buf text = WDN_BUF_INIT;
	yajl_val v;

	full_answer(&a);
	v = generate(gen, &a, wrap, &text);
	if (ok(v && YAJL_IS_OBJECT(v), "%s writes an object", name))
		agree(v, list, name);
	yajl_tree_free(v);
	wdn_buf_release(&text);
	wdn_answer_release(&a);
}

static void identity_only(yajl_gen g, const struct wdn_answer *a)
{
	wdn_answer_gen_identity(g, a);
}

static void partitions(void)
{
	static const char *const good[][3] = {
		{ "account=111122223333/region=us-east-1/day=2026-11-20/x.json.gz", "111122223333", "us-east-1" },
		{ "account=unknown/region=global/", "unknown", "global" },
		{ "account=A_b-9/region=ap-east-2/day=unknown/y", "A_b-9", "ap-east-2" },
	};
	static const char *const bad[] = {
		"account=1'2/region=us-east-1/x", "account=1/region=a,b/x", "account=/region=r/x",
		"account=1/region=r", "region=r/account=1/x", "accounts=1/region=r/x", "account=1/x/",
		"_whodunnit/done/x", "account=1/region=r\t/x", "",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct wdn_str acct, region;
		char a[80] = "", r[80] = "";

		if (!ok(!wdn_partition_parse(good[i][0], strlen(good[i][0]), &acct, &region),
			"'%s' is a partition path", good[i][0]))
			continue;
		snprintf(a, sizeof(a), "%.*s", (int)acct.len, acct.ptr);
		snprintf(r, sizeof(r), "%.*s", (int)region.len, region.ptr);
		is_str(a, good[i][1], "its account");
		is_str(r, good[i][2], "its region");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wdn_str acct, region;

		ok(wdn_partition_parse(bad[i], strlen(bad[i]), &acct, &region) == WDN_EINVAL,
		   "'%s' is not a partition path of ours", bad[i]);
	}
}

int main(void)
{
	check("whodunnit", wdn_answer_gen_whodunnit, 0, wdn_whodunnit_members);
	check("Identity", identity_only, 1, (const struct wdn_member[]){
		{ "Identity", NULL, wdn_identity_members }, { NULL, NULL, NULL } });
	check("wdn-chain", wdn_answer_gen_chain, 1, wdn_chain_members);
	check("wdn-tags", wdn_answer_gen_tags, 1, wdn_tags_members);
	partitions();
	return done_testing();
}
