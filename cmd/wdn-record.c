/* wdn-record: store the credential-issuing CloudTrail events of its inputs. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char synopsis[] =
	"usage: wdn-record [-q] [--store URL] [--reject FILE] [--profile NAME]\n"
	"                  [--region REGION] [--endpoint-url URL] [INPUT ...]\n";

enum { OPT_REJECT = CLI_OPT_CMD };
static const struct option options[] = {
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ NULL, 0, NULL, 0 },
};

struct run {
	struct cli cli;
	struct wdn_store *store;
	struct wdn_recorder *rec;
	const char *input;
	struct wdn_reader *reader;
	uint64_t inputs, events, rejected;
	int failed;     /* the store failed: stop */
};

static void on_reject(void *ctx, const struct wdn_reject *rej)
{
	struct run *r = ctx;

	r->rejected++;
	cli_reject(&r->cli, rej);
}

static void print_issuance(struct run *r, const struct wdn_issuance *is)
{
	yajl_gen g = cli_gen(&r->cli, 0);

	yajl_gen_map_open(g);
	wdn_gen_key(g, "AccessKeyId");
	wdn_gen_str(g, is->key_id);
	wdn_gen_key(g, "Principal");
	wdn_gen_str(g, is->principal);
	wdn_gen_key(g, "SessionName");
	wdn_gen_str(g, is->session_name);
	wdn_gen_key(g, "CallerAccessKeyId");
	wdn_gen_str(g, is->caller_key);
	wdn_gen_key(g, "EventName");
	wdn_gen_str(g, is->event_name);
	wdn_gen_key(g, "EventID");
	wdn_gen_str(g, is->event_id);
	wdn_gen_key(g, "Start");
	wdn_gen_time(g, is->start);
	wdn_gen_key(g, "End");
	wdn_gen_time(g, is->end);
	yajl_gen_map_close(g);
	cli_gen_end(&r->cli);
}

static void print_change(struct run *r, const struct wdn_change *c)
{
	yajl_gen g = cli_gen(&r->cli, 0);

	yajl_gen_map_open(g);
	wdn_gen_key(g, "Subject");
	wdn_gen_str(g, c->subject);
	wdn_gen_key(g, "Change");
	wdn_gen_str(g, c->kind);
	wdn_gen_key(g, "Data");
	if (!c->data || wdn_json_gen_text(g, c->data, strlen(c->data)))
		yajl_gen_null(g);
	wdn_gen_key(g, "EventID");
	wdn_gen_str(g, c->event_id);
	wdn_gen_key(g, "Time");
	wdn_gen_time(g, c->time);
	yajl_gen_map_close(g);
	cli_gen_end(&r->cli);
}

static int on_event(void *ctx, const struct wdn_event *ev)
{
	struct run *r = ctx;
	struct wdn_record_result res;
	struct wdn_err err = { 0 };
	int rc = wdn_recorder_event(r->rec, ev, &res, &err);

	if (rc == WDN_EINVAL) {
		/* a malformed issuing event: reject it, keep the rest */
		struct wdn_reject rej = { ev->input, ev->record, 0, ev->raw, err.msg };

		on_reject(r, &rej);
		return 0;
	}
	if (rc) {
		cli_fail(&r->cli, "%s", err.msg);
		r->failed = 1;
		return rc;
	}
	if (!r->cli.quiet) {
		size_t i;

		for (i = 0; i < res.nchanges; i++)
			print_change(r, &res.changes[i]);
		if (res.issuance)
			print_issuance(r, res.issuance);
	}
	return 0;
}

static int record_fd(struct run *r, int fd, const char *name)
{
	struct wdn_err err = { 0 };
	struct wdn_reader *rd = wdn_reader_new(name, on_event, on_reject, r);
	uint64_t events;
	int rc;

	if (!rd) {
		cli_fail(&r->cli, "out of memory");
		return -1;
	}
	rc = wdn_reader_read_fd(rd, fd, &err);
	wdn_reader_counts(rd, &events, NULL, NULL);
	wdn_reader_free(rd);
	r->events += events;
	r->inputs++;
	if (rc == WDN_EIO)
		cli_fail(&r->cli, "cannot read '%s': %s", name, err.msg);
	/* one transaction per input: what was read of it is kept */
	if (!r->failed && wdn_recorder_flush(r->rec, &err)) {
		cli_fail(&r->cli, "%s", err.msg);
		r->failed = 1;
	}
	return r->failed ? -1 : 0;
}

static int record_file(void *ctx, const char *path)
{
	struct run *r = ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		cli_fail(&r->cli, "cannot open '%s': %s", path, strerror(errno));
		return 0;
	}
	rc = record_fd(r, fd, path);
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	struct wdn_err err = { 0 };
	uint64_t issuances, sightings, changes;
	int o, i;

	cli_init(&r.cli, "wdn-record", synopsis);
	while ((o = cli_getopt(&r.cli, argc, argv, "", options)) != -1)
		if (o == OPT_REJECT && cli_open_reject(&r.cli, optarg))
			return cli_exit(&r.cli);
	if (cli_open_store(&r.cli, WDN_STORE_CREATE, &r.store))
		return cli_status(&r.cli, EXIT_FAIL), cli_exit(&r.cli);
	if (!(r.rec = wdn_recorder_new(r.store))) {
		cli_fail(&r.cli, "out of memory");
		goto out;
	}
	if (optind == argc)
		record_fd(&r, 0, "-");
	for (i = optind; i < argc && !r.failed; i++) {
		if (!strcmp(argv[i], "-"))
			record_fd(&r, 0, "-");
		else if (!strncmp(argv[i], "s3://", 5))
			cli_fail(&r.cli, "'%s': s3:// inputs are not available in this build", argv[i]);
		else if (wdn_input_walk(argv[i], record_file, &r, &err) && !r.failed)
			cli_fail(&r.cli, "%s", err.msg);
	}
	wdn_recorder_counts(r.rec, &issuances, &sightings, &changes);
	if (!r.cli.quiet)
		fprintf(stderr, "wdn-record: %llu inputs, %llu events, %llu issuances, "
			"%llu changes, %llu keys seen, %llu rejected\n", (unsigned long long)r.inputs,
			(unsigned long long)r.events, (unsigned long long)issuances,
			(unsigned long long)changes, (unsigned long long)sightings,
			(unsigned long long)r.rejected);
out:
	wdn_recorder_free(r.rec);
	wdn_store_close(r.store);
	return cli_exit(&r.cli);
}
