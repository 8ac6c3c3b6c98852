/* url.h - database URLs: parsing, Prisma parameters, redaction.
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

	/* Private to url.c: the password (and sslpassword) in every spelling
	 * the input used (percent-encoded, quoted with escapes), longest
	 * first, for dbh_conninfo_scrub. Wiped by dbh_conninfo_release. */
	char **secrets;
	size_t nsecrets;
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

/* Adds or replaces `keyword`. Returns 0, or -1 when out of memory. */
int dbh_conninfo_set(struct dbh_conninfo *ci, const char *keyword,
		     const char *value);

/* Writes a redacted copy of `url` (URL or key=value form, well formed or
 * not) into `out` (always NUL-terminated, truncated to `outsz`):
 * "postgresql://user:***@host:5432/db", "password=*** host=...". Every
 * message that shows a URL goes through this function. Returns `out`. */
char *dbh_url_redact(const char *url, char *out, size_t outsz);

/* Replaces, in place, every occurrence of the connection's password (as
 * given and percent-decoded) in `text` with "***". For server and libpq
 * messages that might echo it. The text never grows: a password shorter
 * than three characters becomes as many '*'. */
void dbh_conninfo_scrub(const struct dbh_conninfo *ci, char *text);

/* "host:port" (first host, "localhost" and 5432 by default; "/socket/dir"
 * for a Unix socket) into `out`, for messages. Returns `out`. */
char *dbh_conninfo_target(const struct dbh_conninfo *ci, char *out,
			  size_t outsz);

#endif
