/* Files and directories: the one mkdir -p, the one write-it-all. */
#include "wdn.h"
#include "fs.h"
#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int wdn_fs_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int wdn_fs_mkdirs(const char *path, unsigned mode, struct wdn_err *err)
{
	char *p = wdn_strdup(path), *s;
	int rc = 0;

	if (!p)
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	/* each directory above path, then path itself; those there already are fine */
	for (s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (*p && mkdir(p, (mode_t)mode) && errno != EEXIST) {
			rc = wdn_err_set(err, WDN_EIO, "cannot create directory '%s': %s", p, strerror(errno));
			break;
		}
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}
