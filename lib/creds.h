/*
 * AWS credentials and the chain that finds them (creds.c). Internal to
 * libwdn and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_CREDS_H
#define WDN_CREDS_H

#include "wdn.h"

struct wdn_creds {
	char *key_id, *secret, *token;
	int64_t expires;      /* WDN_TIME_NONE for long-term keys */
	char source[64];      /* where they came from, for messages */
};
void wdn_creds_release(struct wdn_creds *c); /* wipes the secret */

/* Credentials from a JSON answer (credential_process, container endpoint). */
int wdn_creds_from_json(const char *text, size_t len, struct wdn_creds *c, struct wdn_err *err);
/* Credentials from an STS query-protocol answer (AssumeRole, AssumeRoleWithWebIdentity...). */
int wdn_creds_from_sts_xml(const char *xml, size_t len, struct wdn_creds *c, struct wdn_err *err);
/* Resolve credentials from the chain; creds.c. */
int wdn_creds_resolve(struct wdn_aws *a, struct wdn_creds *out, struct wdn_err *err);

#endif
