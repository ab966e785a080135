/*
 * Inputs recorded in a group (wdn-record on SQLite: one transaction, each
 * input's issuances and changes held until it is read whole, its sightings
 * folded in memory) against the same inputs recorded one at a time, each
 * its own transaction: the two stores must hold the same records. The
 * fuzz input is up to 8 inputs, split at NUL bytes; an input its reader
 * refuses (cut short, not JSON) is discarded by both.
 */
#include "wdn.h"
#include "recorder.h"
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INPUTS 8

static struct wdn_store *grouped, *each;
static sqlite3 *gdb, *edb; /* the same stores, read on their own */
static char dir[] = "/tmp/fuzz-group-XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = { "g.db", "g.db-wal", "g.db-shm", "e.db", "e.db-wal", "e.db-shm" };
	char path[64];
	size_t i;

	sqlite3_close(gdb);
	sqlite3_close(edb);
	wdn_store_close(grouped);
	wdn_store_close(each);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void open_one(const char *name, struct wdn_store **s, sqlite3 **db)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (wdn_store_sqlite_open(path, WDN_STORE_CREATE, s, NULL) ||
	    sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		abort();
	sqlite3_busy_timeout(*db, 10000);
}

struct run {
	struct wdn_recorder *r;
	int rc; /* a failure not the input's: memory, the store */
};

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct run *u = ctx;
	struct wdn_err err = { 0 };
	int rc = wdn_recorder_event(u->r, ev, NULL, &err);

	if (rc == WDN_EINVAL) /* a bad record: rejected, the rest read */
		return 0;
	return u->rc = rc;
}

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	(void)ctx;
	(void)rej;
}

/* One input: kept when read whole, discarded when not. */
static int record_one(struct wdn_recorder *r, const uint8_t *p, size_t n)
{
	struct run u = { r, 0 };
	struct wdn_err err = { 0 };
	struct wdn_reader *rd = wdn_reader_new("fuzz", on_event, on_reject, &u);
	int rc;

	if (!rd)
		return WDN_ENOMEM;
	rc = wdn_reader_feed(rd, p, n);
	if (!rc)
		rc = wdn_reader_finish(rd, &err);
	wdn_reader_free(rd);
	if (u.rc)
		return u.rc;
	if (rc)
		return wdn_recorder_discard(r, &err);
	return wdn_recorder_keep_input(r, &err);
}

/* Every input, grouped or not; 0 when all went (kept or discarded). */
static int record_all(struct wdn_store *s, int group, const uint8_t **at, const size_t *len, size_t n)
{
	struct wdn_recorder *r = wdn_recorder_new(s);
	struct wdn_err err = { 0 };
	size_t i;
	int rc = 0;

	if (!r)
		return WDN_ENOMEM;
	if (group && !wdn_recorder_group(r, 1))
		abort();
	for (i = 0; i < n && !rc; i++)
		rc = record_one(r, at[i], len[i]);
	wdn_recorder_group(r, 0);
	if (!rc)
		rc = wdn_recorder_flush(r, &err);
	if (rc && s->ops->rollback)
		s->ops->rollback(s, NULL);
	wdn_recorder_free(r);
	return rc;
}

static void dump(sqlite3 *db, struct wdn_buf *out)
{
	static const char *const q[] = {
		"SELECT * FROM issuance ORDER BY key_id, start",
		"SELECT * FROM change ORDER BY subject, event_id, kind",
		"SELECT * FROM sighting ORDER BY key_id, principal",
	};
	sqlite3_stmt *st;
	size_t i;
	int c;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) != SQLITE_OK)
			abort();
		while (sqlite3_step(st) == SQLITE_ROW)
			for (c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *v = sqlite3_column_text(st, c);

				wdn_buf_addf(out, "%s%c", v ? (const char *)v : "(null)",
					     c + 1 < sqlite3_column_count(st) ? '|' : '\n');
			}
		sqlite3_finalize(st);
	}
}

static void empty(sqlite3 *db)
{
	if (sqlite3_exec(db, "DELETE FROM issuance; DELETE FROM change; DELETE FROM sighting",
			 NULL, NULL, NULL) != SQLITE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *at[INPUTS], *p = data, *end = data + size, *nul;
	size_t len[INPUTS], n = 0;
	struct wdn_buf g = WDN_BUF_INIT, e = WDN_BUF_INIT;

	if (!grouped) {
		if (!mkdtemp(dir))
			abort();
		open_one("g.db", &grouped, &gdb);
		open_one("e.db", &each, &edb);
		atexit(cleanup);
	}
	while (n < INPUTS && p <= end) {
		nul = n + 1 < INPUTS ? memchr(p, 0, (size_t)(end - p)) : NULL;
		at[n] = p;
		len[n] = (size_t)((nul ? nul : end) - p);
		n++;
		if (!nul)
			break;
		p = nul + 1;
	}
	empty(gdb);
	empty(edb);
	if (!record_all(grouped, 1, at, len, n) && !record_all(each, 0, at, len, n)) {
		dump(gdb, &g);
		dump(edb, &e);
		if (wdn_buf_failed(&g) || wdn_buf_failed(&e))
			abort();
		if (g.len != e.len || memcmp(g.ptr, e.ptr, g.len)) {
			fprintf(stderr, "grouped:\n%.*s\none at a time:\n%.*s\n", (int)g.len, g.ptr,
				(int)e.len, e.ptr);
			abort();
		}
	}
	wdn_buf_release(&g);
	wdn_buf_release(&e);
	return 0;
}
