/* Input operands: a file, or a directory walked recursively in name order
 * (so runs over the same tree always see inputs in the same order). */
#include "wdn.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int walk(const char *path, int depth, int (*cb)(void *, const char *), void *ctx,
		struct wdn_err *err)
{
	struct dirent **names;
	struct stat st;
	int n, i, rc = 0;

	if (stat(path, &st))
		return wdn_err_set(err, WDN_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cb(ctx, path);
	if (depth > 64)
		return wdn_err_set(err, WDN_EIO, "'%s': directories nested too deep", path);
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return wdn_err_set(err, WDN_EIO, "cannot read directory '%s': %s", path, strerror(errno));
	for (i = 0; i < n; i++) {
		struct wdn_buf b = WDN_BUF_INIT;
		const char *nm = names[i]->d_name;

		if (!rc && strcmp(nm, ".") && strcmp(nm, "..")) {
			size_t len = strlen(path);

			if (wdn_buf_addf(&b, "%s%s%s", path, len && path[len - 1] == '/' ? "" : "/", nm))
				rc = wdn_err_set(err, WDN_ENOMEM, "out of memory");
			else
				rc = walk(b.ptr, depth + 1, cb, ctx, err);
		}
		wdn_buf_release(&b);
		free(names[i]);
	}
	free(names);
	return rc;
}

int wdn_input_walk(const char *path, int (*cb)(void *ctx, const char *file), void *ctx,
		   struct wdn_err *err)
{
	return walk(path, 0, cb, ctx, err);
}
