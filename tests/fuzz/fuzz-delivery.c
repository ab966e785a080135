/*
 * A delivered message (wdn-record --lambda/--sqs) through every check made
 * of what it claims: envelopes, SNS wrapping, S3, CloudTrail and EventBridge
 * notifications, bucket names and keys. No AWS client: a message that gets
 * past the checks to S3 fails there, never with a request. Whatever was
 * recorded went through an envelope that was checked or none at all.
 */
#include "wdn.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct wdn_recorder *rec;
static struct wdn_store *store;
static char dir[] = "/tmp/fuzz-delivery-XXXXXX";

/* the store is scratch: gone with the process */
static void cleanup(void)
{
	static const char *const files[] = { "s.db", "s.db-wal", "s.db-shm", "s.db-journal" };
	char path[64];
	size_t i;

	wdn_recorder_free(rec);
	wdn_store_close(store);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	(void)ctx;
	if (!rej->msg || !rej->input)
		abort();
}

static void on_failed(void *ctx, const char *message, const struct wdn_err *err)
{
	(void)ctx;
	if (!message || !err->msg[0])
		abort(); /* a failure that says nothing */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wdn_delivery d = { 0 };
	struct wdn_err err = { 0 };
	int rc;

	if (!rec) {
		char path[64];

		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/s.db", dir);
		if (wdn_store_sqlite_open(path, WDN_STORE_CREATE, &store, NULL) || !(rec = wdn_recorder_new(store)))
			abort();
		atexit(cleanup);
	}
	d.rec = rec;
	d.on_reject = on_reject;
	d.on_failed = on_failed;
	rc = wdn_delivery_message(&d, "fuzz", (const char *)data, size, &err);
	if (rc && !err.msg[0])
		abort();
	if (!rc && d.failed)
		abort(); /* acknowledged, yet counted failed */
	wdn_recorder_flush(rec, NULL);
	return 0;
}
