/*
 * The CloudTrail model: which events issue credentials, and what an issuing
 * event says about the key it issued and the caller that asked for it.
 */
#include "wdn.h"
#include "arn.h"
#include "datetime.h"
#include "event.h"
#include "json.h"
#include "key.h"
#include "str.h"
#include "tags.h"

#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

static const char *const issuing_events[] = {
	"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
	"GetSessionToken", "GetFederationToken", "CreateAccessKey",
};

/* Is name lit? Called for every event against lists of names that almost
 * never match: byte by byte, it stops at the first that differs, where a
 * compare of lengths would take each name's length first. */
static int name_is(struct wdn_str name, const char *lit)
{
	size_t i;

	for (i = 0; i < name.len; i++)
		if (!lit[i] || lit[i] != name.ptr[i])
			return 0;
	return name.len && !lit[i];
}

int wdn_event_issues(struct wdn_str name)
{
	size_t i;

	for (i = 0; i < sizeof(issuing_events) / sizeof(issuing_events[0]); i++)
		if (name_is(name, issuing_events[i]))
			return 1;
	return 0;
}

/* The string members of an issuance, in one place: releasing and copying
 * both walk it. */
static const size_t issuance_strs[] = {
	offsetof(struct wdn_issuance, key_id), offsetof(struct wdn_issuance, event_id),
	offsetof(struct wdn_issuance, event_name), offsetof(struct wdn_issuance, shared_event_id),
	offsetof(struct wdn_issuance, principal), offsetof(struct wdn_issuance, account),
	offsetof(struct wdn_issuance, session_name), offsetof(struct wdn_issuance, caller_key),
	offsetof(struct wdn_issuance, caller_type), offsetof(struct wdn_issuance, caller_arn),
	offsetof(struct wdn_issuance, caller_principal), offsetof(struct wdn_issuance, caller_account),
	offsetof(struct wdn_issuance, invoked_by), offsetof(struct wdn_issuance, session_tags),
	offsetof(struct wdn_issuance, transitive_keys), offsetof(struct wdn_issuance, incoming_tags),
	offsetof(struct wdn_issuance, source_identity), offsetof(struct wdn_issuance, provider),
	offsetof(struct wdn_issuance, subject), offsetof(struct wdn_issuance, audience),
	offsetof(struct wdn_issuance, event), offsetof(struct wdn_issuance, source),
};
#define NSTRS (sizeof(issuance_strs) / sizeof(issuance_strs[0]))
/* a member added to the issuance and not here would be neither freed nor
 * copied: the build says so (where pointers are 64 bits, so no padding
 * blurs the count) */
#ifdef __LP64__
_Static_assert(sizeof(struct wdn_issuance) == 2 * sizeof(int64_t) + NSTRS * sizeof(char *),
	       "issuance_strs: every string member of struct wdn_issuance");
#endif

static char **issuance_str(struct wdn_issuance *is, size_t i)
{
	return (char **)((char *)is + issuance_strs[i]);
}

void wdn_issuance_release(struct wdn_issuance *is)
{
	size_t i;

	for (i = 0; i < NSTRS; i++)
		free(*issuance_str(is, i));
	memset(is, 0, sizeof(*is));
	is->start = is->end = WDN_TIME_NONE;
}

int wdn_issuance_copy(struct wdn_issuance *to, const struct wdn_issuance *from, int with_event)
{
	size_t i;

	memset(to, 0, sizeof(*to));
	to->start = from->start;
	to->end = from->end;
	for (i = 0; i < NSTRS; i++) {
		const char *f = *issuance_str((struct wdn_issuance *)from, i);

		if (!with_event && issuance_strs[i] == offsetof(struct wdn_issuance, event))
			continue;
		if (f && !(*issuance_str(to, i) = wdn_strdup(f))) {
			wdn_issuance_release(to);
			return WDN_ENOMEM;
		}
	}
	return 0;
}

void wdn_sighting_release(struct wdn_sighting *s)
{
	free(s->key_id);
	free(s->principal);
	free(s->arn);
	free(s->type);
	free(s->account);
	memset(s, 0, sizeof(*s));
}

/* An assumed role's session ARN (parsed as a), arn:P:sts::A:assumed-role/NAME/SESSION,
 * as its role's, arn:P:iam::A:role/NAME, into buf of cap bytes: its length,
 * or 0 when it names no role (no name, or no session) and stays as it is.
 * The role's is always shorter than the session's. */
static size_t assumed_role_arn(const struct wdn_arn *a, char *buf, size_t cap)
{
	const char *role = a->type.ptr + a->type.len + 1, *slash;
	int n;

	slash = memchr(role, '/', (size_t)(a->resource.ptr + a->resource.len - role));
	if (!slash || slash == role)
		return 0;
	n = snprintf(buf, cap, "arn:%.*s:iam::%.*s:role/%.*s", (int)a->partition.len, a->partition.ptr,
		     (int)a->account.len, a->account.ptr, (int)(slash - role), role);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

struct wdn_str wdn_event_principal(const struct wdn_event *ev, char buf[WDN_PRINCIPAL_BUF])
{
	struct wdn_str principal = ev->f[WDN_F_UI_ISSUER_ARN], a = ev->f[WDN_F_UI_ARN];
	struct wdn_arn parsed;
	size_t n;

	if (principal.ptr && principal.len) /* an empty one names no one (wdn_principal_of) */
		return principal;
	if (!a.ptr)
		return a;
	/* as a C string would read it (wdn_principal_of's): up to a NUL */
	a.len = strnlen(a.ptr, a.len);
	/* an ARN that is no assumed-role one names itself: no copy for each
	 * event of an IAM user, nor of a role's session (into buf); one that
	 * does not even hold the word is not parsed */
	if (!memmem(a.ptr, a.len, "assumed-role", 12) ||
	    wdn_arn_parse(a.ptr, a.len, &parsed) || !wdn_arn_is(&parsed, NULL, "assumed-role") ||
	    !(n = assumed_role_arn(&parsed, buf, WDN_PRINCIPAL_BUF)))
		return a;
	principal.ptr = buf;
	principal.len = n;
	return principal;
}

static char *dup_field(const struct wdn_event *ev, int f)
{
	return ev->f[f].ptr ? wdn_strndup(ev->f[f].ptr, ev->f[f].len) : NULL;
}

int wdn_event_sighting(const struct wdn_event *ev, int64_t t, struct wdn_sighting *out)
{
	struct wdn_str p;
	char buf[WDN_PRINCIPAL_BUF];
	unsigned long nomem = wdn_nomem_count();

	memset(out, 0, sizeof(*out));
	if (!ev->f[WDN_F_UI_KEY].ptr || !ev->f[WDN_F_UI_KEY].len)
		return WDN_ENOTFOUND;
	p = wdn_event_principal(ev, buf);
	out->principal = p.ptr ? wdn_strndup(p.ptr, p.len) : NULL;
	out->key_id = dup_field(ev, WDN_F_UI_KEY);
	out->arn = dup_field(ev, WDN_F_UI_ARN);
	out->type = dup_field(ev, WDN_F_UI_TYPE);
	out->account = dup_field(ev, WDN_F_UI_ACCOUNT);
	out->first = out->last = t;
	if (!out->key_id || wdn_nomem_count() != nomem) { /* a field lost is not a field absent */
		wdn_sighting_release(out);
		return WDN_ENOMEM;
	}
	return 0;
}

static const char *const secret_keys[] = {
	"sessionToken", "secretAccessKey", "SessionToken", "SecretAccessKey",
};

static int is_secret_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
		if (!strcmp(k, secret_keys[i]))
			return 1;
	return 0;
}

/* The length of the secret member name at p ("NAME":"), or 0. */
static size_t secret_at(const char *p, const char *end)
{
	size_t i, n;

	if (end - p < 16 || (p[1] | 0x20) != 's') /* most names: one test */
		return 0;
	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		n = strlen(secret_keys[i]);
		if ((size_t)(end - p) >= n + 4 && p[1] == secret_keys[i][0] &&
		    !memcmp(p + 1, secret_keys[i], n) && !memcmp(p + 1 + n, "\":\"", 3))
			return n;
	}
	return 0;
}

/*
 * With no backslash, every quote of the text opens or closes a string; and
 * compact, a closing quote is followed by , : } or ], never a letter. So a
 * quote followed by NAME":" opens the member name NAME, whose value is the
 * string from there to the next quote: just what wdn_event_redact replaces
 * (a string value of a secret member, at any depth), and the rest is what
 * yajl's generator writes of the parse, byte for byte.
 */
char *wdn_event_redact_plain(const char *text, size_t len)
{
	struct wdn_buf b = WDN_BUF_INIT;
	const char *p = text, *s = text, *end = text + len, *q, *close;
	size_t n;

	while ((q = memchr(s, '"', (size_t)(end - s)))) {
		s = q + 1;
		if (!(n = secret_at(q, end)))
			continue;
		q += n + 4; /* past "NAME":" */
		if (!(close = memchr(q, '"', (size_t)(end - q))))
			break; /* no end: not plain text */
		wdn_buf_add(&b, p, (size_t)(q - p));
		wdn_buf_add(&b, "REDACTED", 8);
		p = s = close + 1;
		wdn_buf_add(&b, "\"", 1);
	}
	wdn_buf_add(&b, p, (size_t)(end - p));
	return wdn_buf_detach(&b, NULL);
}

void wdn_event_redact(wdn_json v)
{
	size_t i;

	if (!v)
		return;
	if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++) {
			yajl_val x = v->u.object.values[i];

			if (is_secret_key(v->u.object.keys[i]) && YAJL_IS_STRING(x)) {
				size_t n = strlen(x->u.string);
				char *r = n >= 8 ? x->u.string : wdn_strdup("REDACTED");

				/* in place when it fits; a secret is never left for want of memory */
				sodium_memzero(x->u.string, n);
				if (r) {
					memcpy(r, "REDACTED", 9);
					if (r != x->u.string)
						free(x->u.string);
					x->u.string = r;
				}
			} else {
				wdn_event_redact(x);
			}
		}
	} else if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			wdn_event_redact(v->u.array.values[i]);
	}
}

char *wdn_principal_of(const char *type, const char *arn, const char *issuer_arn)
{
	char buf[WDN_PRINCIPAL_BUF];
	struct wdn_arn a;
	size_t n;

	if (issuer_arn && *issuer_arn)
		return wdn_strdup(issuer_arn);
	if (!arn)
		return NULL;
	if (wdn_arn_parse_str(arn, &a) || !wdn_arn_is(&a, NULL, "assumed-role") ||
	    !(n = assumed_role_arn(&a, buf, sizeof(buf))))
		return wdn_strdup(arn);
	(void)type;
	return wdn_strndup(buf, n);
}

static char *dup_str(wdn_json ev, const char *path)
{
	return wdn_strdup(wdn_json_str(ev, path));
}

/* Tags as CloudTrail logs them: [{"key":k,"value":v}] or {"k":"v"}. */
static int tags_json(wdn_json v, char **out)
{
	struct wdn_tags t = { 0 };
	struct wdn_buf b = WDN_BUF_INIT;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!v)
		return 0;
	if ((YAJL_IS_ARRAY(v) && v->u.array.len > WDN_MAX_TAGS) ||
	    (YAJL_IS_OBJECT(v) && v->u.object.len > WDN_MAX_TAGS))
		return WDN_ETOOBIG; /* checked before any work: 250 000 tags cost nothing */
	if (YAJL_IS_ARRAY(v)) {
		for (i = 0; !rc && i < v->u.array.len; i++) {
			const char *k = wdn_json_str(v->u.array.values[i], "key");
			const char *val = wdn_json_str(v->u.array.values[i], "value");

			if (!k)
				k = wdn_json_str(v->u.array.values[i], "Key");
			if (!val)
				val = wdn_json_str(v->u.array.values[i], "Value");
			if (k)
				rc = wdn_tags_set(&t, k, val ? val : "");
		}
	} else if (YAJL_IS_OBJECT(v)) {
		for (i = 0; !rc && i < v->u.object.len; i++) {
			yajl_val x = v->u.object.values[i];

			rc = wdn_tags_set(&t, v->u.object.keys[i], YAJL_IS_STRING(x) ? x->u.string : "");
		}
	} else {
		return 0;
	}
	if (!rc && t.n && !(rc = wdn_tags_to_json(&t, &b)))
		*out = wdn_buf_detach(&b, NULL);
	wdn_buf_release(&b);
	wdn_tags_release(&t);
	return rc;
}

/* The bytes a record's strings take in a store. */
static size_t stored_size(const char *const *v, size_t n)
{
	size_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += v[i] ? strlen(v[i]) : 0;
	return sum;
}

static int too_long(const char *s)
{
	return s && strlen(s) > WDN_ARN_MAX;
}

/* An event listing more tags than WDN_MAX_TAGS: rejected, never stored. */
static int too_many_tags(struct wdn_err *err, const char *event_name)
{
	return wdn_err_set(err, WDN_EINVAL, "%s lists more than %d tags (or tag keys) in one list",
			   event_name, WDN_MAX_TAGS);
}

static int keys_json(wdn_json v, char **out)
{
	struct wdn_keyset k = { 0 };
	struct wdn_buf b = WDN_BUF_INIT;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!v || !YAJL_IS_ARRAY(v))
		return 0;
	if (v->u.array.len > WDN_MAX_TAGS)
		return WDN_ETOOBIG;
	for (i = 0; !rc && i < v->u.array.len; i++)
		if (YAJL_IS_STRING(v->u.array.values[i]))
			rc = wdn_keyset_add(&k, v->u.array.values[i]->u.string);
	if (!rc && k.n && !(rc = wdn_keyset_to_json(&k, &b)))
		*out = wdn_buf_detach(&b, NULL);
	wdn_buf_release(&b);
	wdn_keyset_release(&k);
	return rc;
}

static int principal_of_event(wdn_json ev, const char *name, struct wdn_issuance *is)
{
	struct wdn_buf b = WDN_BUF_INIT;
	const char *s;

	if (!strncmp(name, "AssumeRole", 10) && strcmp(name, "AssumeRoot")) {
		if ((s = wdn_json_str(ev, "requestParameters.roleArn")))
			is->principal = wdn_strdup(s);
		else
			is->principal = wdn_principal_of("AssumedRole",
				wdn_json_str(ev, "responseElements.assumedRoleUser.arn"), NULL);
		if (!(is->session_name = dup_str(ev, "requestParameters.roleSessionName")))
			is->session_name = wdn_arn_session(
				wdn_json_str(ev, "responseElements.assumedRoleUser.arn"));
	} else if (!strcmp(name, "AssumeRoot")) {
		if ((s = wdn_json_str(ev, "requestParameters.targetPrincipal"))) {
			wdn_buf_addf(&b, "arn:aws:iam::%s:root", s);
			is->principal = wdn_buf_detach(&b, NULL);
		}
	} else if (!strcmp(name, "GetFederationToken")) {
		is->principal = dup_str(ev, "responseElements.federatedUser.arn");
		is->session_name = dup_str(ev, "requestParameters.name");
	} else if (!strcmp(name, "GetSessionToken")) {
		is->principal = wdn_strdup(is->caller_principal);
	} else if (!strcmp(name, "CreateAccessKey")) {
		const char *user = wdn_json_str(ev, "requestParameters.userName");
		const char *acct = wdn_json_str(ev, "recipientAccountId");
		const char *type = wdn_json_str(ev, "userIdentity.type");

		/* no user named: the caller's own key; the root user's is the root's */
		if (!user && !(type && !strcmp(type, "Root")))
			user = wdn_json_str(ev, "responseElements.accessKey.userName");
		if (!acct)
			acct = wdn_json_str(ev, "userIdentity.accountId");
		if (user && acct) {
			wdn_buf_addf(&b, "arn:aws:iam::%s:user/%s", acct, user);
			is->principal = wdn_buf_detach(&b, NULL);
		} else {
			is->principal = wdn_strdup(is->caller_principal);
		}
	}
	if (!is->account)
		is->account = wdn_arn_account(is->principal);
	return 0;
}

/* What every store can hold: a caller's key of the shape of a key ID, names
 * and ARNs no longer than WDN_ARN_MAX, all of it within WDN_MAX_STORED. */
static int issuance_fits(const struct wdn_issuance *is, struct wdn_err *err)
{
	const char *const names[] = {
		is->key_id, is->event_id, is->event_name, is->shared_event_id, is->principal,
		is->account, is->session_name, is->caller_key, is->caller_type, is->caller_arn,
		is->caller_principal, is->caller_account, is->invoked_by, is->source_identity,
		is->provider, is->subject, is->audience,
	};
	const char *const bulk[] = {
		is->session_tags, is->transitive_keys, is->incoming_tags, is->event,
	};
	size_t i;

	if (is->caller_key && wdn_key_id_check(is->caller_key, strlen(is->caller_key)) == WDN_KEY_BAD)
		return wdn_err_set(err, WDN_EINVAL, "userIdentity.accessKeyId of %zu bytes is not an "
				   "access key ID", strlen(is->caller_key));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (too_long(names[i]))
			return wdn_err_set(err, WDN_EINVAL, "%s: a principal, ARN or name longer than %d bytes",
					   is->event_name, WDN_ARN_MAX);
	if (stored_size(names, sizeof(names) / sizeof(names[0])) +
	    stored_size(bulk, sizeof(bulk) / sizeof(bulk[0])) > WDN_MAX_STORED)
		return wdn_err_set(err, WDN_EINVAL, "%s: too large to store (over %u bytes)",
				   is->event_name, WDN_MAX_STORED);
	return 0;
}

/* Did the call fail? An errorCode of null is none, as the reader takes it
 * (and as exports that write every absent member have it). */
static int failed(wdn_json ev)
{
	wdn_json e = wdn_json_get(ev, "errorCode");

	return e && !YAJL_IS_NULL(e);
}

int wdn_event_issuance(wdn_json ev, const struct wdn_str *plain, struct wdn_issuance *is,
		       struct wdn_err *err)
{
	const char *name = wdn_json_str(ev, "eventName"), *t;
	wdn_json key, req = wdn_json_get(ev, "requestParameters");
	unsigned long nomem = wdn_nomem_count();
	int rc;

	memset(is, 0, sizeof(*is));
	is->start = is->end = WDN_TIME_NONE;
	if (!name || failed(ev))
		return 0;
	key = wdn_json_get(ev, "responseElements.credentials.accessKeyId");
	if (!key)
		key = wdn_json_get(ev, "responseElements.accessKey.accessKeyId");
	if (!key)
		return 0;
	if (!YAJL_IS_STRING(key) || !wdn_key_valid(key->u.string))
		return wdn_err_set(err, WDN_EINVAL, "issued access key ID is not a key");
	t = wdn_json_str(ev, "eventTime");
	if (!t || wdn_time_parse(t, strlen(t), &is->start))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.40s' is not a time", t ? t : "");
	if ((t = wdn_json_str(ev, "responseElements.credentials.expiration")) &&
	    wdn_time_parse(t, strlen(t), &is->end)) {
		return wdn_err_set(err, WDN_EINVAL, "credentials.expiration '%.40s' is not a time", t);
	}
	is->key_id = wdn_strdup(key->u.string);
	is->event_name = wdn_strdup(name);
	is->event_id = dup_str(ev, "eventID");
	is->shared_event_id = dup_str(ev, "sharedEventID");
	is->caller_key = dup_str(ev, "userIdentity.accessKeyId");
	is->caller_type = dup_str(ev, "userIdentity.type");
	is->caller_arn = dup_str(ev, "userIdentity.arn");
	is->caller_account = dup_str(ev, "userIdentity.accountId");
	is->invoked_by = dup_str(ev, "userIdentity.invokedBy");
	is->caller_principal = wdn_principal_of(is->caller_type, is->caller_arn,
		wdn_json_str(ev, "userIdentity.sessionContext.sessionIssuer.arn"));
	if (is->caller_key && (!*is->caller_key ||
			       wdn_key_id_check(is->caller_key, strlen(is->caller_key)) == WDN_KEY_MASKED)) {
		free(is->caller_key); /* AWS services log an empty key; samples mask theirs */
		is->caller_key = NULL;
	}
	principal_of_event(ev, name, is);
	is->source_identity = dup_str(ev, "requestParameters.sourceIdentity");
	if (!is->source_identity)
		is->source_identity = dup_str(ev, "responseElements.sourceIdentity");
	if (!is->source_identity) /* set once upstream and carried down */
		is->source_identity = dup_str(ev, "userIdentity.sessionContext.sourceIdentity");
	if (!strcmp(name, "AssumeRoleWithSAML") || !strcmp(name, "AssumeRoleWithWebIdentity")) {
		/* federated callers: who the identity provider vouched for. For SAML,
		 * userIdentity.identityProvider is the name qualifier (a hash), so
		 * the provider's ARN comes from the request */
		if (name[14] == 'S')
			is->provider = dup_str(ev, "requestParameters.principalArn");
		if (!is->provider)
			is->provider = dup_str(ev, "userIdentity.identityProvider");
		if (!(is->subject = dup_str(ev, "responseElements.subjectFromWebIdentityToken")) &&
		    !(is->subject = dup_str(ev, "responseElements.subject")))
			is->subject = dup_str(ev, "userIdentity.userName");
		is->audience = dup_str(ev, "responseElements.audience");
		free(is->caller_type);
		is->caller_type = wdn_strdup(name[14] == 'S' ? "SAMLUser" : "WebIdentityUser");
		if (!is->caller_principal)
			is->caller_principal = wdn_strdup(is->provider);
	}
	if ((rc = tags_json(wdn_json_get(req, "tags"), &is->session_tags)) ||
	    (!is->session_tags &&
	     (rc = tags_json(wdn_json_get(req, "principalTags"), &is->session_tags))) ||
	    (rc = keys_json(wdn_json_get(req, "transitiveTagKeys"), &is->transitive_keys)) ||
	    (rc = tags_json(wdn_json_get(req, "incomingTransitiveTags"), &is->incoming_tags))) {
		if (rc == WDN_ETOOBIG) {
			wdn_issuance_release(is);
			return too_many_tags(err, name);
		}
		goto fail;
	}
	if (plain) {
		is->event = wdn_event_redact_plain(plain->ptr, plain->len);
	} else {
		struct wdn_buf b = WDN_BUF_INIT;

		wdn_event_redact(ev);
		if ((rc = wdn_json_serialize(ev, &b))) {
			wdn_buf_release(&b);
			goto fail;
		}
		is->event = wdn_buf_detach(&b, NULL);
	}
	if (!is->key_id || !is->event_name || !is->event || wdn_nomem_count() != nomem)
		goto nomem; /* a copy that failed is not a field absent */
	if ((rc = issuance_fits(is, err)))
		goto bad;
	return 1;
nomem:
	rc = WDN_ENOMEM;
fail:
	wdn_issuance_release(is);
	return wdn_err_set(err, rc, "%s", wdn_strerror(rc));
bad:
	wdn_issuance_release(is);
	return rc;
}

/* ---- changes: tags, names, key status, roles passed to CloudFormation ---- */

void wdn_change_release(struct wdn_change *c)
{
	free(c->subject);
	free(c->event_id);
	free(c->kind);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

struct change_rule {
	const char *event, *kind;
	const char *what;      /* role, user, provider, key, pass */
	const char *name_path; /* requestParameters member naming the subject */
	const char *data_path; /* member holding the change's data */
};

static const struct change_rule change_rules[] = {
	{ "CreateRole", "create", "role", "requestParameters.roleName", "requestParameters.tags" },
	{ "TagRole", "tag", "role", "requestParameters.roleName", "requestParameters.tags" },
	{ "UntagRole", "untag", "role", "requestParameters.roleName", "requestParameters.tagKeys" },
	{ "DeleteRole", "delete", "role", "requestParameters.roleName", NULL },
	{ "CreateUser", "create", "user", "requestParameters.userName", "requestParameters.tags" },
	{ "TagUser", "tag", "user", "requestParameters.userName", "requestParameters.tags" },
	{ "UntagUser", "untag", "user", "requestParameters.userName", "requestParameters.tagKeys" },
	{ "DeleteUser", "delete", "user", "requestParameters.userName", NULL },
	{ "UpdateUser", "rename", "user", "requestParameters.userName", NULL },
	{ "CreateOpenIDConnectProvider", "create", "provider", "responseElements.openIDConnectProviderArn", "requestParameters.tags" },
	{ "TagOpenIDConnectProvider", "tag", "provider", "requestParameters.openIDConnectProviderArn", "requestParameters.tags" },
	{ "UntagOpenIDConnectProvider", "untag", "provider", "requestParameters.openIDConnectProviderArn", "requestParameters.tagKeys" },
	{ "CreateSAMLProvider", "create", "provider", "responseElements.sAMLProviderArn", "requestParameters.tags" },
	{ "TagSAMLProvider", "tag", "provider", "requestParameters.sAMLProviderArn", "requestParameters.tags" },
	{ "UntagSAMLProvider", "untag", "provider", "requestParameters.sAMLProviderArn", "requestParameters.tagKeys" },
	{ "CreateAccessKey", "status", "key", "responseElements.accessKey.accessKeyId", NULL },
	{ "UpdateAccessKey", "status", "key", "requestParameters.accessKeyId", "requestParameters.status" },
	{ "DeleteAccessKey", "delete", "key", "requestParameters.accessKeyId", NULL },
	{ "CreateStack", "pass", "pass", "requestParameters.roleARN", NULL },
	{ "UpdateStack", "pass", "pass", "requestParameters.roleARN", NULL },
	{ "DeleteStack", "pass", "pass", "requestParameters.roleARN", NULL },
	{ "CreateStackSet", "pass", "pass", "requestParameters.administrationRoleARN", NULL },
	{ "UpdateStackSet", "pass", "pass", "requestParameters.administrationRoleARN", NULL },
};
#define NRULES (sizeof(change_rules) / sizeof(change_rules[0]))

int wdn_event_changes_anything(struct wdn_str name)
{
	size_t i;

	if (name_is(name, "GetRoleCredentials"))
		return 1;
	for (i = 0; i < NRULES; i++)
		if (name_is(name, change_rules[i].event))
			return 1;
	return 0;
}

/* A small JSON object of string members, NULL values left out. */
static char *object_text(const char *const *kv, size_t n)
{
	struct wdn_buf b = WDN_BUF_INIT;
	yajl_gen g = wdn_gen_into(&b);
	size_t i;

	if (!g)
		return NULL;
	yajl_gen_map_open(g);
	for (i = 0; i + 1 < n; i += 2) {
		if (!kv[i + 1])
			continue;
		wdn_gen_key(g, kv[i]);
		wdn_gen_str(g, kv[i + 1]);
	}
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return wdn_buf_detach(&b, NULL);
}

/* A change is passed on whole: none of its copies (subject, data) lost for
 * want of memory since nomem was read. */
static int emit(wdn_change_fn cb, void *ctx, const char *subject, int64_t t, const char *id,
		const char *kind, char *data, unsigned long nomem, struct wdn_err *err)
{
	struct wdn_change c = { (char *)subject, t, (char *)id, (char *)kind, data };
	int rc = wdn_nomem_count() != nomem ? wdn_err_set(err, WDN_ENOMEM, "out of memory") : cb(ctx, &c);

	free(data);
	return rc;
}

/*
 * IAM Identity Center's portal logs GetRoleCredentials (who, which account
 * and permission set) but not the key; the member account logs the
 * AssumeRoleWithSAML that issued it. Kept as sso:ACCOUNT:PERMISSION_SET so a
 * session can be joined to its person by account, role and time.
 */
static int sso_credentials(wdn_json ev, const char *t, const char *id, wdn_change_fn cb, void *ctx,
			   struct wdn_err *err)
{
	const char *acct = wdn_json_str(ev, "requestParameters.accountId");
	const char *role = wdn_json_str(ev, "requestParameters.roleName");
	const char *kv[] = {
		"event", "GetRoleCredentials",
		"principal", wdn_json_str(ev, "userIdentity.userName"),
		"user", wdn_json_str(ev, "userIdentity.userName"),
		"userId", wdn_json_str(ev, "userIdentity.onBehalfOf.userId"),
		"identityStore", wdn_json_str(ev, "userIdentity.onBehalfOf.identityStoreArn"),
	};
	struct wdn_buf subject = WDN_BUF_INIT;
	unsigned long nomem = wdn_nomem_count();
	int64_t when;
	int rc;

	if (!acct || !role)
		return 0;
	if (too_long(acct) || too_long(role) || too_long(id) ||
	    stored_size(kv, sizeof(kv) / sizeof(kv[0])) > WDN_MAX_STORED)
		return wdn_err_set(err, WDN_EINVAL, "GetRoleCredentials: a name longer than %d bytes",
				   WDN_ARN_MAX);
	if (wdn_time_parse(t, strlen(t), &when))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.40s' is not a time", t);
	wdn_buf_addf(&subject, "sso:%s:%s", acct, role);
	rc = emit(cb, ctx, subject.ptr, when, id, "sso", object_text(kv, 10), nomem, err);
	wdn_buf_release(&subject);
	return rc;
}

int wdn_event_changes(wdn_json ev, wdn_change_fn cb, void *ctx, struct wdn_err *err)
{
	const char *name = wdn_json_str(ev, "eventName"), *t = wdn_json_str(ev, "eventTime");
	const char *id = wdn_json_str(ev, "eventID"), *acct, *subj_name;
	const struct change_rule *r = NULL;
	struct wdn_buf subject = WDN_BUF_INIT;
	unsigned long nomem = wdn_nomem_count();
	char *data = NULL;
	int64_t when;
	size_t i;
	int rc = 0;

	if (!name || !t || failed(ev))
		return 0;
	if (!strcmp(name, "GetRoleCredentials"))
		return sso_credentials(ev, t, id, cb, ctx, err);
	for (i = 0; i < NRULES && !r; i++)
		if (!strcmp(name, change_rules[i].event))
			r = &change_rules[i];
	if (!r || !(subj_name = wdn_json_str(ev, r->name_path)))
		return 0;
	if (wdn_time_parse(t, strlen(t), &when))
		return wdn_err_set(err, WDN_EINVAL, "eventTime '%.40s' is not a time", t);
	if (!(acct = wdn_json_str(ev, "recipientAccountId")))
		acct = wdn_json_str(ev, "userIdentity.accountId");
	if (too_long(subj_name) || too_long(acct) || too_long(id) ||
	    too_long(wdn_json_str(ev, "requestParameters.newUserName")) ||
	    too_long(wdn_json_str(ev, "requestParameters.newPath")))
		return wdn_err_set(err, WDN_EINVAL, "%s: a name or account longer than %d bytes",
				   name, WDN_ARN_MAX);
	if (!strcmp(r->what, "key") && !wdn_key_id_ok(subj_name, strlen(subj_name))) {
		if (wdn_key_id_check(subj_name, strlen(subj_name)) == WDN_KEY_MASKED)
			return 0; /* names no key */
		return wdn_err_set(err, WDN_EINVAL, "%s: %s of %zu bytes is not an access key ID",
				   name, r->name_path, strlen(subj_name));
	}
	if (!strcmp(r->what, "role") || !strcmp(r->what, "user")) {
		if (!acct)
			return 0;
		wdn_buf_addf(&subject, "tags:%s:%s/%s", acct, r->what, subj_name);
	} else if (!strcmp(r->what, "provider")) {
		wdn_buf_addf(&subject, "tags:%s", subj_name);
	} else {
		wdn_buf_addf(&subject, "%s:%s", r->what, subj_name);
	}

	if (!strcmp(r->kind, "create") || !strcmp(r->kind, "tag")) {
		rc = tags_json(wdn_json_get(ev, r->data_path), &data);
		if (!rc && !data)
			data = wdn_strdup("{}");
	} else if (!strcmp(r->kind, "untag")) {
		rc = keys_json(wdn_json_get(ev, r->data_path), &data);
	} else if (!strcmp(r->kind, "status")) {
		const char *st = r->data_path ? wdn_json_str(ev, r->data_path) : "Active";
		const char *kv[] = { "status", st ? st : "Active" };

		data = object_text(kv, 2);
	} else if (!strcmp(r->kind, "pass")) {
		char *principal = wdn_principal_of(wdn_json_str(ev, "userIdentity.type"),
			wdn_json_str(ev, "userIdentity.arn"),
			wdn_json_str(ev, "userIdentity.sessionContext.sessionIssuer.arn"));
		const char *stack = wdn_json_str(ev, "requestParameters.stackName");
		const char *kv[] = {
			"key", wdn_json_str(ev, "userIdentity.accessKeyId"), "principal", principal,
			"event", name, "stack", stack ? stack : wdn_json_str(ev, "requestParameters.stackSetName"),
		};

		data = object_text(kv, 8);
		free(principal);
	} else if (!strcmp(r->kind, "rename")) {
		const char *nn = wdn_json_str(ev, "requestParameters.newUserName");
		const char *np = wdn_json_str(ev, "requestParameters.newPath");
		const char *kv[] = { "name", nn ? nn : subj_name, "path", np };

		if (!nn && !np)
			goto out;
		data = object_text(kv, 4);
		if (nn && strcmp(nn, subj_name) && acct) {
			/* the new name's log starts with where it came from */
			struct wdn_buf to = WDN_BUF_INIT;
			const char *back[] = { "name", subj_name };

			wdn_buf_addf(&to, "tags:%s:user/%s", acct, nn);
			rc = emit(cb, ctx, to.ptr, when, id, "renamed-from", object_text(back, 2), nomem, err);
			wdn_buf_release(&to);
		}
	}
	if (rc == WDN_ETOOBIG)
		rc = too_many_tags(err, name);
	else if (!rc && stored_size((const char *[]){ subject.ptr, id, data }, 3) > WDN_MAX_STORED)
		rc = wdn_err_set(err, WDN_EINVAL, "%s: its change is too large to store", name);
	if (!rc)
		rc = emit(cb, ctx, subject.ptr, when, id, r->kind, data, nomem, err);
	else
		free(data);
out:
	wdn_buf_release(&subject);
	return rc;
}
