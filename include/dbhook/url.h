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

#include "dbhook/conninfo.h"
#include "dbhook/error.h"
#include "dbhook/secrets.h" /* dbh_url_redact */

/* Parses `url`. On success returns 0 and fills `ci` (release it with
 * dbh_conninfo_release). On failure returns DBH_EUSAGE, fills `err` with a
 * message that shows the redacted input (never the password) and leaves
 * `ci` empty. */
int dbh_url_parse(const char *url, struct dbh_conninfo *ci,
		  struct dbh_error *err);

#endif
