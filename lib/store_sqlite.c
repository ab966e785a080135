/*
 * The embedded store: one SQLite file, WAL so a cron writer and analysts'
 * readers share it, a busy timeout instead of "database is locked".
 */
#include "wdn.h"
#include "coverage.h"
#include "event.h"
#include "store.h"
#include "str.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION 5
/* A new store's page: a 2-3 KB issuance row and its neighbours share one,
 * and a commit writes a quarter as many pages as at SQLite's 4 KB. */
#define PAGE_SIZE 16384
/* A writer checkpoints the log into the file past this many bytes of it. */
#define CHECKPOINT_BYTES (32 << 20)
/* The page cache of a bulk writer (WDN_STORE_BULK), in KiB; SQLite's own is
 * 2000. A group's index pages are spread over the whole key order: a cache
 * of 2 MB or 1 MB misses alike, and the recorder's held sightings save more. */
#define BULK_CACHE_KIB 1000

/* Issuance columns in one place: the schema, the insert and the select share it. */
#define ISSUANCE_COLUMNS \
	"key_id, start, end_time, event_id, event_name, shared_event_id, principal, account, " \
	"session_name, caller_key, caller_type, caller_arn, caller_principal, caller_account, " \
	"invoked_by, session_tags, transitive_keys, incoming_tags, source_identity, provider, " \
	"subject, audience, event, source"
/* What a schema 2 store (no source column) is read through, in its place. */
#define ISSUANCE_COLUMNS_V2 \
	"key_id, start, end_time, event_id, event_name, shared_event_id, principal, account, " \
	"session_name, caller_key, caller_type, caller_arn, caller_principal, caller_account, " \
	"invoked_by, session_tags, transitive_keys, incoming_tags, source_identity, provider, " \
	"subject, audience, event, NULL"

/* Each log file a digest run verified or found tampered; each digest's span;
 * each log file a digest listed that a run did not read, until one does
 * (schema 3). */
#define SOURCES_TABLE \
	"CREATE TABLE IF NOT EXISTS sources (" \
	" source TEXT PRIMARY KEY, integrity TEXT NOT NULL, why TEXT, checked INTEGER NOT NULL);" \
	"CREATE TABLE IF NOT EXISTS digest_span (" \
	" account TEXT NOT NULL, region TEXT NOT NULL, start INTEGER NOT NULL," \
	" end_time INTEGER NOT NULL, digest TEXT NOT NULL," \
	" PRIMARY KEY (account, region, digest)) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS listed_log (" \
	" account TEXT NOT NULL, region TEXT NOT NULL, log TEXT NOT NULL, start INTEGER NOT NULL," \
	" end_time INTEGER NOT NULL, seen INTEGER NOT NULL," \
	" PRIMARY KEY (account, region, log)) WITHOUT ROWID;"

/* Schema 2 to 3: issuances learn their source, and sources their status. */
static const char migrate_2[] =
	"ALTER TABLE issuance ADD COLUMN source TEXT;"
	SOURCES_TABLE
	"PRAGMA user_version = 3;";

/*
 * Issuances lie in the order they arrive (a rowid table): an insert appends
 * to the last page. Keyed WITHOUT ROWID (schemas 2 and 3), each ~2 KB row
 * (the whole event) landed at a random place in key order and split a page,
 * a page a row, and every commit rewrote those pages into the log. The key
 * (key_id, start) stays unique, through its own small index.
 */
#define ISSUANCE_TABLE(name) \
	"CREATE TABLE IF NOT EXISTS " name " (" \
	" key_id TEXT NOT NULL, start INTEGER NOT NULL, end_time INTEGER," \
	" event_id TEXT, event_name TEXT NOT NULL, shared_event_id TEXT," \
	" principal TEXT, account TEXT, session_name TEXT," \
	" caller_key TEXT, caller_type TEXT, caller_arn TEXT, caller_principal TEXT," \
	" caller_account TEXT, invoked_by TEXT, session_tags TEXT, transitive_keys TEXT," \
	" incoming_tags TEXT, source_identity TEXT, provider TEXT, subject TEXT, audience TEXT," \
	" event TEXT NOT NULL, source TEXT," \
	" PRIMARY KEY (key_id, start));"
#define ISSUANCE_INDEX \
	"CREATE INDEX IF NOT EXISTS issuance_by_caller ON issuance (caller_key, start);"

/* Schema 3 to 4: the same rows and columns, in a rowid table. */
static const char migrate_3[] =
	ISSUANCE_TABLE("issuance_v4")
	"INSERT INTO issuance_v4 (" ISSUANCE_COLUMNS ") SELECT " ISSUANCE_COLUMNS " FROM issuance;"
	"DROP TABLE issuance;"
	"ALTER TABLE issuance_v4 RENAME TO issuance;"
	ISSUANCE_INDEX
	"PRAGMA user_version = 4;";

/*
 * Sightings too lie in the order they arrive (schema 5), unique by their
 * own index on (key_id, principal). A group's sightings are of keys spread
 * over the whole key order: keyed WITHOUT ROWID (schema 4 and before), each
 * group rewrote nearly every page of the table (17 MB on a 5 GB trail); now
 * it rewrites the index's pages, and appends its new rows at the end.
 */
#define SIGHTING_TABLE(name) \
	"CREATE TABLE IF NOT EXISTS " name " (" \
	" key_id TEXT NOT NULL, principal TEXT NOT NULL, arn TEXT, type TEXT, account TEXT," \
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL," \
	" PRIMARY KEY (key_id, principal));"
#define SIGHTING_COLUMNS "key_id, principal, arn, type, account, first_seen, last_seen"

/* Schema 4 to 5: the same sightings, in a rowid table. */
static const char migrate_4[] =
	SIGHTING_TABLE("sighting_v5")
	"INSERT INTO sighting_v5 (" SIGHTING_COLUMNS ") SELECT " SIGHTING_COLUMNS " FROM sighting;"
	"DROP TABLE sighting;"
	"ALTER TABLE sighting_v5 RENAME TO sighting;"
	"PRAGMA user_version = 5;";

static const char schema[] =
	ISSUANCE_TABLE("issuance")
	ISSUANCE_INDEX
	SIGHTING_TABLE("sighting")
	"CREATE TABLE IF NOT EXISTS change ("
	" subject TEXT NOT NULL, time INTEGER NOT NULL, event_id TEXT NOT NULL, kind TEXT NOT NULL,"
	" data TEXT, PRIMARY KEY (subject, event_id, kind)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS change_by_time ON change (subject, time);"
	SOURCES_TABLE
	"PRAGMA user_version = 5;";

/*
 * Recording is idempotent and order-free: a row is replaced only by a copy
 * that ranks higher, and the rank is a total order (a copy naming the caller's
 * key first, as the caller's account logs it, then the smaller event ID).
 * The same event read again takes the new reading's source, as a DynamoDB
 * item overwritten does: an answer names the copy last recorded.
 */
static const char sql_put_issuance[] =
	"INSERT INTO issuance (" ISSUANCE_COLUMNS ") VALUES "
	"(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24) "
	"ON CONFLICT (key_id, start) DO UPDATE SET "
	" end_time=excluded.end_time, event_id=excluded.event_id, event_name=excluded.event_name,"
	" shared_event_id=excluded.shared_event_id, principal=excluded.principal,"
	" account=excluded.account, session_name=excluded.session_name,"
	" caller_key=excluded.caller_key, caller_type=excluded.caller_type,"
	" caller_arn=excluded.caller_arn, caller_principal=excluded.caller_principal,"
	" caller_account=excluded.caller_account, invoked_by=excluded.invoked_by,"
	" session_tags=excluded.session_tags, transitive_keys=excluded.transitive_keys,"
	" incoming_tags=excluded.incoming_tags, source_identity=excluded.source_identity,"
	" provider=excluded.provider, subject=excluded.subject, audience=excluded.audience,"
	" event=excluded.event, source=excluded.source "
	"WHERE (excluded.caller_key IS NOT NULL) > (issuance.caller_key IS NOT NULL)"
	" OR ((excluded.caller_key IS NOT NULL) = (issuance.caller_key IS NOT NULL)"
	"     AND (COALESCE(excluded.event_id, '') < COALESCE(issuance.event_id, '')"
	"          OR (COALESCE(excluded.event_id, '') = COALESCE(issuance.event_id, '')"
	"              AND excluded.source IS NOT NULL)))";

static const char sql_put_sighting[] =
	"INSERT INTO sighting (" SIGHTING_COLUMNS ") "
	"VALUES (?1,?2,?3,?4,?5,?6,?7) ON CONFLICT (key_id, principal) DO UPDATE SET "
	" first_seen=MIN(first_seen, excluded.first_seen),"
	" last_seen=MAX(last_seen, excluded.last_seen),"
	" arn=MIN(COALESCE(arn, excluded.arn), COALESCE(excluded.arn, arn)),"
	" type=MIN(COALESCE(type, excluded.type), COALESCE(excluded.type, type)),"
	" account=MIN(COALESCE(account, excluded.account), COALESCE(excluded.account, account))";

/* The window that holds the time first, else the latest issued before it. */
static const char sql_get_within[] =
	"SELECT " ISSUANCE_COLUMNS " FROM issuance WHERE key_id=?1 AND start<=?2"
	" AND (end_time IS NULL OR end_time>=?2) ORDER BY start DESC LIMIT 1";
static const char sql_get_before[] =
	"SELECT " ISSUANCE_COLUMNS " FROM issuance WHERE key_id=?1 AND start<=?2"
	" ORDER BY start DESC LIMIT 1";
static const char sql_children[] =
	"SELECT " ISSUANCE_COLUMNS " FROM issuance WHERE caller_key=?1 ORDER BY start, key_id";
static const char sql_next_start[] =
	"SELECT start FROM issuance WHERE key_id=?1 AND start>?2 ORDER BY start LIMIT 1";
/* every principal of the key: which one is in use at a time is chosen in C,
 * by the rule the DynamoDB store shares */
static const char sql_get_sighting[] =
	"SELECT " SIGHTING_COLUMNS " FROM sighting WHERE key_id=?1";

/* Tampered stays tampered; an unverified copy never takes verified back. */
static const char sql_put_source[] =
	"INSERT INTO sources (source, integrity, why, checked) VALUES (?1,?2,?3,?4)"
	" ON CONFLICT (source) DO UPDATE SET integrity=excluded.integrity, why=excluded.why,"
	" checked=excluded.checked"
	" WHERE sources.integrity <> 'tampered' AND excluded.integrity <> 'unverified'";
static const char sql_get_source[] = "SELECT integrity FROM sources WHERE source=?1";
static const char sql_put_span[] =
	"INSERT INTO digest_span (account, region, start, end_time, digest) VALUES (?1,?2,?3,?4,?5)"
	" ON CONFLICT DO NOTHING";
/* only logs ever missing are kept; seen once, never missing again */
static const char sql_put_missing[] =
	"INSERT INTO listed_log (account, region, log, start, end_time, seen) VALUES (?1,?2,?3,?4,?5,0)"
	" ON CONFLICT DO NOTHING";
static const char sql_put_seen[] =
	"UPDATE listed_log SET seen=1 WHERE account=?1 AND region=?2 AND log=?3";
static const char sql_covers[] =
	"SELECT account, region, start, end_time, NULL FROM digest_span WHERE ?1 IS NULL OR account=?1"
	" UNION ALL SELECT account, region, start, end_time, log FROM listed_log"
	" WHERE seen=0 AND (?1 IS NULL OR account=?1)";

static const char sql_put_change[] =
	"INSERT INTO change (subject, time, event_id, kind, data) VALUES (?1,?2,?3,?4,?5)"
	" ON CONFLICT DO NOTHING";
static const char sql_changes[] =
	"SELECT subject, time, event_id, kind, data FROM change WHERE subject=?1 AND time<=?2"
	" ORDER BY time, event_id, kind";

enum { PUT_ISSUANCE, PUT_SIGHTING, GET_WITHIN, GET_BEFORE, CHILDREN, GET_SIGHTING, PUT_CHANGE,
       CHANGES, NEXT_START, PUT_SOURCE, GET_SOURCE, PUT_SPAN, PUT_MISSING, PUT_SEEN, COVERS,
       NSTMT };
static const char *const sql[NSTMT] = {
	sql_put_issuance, sql_put_sighting, sql_get_within, sql_get_before, sql_children,
	sql_get_sighting, sql_put_change, sql_changes, sql_next_start, sql_put_source, sql_get_source,
	sql_put_span, sql_put_missing, sql_put_seen, sql_covers,
};
/* The same reads of a schema 2 store, opened by a reader (who leaves it as it is). */
static const char *const sql_v2[NSTMT] = {
	[GET_WITHIN] = "SELECT " ISSUANCE_COLUMNS_V2 " FROM issuance WHERE key_id=?1 AND start<=?2"
		       " AND (end_time IS NULL OR end_time>=?2) ORDER BY start DESC LIMIT 1",
	[GET_BEFORE] = "SELECT " ISSUANCE_COLUMNS_V2 " FROM issuance WHERE key_id=?1 AND start<=?2"
		       " ORDER BY start DESC LIMIT 1",
	[CHILDREN] = "SELECT " ISSUANCE_COLUMNS_V2 " FROM issuance WHERE caller_key=?1"
		     " ORDER BY start, key_id",
};

struct sqlite_store {
	struct wdn_store base;
	sqlite3 *db;
	sqlite3_stmt *stmt[NSTMT];
	int version;  /* the schema it has: 2 or 3 read as it is, by a reader */
};

static int db_error(struct sqlite_store *s, struct wdn_err *err, const char *what)
{
	return wdn_err_set(err, WDN_ESTORE, "store '%s': %s: %s", s->base.where, what,
			   sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(struct sqlite_store *s, int which, struct wdn_err *err)
{
	const char *q = s->version < 3 && sql_v2[which] ? sql_v2[which] : sql[which];

	if (!s->stmt[which] &&
	    sqlite3_prepare_v3(s->db, q, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[which],
			       NULL) != SQLITE_OK) {
		db_error(s, err, "preparing a statement");
		return NULL;
	}
	sqlite3_reset(s->stmt[which]);
	sqlite3_clear_bindings(s->stmt[which]);
	return s->stmt[which];
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == WDN_TIME_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

/* A text column, or NULL for SQL NULL; a copy that cannot be made is counted
 * in *lost so that the row is not taken for one with the field absent. */
static char *col_text_n(sqlite3_stmt *st, int i, int *lost)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *s;

	if (!t)
		return NULL;
	if (!(s = wdn_strdup((const char *)t)) && lost)
		++*lost;
	return s;
}
#define col_text(st, i) col_text_n((st), (i), lost)

static int64_t col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? WDN_TIME_NONE : sqlite3_column_int64(st, i);
}

/* Returns how many fields could not be copied. */
static int row_issuance(sqlite3_stmt *st, struct wdn_issuance *is)
{
	int n = 0, *lost = &n;

	is->key_id = col_text(st, 0);
	is->start = col_time(st, 1);
	is->end = col_time(st, 2);
	is->event_id = col_text(st, 3);
	is->event_name = col_text(st, 4);
	is->shared_event_id = col_text(st, 5);
	is->principal = col_text(st, 6);
	is->account = col_text(st, 7);
	is->session_name = col_text(st, 8);
	is->caller_key = col_text(st, 9);
	is->caller_type = col_text(st, 10);
	is->caller_arn = col_text(st, 11);
	is->caller_principal = col_text(st, 12);
	is->caller_account = col_text(st, 13);
	is->invoked_by = col_text(st, 14);
	is->session_tags = col_text(st, 15);
	is->transitive_keys = col_text(st, 16);
	is->incoming_tags = col_text(st, 17);
	is->source_identity = col_text(st, 18);
	is->provider = col_text(st, 19);
	is->subject = col_text(st, 20);
	is->audience = col_text(st, 21);
	is->event = col_text(st, 22);
	is->source = col_text(st, 23);
	return n;
}

static int exec(struct sqlite_store *s, const char *q, struct wdn_err *err)
{
	if (sqlite3_exec(s->db, q, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, q);
	return 0;
}

static int sq_begin(struct wdn_store *st, struct wdn_err *err)
{
	/* IMMEDIATE takes the write lock up front, so a busy writer waits here
	 * (busy timeout) instead of failing at its first write */
	return exec((struct sqlite_store *)st, "BEGIN IMMEDIATE", err);
}

static int sq_commit(struct wdn_store *st, struct wdn_err *err)
{
	return exec((struct sqlite_store *)st, "COMMIT", err);
}

static int sq_rollback(struct wdn_store *st, struct wdn_err *err)
{
	return exec((struct sqlite_store *)st, "ROLLBACK", err);
}

static int sq_savepoint(struct wdn_store *st, int op, struct wdn_err *err)
{
	static const char *const what[] = {
		[WDN_SAVE_MARK] = "SAVEPOINT input",
		[WDN_SAVE_KEEP] = "RELEASE input",
		[WDN_SAVE_UNDO] = "ROLLBACK TO input; RELEASE input",
	};

	return exec((struct sqlite_store *)st, what[op], err);
}

static int sq_snapshot(struct wdn_store *st, int on, struct wdn_err *err)
{
	/* a deferred BEGIN takes the read lock at the first read and keeps it:
	 * lookups stop paying a WAL lock, a shared-memory check and an unlock
	 * each (a tenth of wdn-enrich's CPU) */
	return exec((struct sqlite_store *)st, on ? "BEGIN DEFERRED" : "COMMIT", err);
}

static int sq_put_issuance(struct wdn_store *st, const struct wdn_issuance *is, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = stmt(s, PUT_ISSUANCE, err);

	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, is->key_id);
	bind_time(q, 2, is->start);
	bind_time(q, 3, is->end);
	bind_text(q, 4, is->event_id);
	bind_text(q, 5, is->event_name);
	bind_text(q, 6, is->shared_event_id);
	bind_text(q, 7, is->principal);
	bind_text(q, 8, is->account);
	bind_text(q, 9, is->session_name);
	bind_text(q, 10, is->caller_key);
	bind_text(q, 11, is->caller_type);
	bind_text(q, 12, is->caller_arn);
	bind_text(q, 13, is->caller_principal);
	bind_text(q, 14, is->caller_account);
	bind_text(q, 15, is->invoked_by);
	bind_text(q, 16, is->session_tags);
	bind_text(q, 17, is->transitive_keys);
	bind_text(q, 18, is->incoming_tags);
	bind_text(q, 19, is->source_identity);
	bind_text(q, 20, is->provider);
	bind_text(q, 21, is->subject);
	bind_text(q, 22, is->audience);
	bind_text(q, 23, is->event);
	bind_text(q, 24, is->source);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_error(s, err, "recording an issuance");
	return 0;
}

static int sq_put_sighting(struct wdn_store *st, const struct wdn_sighting *si, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = stmt(s, PUT_SIGHTING, err);

	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, si->key_id);
	bind_text(q, 2, si->principal ? si->principal : "");
	bind_text(q, 3, si->arn);
	bind_text(q, 4, si->type);
	bind_text(q, 5, si->account);
	bind_time(q, 6, si->first);
	bind_time(q, 7, si->last);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_error(s, err, "recording a sighting");
	return 0;
}

static int sq_get_issuance(struct wdn_store *st, const char *key, int64_t at,
			   struct wdn_issuance *out, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int which, rc;

	memset(out, 0, sizeof(*out));
	for (which = GET_WITHIN; which <= GET_BEFORE; which++) {
		sqlite3_stmt *q = stmt(s, which, err);

		if (!q)
			return WDN_ESTORE;
		bind_text(q, 1, key);
		sqlite3_bind_int64(q, 2, at);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			int lost = row_issuance(q, out);

			sqlite3_reset(q);
			if (!lost)
				return 0;
			wdn_issuance_release(out);
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		}
		if (rc != SQLITE_DONE)
			return db_error(s, err, "looking up an issuance");
	}
	return WDN_ENOTFOUND;
}

static int sq_next_issuance(struct wdn_store *st, const char *key, int64_t after, int64_t *start,
			    struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = stmt(s, NEXT_START, err);
	int rc;

	*start = WDN_TIME_NONE;
	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, key);
	sqlite3_bind_int64(q, 2, after);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*start = col_time(q, 0);
	else if (rc != SQLITE_DONE)
		return db_error(s, err, "looking up an issuance");
	sqlite3_reset(q);
	return *start == WDN_TIME_NONE ? WDN_ENOTFOUND : 0;
}

static int sq_get_sighting(struct wdn_store *st, const char *key, int64_t at, struct wdn_sighting *out,
			   struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = stmt(s, GET_SIGHTING, err);
	struct wdn_sighting row;
	int rc, have = 0, n = 0, *lost = &n;

	memset(out, 0, sizeof(*out));
	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, key);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.key_id = col_text(q, 0);
		row.principal = col_text(q, 1);
		row.arn = col_text(q, 2);
		row.type = col_text(q, 3);
		row.account = col_text(q, 4);
		row.first = col_time(q, 5);
		row.last = col_time(q, 6);
		if (!have || wdn_sighting_prefer(&row, out, at)) {
			wdn_sighting_release(out);
			*out = row;
			have = 1;
		} else {
			wdn_sighting_release(&row);
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		wdn_sighting_release(out);
		return db_error(s, err, "looking up a sighting");
	}
	if (n) {
		wdn_sighting_release(out);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	return have ? 0 : WDN_ENOTFOUND;
}

static int sq_children(struct wdn_store *st, const char *key, wdn_issuance_fn cb, void *ctx,
		       struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	struct wdn_issuance *rows = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0, lost = 0;

	/* collect first: the callback may walk further and reuse the statement */
	if (!(q = stmt(s, CHILDREN, err)))
		return WDN_ESTORE;
	bind_text(q, 1, key);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			struct wdn_issuance *nr = realloc(rows, (cap = cap ? cap * 2 : 16) * sizeof(*nr));

			if (!nr) {
				rc = WDN_ENOMEM;
				break;
			}
			rows = nr;
		}
		lost += row_issuance(q, &rows[n++]);
	}
	if (rc == SQLITE_DONE)
		rc = lost ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : 0;
	else if (rc != WDN_ENOMEM)
		rc = db_error(s, err, "listing sessions");
	sqlite3_reset(q);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = cb(ctx, &rows[i]);
		wdn_issuance_release(&rows[i]);
	}
	free(rows);
	return rc;
}

static int sq_put_change(struct wdn_store *st, const struct wdn_change *c, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q = stmt(s, PUT_CHANGE, err);

	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, c->subject);
	bind_time(q, 2, c->time);
	bind_text(q, 3, c->event_id ? c->event_id : "");
	bind_text(q, 4, c->kind);
	bind_text(q, 5, c->data);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_error(s, err, "recording a change");
	return 0;
}

static int sq_changes(struct wdn_store *st, const char *subject, int64_t until, wdn_change_fn cb,
		      void *ctx, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct wdn_change *rows = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *q;
	int rc, nlost = 0, *lost = &nlost;

	/* collect first: a callback may query the store again (renames) */
	if (!(q = stmt(s, CHANGES, err)))
		return WDN_ESTORE;
	bind_text(q, 1, subject);
	sqlite3_bind_int64(q, 2, until);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			struct wdn_change *nr = realloc(rows, (cap = cap ? cap * 2 : 16) * sizeof(*nr));

			if (!nr) {
				rc = WDN_ENOMEM;
				break;
			}
			rows = nr;
		}
		rows[n].subject = col_text(q, 0);
		rows[n].time = col_time(q, 1);
		rows[n].event_id = col_text(q, 2);
		rows[n].kind = col_text(q, 3);
		rows[n].data = col_text(q, 4);
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = nlost ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : 0;
	else if (rc != WDN_ENOMEM)
		rc = db_error(s, err, "reading changes");
	sqlite3_reset(q);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = cb(ctx, &rows[i]);
		wdn_change_release(&rows[i]);
	}
	free(rows);
	return rc;
}

static int sq_put_source(struct wdn_store *st, const char *source, int integrity, const char *why,
			 int64_t checked, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;

	if (integrity == WDN_INTEGRITY_UNVERIFIED)
		return 0; /* what a source not kept is */
	if (!(q = stmt(s, PUT_SOURCE, err)))
		return WDN_ESTORE;
	bind_text(q, 1, source);
	bind_text(q, 2, wdn_integrity_name(integrity));
	bind_text(q, 3, why);
	sqlite3_bind_int64(q, 4, checked);
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_error(s, err, "recording a source's integrity");
	return 0;
}

static int sq_get_source(struct wdn_store *st, const char *source, int *integrity,
			 struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	sqlite3_stmt *q;
	int rc;

	*integrity = WDN_INTEGRITY_UNVERIFIED;
	if (s->version < 3)
		return WDN_ENOTFOUND; /* a store from before sources were kept */
	if (!(q = stmt(s, GET_SOURCE, err)))
		return WDN_ESTORE;
	bind_text(q, 1, source);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(q, 0);

		*integrity = wdn_integrity_parse(t ? (const char *)t : "");
	} else if (rc != SQLITE_DONE) {
		return db_error(s, err, "looking up a source");
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : WDN_ENOTFOUND;
}

static int sq_put_cover(struct wdn_store *st, const struct wdn_cover *c, struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int which = !c->log ? PUT_SPAN : c->seen ? PUT_SEEN : PUT_MISSING;
	sqlite3_stmt *q = stmt(s, which, err);

	if (!q)
		return WDN_ESTORE;
	bind_text(q, 1, c->account);
	bind_text(q, 2, c->region);
	if (which == PUT_SPAN) {
		sqlite3_bind_int64(q, 3, c->start);
		sqlite3_bind_int64(q, 4, c->end);
		bind_text(q, 5, c->digest);
	} else {
		bind_text(q, 3, c->log);
		if (which == PUT_MISSING) {
			sqlite3_bind_int64(q, 4, c->start);
			sqlite3_bind_int64(q, 5, c->end);
		}
	}
	if (sqlite3_step(q) != SQLITE_DONE)
		return db_error(s, err, "recording what digests cover");
	return 0;
}

static int sq_covers(struct wdn_store *st, const char *account, wdn_cover_fn cb, void *ctx,
		     struct wdn_err *err)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct wdn_cover *rows = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *q;
	int rc, nlost = 0, *lost = &nlost;

	if (s->version < 3)
		return 0; /* a store from before coverage was kept: nothing known */
	if (!(q = stmt(s, COVERS, err)))
		return WDN_ESTORE;
	bind_text(q, 1, account);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			struct wdn_cover *nr = realloc(rows, (cap = cap ? cap * 2 : 64) * sizeof(*nr));

			if (!nr) {
				rc = WDN_ENOMEM;
				break;
			}
			rows = nr;
		}
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].account = col_text(q, 0);
		rows[n].region = col_text(q, 1);
		rows[n].start = col_time(q, 2);
		rows[n].end = col_time(q, 3);
		rows[n].log = col_text(q, 4);
		n++;
	}
	if (rc == SQLITE_DONE)
		rc = nlost ? WDN_ENOMEM : 0; /* a copy lost is not a field absent */
	else if (rc != WDN_ENOMEM)
		rc = db_error(s, err, "reading what digests cover");
	sqlite3_reset(q);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = rows[i].account && rows[i].region ? cb(ctx, &rows[i]) : WDN_ENOMEM;
		free((char *)rows[i].account);
		free((char *)rows[i].region);
		free((char *)rows[i].log);
	}
	free(rows);
	return rc;
}

static void sq_close(struct wdn_store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	int i;

	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->base.where);
	free(s);
}

static const struct wdn_store_ops sqlite_ops = {
	.kind = "sqlite",
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.put_issuance = sq_put_issuance,
	.put_sighting = sq_put_sighting,
	.get_issuance = sq_get_issuance,
	.next_issuance = sq_next_issuance,
	.get_sighting = sq_get_sighting,
	.put_change = sq_put_change,
	.changes = sq_changes,
	.children = sq_children,
	.put_source = sq_put_source,
	.get_source = sq_get_source,
	.put_cover = sq_put_cover,
	.covers = sq_covers,
	.close = sq_close,
	.snapshot = sq_snapshot,
};

/* The store's schema version (0: an empty file). A file that cannot be read
 * (not a database, cut short, its log's shared memory not to be made) is an
 * error that says why, never taken for an empty store. */
static int user_version(struct sqlite_store *s, int *version, struct wdn_err *err)
{
	sqlite3_stmt *q;
	int rc;

	*version = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		return db_error(s, err, "reading the schema version");
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*version = sqlite3_column_int(q, 0);
	else
		db_error(s, err, "reading the schema version");
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : WDN_ESTORE;
}

/* Schema 2, 3 or 4 to 5, unless another writer did it first (it holds the
 * lock): all steps in one transaction, so a store is never half migrated. */
static int migrate(struct sqlite_store *s, struct wdn_err *err)
{
	int version = 0, rc = 0;

	if ((rc = exec(s, "BEGIN IMMEDIATE", err)))
		return rc;
	if ((rc = user_version(s, &version, err))) {
		exec(s, "ROLLBACK", NULL);
		return rc;
	}
	if ((version == 2 && (rc = exec(s, migrate_2, err))) ||
	    ((version == 2 || version == 3) && (rc = exec(s, migrate_3, err))) ||
	    (version >= 2 && version <= 4 && (rc = exec(s, migrate_4, err)))) {
		exec(s, "ROLLBACK", NULL);
		return rc;
	}
	return exec(s, "COMMIT", err);
}

/* A writer's log and, for a new store, its page size (an older store keeps
 * the one it has). The log is checkpointed past CHECKPOINT_BYTES, not
 * SQLite's 1000 pages: a page that many inputs' transactions change is
 * copied into the file fewer times; each commit is as durable as before
 * (the log is what makes it so). */
static int writer_settings(struct sqlite_store *s, int version, int flags, struct wdn_err *err)
{
	char q[64];
	sqlite3_stmt *p;
	int page = 0;

	snprintf(q, sizeof(q), "PRAGMA page_size=%d", PAGE_SIZE);
	if ((!version && exec(s, q, err)) ||
	    exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", err))
		return WDN_ESTORE;
	snprintf(q, sizeof(q), "PRAGMA cache_size=%d", -BULK_CACHE_KIB);
	if ((flags & WDN_STORE_BULK) && exec(s, q, err))
		return WDN_ESTORE;
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &p, NULL) != SQLITE_OK)
		return db_error(s, err, "reading the page size");
	if (sqlite3_step(p) == SQLITE_ROW)
		page = sqlite3_column_int(p, 0);
	sqlite3_finalize(p);
	snprintf(q, sizeof(q), "PRAGMA wal_autocheckpoint=%d", CHECKPOINT_BYTES / (page > 0 ? page : 4096));
	return exec(s, q, err);
}

/* SQLite counts every allocation under one process-wide mutex, for
 * statistics we never read: workers with a store each (wdn-enrich -j) waited
 * on one another there. Off before SQLite starts (later it cannot be). */
static void sq_global_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int wdn_store_sqlite_open(const char *path, int flags, struct wdn_store **out, struct wdn_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	struct sqlite_store *s;
	int version = 0, fd;

	*out = NULL;
	if (access(path, F_OK)) {
		if (!(flags & WDN_STORE_CREATE))
			return wdn_err_set(err, WDN_ENOTFOUND, "no store at '%s'", path);
		/* create it private before SQLite does, whatever the umask */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return wdn_err_set(err, WDN_EIO, "cannot create store '%s': %s", path,
					   strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->base.where = wdn_strdup(path))) {
		free(s);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	s->base.ops = &sqlite_ops;
	pthread_once(&once, sq_global_init);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		wdn_err_set(err, WDN_ESTORE, "cannot open store '%s': %s", path,
			    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return WDN_ESTORE;
	}
	sqlite3_busy_timeout(s->db, 30000);
	if (user_version(s, &version, err)) {
		sq_close(&s->base);
		return WDN_ESTORE;
	}
	if (version == 1) {
		/* schema 1 was never released: no migration, a clear word instead */
		wdn_err_set(err, WDN_ESTORE, "store '%s' has schema %d from a development build; "
			    "record into a new store", path, version);
		sq_close(&s->base);
		return WDN_ESTORE;
	}
	if (version > SCHEMA_VERSION) {
		wdn_err_set(err, WDN_ESTORE, "store '%s' has schema %d, newer than this build knows (%d)",
			    path, version, SCHEMA_VERSION);
		sq_close(&s->base);
		return WDN_ESTORE;
	}
	/* readers leave an empty or old store alone; writers set it up, or
	 * bring a schema 2, 3 or 4 store up to date (in one transaction) */
	if ((flags & WDN_STORE_CREATE) &&
	    (writer_settings(s, version, flags, err) || (!version && exec(s, schema, err)) ||
	     (version && version < SCHEMA_VERSION && migrate(s, err)))) {
		sq_close(&s->base);
		return WDN_ESTORE;
	}
	s->version = (flags & WDN_STORE_CREATE) || !version ? SCHEMA_VERSION : version;
	if (!(flags & WDN_STORE_CREATE) && !version) {
		wdn_err_set(err, WDN_ENOTFOUND, "store '%s' is empty", path);
		sq_close(&s->base);
		return WDN_ENOTFOUND;
	}
	*out = &s->base;
	return 0;
}
