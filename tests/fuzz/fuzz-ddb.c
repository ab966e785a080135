/*
 * DynamoDB answers as the store reads them: any bytes as a Query,
 * BatchGetItem or BatchWriteItem response go through the same item readers,
 * choosers and read cache as real ones, by the backend's test seam.
 */
#include <stddef.h>
#include <stdint.h>

#include "wdn.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wdn_ddb_replay(data, size);
	return 0;
}
