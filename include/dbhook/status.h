/* status.h - what is applied, pending, failed, modified or missing.
 *
 * Read-only: one connection, no lock, no DDL. The states come from the
 * one plan (plan.h); this file renders them as text or JSON.
 */
#ifndef DBHOOK_STATUS_H
#define DBHOOK_STATUS_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/history.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/plan.h"
#include "dbhook/url.h"

struct dbh_status {
	const char *dir;		/* borrowed */
	int table_exists;		/* the history table exists */
	struct dbh_schema_facts schema; /* only without history */
	struct dbh_migdir md;		/* owned, as are h and plan */
	struct dbh_history h;
	struct dbh_plan plan;
};

/* Collects the status. Returns 0 or an exit code with `err` filled;
 * release a collected status with dbh_status_release. */
int dbh_status_collect(const char *dir, const struct dbh_conninfo *ci,
		       const struct dbh_connect_opts *co,
		       const struct dbh_reporter *rep, struct dbh_status *st,
		       struct dbh_error *err);
void dbh_status_release(struct dbh_status *st);

/* 0 up to date, 4 pending, 5 failed/modified/missing (wins over 4). */
int dbh_status_exit_code(const struct dbh_status *st);

/* Human-readable report, one reporter line at a time. */
void dbh_status_render(const struct dbh_status *st,
		       const struct dbh_reporter *rep);

/* The same facts as JSON (malloc'd string, caller frees). */
char *dbh_status_json(const struct dbh_status *st);

/* "applied", "pending", "rolled_back", "failed", "modified", "missing". */
const char *dbh_state_name(enum dbh_state s);

#endif
