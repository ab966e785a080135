/* Store URLs and the backend-neutral entry points. */
#include "wdn.h"
#include "fs.h"
#include "store.h"
#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *wdn_store_default_path(void)
{
	struct wdn_buf b = WDN_BUF_INIT;
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		wdn_buf_addf(&b, "%s/whodunnit/wdn.db", xdg);
	else
		wdn_buf_addf(&b, "%s/.local/share/whodunnit/wdn.db", home && *home ? home : ".");
	return wdn_buf_detach(&b, NULL);
}

/* mkdir -p of the directories above path, private to the user. */
static int make_parents(const char *path, struct wdn_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (!slash || slash == path)
		return 0;
	if (!(dir = wdn_strndup(path, (size_t)(slash - path))))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	rc = wdn_fs_mkdirs(dir, 0700, err);
	free(dir);
	return rc;
}

int wdn_store_open(const char *url, int flags, const struct wdn_store_opts *opts,
		   struct wdn_store **out, struct wdn_err *err)
{
	char *dflt = NULL;
	int rc;

	*out = NULL;
	if (!url || !*url)
		url = getenv("WDN_STORE");
	if (!url || !*url)
		url = dflt = wdn_store_default_path();
	if (!strncmp(url, "dynamodb:", 9)) {
		rc = url[9] ? wdn_store_dynamodb_open(url + 9, flags, opts, out, err) :
			      wdn_err_set(err, WDN_EINVAL, "store 'dynamodb:' needs a table name");
	} else {
		if (!strncmp(url, "sqlite:", 7))
			url += 7;
		if (!*url)
			rc = wdn_err_set(err, WDN_EINVAL, "store 'sqlite:' needs a path");
		else if ((flags & WDN_STORE_CREATE) && (rc = make_parents(url, err)))
			;
		else
			rc = wdn_store_sqlite_open(url, flags, out, err);
	}
	free(dflt);
	return rc;
}

void wdn_store_close(struct wdn_store *s)
{
	if (s)
		s->ops->close(s);
}

/* Where a sighting stands to a time: 0 in use (its window holds at), 1 seen
 * before it, 2 seen only after it. */
static int sighting_class(const struct wdn_sighting *s, int64_t at)
{
	if (s->first <= at && at <= s->last)
		return 0;
	return s->last < at ? 1 : 2;
}

int wdn_sighting_prefer(const struct wdn_sighting *a, const struct wdn_sighting *b, int64_t at)
{
	int ca = sighting_class(a, at), cb = sighting_class(b, at);

	if (ca != cb)
		return ca < cb;
	/* in use: the latest to begin (a name used again inside another's
	 * window is the one in use); before: the latest; after: the first */
	if (ca == 0 && a->first != b->first)
		return a->first > b->first;
	if (ca == 1 && a->last != b->last)
		return a->last > b->last;
	if (ca == 2 && a->first != b->first)
		return a->first < b->first;
	return strcmp(a->principal ? a->principal : "", b->principal ? b->principal : "") < 0;
}
