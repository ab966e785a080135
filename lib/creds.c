/*
 * The credential chain, in the order of the AWS CLI (botocore's
 * create_credential_resolver):
 *
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *      AWS_SESSION_TOKEN (not when the profile was named explicitly, as
 *      `aws --profile` ignores them);
 *   2. the profile's role_arn with source_profile or credential_source:
 *      STS AssumeRole signed with the source's credentials;
 *   3. web identity: role_arn and web_identity_token_file, each taken from
 *      AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_SESSION_NAME
 *      before the profile: STS AssumeRoleWithWebIdentity, unsigned;
 *   4. IAM Identity Center (SSO): the token `aws sso login` cached, traded at
 *      the portal for the account's role credentials;
 *   5. static keys in the credentials file, 6. credential_process,
 *      7. static keys in the config file;
 *   8. the container endpoint (ECS, EKS Pod Identity);
 *   9. EC2 instance metadata, IMDSv2.
 *
 * A source that is configured but fails stops the chain with its reason, as
 * the CLI does, rather than falling back to some other identity; only the
 * instance metadata service, which is probed on every machine, fails softly.
 * When nothing gives credentials, the one error names every source tried.
 * Secrets are wiped from every buffer of ours that held them.
 */
#include "wdn.h"
#include "aws.h"
#include "creds.h"
#include "datetime.h"
#include "ini.h"
#include "json.h"
#include "sigv4.h"
#include "str.h"
#include "xml.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define MAX_CHAIN 16          /* source_profile hops */
#define ANSWER_MAX (1u << 20) /* any credentials answer or token file */
#define STS_ATTEMPTS 3
#define CONTAINER_ATTEMPTS 3
#define CONTAINER_TIMEOUT_MS 2000 /* botocore's */
#define IMDS_TIMEOUT_MS 1000      /* botocore's; a laptop without IMDS fails fast */
#define IMDS_TOKEN_TTL "21600"
#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"

struct chain {
	struct wdn_aws *a;           /* its transport makes the chain's requests too */
	char *config, *credentials;  /* the shared files' paths */
	int explicit_profile;        /* named by option: the environment's keys are not used */
	const char *visited[MAX_CHAIN];
	size_t nvisited;
	struct wdn_buf tried;        /* "source (why not)", for the final message */
};

/* ---- small helpers --------------------------------------------------------- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static void str_wipe(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static char *nonempty(char *v)
{
	if (v && !*v) {
		free(v);
		return NULL;
	}
	return v;
}

/* Drop every whitespace character: tokens and keys have none, but an answer
 * or a file may wrap or end them. */
static void squeeze(char *s)
{
	char *d = s;

	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			*d++ = *s;
	if (d)
		*d = '\0';
}

static void trim_end(struct wdn_buf *b)
{
	while (b->len && isspace((unsigned char)b->ptr[b->len - 1]))
		wdn_buf_setlen(b, b->len - 1);
}

/* A path for messages: $HOME shown as '~'. */
static const char *shown(const char *path, char *out, size_t n)
{
	const char *home = env("HOME");
	size_t hl = home ? strlen(home) : 0;

	if (hl && !strncmp(path, home, hl) && path[hl] == '/')
		snprintf(out, n, "~%s", path + hl);
	else
		snprintf(out, n, "%s", path);
	return out;
}

/* A reason into a caller's fixed buffer (truncated if long). */
static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static void note(struct chain *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct chain *ch, const char *fmt, ...)
{
	va_list ap;

	if (ch->tried.len)
		wdn_buf_adds(&ch->tried, ", ");
	va_start(ap, fmt);
	wdn_buf_vaddf(&ch->tried, fmt, ap);
	va_end(ap);
}

/* A whole small file, its buffer sized once so a secret is never copied by a
 * realloc. WDN_ENOTFOUND when it does not exist. */
static int read_small(const char *path, struct wdn_buf *out, struct wdn_err *err)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? WDN_ENOTFOUND
				       : wdn_err_set(err, WDN_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) || st.st_size > (off_t)ANSWER_MAX ||
	    wdn_buf_grow(out, (size_t)st.st_size + 1)) {
		close(fd);
		return wdn_err_set(err, WDN_ETOOBIG, "'%s' is not a small regular file", path);
	}
	while (out->len + 1 < out->cap && (n = read(fd, out->ptr + out->len, out->cap - out->len - 1)) > 0)
		wdn_buf_setlen(out, out->len + (size_t)n);
	close(fd);
	return 0;
}

/* ---- SHA-1, for the names of the SSO token cache's files ------------------------ */

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1_hex(const char *s, char out[41])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	unsigned char tail[128] = { 0 };
	size_t n = strlen(s), i, rest, pad;
	uint64_t bits = (uint64_t)n * 8;

	for (i = 0; i + 64 <= n; i += 64)
		sha1_block(h, (const unsigned char *)s + i);
	rest = n - i;
	memcpy(tail, s + i, rest);
	tail[rest] = 0x80;
	pad = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[pad - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, tail);
	if (pad == 128)
		sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++)
		snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ---- the shared files ------------------------------------------------------ */

/* The config file's section of a profile: [default] (or [profile default]), [profile NAME]. */
static char *conf_get(struct chain *ch, const char *profile, const char *key)
{
	struct wdn_buf sec = WDN_BUF_INIT;
	char *v = NULL;

	if (!strcmp(profile, "default"))
		v = nonempty(wdn_ini_get(ch->config, "default", key));
	if (!v) {
		wdn_buf_addf(&sec, "profile %s", profile);
		v = nonempty(wdn_ini_get(ch->config, sec.ptr, key));
		wdn_buf_release(&sec);
	}
	return v;
}

static char *cred_get(struct chain *ch, const char *profile, const char *key)
{
	return nonempty(wdn_ini_get(ch->credentials, profile, key));
}

/* A profile setting as the CLI merges the files: the credentials file's wins. */
static char *prof_get(struct chain *ch, const char *profile, const char *key)
{
	char *v = cred_get(ch, profile, key);

	return v ? v : conf_get(ch, profile, key);
}

static int prof_has(struct chain *ch, const char *profile, const char *key)
{
	char *v = prof_get(ch, profile, key);
	int has = v != NULL;

	str_wipe(v);
	return has;
}

static int profile_exists(struct chain *ch, const char *profile)
{
	struct wdn_buf sec = WDN_BUF_INIT;
	int found;

	wdn_buf_addf(&sec, "profile %s", profile);
	found = wdn_ini_has_section(ch->credentials, profile) || wdn_ini_has_section(ch->config, sec.ptr) ||
		(!strcmp(profile, "default") && wdn_ini_has_section(ch->config, "default"));
	wdn_buf_release(&sec);
	return found;
}

/* ---- answers: JSON and STS's XML ---------------------------------------------- */

static void wipe_member(wdn_json v, const char *path)
{
	wdn_json s = wdn_json_get(v, path);

	if (s && YAJL_IS_STRING(s) && s->u.string)
		sodium_memzero(s->u.string, strlen(s->u.string));
}

static int creds_from_tree(wdn_json v, struct wdn_creds *c, struct wdn_err *err)
{
	const char *id = wdn_json_str(v, "AccessKeyId"), *secret = wdn_json_str(v, "SecretAccessKey");
	const char *token, *exp = wdn_json_str(v, "Expiration");

	if (!(token = wdn_json_str(v, "SessionToken")))
		token = wdn_json_str(v, "Token");
	if (!id || !*id || !secret || !*secret)
		return wdn_err_set(err, WDN_ECRED, "no AccessKeyId and SecretAccessKey in the answer");
	c->key_id = wdn_strdup(id);
	c->secret = wdn_strdup(secret);
	c->token = token && *token ? wdn_strdup(token) : NULL;
	if (!c->key_id || !c->secret || (token && *token && !c->token))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!exp || wdn_time_parse(exp, strlen(exp), &c->expires))
		c->expires = WDN_TIME_NONE;
	return 0;
}

/* Credentials as JSON: credential_process output, container and IMDS answers. */
int wdn_creds_from_json(const char *text, size_t len, struct wdn_creds *c, struct wdn_err *err)
{
	wdn_json v = wdn_json_parse(text, len, err);
	int rc;

	if (!v)
		return WDN_ECRED;
	rc = creds_from_tree(v, c, err);
	wipe_member(v, "SecretAccessKey");
	wipe_member(v, "SessionToken");
	wipe_member(v, "Token");
	wdn_json_free(v);
	if (rc)
		wdn_creds_release(c);
	return rc;
}

struct sts_parse {
	struct wdn_creds *c;
	int64_t expires;
	int oom;
};

static int sts_cb(void *ctx, const char *path, const char *text, size_t len)
{
	static const char mid[] = "Result/Credentials/";
	struct sts_parse *p = ctx;
	const char *leaf = strstr(path, mid);
	char **to = NULL;

	if (!leaf)
		return 0;
	leaf += sizeof(mid) - 1;
	if (!strcmp(leaf, "AccessKeyId"))
		to = &p->c->key_id;
	else if (!strcmp(leaf, "SecretAccessKey"))
		to = &p->c->secret;
	else if (!strcmp(leaf, "SessionToken"))
		to = &p->c->token;
	else if (!strcmp(leaf, "Expiration")) {
		while (len && isspace((unsigned char)*text))
			text++, len--;
		while (len && isspace((unsigned char)text[len - 1]))
			len--;
		if (wdn_time_parse(text, len, &p->expires))
			p->expires = WDN_TIME_NONE;
	}
	if (to) {
		str_wipe(*to);
		if (!(*to = wdn_strndup(text, len)))
			p->oom = 1;
		squeeze(*to);
	}
	return 0;
}

/* The Credentials of an STS answer (AssumeRole, AssumeRoleWithWebIdentity,
 * GetSessionToken...). */
int wdn_creds_from_sts_xml(const char *xml, size_t len, struct wdn_creds *c, struct wdn_err *err)
{
	struct sts_parse p = { c, WDN_TIME_NONE, 0 };
	int rc;

	if ((rc = wdn_xml_walk(xml, len, sts_cb, &p, err)))
		;
	else if (p.oom)
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	else if (!c->key_id || !*c->key_id || !c->secret || !*c->secret)
		rc = wdn_err_set(err, WDN_ECRED, "no Credentials in the STS answer");
	if (rc) {
		wdn_creds_release(c);
		return rc == WDN_ENOMEM || rc == WDN_ECRED ? rc : WDN_ECRED;
	}
	if (c->token && !*c->token) {
		free(c->token);
		c->token = NULL;
	}
	c->expires = p.expires;
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------- */

/*
 * A request of the chain's own, made by the client's transport (its retry
 * policy, its backoff, its headers): anonymous unless the caller names a
 * signer, tried at most attempts times, the answer (credentials) kept in a
 * secret buffer.
 */
static void chain_call(struct wdn_aws_call *c, const char *service, const char *method,
		       const char *url, int attempts)
{
	memset(c, 0, sizeof(*c));
	c->service = service;
	c->method = method;
	c->url_base = url;
	c->path = "";
	c->anonymous = 1;
	c->max_attempts = attempts;
	c->resp_max = ANSWER_MAX;
	c->secret_resp = 1;
}

/* Perform it; 0 on a 2xx answer (in c->resp), else c->err's code. */
static int chain_perform(struct chain *ch, struct wdn_aws_call *c)
{
	return wdn_aws_perform(ch->a, &c, 1);
}

/* The failed call's error into err, its code made code. */
static int call_failed(const struct wdn_aws_call *c, int code, struct wdn_err *err)
{
	if (err) {
		*err = c->err;
		err->code = code;
	}
	return code;
}

/* Split "scheme://host[:port]/path" into its host (with port) and path ("/" if none). */
static void url_parts(const char *url, struct wdn_str *host, const char **path)
{
	const char *h = strstr(url, "://"), *slash;

	h = h ? h + 3 : url;
	slash = strchr(h, '/');
	host->ptr = h;
	host->len = slash ? (size_t)(slash - h) : strlen(h);
	*path = slash ? slash : "/";
}

/*
 * Can a TCP connection to the URL's host be opened within timeout_ms? libcurl
 * as http.c sets it up waits 10 s to connect; a machine with no instance
 * metadata service must not, so the link-local endpoints are probed first.
 */
static int probe(const char *url, int timeout_ms, char *why, size_t n)
{
	struct wdn_str hp;
	const char *path, *colon;
	char host[256], port[8];
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int rc, ok = 0, soerr = 0;
	struct timespec t0, t1;

	url_parts(url, &hp, &path);
	snprintf(port, sizeof(port), "%s", !strncmp(url, "https:", 6) ? "443" : "80");
	if (hp.len && hp.ptr[0] == '[') { /* [IPv6]:port */
		const char *rb = memchr(hp.ptr, ']', hp.len);

		if (!rb) {
			say(why, n, "not an address");
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(rb - hp.ptr - 1), hp.ptr + 1);
		if (rb + 1 < hp.ptr + hp.len && rb[1] == ':')
			snprintf(port, sizeof(port), "%.*s", (int)(hp.ptr + hp.len - rb - 2), rb + 2);
	} else {
		colon = memchr(hp.ptr, ':', hp.len);
		snprintf(host, sizeof(host), "%.*s", (int)(colon ? (size_t)(colon - hp.ptr) : hp.len), hp.ptr);
		if (colon)
			snprintf(port, sizeof(port), "%.*s", (int)(hp.ptr + hp.len - colon - 1), colon + 1);
	}
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res))) {
		say(why, n, "%s", gai_strerror(rc));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (ai = res; ai && !ok; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		long left;

		if (fd < 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			ok = 1;
		} else if (errno == EINPROGRESS && left > 0) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			socklen_t sl = sizeof(soerr);

			if (poll(&pfd, 1, (int)left) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
				ok = soerr == 0;
			else
				soerr = ETIMEDOUT;
		} else {
			soerr = errno == EINPROGRESS ? ETIMEDOUT : errno;
		}
		close(fd);
	}
	freeaddrinfo(res);
	if (!ok) {
		if (soerr == ETIMEDOUT)
			say(why, n, "no answer within %d ms", timeout_ms);
		else
			say(why, n, "%s", strerror(soerr ? soerr : ECONNREFUSED));
	}
	return ok ? 0 : -1;
}

/* ---- STS ---------------------------------------------------------------------- */

static void form_param(struct wdn_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	wdn_buf_addf(b, "&%s=", name);
	wdn_sigv4_uri_encode(b, value, strlen(value), 1);
}

/*
 * One STS query-protocol action: form is the body after "Action=...&Version=...".
 * Signed with signer, or unsigned when it is NULL (AssumeRoleWithWebIdentity).
 * STS's endpoint is AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else regional: an
 * --endpoint-url given to a command is for its own service, not this one.
 */
static int sts_call(struct chain *ch, const struct wdn_creds *signer, const char *action,
		    const struct wdn_buf *params, struct wdn_creds *out, struct wdn_err *err)
{
	struct wdn_buf url = WDN_BUF_INIT, form;
	struct wdn_aws_call c;
	int rc;

	wdn_buf_init_secret(&form, 0); /* it may hold a web identity token */
	wdn_aws_endpoint_of("sts", NULL, wdn_aws_region(ch->a), &url, NULL);
	wdn_buf_addf(&form, "Action=%s&Version=2011-06-15", action);
	wdn_buf_add(&form, params->ptr, params->len);
	if (url.failed || form.failed || params->failed) { /* never a request short of a parameter */
		wdn_buf_release(&url);
		wdn_buf_release(&form);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	chain_call(&c, "sts", "POST", url.ptr, STS_ATTEMPTS);
	c.path = "/";
	c.headers[0] = "Content-Type: " FORM_TYPE;
	c.body = form.ptr;
	c.body_len = form.len;
	c.signer = signer;
	c.anonymous = !signer;
	if ((rc = chain_perform(ch, &c)))
		call_failed(&c, rc, err);
	else
		rc = wdn_creds_from_sts_xml(c.resp.ptr, c.resp.len, out, err);
	if (rc)
		wdn_err_prefix(err, "STS %s at %s: ", action, url.ptr);
	wdn_aws_call_release(&c);
	wdn_buf_release(&form);
	wdn_buf_release(&url);
	return rc;
}

static void session_name(const char *given, char out[64])
{
	if (given)
		snprintf(out, 64, "%s", given);
	else
		snprintf(out, 64, "whodunnit-%lld", (long long)wdn_time_now());
}

/* ---- 1. the environment ---------------------------------------------------------- */

static int env_keys(struct wdn_creds *c, struct wdn_err *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SESSION_TOKEN"), *exp = env("AWS_CREDENTIAL_EXPIRATION");

	if (!token)
		token = env("AWS_SECURITY_TOKEN");
	if (!id && !secret)
		return WDN_ENOTFOUND;
	if (!id || !secret)
		return wdn_err_set(err, WDN_ECRED, "%s is set but %s is not",
				   id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				   id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	c->key_id = wdn_strdup(id);
	c->secret = wdn_strdup(secret);
	c->token = wdn_strdup(token);
	if (!exp || wdn_time_parse(exp, strlen(exp), &c->expires))
		c->expires = WDN_TIME_NONE;
	snprintf(c->source, sizeof(c->source), "environment");
	return 0;
}

/* ---- 5, 7. static keys ------------------------------------------------------------ */

/* From one file: the credentials file (in_config 0) or the config file. */
static int static_keys(struct chain *ch, const char *profile, int in_config, struct wdn_creds *c,
		       struct wdn_err *err)
{
	char *(*get)(struct chain *, const char *, const char *) = in_config ? conf_get : cred_get;
	char where[256];

	c->key_id = get(ch, profile, "aws_access_key_id");
	c->secret = get(ch, profile, "aws_secret_access_key");
	if (!(c->token = get(ch, profile, "aws_session_token")))
		c->token = get(ch, profile, "aws_security_token");
	if (!c->key_id && !c->secret) {
		wdn_creds_release(c);
		return WDN_ENOTFOUND;
	}
	if (!c->key_id || !c->secret) {
		int has_id = c->key_id != NULL;

		wdn_creds_release(c);
		return wdn_err_set(err, WDN_ECRED, "profile '%s' in %s has %s but no %s", profile,
				   shown(in_config ? ch->config : ch->credentials, where, sizeof(where)),
				   has_id ? "aws_access_key_id" : "aws_secret_access_key",
				   has_id ? "aws_secret_access_key" : "aws_access_key_id");
	}
	c->expires = WDN_TIME_NONE;
	snprintf(c->source, sizeof(c->source), "profile %s", profile);
	return 0;
}

/* ---- 6. credential_process ---------------------------------------------------------- */

static int from_process(struct chain *ch, const char *profile, struct wdn_creds *c, struct wdn_err *err)
{
	char *cmd = prof_get(ch, profile, "credential_process");
	struct wdn_buf out;
	char chunk[4096];
	wdn_json v = NULL;
	size_t n;
	FILE *p;
	int status, rc;

	if (!cmd)
		return WDN_ENOTFOUND;
	wdn_buf_init_secret(&out, ANSWER_MAX);
	if (!(p = popen(cmd, "r"))) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': credential_process could not be started",
				 profile);
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (wdn_buf_add(&out, chunk, n))
			break;
	status = pclose(p);
	sodium_memzero(chunk, sizeof(chunk));
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': credential_process '%s' failed (status %d)",
				 profile, cmd, status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto done;
	}
	if (!(v = wdn_json_parse(out.ptr, out.len, err))) {
		wdn_err_prefix(err, "profile '%s': credential_process '%s' printed ", profile, cmd);
		rc = WDN_ECRED;
		goto done;
	}
	{
		wdn_json ver = wdn_json_get(v, "Version");

		if (!ver || !YAJL_IS_INTEGER(ver) || YAJL_GET_INTEGER(ver) != 1) {
			rc = wdn_err_set(err, WDN_ECRED, "profile '%s': credential_process '%s' printed "
					 "no \"Version\": 1", profile, cmd);
			goto done;
		}
	}
	if ((rc = creds_from_tree(v, c, err))) {
		wdn_err_prefix(err, "profile '%s': credential_process '%s': ", profile, cmd);
		goto done;
	}
	snprintf(c->source, sizeof(c->source), "credential_process");
done:
	if (v) {
		wipe_member(v, "SecretAccessKey");
		wipe_member(v, "SessionToken");
		wdn_json_free(v);
	}
	if (rc)
		wdn_creds_release(c);
	wdn_buf_release(&out);
	free(cmd);
	return rc;
}

/* ---- 8. the container endpoint --------------------------------------------------- */

/* Plain HTTP only to the container agents' addresses and loopback. */
static int container_host_ok(const char *url)
{
	static const char *const hosts[] = { "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
					     "localhost", "[::1]" };
	struct wdn_str hp;
	const char *path, *end;
	size_t i, n;

	if (!strncasecmp(url, "https://", 8))
		return 1;
	if (strncasecmp(url, "http://", 7))
		return 0;
	url_parts(url, &hp, &path);
	end = hp.ptr[0] == '[' ? memchr(hp.ptr, ']', hp.len) : memchr(hp.ptr, ':', hp.len);
	n = !end ? hp.len : hp.ptr[0] == '[' ? (size_t)(end - hp.ptr) + 1 : (size_t)(end - hp.ptr);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strlen(hosts[i]) == n && !strncasecmp(hp.ptr, hosts[i], n))
			return 1;
	/* 127.0.0.0/8 */
	if (n > 4 && !strncmp(hp.ptr, "127.", 4)) {
		for (i = 4; i < n && (isdigit((unsigned char)hp.ptr[i]) || hp.ptr[i] == '.'); i++)
			;
		return i == n;
	}
	return 0;
}

static int from_container(struct chain *ch, struct wdn_creds *cr, struct wdn_err *err, char *why,
			  size_t whyn)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tfile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tenv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct wdn_buf url = WDN_BUF_INIT, tok, line;
	struct wdn_aws_call c = { 0 };
	const char *where;
	char fail[256];
	int rc = 0;

	wdn_buf_init_secret(&tok, 0);
	wdn_buf_init_secret(&line, 0);
	if (!rel && !full) {
		say(why, whyn, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI unset");
		return WDN_ENOTFOUND;
	}
	/* the relative URI names the task's credentials: it stays out of messages */
	if (rel) {
		wdn_buf_addf(&url, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
		where = "http://169.254.170.2 (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)";
	} else {
		where = full;
		wdn_buf_adds(&url, full);
		if (!container_host_ok(full)) {
			rc = wdn_err_set(err, WDN_ECRED, "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s': plain "
					 "http only to loopback, 169.254.170.2 or 169.254.170.23", full);
			wdn_buf_release(&url);
			return rc;
		}
	}
	/* the token file is read on each fetch: the agent rotates it */
	if (tfile) {
		if ((rc = read_small(tfile, &tok, err))) {
			if (rc == WDN_ENOTFOUND)
				wdn_err_set(err, WDN_ECRED, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s' "
					    "does not exist", tfile);
			rc = WDN_ECRED;
			goto done;
		}
		trim_end(&tok);
	} else if (tenv) {
		wdn_buf_adds(&tok, tenv);
	}
	if (url.failed || tok.failed) { /* never a request to a cut-short URL, or without its token */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto done;
	}
	if (strpbrk(tok.ptr, "\r\n")) {
		rc = wdn_err_set(err, WDN_ECRED, "the container authorization token holds a line break");
		goto done;
	}
	if (probe(url.ptr, CONTAINER_TIMEOUT_MS, fail, sizeof(fail))) {
		rc = wdn_err_set(err, WDN_ENET, "%s", fail);
		goto done;
	}
	chain_call(&c, "container", "GET", url.ptr, CONTAINER_ATTEMPTS);
	c.headers[0] = "Accept: application/json";
	if (tok.len) {
		wdn_buf_addf(&line, "Authorization: %s", tok.ptr);
		c.headers[1] = line.ptr;
	}
	if (line.failed || url.failed)
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	else if ((rc = chain_perform(ch, &c)))
		rc = call_failed(&c, rc == WDN_EAWS ? WDN_ECRED : rc, err);
	else
		rc = wdn_creds_from_json(c.resp.ptr, c.resp.len, cr, err);
	if (!rc)
		snprintf(cr->source, sizeof(cr->source), "container endpoint");
done:
	if (rc)
		wdn_err_prefix(err, "container credentials at %s: ", where);
	wdn_aws_call_release(&c);
	wdn_buf_release(&tok);
	wdn_buf_release(&line);
	wdn_buf_release(&url);
	return rc;
}

/* ---- 9. EC2 instance metadata (IMDSv2) ------------------------------------------------ */

/* The role's credentials out of IMDS's answer: 0, or WDN_ENOTFOUND with why. */
static int imds_answer(const struct wdn_buf *resp, const char *role, struct wdn_creds *cr,
		       char *why, size_t whyn)
{
	wdn_json j = wdn_json_parse(resp->ptr, resp->len, NULL);
	const char *code = wdn_json_str(j, "Code");
	int rc = WDN_ENOTFOUND;

	if (j && code && strcmp(code, "Success"))
		say(why, whyn, "role '%s': %s", role, code);
	else if (!j || creds_from_tree(j, cr, NULL))
		say(why, whyn, "role '%s': no credentials in the answer", role);
	else
		rc = 0;
	if (j) {
		wipe_member(j, "SecretAccessKey");
		wipe_member(j, "Token");
	}
	wdn_json_free(j);
	if (rc)
		wdn_creds_release(cr);
	else
		snprintf(cr->source, sizeof(cr->source), "instance metadata (%s)", role);
	return rc;
}

/* One IMDS request, tried once (the CLI's metadata_service_num_attempts);
 * hdr carries the session token. Nonzero only when memory ran out. */
static int imds_get(struct chain *ch, struct wdn_aws_call *c, const char *method,
		    const struct wdn_buf *url, const char *hdr, struct wdn_err *err)
{
	wdn_aws_call_release(c);
	if (url->failed)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	chain_call(c, "imds", method, url->ptr, 1);
	c->headers[0] = hdr;
	if (chain_perform(ch, c) == WDN_ENOMEM)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	return 0;
}

/* Why an IMDS request got no answer: the transfer's error. */
static const char *imds_failed(const struct wdn_aws_call *c)
{
	return c->err.code == WDN_ENET ? c->err.msg : NULL;
}

/* Soft: WDN_ENOTFOUND with why for anything short of credentials. */
static int from_imds(struct chain *ch, struct wdn_creds *cr, struct wdn_err *err, char *why, size_t whyn)
{
	const char *v = env("AWS_EC2_METADATA_DISABLED"), *base, *failed;
	char *conf_ep = NULL, *conf_mode = NULL, *role = NULL, fail[256];
	struct wdn_buf url = WDN_BUF_INIT, hdr;
	struct wdn_aws_call c = { 0 };
	int timeout = IMDS_TIMEOUT_MS, rc = WDN_ENOTFOUND;
	size_t n;

	wdn_buf_init_secret(&hdr, 0); /* the session token */
	if (v && !strcasecmp(v, "true")) {
		say(why, whyn, "AWS_EC2_METADATA_DISABLED=true");
		return WDN_ENOTFOUND;
	}
	if ((v = env("AWS_METADATA_SERVICE_TIMEOUT"))) {
		long s = strtol(v, NULL, 10);

		if (s >= 1 && s <= 60)
			timeout = (int)s * 1000;
	}
	base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (!base)
		base = conf_ep = wdn_aws_profile_get(ch->a, "ec2_metadata_service_endpoint");
	if (!base) {
		if (!(v = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")))
			v = conf_mode = wdn_aws_profile_get(ch->a, "ec2_metadata_service_endpoint_mode");
		base = v && !strcasecmp(v, "IPv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
	}
	n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	if (probe(base, timeout, fail, sizeof(fail))) {
		say(why, whyn, "%.*s: %s", (int)n, base, fail);
		goto done;
	}

	/* the session token first: IMDSv2 refuses the rest without it */
	wdn_buf_addf(&url, "%.*s/latest/api/token", (int)n, base);
	if ((rc = imds_get(ch, &c, "PUT", &url, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL, err)))
		goto done;
	rc = WDN_ENOTFOUND;
	if ((failed = imds_failed(&c))) {
		say(why, whyn, "%.*s: %s", (int)n, base, failed);
		goto done;
	}
	if (c.status != 200) {
		say(why, whyn, "%.*s: no IMDSv2 token (HTTP %ld)", (int)n, base, c.status);
		goto done;
	}
	trim_end(&c.resp);
	wdn_buf_addf(&hdr, "X-aws-ec2-metadata-token: %s", c.resp.ptr);
	if (hdr.failed) {
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto done;
	}

	wdn_buf_reset(&url);
	wdn_buf_addf(&url, "%.*s/latest/meta-data/iam/security-credentials/", (int)n, base);
	if ((rc = imds_get(ch, &c, "GET", &url, hdr.ptr, err)))
		goto done;
	rc = WDN_ENOTFOUND;
	if ((failed = imds_failed(&c)) || c.status != 200 || !c.resp.len) {
		if (c.status == 404 || (!failed && c.status == 200))
			say(why, whyn, "no IAM role attached to the instance");
		else if (failed)
			say(why, whyn, "%.*s: %s", (int)n, base, failed);
		else
			say(why, whyn, "%.*s: role list refused (HTTP %ld)", (int)n, base, c.status);
		goto done;
	}
	if (!(role = wdn_strndup(c.resp.ptr, strcspn(c.resp.ptr, "\r\n")))) {
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto done;
	}
	wdn_sigv4_uri_encode(&url, role, strlen(role), 1);
	if ((rc = imds_get(ch, &c, "GET", &url, hdr.ptr, err)))
		goto done;
	rc = WDN_ENOTFOUND;
	if ((failed = imds_failed(&c)) || c.status != 200) {
		if (failed)
			say(why, whyn, "%.*s: %s", (int)n, base, failed);
		else
			say(why, whyn, "role '%s': credentials refused (HTTP %ld)", role, c.status);
		goto done;
	}
	rc = imds_answer(&c.resp, role, cr, why, whyn);
done:
	wdn_aws_call_release(&c);
	wdn_buf_release(&hdr);
	wdn_buf_release(&url);
	free(role);
	free(conf_ep);
	free(conf_mode);
	return rc;
}

/* ---- 2. role_arn with source_profile or credential_source ---------------------------- */

static int from_profile(struct chain *ch, const char *profile, int top, struct wdn_creds *c,
			struct wdn_err *err);

static int source_creds(struct chain *ch, const char *profile, const char *sp, const char *cs,
			struct wdn_creds *src, struct wdn_err *err)
{
	char why[256] = "", a[256], b[256];
	size_t i;
	int rc;

	if (cs) {
		if (!strcasecmp(cs, "Environment"))
			rc = env_keys(src, err);
		else if (!strcasecmp(cs, "Ec2InstanceMetadata"))
			rc = from_imds(ch, src, err, why, sizeof(why));
		else if (!strcasecmp(cs, "EcsContainer"))
			rc = from_container(ch, src, err, why, sizeof(why));
		else
			return wdn_err_set(err, WDN_ECRED, "profile '%s': credential_source '%s' is not "
					   "Environment, Ec2InstanceMetadata or EcsContainer", profile, cs);
		if (rc == WDN_ENOTFOUND)
			return wdn_err_set(err, WDN_ECRED, "profile '%s': credential_source %s gives no "
					   "credentials%s%s%s", profile, cs, why[0] ? " (" : "", why,
					   why[0] ? ")" : "");
		if (rc)
			wdn_err_prefix(err, "profile '%s': credential_source %s: ", profile, cs);
		return rc;
	}
	if (!profile_exists(ch, sp))
		return wdn_err_set(err, WDN_ECRED, "profile '%s': source_profile '%s' is in neither %s nor %s",
				   profile, sp, shown(ch->config, a, sizeof(a)),
				   shown(ch->credentials, b, sizeof(b)));
	/* a profile may name itself, to keep its keys and its role together */
	if (!strcmp(sp, profile)) {
		if ((rc = static_keys(ch, sp, 0, src, err)) == WDN_ENOTFOUND)
			rc = static_keys(ch, sp, 1, src, err);
		if (rc == WDN_ENOTFOUND)
			rc = wdn_err_set(err, WDN_ECRED, "profile '%s' is its own source_profile but has "
					 "no keys", profile);
		return rc;
	}
	for (i = 0; i < ch->nvisited; i++)
		if (!strcmp(ch->visited[i], sp))
			return wdn_err_set(err, WDN_ECRED, "profile '%s': source_profile '%s' makes a loop",
					   profile, sp);
	if (ch->nvisited == MAX_CHAIN)
		return wdn_err_set(err, WDN_ECRED, "profile '%s': more than %d source_profile hops",
				   profile, MAX_CHAIN);
	ch->visited[ch->nvisited++] = sp;
	rc = from_profile(ch, sp, 0, src, err);
	ch->nvisited--;
	if (rc == WDN_ENOTFOUND)
		return wdn_err_set(err, WDN_ECRED, "profile '%s': source_profile '%s' has no credentials "
				   "(keys, role_arn, web identity, SSO or credential_process)", profile, sp);
	if (rc)
		wdn_err_prefix(err, "profile '%s' -> ", profile);
	return rc;
}

static int assume_role(struct chain *ch, const char *profile, struct wdn_creds *c, struct wdn_err *err)
{
	char *role = prof_get(ch, profile, "role_arn"), *sp = prof_get(ch, profile, "source_profile");
	char *cs = prof_get(ch, profile, "credential_source"), *mfa = prof_get(ch, profile, "mfa_serial");
	char *sname = prof_get(ch, profile, "role_session_name");
	char *ext = prof_get(ch, profile, "external_id");
	char *dur = prof_get(ch, profile, "duration_seconds");
	struct wdn_creds src = { 0 };
	struct wdn_buf params = WDN_BUF_INIT;
	char name[64];
	int rc;

	src.expires = WDN_TIME_NONE;
	if (sp && cs)
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s' has both source_profile and "
				 "credential_source", profile);
	else if (!sp && !cs)
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s' has role_arn but neither source_profile "
				 "nor credential_source", profile);
	else if (mfa)
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s' needs an MFA code (mfa_serial), which "
				 "whodunnit cannot ask for: export temporary credentials instead, e.g. "
				 "with 'aws configure export-credentials --profile %s --format env'",
				 profile, profile);
	else if (dur && (!*dur || strspn(dur, "0123456789") != strlen(dur) || strlen(dur) > 6))
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': duration_seconds '%s' is not a number "
				 "of seconds", profile, dur);
	else
		rc = source_creds(ch, profile, sp, cs, &src, err);
	if (!rc) {
		session_name(sname, name);
		form_param(&params, "RoleArn", role);
		form_param(&params, "RoleSessionName", name);
		form_param(&params, "ExternalId", ext);
		form_param(&params, "DurationSeconds", dur);
		if (!(rc = sts_call(ch, &src, "AssumeRole", &params, c, err)))
			snprintf(c->source, sizeof(c->source), "profile %s: role", profile);
		else
			wdn_err_prefix(err, "profile '%s': role %s: ", profile, role);
	}
	wdn_creds_release(&src);
	wdn_buf_release(&params);
	free(role);
	free(sp);
	free(cs);
	free(mfa);
	free(sname);
	free(ext);
	free(dur);
	return rc;
}

/* ---- 3. web identity ------------------------------------------------------------- */

/* The environment's variable (unless use_env is 0), else the profile's setting. */
static char *wi_get(struct chain *ch, const char *profile, int use_env, const char *var,
		    const char *key)
{
	const char *v = use_env ? env(var) : NULL;

	return v ? wdn_strdup(v) : prof_get(ch, profile, key);
}

static int from_web_identity(struct chain *ch, const char *profile, int use_env, struct wdn_creds *c,
			     struct wdn_err *err)
{
	char *file = wi_get(ch, profile, use_env, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
	char *role = NULL, *sname = NULL, name[64];
	struct wdn_buf tok, params;
	int rc;

	wdn_buf_init_secret(&tok, 0);
	wdn_buf_init_secret(&params, 0); /* it holds the token */
	if (!file)
		return WDN_ENOTFOUND;
	role = wi_get(ch, profile, use_env, "AWS_ROLE_ARN", "role_arn");
	sname = wi_get(ch, profile, use_env, "AWS_ROLE_SESSION_NAME", "role_session_name");
	if (!role) {
		rc = wdn_err_set(err, WDN_ECRED, "web identity token file '%s' but no role: set "
				 "AWS_ROLE_ARN or the profile's role_arn", file);
		goto done;
	}
	if ((rc = read_small(file, &tok, err))) {
		if (rc == WDN_ENOTFOUND)
			wdn_err_set(err, WDN_ECRED, "web identity token file '%s' does not exist", file);
		rc = WDN_ECRED;
		goto done;
	}
	trim_end(&tok);
	if (!tok.len) {
		rc = wdn_err_set(err, WDN_ECRED, "web identity token file '%s' is empty", file);
		goto done;
	}
	session_name(sname, name);
	form_param(&params, "RoleArn", role);
	form_param(&params, "RoleSessionName", name);
	form_param(&params, "WebIdentityToken", tok.ptr);
	if ((rc = sts_call(ch, NULL, "AssumeRoleWithWebIdentity", &params, c, err)))
		wdn_err_prefix(err, "web identity, role %s: ", role);
	else
		snprintf(c->source, sizeof(c->source), "web identity");
done:
	wdn_buf_release(&tok);
	wdn_buf_release(&params);
	free(file);
	free(role);
	free(sname);
	return rc;
}

/* ---- 4. IAM Identity Center (SSO) -------------------------------------------------- */

struct sso {
	char *account, *role, *session, *start, *region;
};

static void sso_release(struct sso *s)
{
	free(s->account);
	free(s->role);
	free(s->session);
	free(s->start);
	free(s->region);
}

/* The profile's SSO settings, from its sso-session section when it names one;
 * WDN_ENOTFOUND when the profile is not set up for SSO at all. */
static int sso_settings(struct chain *ch, const char *profile, struct sso *s, struct wdn_err *err)
{
	struct wdn_buf sec = WDN_BUF_INIT, missing = WDN_BUF_INIT;
	char p1[256];
	int rc = 0;

	s->account = prof_get(ch, profile, "sso_account_id");
	s->role = prof_get(ch, profile, "sso_role_name");
	s->session = prof_get(ch, profile, "sso_session");
	if (!s->account && !s->role)
		return WDN_ENOTFOUND;
	if (s->session) {
		wdn_buf_addf(&sec, "sso-session %s", s->session);
		if (!wdn_ini_has_section(ch->config, sec.ptr)) {
			rc = wdn_err_set(err, WDN_ECRED, "profile '%s': no [sso-session %s] in %s", profile,
					 s->session, shown(ch->config, p1, sizeof(p1)));
			goto done;
		}
		s->start = nonempty(wdn_ini_get(ch->config, sec.ptr, "sso_start_url"));
		s->region = nonempty(wdn_ini_get(ch->config, sec.ptr, "sso_region"));
	} else {
		s->start = prof_get(ch, profile, "sso_start_url");
		s->region = prof_get(ch, profile, "sso_region");
	}
	if (!s->account)
		wdn_buf_adds(&missing, " sso_account_id");
	if (!s->role)
		wdn_buf_adds(&missing, " sso_role_name");
	if (!s->start)
		wdn_buf_adds(&missing, " sso_start_url");
	if (!s->region)
		wdn_buf_adds(&missing, " sso_region");
	if (missing.len)
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s' is set up for SSO but lacks%s%s", profile,
				 missing.ptr, s->session ? " (with its sso-session)" : "");
done:
	wdn_buf_release(&sec);
	wdn_buf_release(&missing);
	return rc;
}

/* "2019-11-14T04:05:45Z", or older CLIs' "2019-11-14T04:05:45UTC"; 0 if neither. */
static int64_t sso_expiry(const char *exp)
{
	size_t el = strlen(exp);
	int utc = el > 3 && !strcmp(exp + el - 3, "UTC");
	char iso[64];
	int64_t t;

	snprintf(iso, sizeof(iso), "%.*s%s", (int)(utc ? el - 3 : el), exp, utc ? "Z" : "");
	return wdn_time_parse(iso, strlen(iso), &t) ? 0 : t;
}

/*
 * The token `aws sso login` cached, named by the session's name or the start
 * URL's SHA-1, into bearer (a secret buffer) as the portal's header line;
 * refused when missing, unreadable or expired.
 */
static int sso_token(const char *profile, const struct sso *s, struct wdn_buf *bearer,
		     struct wdn_err *err)
{
	const char *home = env("HOME"), *tok, *exp;
	struct wdn_buf path = WDN_BUF_INIT, file;
	char hash[41], p1[256], when[32];
	wdn_json v = NULL;
	int64_t expires;
	int rc;

	wdn_buf_init_secret(&file, 0);
	sha1_hex(s->session ? s->session : s->start, hash);
	wdn_buf_addf(&path, "%s/.aws/sso/cache/%s.json", home ? home : ".", hash);
	if ((rc = read_small(path.ptr, &file, err))) {
		if (rc == WDN_ENOTFOUND)
			rc = wdn_err_set(err, WDN_ECRED, "profile '%s': no SSO token cached (%s): run "
					 "'aws sso login --profile %s'", profile,
					 shown(path.ptr, p1, sizeof(p1)), profile);
		goto done;
	}
	v = wdn_json_parse(file.ptr, file.len, NULL);
	tok = wdn_json_str(v, "accessToken");
	exp = wdn_json_str(v, "expiresAt");
	if (!tok || !*tok || !exp) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': the cached SSO token %s is unreadable: "
				 "run 'aws sso login --profile %s'", profile,
				 shown(path.ptr, p1, sizeof(p1)), profile);
		goto done;
	}
	if ((expires = sso_expiry(exp)) <= wdn_time_now()) {
		wdn_time_format(expires, when);
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': the SSO session '%s' expired%s%s: run "
				 "'aws sso login --profile %s'", profile, s->session ? s->session : s->start,
				 expires ? " at " : "", expires ? when : "", profile);
		goto done;
	}
	if (wdn_buf_addf(bearer, "x-amz-sso_bearer_token: %s", tok))
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
done:
	if (v) {
		wipe_member(v, "accessToken");
		wipe_member(v, "refreshToken");
		wipe_member(v, "clientSecret");
	}
	wdn_json_free(v);
	wdn_buf_release(&file);
	wdn_buf_release(&path);
	return rc;
}

/* The portal's roleCredentials into c. */
static int sso_answer(const char *profile, const struct wdn_buf *resp, struct wdn_creds *c,
		      struct wdn_err *err)
{
	wdn_json r = wdn_json_parse(resp->ptr, resp->len, NULL);
	wdn_json ms = wdn_json_get(r, "roleCredentials.expiration");
	const char *id = wdn_json_str(r, "roleCredentials.accessKeyId");
	const char *secret = wdn_json_str(r, "roleCredentials.secretAccessKey");
	const char *stok = wdn_json_str(r, "roleCredentials.sessionToken");
	int rc = 0;

	if (!id || !*id || !secret || !*secret) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': no roleCredentials in the SSO "
				 "portal's answer", profile);
	} else {
		c->key_id = wdn_strdup(id);
		c->secret = wdn_strdup(secret);
		c->token = stok && *stok ? wdn_strdup(stok) : NULL;
		c->expires = ms && YAJL_IS_INTEGER(ms) ? YAJL_GET_INTEGER(ms) / 1000 : WDN_TIME_NONE;
		snprintf(c->source, sizeof(c->source), "profile %s: sso", profile);
	}
	if (r) {
		wipe_member(r, "roleCredentials.secretAccessKey");
		wipe_member(r, "roleCredentials.sessionToken");
	}
	wdn_json_free(r);
	return rc;
}

/* GetRoleCredentials at the portal: unsigned, the token in a header. */
static int sso_portal(struct chain *ch, const char *profile, const struct sso *s,
		      const struct wdn_buf *bearer, struct wdn_creds *c, struct wdn_err *err)
{
	struct wdn_buf url = WDN_BUF_INIT;
	struct wdn_aws_call call = { 0 };
	int rc;

	wdn_aws_endpoint_of("sso", "portal.sso", s->region, &url, NULL);
	wdn_buf_adds(&url, "/federation/credentials?account_id=");
	wdn_sigv4_uri_encode(&url, s->account, strlen(s->account), 1);
	wdn_buf_adds(&url, "&role_name=");
	wdn_sigv4_uri_encode(&url, s->role, strlen(s->role), 1);
	if (url.failed) {
		wdn_buf_release(&url);
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	}
	chain_call(&call, "sso", "GET", url.ptr, STS_ATTEMPTS);
	call.headers[0] = bearer->ptr;
	if (!(rc = chain_perform(ch, &call))) {
		rc = sso_answer(profile, &call.resp, c, err);
	} else if (rc == WDN_ENET) {
		rc = wdn_err_set(err, WDN_ENET, "profile '%s': SSO portal %s: %s", profile, url.ptr,
				 call.err.msg);
	} else if (call.status == 401 || call.status == 403) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s': the SSO session has expired or is not "
				 "valid for account %s, role %s (HTTP %ld): run 'aws sso login --profile %s'",
				 profile, s->account, s->role, call.status, profile);
	} else {
		rc = call_failed(&call, rc == WDN_EAWS ? WDN_ECRED : rc, err);
		wdn_err_prefix(err, "profile '%s': SSO portal: ", profile);
	}
	wdn_aws_call_release(&call);
	wdn_buf_release(&url);
	return rc;
}

static int from_sso(struct chain *ch, const char *profile, struct wdn_creds *c, struct wdn_err *err)
{
	struct sso s = { 0 };
	struct wdn_buf bearer;
	int rc;

	wdn_buf_init_secret(&bearer, 0);
	if (!(rc = sso_settings(ch, profile, &s, err)) && !(rc = sso_token(profile, &s, &bearer, err)))
		rc = sso_portal(ch, profile, &s, &bearer, c, err);
	wdn_buf_release(&bearer);
	sso_release(&s);
	return rc;
}

/* ---- the profile's sources, in order ---------------------------------------------- */

/*
 * top: the profile asked for, whose role_arn wins over its keys; a
 * source_profile's keys win over its role_arn (botocore's rule), and the
 * environment never stands in for a source_profile's settings.
 */
static int from_profile(struct chain *ch, const char *profile, int top, struct wdn_creds *c,
			struct wdn_err *err)
{
	int rc;

	if (prof_has(ch, profile, "role_arn") && !prof_has(ch, profile, "web_identity_token_file") &&
	    (top || (!prof_has(ch, profile, "aws_access_key_id") &&
		     !prof_has(ch, profile, "aws_secret_access_key"))))
		return assume_role(ch, profile, c, err);
	if ((rc = from_web_identity(ch, profile, top && !ch->explicit_profile, c, err)) != WDN_ENOTFOUND)
		return rc;
	if ((rc = from_sso(ch, profile, c, err)) != WDN_ENOTFOUND)
		return rc;
	if ((rc = static_keys(ch, profile, 0, c, err)) != WDN_ENOTFOUND)
		return rc;
	if ((rc = from_process(ch, profile, c, err)) != WDN_ENOTFOUND)
		return rc;
	return static_keys(ch, profile, 1, c, err);
}

void wdn_creds_release(struct wdn_creds *c)
{
	str_wipe(c->key_id);
	str_wipe(c->secret);
	str_wipe(c->token);
	memset(c, 0, sizeof(*c));
	c->expires = WDN_TIME_NONE;
}

int wdn_creds_resolve(struct wdn_aws *a, struct wdn_creds *out, struct wdn_err *err)
{
	struct chain ch = { 0 };
	const char *profile = wdn_aws_profile(a), *envp = env("AWS_PROFILE");
	char why[256] = "", p1[256], p2[256];
	unsigned long nomem = wdn_nomem_count();
	int rc, exists;

	memset(out, 0, sizeof(*out));
	out->expires = WDN_TIME_NONE;
	ch.a = a;
	ch.config = wdn_aws_config_path();
	ch.credentials = wdn_aws_credentials_path();
	/* `aws --profile NAME` ignores the environment's keys; AWS_PROFILE does not */
	ch.explicit_profile = strcmp(profile, envp ? envp : "default") != 0;
	wdn_buf_init(&ch.tried, 4096);
	if (!ch.config || !ch.credentials) {
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
		goto done;
	}
	ch.visited[ch.nvisited++] = profile;

	if (ch.explicit_profile)
		note(&ch, "the environment (not used with a named profile)");
	else if ((rc = env_keys(out, err)) != WDN_ENOTFOUND)
		goto done;
	else
		note(&ch, "the environment (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE unset)");

	exists = profile_exists(&ch, profile);
	if (!exists && strcmp(profile, "default")) {
		rc = wdn_err_set(err, WDN_ECRED, "profile '%s' is in neither %s nor %s", profile,
				 shown(ch.config, p1, sizeof(p1)), shown(ch.credentials, p2, sizeof(p2)));
		goto done;
	}
	if ((rc = from_profile(&ch, profile, 1, out, err)) != WDN_ENOTFOUND)
		goto done;
	if (exists)
		note(&ch, "profile '%s' (no keys, role_arn, web identity, SSO or credential_process in "
		     "%s, %s)", profile, shown(ch.config, p1, sizeof(p1)),
		     shown(ch.credentials, p2, sizeof(p2)));
	else
		note(&ch, "profile '%s' (neither %s nor %s has it)", profile,
		     shown(ch.config, p1, sizeof(p1)), shown(ch.credentials, p2, sizeof(p2)));

	if ((rc = from_container(&ch, out, err, why, sizeof(why))) != WDN_ENOTFOUND)
		goto done;
	note(&ch, "the container endpoint (%s)", why);
	why[0] = '\0';
	if ((rc = from_imds(&ch, out, err, why, sizeof(why))) != WDN_ENOTFOUND)
		goto done;
	note(&ch, "EC2 instance metadata (%s)", why);
	rc = wdn_err_set(err, WDN_ECRED, "no AWS credentials: tried %s", ch.tried.ptr);
done:
	/* a setting or section name that could not be copied read as absent:
	 * the chain may have gone past the source it should have used */
	if (wdn_nomem_count() != nomem)
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (rc) {
		wdn_creds_release(out);
		if (err && err->code != rc)
			err->code = rc;
	}
	wdn_buf_release(&ch.tried);
	free(ch.config);
	free(ch.credentials);
	return rc;
}
