/*
 * The credential chain, in the AWS CLI's order: environment, then the
 * profile (static keys, credential_process), each source named in the error
 * when none gives credentials.
 */
#include "wdn.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <yajl/yajl_tree.h>

void wdn_creds_release(struct wdn_creds *c)
{
	if (c->secret)
		sodium_memzero(c->secret, strlen(c->secret));
	if (c->token)
		sodium_memzero(c->token, strlen(c->token));
	free(c->key_id);
	free(c->secret);
	free(c->token);
	memset(c, 0, sizeof(*c));
	c->expires = WDN_TIME_NONE;
}

static int from_env(struct wdn_creds *c)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (!id || !*id || !secret || !*secret)
		return WDN_ENOTFOUND;
	c->key_id = wdn_strdup(id);
	c->secret = wdn_strdup(secret);
	c->token = token && *token ? wdn_strdup(token) : NULL;
	c->expires = WDN_TIME_NONE;
	snprintf(c->source, sizeof(c->source), "environment");
	return 0;
}

/* Static keys: the credentials file's [NAME], then the config file's profile. */
static int from_profile_keys(struct wdn_aws *a, struct wdn_creds *c)
{
	char *path = wdn_aws_credentials_path();
	const char *profile = wdn_aws_profile(a);

	c->key_id = wdn_ini_get(path, profile, "aws_access_key_id");
	c->secret = wdn_ini_get(path, profile, "aws_secret_access_key");
	c->token = wdn_ini_get(path, profile, "aws_session_token");
	free(path);
	if (!c->key_id || !c->secret) {
		wdn_creds_release(c);
		c->key_id = wdn_aws_profile_get(a, "aws_access_key_id");
		c->secret = wdn_aws_profile_get(a, "aws_secret_access_key");
		c->token = wdn_aws_profile_get(a, "aws_session_token");
	}
	if (!c->key_id || !c->secret) {
		wdn_creds_release(c);
		return WDN_ENOTFOUND;
	}
	c->expires = WDN_TIME_NONE;
	snprintf(c->source, sizeof(c->source), "profile %s", profile);
	return 0;
}

/* Credentials as JSON: credential_process output and similar answers. */
int wdn_creds_from_json(const char *text, size_t len, struct wdn_creds *c, struct wdn_err *err)
{
	wdn_json v = wdn_json_parse(text, len, err);
	const char *id, *secret, *token, *exp;

	if (!v)
		return WDN_ECRED;
	id = wdn_json_str(v, "AccessKeyId");
	secret = wdn_json_str(v, "SecretAccessKey");
	if (!(token = wdn_json_str(v, "SessionToken")))
		token = wdn_json_str(v, "Token");
	exp = wdn_json_str(v, "Expiration");
	if (!id || !secret) {
		wdn_json_free(v);
		return wdn_err_set(err, WDN_ECRED, "no AccessKeyId and SecretAccessKey in the answer");
	}
	c->key_id = wdn_strdup(id);
	c->secret = wdn_strdup(secret);
	c->token = token ? wdn_strdup(token) : NULL;
	if (!exp || wdn_time_parse(exp, strlen(exp), &c->expires))
		c->expires = WDN_TIME_NONE;
	/* the tree held the secret too */
	{
		wdn_json s = wdn_json_get(v, "SecretAccessKey");

		if (s && s->u.string)
			sodium_memzero(s->u.string, strlen(s->u.string));
	}
	wdn_json_free(v);
	return 0;
}

static int from_process(struct wdn_aws *a, struct wdn_creds *c, struct wdn_err *err)
{
	char *cmd = wdn_aws_profile_get(a, "credential_process");
	struct wdn_buf out;
	char chunk[4096];
	size_t n;
	FILE *p;
	int status, rc;

	if (!cmd)
		return WDN_ENOTFOUND;
	wdn_buf_init(&out, 1 << 20);
	if (!(p = popen(cmd, "r"))) {
		free(cmd);
		return wdn_err_set(err, WDN_ECRED, "credential_process could not be started");
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (wdn_buf_add(&out, chunk, n))
			break;
	status = pclose(p);
	sodium_memzero(chunk, sizeof(chunk));
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		rc = wdn_err_set(err, WDN_ECRED, "credential_process '%s' failed (status %d)", cmd,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	} else {
		rc = wdn_creds_from_json(out.ptr, out.len, c, err);
		if (!rc)
			snprintf(c->source, sizeof(c->source), "credential_process");
	}
	sodium_memzero(out.ptr, out.len);
	wdn_buf_release(&out);
	free(cmd);
	return rc;
}

int wdn_creds_resolve(struct wdn_aws *a, struct wdn_creds *out, struct wdn_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->expires = WDN_TIME_NONE;
	if (!(rc = from_env(out)))
		return 0;
	if (!(rc = from_profile_keys(a, out)))
		return 0;
	if ((rc = from_process(a, out, err)) != WDN_ENOTFOUND)
		return rc;
	return wdn_err_set(err, WDN_ECRED,
			   "no AWS credentials: tried the environment (AWS_ACCESS_KEY_ID), "
			   "profile '%s' in the credentials and config files (static keys, "
			   "credential_process)", wdn_aws_profile(a));
}
