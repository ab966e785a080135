/*
 * Answers: walk from a key to the human or service at the root of its chain,
 * fold the tags IAM saw along it, and emit the answer's JSON members.
 */
#include "wdn.h"
#include "arn.h"
#include "coverage.h"
#include "event.h"
#include "json.h"
#include "resolve.h"
#include "store.h"
#include "str.h"
#include "tags.h"
#include "verify.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

void wdn_answer_release(struct wdn_answer *a)
{
	size_t i;

	for (i = 0; i < a->nlinks; i++)
		wdn_issuance_release(&a->links[i].is);
	wdn_gaps_release(&a->coverage);
	free(a->links);
	for (i = 0; i < a->nchain; i++)
		free(a->chain[i]);
	free(a->chain);
	free(a->principal);
	free(a->session_name);
	free(a->source_identity);
	free(a->id_type);
	free(a->id_arn);
	free(a->id_key);
	free(a->id_account);
	free(a->id_service);
	free(a->id_detail);
	free(a->id_provider);
	free(a->id_subject);
	free(a->id_audience);
	free(a->id_user);
	free(a->id_user_id);
	free(a->id_store);
	free(a->status);
	for (i = 0; i < a->nhistory; i++)
		wdn_change_release(&a->history[i]);
	free(a->history);
	wdn_change_release(&a->inferred);
	for (i = 0; i < a->ndesc; i++)
		wdn_issuance_release(&a->desc[i].is);
	free(a->desc);
	wdn_tags_release(&a->tags);
	wdn_tags_release(&a->chain_tags);
	wdn_tags_release(&a->provider_tags);
	wdn_keyset_release(&a->transitive);
	memset(a, 0, sizeof(*a));
}

static int chain_add(struct wdn_answer *a, const char *principal)
{
	char **nv;

	if (!principal)
		return 0;
	if (a->nchain && !strcmp(a->chain[a->nchain - 1], principal))
		return 0; /* GetSessionToken: the same user on both sides */
	if (!(nv = realloc(a->chain, (a->nchain + 1) * sizeof(*nv))))
		return WDN_ENOMEM;
	a->chain = nv;
	if (!(a->chain[a->nchain] = wdn_strdup(principal)))
		return WDN_ENOMEM;
	a->nchain++;
	return 0;
}

/* The account an ARN names (owned), or NULL. */
static char *account_of(const char *arn)
{
	return wdn_arn_account(arn);
}

/* arn:PARTITION:iam::ACCT:root, the account's root user */
static int is_root_arn(const char *arn)
{
	struct wdn_arn a;

	return !wdn_arn_parse_str(arn, &a) && wdn_arn_is(&a, "iam", NULL) &&
	       wdn_str_eq(a.resource, "root");
}

/* An IAM Identity Center role, .../AWSReservedSSO_<permission set>_<hash>:
 * its permission set (ptr NULL when the role is none). */
static struct wdn_str sso_permission_set(const char *role_arn)
{
	struct wdn_str r = { NULL, 0 };
	struct wdn_arn a;
	const char *end;

	if (wdn_arn_parse_str(role_arn, &a) || !wdn_arn_is(&a, NULL, "role") || a.name.len < 15 ||
	    memcmp(a.name.ptr, "AWSReservedSSO_", 15))
		return r;
	r.ptr = a.name.ptr + 15;
	if (!(end = memrchr(r.ptr, '_', a.name.len - 15)) || end == r.ptr)
		return (struct wdn_str){ NULL, 0 };
	r.len = (size_t)(end - r.ptr);
	return r;
}

/* ---- IAM facts as of a time, from the change log ------------------------- */

#define MAX_RENAMES 8

/* arn:aws:iam::ACCT:role/path/NAME -> "tags:ACCT:role/NAME"; providers by
 * ARN. Split by position: what is no IAM role, user or provider has none. */
static char *tag_subject(const char *arn)
{
	struct wdn_buf b = WDN_BUF_INIT;
	struct wdn_arn a;

	if (wdn_arn_parse_str(arn, &a) || !wdn_arn_is(&a, "iam", NULL))
		return NULL;
	if (wdn_arn_is(&a, NULL, "saml-provider") || wdn_arn_is(&a, NULL, "oidc-provider"))
		wdn_buf_addf(&b, "tags:%s", arn);
	else if ((wdn_arn_is(&a, NULL, "role") || wdn_arn_is(&a, NULL, "user")) && a.account.len &&
		 a.name.len)
		wdn_buf_addf(&b, "tags:%.*s:%.*s/%.*s", (int)a.account.len, a.account.ptr,
			     (int)a.type.len, a.type.ptr, (int)a.name.len, a.name.ptr);
	return b.len ? wdn_buf_detach(&b, NULL) : NULL;
}

/*
 * IAM names a user or role, but one deleted and created again under its
 * name is someone else: identity is the name and its creation. The one
 * meant is the one that held the name at a time "from" (when its key was
 * made, first seen, or its session began); a delete or create of the name
 * after from ends it, and nothing after that is its own: no tags, no
 * renames. So a deleted user's key never takes a later namesake's tags.
 */
static int ends_holder(const struct wdn_change *c, int64_t from)
{
	return c->time > from && (!strcmp(c->kind, "create") || !strcmp(c->kind, "delete"));
}

struct fold {
	struct wdn_store *s;
	struct wdn_tags *t;
	const char *name;  /* the subject's own name, to tell a rename away */
	int64_t from;      /* the holder of the name is the one at this time */
	int ended;         /* the holder was deleted or replaced: nothing more is its */
	int following;     /* folding an old name up to a rename: ignore the rename */
	int depth;
	struct wdn_err *err;
};

static int fold_subject(struct wdn_store *s, const char *subject, int64_t from, int64_t until,
			int following, int depth, struct wdn_tags *t, struct wdn_err *err);

static int fold_change(void *ctx, const struct wdn_change *c)
{
	struct fold *f = ctx;
	struct wdn_keyset keys = { 0 };
	size_t i;
	int rc = 0;

	if (f->ended)
		return 0;
	if (ends_holder(c, f->from)) {
		wdn_tags_release(f->t); /* gone: a namesake's tags are not its */
		f->ended = 1;
	} else if (!strcmp(c->kind, "create") || !strcmp(c->kind, "delete")) {
		wdn_tags_release(f->t);
		if (c->kind[0] == 'c')
			rc = wdn_tags_from_json(f->t, c->data);
	} else if (!strcmp(c->kind, "tag")) {
		rc = wdn_tags_from_json(f->t, c->data);
	} else if (!strcmp(c->kind, "untag")) {
		if (!(rc = wdn_keyset_from_json(&keys, c->data)))
			for (i = 0; i < keys.n; i++)
				wdn_tags_unset(f->t, keys.v[i]);
		wdn_keyset_release(&keys);
	} else if (!strcmp(c->kind, "rename") && !f->following) {
		wdn_json d = wdn_json_parse(c->data, strlen(c->data), NULL);
		const char *nn = wdn_json_str(d, "name");

		if (nn && f->name && strcmp(nn, f->name))
			wdn_tags_release(f->t); /* the name now means nobody (or someone else) */
		wdn_json_free(d);
	} else if (!strcmp(c->kind, "renamed-from") && f->depth < MAX_RENAMES) {
		/* the user came from another name: its tags came along */
		wdn_json d = wdn_json_parse(c->data, strlen(c->data), NULL);
		const char *old = wdn_json_str(d, "name"), *colon = strrchr(c->subject, '/');
		struct wdn_buf b = WDN_BUF_INIT;

		if (old && colon) {
			wdn_buf_addf(&b, "%.*s/%s", (int)(colon - c->subject), c->subject, old);
			wdn_tags_release(f->t);
			/* the old name's holder is the one renamed, at the rename */
			rc = fold_subject(f->s, b.ptr, c->time, c->time, 1, f->depth + 1, f->t, f->err);
		}
		wdn_buf_release(&b);
		wdn_json_free(d);
	}
	return rc;
}

static int fold_subject(struct wdn_store *s, const char *subject, int64_t from, int64_t until,
			int following, int depth, struct wdn_tags *t, struct wdn_err *err)
{
	const char *slash = strrchr(subject, '/');
	struct fold f = { s, t, slash ? slash + 1 : NULL, from, 0, following, depth, err };

	return s->ops->changes(s, subject, until, fold_change, &f, err);
}

/* The tags IAM had at time at on the role or user (by ARN) that held its
 * name at time from (from <= at): none once that one is gone. */
static int principal_tags(struct wdn_store *s, const char *arn, int64_t from, int64_t at,
			  struct wdn_tags *t, struct wdn_err *err)
{
	char *subject = tag_subject(arn);
	int rc = 0;

	if (subject)
		rc = fold_subject(s, subject, from, at, 0, 0, t, err);
	free(subject);
	return rc;
}

struct renames {
	int64_t from;
	char *name, *path;
};

static int rename_change(void *ctx, const struct wdn_change *c)
{
	struct renames *r = ctx;
	wdn_json d;

	if (ends_holder(c, r->from))
		return 2; /* the user was deleted or replaced: a namesake's renames are not its */
	if (strcmp(c->kind, "rename") || c->time < r->from || !c->data)
		return 0;
	if ((d = wdn_json_parse(c->data, strlen(c->data), NULL))) {
		const char *nn = wdn_json_str(d, "name"), *np = wdn_json_str(d, "path");

		if (nn && (strcmp(nn, r->name) || np)) {
			free(r->name);
			r->name = wdn_strdup(nn);
			if (np) {
				free(r->path);
				r->path = wdn_strdup(np);
			}
			r->from = c->time;
			wdn_json_free(d);
			return 1; /* one step at a time: the new name has its own log */
		}
		wdn_json_free(d);
	}
	return 0;
}

/* The ARN as of at of the user that held arn at time from, following its
 * UpdateUser renames (not a later namesake's); *since: when it took the
 * name returned (the last rename followed, or from); *failed set when the
 * store could not say (a rename not read is not a rename absent). */
static char *user_arn_as_of(struct wdn_store *s, const char *arn, int64_t from, int64_t at,
			    int64_t *since, int *failed)
{
	struct renames r = { from, NULL, NULL };
	struct wdn_buf b = WDN_BUF_INIT;
	struct wdn_arn a;
	const char *path;
	char *acct = NULL, *out = NULL;
	int i, rc = 0;

	if (wdn_arn_parse_str(arn, &a) || !wdn_arn_is(&a, "iam", "user") || !a.account.len ||
	    !a.name.len)
		goto done;
	acct = wdn_strndup(a.account.ptr, a.account.len);
	path = a.type.ptr + a.type.len; /* "/path/" up to the name, "/" when none */
	r.name = wdn_strndup(a.name.ptr, a.name.len);
	r.path = wdn_strndup(path, (size_t)(a.name.ptr - path));
	if (!acct || !r.name || !r.path)
		goto done;
	for (i = 0; i < MAX_RENAMES; i++) {
		wdn_buf_reset(&b);
		wdn_buf_addf(&b, "tags:%s:user/%s", acct, r.name);
		if ((rc = s->ops->changes(s, b.ptr, at, rename_change, &r, NULL)) != 1)
			break;
	}
	if (wdn_buf_failed(&b) || (rc < 0 && rc != WDN_ENOTFOUND)) {
		*failed = rc < 0 ? rc : WDN_ENOMEM;
		goto done;
	}
	wdn_buf_reset(&b);
	wdn_buf_addf(&b, "%.*s:user%s%s", (int)(a.account.ptr + a.account.len - arn), arn, r.path,
		     r.name);
	out = wdn_buf_detach(&b, NULL);
done:
	wdn_buf_release(&b);
	free(r.name);
	free(r.path);
	free(acct);
	if (since)
		*since = out ? r.from : from;
	return out ? out : wdn_strdup(arn);
}

static int history_change(void *ctx, const struct wdn_change *c)
{
	struct wdn_answer *a = ctx;
	struct wdn_change *nh = realloc(a->history, (a->nhistory + 1) * sizeof(*nh));

	if (!nh)
		return WDN_ENOMEM;
	a->history = nh;
	nh[a->nhistory].subject = NULL;
	nh[a->nhistory].time = c->time;
	nh[a->nhistory].event_id = wdn_strdup(c->event_id);
	nh[a->nhistory].kind = wdn_strdup(c->kind);
	nh[a->nhistory].data = wdn_strdup(c->data);
	a->nhistory++; /* released with the answer, copied whole or not */
	if (!nh[a->nhistory - 1].kind || (c->event_id && !nh[a->nhistory - 1].event_id) ||
	    (c->data && !nh[a->nhistory - 1].data))
		return WDN_ENOMEM;
	return 0;
}

/* A long-term key's status history: created, (in)activated, deleted. */
static int key_history(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	struct wdn_buf b = WDN_BUF_INIT;
	size_t i;
	int rc;

	wdn_buf_addf(&b, "key:%s", a->key);
	rc = s->ops->changes(s, b.ptr, a->at, history_change, a, err);
	wdn_buf_release(&b);
	for (i = 0; !rc && i < a->nhistory; i++) {
		struct wdn_change *c = &a->history[i];

		free(a->status);
		if (!strcmp(c->kind, "delete")) {
			a->status = wdn_strdup("Deleted");
			a->end = c->time;
		} else {
			wdn_json d = wdn_json_parse(c->data, strlen(c->data), NULL);

			a->status = wdn_strdup(wdn_json_str(d, "status"));
			wdn_json_free(d);
		}
	}
	return rc;
}

/* Types of caller that are a chain's root: nothing issued their identity. */
static int root_type(const char *type)
{
	static const char *const roots[] = {
		/* not AWSAccount: another account's caller, whom this account cannot see */
		"IAMUser", "Root", "AWSService", "SAMLUser", "WebIdentityUser", "IdentityCenterUser",
	};
	size_t i;

	for (i = 0; type && i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!strcmp(type, roots[i]))
			return 1;
	return 0;
}

/* The root (Identity) from what the root-most issuing event says of its caller. */
static int set_identity_from_caller(struct wdn_answer *a, const struct wdn_issuance *is)
{
	const char *t = is->caller_type;

	a->id_type = wdn_strdup(t);
	a->id_key = wdn_strdup(is->caller_key);
	a->id_account = wdn_strdup(is->caller_account);
	if (is->invoked_by && (!t || !strcmp(t, "AWSService"))) {
		/* an AWS service; EC2 names the session after the instance */
		a->id_service = wdn_strdup(is->invoked_by);
		if (is->session_name && !strncmp(is->session_name, "i-", 2))
			a->id_detail = wdn_strdup(is->session_name);
		a->complete = 1;
		return chain_add(a, is->invoked_by);
	}
	if (t && (!strcmp(t, "SAMLUser") || !strcmp(t, "WebIdentityUser"))) {
		a->id_provider = wdn_strdup(is->provider);
		a->id_subject = wdn_strdup(is->subject);
		a->id_audience = wdn_strdup(is->audience);
		/* IAM Identity Center: a SAML session of an AWSReservedSSO_ role,
		 * named after the person */
		if (sso_permission_set(is->principal).ptr && is->session_name) {
			free(a->id_type);
			a->id_type = wdn_strdup("IdentityCenterUser");
			a->id_user = wdn_strdup(is->session_name);
			a->sso_pending = 1; /* joined to GetRoleCredentials in wdn_resolve */
		}
		a->complete = is->provider != NULL;
		return chain_add(a, is->provider);
	}
	a->id_arn = wdn_strdup(is->caller_principal);
	if (!a->id_account)
		a->id_account = account_of(is->caller_principal);
	a->complete = root_type(t);
	return chain_add(a, is->caller_principal);
}

/* The tags a link's principal had of its own when the session began. */
static int own_tags(struct wdn_store *s, const struct wdn_issuance *is, int64_t at,
		    struct wdn_tags *t, struct wdn_err *err)
{
	const char *n = is->event_name;

	if (!strcmp(n, "GetFederationToken"))
		return principal_tags(s, is->caller_principal, is->start, is->start, t, err);
	if (!strcmp(n, "CreateAccessKey")) {
		/* a user's tags are live, and follow the user through renames */
		int64_t since;
		int failed = 0;
		char *now = user_arn_as_of(s, is->principal, is->start, at, &since, &failed);
		int rc = failed ? wdn_err_set(err, failed, "%s", wdn_strerror(failed)) :
				  principal_tags(s, now, since, at, t, err);

		free(now);
		return rc;
	}
	return principal_tags(s, is->principal, is->start, is->start, t, err);
}

/* Tags along the chain, root to leaf: users' and roles' tags as of each
 * hop's start, then that hop's session tags; a later hop wins. */
static int fold_tags(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	struct wdn_tags inherited = { 0 }; /* transitive tags a session passes on */
	size_t i;
	int rc = 0;

	/* the root user's own tags start ChainTags */
	if (a->id_arn && a->id_type && !strcmp(a->id_type, "IAMUser") && a->nlinks &&
	    strcmp(a->links[a->nlinks - 1].is.event_name, "CreateAccessKey"))
		rc = principal_tags(s, a->id_arn, a->links[a->nlinks - 1].is.start,
				    a->links[a->nlinks - 1].is.start, &a->chain_tags, err);
	for (i = a->nlinks; i-- > 0 && !rc;) {
		const struct wdn_issuance *is = &a->links[i].is;
		struct wdn_tags own = { 0 }, session = { 0 }, next = { 0 };
		struct wdn_keyset passed = { 0 };
		size_t k;

		if (i == a->nlinks - 1 && is->incoming_tags) {
			/* the parent is not in the store: trust what the event logged */
			rc = wdn_tags_from_json(&inherited, is->incoming_tags);
			if (!rc)
				rc = wdn_tags_merge(&a->chain_tags, &inherited);
		}
		if (!rc)
			rc = own_tags(s, is, a->at, &own, err);
		if (!rc)
			rc = wdn_tags_from_json(&session, is->session_tags);
		if (!rc)
			rc = wdn_keyset_from_json(&passed, is->transitive_keys);
		if (!rc)
			rc = wdn_tags_merge(&a->chain_tags, &own);
		if (!rc)
			rc = wdn_tags_merge(&a->chain_tags, &session);
		/* what this session passes on: what it inherited plus its own transitive keys */
		if (!rc)
			rc = wdn_tags_merge(&next, &inherited);
		for (k = 0; !rc && k < passed.n; k++) {
			const char *v = wdn_tags_get(&session, passed.v[k]);

			if (v)
				rc = wdn_tags_set(&next, passed.v[k], v);
		}
		if (!rc && i == 0) {
			/* the leaf: its own tags, then session tags, then inherited
			 * transitive tags, which a session cannot override */
			rc = wdn_tags_merge(&a->tags, &own);
			if (!rc)
				rc = wdn_tags_merge(&a->tags, &session);
			if (!rc)
				rc = wdn_tags_merge(&a->tags, &inherited);
			for (k = 0; !rc && k < next.n; k++)
				rc = wdn_keyset_add(&a->transitive, next.v[k].key);
		}
		/* SourceIdentity is set once and carried down */
		if (is->source_identity) {
			if (!a->source_identity)
				a->source_identity = wdn_strdup(is->source_identity);
			else if (strcmp(a->source_identity, is->source_identity))
				a->source_identity_changed = 1;
		}
		wdn_tags_release(&inherited);
		inherited = next;
		wdn_tags_release(&own);
		wdn_tags_release(&session);
		wdn_keyset_release(&passed);
	}
	wdn_tags_release(&inherited);
	return rc;
}

/* An answer from what a sighting tells: a key whose issuance is unknown. */
static int from_sighting(struct wdn_store *s, struct wdn_answer *a, const struct wdn_sighting *seen,
			 struct wdn_err *err)
{
	struct wdn_sighting si;
	int rc;

	if (seen) {
		si = *seen; /* borrowed: never released here */
	} else if ((rc = s->ops->get_sighting(s, a->key, a->at, &si, err))) {
		return rc == WDN_ENOTFOUND ? 0 : rc;
	}
	a->found = 1;
	a->complete = root_type(si.type);
	if (si.type && !strcmp(si.type, "IAMUser")) {
		/* a user's key: the user as named at the time asked about */
		int64_t since;
		int failed = 0;

		a->principal = user_arn_as_of(s, si.principal, si.first, a->at, &since, &failed);
		a->id_key = wdn_strdup(a->key);
		rc = failed ? wdn_err_set(err, failed, "%s", wdn_strerror(failed)) :
			      principal_tags(s, a->principal, since, a->at, &a->tags, err);
		if (!rc)
			rc = wdn_tags_merge(&a->chain_tags, &a->tags);
	} else {
		a->principal = wdn_strdup(si.principal);
		if (a->complete)
			a->id_key = wdn_strdup(a->key);
	}
	a->session_name = wdn_arn_session(si.arn);
	if (!rc)
		rc = chain_add(a, a->principal);
	a->id_type = wdn_strdup(si.type);
	a->id_arn = wdn_strdup(a->principal);
	a->id_account = wdn_strdup(si.account);
	a->first_seen = si.first;
	a->last_seen = si.last;
	if (si.account)
		snprintf(a->account, sizeof(a->account), "%s", si.account);
	if (!seen)
		wdn_sighting_release(&si);
	return rc;
}

/* Follow caller keys from cur at time t, appending links. Returns 1 if the
 * walk was cut (a cycle, or deeper than any real chain). */
static int walk(struct wdn_store *s, struct wdn_answer *a, const char *cur, int64_t t,
		struct wdn_err *err)
{
	size_t i;
	int rc;

	while (cur) {
		struct wdn_issuance is;
		struct wdn_link *nl;

		if (a->nlinks == WDN_MAX_CHAIN)
			return 1;
		rc = s->ops->get_issuance(s, cur, t, &is, err);
		if (rc == WDN_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
		for (i = 0; i < a->nlinks; i++)
			if (!strcmp(a->links[i].is.key_id, is.key_id) && a->links[i].is.start == is.start)
				break;
		if (i < a->nlinks) {
			wdn_issuance_release(&is);
			return 1;
		}
		if (!(nl = realloc(a->links, (a->nlinks + 1) * sizeof(*nl)))) {
			wdn_issuance_release(&is);
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		}
		a->links = nl;
		a->links[a->nlinks++].is = is;
		nl = &a->links[a->nlinks - 1];
		if (!strcmp(nl->is.event_name, "CreateAccessKey")) {
			/* a long-term key belongs to its user, not to whoever created it */
			int failed = 0;
			char *arn = user_arn_as_of(s, nl->is.principal, nl->is.start, a->at, NULL, &failed);

			rc = failed ? wdn_err_set(err, failed, "%s", wdn_strerror(failed)) : chain_add(a, arn);
			a->complete = 1;
			a->id_type = wdn_strdup(is_root_arn(arn) ? "Root" : "IAMUser");
			a->id_arn = arn;
			a->id_key = wdn_strdup(nl->is.key_id);
			a->id_account = wdn_strdup(nl->is.account);
			return rc;
		}
		if ((rc = chain_add(a, nl->is.principal)))
			return rc;
		cur = nl->is.caller_key;
		t = nl->is.start;
	}
	return 0;
}

struct pass_pick {
	int64_t after;
	struct wdn_change *c;
};

static int pick_pass(void *ctx, const struct wdn_change *c)
{
	struct pass_pick *p = ctx;

	if (c->time < p->after || strcmp(c->kind, "pass"))
		return 0;
	wdn_change_release(p->c); /* changes come in time order: keep the latest */
	p->c->subject = wdn_strdup(c->subject);
	p->c->time = c->time;
	p->c->event_id = wdn_strdup(c->event_id);
	p->c->kind = wdn_strdup(c->kind);
	p->c->data = wdn_strdup(c->data);
	return 0;
}

#define PASS_WINDOW (24 * 3600) /* stack operations that outlast a day are not linked */

/* A role session CloudFormation started: link it, marked inferred, to the
 * caller that passed CloudFormation the role for a stack operation. */
static int infer_cloudformation(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	const struct wdn_issuance *root = &a->links[a->nlinks - 1].is;
	struct pass_pick p = { root->start - PASS_WINDOW, &a->inferred };
	struct wdn_issuance caller;
	struct wdn_buf b = WDN_BUF_INIT;
	wdn_json d;
	size_t before;
	int rc;

	if (!root->invoked_by || strcmp(root->invoked_by, "cloudformation.amazonaws.com") ||
	    root->caller_key || !root->principal)
		return 0;
	wdn_buf_addf(&b, "pass:%s", root->principal);
	rc = s->ops->changes(s, b.ptr, root->start, pick_pass, &p, err);
	wdn_buf_release(&b);
	if (rc || !a->inferred.data || !(d = wdn_json_parse(a->inferred.data, strlen(a->inferred.data), NULL)))
		return rc;
	memset(&caller, 0, sizeof(caller));
	caller.caller_key = (char *)wdn_json_str(d, "key");
	caller.caller_principal = (char *)wdn_json_str(d, "principal");
	caller.caller_type = caller.caller_key && !strncmp(caller.caller_key, "AKIA", 4) ?
		"IAMUser" : "AssumedRole";
	/* the service is not the root after all: the passer's chain is */
	free(a->id_type);
	free(a->id_service);
	free(a->id_key);
	free(a->id_account);
	free(a->id_detail);
	a->id_type = a->id_service = a->id_key = a->id_account = a->id_detail = NULL;
	a->nchain--;
	free(a->chain[a->nchain]);
	before = a->nlinks;
	rc = caller.caller_key ? walk(s, a, caller.caller_key, a->inferred.time, err) : 0;
	if (rc >= 0 && !a->id_type)
		rc = set_identity_from_caller(a, a->nlinks > before ?
			&a->links[a->nlinks - 1].is : &caller);
	wdn_json_free(d);
	return rc < 0 ? rc : 0;
}

/* A federated root's provider tags, as of the root session's start. An OIDC
 * provider is logged by host; IAM names it by ARN in the role's account. */
static int provider_tags(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	const struct wdn_issuance *root = &a->links[a->nlinks - 1].is;
	struct wdn_buf arn = WDN_BUF_INIT;
	char *acct = account_of(root->principal);
	int rc = 0;

	if (!strncmp(a->id_provider, "arn:", 4))
		wdn_buf_adds(&arn, a->id_provider);
	else if (acct)
		wdn_buf_addf(&arn, "arn:aws:iam::%s:oidc-provider/%s", acct, a->id_provider);
	if (arn.len)
		rc = principal_tags(s, arn.ptr, root->start, root->start, &a->provider_tags, err);
	wdn_buf_release(&arn);
	free(acct);
	return rc;
}

#define SSO_WINDOW 300 /* the portal's call and the session it made, seconds apart */

struct sso_pick {
	int64_t start;
	const char *user;
	struct wdn_change *c;
	int64_t best;       /* distance of the pick from start; a match of user name wins */
	int named;
};

static int pick_sso(void *ctx, const struct wdn_change *c)
{
	struct sso_pick *p = ctx;
	int64_t d = c->time > p->start ? c->time - p->start : p->start - c->time;
	wdn_json v = c->data ? wdn_json_parse(c->data, strlen(c->data), NULL) : NULL;
	const char *u = wdn_json_str(v, "user");
	int named = u && p->user && !strcmp(u, p->user);

	if (d <= SSO_WINDOW && (!p->c->kind || named > p->named || (named == p->named && d < p->best))) {
		wdn_change_release(p->c);
		p->c->subject = wdn_strdup(c->subject);
		p->c->time = c->time;
		p->c->event_id = wdn_strdup(c->event_id);
		p->c->kind = wdn_strdup(c->kind);
		p->c->data = wdn_strdup(c->data);
		p->best = d;
		p->named = named;
	}
	wdn_json_free(v);
	return 0;
}

/* An Identity Center session: join it, marked inferred, to the portal's
 * GetRoleCredentials for the same account and permission set around its start. */
static int infer_identity_center(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	const struct wdn_issuance *root = &a->links[a->nlinks - 1].is;
	struct wdn_str ps = sso_permission_set(root->principal);
	struct sso_pick p = { root->start, root->session_name, &a->inferred, 0, 0 };
	struct wdn_buf b = WDN_BUF_INIT;
	char *acct = account_of(root->principal);
	int rc;

	if (!acct || !ps.ptr) {
		free(acct);
		return 0;
	}
	wdn_buf_addf(&b, "sso:%s:%.*s", acct, (int)ps.len, ps.ptr);
	rc = s->ops->changes(s, b.ptr, root->start + SSO_WINDOW, pick_sso, &p, err);
	if (!rc && a->inferred.data) {
		wdn_json d = wdn_json_parse(a->inferred.data, strlen(a->inferred.data), NULL);

		if (wdn_json_str(d, "user")) {
			free(a->id_user);
			a->id_user = wdn_strdup(wdn_json_str(d, "user"));
		}
		a->id_user_id = wdn_strdup(wdn_json_str(d, "userId"));
		a->id_store = wdn_strdup(wdn_json_str(d, "identityStore"));
		wdn_json_free(d);
	}
	wdn_buf_release(&b);
	free(acct);
	return rc;
}

/* Each link's integrity: its source's status as the store keeps it. The
 * answer's is the weakest; an inferred link is a guess whose proving event's
 * source is not kept, so it counts as unverified. */
static int link_integrity(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	size_t i;
	int rc;

	a->integrity = a->inferred.data ? WDN_INTEGRITY_UNVERIFIED : WDN_INTEGRITY_VERIFIED;
	for (i = 0; i < a->nlinks; i++) {
		struct wdn_link *l = &a->links[i];

		l->integrity = WDN_INTEGRITY_UNVERIFIED;
		if (l->is.source && s->ops->get_source &&
		    (rc = s->ops->get_source(s, l->is.source, &l->integrity, err)) &&
		    rc != WDN_ENOTFOUND)
			return rc;
		a->integrity = wdn_integrity_weakest(a->integrity, l->integrity);
	}
	return 0;
}

/* The account whose trail delivered a log file: the 12 digits after
 * AWSLogs/ (and an organization's o-ID) in its path or URI; "" if none. */
static void source_account(const char *src, char out[16])
{
	const char *p = src ? strstr(src, "AWSLogs/") : NULL;
	size_t n;

	out[0] = '\0';
	if (!p)
		return;
	p += 8;
	if (!strncmp(p, "o-", 2) && strchr(p, '/'))
		p = strchr(p, '/') + 1;
	n = strspn(p, "0123456789");
	if (n == 12 && p[12] == '/')
		snprintf(out, 16, "%.12s", p);
}

#define COVERAGE_ACCOUNTS 16
#define SESSION_MAX (12 * 3600) /* the longest a role session lasts */

static void add_account(char (*v)[16], size_t *n, const char *acct)
{
	size_t i;

	if (!acct || strlen(acct) != 12 || *n == COVERAGE_ACCOUNTS)
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp(v[i], acct))
			return;
	snprintf(v[(*n)++], 16, "%s", acct);
}

/*
 * Coverage around an answer: the accounts it touches (the key's, each
 * link's principal's and caller's, and the account whose trail delivered
 * each link's event) over its window: from the root-most issuance to the
 * key's end (or the time asked); for a key not found, the longest session
 * before the time asked, or everything recorded when no time was asked.
 */
static int answer_coverage(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	char accts[COVERAGE_ACCOUNTS][16], src[16];
	int64_t from, to;
	size_t n = 0, i;
	int rc = 0;

	if (!s->ops->covers)
		return 0;
	add_account(accts, &n, a->account[0] ? a->account : NULL);
	for (i = 0; i < a->nlinks; i++) {
		source_account(a->links[i].is.source, src);
		add_account(accts, &n, src[0] ? src : NULL);
		add_account(accts, &n, a->links[i].is.account);
		add_account(accts, &n, a->links[i].is.caller_account);
	}
	if (a->nlinks) {
		from = a->links[a->nlinks - 1].is.start;
		to = a->end != WDN_TIME_NONE ? a->end : a->at != WDN_TIME_MAX ? a->at : a->links[0].is.start;
	} else if (a->first_seen != WDN_TIME_NONE) {
		from = a->first_seen;
		to = a->last_seen;
	} else if (a->at != WDN_TIME_MAX) {
		from = a->at - SESSION_MAX;
		to = a->at;
	} else {
		from = WDN_TIME_NONE;
		to = WDN_TIME_MAX;
	}
	for (i = 0; i < n && !rc; i++)
		rc = wdn_coverage_gaps(s, accts[i], from, to, &a->coverage, err);
	return rc;
}

int wdn_resolve(struct wdn_store *s, const char *key, int64_t at, struct wdn_answer *a,
		struct wdn_err *err)
{
	return wdn_resolve_seen(s, key, at, NULL, a, err);
}

int wdn_resolve_seen(struct wdn_store *s, const char *key, int64_t at, const struct wdn_sighting *seen,
		     struct wdn_answer *a, struct wdn_err *err)
{
	unsigned long nomem = wdn_nomem_count();
	int rc = 0, cut;

	memset(a, 0, sizeof(*a));
	a->start = a->end = a->first_seen = a->last_seen = a->issued_later = WDN_TIME_NONE;
	snprintf(a->key, sizeof(a->key), "%s", key);
	a->at = at;
	a->key_type = wdn_key_type(key);
	if (wdn_key_account(key, a->account))
		a->account[0] = '\0';
	if (!s || strnlen(key, sizeof(a->key)) == sizeof(a->key))
		return 0; /* longer than any key ID: never the key its first bytes name */
	if ((cut = walk(s, a, key, at, err)) < 0)
		return cut;
	if (!a->nlinks) {
		struct wdn_issuance later;

		/* a key issued only after at did not exist yet: its sightings
		 * are the uses of those sessions, not an answer for at */
		rc = at == WDN_TIME_MAX ? WDN_ENOTFOUND : s->ops->get_issuance(s, key, WDN_TIME_MAX, &later, err);
		if (!rc) {
			a->issued_later = later.start;
			wdn_issuance_release(&later);
		}
		else if (rc == WDN_ENOTFOUND)
			rc = from_sighting(s, a, seen, err);
		else
			return rc;
	} else {
		a->found = 1;
		if (!a->id_type && !a->id_arn &&
		    (rc = set_identity_from_caller(a, &a->links[a->nlinks - 1].is)))
			return rc;
		if (!cut && (rc = infer_cloudformation(s, a, err)))
			return rc;
		if (!cut && a->sso_pending && (rc = infer_identity_center(s, a, err)))
			return rc;
		if (a->id_provider && (rc = provider_tags(s, a, err)))
			return rc;
		if (cut)
			a->complete = 0;
		a->principal = !strcmp(a->links[0].is.event_name, "CreateAccessKey") ?
			wdn_strdup(a->chain[0]) : wdn_strdup(a->links[0].is.principal);
		a->session_name = wdn_strdup(a->links[0].is.session_name);
		a->start = a->links[0].is.start;
		a->end = a->links[0].is.end;
		if (a->links[0].is.account)
			snprintf(a->account, sizeof(a->account), "%s", a->links[0].is.account);
		if (!(rc = link_integrity(s, a, err)))
			rc = fold_tags(s, a, err);
	}
	if (!rc && a->key_type && !strcmp(a->key_type, "long-term"))
		rc = key_history(s, a, err);
	if (!rc && wdn_nomem_count() != nomem) /* a copy lost is not a field absent */
		rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
	if (!rc)
		rc = answer_coverage(s, a, err);
	return rc;
}

/* Rounds of gathering: each reads one more level of every chain, so the
 * deepest chain bounds them; a few more cover the roots' logs. */
#define PREFETCH_ROUNDS (WDN_MAX_CHAIN + 8)

int wdn_resolve_prefetch(struct wdn_store *s, const char *const *keys, const int64_t *at,
			 const struct wdn_sighting *seen, size_t n, struct wdn_err *err)
{
	int round, rc = 0;
	size_t i;

	if (!s || !s->ops->gather || n < 2)
		return 0;
	for (round = 0; round < PREFETCH_ROUNDS; round++) {
		if ((rc = s->ops->gather(s, 1, err)))
			break;
		/* answers from what is known so far; they only serve to say what
		 * else is needed, and are thrown away */
		for (i = 0; i < n; i++) {
			struct wdn_answer a;

			wdn_resolve_seen(s, keys[i], at ? at[i] : WDN_TIME_MAX, seen ? &seen[i] : NULL, &a,
					 NULL);
			wdn_answer_release(&a);
		}
		if ((rc = s->ops->gather(s, 0, err)) <= 0)
			break;
	}
	return rc < 0 ? rc : 0;
}

struct desc_walk {
	struct wdn_answer *a;
	int64_t from, to;  /* the parent session's window: a recycled key's other lives are not its */
	unsigned depth;
};

static int add_descendant(void *ctx, const struct wdn_issuance *is)
{
	struct desc_walk *w = ctx;
	struct wdn_answer *a = w->a;
	struct wdn_descendant *nd;
	size_t i;

	if (is->start < w->from || (w->to != WDN_TIME_NONE && is->start > w->to))
		return 0;
	if (a->ndesc >= WDN_MAX_DESCENDANTS)
		return 0;
	for (i = 0; i < a->ndesc; i++)
		if (a->desc[i].is.start == is->start && !strcmp(a->desc[i].is.key_id, is->key_id))
			return 0;
	if (!(nd = realloc(a->desc, (a->ndesc + 1) * sizeof(*nd))))
		return WDN_ENOMEM;
	a->desc = nd;
	memset(&nd[a->ndesc], 0, sizeof(*nd));
	nd[a->ndesc].depth = w->depth;
	/* keep what the listing shows; the event itself is not needed */
	nd[a->ndesc].is.key_id = wdn_strdup(is->key_id);
	nd[a->ndesc].is.principal = wdn_strdup(is->principal);
	nd[a->ndesc].is.session_name = wdn_strdup(is->session_name);
	nd[a->ndesc].is.caller_key = wdn_strdup(is->caller_key);
	nd[a->ndesc].is.event_name = wdn_strdup(is->event_name);
	nd[a->ndesc].is.event_id = wdn_strdup(is->event_id);
	nd[a->ndesc].is.start = is->start;
	nd[a->ndesc].is.end = is->end;
	a->ndesc++;
	return 0;
}

int wdn_resolve_descendants(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	struct desc_walk w = { a, a->start == WDN_TIME_NONE ? INT64_MIN : a->start, a->end, 1 };
	size_t next = 0, level_end;
	unsigned long nomem = wdn_nomem_count();
	int rc;

	if (!s)
		return 0;
	if ((rc = s->ops->children(s, a->key, add_descendant, &w, err)))
		return rc;
	/* breadth first: each level's children, within each parent's window */
	while (next < a->ndesc) {
		level_end = a->ndesc;
		for (; next < level_end; next++) {
			char *key = wdn_strdup(a->desc[next].is.key_id);

			w.from = a->desc[next].is.start;
			w.to = a->desc[next].is.end;
			w.depth = a->desc[next].depth + 1;
			rc = key ? s->ops->children(s, key, add_descendant, &w, err) : WDN_ENOMEM;
			free(key);
			if (rc)
				return rc;
		}
	}
	return wdn_nomem_count() == nomem ? 0 : wdn_err_set(err, WDN_ENOMEM, "out of memory");
}

/* ---- output --------------------------------------------------------------- */

static void gen_chain_list(yajl_gen g, const struct wdn_answer *a)
{
	size_t i;

	wdn_gen_key(g, "PrincipalChain");
	yajl_gen_array_open(g);
	for (i = 0; i < a->nchain; i++)
		wdn_gen_str(g, a->chain[i]);
	yajl_gen_array_close(g);
}

static const struct wdn_member inferred_members[] = {
	{ "EventName", "STRING", NULL }, { "EventID", "STRING", NULL },
	{ "EventTime", "STRING", NULL }, { "StackName", "STRING", NULL },
	{ "Principal", "STRING", NULL }, { "AccessKeyId", "STRING", NULL },
	{ NULL, NULL, NULL },
};

/* Every member wdn_answer_gen_identity may write, in its order. */
const struct wdn_member wdn_identity_members[] = {
	{ "Type", "STRING", NULL }, { "Arn", "STRING", NULL }, { "Service", "STRING", NULL },
	{ "AccountId", "STRING", NULL }, { "AccessKeyId", "STRING", NULL },
	{ "InstanceId", "STRING", NULL }, { "Provider", "STRING", NULL },
	{ "Subject", "STRING", NULL }, { "Audience", "STRING", NULL },
	{ "UserName", "STRING", NULL }, { "UserId", "STRING", NULL },
	{ "IdentityStoreArn", "STRING", NULL },
	{ "ProviderTags", "MAP<STRING, STRING>", NULL },
	{ "InferredFrom", NULL, inferred_members },
	{ NULL, NULL, NULL },
};

void wdn_answer_gen_identity(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Identity");
	if (!a->found && !a->id_type && !a->id_arn && !a->id_service) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	wdn_gen_key(g, "Type");
	wdn_gen_str(g, a->id_type);
	{
		/* the members a root has, in this order; absent ones left out */
		const char *extra[][2] = {
			{ "Arn", a->id_arn }, { "Service", a->id_service },
			{ "AccountId", a->id_account }, { "AccessKeyId", a->id_key },
			{ "InstanceId", a->id_detail }, { "Provider", a->id_provider },
			{ "Subject", a->id_subject }, { "Audience", a->id_audience },
			{ "UserName", a->id_user }, { "UserId", a->id_user_id },
			{ "IdentityStoreArn", a->id_store },
		};
		size_t i;

		for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			if (!extra[i][1])
				continue;
			wdn_gen_key(g, extra[i][0]);
			wdn_gen_str(g, extra[i][1]);
		}
	}
	if (a->provider_tags.n) {
		wdn_gen_key(g, "ProviderTags");
		wdn_tags_gen(g, &a->provider_tags, 1);
	}
	if (a->inferred.data) {
		wdn_json d = wdn_json_parse(a->inferred.data, strlen(a->inferred.data), NULL);

		/* the link from a CloudFormation session to its stack's caller is a guess */
		wdn_gen_key(g, "InferredFrom");
		yajl_gen_map_open(g);
		wdn_gen_key(g, "EventName");
		wdn_gen_str(g, wdn_json_str(d, "event"));
		wdn_gen_key(g, "EventID");
		wdn_gen_str(g, a->inferred.event_id);
		wdn_gen_key(g, "EventTime");
		wdn_gen_time(g, a->inferred.time);
		wdn_gen_key(g, "StackName");
		wdn_gen_str(g, wdn_json_str(d, "stack"));
		wdn_gen_key(g, "Principal");
		wdn_gen_str(g, wdn_json_str(d, "principal"));
		wdn_gen_key(g, "AccessKeyId");
		wdn_gen_str(g, wdn_json_str(d, "key"));
		yajl_gen_map_close(g);
		wdn_json_free(d);
	}
	yajl_gen_map_close(g);
}

void wdn_issuance_gen_summary(yajl_gen g, const struct wdn_issuance *is)
{
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
}

/* Links, each with its provenance, then the answer's Integrity (null when
 * there are no links: nothing read proves the answer). */
static void gen_links(yajl_gen g, const struct wdn_answer *a)
{
	size_t i;

	wdn_gen_key(g, "Links");
	yajl_gen_array_open(g);
	for (i = 0; i < a->nlinks; i++) {
		yajl_gen_map_open(g);
		wdn_issuance_gen_summary(g, &a->links[i].is);
		wdn_gen_key(g, "Source");
		wdn_gen_str(g, a->links[i].is.source);
		wdn_gen_key(g, "Integrity");
		wdn_gen_str(g, wdn_integrity_name(a->links[i].integrity));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	wdn_gen_key(g, "Integrity");
	wdn_gen_str(g, a->nlinks ? wdn_integrity_name(a->integrity) : NULL);
	wdn_gen_key(g, "Coverage");
	if (!a->coverage.known) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (i = 0; i < a->coverage.n; i++)
		wdn_gap_gen(g, &a->coverage.v[i]);
	yajl_gen_array_close(g);
}

static void gen_times(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Start");
	wdn_gen_time(g, a->start);
	wdn_gen_key(g, "End");
	wdn_gen_time(g, a->end);
}

static void gen_key_facts(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "AccountId");
	wdn_gen_str(g, a->account[0] ? a->account : NULL);
	wdn_gen_key(g, "KeyType");
	wdn_gen_str(g, a->key_type);
	wdn_gen_key(g, "SessionName");
	wdn_gen_str(g, a->session_name);
	if (a->first_seen != WDN_TIME_NONE) {
		wdn_gen_key(g, "FirstSeen");
		wdn_gen_time(g, a->first_seen);
		wdn_gen_key(g, "LastSeen");
		wdn_gen_time(g, a->last_seen);
	}
	if (a->status || a->nhistory) {
		size_t i;

		wdn_gen_key(g, "Status");
		wdn_gen_str(g, a->status);
		wdn_gen_key(g, "StatusHistory");
		yajl_gen_array_open(g);
		for (i = 0; i < a->nhistory; i++) {
			wdn_json d = wdn_json_parse(a->history[i].data ? a->history[i].data : "{}",
						    a->history[i].data ? strlen(a->history[i].data) : 2, NULL);

			yajl_gen_map_open(g);
			wdn_gen_key(g, "Time");
			wdn_gen_time(g, a->history[i].time);
			wdn_gen_key(g, "Status");
			wdn_gen_str(g, !strcmp(a->history[i].kind, "delete") ? "Deleted" :
				    wdn_json_str(d, "status"));
			wdn_gen_key(g, "EventID");
			wdn_gen_str(g, a->history[i].event_id);
			yajl_gen_map_close(g);
			wdn_json_free(d);
		}
		yajl_gen_array_close(g);
	}
	wdn_gen_key(g, "Inferred");
	yajl_gen_bool(g, a->inferred.data != NULL);
	wdn_gen_key(g, "Found");
	yajl_gen_bool(g, a->found);
}

static void gen_session_tags(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Tags");
	wdn_tags_gen(g, &a->tags, 1);
	wdn_gen_key(g, "TransitiveTags");
	wdn_keyset_gen(g, &a->transitive);
}

static void gen_chain_tags(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "ChainTags");
	wdn_tags_gen(g, &a->chain_tags, 1);
	wdn_gen_key(g, "SourceIdentity");
	wdn_gen_str(g, a->source_identity);
	if (a->source_identity_changed) {
		wdn_gen_key(g, "SourceIdentityChanged");
		yajl_gen_bool(g, 1);
	}
}

void wdn_answer_gen_lookup(yajl_gen g, const struct wdn_answer *a, int flags)
{
	size_t i;

	/* the prototype's fields first, in its order */
	wdn_gen_key(g, "Principal");
	wdn_gen_str(g, a->principal);
	gen_chain_list(g, a);
	gen_session_tags(g, a);
	gen_times(g, a);
	if (flags & WDN_ANS_TRAILS) {
		wdn_gen_key(g, "Trails");
		yajl_gen_array_open(g);
		for (i = 0; i < a->nlinks; i++)
			if (a->links[i].is.event &&
			    wdn_json_gen_text(g, a->links[i].is.event, strlen(a->links[i].is.event)))
				yajl_gen_null(g);
		yajl_gen_array_close(g);
	}
	if (flags & WDN_ANS_DESCENDANTS) {
		wdn_gen_key(g, "Descendants");
		yajl_gen_array_open(g);
		for (i = 0; i < a->ndesc; i++) {
			yajl_gen_map_open(g);
			wdn_issuance_gen_summary(g, &a->desc[i].is);
			wdn_gen_key(g, "Depth");
			yajl_gen_integer(g, a->desc[i].depth);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	wdn_gen_key(g, "AccessKeyId");
	wdn_gen_str(g, a->key);
	gen_chain_tags(g, a);
	wdn_answer_gen_identity(g, a);
	wdn_gen_key(g, "Complete");
	yajl_gen_bool(g, a->complete);
	gen_key_facts(g, a);
	gen_links(g, a);
}

int wdn_answer_json(const struct wdn_answer *a, int flags, struct wdn_buf *out)
{
	yajl_gen g = wdn_gen_into(out);

	if (!g)
		return WDN_ENOMEM;
	yajl_gen_map_open(g);
	wdn_answer_gen_lookup(g, a, flags);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return wdn_buf_failed(out);
}

/* Every member wdn_answer_gen_chain may write: wdn-chain replaces these in
 * its input objects. */
const struct wdn_member wdn_chain_members[] = {
	{ "Principal", "STRING", NULL }, { "PrincipalChain", "ARRAY<STRING>", NULL },
	{ "Identity", NULL, wdn_identity_members }, { "Complete", "BOOLEAN", NULL },
	{ "Start", "STRING", NULL }, { "End", "STRING", NULL },
	{ "AccountId", "STRING", NULL }, { "KeyType", "STRING", NULL },
	{ "SessionName", "STRING", NULL }, { "FirstSeen", "STRING", NULL },
	{ "LastSeen", "STRING", NULL }, { "Status", "STRING", NULL },
	{ "StatusHistory", "ARRAY<STRUCT<time: STRING, status: STRING, eventid: STRING>>", NULL },
	{ "Inferred", "BOOLEAN", NULL }, { "Found", "BOOLEAN", NULL },
	{ "Links", "ARRAY<STRUCT<accesskeyid: STRING, principal: STRING, sessionname: STRING, "
		   "calleraccesskeyid: STRING, eventname: STRING, eventid: STRING, "
		   "`start`: STRING, `end`: STRING, source: STRING, integrity: STRING>>", NULL },
	{ "Integrity", "STRING", NULL },
	{ "Coverage", "ARRAY<STRUCT<account: STRING, region: STRING, `from`: STRING, `to`: STRING, "
		      "missing: ARRAY<STRING>>>", NULL },
	{ NULL, NULL, NULL },
};

void wdn_answer_gen_chain(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Principal");
	wdn_gen_str(g, a->principal);
	gen_chain_list(g, a);
	wdn_answer_gen_identity(g, a);
	wdn_gen_key(g, "Complete");
	yajl_gen_bool(g, a->complete);
	gen_times(g, a);
	gen_key_facts(g, a);
	gen_links(g, a);
}

/* Every member wdn_answer_gen_tags may write: wdn-tags replaces these. */
const struct wdn_member wdn_tags_members[] = {
	{ "Tags", "MAP<STRING, STRING>", NULL }, { "TransitiveTags", "ARRAY<STRING>", NULL },
	{ "ChainTags", "MAP<STRING, STRING>", NULL }, { "SourceIdentity", "STRING", NULL },
	{ "SourceIdentityChanged", "BOOLEAN", NULL },
	{ NULL, NULL, NULL },
};

void wdn_answer_gen_tags(yajl_gen g, const struct wdn_answer *a)
{
	gen_session_tags(g, a);
	gen_chain_tags(g, a);
}
