/*
 * Directories and whole writes (fs.c). Internal to libwdn and the commands
 * (which link libwdn.a); not installed.
 */
#ifndef WDN_FS_H
#define WDN_FS_H

#include "wdn.h"

/* mkdir -p: path and every directory above it, new ones with mode; those that
 * exist already are fine. 0 or WDN_EIO / WDN_ENOMEM with err naming the one
 * that could not be made. */
int wdn_fs_mkdirs(const char *path, unsigned mode, struct wdn_err *err);
/* Write all n bytes, going on after EINTR; -1 with errno on failure. */
int wdn_fs_write_all(int fd, const void *p, size_t n);

#endif
