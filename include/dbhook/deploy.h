/* deploy.h - applying pending migrations.
 *
 * The fast path: when nothing is pending, a deploy costs one connection and
 * one query (read the history), no lock, no DDL. Every production build
 * pays this, so nothing else may creep into it.
 *
 * Otherwise (prepare.h): in one more round trip, prepare the session, take
 * the shared lock and read the history under it; create the history table
 * when missing; then apply the pending migrations (apply.h). Default
 * (atomic) mode sends each as "BEGIN; INSERT row; <file>; UPDATE row
 * finished; COMMIT", so the file and its history row commit together or
 * not at all, and a run of such migrations as one message (one round trip
 * for any number). A failure is recorded as a row with rolled_back_at set
 * and the error in logs, which Prisma ignores, so the next deploy simply
 * retries. Files that cannot run in a transaction block (SQLSTATE 25001)
 * or that carry their own BEGIN/COMMIT run as Prisma runs them: row first,
 * file alone, then finish; a failure there leaves a failed row, as Prisma
 * does.
 */
#ifndef DBHOOK_DEPLOY_H
#define DBHOOK_DEPLOY_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/safety.h"
#include "dbhook/url.h"

struct dbh_deploy_opts {
	const char *dir;	       /* migrations folder */
	const struct dbh_conninfo *ci; /* borrowed */
	struct dbh_connect_opts conn;  /* application_name, connect retries */
	double lock_timeout_s;	       /* wait for the advisory lock; 60 */
	int stmt_lock_timeout_ms;      /* lock_timeout per statement; 5000 */
	const char *baseline;	       /* record up to this name, or NULL */
	double deadline;	       /* dbh_now() limit for retries, or 0 */
	int cancel_at_deadline;	       /* the deadline also cancels a running
					* migration (the build hook's budget) */
	int probe_pooler;	       /* skip the URL's pooler heuristics and
					* let the live probe decide */
	int allow_unrelated; /* apply even when the folder and the history
			      * look unrelated (wrong folder or database) */
	int dry_run;	     /* every check, the files read, then stop: say what
			      * would be applied; no lock, no DDL */
	/* The promotion gate (gate.h): the variable holding the URL of the
	 * database that must have applied every pending migration first
	 * (staging), or NULL. */
	const char *require_applied_on;
	/* The safety check (safety.h) before anything is applied:
	 * DBH_SAFETY_WARN (also 0), _BLOCK or _OFF (options.h). */
	int safety;
};

void dbh_deploy_opts_init(struct dbh_deploy_opts *o);

struct dbh_applied {
	char *name;	/* owned */
	double seconds; /* wall time of its apply */
	int baselined;	/* recorded without running (--baseline) */
};

struct dbh_deploy_result {
	size_t found;		     /* migrations in the folder */
	size_t pending;		     /* pending when the run looked */
	struct dbh_applied *applied; /* in order, owned */
	size_t napplied;
	char *failed;  /* the migration that failed, owned */
	int fast_path; /* answered with one query */
	int checked;   /* the safety check ran: `safety` holds it */
	struct dbh_safety safety;
};

/* Returns 0 or an exit code with `err` filled. `res` is filled in both
 * cases; release it with dbh_deploy_result_release. */
int dbh_deploy(const struct dbh_deploy_opts *o, const struct dbh_reporter *rep,
	       struct dbh_deploy_result *res, struct dbh_error *err);

void dbh_deploy_result_release(struct dbh_deploy_result *res);

#endif
