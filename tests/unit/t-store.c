/*
 * The SQLite store (store.c, store_sqlite.c) in a temporary directory: a
 * private file in WAL mode, idempotent writes (the cross-account copy that
 * names the caller's key wins in any order), recycled key IDs chosen by time,
 * sightings folded to first/last seen, children in time order.
 */
#include "tap.h"
#include "wdn.h"
#include "event.h"
#include "store.h"
#include "str.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/t-store.XXXXXX";

static char *path_in(const char *name)
{
	struct wdn_buf b = WDN_BUF_INIT;

	wdn_buf_addf(&b, "%s/%s", tmpdir, name);
	return wdn_buf_detach(&b, NULL);
}

/* One SQL answer straight from the file, as text ("" on error). */
static char *sql1(const char *db, const char *q)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st;
	char *r = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, q, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			r = wdn_strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return r ? r : wdn_strdup("");
}

static void is_sql(const char *db, const char *q, const char *want, const char *what)
{
	char *got = sql1(db, q);

	is_str(got, want, "%s", what);
	free(got);
}

/* An issuance with every member set, from a template: strings borrowed. */
static struct wdn_issuance issuance(const char *key, int64_t start, int64_t end, const char *event_id,
				    const char *caller_key)
{
	struct wdn_issuance is;

	memset(&is, 0, sizeof(is));
	is.key_id = (char *)key;
	is.start = start;
	is.end = end;
	is.event_id = (char *)event_id;
	is.event_name = "AssumeRole";
	is.shared_event_id = "shared-1";
	is.principal = "arn:aws:iam::222233334444:role/Target";
	is.account = "222233334444";
	is.session_name = "sess";
	is.caller_key = (char *)caller_key;
	is.caller_type = caller_key ? "AssumedRole" : "AWSAccount";
	is.caller_arn = "arn:aws:sts::111122223333:assumed-role/Source/x";
	is.caller_principal = "arn:aws:iam::111122223333:role/Source";
	is.caller_account = "111122223333";
	is.invoked_by = NULL;
	is.session_tags = "{\"a\":\"1\"}";
	is.transitive_keys = "[\"a\"]";
	is.incoming_tags = "{\"b\":\"2\"}";
	is.source_identity = "alice";
	is.event = "{\"eventName\":\"AssumeRole\"}";
	return is;
}

static int put(struct wdn_store *s, const struct wdn_issuance *is)
{
	struct wdn_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	if ((rc = s->ops->begin(s, &err)) || (rc = s->ops->put_issuance(s, is, &err)) ||
	    (rc = s->ops->commit(s, &err)))
		printf("# put: %s\n", err.msg);
	return rc;
}

static int put_sighting(struct wdn_store *s, const char *key, const char *principal, int64_t first,
			int64_t last)
{
	struct wdn_sighting si;
	struct wdn_err err;
	int rc;

	memset(&si, 0, sizeof(si));
	si.key_id = (char *)key;
	si.principal = (char *)principal;
	si.arn = "arn:aws:sts::111122223333:assumed-role/Source/x";
	si.type = "AssumedRole";
	si.account = "111122223333";
	si.first = first;
	si.last = last;
	memset(&err, 0, sizeof(err));
	if ((rc = s->ops->begin(s, &err)) || (rc = s->ops->put_sighting(s, &si, &err)) ||
	    (rc = s->ops->commit(s, &err)))
		printf("# put_sighting: %s\n", err.msg);
	return rc;
}

/* start of the issuance of key in use at at, or an error code */
static int64_t next_at(struct wdn_store *s, const char *key, int64_t after)
{
	int64_t t;
	int rc = s->ops->next_issuance(s, key, after, &t, NULL);

	return rc ? rc : t;
}

static int64_t start_at(struct wdn_store *s, const char *key, int64_t at)
{
	struct wdn_issuance is;
	int rc = s->ops->get_issuance(s, key, at, &is, NULL);
	int64_t t;

	if (rc)
		return rc;
	t = is.start;
	wdn_issuance_release(&is);
	return t;
}

static void test_open(void)
{
	struct wdn_store *s = (struct wdn_store *)1;
	struct wdn_err err;
	struct stat st;
	char *db = path_in("sub/dir/wdn.db"), *missing = path_in("missing.db"), *url;
	char *empty = path_in("empty.db"), *dir = path_in("sub");
	mode_t old = umask(0);
	int rc;

	memset(&err, 0, sizeof(err));
	rc = wdn_store_open(missing, 0, NULL, &s, &err);
	is_int(rc, WDN_ENOTFOUND, "opening a missing store without WDN_STORE_CREATE: WDN_ENOTFOUND");
	ok(s == NULL, "and no store");
	ok(access(missing, F_OK) != 0, "and no file created");
	ok(strstr(err.msg, "missing.db") != NULL, "the error names the path: %s", err.msg);
	is_int(wdn_store_sqlite_open(missing, 0, &s, NULL), WDN_ENOTFOUND, "the same through wdn_store_sqlite_open");

	/* created private whatever the umask, with private parents */
	url = malloc(strlen(db) + 8);
	snprintf(url, strlen(db) + 8, "sqlite:%s", db);
	rc = wdn_store_open(url, WDN_STORE_CREATE, NULL, &s, &err);
	umask(old);
	is_int(rc, 0, "creating a store (sqlite:PATH) with parent directories");
	if (rc) {
		printf("# %s\n", err.msg);
		goto out;
	}
	is_str(s->ops->kind, "sqlite", "the store is sqlite");
	ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600, "store file mode 0600 (umask 0)");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "parent directory mode 0700");
	{
		struct wdn_issuance is = issuance("ASIAAAAAAAAAAAAAAAA1", 1000, 2000, "e1", "ASIAPARENT0000000001");

		put(s, &is);
	}
	{
		char *wal = malloc(strlen(db) + 5);

		snprintf(wal, strlen(db) + 5, "%s-wal", db);
		ok(stat(wal, &st) != 0 || (st.st_mode & 0777) == 0600, "the WAL file, if any, is 0600 too");
		free(wal);
	}
	wdn_store_close(s);
	s = NULL;
	is_sql(db, "PRAGMA journal_mode", "wal", "journal mode is WAL");
	is_sql(db, "SELECT user_version > 0 FROM pragma_user_version", "1", "schema version recorded");

	/* reopened without CREATE: a reader sees the data */
	rc = wdn_store_open(db, 0, NULL, &s, &err);
	is_int(rc, 0, "reopening an existing store without WDN_STORE_CREATE (bare path)");
	if (!rc) {
		is_int(start_at(s, "ASIAAAAAAAAAAAAAAAA1", WDN_TIME_MAX), 1000, "the data is still there");
		wdn_store_close(s);
	}
	/* WDN_STORE names the store when no URL is given */
	setenv("WDN_STORE", db, 1);
	rc = wdn_store_open(NULL, 0, NULL, &s, &err);
	is_int(rc, 0, "no URL: $WDN_STORE");
	if (!rc)
		wdn_store_close(s);
	unsetenv("WDN_STORE");

	/* an empty file is no store for a reader */
	fclose(fopen(empty, "w"));
	s = (struct wdn_store *)1;
	is_int(wdn_store_open(empty, 0, NULL, &s, &err), WDN_ENOTFOUND, "an empty file is no store for a reader");
	ok(s == NULL, "and no store");
	is_int(wdn_store_open("sqlite:", WDN_STORE_CREATE, NULL, &s, &err), WDN_EINVAL, "sqlite: with no path: WDN_EINVAL");
	is_int(wdn_store_open("dynamodb:", 0, NULL, &s, &err), WDN_EINVAL, "dynamodb: with no table: WDN_EINVAL");
out:
	free(url);
	free(db);
	free(missing);
	free(empty);
	free(dir);
}

static void test_default_path(void)
{
	char *p, *oldx = getenv("XDG_DATA_HOME"), *oldh = getenv("HOME");

	oldx = oldx ? wdn_strdup(oldx) : NULL;
	oldh = oldh ? wdn_strdup(oldh) : NULL;
	setenv("XDG_DATA_HOME", "/xdg", 1);
	p = wdn_store_default_path();
	is_str(p, "/xdg/whodunnit/wdn.db", "default path under $XDG_DATA_HOME");
	free(p);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	p = wdn_store_default_path();
	is_str(p, "/home/u/.local/share/whodunnit/wdn.db", "default path under $HOME/.local/share");
	free(p);
	setenv("XDG_DATA_HOME", "", 1);
	p = wdn_store_default_path();
	is_str(p, "/home/u/.local/share/whodunnit/wdn.db", "an empty $XDG_DATA_HOME is unset");
	free(p);
	if (oldx)
		setenv("XDG_DATA_HOME", oldx, 1);
	else
		unsetenv("XDG_DATA_HOME");
	if (oldh)
		setenv("HOME", oldh, 1);
	free(oldx);
	free(oldh);
}

static void test_roundtrip(struct wdn_store *s)
{
	struct wdn_issuance in = issuance("ASIARRRRRRRRRRRRRRR1", 5000, WDN_TIME_NONE, "rt-1", "ASIAPARENT0000000009"), out;
	int rc;

	in.invoked_by = "ec2.amazonaws.com";
	in.provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
	in.subject = "repo:octo/app:ref:refs/heads/main";
	in.audience = "sts.amazonaws.com";
	put(s, &in);
	rc = s->ops->get_issuance(s, "ASIARRRRRRRRRRRRRRR1", 5000, &out, NULL);
	is_int(rc, 0, "get_issuance after put");
	if (rc)
		return;
	ok(!strcmp(out.key_id, in.key_id) && out.start == 5000 && out.end == WDN_TIME_NONE &&
	   !strcmp(out.event_id, "rt-1") && !strcmp(out.event_name, "AssumeRole") &&
	   !strcmp(out.shared_event_id, "shared-1") && !strcmp(out.principal, in.principal) &&
	   !strcmp(out.account, in.account) && !strcmp(out.session_name, "sess") &&
	   !strcmp(out.caller_key, in.caller_key) && !strcmp(out.caller_type, in.caller_type) &&
	   !strcmp(out.caller_arn, in.caller_arn) && !strcmp(out.caller_principal, in.caller_principal) &&
	   !strcmp(out.caller_account, in.caller_account) && !strcmp(out.invoked_by, "ec2.amazonaws.com") &&
	   !strcmp(out.session_tags, in.session_tags) && !strcmp(out.transitive_keys, in.transitive_keys) &&
	   !strcmp(out.incoming_tags, in.incoming_tags) && !strcmp(out.source_identity, "alice") &&
	   !strcmp(out.event, in.event) && out.provider && !strcmp(out.provider, in.provider) &&
	   out.subject && !strcmp(out.subject, in.subject) && out.audience && !strcmp(out.audience, in.audience),
	   "every member of an issuance round-trips");
	is_int(out.end, WDN_TIME_NONE, "no expiry round-trips as WDN_TIME_NONE");
	is_int(start_at(s, "ASIARRRRRRRRRRRRRRR1", 99999999999LL), 5000, "no expiry: the window is open-ended");
	wdn_issuance_release(&out);
	is_int(s->ops->get_issuance(s, "ASIANOSUCHKEY0000000", WDN_TIME_MAX, &out, NULL), WDN_ENOTFOUND,
	       "an unknown key: WDN_ENOTFOUND");
}

static void test_idempotent(struct wdn_store *s, const char *db)
{
	struct wdn_issuance a = issuance("ASIAIDEMPOTENT000001", 1000, 1900, "same-event", "ASIACALLER0000000001");
	struct wdn_issuance owner, caller, out;
	struct wdn_store *s2;
	char *db2 = path_in("order.db");
	int order;

	put(s, &a);
	put(s, &a);
	is_sql(db, "SELECT COUNT(*) FROM issuance WHERE key_id='ASIAIDEMPOTENT000001'", "1",
	       "the same issuance recorded twice is one row");

	/* cross-account AssumeRole: the role owner's copy has no caller key and
	 * another event ID; the caller's copy names the key. Either order. */
	owner = issuance("ASIACROSSACCOUNT0001", 3000, 3900, "aaa-owner-copy", NULL);
	owner.caller_arn = NULL;
	owner.caller_principal = "111122223333";
	caller = issuance("ASIACROSSACCOUNT0001", 3000, 3900, "zzz-caller-copy", "ASIACALLERKEY0000001");
	for (order = 0; order < 2; order++) {
		int rc;

		unlink(db2);
		if (wdn_store_open(db2, WDN_STORE_CREATE, NULL, &s2, NULL)) {
			ok(0, "open a second store");
			continue;
		}
		put(s2, order ? &caller : &owner);
		put(s2, order ? &owner : &caller);
		put(s2, order ? &caller : &owner);
		rc = s2->ops->get_issuance(s2, "ASIACROSSACCOUNT0001", WDN_TIME_MAX, &out, NULL);
		ok(rc == 0 && out.caller_key && !strcmp(out.caller_key, "ASIACALLERKEY0000001") &&
		   !strcmp(out.event_id, "zzz-caller-copy") && !strcmp(out.caller_type, "AssumedRole"),
		   "cross-account pair, %s first: the copy naming the caller's key wins",
		   order ? "caller's copy" : "owner's copy");
		if (!rc)
			wdn_issuance_release(&out);
		wdn_store_close(s2);
		is_sql(db2, "SELECT COUNT(*) FROM issuance", "1", "cross-account pair: one row");
	}
	/* two copies that both name a key: a total order, so still order-free */
	{
		struct wdn_issuance x = issuance("ASIATIE0000000000001", 100, 200, "event-b", "ASIAKEYB000000000001");
		struct wdn_issuance y = issuance("ASIATIE0000000000001", 100, 200, "event-a", "ASIAKEYA000000000001");
		char *got[2] = { NULL, NULL };

		for (order = 0; order < 2; order++) {
			unlink(db2);
			if (wdn_store_open(db2, WDN_STORE_CREATE, NULL, &s2, NULL))
				continue;
			put(s2, order ? &x : &y);
			put(s2, order ? &y : &x);
			if (!s2->ops->get_issuance(s2, "ASIATIE0000000000001", WDN_TIME_MAX, &out, NULL)) {
				got[order] = wdn_strdup(out.event_id);
				wdn_issuance_release(&out);
			}
			wdn_store_close(s2);
		}
		ok(got[0] && got[1] && !strcmp(got[0], got[1]), "two keyed copies: the same winner in either order (%s)",
		   got[0] ? got[0] : "none");
		free(got[0]);
		free(got[1]);
	}
	unlink(db2);
	free(db2);
}

static void test_recycled(struct wdn_store *s)
{
	const char *k = "ASIARECYCLED00000001";
	struct wdn_issuance a = issuance(k, 1000, 2000, "first", "ASIAP000000000000001");
	struct wdn_issuance b = issuance(k, 5000, 6000, "second", "ASIAP000000000000002");
	struct wdn_issuance c = issuance("ASIAOVERLAP000000001", 1000, 5000, "long", NULL);
	struct wdn_issuance d = issuance("ASIAOVERLAP000000001", 3000, 4000, "short", NULL);

	put(s, &b); /* out of order on purpose */
	put(s, &a);
	is_int(start_at(s, k, 1000), 1000, "recycled key: at the first start, the first");
	is_int(start_at(s, k, 1500), 1000, "recycled key: inside the first window, the first");
	is_int(start_at(s, k, 2000), 1000, "recycled key: at the first end, the first");
	is_int(start_at(s, k, 3000), 1000, "recycled key: between windows, the latest before");
	is_int(start_at(s, k, 5000), 5000, "recycled key: at the second start, the second");
	is_int(start_at(s, k, 5500), 5000, "recycled key: inside the second window, the second");
	is_int(start_at(s, k, 9000), 5000, "recycled key: after both, the latest");
	is_int(start_at(s, k, WDN_TIME_MAX), 5000, "recycled key: WDN_TIME_MAX, the latest");
	is_int(start_at(s, k, 999), WDN_ENOTFOUND, "recycled key: before both, not found");

	put(s, &c);
	put(s, &d);
	is_int(start_at(s, "ASIAOVERLAP000000001", 3500), 3000, "overlapping windows: the latest start whose window holds it");
	is_int(start_at(s, "ASIAOVERLAP000000001", 4500), 1000, "overlapping windows: the one still open");
	is_int(start_at(s, "ASIAOVERLAP000000001", 5500), 3000, "after both windows: the latest start");

	/* until when a choice holds: the next issuance's start */
	is_int(next_at(s, k, 0), 1000, "next issuance after a time before both: the first");
	is_int(next_at(s, k, 1000), 5000, "next issuance after the first's start: the second");
	is_int(next_at(s, k, 4999), 5000, "next issuance just before the second: the second");
	is_int(next_at(s, k, 5000), WDN_ENOTFOUND, "next issuance after the last: none");
	is_int(next_at(s, "ASIAOVERLAP000000001", 1000), 3000, "next issuance: one begun inside another's window");
	is_int(next_at(s, "ASIANEVERISSUED00001", 0), WDN_ENOTFOUND, "next issuance of a key never issued: none");
}

/* The principal (its resource part) seen using key as of at. */
static const char *seen_at(struct wdn_store *s, const char *key, int64_t at)
{
	static char out[64];
	struct wdn_sighting si;

	if (s->ops->get_sighting(s, key, at, &si, NULL))
		return "none";
	snprintf(out, sizeof(out), "%s", strrchr(si.principal, ':') + 1);
	wdn_sighting_release(&si);
	return out;
}

static void test_sightings(struct wdn_store *s)
{
	struct wdn_sighting si;
	const char *k = "ASIASIGHTED000000001";
	int rc;

	put_sighting(s, k, "arn:aws:iam::111122223333:role/A", 100, 200);
	put_sighting(s, k, "arn:aws:iam::111122223333:role/A", 50, 150);
	put_sighting(s, k, "arn:aws:iam::111122223333:role/A", 120, 180);
	rc = s->ops->get_sighting(s, k, WDN_TIME_MAX, &si, NULL);
	is_int(rc, 0, "get_sighting");
	if (!rc) {
		is_int(si.first, 50, "sighting: first is the minimum");
		is_int(si.last, 200, "sighting: last is the maximum");
		is_str(si.principal, "arn:aws:iam::111122223333:role/A", "sighting: principal");
		is_str(si.type, "AssumedRole", "sighting: type");
		is_str(si.account, "111122223333", "sighting: account");
		is_str(si.key_id, k, "sighting: key");
		wdn_sighting_release(&si);
	}
	put_sighting(s, k, "arn:aws:iam::111122223333:role/B", 300, 400);
	rc = s->ops->get_sighting(s, k, WDN_TIME_MAX, &si, NULL);
	ok(rc == 0 && !strcmp(si.principal, "arn:aws:iam::111122223333:role/B") && si.first == 300,
	   "two principals for a key: the most recently seen");
	if (!rc)
		wdn_sighting_release(&si);
	put_sighting(s, k, "arn:aws:iam::111122223333:role/A", 500, 500);
	rc = s->ops->get_sighting(s, k, WDN_TIME_MAX, &si, NULL);
	ok(rc == 0 && !strcmp(si.principal, "arn:aws:iam::111122223333:role/A") && si.first == 50 && si.last == 500,
	   "seen again later: that principal, its window widened");
	if (!rc)
		wdn_sighting_release(&si);
	is_int(s->ops->get_sighting(s, "ASIANEVERSEEN0000001", WDN_TIME_MAX, &si, NULL), WDN_ENOTFOUND, "never seen: WDN_ENOTFOUND");

	/* as of a time: A seen 50..500, B 300..400, C 600..700 */
	put_sighting(s, k, "arn:aws:iam::111122223333:role/C", 600, 700);
	is_str(seen_at(s, k, 350), "role/B", "as of a time both windows hold: the one begun later");
	is_str(seen_at(s, k, 300), "role/B", "as of the start of a window inside another: that one");
	is_str(seen_at(s, k, 450), "role/A", "as of a time only the longer window holds: that one");
	is_str(seen_at(s, k, 100), "role/A", "as of a time in the first window: the first");
	is_str(seen_at(s, k, 550), "role/A", "between windows: the one last seen before");
	is_str(seen_at(s, k, 650), "role/C", "in the last window: the last");
	is_str(seen_at(s, k, 10), "role/A", "before every window: the first seen after");
	is_str(seen_at(s, k, WDN_TIME_MAX), "role/C", "WDN_TIME_MAX: the latest");
}

struct chg {
	char got[1024];
	int n;
};

static int on_change(void *ctx, const struct wdn_change *c)
{
	struct chg *g = ctx;
	size_t l = strlen(g->got);

	snprintf(g->got + l, sizeof(g->got) - l, "%lld %s %s %s;", (long long)c->time, c->event_id, c->kind,
		 c->data ? c->data : "-");
	g->n++;
	return 0;
}

/* a subject's changes: idempotent, in time order whatever the recording order, cut at until */
static void test_changes(struct wdn_store *s, const char *db)
{
	const char *subj = "tags:111122223333:role/R";
	struct wdn_change c1 = { (char *)subj, 300, "ev-3", "untag", "[\"a\"]" };
	struct wdn_change c2 = { (char *)subj, 100, "ev-1", "create", "{\"a\":\"1\"}" };
	struct wdn_change c3 = { (char *)subj, 200, "ev-2", "tag", "{\"b\":\"2\"}" };
	struct wdn_change other = { "tags:111122223333:role/Other", 150, "ev-x", "tag", "{}" };
	struct wdn_err err;
	struct chg g;
	int rc = 0;

	memset(&err, 0, sizeof(err));
	if (!s->ops->put_change || !s->ops->changes) {
		ok(0, "the sqlite store has put_change and changes");
		return;
	}
	rc |= s->ops->begin(s, &err);
	rc |= s->ops->put_change(s, &c1, &err);
	rc |= s->ops->put_change(s, &c2, &err);
	rc |= s->ops->put_change(s, &c3, &err);
	rc |= s->ops->put_change(s, &c2, &err);
	rc |= s->ops->put_change(s, &other, &err);
	rc |= s->ops->commit(s, &err);
	is_int(rc, 0, "put_change");
	is_sql(db, "SELECT COUNT(*) FROM change WHERE subject='tags:111122223333:role/R'", "3",
	       "the same change recorded twice is one row");
	memset(&g, 0, sizeof(g));
	is_int(s->ops->changes(s, subj, WDN_TIME_MAX, on_change, &g, &err), 0, "changes");
	is_str(g.got, "100 ev-1 create {\"a\":\"1\"};200 ev-2 tag {\"b\":\"2\"};300 ev-3 untag [\"a\"];",
	       "changes: the subject's only, in time order");
	memset(&g, 0, sizeof(g));
	s->ops->changes(s, subj, 200, on_change, &g, &err);
	is_int(g.n, 2, "changes until a time: those at or before it");
}

/* WAL: an analyst's reader is not blocked by a writer's open transaction */
static void test_concurrent(struct wdn_store *w, const char *db)
{
	struct wdn_issuance is = issuance("ASIAUNCOMMITTED00001", 100, 200, "u", NULL), out;
	struct wdn_store *r;
	struct wdn_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	if (wdn_store_open(db, 0, NULL, &r, &err)) {
		ok(0, "open a reader: %s", err.msg);
		return;
	}
	w->ops->begin(w, &err);
	w->ops->put_issuance(w, &is, &err);
	rc = r->ops->get_issuance(r, "ASIARECYCLED00000001", WDN_TIME_MAX, &out, &err);
	is_int(rc, 0, "a reader reads while a writer holds a transaction");
	if (!rc)
		wdn_issuance_release(&out);
	is_int(r->ops->get_issuance(r, "ASIAUNCOMMITTED00001", WDN_TIME_MAX, &out, &err), WDN_ENOTFOUND,
	       "the reader does not see uncommitted rows");
	w->ops->commit(w, &err);
	rc = r->ops->get_issuance(r, "ASIAUNCOMMITTED00001", WDN_TIME_MAX, &out, &err);
	is_int(rc, 0, "after commit the reader sees them");
	if (!rc)
		wdn_issuance_release(&out);
	wdn_store_close(r);
}

/* A read snapshot (wdn-enrich's per input): lookups in it see one state of
 * the store, a writer meanwhile is neither blocked nor seen; after it, all. */
static void test_snapshot(struct wdn_store *w, const char *db)
{
	static const char *const keys[] = { "ASIASNAPSHOT00000001", "ASIASNAPSHOT00000002", "ASIASNAPSHOT00000003" };
	struct wdn_issuance is, out;
	struct wdn_store *r;
	struct wdn_err err;
	int i, seen = 0, during = 0;

	memset(&err, 0, sizeof(err));
	if (wdn_store_open(db, 0, NULL, &r, &err)) {
		ok(0, "open a reader: %s", err.msg);
		return;
	}
	ok(r->ops->snapshot != NULL, "the SQLite store offers read snapshots");
	if (!r->ops->snapshot) {
		wdn_store_close(r);
		return;
	}
	is = issuance(keys[0], 100, 200, "snap-0", NULL);
	put(w, &is);
	is_int(r->ops->snapshot(r, 1, &err), 0, "snapshot on");
	is_int(start_at(r, keys[0], 150), 100, "a lookup in the snapshot");
	for (i = 1; i < 3; i++) {
		is = issuance(keys[i], 100 * i, 100 * i + 50, keys[i], NULL);
		during += put(w, &is) == 0; /* a writer is not blocked by it */
	}
	is_int(during, 2, "a writer commits while the snapshot is held");
	for (i = 0; i < 3; i++)
		seen += start_at(r, keys[i], WDN_TIME_MAX) > 0;
	is_int(seen, 1, "within it, what was committed meanwhile is not seen");
	is_int(r->ops->snapshot(r, 0, &err), 0, "snapshot off");
	seen = 0;
	for (i = 0; i < 3; i++)
		if (!r->ops->get_issuance(r, keys[i], WDN_TIME_MAX, &out, &err)) {
			seen++;
			wdn_issuance_release(&out);
		}
	is_int(seen, 3, "after it, everything is");
	wdn_store_close(r);
}

struct kids {
	int64_t start[8];
	char *key[8];
	int n, stop_at;
};

static int kid(void *ctx, const struct wdn_issuance *is)
{
	struct kids *k = ctx;

	if (k->n < 8) {
		k->start[k->n] = is->start;
		k->key[k->n] = wdn_strdup(is->key_id);
	}
	k->n++;
	return k->stop_at && k->n == k->stop_at ? 77 : 0;
}

static void kids_release(struct kids *k)
{
	int i;

	for (i = 0; i < 8 && i < k->n; i++)
		free(k->key[i]);
	memset(k, 0, sizeof(*k));
}

static void test_children(struct wdn_store *s)
{
	const char *parent = "ASIAPARENTOFTHREE001";
	struct wdn_issuance c1 = issuance("ASIACHILD00000000003", 3000, 3900, "c3", parent);
	struct wdn_issuance c2 = issuance("ASIACHILD00000000001", 1000, 1900, "c1", parent);
	struct wdn_issuance c3 = issuance("ASIACHILD00000000002", 2000, 2900, "c2", parent);
	struct wdn_issuance other = issuance("ASIACHILDOFANOTHER01", 1500, 1900, "o", "ASIASOMEONEELSE00001");
	struct kids k;
	int rc;

	put(s, &c1);
	put(s, &c2);
	put(s, &c3);
	put(s, &other);
	memset(&k, 0, sizeof(k));
	rc = s->ops->children(s, parent, kid, &k, NULL);
	is_int(rc, 0, "children");
	ok(k.n == 3 && k.start[0] == 1000 && k.start[1] == 2000 && k.start[2] == 3000,
	   "children: only the parent's, in time order");
	ok(k.n == 3 && !strcmp(k.key[0], "ASIACHILD00000000001") && !strcmp(k.key[2], "ASIACHILD00000000003"),
	   "children: the right keys");
	kids_release(&k);
	k.stop_at = 2;
	is_int(s->ops->children(s, parent, kid, &k, NULL), 77, "children: the callback's code stops the walk");
	is_int(k.n, 2, "children: no call after the stop");
	kids_release(&k);
	is_int(s->ops->children(s, "ASIANOKIDS0000000001", kid, &k, NULL), 0, "children of a childless key");
	is_int(k.n, 0, "no children: no calls");
	kids_release(&k);
}

/* Run SQL on a file, creating it: what an older build left is made by hand. */
static int sql_exec(const char *db, const char *q)
{
	sqlite3 *h = NULL;
	char *msg = NULL;
	int rc = sqlite3_open(db, &h);

	if (rc == SQLITE_OK && (rc = sqlite3_exec(h, q, NULL, NULL, &msg)) != SQLITE_OK)
		printf("# %s\n", msg ? msg : sqlite3_errmsg(h));
	sqlite3_free(msg);
	sqlite3_close(h);
	return rc;
}

/* The issuance table as schemas 2 and 3 had it: keyed WITHOUT ROWID, so a
 * row (the whole event with it) lands in key order; schema 4 made it a rowid
 * table (keying ""). Sightings are keyed WITHOUT ROWID in all three. */
#define OLD_SCHEMA(source, keying) \
	"PRAGMA journal_mode=WAL;" \
	"CREATE TABLE issuance (" \
	" key_id TEXT NOT NULL, start INTEGER NOT NULL, end_time INTEGER," \
	" event_id TEXT, event_name TEXT NOT NULL, shared_event_id TEXT," \
	" principal TEXT, account TEXT, session_name TEXT," \
	" caller_key TEXT, caller_type TEXT, caller_arn TEXT, caller_principal TEXT," \
	" caller_account TEXT, invoked_by TEXT, session_tags TEXT, transitive_keys TEXT," \
	" incoming_tags TEXT, source_identity TEXT, provider TEXT, subject TEXT, audience TEXT," \
	" event TEXT NOT NULL" source "," \
	" PRIMARY KEY (key_id, start))" keying ";" \
	"CREATE INDEX issuance_by_caller ON issuance (caller_key, start);" \
	"CREATE TABLE sighting (" \
	" key_id TEXT NOT NULL, principal TEXT NOT NULL, arn TEXT, type TEXT, account TEXT," \
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL," \
	" PRIMARY KEY (key_id, principal)) WITHOUT ROWID;" \
	"CREATE TABLE change (" \
	" subject TEXT NOT NULL, time INTEGER NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL," \
	" data TEXT, PRIMARY KEY (subject, event_id, kind)) WITHOUT ROWID;" \
	"CREATE INDEX change_by_time ON change (subject, time);"
#define SOURCES_V3 \
	"CREATE TABLE sources (source TEXT PRIMARY KEY, integrity TEXT NOT NULL, why TEXT," \
	" checked INTEGER NOT NULL);" \
	"CREATE TABLE digest_span (account TEXT NOT NULL, region TEXT NOT NULL," \
	" start INTEGER NOT NULL, end_time INTEGER NOT NULL, digest TEXT NOT NULL," \
	" PRIMARY KEY (account, region, digest)) WITHOUT ROWID;" \
	"CREATE TABLE listed_log (account TEXT NOT NULL, region TEXT NOT NULL, log TEXT NOT NULL," \
	" start INTEGER NOT NULL, end_time INTEGER NOT NULL, seen INTEGER NOT NULL," \
	" PRIMARY KEY (account, region, log)) WITHOUT ROWID;" \
	"INSERT INTO sources VALUES ('s3://b/log-1.json.gz', 'verified', NULL, 7);"
static const char ddl_v4[] =
	OLD_SCHEMA(", source TEXT", "") SOURCES_V3 "PRAGMA user_version = 4;";
static const char ddl_v3[] =
	OLD_SCHEMA(", source TEXT", " WITHOUT ROWID") SOURCES_V3 "PRAGMA user_version = 3;";
static const char ddl_v2[] = OLD_SCHEMA("", " WITHOUT ROWID") "PRAGMA user_version = 2;";

/* Rows an older build recorded: names, sizes and shapes vary (a key
 * recycled, a session issued by an account, a caller with three children). */
static void old_rows(const char *db, int with_source)
{
	static const char *const keys[] = { "ASIAOLDKEY0000000003", "ASIAOLDKEY0000000001",
					    "AKIAOLDLONGTERM00002", "ASIAOLDKEY0000000002" };
	char q[1024];
	int i;

	for (i = 0; i < 8; i++) {
		snprintf(q, sizeof(q),
			 "INSERT INTO issuance (key_id, start, end_time, event_id, event_name, principal,"
			 " caller_key, caller_type, event%s) VALUES ('%s', %d, %s, 'old-%d', 'AssumeRole',"
			 " 'arn:aws:iam::222233334444:role/R%d', %s, 'AssumedRole', '{\"n\":%d,\"pad\":\"%0*d\"}'%s)",
			 with_source ? ", source" : "", keys[i % 4], 1000 * (i + 1) + i, i % 3 ? "NULL" : "99999",
			 i, i, i % 2 ? "'ASIAOLDPARENT0000001'" : "NULL", i, 50 * (i + 1), i,
			 with_source ? ", 's3://b/log-1.json.gz'" : "");
		sql_exec(db, q);
	}
	sql_exec(db, "INSERT INTO sighting VALUES ('ASIAOLDKEY0000000001', 'arn:aws:iam::1:role/S',"
		     " NULL, 'AssumedRole', '1', 10, 20)");
}

static int old_child(void *ctx, const struct wdn_issuance *is)
{
	wdn_buf_addf(ctx, "child %s %lld;", is->key_id, (long long)is->start);
	return 0;
}

/* Everything a store answers about the old rows, as one line of text. */
static char *old_answers(struct wdn_store *s)
{
	static const char *const keys[] = { "ASIAOLDKEY0000000003", "ASIAOLDKEY0000000001",
					    "AKIAOLDLONGTERM00002", "ASIAOLDKEY0000000002",
					    "ASIANOSUCHKEY0000001" };
	static const int64_t at[] = { 0, 1500, 5005, 99999, WDN_TIME_MAX };
	struct wdn_buf b = WDN_BUF_INIT;
	struct wdn_issuance is;
	struct wdn_sighting si;
	int64_t next;
	size_t k, t;
	int integrity;

	for (k = 0; k < sizeof(keys) / sizeof(*keys); k++)
		for (t = 0; t < sizeof(at) / sizeof(*at); t++) {
			if (s->ops->get_issuance(s, keys[k], at[t], &is, NULL)) {
				wdn_buf_addf(&b, "none;");
				continue;
			}
			wdn_buf_addf(&b, "%s %lld %lld %s %s %s %s;", is.key_id, (long long)is.start,
				     (long long)is.end, is.event_id, is.caller_key ? is.caller_key : "-",
				     is.event, is.source ? is.source : "-");
			wdn_issuance_release(&is);
			if (!s->ops->next_issuance(s, keys[k], at[t], &next, NULL))
				wdn_buf_addf(&b, "next %lld;", (long long)next);
		}
	s->ops->children(s, "ASIAOLDPARENT0000001", old_child, &b, NULL);
	if (!s->ops->get_sighting(s, "ASIAOLDKEY0000000001", WDN_TIME_MAX, &si, NULL)) {
		wdn_buf_addf(&b, "seen %s %lld;", si.principal, (long long)si.first);
		wdn_sighting_release(&si);
	}
	if (!s->ops->get_source(s, "s3://b/log-1.json.gz", &integrity, NULL))
		wdn_buf_addf(&b, "source %d;", integrity);
	return wdn_buf_detach(&b, NULL);
}

static const char without_rowid[] =
	"SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name='issuance'";
static const char sightings_without_rowid[] =
	"SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name='sighting'";

/* An old store (schema version, keyed: is its table keyed WITHOUT ROWID?)
 * read as it is, then brought to schema 5 by a writer (*w): what the reader
 * answered, or NULL. */
static char *read_then_migrate(const char *db, const char *version, const char *keyed, struct wdn_store **w)
{
	struct wdn_store *r = NULL;
	struct wdn_err err;
	char *before = NULL;

	memset(&err, 0, sizeof(err));
	is_int(wdn_store_open(db, 0, NULL, &r, &err), 0, "a reader opens a schema %s store: %s", version,
	       err.msg);
	if (r) {
		before = old_answers(r);
		wdn_store_close(r);
	}
	is_sql(db, "PRAGMA user_version", version, "a reader leaves the store as it is");
	is_sql(db, keyed, "1", "the old table still keyed WITHOUT ROWID");
	*w = NULL;
	is_int(wdn_store_open(db, WDN_STORE_CREATE, NULL, w, &err), 0, "a writer opens a schema %s store: %s",
	       version, err.msg);
	is_sql(db, "PRAGMA user_version", "5", "and brings it to schema 5");
	is_sql(db, keyed, "0", "the table now a rowid table, rows in arrival order");
	return before;
}

/* Schema 3 (and 2) stores: read as they are, brought to 5 by a writer, in
 * one transaction, with the same answers before and after. */
static void test_old_schemas(void)
{
	char *db = path_in("v3.db"), *db2 = path_in("v2.db"), *before = NULL, *after = NULL;
	struct wdn_store *w = NULL, *w2 = NULL;
	struct wdn_issuance is;
	struct wdn_err err;

	memset(&err, 0, sizeof(err));
	sql_exec(db, ddl_v3);
	old_rows(db, 1);
	before = read_then_migrate(db, "3", without_rowid, &w);
	ok(before && strstr(before, "ASIAOLDKEY0000000001 2001 -9223372036854775808 old-1 ASIAOLDPARENT0000001") &&
	   strstr(before, "child ") && strstr(before, "seen ") && strstr(before, "source "),
	   "the reader answered from it");
	is_sql(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('issuance_by_caller', 'issuance_v4')",
	       "1", "the caller index kept, no table left over");
	is_sql(db, "SELECT COUNT(*) FROM issuance", "8", "every row kept");
	is_int(wdn_store_open(db, WDN_STORE_CREATE, NULL, &w2, &err), 0,
	       "a second writer finds it migrated: %s", err.msg);
	if (w2) {
		after = old_answers(w2);
		wdn_store_close(w2);
	}
	is_str(after ? after : "", before ? before : "-", "the same answers before and after");
	if (w) {
		/* the rank rule holds on migrated rows: the smaller event ID wins,
		 * a larger one does not replace it */
		is = issuance("ASIAOLDKEY0000000001", 2001, 3000, "old-0", "ASIAOLDPARENT0000001");
		put(w, &is);
		is = issuance("ASIAOLDKEY0000000001", 2001, 3000, "zzz", "ASIAOLDPARENT0000001");
		put(w, &is);
		if (!w->ops->get_issuance(w, "ASIAOLDKEY0000000001", 2500, &is, NULL)) {
			is_str(is.event_id, "old-0", "upsert on a migrated row: the higher rank wins");
			is_int(is.end, 3000, "and replaces the row");
			wdn_issuance_release(&is);
		} else {
			ok(0, "the migrated row is found");
		}
		wdn_store_close(w);
	}
	is_sql(db, "SELECT COUNT(*) FROM issuance", "8", "still one row per (key, start)");

	/* schema 2 to 3 to 4 to 5 in one go */
	sql_exec(db2, ddl_v2);
	old_rows(db2, 0);
	w = NULL;
	is_int(wdn_store_open(db2, WDN_STORE_CREATE, NULL, &w, &err), 0, "a writer opens a schema 2 store: %s",
	       err.msg);
	if (w)
		wdn_store_close(w);
	is_sql(db2, "PRAGMA user_version", "5", "and brings it to schema 5");
	is_sql(db2, without_rowid, "0", "rows in arrival order");
	is_sql(db2, "SELECT COUNT(*) || ' ' || COUNT(source) FROM issuance", "8 0",
	       "every row kept, the source column added");
	is_sql(db2, "SELECT COUNT(*) FROM sources", "0", "the sources table added");
	free(before);
	free(after);
	free(db);
	free(db2);
}

/* A schema 4 store (sightings keyed WITHOUT ROWID): read as it is, brought
 * to 5 by a writer with every sighting kept, the same answers, and the
 * sighting rules (first the least, last the most, the type kept) on its
 * migrated rows. */
static void test_schema4(void)
{
	static const char *const principals[] = { "arn:aws:iam::1:role/S", "arn:aws:iam::1:role/T",
						   "arn:aws:iam::1:user/u" };
	char *db = path_in("v4.db"), *before = NULL, *after = NULL, q[512];
	struct wdn_store *w = NULL;
	struct wdn_sighting si;
	struct wdn_err err;
	int i;

	memset(&err, 0, sizeof(err));
	sql_exec(db, ddl_v4);
	old_rows(db, 1);
	for (i = 0; i < 300; i++) { /* keys of every length AWS uses, 3 principals */
		snprintf(q, sizeof(q), "INSERT INTO sighting VALUES ('ASIAV4%0*d', '%s', NULL, 'AssumedRole',"
			 " '1', %d, %d)", 14 + i % 50, i, principals[i % 3], 10 * i, 10 * i + 5);
		sql_exec(db, q);
	}
	before = read_then_migrate(db, "4", sightings_without_rowid, &w);
	is_sql(db, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'sighting_v%'", "0", "no table left over");
	is_sql(db, "SELECT COUNT(*) || ' ' || SUM(first_seen) || ' ' || COUNT(DISTINCT principal) FROM sighting",
	       "301 448510 3", "every sighting kept, as it was");
	is_sql(db, "PRAGMA page_size", "4096", "an old store keeps its page size");
	if (w) {
		after = old_answers(w);
		is_str(after, before ? before : "-", "the same answers before and after");
		put_sighting(w, "ASIAV400000000000000003", principals[0], 3, 9000);
		if (!w->ops->get_sighting(w, "ASIAV400000000000000003", WDN_TIME_MAX, &si, NULL)) {
			ok(si.first == 3 && si.last == 9000 && !strcmp(si.type, "AssumedRole"),
			   "a migrated sighting seen again: its window widened, its type kept");
			wdn_sighting_release(&si);
		} else {
			ok(0, "the migrated sighting is found");
		}
		wdn_store_close(w);
	}
	is_sql(db, "SELECT COUNT(*) FROM sighting", "301", "still one row per (key, principal)");
	free(before);
	free(after);
	free(db);
}

/* A new store keeps issuances in the order they arrive, not key order: an
 * insert appends instead of splitting a page somewhere in the middle. */
static void test_arrival_order(const char *db)
{
	static const char *const keys[] = { "ASIAZZZARRIVAL000003", "ASIAAAAARRIVAL000001",
					    "ASIAMMMARRIVAL000002" };
	struct wdn_store *s;
	struct wdn_issuance is;
	size_t i;

	if (wdn_store_open(db, WDN_STORE_CREATE, NULL, &s, NULL)) {
		ok(0, "open a store");
		return;
	}
	for (i = 0; i < 3; i++) {
		is = issuance(keys[i], 100 + (int64_t)i, WDN_TIME_NONE, "arr", NULL);
		put(s, &is);
	}
	wdn_store_close(s);
	is_sql(db, "SELECT group_concat(key_id, ' ') FROM (SELECT key_id FROM issuance"
		   " WHERE key_id LIKE '%ARRIVAL%' ORDER BY rowid)",
	       "ASIAZZZARRIVAL000003 ASIAAAAARRIVAL000001 ASIAMMMARRIVAL000002", "rows lie in arrival order");
	is_sql(db, "PRAGMA user_version", "5", "a new store has schema 5");
}

int main(void)
{
	struct wdn_store *s;
	struct wdn_err err;
	char *db;

	(void)skip;
	if (!mkdtemp(tmpdir)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	test_open();
	test_default_path();
	db = path_in("main.db");
	memset(&err, 0, sizeof(err));
	if (wdn_store_open(db, WDN_STORE_CREATE, NULL, &s, &err)) {
		ok(0, "open the main store: %s", err.msg);
	} else {
		test_roundtrip(s);
		test_idempotent(s, db);
		test_recycled(s);
		test_sightings(s);
		test_children(s);
		test_changes(s, db);
		test_concurrent(s, db);
		test_snapshot(s, db);
		wdn_store_close(s);
		test_arrival_order(db);
	}
	test_old_schemas();
	test_schema4();
	free(db);
	rm_rf(tmpdir);
	ok(access(tmpdir, F_OK) != 0, "temporary directory removed");
	return done_testing();
}
