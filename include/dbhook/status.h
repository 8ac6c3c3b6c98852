/* status.h - what is applied, pending, failed, modified or missing.
 *
 * Read-only: one connection, no lock, no DDL.
 */
#ifndef DBHOOK_STATUS_H
#define DBHOOK_STATUS_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

enum dbh_sstate {
	DBH_S_APPLIED,	/* recorded as applied, file unchanged */
	DBH_S_PENDING,	/* in the folder, not applied */
	DBH_S_FAILED,	/* a failed row blocks deploys */
	DBH_S_MODIFIED, /* applied, but the file changed (or is gone) since */
	DBH_S_MISSING	/* applied in the database, no folder here */
};

struct dbh_status_entry {
	char *name; /* owned */
	enum dbh_sstate state;
	char *started_at;   /* owned, or NULL */
	char *finished_at;  /* owned, or NULL */
	char *stored_sum;   /* owned, or NULL */
	char local_sum[65]; /* "" when the file is not readable */
	char *logs;	    /* first line of a failed row's logs, owned */
};

struct dbh_status {
	char *dir; /* owned */
	int table_exists;
	int untracked_tables;	    /* tables present without history */
	struct dbh_status_entry *e; /* folder order, then missing ones */
	size_t n;
	size_t count[5]; /* per enum dbh_sstate */
};

/* Collects the status. Returns 0 or an exit code with `err` filled. */
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

/* The same facts as JSON (malloc'd string, caller frees), or NULL when out
 * of memory. */
char *dbh_status_json(const struct dbh_status *st);

const char *dbh_sstate_name(enum dbh_sstate s);

#endif
