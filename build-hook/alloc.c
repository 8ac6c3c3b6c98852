/* alloc.c - allocation that ends the program when memory runs out (see
 * alloc.h for why that is the right policy). */
#include "dbhook/alloc.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *oom_program = "dbhook";

void dbh_oom_set_program(const char *name)
{
	if (name && *name)
		oom_program = name;
}

void dbh_alloc_hook_libraries(void)
{
	cJSON_Hooks hooks = {dbh_xmalloc, free};

	/* With a malloc of its own cJSON does not use realloc: printing
	 * copies into a fresh buffer as it grows. */
	cJSON_InitHooks(&hooks);
}

_Noreturn void dbh_oom(void)
{
	static const char line[] = ": error: out of memory\n";
	struct iovec iov[2];
	ssize_t n;

	/* One writev: the line arrives whole even next to other writers.
	 * Nothing here allocates, so it works with the heap exhausted. */
	iov[0].iov_base = (void *)oom_program;
	iov[0].iov_len = strlen(oom_program);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = sizeof(line) - 1;
	do
		n = writev(STDERR_FILENO, iov, 2);
	while (n < 0 && errno == EINTR);
	/* exit, not _exit: stdout keeps what was already printed (the
	 * migrations applied so far) when it is a pipe or a file. */
	exit(DBH_EXIT_OOM);
}

void *dbh_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		dbh_oom();
	return p;
}

void *dbh_xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (!nmemb || !size)
		nmemb = size = 1;
	p = calloc(nmemb, size); /* NULL on an overflow of nmemb * size too */
	if (!p)
		dbh_oom();
	return p;
}

void *dbh_xrealloc(void *p, size_t nmemb, size_t size)
{
	size_t total;
	void *q;

	if (size && nmemb > SIZE_MAX / size)
		dbh_oom();
	total = nmemb * size;
	q = realloc(p, total ? total : 1);
	if (!q)
		dbh_oom();
	return q;
}

char *dbh_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(dbh_xmalloc(n), s, n);
}

char *dbh_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		dbh_oom();
	return p;
}

char *dbh_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	/* dbhook's formats are plain %s/%d/%zu: vasprintf can only fail for
	 * want of memory. */
	if (n < 0)
		dbh_oom();
	return s;
}
