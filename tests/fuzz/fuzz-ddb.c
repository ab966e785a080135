/*
 * DynamoDB answers as the store reads them: any bytes as a Query,
 * BatchGetItem or BatchWriteItem response go through the same item readers,
 * choosers and read cache as real ones. The backend's internals are static,
 * so it is compiled in here.
 */
#define wdn_store_dynamodb_open fuzz_dynamodb_open
#define wdn_store_dynamodb_create fuzz_dynamodb_create
#define wdn_ddb_call fuzz_ddb_call
#include "../../lib/store_dynamodb.c"

static int count_change(void *ctx, const struct wdn_change *c)
{
	size_t *n = ctx;

	*n += strlen(c->kind) + (c->data ? strlen(c->data) : 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ddb_store s = { 0 };
	struct pick p;
	struct fold f = { NULL, 0 };
	struct children c = { NULL, NULL, 0 };
	struct cached part = { 0 }, *asked;
	struct wdn_issuance is;
	struct wdn_buf resp;
	yajl_val v, items;
	size_t i, n = 0;

	if (!(v = wdn_json_parse((const char *)data, size, NULL)))
		return 0;
	memset(&p, 0, sizeof(p));
	p.at = WDN_TIME_MAX;
	p.within.start = p.before.start = WDN_TIME_NONE;
	items = wdn_json_get(v, "Items");
	for (i = 0; items && YAJL_IS_ARRAY(items) && i < items->u.array.len; i++) {
		pick_cb(&p, items->u.array.values[i]);
		fold_cb(&f, items->u.array.values[i]);
		child_cb(&c, items->u.array.values[i]);
		if (cache_keep(&part, items->u.array.values[i], &s.cached_bytes))
			break;
	}
	/* the same items as a cached partition: changes, and the key's pick */
	walk_changes("s", part.items, part.nitems, WDN_TIME_MAX, count_change, &n);
	if (!pick_from(&part, 1600000000, &is))
		wdn_issuance_release(&is);
	if (part.nitems && covers(part.items[0], 1600000000) && whole_issuance(part.items[0])) {
		item_issuance(part.items[0], &is);
		wdn_issuance_release(&is);
	}
	cache_forget_items(&part);
	wdn_issuance_release(&p.within);
	wdn_issuance_release(&p.before);
	for (i = 0; i < f.n; i++)
		wdn_sighting_release(&f.v[i]);
	free(f.v);
	for (i = 0; i < c.n; i++)
		wdn_issuance_release(&c.v[i]);
	free(c.v);
	free(c.rank);
	wdn_json_free(v);

	/* an answer's UnprocessedItems go back on the pending list */
	s.table = "t";
	resp.ptr = (char *)data;
	resp.len = size;
	requeue(&s, &resp, NULL);
	for (i = 0; i < s.npending; i++)
		free(s.pending[i]);
	free(s.pending);

	/* and as a BatchGetItem answer to two keys asked */
	if ((asked = cache_add(&s, "K#A", "I")))
		asked->pending = READ_ASKED;
	if ((asked = cache_add(&s, "C#x", "H")))
		asked->pending = READ_ASKED;
	take_answer(&s, (const char *)data, size, NULL);
	cache_clear(&s);
	free(s.cache);
	return 0;
}
