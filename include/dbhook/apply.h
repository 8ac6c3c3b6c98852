/* apply.h - running one migration file and its history row.
 *
 * See deploy.h for the two modes. Both leave the session idle (no open
 * transaction) whatever happens.
 */
#ifndef DBHOOK_APPLY_H
#define DBHOOK_APPLY_H

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"

struct dbh_apply_opts {
	double deadline; /* dbh_now() limit for lock retries, or 0 */
	int max_tries;	 /* attempts on 55P03/40P01 when there is no deadline */
	double cancel_at; /* dbh_now() after which a running file is
			   * cancelled (the hook's time budget), or 0 */
};

/* Applies loaded migration `m`. Returns 0, DBH_EFAILED (the server
 * refused it; `err` names file:line:col, SQLSTATE, detail and hint) or
 * DBH_EUNREACH (the connection was lost). */
int dbh_apply(struct dbh_conn *c, const struct dbh_migration *m,
	      const struct dbh_apply_opts *o, const struct dbh_reporter *rep,
	      struct dbh_error *err);

/* Records `m` as applied without running it (resolve --applied and
 * --baseline): failed rows of the name are marked rolled back, then a row
 * with logs '' and started_at = finished_at is added, as Prisma does. */
int dbh_apply_record(struct dbh_conn *c, const struct dbh_migration *m,
		     struct dbh_error *err);

#endif
