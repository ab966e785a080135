/*
 * Linked into the Lambda build of wdn-record only. Lambda's provided.al2023
 * runtime has glibc 2.34; arc4random_buf and arc4random_uniform came in 2.36,
 * and lib/aws.c (backoff jitter) and the static libsodium and SQLite call
 * them. Defined here, the binary needs nothing newer than 2.34 from glibc.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>

void arc4random_buf(void *p, size_t n)
{
	unsigned char *b = p;

	while (n) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* cannot happen on Lambda's kernels; jitter is all it is used for */
			break;
		}
		b += r;
		n -= (size_t)r;
	}
}

uint32_t arc4random(void)
{
	uint32_t v = 0;

	arc4random_buf(&v, sizeof(v));
	return v;
}

/* Uniform in [0, bound): reject the values that would bias the modulo. */
uint32_t arc4random_uniform(uint32_t bound)
{
	uint32_t min, r;

	if (bound < 2)
		return 0;
	min = -bound % bound;
	do
		r = arc4random();
	while (r < min);
	return r % bound;
}
