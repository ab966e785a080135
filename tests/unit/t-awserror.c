/* AWS error bodies as services send them: every error case of botocore's
 * protocol suites (awsJson 1.0 and 1.1, query, rest-xml) and its recorded
 * error responses, read in place from shared/testdata. */
#include "tap.h"
#include "wdn.h"
#include "aws.h"
#include "json.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

/* The X-Amzn-Errortype header of a case, whatever its case. */
static const char *type_header(yajl_val headers)
{
	size_t i;

	for (i = 0; headers && YAJL_IS_OBJECT(headers) && i < headers->u.object.len; i++)
		if (!strcasecmp(headers->u.object.keys[i], "x-amzn-errortype") &&
		    YAJL_IS_STRING(headers->u.object.values[i]))
			return headers->u.object.values[i]->u.string;
	return NULL;
}

static void protocol_suite(const char *dir, const char *name)
{
	char path[4096];
	size_t len, i, j;
	char *text;
	yajl_val doc;

	snprintf(path, sizeof(path), "%s/tests/unit/protocols/output/%s.json", dir, name);
	if (!(text = slurp(path, &len))) {
		skip("protocol suite absent");
		return;
	}
	doc = yajl_tree_parse(text, NULL, 0);
	free(text);
	for (i = 0; doc && YAJL_IS_ARRAY(doc) && i < doc->u.array.len; i++) {
		yajl_val cases = wdn_json_get(doc->u.array.values[i], "cases");

		for (j = 0; cases && YAJL_IS_ARRAY(cases) && j < cases->u.array.len; j++) {
			yajl_val c = cases->u.array.values[j];
			const char *code = wdn_json_str(c, "errorCode"), *msg = wdn_json_str(c, "errorMessage");
			const char *body = wdn_json_str(c, "response.body"), *given = wdn_json_str(c, "given.name");
			yajl_val st = wdn_json_get(c, "response.status_code");
			struct wdn_err err = { 0 };

			if (!code)
				continue;
			wdn_aws_parse_error(st && YAJL_IS_INTEGER(st) ? (long)YAJL_GET_INTEGER(st) : 400,
					    type_header(wdn_json_get(c, "response.headers")), body ? body : "",
					    body ? strlen(body) : 0, &err);
			is_str(err.aws_type, code, "%s %s: error code", name, given ? given : "?");
			if (msg)
				ok(strstr(err.msg, msg) != NULL, "%s %s: message '%s'", name, given ? given : "?", msg);
			ok(err.code == WDN_EAWS && err.http_status == (st ? (int)YAJL_GET_INTEGER(st) : 400),
			   "%s %s: an AWS error with its HTTP status", name, given ? given : "?");
		}
	}
	yajl_tree_free(doc);
}

/* response_parsing/{json,xml}/errors: each body with its expected Error.Code */
static void recorded_errors(const char *dir, const char *kind)
{
	char path[4096];
	struct dirent **names;
	int n, i;

	snprintf(path, sizeof(path), "%s/tests/unit/response_parsing/%s/errors", dir, kind);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		skip("recorded error bodies absent");
		return;
	}
	for (i = 0; i < n; i++) {
		const char *f = names[i]->d_name;
		size_t fl = strlen(f), blen, elen;
		struct wdn_buf bpath = WDN_BUF_INIT, epath = WDN_BUF_INIT;
		char *body, *exp;
		yajl_val want;

		if (fl < 6 || strcmp(f + fl - (kind[0] == 'j' ? 5 : 4), kind[0] == 'j' ? ".json" : ".xml")) {
			free(names[i]);
			continue;
		}
		wdn_buf_addf(&bpath, "%s/%s", path, f);
		if (kind[0] == 'j')
			wdn_buf_addf(&epath, "%s/tests/unit/response_parsing/json/expected/%s", dir, f);
		else
			wdn_buf_addf(&epath, "%s/%.*s.json", path, (int)(fl - 4), f);
		body = slurp(bpath.ptr, &blen);
		exp = slurp(epath.ptr, &elen);
		wdn_buf_release(&bpath);
		wdn_buf_release(&epath);
		want = exp ? yajl_tree_parse(exp, NULL, 0) : NULL;
		if (body && want && wdn_json_str(want, "Error.Code")) {
			struct wdn_err err = { 0 };

			wdn_aws_parse_error(400, NULL, body, blen, &err);
			is_str(err.aws_type, wdn_json_str(want, "Error.Code"), "%s error %s: code", kind, f);
			if (wdn_json_str(want, "Error.Message"))
				ok(strstr(err.msg, wdn_json_str(want, "Error.Message")) != NULL,
				   "%s error %s: message", kind, f);
		}
		yajl_tree_free(want);
		free(body);
		free(exp);
		free(names[i]);
	}
	free(names);
}

int main(void)
{
	const char *td = getenv("WDN_TESTDATA");
	char dir[4096];
	struct wdn_err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/botocore-fixtures", td ? td : "../shared/testdata");
	protocol_suite(dir, "json_1_0");
	protocol_suite(dir, "json");
	protocol_suite(dir, "query");
	protocol_suite(dir, "rest-xml");
	recorded_errors(dir, "json");
	recorded_errors(dir, "xml");

	/* our own cases: no body at all, a body that is neither */
	wdn_aws_parse_error(503, NULL, "", 0, &err);
	is_str(err.aws_type, "InternalError", "a bare 503 is an internal error");
	wdn_aws_parse_error(403, NULL, "<html>denied</html", 18, &err);
	is_str(err.aws_type, "AccessDenied", "a broken body with 403 is access denied");
	wdn_aws_parse_error(400, "ThrottlingException:http://internal.amazon.com/coral/x/", "{}", 2, &err);
	is_str(err.aws_type, "ThrottlingException", "the header's code, its namespace URL cut");
	ok(wdn_aws_throttling(err.aws_type), "and it is a throttling error, to retry");
	return done_testing();
}
