/* test_alloc.c - the out-of-memory policy (alloc.h): a failed allocation
 * prints exactly one documented line and exits with DBH_EXIT_OOM.
 *
 * Each failure runs in a forked child with stderr on a pipe. Under ASan
 * the test needs ASAN_OPTIONS=allocator_may_return_null=1 (set in
 * tests/meson.build) so a huge request returns NULL instead of aborting,
 * and detect_leaks=0: the children exit holding memory, by design. */
#include "dbhook/alloc.h"

#include "tap.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* volatile: the compiler cannot see (and warn about) the huge sizes. */
static volatile size_t huge = SIZE_MAX / 2;

enum which { XMALLOC, XCALLOC, XREALLOC, XREALLOC_OVERFLOW, OOM };

static void fail_in_child(enum which w)
{
	void *p = NULL;

	switch (w) {
	case XMALLOC:
		p = dbh_xmalloc(huge);
		break;
	case XCALLOC: /* nmemb * size overflows */
		p = dbh_xcalloc(huge, 4);
		break;
	case XREALLOC:
		p = dbh_xrealloc(dbh_xmalloc(16), huge, 1);
		break;
	case XREALLOC_OVERFLOW:
		p = dbh_xrealloc(NULL, huge, 4);
		break;
	case OOM:
		dbh_oom();
	}
	free(p);
	_exit(99); /* only reached when the helper returned */
}

/* Runs `w` in a child; its exit status (or -1) and its stderr in `out`. */
static int run(enum which w, const char *program, char *out, size_t outsz)
{
	int fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		if (program)
			dbh_oom_set_program(program);
		fail_in_child(w);
	}
	close(fds[1]);
	while (len + 1 < outsz &&
	       (n = read(fds[0], out + len, outsz - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Under ASan the runtime itself reports the failed request on stderr
 * ("==PID==WARNING: AddressSanitizer failed to allocate ..."), before
 * dbhook's line: its lines (starting "==") are dropped, so what is left is
 * exactly what dbhook wrote. A plain build compares stderr unfiltered. */
static void drop_sanitizer_lines(char *s)
{
#ifdef UNDER_ASAN
	char *in = s, *out = s;

	while (*in) {
		char *nl = strchr(in, '\n');
		size_t len = nl ? (size_t)(nl - in) + 1 : strlen(in);

		if (strncmp(in, "==", 2) != 0) {
			memmove(out, in, len);
			out += len;
		}
		in += len;
	}
	*out = '\0';
#else
	(void)s;
#endif
}

static void check(enum which w, const char *program, const char *want,
		  const char *name)
{
	char err[1024];
	int code = run(w, program, err, sizeof(err));

	drop_sanitizer_lines(err);
	ok(code == DBH_EXIT_OOM, "%s: exit code %d (want %d)", name, code,
	   DBH_EXIT_OOM);
	is_str(err, want, name);
}

int main(void)
{
	char *s, *t;
	int *z;

	ok(DBH_EXIT_OOM == 9, "the documented exit code is 9");
	check(XMALLOC, NULL, "dbhook: error: out of memory\n",
	      "dbh_xmalloc(SIZE_MAX / 2), default program name");
	check(XMALLOC, "vercel-build", "vercel-build: error: out of memory\n",
	      "dbh_xmalloc(SIZE_MAX / 2) as vercel-build");
	check(XCALLOC, "dbhook", "dbhook: error: out of memory\n",
	      "dbh_xcalloc: nmemb * size overflows");
	check(XREALLOC, "dbhook", "dbhook: error: out of memory\n",
	      "dbh_xrealloc(p, SIZE_MAX / 2, 1)");
	check(XREALLOC_OVERFLOW, "dbhook", "dbhook: error: out of memory\n",
	      "dbh_xrealloc: nmemb * size overflows");
	check(OOM, "dbhook", "dbhook: error: out of memory\n", "dbh_oom()");

	/* The ordinary paths. */
	s = dbh_xasprintf("%s-%d", "a", 7);
	is_str(s, "a-7", "dbh_xasprintf");
	t = dbh_xstrndup("abcdef", 3);
	is_str(t, "abc", "dbh_xstrndup");
	free(t);
	t = dbh_xstrdup(s);
	is_str(t, "a-7", "dbh_xstrdup");
	free(t);
	free(s);
	z = dbh_xcalloc(4, sizeof(*z));
	ok(z[0] == 0 && z[3] == 0, "dbh_xcalloc zeroes");
	z = dbh_xrealloc(z, 1000, sizeof(*z));
	z[999] = 1;
	ok(z[0] == 0 && z[999] == 1, "dbh_xrealloc keeps the contents");
	free(z);
	/* cJSON through alloc.h, as the programs run it: its documents and
	 * printed texts are still released with cJSON_Delete and free. */
	dbh_alloc_hook_libraries();
	{
		cJSON *j = cJSON_Parse("{\"a\": [1, \"two\"]}");
		char *text = j ? cJSON_PrintUnformatted(j) : NULL;

		is_str(text, "{\"a\":[1,\"two\"]}",
		       "cJSON parses and prints with the hooks installed");
		free(text);
		cJSON_Delete(j);
		ok(cJSON_Parse("{,}") == NULL,
		   "with the hooks, invalid JSON is still NULL");
	}
	free(dbh_xmalloc(0));
	free(dbh_xcalloc(0, 0));
	ok(1, "size 0 returns memory to free");
	return tap_done();
}
