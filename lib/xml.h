/*
 * A small XML walker over expat (xml.c). Internal to libwdn and the commands
 * (which link libwdn.a); not installed.
 */
#ifndef WDN_XML_H
#define WDN_XML_H

#include "wdn.h"

/* Calls cb with each element's path ("ListBucketResult/Contents/Key") and its
 * text when the element closes. Returns WDN_EINVAL for malformed XML. */
typedef int (*wdn_xml_fn)(void *ctx, const char *path, const char *text, size_t len);
int wdn_xml_walk(const char *xml, size_t len, wdn_xml_fn cb, void *ctx, struct wdn_err *err);

#endif
