/* plan.h - one plan: from the folder and the history, each migration's
 * state and what a deploy would do.
 *
 * `dbhook deploy`, `dbhook status` (text and --json), vercel-build's dry
 * run and its report all read this one plan, so they cannot disagree
 * about what is pending.
 */
#ifndef DBHOOK_PLAN_H
#define DBHOOK_PLAN_H

#include <stddef.h>

#include "dbhook/error.h"
#include "dbhook/history.h"
#include "dbhook/migdir.h"

struct dbh_plan_entry {
	const char *name;	    /* borrowed: the folder's or the row's */
	enum dbh_state state;	    /* any of enum dbh_state */
	struct dbh_migration *m;    /* the folder's migration, or NULL */
	const struct dbh_hrow *row; /* the row that decided it, or NULL */
};

struct dbh_plan {
	struct dbh_plan_entry *e; /* folder order, then the database's
				   * migrations the folder lacks; owned */
	size_t n;
	size_t count[DBH_NSTATES];
	size_t to_apply;		 /* pending and rolled back */
	const struct dbh_hrow *blocking; /* the oldest unfinished row, or
					  * NULL */
	/* How the folder and the history relate (wrong folder?). */
	size_t applied;		   /* migrations applied in the database */
	size_t shared;		   /* of those, in the folder */
	const char *first_missing; /* the first applied one it lacks */
};

/* Builds the plan of folder `md` against history `h` (borrowed: both must
 * outlive the plan). With `checksums`, the files of applied migrations
 * are read and compared (status); a deploy's no-op path passes 0 and
 * reads no file. */
void dbh_plan_make(struct dbh_migdir *md, const struct dbh_history *h,
		   int checksums, struct dbh_plan *p);
void dbh_plan_release(struct dbh_plan *p);

/* Whether a deploy applies this entry: pending or rolled back. */
int dbh_plan_applies(const struct dbh_plan_entry *e);

/* The migrations a deploy applies, in order: an array the caller frees
 * (not the migrations), `*n` of them. */
struct dbh_migration **dbh_plan_pending(const struct dbh_plan *p, size_t *n);

/* The applied migrations the folder lacks. */
size_t dbh_plan_missing(const struct dbh_plan *p);

#endif
