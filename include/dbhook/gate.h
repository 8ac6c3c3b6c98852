/* gate.h - the promotion gate: production applies only what staging
 * finished.
 *
 * `dbhook deploy --require-applied-on STAGING_VAR` (and vercel-build)
 * reads the history of the database in STAGING_VAR before anything is
 * applied, and refuses every pending migration that staging has not
 * applied from the same file (same checksum). Staging is read, never
 * written, and before production's lock is taken, so a slow staging
 * database never holds production's lock.
 */
#ifndef DBHOOK_GATE_H
#define DBHOOK_GATE_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"

/* Checks loaded migrations ms[0..n) against the history of the database
 * whose URL is in environment variable `var`. Returns 0 when staging has
 * applied every one with the same checksum; DBH_EFAILED naming each that
 * it has not (not applied, failed, or applied from another file);
 * DBH_EUSAGE when the variable is unset or not a URL; DBH_EUNREACH when
 * staging cannot be reached or read. */
int dbh_gate_check(const char *var, struct dbh_migration *const *ms, size_t n,
		   const struct dbh_connect_opts *co,
		   const struct dbh_reporter *rep, struct dbh_error *err);

#endif
