/*
 * Replays fuzz corpora without libFuzzer: every file under each argument
 * (directories walked recursively, names sorted) goes through
 * LLVMFuzzerTestOneInput once. Prints TAP, one line per argument; a crash
 * kills the process, which the test runner counts as a failure.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* On a crash, name the input before dying of the signal as before. */
static const char *current;
static int test_no;

static void put(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		return;
}

static void on_crash(int sig)
{
	char n[24];
	int i = (int)(sizeof(n) - 1), v = test_no;

	n[i] = '\0';
	do
		n[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	put("not ok ");
	put(n + i);
	put(" - crashed on ");
	put(current ? current : "?");
	put("\n");
	raise(sig); /* SA_RESETHAND: the default action now */
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return -1;
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		if (!(n = fread(buf + len, 1, cap - len, f)))
			break;
		len += n;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* exactly the input's size, so sanitized builds catch reads past it */
	{
		uint8_t *exact = realloc(buf, len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		current = path;
		LLVMFuzzerTestOneInput(exact, len);
		current = NULL;
		free(exact);
	}
	return 0;
}

/* Files under path, in name order; returns inputs replayed or -1. */
static long walk(const char *path)
{
	struct dirent **names;
	struct stat st;
	long total = 0, sub;
	int i, n;

	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode))
		return run_file(path) ? -1 : 1;
	if ((n = scandir(path, &names, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		size_t len = strlen(path) + strlen(e) + 2;
		char *child = malloc(len);

		if (!child || (e[0] == '.' && (!e[1] || (e[1] == '.' && !e[2])))) {
			free(child);
			free(names[i]);
			continue;
		}
		snprintf(child, len, "%s/%s", path, e);
		sub = walk(child);
		if (sub < 0) {
			fprintf(stderr, "replay: cannot read %s\n", child);
			total = -1;
		} else if (total >= 0) {
			total += sub;
		}
		free(child);
		free(names[i]);
	}
	free(names);
	return total;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	static char altstack[1 << 16]; /* the handler runs even after a stack overflow */
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	struct stat st;
	int i, failed = 0;
	long n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
	sigaltstack(&ss, NULL);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++) {
		struct sigaction old;

		/* leave a sanitizer's own handlers alone: their reports say more */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		printf("1..1\nok 1 # SKIP no corpus\n");
		return 0;
	}
	printf("1..%d\n", argc - 1);
	fflush(stdout);
	for (i = 1; i < argc; i++) {
		test_no = i;
		if (stat(argv[i], &st)) {
			printf("ok %d # SKIP no corpus\n", i);
			continue;
		}
		n = walk(argv[i]);
		if (n < 0) {
			printf("not ok %d - could not read all of %s\n", i, argv[i]);
			failed = 1;
		} else {
			printf("ok %d - replayed %ld inputs of %s\n", i, n, argv[i]);
		}
		fflush(stdout);
	}
	return failed;
}
