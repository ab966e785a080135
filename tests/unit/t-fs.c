/* wdn_fs_mkdirs: the one mkdir -p, on depths, relative and absolute paths,
 * slashes doubled and trailing, and the refusals it names. */
#include "tap.h"
#include "wdn.h"
#include "fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path, unsigned mode)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == mode;
}

int main(void)
{
	static const char *const shapes[] = { "a", "a/b/c", "d//e/", "f/g/h/i/j/k/l/m", "n o/p-q/r.s" };
	char top[] = "/tmp/t-fs.XXXXXX", path[512], file[512];
	struct wdn_err err;
	size_t i;
	FILE *f;

	if (!mkdtemp(top)) {
		skip("no temporary directory");
		return done_testing();
	}
	umask(022);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, shapes[i]);
		is_int(wdn_fs_mkdirs(path, 0750, &err), 0, "mkdir -p '%s'", shapes[i]);
		ok(is_dir(path, 0750), "'%s' is a directory, mode 0750", shapes[i]);
		is_int(wdn_fs_mkdirs(path, 0750, &err), 0, "again: there already is fine");
	}
	snprintf(path, sizeof(path), "%s/a/b", top);
	ok(is_dir(path, 0750), "the parents got the mode too");

	/* relative to the working directory */
	if (chdir(top)) {
		skip("cannot enter the temporary directory");
	} else {
		is_int(wdn_fs_mkdirs("rel/x/y", 0700, &err), 0, "a relative path");
		ok(is_dir("rel/x/y", 0700), "made under the working directory");
	}

	/* a file in the way: named in the error */
	snprintf(file, sizeof(file), "%s/plain", top);
	if ((f = fopen(file, "w")))
		fclose(f);
	snprintf(path, sizeof(path), "%s/plain/sub/dir", top);
	is_int(wdn_fs_mkdirs(path, 0700, &err), WDN_EIO, "a file in the way: WDN_EIO");
	ok(strstr(err.msg, "cannot create directory '") && strstr(err.msg, "/plain/sub'"),
	   "naming the directory it could not make: %s", err.msg);
	return done_testing();
}
