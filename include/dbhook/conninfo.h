/* conninfo.h - the connection settings a database URL became (url.h makes
 * them): keyword/value pairs for PQconnectdbParams, so the password travels
 * as its own keyword and never inside a string that could be printed.
 */
#ifndef DBHOOK_CONNINFO_H
#define DBHOOK_CONNINFO_H

#include <stddef.h>

#include "dbhook/error.h"

struct dbh_conninfo {
	/* NULL-terminated arrays for PQconnectdbParams(keywords, values, 0).
	 * Owned by the struct. Only keywords libpq knows appear here. */
	char **keywords;
	char **values;
	size_t n;

	char *schema;	/* decoded Prisma ?schema=, or NULL */
	char *redacted; /* the input with any password replaced by "***" */

	/* One line per parameter that was dropped or translated, e.g.
	 * "dropped Prisma parameter \"pgbouncer\"". Never contains a secret.
	 * `warn[i]` is nonzero when line i is a warning (unknown parameter)
	 * rather than an informational note. */
	char **notes;
	int *warn;
	size_t nnotes;

	/* 1 when the URL carried Prisma's pgbouncer=true. The parameter itself
	 * never reaches libpq, but it says the target is a transaction pooler,
	 * which later checks must know before connecting. */
	int pgbouncer_param;
};

/* Frees every field and wipes the password value first. Safe on a zeroed
 * struct and when called twice. */
void dbh_conninfo_release(struct dbh_conninfo *ci);

/* The value of `keyword`, or NULL. The pointer is owned by `ci`. */
const char *dbh_conninfo_get(const struct dbh_conninfo *ci,
			     const char *keyword);

/* Adds or replaces `keyword` (a password is registered as a secret). */
void dbh_conninfo_set(struct dbh_conninfo *ci, const char *keyword,
		      const char *value);

/* Nonzero when every host of the connection is loopback or a Unix socket
 * (no encryption needed, no IPv6 trap). */
int dbh_conninfo_is_local(const struct dbh_conninfo *ci);

/* "host:port" (first host, "localhost" and 5432 by default; "/socket/dir"
 * for a Unix socket) into `out`, for messages. Returns `out`. */
char *dbh_conninfo_target(const struct dbh_conninfo *ci, char *out,
			  size_t outsz);

/* Nonzero for the keywords whose values are secrets (password,
 * sslpassword). */
int dbh_conninfo_is_secret(const char *keyword);

/* Refuses values libpq checks only when it connects (sslmode=bogus,
 * connect_timeout=abc), where its complaint reads like an unreachable
 * database: DBH_EUSAGE naming the parameter and what it accepts, never the
 * value. 0 when every value is acceptable. */
int dbh_conninfo_check(const struct dbh_conninfo *ci, struct dbh_error *err);

#endif
