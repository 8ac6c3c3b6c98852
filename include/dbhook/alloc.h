/* alloc.h - memory allocation that never returns NULL.
 *
 * Every allocation in dbhook goes through these helpers. When memory runs
 * out they call dbh_oom(): it writes one fixed line to stderr,
 *
 *   dbhook: error: out of memory
 *
 * (the program's name first: dbhook or vercel-build) and exits with
 * DBH_EXIT_OOM (6), documented with the other exit codes in README.md.
 * Callers therefore never check for NULL.
 *
 * Why exiting is right: half-way through a run nothing safe can be done
 * without memory (not even building an error message), and nothing is
 * lost by stopping. A migration in flight is rolled back by the server
 * when the connection closes with the process, the history row of a
 * failing step is Prisma's own "failed" state, and a vault file is only
 * ever replaced whole by an atomic rename (fileio.c), so a crash loses
 * nothing written before.
 */
#ifndef DBHOOK_ALLOC_H
#define DBHOOK_ALLOC_H

#include <stddef.h>

/* The exit status after running out of memory (README: "Exit codes"). */
#define DBH_EXIT_OOM 9

/* The program name dbh_oom() prints; `name` must outlive the process
 * (a string literal). The default is "dbhook". */
void dbh_oom_set_program(const char *name);

/* Routes cJSON's allocations through dbh_xmalloc, so that NULL from a
 * cJSON call means bad input (a parse error), never want of memory: a
 * valid package.json is never reported as invalid JSON because memory ran
 * out. Called once by the front door (commands.c) before any cJSON call;
 * until then cJSON uses malloc and its callers keep their NULL checks. */
void dbh_alloc_hook_libraries(void);

/* Writes "<program>: error: out of memory" to stderr with write(2) (no
 * allocation, no stdio buffer) and exits with DBH_EXIT_OOM. Also for
 * libraries whose NULL result can only mean that memory ran out. */
_Noreturn void dbh_oom(void);

/* malloc, calloc and realloc that return non-NULL or do not return. A
 * size of 0 still returns a unique pointer to free. dbh_xrealloc takes a
 * count and an element size like calloc, and treats an overflow of
 * nmemb * size as running out of memory. */
__attribute__((returns_nonnull)) void *dbh_xmalloc(size_t size);
__attribute__((returns_nonnull)) void *dbh_xcalloc(size_t nmemb, size_t size);
__attribute__((returns_nonnull)) void *dbh_xrealloc(void *p, size_t nmemb,
						    size_t size);
__attribute__((returns_nonnull)) char *dbh_xstrdup(const char *s);
__attribute__((returns_nonnull)) char *dbh_xstrndup(const char *s, size_t n);
__attribute__((returns_nonnull)) char *dbh_xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
