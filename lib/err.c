/* Error codes and the error struct that carries their human detail. */
#include "wdn.h"

#include <stdio.h>
#include <string.h>

int wdn_err_set(struct wdn_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int wdn_err_prefix(struct wdn_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t n;
	va_list ap;

	if (!err)
		return WDN_EINVAL;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, "%s", old);
	return err->code;
}

const char *wdn_strerror(int code)
{
	switch (code) {
	case WDN_OK: return "success";
	case WDN_EIO: return "input/output error";
	case WDN_ENOMEM: return "out of memory";
	case WDN_EINVAL: return "invalid input";
	case WDN_ETOOBIG: return "too big";
	case WDN_ESTORE: return "store error";
	case WDN_ENOTFOUND: return "not found";
	case WDN_EAWS: return "AWS error";
	case WDN_ENET: return "network error";
	case WDN_ECRED: return "no credentials";
	}
	return "unknown error";
}
