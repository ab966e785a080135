/*
 * Answers: walk from a key to the human or service at the root of its chain,
 * fold the tags IAM saw along it, and emit the answer's JSON members.
 */
#include "wdn.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

void wdn_answer_release(struct wdn_answer *a)
{
	size_t i;

	for (i = 0; i < a->nlinks; i++)
		wdn_issuance_release(&a->links[i].is);
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
	wdn_tags_release(&a->tags);
	wdn_tags_release(&a->chain_tags);
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

static char *account_of(const char *arn)
{
	const char *p = arn;
	int i;

	for (i = 0; p && i < 4; i++)
		if ((p = strchr(p, ':')))
			p++;
	if (!p || !*p || *p == ':')
		return NULL;
	return wdn_strndup(p, strcspn(p, ":"));
}

/* Types of caller that are a chain's root: nothing issued their identity. */
static int root_type(const char *type)
{
	static const char *const roots[] = {
		"IAMUser", "Root", "AWSService", "AWSAccount", "SAMLUser", "WebIdentityUser",
		"IdentityCenterUser",
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
	a->id_type = wdn_strdup(is->caller_type);
	a->id_key = wdn_strdup(is->caller_key);
	a->id_account = wdn_strdup(is->caller_account);
	if (is->invoked_by && (!is->caller_type || !strcmp(is->caller_type, "AWSService"))) {
		a->id_service = wdn_strdup(is->invoked_by);
		a->id_arn = NULL;
		a->complete = 1;
		return chain_add(a, is->invoked_by);
	}
	a->id_arn = wdn_strdup(is->caller_principal);
	if (!a->id_account)
		a->id_account = account_of(is->caller_principal);
	a->complete = root_type(is->caller_type);
	return chain_add(a, is->caller_principal);
}

/* Tags along the chain, root to leaf (DESIGN.md section 5). */
static int fold_tags(struct wdn_answer *a)
{
	struct wdn_tags inherited = { 0 }; /* transitive tags a session passes on */
	size_t i;
	int rc = 0;

	for (i = a->nlinks; i-- > 0 && !rc;) {
		const struct wdn_issuance *is = &a->links[i].is;
		struct wdn_tags session = { 0 }, next = { 0 };
		struct wdn_keyset passed = { 0 };
		size_t k;

		if (i == a->nlinks - 1 && is->incoming_tags)
			/* the parent is not in the store: trust what the event logged */
			rc = wdn_tags_from_json(&inherited, is->incoming_tags);
		if (!rc)
			rc = wdn_tags_from_json(&session, is->session_tags);
		if (!rc)
			rc = wdn_keyset_from_json(&passed, is->transitive_keys);
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
			/* the leaf: session tags, and inherited transitive tags over them */
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
		wdn_tags_release(&session);
		wdn_keyset_release(&passed);
	}
	wdn_tags_release(&inherited);
	return rc;
}

static int from_sighting(struct wdn_store *s, struct wdn_answer *a, struct wdn_err *err)
{
	struct wdn_sighting si;
	int rc = s->ops->get_sighting(s, a->key, &si, err);

	if (rc)
		return rc == WDN_ENOTFOUND ? 0 : rc;
	a->found = 1;
	a->principal = wdn_strdup(si.principal);
	if (si.arn && strstr(si.arn, ":assumed-role/"))
		a->session_name = wdn_strdup(strrchr(si.arn, '/') + 1);
	if ((rc = chain_add(a, si.principal)))
		goto out;
	a->id_type = wdn_strdup(si.type);
	a->id_arn = wdn_strdup(si.principal);
	a->id_account = wdn_strdup(si.account);
	a->complete = root_type(si.type);
	if (a->complete)
		a->id_key = wdn_strdup(a->key);
	a->first_seen = si.first;
	a->last_seen = si.last;
	if (si.account)
		snprintf(a->account, sizeof(a->account), "%s", si.account);
out:
	wdn_sighting_release(&si);
	return rc;
}

int wdn_resolve(struct wdn_store *s, const char *key, int64_t at, struct wdn_answer *a,
		struct wdn_err *err)
{
	const char *cur = key;
	int64_t t = at;
	size_t i;
	int rc = 0, cut = 0;

	memset(a, 0, sizeof(*a));
	a->start = a->end = a->first_seen = a->last_seen = WDN_TIME_NONE;
	snprintf(a->key, sizeof(a->key), "%s", key);
	a->at = at;
	a->key_type = wdn_key_type(key);
	if (wdn_key_account(key, a->account))
		a->account[0] = '\0';
	if (!s)
		return 0;
	while (cur) {
		struct wdn_issuance is;
		struct wdn_link *nl;

		if (a->nlinks == WDN_MAX_CHAIN) {
			cut = 1; /* too deep to be real: stop, incomplete */
			break;
		}
		rc = s->ops->get_issuance(s, cur, t, &is, err);
		if (rc == WDN_ENOTFOUND)
			break;
		if (rc)
			return rc;
		for (i = 0; i < a->nlinks; i++)
			if (!strcmp(a->links[i].is.key_id, is.key_id) && a->links[i].is.start == is.start)
				break;
		if (i < a->nlinks) {
			wdn_issuance_release(&is); /* a cycle: stop, incomplete */
			cut = 1;
			break;
		}
		if (!(nl = realloc(a->links, (a->nlinks + 1) * sizeof(*nl)))) {
			wdn_issuance_release(&is);
			return wdn_err_set(err, WDN_ENOMEM, "out of memory");
		}
		a->links = nl;
		a->links[a->nlinks++].is = is;
		if ((rc = chain_add(a, is.principal)))
			return rc;
		/* a long-term key belongs to its user, not to whoever created it */
		if (!strcmp(is.event_name, "CreateAccessKey")) {
			a->complete = 1;
			a->id_type = wdn_strdup("IAMUser");
			a->id_arn = wdn_strdup(is.principal);
			a->id_key = wdn_strdup(is.key_id);
			a->id_account = wdn_strdup(is.account);
			break;
		}
		cur = a->links[a->nlinks - 1].is.caller_key;
		t = a->links[a->nlinks - 1].is.start;
	}
	if (!a->nlinks)
		return from_sighting(s, a, err);
	a->found = 1;
	if (!a->id_type && !a->id_arn && (rc = set_identity_from_caller(a, &a->links[a->nlinks - 1].is)))
		return rc;
	if (cut)
		a->complete = 0;
	a->principal = wdn_strdup(a->links[0].is.principal);
	a->session_name = wdn_strdup(a->links[0].is.session_name);
	a->start = a->links[0].is.start;
	a->end = a->links[0].is.end;
	if (a->links[0].is.account)
		snprintf(a->account, sizeof(a->account), "%s", a->links[0].is.account);
	return fold_tags(a);
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

static void gen_identity(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Identity");
	if (!a->found) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	wdn_gen_key(g, "Type");
	wdn_gen_str(g, a->id_type);
	if (a->id_arn) {
		wdn_gen_key(g, "Arn");
		wdn_gen_str(g, a->id_arn);
	}
	if (a->id_service) {
		wdn_gen_key(g, "Service");
		wdn_gen_str(g, a->id_service);
	}
	if (a->id_account) {
		wdn_gen_key(g, "AccountId");
		wdn_gen_str(g, a->id_account);
	}
	if (a->id_key) {
		wdn_gen_key(g, "AccessKeyId");
		wdn_gen_str(g, a->id_key);
	}
	yajl_gen_map_close(g);
}

static void gen_links(yajl_gen g, const struct wdn_answer *a)
{
	size_t i;

	wdn_gen_key(g, "Links");
	yajl_gen_array_open(g);
	for (i = 0; i < a->nlinks; i++) {
		const struct wdn_issuance *is = &a->links[i].is;

		yajl_gen_map_open(g);
		wdn_gen_key(g, "AccessKeyId");
		wdn_gen_str(g, is->key_id);
		wdn_gen_key(g, "Principal");
		wdn_gen_str(g, is->principal);
		wdn_gen_key(g, "SessionName");
		wdn_gen_str(g, is->session_name);
		wdn_gen_key(g, "EventName");
		wdn_gen_str(g, is->event_name);
		wdn_gen_key(g, "EventID");
		wdn_gen_str(g, is->event_id);
		wdn_gen_key(g, "Start");
		wdn_gen_time(g, is->start);
		wdn_gen_key(g, "End");
		wdn_gen_time(g, is->end);
		wdn_gen_key(g, "CallerAccessKeyId");
		wdn_gen_str(g, is->caller_key);
		yajl_gen_map_close(g);
	}
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
	wdn_gen_key(g, "AccessKeyId");
	wdn_gen_str(g, a->key);
	gen_chain_tags(g, a);
	gen_identity(g, a);
	wdn_gen_key(g, "Complete");
	yajl_gen_bool(g, a->complete);
	gen_key_facts(g, a);
	gen_links(g, a);
}

void wdn_answer_gen_chain(yajl_gen g, const struct wdn_answer *a)
{
	wdn_gen_key(g, "Principal");
	wdn_gen_str(g, a->principal);
	gen_chain_list(g, a);
	gen_identity(g, a);
	wdn_gen_key(g, "Complete");
	yajl_gen_bool(g, a->complete);
	gen_times(g, a);
	gen_key_facts(g, a);
	gen_links(g, a);
}

void wdn_answer_gen_tags(yajl_gen g, const struct wdn_answer *a)
{
	gen_session_tags(g, a);
	gen_chain_tags(g, a);
}
