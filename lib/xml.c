/* XML as AWS answers it (S3, STS, IAM): element paths and their text. */
#include "wdn.h"
#include "xml.h"

#include <expat.h>
#include <string.h>

struct walk {
	XML_Parser p;
	struct wdn_buf path, text;
	wdn_xml_fn cb;
	void *ctx;
	int rc;
};

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct walk *w = ud;

	(void)attrs;
	if (w->path.len)
		wdn_buf_addc(&w->path, '/');
	if (wdn_buf_adds(&w->path, name)) {
		w->rc = wdn_buf_failed(&w->path); /* too deep, or no memory */
		XML_StopParser(w->p, XML_FALSE);
	}
	wdn_buf_reset(&w->text);
}

static void on_end(void *ud, const XML_Char *name)
{
	struct walk *w = ud;
	char *slash;

	(void)name;
	if (!w->rc && w->cb(w->ctx, w->path.ptr, w->text.ptr, w->text.len)) {
		w->rc = WDN_EINVAL;
		XML_StopParser(w->p, XML_FALSE);
	}
	wdn_buf_reset(&w->text);
	slash = strrchr(w->path.ptr, '/');
	wdn_buf_setlen(&w->path, slash ? (size_t)(slash - w->path.ptr) : 0);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
	struct walk *w = ud;

	if (wdn_buf_add(&w->text, s, (size_t)len)) {
		w->rc = wdn_buf_failed(&w->text);
		XML_StopParser(w->p, XML_FALSE);
	}
}

int wdn_xml_walk(const char *xml, size_t len, wdn_xml_fn cb, void *ctx, struct wdn_err *err)
{
	struct walk w = { 0 };
	int rc = 0;

	if (!(w.p = XML_ParserCreate("UTF-8")))
		return wdn_err_set(err, WDN_ENOMEM, "out of memory");
	wdn_buf_init(&w.path, 4096);
	wdn_buf_init(&w.text, 1 << 20);
	w.cb = cb;
	w.ctx = ctx;
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, on_start, on_end);
	XML_SetCharacterDataHandler(w.p, on_text);
	if (XML_Parse(w.p, xml, (int)len, XML_TRUE) == XML_STATUS_ERROR && !w.rc)
		rc = wdn_err_set(err, WDN_EINVAL, "invalid XML: %s (line %lu)",
				 XML_ErrorString(XML_GetErrorCode(w.p)),
				 (unsigned long)XML_GetCurrentLineNumber(w.p));
	else if (w.rc)
		rc = wdn_err_set(err, w.rc, "XML answer rejected");
	XML_ParserFree(w.p);
	wdn_buf_release(&w.path);
	wdn_buf_release(&w.text);
	return rc;
}
