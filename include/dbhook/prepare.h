/* prepare.h - readying a session to apply migrations, in one round trip.
 *
 * Before the first migration a deploy must: set the session up (schema,
 * lock_timeout, connection check), make sure no transaction pooler stands
 * between it and the server, take the migration lock, and read the whole
 * history under the lock (or find out whether the table must be created).
 * Done one by one that is six to eight round trips, each a full network
 * round on a remote database; here they go as one message. Only when that
 * finds a pooler, or the lock busy, does it fall back to the slow ways
 * (the two-connection pooler probe, the bounded wait for the lock).
 */
#ifndef DBHOOK_PREPARE_H
#define DBHOOK_PREPARE_H

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/history.h"
#include "dbhook/log.h"

struct dbh_prepare_opts {
	const struct dbh_connect_opts *conn; /* for the pooler probe */
	int stmt_lock_timeout_ms;	     /* lock_timeout; 0 = leave it */
	double lock_wait_s;		     /* how long to wait for the lock */
	int history_exists; /* the fast path's read found the table */
};

struct dbh_prepared {
	int locked; /* we hold the migration lock: release it */
	/* The schema the history lives in, whether the table exists, and
	 * how many other tables there are (for Prisma's P3005). */
	struct dbh_schema_facts facts;
};

/* Returns 0 with the session set up, the lock held (unless switched off)
 * and `h` holding the full history read under the lock (empty when the
 * table does not exist: facts.exists says so). Else an exit code with `err`
 * filled; p->locked says whether the lock must still be released. */
int dbh_prepare(struct dbh_conn *c, const struct dbh_prepare_opts *o,
		const struct dbh_reporter *rep, struct dbh_history *h,
		struct dbh_prepared *p, struct dbh_error *err);

#endif
