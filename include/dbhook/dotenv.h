/* dotenv.h - a project's .env file, read as Prisma reads it (dotenv), and
 * (the file itself is read by fileio.h's dbh_text_read).
 *
 * Plain lines only: KEY=VALUE, an optional `export ` prefix, blank lines
 * and # comments; a value in single, double or back quotes (double quotes
 * turn \n into a newline), else up to a # and without surrounding blanks.
 * Later lines win over earlier ones, as in dotenv; ${VAR} is not expanded.
 * A line that is none of these is skipped with a warning that names the
 * file and the line, never its text (it may hold a password). Values are
 * secrets: they are never printed.
 */
#ifndef DBHOOK_DOTENV_H
#define DBHOOK_DOTENV_H

#include <stddef.h>

#include "dbhook/log.h"

struct dbh_dotenv {
	char **key, **val; /* n pairs, owned (values wiped when released) */
	size_t n;
	int read; /* the file existed and was read */
};

/* Reads `path` into `env` (zero-initialised). A missing file leaves it
 * empty; an unreadable or malformed one is reported through `rep` as a
 * warning. */
void dbh_dotenv_read(const char *path, struct dbh_dotenv *env,
		     const struct dbh_reporter *rep);

/* The value of `key`, or NULL when the file does not set it (or sets it
 * empty). */
const char *dbh_dotenv_get(const struct dbh_dotenv *env, const char *key);

void dbh_dotenv_release(struct dbh_dotenv *env);

#endif
