/*
 * Answers (resolve.c) over a temporary SQLite store, filled by recording
 * JSON events (reader + recorder + event model) or by putting issuances
 * directly: the seed example's chain and tags, incomplete chains, AWS service
 * roots, cycles and the depth cap, transitive tags over two hops,
 * SourceIdentity, recycled keys, sightings, unknown keys, and answers as of
 * a time, enriched in any order.
 */
#include "tap.h"
#include "wdn.h"
#include "arn.h"
#include "datetime.h"
#include "event.h"
#include "json.h"
#include "resolve.h"
#include "store.h"
#include "str.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define SEED_LEAF "ASIATJVZAAAARRT5X7PR"
#define SEED_MID "ASIAY24FZZZZIJJL6PUI"
#define SEED_FIRST "ASIAY24FZZZZJJS7IPOU"
#define ROLE_EVERYWHERE "arn:aws:iam::226947510000:role/whodunnit-e2e-RoleEverywhere"
#define ROLE_SECONDARY "arn:aws:iam::607481580000:role/whodunnit-e2e-Secondary"
#define ROLE_INITIAL "arn:aws:iam::607481580000:role/whodunnit-e2e-Initial"
#define USER_ASTEELE "arn:aws:iam::607481580000:user/asteele"

static char tmpdir[] = "/tmp/t-resolve.XXXXXX";
static int nstores;

/* ---- helpers --------------------------------------------------------------- */

static struct wdn_store *new_store(void)
{
	char path[512];
	struct wdn_store *s = NULL;
	struct wdn_err err;

	snprintf(path, sizeof(path), "%s/s%d.db", tmpdir, ++nstores);
	memset(&err, 0, sizeof(err));
	if (wdn_store_open(path, WDN_STORE_CREATE, NULL, &s, &err))
		printf("# cannot open %s: %s\n", path, err.msg);
	return s;
}

struct rec {
	struct wdn_recorder *r;
	int bad;
};

static int rec_event(void *ctx, const struct wdn_event *ev)
{
	struct rec *rc = ctx;
	struct wdn_err err;
	int code;

	memset(&err, 0, sizeof(err));
	if ((code = wdn_recorder_event(rc->r, ev, NULL, &err))) {
		printf("# recording record %llu: %s\n", (unsigned long long)ev->record, err.msg);
		rc->bad++;
		return code == WDN_EINVAL ? 0 : code;
	}
	return 0;
}

static void rec_reject(void *ctx, const struct wdn_reject *rej)
{
	struct rec *rc = ctx;

	printf("# reject record %llu: %s\n", (unsigned long long)rej->record, rej->msg);
	rc->bad++;
}

/* Record JSON text through the reader and the recorder; 0 when all went well. */
static int record(struct wdn_store *s, const char *text, size_t len)
{
	struct rec rc = { wdn_recorder_new(s), 0 };
	struct wdn_reader *r = wdn_reader_new("test", rec_event, rec_reject, &rc);
	struct wdn_err err;
	int code;

	memset(&err, 0, sizeof(err));
	if ((code = wdn_reader_feed(r, text, len)) || (code = wdn_reader_finish(r, NULL)) ||
	    (code = wdn_recorder_flush(rc.r, &err)))
		rc.bad++;
	wdn_reader_free(r);
	wdn_recorder_free(rc.r);
	return rc.bad;
}

static char *seed_text(size_t *len)
{
	const char *top = getenv("WDN_TOP");
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/fixtures/seed-example.json", top ? top : ".");
	return slurp(path, len);
}

/* Record i of the seed log file, compact, with edits: NULL on failure. */
static char *seed_record(const char *seed, int i)
{
	yajl_val v = yajl_tree_parse(seed, NULL, 0);
	const char *p[] = { "Records", NULL };
	yajl_val recs = v ? yajl_tree_get(v, p, yajl_t_array) : NULL;
	struct wdn_buf b = WDN_BUF_INIT;
	char *r = NULL;

	if (recs && (size_t)i < recs->u.array.len && !wdn_json_serialize(recs->u.array.values[i], &b))
		r = wdn_buf_detach(&b, NULL);
	wdn_buf_release(&b);
	yajl_tree_free(v);
	return r;
}

static void append(void *ctx, const char *s, size_t n)
{
	wdn_buf_add(ctx, s, n);
}

static void is_tags(const struct wdn_tags *t, const char *want, const char *what)
{
	char *s = tags_sorted(t);

	is_str(s, want, "%s", what);
	free(s);
}

static void is_keys(const struct wdn_keyset *k, const char *want, const char *what)
{
	char *s = keys_json(k);

	is_str(s, want, "%s", what);
	free(s);
}

/* "a|b|c": the principal chain, leaf first */
static char *chain_str(const struct wdn_answer *a)
{
	struct wdn_buf b = WDN_BUF_INIT;
	size_t i;

	for (i = 0; i < a->nchain; i++)
		wdn_buf_addf(&b, "%s%s", i ? "|" : "", a->chain[i]);
	return wdn_buf_detach(&b, NULL);
}

static void is_chain(const struct wdn_answer *a, const char *want, const char *what)
{
	char *s = chain_str(a);

	is_str(s, want, "%s", what);
	free(s);
}

static char *lookup_json(const struct wdn_answer *a, int flags)
{
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_gen g = yajl_gen_alloc(NULL);

	yajl_gen_config(g, yajl_gen_print_callback, append, &b);
	yajl_gen_map_open(g);
	wdn_answer_gen_lookup(g, a, flags);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return wdn_buf_detach(&b, NULL);
}

static int resolve(struct wdn_store *s, const char *key, int64_t at, struct wdn_answer *a)
{
	struct wdn_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	if ((rc = wdn_resolve(s, key, at, a, &err)))
		printf("# resolve %s: %d %s\n", key, rc, err.msg);
	return rc;
}

/* A direct issuance: strings borrowed. */
static struct wdn_issuance iss(const char *key, int64_t start, const char *principal, const char *caller_key,
			       const char *caller_type, const char *caller_principal)
{
	struct wdn_issuance is;

	memset(&is, 0, sizeof(is));
	is.key_id = (char *)key;
	is.start = start;
	is.end = start + 3600;
	is.event_id = (char *)key; /* unique enough */
	is.event_name = "AssumeRole";
	is.principal = (char *)principal;
	is.account = "111122223333";
	is.session_name = "s";
	is.caller_key = (char *)caller_key;
	is.caller_type = (char *)caller_type;
	is.caller_principal = (char *)caller_principal;
	is.caller_arn = (char *)caller_principal;
	is.caller_account = "111122223333";
	is.event = "{}";
	return is;
}

static void put(struct wdn_store *s, const struct wdn_issuance *is)
{
	struct wdn_err err;

	memset(&err, 0, sizeof(err));
	if (s->ops->begin(s, &err) || s->ops->put_issuance(s, is, &err) || s->ops->commit(s, &err))
		printf("# put %s: %s\n", is->key_id, err.msg);
}

/* ---- the seed example ------------------------------------------------------ */

static void check_seed_answer(struct wdn_store *s, const char *how)
{
	struct wdn_answer a;

	if (resolve(s, SEED_LEAF, WDN_TIME_MAX, &a)) {
		ok(0, "%s: resolve", how);
		return;
	}
	ok(a.found && a.complete, "%s: found, complete", how);
	is_int(a.nchain, 4, "%s: a chain of 4", how);
	is_chain(&a, ROLE_EVERYWHERE "|" ROLE_SECONDARY "|" ROLE_INITIAL "|" USER_ASTEELE, "seed: PrincipalChain, leaf first");
	is_str(a.principal, ROLE_EVERYWHERE, "%s: Principal", how);
	is_tags(&a.tags, "{\"b\":\"c\",\"c\":\"c\"}", "seed: Tags");
	is_tags(&a.chain_tags, "{\"a\":\"a\",\"b\":\"c\",\"c\":\"c\",\"d\":\"b\"}", "seed: ChainTags");
	is_keys(&a.transitive, "[]", "seed: TransitiveTags");
	is_int(a.start, 1625353929, "%s: Start 2021-07-03T23:12:09Z", how);
	is_int(a.end, 1625354829, "%s: End 2021-07-03T23:27:09Z", how);
	wdn_answer_release(&a);
}

static void test_seed(void)
{
	size_t len;
	char *seed = seed_text(&len), *j;
	struct wdn_store *s;
	struct wdn_answer a;

	if (!seed) {
		ok(0, "tests/fixtures/seed-example.json readable (run from the top, or set WDN_TOP)");
		return;
	}
	if (!(s = new_store())) {
		ok(0, "a store");
		free(seed);
		return;
	}
	is_int(record(s, seed, len), 0, "the seed log file records cleanly");
	check_seed_answer(s, "seed");
	if (!resolve(s, SEED_LEAF, WDN_TIME_MAX, &a)) {
		is_int(a.nlinks, 3, "seed: three issuing events");
		ok(a.nlinks == 3 && !strcmp(a.links[0].is.key_id, SEED_LEAF) &&
		   !strcmp(a.links[1].is.key_id, SEED_MID) && !strcmp(a.links[2].is.key_id, SEED_FIRST),
		   "seed: links leaf first");
		is_str(a.session_name, "1625353927984487000", "seed: SessionName");
		is_str(a.account, "226947510000", "seed: AccountId is the role's account");
		is_str(a.key_type, "temporary", "seed: KeyType");
		is_str(a.id_type, "IAMUser", "seed: Identity.Type");
		is_str(a.id_arn, USER_ASTEELE, "seed: Identity.Arn");
		is_str(a.id_key, "AKIAJWMRCSBBKQO4HQCQ", "seed: Identity.AccessKeyId");
		is_str(a.id_account, "607481580000", "seed: Identity.AccountId");
		ok(a.source_identity == NULL && !a.source_identity_changed, "seed: no SourceIdentity");
		j = lookup_json(&a, WDN_ANS_TRAILS);
		{
			yajl_val v = yajl_tree_parse(j, NULL, 0);
			const char *trails[] = { "Trails", NULL }, *chain[] = { "PrincipalChain", NULL };
			const char *complete[] = { "Complete", NULL };
			yajl_val t = v ? yajl_tree_get(v, trails, yajl_t_array) : NULL;
			yajl_val c = v ? yajl_tree_get(v, chain, yajl_t_array) : NULL;

			ok(v != NULL, "seed: the lookup object is valid JSON");
			ok(t && t->u.array.len == 3, "seed: Trails holds the 3 issuing events");
			ok(c && c->u.array.len == 4, "seed: PrincipalChain in the lookup object");
			ok(v && YAJL_IS_TRUE(yajl_tree_get(v, complete, yajl_t_any)), "seed: Complete true");
			yajl_tree_free(v);
		}
		ok(!strstr(j, "FwoGZXIv"), "seed: no session token in the output");
		free(j);
		wdn_answer_release(&a);
	}

	/* the middle of the chain */
	if (!resolve(s, SEED_MID, WDN_TIME_MAX, &a)) {
		is_chain(&a, ROLE_SECONDARY "|" ROLE_INITIAL "|" USER_ASTEELE, "seed middle key: chain of 3");
		is_tags(&a.tags, "{\"b\":\"b\",\"c\":\"b\",\"d\":\"b\"}", "seed middle key: Tags");
		is_tags(&a.chain_tags, "{\"a\":\"a\",\"b\":\"b\",\"c\":\"b\",\"d\":\"b\"}", "seed middle key: ChainTags");
		ok(a.found && a.complete, "seed middle key: complete");
		wdn_answer_release(&a);
	}

	/* inside the window, and before the key existed */
	if (!resolve(s, SEED_LEAF, 1625353929 + 60, &a)) {
		ok(a.found && a.nchain == 4, "seed at a time inside the window: the same chain");
		wdn_answer_release(&a);
	}

	/* recording again changes nothing */
	is_int(record(s, seed, len), 0, "the seed recorded a second time");
	check_seed_answer(s, "seed recorded twice");
	wdn_store_close(s);

	/* events in reverse order (late delivery) */
	if ((s = new_store())) {
		char *r0 = seed_record(seed, 0), *r1 = seed_record(seed, 1), *r2 = seed_record(seed, 2);
		struct wdn_buf b = WDN_BUF_INIT;

		wdn_buf_addf(&b, "%s\n%s\n%s\n", r2, r1, r0);
		is_int(record(s, b.ptr, b.len), 0, "the seed's events in reverse order as JSON lines");
		check_seed_answer(s, "seed reversed");
		wdn_buf_release(&b);
		free(r0);
		free(r1);
		free(r2);
		wdn_store_close(s);
	}
	free(seed);
}

/* the role owner's copy of the cross-account AssumeRole: no caller key */
static char *owner_copy(const char *leaf_event)
{
	struct wdn_buf b = WDN_BUF_INIT, out = WDN_BUF_INIT;
	const char *p;

	/* the same event as the owner's account logs it: the caller is an account */
	p = strstr(leaf_event, "\"userIdentity\":");
	if (!p)
		return NULL;
	wdn_buf_add(&b, leaf_event, (size_t)(p - leaf_event));
	wdn_buf_adds(&b, "\"userIdentity\":{\"type\":\"AWSAccount\",\"principalId\":\"AROAY24FZZZZDAZYLZ5XI:1625353927984705000\","
		     "\"accountId\":\"607481580000\"},");
	p = strstr(p, "\"eventTime\":");
	wdn_buf_adds(&b, p);
	/* its own eventID and recipient */
	{
		char *id = strstr(b.ptr, "b4066adf-d9af-4ad7-ae62-eaaac953e304");
		char *rc = strstr(b.ptr, "\"recipientAccountId\":\"607481580000\"");

		if (id)
			memcpy(id, "00000000", 8);
		if (rc)
			memcpy(rc + 22, "226947510000", 12);
	}
	wdn_buf_adds(&out, b.ptr);
	wdn_buf_release(&b);
	return wdn_buf_detach(&out, NULL);
}

static void test_cross_account(void)
{
	size_t len;
	char *seed = seed_text(&len), *leaf, *owner;
	struct wdn_store *s;
	int order;

	if (!seed)
		return;
	leaf = seed_record(seed, 2);
	owner = leaf ? owner_copy(leaf) : NULL;
	ok(owner && strstr(owner, "AWSAccount") && !strstr(owner, SEED_MID "\",\"sessionContext"),
	   "built the role owner's copy of the cross-account AssumeRole");
	for (order = 0; owner && order < 2; order++) {
		if (!(s = new_store()))
			break;
		if (order) {
			record(s, owner, strlen(owner));
			record(s, seed, len);
		} else {
			record(s, seed, len);
			record(s, owner, strlen(owner));
		}
		check_seed_answer(s, order ? "owner's copy first" : "owner's copy last");
		wdn_store_close(s);
	}
	free(leaf);
	free(owner);
	free(seed);
}

static void test_missing_parent(void)
{
	size_t len;
	char *seed = seed_text(&len), *leaf;
	struct wdn_store *s;
	struct wdn_answer a;

	if (!seed || !(s = new_store())) {
		free(seed);
		return;
	}
	leaf = seed_record(seed, 2);
	is_int(record(s, leaf, strlen(leaf)), 0, "only the seed's last event recorded");
	if (!resolve(s, SEED_LEAF, WDN_TIME_MAX, &a)) {
		ok(a.found, "missing parent: found");
		ok(!a.complete, "missing parent: Complete false");
		is_chain(&a, ROLE_EVERYWHERE "|" ROLE_SECONDARY, "missing parent: the chain ends at the caller's role");
		is_str(a.id_type, "AssumedRole", "missing parent: Identity.Type is what the event says of its caller");
		is_str(a.id_key, SEED_MID, "missing parent: Identity.AccessKeyId is the caller's key");
		is_tags(&a.tags, "{\"b\":\"c\",\"c\":\"c\"}", "missing parent: Tags are the session's");
		is_int(a.start, 1625353929, "missing parent: Start still known");
		wdn_answer_release(&a);
	}
	/* the caller key itself was seen (userIdentity of that event) but never issued here */
	if (!resolve(s, SEED_MID, WDN_TIME_MAX, &a)) {
		ok(a.found && a.nlinks == 0, "the caller key: known from its sighting only");
		is_str(a.principal, ROLE_SECONDARY, "the caller key: the principal seen using it");
		is_str(a.session_name, "1625353927984705000", "the caller key: the session name from the ARN");
		ok(!a.complete, "the caller key: an assumed role is no root");
		ok(a.first_seen == 1625353929 && a.last_seen == 1625353929, "the caller key: FirstSeen/LastSeen");
		wdn_answer_release(&a);
	}
	free(leaf);
	free(seed);
	wdn_store_close(s);
}

/* ---- synthetic chains ------------------------------------------------------ */

static const char ec2_event[] =
	"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"ec2.amazonaws.com\"},"
	"\"eventTime\":\"2023-07-10T12:00:00Z\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":\"AssumeRole\","
	"\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"ec2.amazonaws.com\",\"userAgent\":\"ec2.amazonaws.com\","
	"\"requestParameters\":{\"roleArn\":\"arn:aws:iam::111122223333:role/WebServer\",\"roleSessionName\":\"i-0123456789abcdef0\"},"
	"\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIARQQQQQQQQQQQQQQ1\",\"sessionToken\":\"secret-token\","
	"\"expiration\":\"Jul 10, 2023, 6:00:00 PM\"}},\"requestID\":\"r\",\"eventID\":\"ec2-1\",\"readOnly\":true,"
	"\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"111122223333\"}\n";

static void test_service_root(void)
{
	struct wdn_store *s = new_store();
	struct wdn_answer a;
	char *j;

	if (!s)
		return;
	is_int(record(s, ec2_event, sizeof(ec2_event) - 1), 0, "an EC2 instance-role AssumeRole recorded");
	if (!resolve(s, "ASIARQQQQQQQQQQQQQQ1", WDN_TIME_MAX, &a)) {
		ok(a.found && a.complete, "AWS service root: found, complete");
		is_chain(&a, "arn:aws:iam::111122223333:role/WebServer|ec2.amazonaws.com", "AWS service root: role, then the service");
		is_str(a.id_service, "ec2.amazonaws.com", "AWS service root: Identity.Service");
		is_str(a.id_type, "AWSService", "AWS service root: Identity.Type");
		is_str(a.session_name, "i-0123456789abcdef0", "AWS service root: the instance ID as session name");
		is_int(a.end, 1689012000, "AWS service root: End from the newer expiration form");
		j = lookup_json(&a, WDN_ANS_TRAILS);
		ok(!strstr(j, "secret-token") && strstr(j, "REDACTED"), "the session token is redacted in Trails");
		free(j);
		wdn_answer_release(&a);
	}
	wdn_store_close(s);
}

static void test_cycle_and_cap(void)
{
	struct wdn_store *s = new_store();
	struct wdn_answer a;
	struct wdn_issuance x, y, z;
	char keys[80][21];
	int i;

	if (!s)
		return;
	/* two issuances whose caller keys point at each other */
	x = iss("ASIACYCLEX0000000001", 1000, "arn:aws:iam::111122223333:role/X", "ASIACYCLEY0000000001", "AssumedRole",
		"arn:aws:iam::111122223333:role/Y");
	y = iss("ASIACYCLEY0000000001", 1000, "arn:aws:iam::111122223333:role/Y", "ASIACYCLEX0000000001", "AssumedRole",
		"arn:aws:iam::111122223333:role/X");
	put(s, &x);
	put(s, &y);
	is_int(resolve(s, "ASIACYCLEX0000000001", WDN_TIME_MAX, &a), 0, "a cycle: resolve returns");
	ok(a.nlinks == 2, "a cycle: each issuance once (%zu links)", a.nlinks);
	ok(!a.complete, "a cycle: incomplete");
	ok(a.found, "a cycle: still found");
	is_str(a.principal, "arn:aws:iam::111122223333:role/X", "a cycle: Principal still reported");
	is_int(a.start, 1000, "a cycle: Start still reported");
	wdn_answer_release(&a);

	/* a key whose caller is itself */
	z = iss("ASIASELF000000000001", 1000, "arn:aws:iam::111122223333:role/Self", "ASIASELF000000000001", "AssumedRole",
		"arn:aws:iam::111122223333:role/Self");
	put(s, &z);
	is_int(resolve(s, "ASIASELF000000000001", WDN_TIME_MAX, &a), 0, "a self-cycle: resolve returns");
	ok(a.nlinks == 1 && !a.complete && a.found, "a self-cycle: one link, incomplete, found");
	wdn_answer_release(&a);

	/* a chain deeper than WDN_MAX_CHAIN */
	for (i = 0; i < 80; i++)
		snprintf(keys[i], sizeof(keys[i]), "ASIADEEP%012d", i);
	for (i = 0; i < 80; i++) {
		struct wdn_issuance d = iss(keys[i], 1000 + 80 - i, "arn:aws:iam::111122223333:role/D",
					    i < 79 ? keys[i + 1] : "AKIAROOTUSER00000001", i < 79 ? "AssumedRole" : "IAMUser",
					    i < 79 ? "arn:aws:iam::111122223333:role/D" : "arn:aws:iam::111122223333:user/root-user");

		put(s, &d);
	}
	is_int(resolve(s, keys[0], WDN_TIME_MAX, &a), 0, "a chain of 80: resolve returns");
	is_int(a.nlinks, WDN_MAX_CHAIN, "a chain of 80: cut at WDN_MAX_CHAIN links");
	ok(!a.complete, "a chain of 80: marked incomplete");
	ok(a.found && a.principal && a.start == 1080, "a chain of 80: the leaf is still reported (found, Principal, Start)");
	wdn_answer_release(&a);
	is_int(resolve(s, keys[20], WDN_TIME_MAX, &a), 0, "a chain of 60 (from the middle)");
	ok(a.nlinks == 60 && a.complete && a.found, "a chain of 60: whole and complete");
	is_str(a.id_arn, "arn:aws:iam::111122223333:user/root-user", "a chain of 60: the root user");
	wdn_answer_release(&a);
	wdn_store_close(s);
}

static void test_transitive(void)
{
	struct wdn_store *s = new_store();
	struct wdn_answer a;
	struct wdn_issuance i1, i2, i3, i4, i5;

	if (!s)
		return;
	i1 = iss("ASIAHOP1000000000001", 1000, "arn:aws:iam::111122223333:role/R1", "AKIAUSERU00000000001", "IAMUser",
		 "arn:aws:iam::111122223333:user/u");
	i1.session_tags = "{\"Project\":\"p1\",\"Team\":\"t1\"}";
	i1.transitive_keys = "[\"Project\"]";
	i1.source_identity = "alice";
	i2 = iss("ASIAHOP2000000000001", 1100, "arn:aws:iam::111122223333:role/R2", "ASIAHOP1000000000001", "AssumedRole",
		 "arn:aws:iam::111122223333:role/R1");
	i2.session_tags = "{\"Env\":\"e2\"}";
	i2.transitive_keys = "[\"Env\"]";
	i3 = iss("ASIAHOP3000000000001", 1200, "arn:aws:iam::111122223333:role/R3", "ASIAHOP2000000000001", "AssumedRole",
		 "arn:aws:iam::111122223333:role/R2");
	i3.session_tags = "{\"Project\":\"override\",\"Color\":\"blue\"}";
	i4 = iss("ASIAHOP4000000000001", 1300, "arn:aws:iam::111122223333:role/R4", "ASIAHOP3000000000001", "AssumedRole",
		 "arn:aws:iam::111122223333:role/R3");
	i4.source_identity = "mallory";
	i5 = iss("ASIAORPHAN0000000001", 1000, "arn:aws:iam::111122223333:role/R5", "ASIANOTINSTORE000001", "AssumedRole",
		 "arn:aws:iam::111122223333:role/Elsewhere");
	i5.session_tags = "{\"x\":\"1\"}";
	i5.incoming_tags = "{\"Dept\":\"d\"}";
	put(s, &i3); /* any order */
	put(s, &i1);
	put(s, &i4);
	put(s, &i2);
	put(s, &i5);

	if (!resolve(s, "ASIAHOP1000000000001", WDN_TIME_MAX, &a)) {
		is_tags(&a.tags, "{\"Project\":\"p1\",\"Team\":\"t1\"}", "hop 1: Tags are the session tags");
		is_keys(&a.transitive, "[\"Project\"]", "hop 1: TransitiveTags");
		is_str(a.source_identity, "alice", "hop 1: SourceIdentity");
		ok(a.complete && a.nchain == 2, "hop 1: role then user, complete");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIAHOP2000000000001", WDN_TIME_MAX, &a)) {
		is_tags(&a.tags, "{\"Env\":\"e2\",\"Project\":\"p1\"}", "hop 2: Tags: own and inherited, not the non-transitive Team");
		is_keys(&a.transitive, "[\"Env\",\"Project\"]", "hop 2: TransitiveTags");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIAHOP3000000000001", WDN_TIME_MAX, &a)) {
		is_keys(&a.transitive, "[\"Env\",\"Project\"]", "two hops down: TransitiveTags, sorted");
		is_tags(&a.tags, "{\"Color\":\"blue\",\"Env\":\"e2\",\"Project\":\"p1\"}",
			"two hops down: inherited values override session tags of the same key");
		is_tags(&a.chain_tags, "{\"Color\":\"blue\",\"Env\":\"e2\",\"Project\":\"override\",\"Team\":\"t1\"}",
			"two hops down: ChainTags, root to leaf, later wins");
		is_str(a.source_identity, "alice", "two hops down: SourceIdentity carried down");
		ok(!a.source_identity_changed, "two hops down: no SourceIdentity change");
		is_chain(&a, "arn:aws:iam::111122223333:role/R3|arn:aws:iam::111122223333:role/R2|"
			 "arn:aws:iam::111122223333:role/R1|arn:aws:iam::111122223333:user/u", "two hops down: the chain");
		ok(a.complete, "two hops down: complete at the IAM user");
		is_str(a.id_key, "AKIAUSERU00000000001", "two hops down: the user's key as Identity.AccessKeyId");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIAHOP4000000000001", WDN_TIME_MAX, &a)) {
		is_str(a.source_identity, "alice", "three hops down: the first SourceIdentity is kept");
		ok(a.source_identity_changed, "three hops down: the change to another SourceIdentity is reported");
		is_keys(&a.transitive, "[\"Env\",\"Project\"]", "three hops down: transitive tags still passed");
		is_tags(&a.tags, "{\"Env\":\"e2\",\"Project\":\"p1\"}", "three hops down: only the inherited tags");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIAORPHAN0000000001", WDN_TIME_MAX, &a)) {
		ok(!a.complete, "parent not in the store: incomplete");
		is_tags(&a.tags, "{\"Dept\":\"d\",\"x\":\"1\"}", "parent not in the store: the logged incoming transitive tags count");
		is_keys(&a.transitive, "[\"Dept\"]", "parent not in the store: and are transitive");
		wdn_answer_release(&a);
	}
	wdn_store_close(s);
}

static void test_roots_and_recycling(void)
{
	struct wdn_store *s = new_store();
	struct wdn_answer a;
	struct wdn_issuance k1, k2, cak, gst;
	struct wdn_sighting si;
	struct wdn_err err;

	if (!s)
		return;
	/* a recycled key ID: two issuances, chosen by time */
	k1 = iss("ASIARECYCLED00000001", 1000, "arn:aws:iam::111122223333:role/First", NULL, "AWSService",
		 "arn:aws:iam::111122223333:role/First");
	k1.invoked_by = "lambda.amazonaws.com";
	k1.end = 2000;
	k2 = iss("ASIARECYCLED00000001", 9000, "arn:aws:iam::111122223333:role/Second", NULL, "AWSService",
		 "arn:aws:iam::111122223333:role/Second");
	k2.invoked_by = "ecs-tasks.amazonaws.com";
	k2.end = 10000;
	put(s, &k1);
	put(s, &k2);
	if (!resolve(s, "ASIARECYCLED00000001", 1500, &a)) {
		is_str(a.principal, "arn:aws:iam::111122223333:role/First", "recycled key at a time in the first window");
		is_str(a.id_service, "lambda.amazonaws.com", "recycled key: the first's root");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIARECYCLED00000001", 9500, &a)) {
		is_str(a.principal, "arn:aws:iam::111122223333:role/Second", "recycled key at a time in the second window");
		wdn_answer_release(&a);
	}
	if (!resolve(s, "ASIARECYCLED00000001", WDN_TIME_MAX, &a)) {
		is_str(a.principal, "arn:aws:iam::111122223333:role/Second", "recycled key, latest");
		wdn_answer_release(&a);
	}

	/* CreateAccessKey: the key belongs to its user, not to its creator */
	cak = iss("AKIANEWUSERKEY000001", 500, "arn:aws:iam::111122223333:user/bob", "ASIAADMINSESSION0001", "AssumedRole",
		  "arn:aws:iam::111122223333:role/Admin");
	cak.event_name = "CreateAccessKey";
	cak.end = WDN_TIME_NONE;
	put(s, &cak);
	if (!resolve(s, "AKIANEWUSERKEY000001", WDN_TIME_MAX, &a)) {
		is_chain(&a, "arn:aws:iam::111122223333:user/bob", "CreateAccessKey: the chain is the user");
		ok(a.complete && a.nlinks == 1, "CreateAccessKey: complete, one link");
		is_str(a.id_type, "IAMUser", "CreateAccessKey: Identity.Type IAMUser");
		is_str(a.id_key, "AKIANEWUSERKEY000001", "CreateAccessKey: Identity.AccessKeyId is the key");
		is_str(a.key_type, "long-term", "CreateAccessKey: KeyType long-term");
		is_int(a.end, WDN_TIME_NONE, "CreateAccessKey: no End while active");
		wdn_answer_release(&a);
	}

	/* GetSessionToken: the same user on both sides appears once */
	gst = iss("ASIASESSIONTOKEN0001", 700, "arn:aws:iam::111122223333:user/carol", "AKIACAROL00000000001", "IAMUser",
		  "arn:aws:iam::111122223333:user/carol");
	gst.event_name = "GetSessionToken";
	put(s, &gst);
	if (!resolve(s, "ASIASESSIONTOKEN0001", WDN_TIME_MAX, &a)) {
		is_chain(&a, "arn:aws:iam::111122223333:user/carol", "GetSessionToken: the user once");
		ok(a.complete, "GetSessionToken: complete");
		is_str(a.id_key, "AKIACAROL00000000001", "GetSessionToken: Identity.AccessKeyId is the user's key");
		wdn_answer_release(&a);
	}

	/* a long-term key known only from a sighting */
	memset(&si, 0, sizeof(si));
	si.key_id = "AKIASEENONLY00000001";
	si.principal = "arn:aws:iam::111122223333:user/dave";
	si.arn = "arn:aws:iam::111122223333:user/dave";
	si.type = "IAMUser";
	si.account = "111122223333";
	si.first = 100;
	si.last = 200;
	memset(&err, 0, sizeof(err));
	s->ops->begin(s, &err);
	s->ops->put_sighting(s, &si, &err);
	s->ops->commit(s, &err);
	if (!resolve(s, "AKIASEENONLY00000001", WDN_TIME_MAX, &a)) {
		ok(a.found && a.complete && a.nlinks == 0, "an IAM user's key seen only in use: found, complete");
		is_str(a.principal, "arn:aws:iam::111122223333:user/dave", "seen only: Principal");
		is_str(a.id_key, "AKIASEENONLY00000001", "seen only: Identity.AccessKeyId");
		ok(a.first_seen == 100 && a.last_seen == 200, "seen only: FirstSeen, LastSeen");
		is_str(a.account, "111122223333", "seen only: AccountId from the sighting");
		wdn_answer_release(&a);
	}
	wdn_store_close(s);
}

static void test_unknown(void)
{
	struct wdn_store *s = new_store();
	struct wdn_answer a;
	char *j;

	if (!s)
		return;
	is_int(resolve(s, "ASIAY34FZKBOKMUTVV7A", WDN_TIME_MAX, &a), 0, "an unknown key is not an error");
	ok(!a.found && !a.complete && a.nlinks == 0 && a.nchain == 0 && a.principal == NULL, "unknown key: found 0, nothing else");
	is_str(a.key_type, "temporary", "unknown key: KeyType from the prefix");
	is_str(a.account, "609629065308", "unknown key: AccountId decoded from the key");
	is_str(a.key, "ASIAY34FZKBOKMUTVV7A", "unknown key: AccessKeyId");
	j = lookup_json(&a, WDN_ANS_TRAILS);
	ok(strstr(j, "\"Found\":false") && strstr(j, "\"Identity\":null") && strstr(j, "\"AccountId\":\"609629065308\""),
	   "unknown key: lookup object says Found false, Identity null, the decoded account");
	free(j);
	wdn_answer_release(&a);

	is_int(resolve(s, "AKIAJWMRCSBBKQO4HQCQ", WDN_TIME_MAX, &a), 0, "an unknown old-style key");
	ok(!a.found && a.account[0] == '\0', "old-style key: no account");
	is_str(a.key_type, "long-term", "old-style key: long-term");
	wdn_answer_release(&a);

	is_int(wdn_resolve(NULL, "ASIAY34FZKBOKMUTVV7A", WDN_TIME_MAX, &a, NULL), 0, "no store at all: offline facts only");
	ok(!a.found && !strcmp(a.account, "609629065308") && !strcmp(a.key_type, "temporary"), "no store: KeyType and account");
	wdn_answer_release(&a);
	wdn_store_close(s);
}

/* A user known only from the uses of its key: named dana, tagged, renamed
 * dina, tagged again; the key used under each name. */
#define EV_UI(name) "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":" \
	"\"arn:aws:iam::111122223333:user/" name "\",\"accountId\":\"111122223333\",\"accessKeyId\":" \
	"\"AKIA2EXAMPLEDANA0001\",\"userName\":\"" name "\"},\"recipientAccountId\":\"111122223333\","
static const char *const dana_events[] = {
	EV_UI("dana") "\"eventTime\":\"2024-05-01T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"TagUser\","
	"\"eventID\":\"d1\",\"requestParameters\":{\"userName\":\"dana\",\"tags\":[{\"key\":\"team\",\"value\":\"red\"}]}}",
	EV_UI("dana") "\"eventTime\":\"2024-05-02T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
	"\"eventID\":\"d2\"}",
	EV_UI("dana") "\"eventTime\":\"2024-05-03T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"UpdateUser\","
	"\"eventID\":\"d3\",\"requestParameters\":{\"userName\":\"dana\",\"newUserName\":\"dina\"}}",
	EV_UI("dina") "\"eventTime\":\"2024-05-04T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
	"\"eventID\":\"d4\"}",
	EV_UI("dina") "\"eventTime\":\"2024-05-05T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"TagUser\","
	"\"eventID\":\"d5\",\"requestParameters\":{\"userName\":\"dina\",\"tags\":[{\"key\":\"team\",\"value\":\"blue\"}]}}",
	EV_UI("dina") "\"eventTime\":\"2024-05-06T10:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
	"\"eventID\":\"d6\"}",
};
#define NDANA (sizeof(dana_events) / sizeof(dana_events[0]))

struct enrich_run {
	struct wdn_enricher *e;
	struct wdn_buf out;
};

static int enrich_cb(void *ctx, const struct wdn_event *ev)
{
	struct enrich_run *r = ctx;
	struct wdn_err err;

	memset(&err, 0, sizeof(err));
	return wdn_enrich_event(r->e, ev, &r->out, &err);
}

/* The whodunnit object enriching one event gives, with enricher e. */
static char *enrich_one(struct wdn_enricher *e, const char *event)
{
	struct enrich_run r = { e, WDN_BUF_INIT };
	struct wdn_reader *rd = wdn_reader_new("test", enrich_cb, NULL, &r);
	const char *w;
	char *got = NULL;

	if (!wdn_reader_feed(rd, event, strlen(event)) && !wdn_reader_finish(rd, NULL) &&
	    (w = strstr(r.out.ptr, ",\"whodunnit\":")))
		got = wdn_strndup(w + 13, strlen(w + 13) - 2); /* less "}\n" */
	wdn_reader_free(rd);
	wdn_buf_release(&r.out);
	return got;
}

static void test_as_of(void)
{
	struct wdn_store *s = new_store();
	struct wdn_buf all = WDN_BUF_INIT;
	struct wdn_answer a;
	struct wdn_enricher *shared;
	char *alone[NDANA];
	size_t i;
	int same = 1;
	const struct { const char *at, *principal, *tags; } want[] = {
		{ "2024-05-02T10:00:00Z", "user/dana", "{\"team\":\"red\"}" },
		{ "2024-05-03T12:00:00Z", "user/dina", "{\"team\":\"red\"}" },
		{ "2024-05-06T10:00:00Z", "user/dina", "{\"team\":\"blue\"}" },
	};

	if (!s)
		return;
	for (i = 0; i < NDANA; i++)
		wdn_buf_addf(&all, "%s\n", dana_events[i]);
	is_int(record(s, all.ptr, all.len), 0, "a key known only from use, renamed and tagged: recorded");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int64_t t;
		char *tags;

		wdn_time_parse(want[i].at, strlen(want[i].at), &t);
		is_int(resolve(s, "AKIA2EXAMPLEDANA0001", t, &a), 0, "resolve a sighting-only key as of a time");
		ok(a.principal && strstr(a.principal, want[i].principal), "as of %s: %s (got %s)", want[i].at,
		   want[i].principal, a.principal ? a.principal : "null");
		tags = tags_sorted(&a.tags);
		is_str(tags, want[i].tags, "as of that time, the tags the user had then");
		free(tags);
		wdn_answer_release(&a);
	}
	/* each event alone, then all with one enricher, latest first */
	for (i = 0; i < NDANA; i++) {
		struct wdn_enricher *e = wdn_enricher_new(s, NULL);

		alone[i] = enrich_one(e, dana_events[i]);
		wdn_enricher_free(e);
	}
	shared = wdn_enricher_new(s, NULL);
	for (i = NDANA; i-- > 0;) {
		char *got = enrich_one(shared, dana_events[i]);

		if (!got || !alone[i] || strcmp(got, alone[i])) {
			printf("#   event %zu: alone %s\n#   shared %s\n", i, alone[i] ? alone[i] : "-", got ? got : "-");
			same = 0;
		}
		free(got);
	}
	ok(same, "one enricher for every event, latest first: each event's answer as enriched alone");
	ok(alone[1] && strstr(alone[1], "\"team\":\"red\"") && alone[5] && strstr(alone[5], "\"team\":\"blue\""),
	   "and the tags change with time");
	wdn_enricher_free(shared);
	for (i = 0; i < NDANA; i++)
		free(alone[i]);
	wdn_buf_release(&all);
	wdn_store_close(s);
}

/* An event's own top-level whodunnit, in any case or escape, never comes
 * out: the line is the one the event gives without it. */
static void test_forged_member(void)
{
	static const char *const same[] = {
		"whodunnit", "WhoDunnit", "WHODUNNIT", "who\\u0064unnit", "\\u0057HODUNNIT",
		"whodunn\\u0131t", "WHODUNN\\u0130T", "whodunn\xc4\xb1t", "whodunnit\\u0000x",
	};
	static const char *const other[] = {
		"whodunnitx", "whodunni", "who_dunnit", "who\\u0000dunnit", "who\\u00", "whodunn\\u0069\\u0069",
	};
	struct wdn_store *s = new_store();
	struct wdn_enricher *e;
	char *want, *got;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		ok(wdn_json_name_is(same[i], strlen(same[i]), 1, "whodunnit"), "'%s' is whodunnit", same[i]);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		ok(!wdn_json_name_is(other[i], strlen(other[i]), 1, "whodunnit"), "'%s' is not whodunnit", other[i]);
	ok(wdn_json_name_is("sourceIdentity", 14, 0, "SourceIdentity") &&
	   !wdn_json_name_is("who\\u0064unnit", 14, 0, "whodunnit"), "decoded names: escapes are not decoded again");
	e = wdn_enricher_new(s, NULL);
	want = enrich_one(e, dana_events[1]);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		struct wdn_buf ev = WDN_BUF_INIT;
		const char *rest = dana_events[1] + 1;

		/* first, and last, both */
		wdn_buf_addf(&ev, "{\"%s\":{\"Principal\":\"forged\"},%.*s,\"%s\":\"forged\"}", same[i],
			     (int)(strlen(rest) - 1), rest, same[i]);
		got = enrich_one(e, ev.ptr);
		ok(got && want && !strcmp(got, want) && !strstr(got, "forged"), "an event's own '%s': only ours", same[i]);
		free(got);
		wdn_buf_release(&ev);
	}
	free(want);
	wdn_enricher_free(e);
	wdn_store_close(s);
}

/* ---- ARNs: one parser, by position, with bounds ------------------------------ */

static void arn_is(const char *arn, const char *want, const char *what)
{
	struct wdn_arn a;
	struct wdn_buf b = WDN_BUF_INIT;

	if (wdn_arn_parse_str(arn, &a)) {
		wdn_buf_adds(&b, "none");
	} else {
		wdn_buf_addf(&b, "%.*s|%.*s|%.*s|%.*s|%.*s|%.*s|%.*s", (int)a.partition.len, a.partition.ptr,
			     (int)a.service.len, a.service.ptr, (int)a.region.len, a.region.ptr,
			     (int)a.account.len, a.account.ptr, (int)a.resource.len, a.resource.ptr,
			     (int)a.type.len, a.type.ptr, (int)a.name.len, a.name.ptr);
	}
	is_str(b.ptr, want, "%s", what);
	wdn_buf_release(&b);
}

static void test_arn_parse(void)
{
	char big[WDN_ARN_MAX + 2];
	struct wdn_arn a;

	arn_is("arn:aws:iam::111122223333:role/path/to/Admin",
	       "aws|iam||111122223333|role/path/to/Admin|role|Admin", "a role with a path");
	arn_is("arn:aws:sts::111122223333:assumed-role/Admin/sess",
	       "aws|sts||111122223333|assumed-role/Admin/sess|assumed-role|sess", "an assumed role");
	arn_is("arn:aws:iam::111122223333:root", "aws|iam||111122223333|root||root", "the root user");
	arn_is("arn:aws:lambda:us-east-1:111122223333:function:f:1",
	       "aws|lambda|us-east-1|111122223333|function:f:1||function:f:1", "colons in the resource");
	arn_is("arn:aws:s3:::bucket/key", "aws|s3|||bucket/key|bucket|key", "no region, no account");
	arn_is("arn:aws:iam::111122223333:role/", "aws|iam||111122223333|role/|role|", "a type with no name");
	arn_is("arn:aws:iam::111122223333", "none", "ends at the account field");
	arn_is("arn:aws:iam::111122223333:", "none", "an empty resource");
	arn_is("arn:aws:iam::", "none", "arn:aws:iam::");
	arn_is("arn:", "none", "arn:");
	arn_is("arn", "none", "arn");
	arn_is("", "none", "empty");
	arn_is(":aws:iam::1:role/x", "none", "no arn prefix");
	arn_is("ARN:aws:iam::1:role/x", "none", "the prefix is lower case");
	arn_is("arn::iam::1:role/x", "none", "an empty partition");
	arn_is("arn:aws:::1:role/x", "none", "an empty service");
	arn_is("arn:aws:iam::1:role/x\ty", "none", "a control character");
	ok(wdn_arn_parse_str(NULL, &a) == WDN_EINVAL, "NULL is no ARN");
	ok(wdn_arn_parse("arn:aws:iam::1:role/a\0b", 22, &a) == WDN_EINVAL, "a NUL inside is no ARN");
	ok(!wdn_arn_parse("arn:aws:iam::1:role/abXYZ", 22, &a) && wdn_str_eq(a.name, "ab"),
	   "parsing stops at the length given, not at a NUL");
	memset(big, 'a', sizeof(big));
	memcpy(big, "arn:aws:iam::1:role/", 20);
	ok(!wdn_arn_parse(big, WDN_ARN_MAX, &a), "%d bytes: an ARN", WDN_ARN_MAX);
	ok(wdn_arn_parse(big, WDN_ARN_MAX + 1, &a) == WDN_EINVAL, "%d bytes: too long", WDN_ARN_MAX + 1);
	{
		char *s;

		is_str((s = wdn_arn_account("arn:aws:iam::111122223333:user/x")), "111122223333", "account");
		free(s);
		ok(!wdn_arn_account("arn:aws:iam::111122223333"), "no account from a cut ARN");
		ok(!wdn_arn_account("arn:aws:s3:::b"), "no account from an ARN naming none");
		is_str((s = wdn_arn_session("arn:aws:sts::1:assumed-role/R/s")), "s", "session");
		free(s);
		ok(!wdn_arn_session("arn:aws:sts::1:assumed-role/R"), "no session without one");
		ok(!wdn_arn_session("arn:aws:iam::1:role/R/s"), "no session of a role ARN");
		is_str((s = wdn_principal_of(NULL, "arn:aws-cn:sts::1:assumed-role/R/s", NULL)),
		       "arn:aws-cn:iam::1:role/R", "an assumed role's role, partition kept");
		free(s);
		is_str((s = wdn_principal_of(NULL, "arn:aws:sts::1:assumed-role/", NULL)),
		       "arn:aws:sts::1:assumed-role/", "an assumed role without a name stays as it is");
		free(s);
	}
}

/*
 * A store of one key, for the places resolving takes ARNs apart: its
 * principal is given as bytes, so text may follow the string's end (as
 * stale heap memory does), and every log asked for is written down.
 */
static const char *fake_principal;
static size_t fake_len;
static struct wdn_buf fake_asked = WDN_BUF_INIT;

static int fake_get_issuance(struct wdn_store *s, const char *key, int64_t at,
			     struct wdn_issuance *is, struct wdn_err *err)
{
	memset(is, 0, sizeof(*is));
	is->start = is->end = WDN_TIME_NONE;
	if (strcmp(key, "ASIAQQQQQQQQFAKE0001"))
		return WDN_ENOTFOUND;
	is->key_id = wdn_strdup(key);
	is->start = 1700000000;
	is->event_name = wdn_strdup("AssumeRole");
	is->principal = malloc(fake_len);
	memcpy(is->principal, fake_principal, fake_len);
	is->caller_type = wdn_strdup("AWSService"); /* a root with no tags of its own */
	is->invoked_by = wdn_strdup("ec2.amazonaws.com");
	is->event = wdn_strdup("{}");
	return 0;
}

static int fake_get_sighting(struct wdn_store *s, const char *key, int64_t at, struct wdn_sighting *out,
			     struct wdn_err *err)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(key, "AKIAQQQQQQQQFAKE0002"))
		return WDN_ENOTFOUND;
	out->key_id = wdn_strdup(key);
	out->principal = malloc(fake_len);
	memcpy(out->principal, fake_principal, fake_len);
	out->arn = wdn_strdup(out->principal);
	out->type = wdn_strdup("IAMUser");
	out->first = out->last = 1700000000;
	return 0;
}

static int fake_changes(struct wdn_store *s, const char *subject, int64_t until, wdn_change_fn cb,
			void *ctx, struct wdn_err *err)
{
	struct wdn_change c = { (char *)subject, 1600000000, "e", "tag", "{\"Secret\":\"yes\"}" };

	if (strncmp(subject, "tags:", 5))
		return 0;
	wdn_buf_addf(&fake_asked, "%s;", subject);
	return cb(ctx, &c); /* every log says Secret: whoever is asked for gets it */
}

static int fake_children(struct wdn_store *s, const char *key, wdn_issuance_fn cb, void *ctx,
			 struct wdn_err *err)
{
	return 0;
}

static const struct wdn_store_ops fake_ops = {
	.kind = "fake", .get_issuance = fake_get_issuance, .get_sighting = fake_get_sighting,
	.changes = fake_changes, .children = fake_children,
};

/* The logs asked for and the tags found, resolving key whose principal is
 * the bytes p[0..n) (a NUL among them ends the string). */
static char *fake_resolve(const char *key, const char *p, size_t n)
{
	struct wdn_store s = { &fake_ops, "fake" };
	struct wdn_answer a;
	struct wdn_buf b = WDN_BUF_INIT;
	char *tags;

	fake_principal = p;
	fake_len = n;
	wdn_buf_reset(&fake_asked);
	wdn_resolve(&s, key, 1700000100, &a, NULL);
	tags = tags_sorted(&a.tags);
	wdn_buf_addf(&b, "%s %s %s", a.principal ? a.principal : "-", fake_asked.ptr, tags);
	free(tags);
	wdn_answer_release(&a);
	return wdn_buf_detach(&b, NULL);
}

#define BYTES(lit) lit, sizeof(lit)

static void test_arn_bounds(void)
{
	char *s;

	/* what follows the string's end is never read as its resource */
	s = fake_resolve("ASIAQQQQQQQQFAKE0001", BYTES("arn:aws:iam::111122223333\0role/Admin"));
	is_str(s, "arn:aws:iam::111122223333  {}",
	       "a role ARN ending at the account: no role's log asked for, no tags");
	free(s);
	s = fake_resolve("ASIAQQQQQQQQFAKE0001", BYTES("arn:aws:iam::111122223333:role/Admin"));
	is_str(s, "arn:aws:iam::111122223333:role/Admin tags:111122223333:role/Admin; {\"Secret\":\"yes\"}",
	       "a whole role ARN: its own log");
	free(s);
	s = fake_resolve("ASIAQQQQQQQQFAKE0001", BYTES("arn:111122223333:iam::111122223333:role/R"));
	is_str(s, "arn:111122223333:iam::111122223333:role/R tags:111122223333:role/R; {\"Secret\":\"yes\"}",
	       "the account is the fifth field, wherever else its digits appear");
	free(s);
	s = fake_resolve("ASIAQQQQQQQQFAKE0001", BYTES("arn:aws:sts::111122223333:role/R"));
	is_str(s, "arn:aws:sts::111122223333:role/R  {}", "only IAM names roles with tags");
	free(s);
	/* a user known from a sighting: never rebuilt into another ARN */
	s = fake_resolve("AKIAQQQQQQQQFAKE0002", BYTES("arn:aws:iam::999999999999:x:user/ceo"));
	is_str(s, "arn:aws:iam::999999999999:x:user/ceo  {}",
	       "a user ARN with an extra field: as it is, no user's tags");
	free(s);
	s = fake_resolve("AKIAQQQQQQQQFAKE0002", BYTES("arn:aws:iam::111122223333\0:user/ceo"));
	is_str(s, "arn:aws:iam::111122223333  {}", "a cut user ARN: as it is, nothing past its end");
	free(s);
	s = fake_resolve("AKIAQQQQQQQQFAKE0002", BYTES("arn:aws:iam::111122223333:user/div/bob"));
	is_str(s, "arn:aws:iam::111122223333:user/div/bob tags:111122223333:user/bob;tags:111122223333:user/bob; {\"Secret\":\"yes\"}",
	       "a user with a path: found by its name");
	free(s);
	wdn_buf_release(&fake_asked);
}

int main(void)
{
	(void)skip;
	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	test_seed();
	test_cross_account();
	test_missing_parent();
	test_service_root();
	test_cycle_and_cap();
	test_transitive();
	test_roots_and_recycling();
	test_unknown();
	test_as_of();
	test_forged_member();
	test_arn_parse();
	test_arn_bounds();
	rm_rf(tmpdir);
	return done_testing();
}
