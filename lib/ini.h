/*
 * The AWS shared config and credentials files (ini.c). Internal to libwdn
 * and the commands (which link libwdn.a); not installed.
 */
#ifndef WDN_INI_H
#define WDN_INI_H

#include "wdn.h"

/* Shared config and credentials files: value of key in section, or NULL.
 * Sections as the files name them: "default", "profile NAME" (config), "NAME"
 * (credentials), "sso-session NAME". Caller frees. */
char *wdn_ini_get(const char *path, const char *section, const char *key);
int wdn_ini_has_section(const char *path, const char *section);
char *wdn_aws_config_path(void);      /* $AWS_CONFIG_FILE or ~/.aws/config */
char *wdn_aws_credentials_path(void); /* $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */

#endif
