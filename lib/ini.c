/* The AWS shared config and credentials files: INI sections of key = value. */
#include "wdn.h"
#include "ini.h"
#include "str.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static char *home_file(const char *env, const char *rel)
{
	struct wdn_buf b = WDN_BUF_INIT;
	const char *v = getenv(env), *home = getenv("HOME");

	if (v && *v)
		return wdn_strdup(v);
	wdn_buf_addf(&b, "%s/%s", home && *home ? home : ".", rel);
	return wdn_buf_detach(&b, NULL);
}

char *wdn_aws_config_path(void)
{
	return home_file("AWS_CONFIG_FILE", ".aws/config");
}

char *wdn_aws_credentials_path(void)
{
	return home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Sections compare with inner spaces collapsed: "[profile  x]" is "profile x". */
static int section_is(const char *have, const char *want)
{
	while (*have && *want) {
		if (isspace((unsigned char)*have) && isspace((unsigned char)*want)) {
			while (isspace((unsigned char)*have))
				have++;
			while (isspace((unsigned char)*want))
				want++;
			continue;
		}
		if (*have++ != *want++)
			return 0;
	}
	return !*have && !*want;
}

int wdn_ini_has_section(const char *path, const char *section)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return 0;
	while (!found && getline(&line, &cap, f) > 0) {
		char *l = trim(line), *end;

		if (*l == '[' && (end = strchr(l, ']'))) {
			*end = '\0';
			found = section_is(trim(l + 1), section);
		}
	}
	if (line)
		sodium_memzero(line, cap); /* a credentials file's lines hold secrets */
	free(line);
	fclose(f);
	return found;
}

char *wdn_ini_get(const char *path, const char *section, const char *key)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *found = NULL;
	size_t cap = 0;
	int in = 0;

	if (!f)
		return NULL;
	while (!found && getline(&line, &cap, f) > 0) {
		char *l = trim(line), *eq;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (end) {
				*end = '\0';
				in = section_is(trim(l + 1), section);
			}
			continue;
		}
		/* nested settings (indented lines under "s3 =") are not needed */
		if (!in || isspace((unsigned char)line[0]) || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		if (!strcmp(trim(l), key))
			found = wdn_strdup(trim(eq + 1));
	}
	if (line)
		sodium_memzero(line, cap); /* a credentials file's lines hold secrets */
	free(line);
	fclose(f);
	return found;
}
