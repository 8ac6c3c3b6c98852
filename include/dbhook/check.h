/* check.h - `dbhook check`: the safety check (safety.h) of the pending
 * migrations against the database, or of every migration of the folder
 * without one (--offline: which are pending is unknown).
 *
 * Online it costs what `dbhook status` costs plus one query: the history
 * is read, the pending files parsed, the live facts read; nothing is
 * locked or changed.
 */
#ifndef DBHOOK_CHECK_H
#define DBHOOK_CHECK_H

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/safety.h"
#include "dbhook/url.h"

struct dbh_check_opts {
	const char *dir;
	const struct dbh_conninfo *ci; /* NULL: offline */
	struct dbh_connect_opts conn;
};

/* Returns 0 with `out` filled (release it with dbh_safety_release), or
 * an exit code with `err` filled (the folder, a file, the connection). */
int dbh_check(const struct dbh_check_opts *o, const struct dbh_reporter *rep,
	      struct dbh_safety *out, struct dbh_error *err);

/* The exit status of a check: 7 errors, 6 warnings (0 when
 * `warnings_ok`), else 0. */
int dbh_check_exit_code(const struct dbh_safety *s, int warnings_ok);

#endif
