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
#include "dbhook/log.h"
#include "dbhook/url.h"

struct dbh_conn {
	PGconn *pg;
	const struct dbh_conninfo *ci; /* borrowed; must outlive the conn */
	/* The history table as SQL: "_prisma_migrations" (unqualified, the
	 * search path decides, as Prisma reads it) until dbh_conn_setup
	 * pins it to "<current_schema>"."_prisma_migrations". Owned. */
	char *table;
	char *schema; /* the schema the table lives in once set up, owned */
	const struct dbh_reporter *rep; /* server notices go here, borrowed */
};

/* application_name: "dbhook/<env>/<short sha or local>" from VERCEL_ENV
 * (else "local") and VERCEL_GIT_COMMIT_SHA or GITHUB_SHA. */
char *dbh_app_name(char *buf, size_t bufsz);

struct dbh_connect_opts {
	const char *app_name;		/* application_name to announce */
	double deadline;		/* retry until dbh_now() passes it;
					 * 0 = a single attempt */
	int connect_timeout;		/* seconds per attempt; 0 = the
					 * URL's connect_timeout (else 10) */
	const struct dbh_reporter *rep; /* retry notes, TLS warning */
	/* A host that refuses, does not resolve or has no route is given up
	 * on after this many seconds (0: only the deadline), unless the
	 * Supabase API said the project is coming back: a down database
	 * must not hold every build for the whole budget. */
	double unreachable_s;
	/* Asked after each failed attempt, before any note, wake-up or
	 * retry: nonzero (with `err` filled) ends dbh_conn_open with that
	 * error. deploy checks the migrations folder while it connects; a
	 * broken folder must not wait through the retries for a database
	 * that is down. */
	int (*give_up)(void *arg, struct dbh_error *err);
	void *give_up_arg;
};

/* (connect.c) Connects, retrying network, DNS and start-up failures with
 * exponential back-off and jitter until the deadline (see unreachable_s); a
 * note for the first failure, then one every 10 s (DBHOOK_HEARTBEAT);
 * authentication failures and a missing database are not retried. Returns 0, or
 * DBH_EUNREACH with `err` filled by diag.c (cause, detail, hint); no secret
 * ever reaches `err`. Warns when a non-local connection is not encrypted. */
int dbh_conn_open(struct dbh_conn *c, const struct dbh_conninfo *ci,
		  const struct dbh_connect_opts *o, struct dbh_error *err);

/* One connection attempt with our application_name, a connect_timeout
 * that fits the deadline, and encryption required for a remote host
 * unless the URL says otherwise. The caller checks PQstatus. */
PGconn *dbh_conn_attempt(const struct dbh_conninfo *ci,
			 const struct dbh_connect_opts *o);

/* Takes the connected `pg` into `c`: server notices go to the reporter,
 * the history table's name is fixed, an unencrypted remote connection is
 * warned about. Returns 0, or an exit code with `err` filled. */
int dbh_conn_start(struct dbh_conn *c, PGconn *pg,
		   const struct dbh_conninfo *ci,
		   const struct dbh_connect_opts *o, struct dbh_error *err);

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

/* What dbh_conn_stream reports while a query runs, and where its results
 * go. */
struct dbh_watch {
	double deadline;		/* a dbh_now() value; 0 = none */
	const char *label;		/* named in heartbeats; on_result may
					 * point it elsewhere as work moves on */
	const struct dbh_reporter *rep; /* heartbeats, the cancel warning */
	/* Takes each result as it arrives (and owns it). */
	void (*on_result)(void *arg, PGresult *r);
	void *arg;
	int timed_out; /* out: the deadline passed and a cancel was sent */
};

/* Sends `sql` (one simple-query message, any number of statements) and
 * hands each statement's result to w->on_result the moment it arrives,
 * while
 *  - every 10 s (DBHOOK_HEARTBEAT) it reports "still applying `label`
 *    (N s)" through `rep`;
 *  - when the deadline passes it cancels the running statement
 *    (PQcancel); the server answers that with a 57014 query_canceled
 *    error result.
 * Returns 0 when the server has answered everything, -1 when the
 * connection failed (see dbh_conn_lost). */
int dbh_conn_stream(struct dbh_conn *c, const char *sql, struct dbh_watch *w);

/* dbh_conn_stream for one result, as PQexec returns it: the first error,
 * else the last result (the caller PQclear()s it; an empty
 * PGRES_FATAL_ERROR result when the connection is gone). */
PGresult *dbh_conn_exec_watch(struct dbh_conn *c, const char *sql,
			      double deadline, const char *label,
			      const struct dbh_reporter *rep, int *timed_out);

/* One statement of dbh_conn_exec_all. */
struct dbh_stmt {
	const char *sql;  /* one statement, without a final ";" */
	const char *what; /* names it in an error: "cannot take the lock" */
	PGresult *res;	  /* out: its result, NULL when it did not run */
};

/* Runs n statements in one round trip (one simple-query message; the
 * server runs them as one implicit transaction, so a failure undoes the
 * ones before it, except session-level advisory locks). Each result goes
 * to its statement. Returns 0 when all succeeded, else the exit code with
 * `err` filled for the first that failed ("<what>: <message>").
 * Release the results with dbh_stmts_clear in both cases. */
int dbh_conn_exec_all(struct dbh_conn *c, struct dbh_stmt *s, size_t n,
		      struct dbh_error *err);
void dbh_stmts_clear(struct dbh_stmt *s, size_t n);

/* The same in parts, for a caller that sends the statements along with
 * others in one round trip: the statements (the last reads the current
 * schema), then dbh_conn_setup_done with that last result. */
#define DBH_SETUP_MAX 7
struct dbh_setup {
	struct dbh_stmt s[DBH_SETUP_MAX];
	size_t n;
	char text[DBH_SETUP_MAX][320]; /* the statements' text */
};
int dbh_conn_setup_stmts(struct dbh_conn *c, int lock_timeout_ms,
			 struct dbh_setup *st, struct dbh_error *err);
int dbh_conn_setup_done(struct dbh_conn *c, const PGresult *res,
			struct dbh_error *err);

/* Nonzero when the session's connection is no longer usable. */
int dbh_conn_lost(const struct dbh_conn *c);

#endif
