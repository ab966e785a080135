/*
 * The CloudTrail model (event.c): what an event issues, sights and changes;
 * the public header has the record types. Internal to libwdn and the
 * commands (which link libwdn.a); not installed.
 */
#ifndef WDN_EVENT_H
#define WDN_EVENT_H

#include "wdn.h"
#include "arn.h"
#include "json.h"

void wdn_change_release(struct wdn_change *c);
/* Does this event (name, no errorCode) change tags, names, key status, or pass a role? */
int wdn_event_changes_anything(struct wdn_str event_name);
/* Emit the changes a parsed event makes. */
int wdn_event_changes(wdn_json ev, wdn_change_fn cb, void *ctx, struct wdn_err *err);

void wdn_issuance_release(struct wdn_issuance *is);
/* *to as a copy of from, its issuing event too or not; WDN_ENOMEM (and *to
 * empty) if a member could not be copied. */
int wdn_issuance_copy(struct wdn_issuance *to, const struct wdn_issuance *from, int with_event);
void wdn_sighting_release(struct wdn_sighting *s);

/* The sighting an event is of its caller's key, at time t (every member
 * owned); WDN_ENOTFOUND if the event names no key. */
int wdn_event_sighting(const struct wdn_event *ev, int64_t t, struct wdn_sighting *out);
/* The caller as a chain entry, from the event's userIdentity: its session
 * issuer's ARN as is (when not empty), else its ARN (up to a NUL), an
 * assumed role's session converted to its role's into buf (as
 * wdn_principal_of does); ptr NULL if it has neither. No copy, no
 * allocation. */
#define WDN_PRINCIPAL_BUF (WDN_ARN_MAX + 1) /* a role's ARN is shorter than its session's */
struct wdn_str wdn_event_principal(const struct wdn_event *ev, char buf[WDN_PRINCIPAL_BUF]);
/* Does this event name (with no errorCode) issue credentials? */
int wdn_event_issues(struct wdn_str event_name);
/* Build the issuance of a parsed issuing event: 1 done, 0 not an issuance
 * (e.g. no key in the response), or a WDN_E* code with err. plain, when not
 * NULL, is the text ev was parsed from, compact and with no backslash (as
 * wdn_fast_event_tree takes): the stored event is made from it (see
 * wdn_event_redact_plain) rather than by serializing ev, which may then be a
 * tree of only the members the rules read. */
int wdn_event_issuance(wdn_json ev, const struct wdn_str *plain, struct wdn_issuance *out,
		       struct wdn_err *err);
/* Plain event text (compact, no backslash) with every string value of a
 * secret member replaced as wdn_event_redact does: byte for byte what
 * redacting its parse and serializing it writes. NULL for want of memory. */
char *wdn_event_redact_plain(const char *text, size_t len);
/* Replace session tokens and secrets anywhere in a tree. */
void wdn_event_redact(wdn_json v);
/* The chain-entry principal of a userIdentity: the role ARN of an assumed
 * role (from sessionIssuer or the assumed-role ARN), else the ARN as is. */
char *wdn_principal_of(const char *type, const char *arn, const char *issuer_arn);

#endif
