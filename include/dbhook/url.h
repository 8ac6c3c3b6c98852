/* url.h - database URLs: parsing and Prisma's parameters.
 *
 * Accepts postgres:// and postgresql:// URLs (percent-encoding, IPv6 hosts in
 * brackets, several hosts) and libpq key=value strings. The result is a pair
 * of keyword/value arrays for PQconnectdbParams, so the password travels as
 * its own keyword and never inside a string that could be printed.
 *
 * Prisma-only query parameters never reach libpq: `schema` is kept aside
 * (the caller runs SET search_path), `sslcert` (Prisma: the CA file) becomes
 * libpq's `sslrootcert`, the pool/cache ones are dropped with a note, unknown
 * ones are dropped with a warning. connect_timeout=10 is added when absent.
 */
#ifndef DBHOOK_URL_H
#define DBHOOK_URL_H

#include <stddef.h>

#include "dbhook/error.h"
#include "dbhook/secrets.h" /* dbh_url_redact */

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

/* Parses `url`. On success returns 0 and fills `ci` (release it with
 * dbh_conninfo_release). On failure returns DBH_EUSAGE, fills `err` with a
 * message that shows the redacted input (never the password) and leaves
 * `ci` empty. */
int dbh_url_parse(const char *url, struct dbh_conninfo *ci,
		  struct dbh_error *err);

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

#endif
