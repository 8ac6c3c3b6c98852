/* conn.h - one database session for a run.
 *
 * Opening costs one connection and no statement: the fast no-op path must
 * stay close to `psql -c 'select 1'`. dbh_conn_setup (schema, search_path,
 * lock_timeout) runs only when there is work to do.
 */
#ifndef DBHOOK_CONN_H
#define DBHOOK_CONN_H

#include <libpq-fe.h>

#include "dbhook/error.h"
#include "dbhook/url.h"

struct dbh_conn {
	PGconn *pg;
	const struct dbh_conninfo *ci; /* borrowed; must outlive the conn */
	/* The history table as SQL: "_prisma_migrations" (unqualified, the
	 * search path decides, as Prisma reads it) until dbh_conn_setup
	 * pins it to "<current_schema>"."_prisma_migrations". Owned. */
	char *table;
	char *schema; /* the schema the table lives in once set up, owned */
};

/* application_name: "dbhook/<env>/<short sha or local>" from VERCEL_ENV
 * (else "local") and VERCEL_GIT_COMMIT_SHA or GITHUB_SHA. */
char *dbh_app_name(char *buf, size_t bufsz);

/* Connects. Returns 0, or DBH_EUNREACH (network, authentication, missing
 * database) with `err` filled; no secret ever reaches `err`. */
int dbh_conn_open(struct dbh_conn *c, const struct dbh_conninfo *ci,
		  const char *app_name, struct dbh_error *err);

/* Prepares the session for changes: creates the URL's ?schema= when
 * missing (as Prisma does), sets search_path to it, sets lock_timeout
 * (milliseconds; 0 = leave it) and pins `table` to the current schema. */
int dbh_conn_setup(struct dbh_conn *c, int lock_timeout_ms,
		   struct dbh_error *err);

void dbh_conn_close(struct dbh_conn *c);

/* Runs one statement that returns no rows or some rows; on failure fills
 * `err` from the server's fields (see dbh_conn_result_error) and returns
 * NULL. The caller PQclear()s the result. */
PGresult *dbh_conn_exec(struct dbh_conn *c, const char *sql,
			struct dbh_error *err, const char *what);

/* Fills `err` from a failed result (or from the connection when `res` is
 * NULL): message "<what>: <server message>" (the server's message alone
 * when `what` is NULL), SQLSTATE, detail, hint, all
 * scrubbed of the password. Returns the exit code it chose: DBH_EUNREACH
 * when the connection is gone, else DBH_EFAILED. */
int dbh_conn_result_error(struct dbh_conn *c, const PGresult *res,
			  struct dbh_error *err, const char *what);

/* Nonzero when the session's connection is no longer usable. */
int dbh_conn_lost(const struct dbh_conn *c);

#endif
