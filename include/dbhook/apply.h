/* apply.h - running migration files and their history rows.
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
	double cancel_at;     /* dbh_now() after which a running file is
			       * cancelled (the hook's time budget), or 0 */
	const char *tail;     /* a statement to send after the last migration in
			       * the same message (the lock's release), or NULL */
	const char *blockers; /* who the safety check saw holding locks
			       * (DH401), named when a lock wait is retried;
			       * or NULL */
};

/* Progress, told as it happens: migration i started, and was applied
 * (committed with its row) after `seconds`. */
struct dbh_apply_hooks {
	void (*started)(void *arg, size_t i);
	void (*applied)(void *arg, size_t i, double seconds);
	void *arg;
};

struct dbh_apply_result {
	size_t done;   /* ms[0..done) are applied */
	size_t failed; /* on an error: the migration it names */
	int tail_ran;  /* the tail statement ran (only after all of them) */
};

/* Applies loaded migrations ms[0..n) in order. Runs of transactional
 * files go as one message each (see batch in apply.c): a constant number
 * of round trips for any number of migrations. A migration that hits
 * lock_timeout (55P03) or a deadlock (40P01) is retried from there, with
 * back-off, until the deadline or max_tries. Returns 0, DBH_EFAILED (the
 * server refused ms[failed]; `err` names file:line:col, SQLSTATE,
 * detail and hint) or DBH_EUNREACH (the connection was lost, or the time
 * budget cancelled ms[failed]). */
int dbh_apply_all(struct dbh_conn *c, struct dbh_migration *const *ms, size_t n,
		  const struct dbh_apply_opts *o,
		  const struct dbh_apply_hooks *hk,
		  const struct dbh_reporter *rep, struct dbh_apply_result *res,
		  struct dbh_error *err);

/* Records `m` as applied without running it (resolve --applied and
 * --baseline): failed rows of the name are marked rolled back, then a row
 * with logs '' and started_at = finished_at is added, as Prisma does. */
int dbh_apply_record(struct dbh_conn *c, const struct dbh_migration *m,
		     struct dbh_error *err);

#endif
