/*
 * The shared config and credentials files: any bytes, looked up by a few
 * sections and keys, give a value or nothing.
 */
#include "wdn.h"
#include "ini.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = { "default", "profile dev", "sso-session corp", "dev" };
	static const char *const keys[] = { "region", "aws_access_key_id", "role_arn", "sso_start_url" };
	char path[] = "/tmp/wdn-fuzz-ini.XXXXXX";
	int fd = mkstemp(path);
	size_t i, j;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size)
		for (i = 0; i < 4; i++)
			for (j = 0; j < 4; j++)
				free(wdn_ini_get(path, sections[i], keys[j]));
	close(fd);
	unlink(path);
	return 0;
}
