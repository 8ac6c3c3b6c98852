/* batch.h - a run of transactional migrations as one message.
 *
 * Each migration becomes "BEGIN; INSERT its row; <file>; UPDATE its row
 * finished; COMMIT;" and the run is sent as one simple-query message: one
 * round trip for any number of migrations. The server runs the statements
 * in order and stops at the first error, skipping the rest of the message;
 * what was committed before stays committed, so every migration is still
 * applied whole, with its row, or not at all. Results are followed as they
 * arrive: each COMMIT is one more migration applied.
 *
 * PostgreSQL parses the whole message before running any of it, so a
 * syntax error in migration k refuses the whole run (nothing ran): the
 * outcome says so (refused_from), and the caller sends what came before k
 * first.
 */
#ifndef DBHOOK_BATCH_H
#define DBHOOK_BATCH_H

#include <stddef.h>

#include "dbhook/apply.h"
#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"

/* Positions are in characters, as the server counts them. */
struct dbh_batch {
	struct dbh_migration *const *ms; /* borrowed */
	size_t n;			 /* migrations in the message */
	char *sql;			 /* the message, owned */
	long *start; /* where migration i's part begins, owned */
	long *file;  /* where its file begins (its error positions), owned */
	int has_tail;
};

/* Builds the message for loaded migrations ms[0..n), as many as fit in
 * 64 KB with their bookkeeping (at least one); `tail` (one statement, or
 * NULL) ends it when all n fit. Returns 0, or DBH_EFAILED when libpq cannot
 * quote a name. */
int dbh_batch_build(struct dbh_conn *c, struct dbh_migration *const *ms,
		    size_t n, const char *tail, struct dbh_batch *b,
		    struct dbh_error *err);
void dbh_batch_free(struct dbh_batch *b);

struct dbh_batch_outcome {
	size_t done;   /* migrations committed */
	int tail_ran;  /* the tail statement ran */
	long row_gone; /* a migration that deleted its own history row (it
			* and the rest were committed), or -1 */
	/* When not all were committed: */
	PGresult *error; /* the error (owned: PQclear it) */
	int timed_out;	 /* cancel_at passed and cancelled it */
	int stmt;	 /* which statement of the file failed (0-based), or -1:
			  * where the error has no position, its line */
	size_t refused_from; /* nothing ran: the server refused the message
			      * for a syntax error in this migration (> 0) */
};

/* Sends batch `b` and follows it, telling hk of each migration started
 * and applied (indexes from `base`); cancels it when cancel_at (a
 * dbh_now() value, 0 = never) passes. Returns 0 when every migration was
 * committed, else 1. The session is left idle (an aborted transaction is
 * rolled back). */
int dbh_batch_send(struct dbh_conn *c, const struct dbh_batch *b,
		   double cancel_at, const struct dbh_apply_hooks *hk,
		   size_t base, const struct dbh_reporter *rep,
		   struct dbh_batch_outcome *out);

#endif
