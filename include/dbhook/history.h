/* history.h - the _prisma_migrations table, kept exactly as Prisma keeps it.
 *
 * A migration is applied when a row of its name has finished_at set and
 * rolled_back_at NULL; a row with both NULL is a failed migration (it
 * blocks deploys until resolved); rows with rolled_back_at set are ignored
 * (our atomic mode records failed attempts that way, so the next deploy
 * simply retries).
 */
#ifndef DBHOOK_HISTORY_H
#define DBHOOK_HISTORY_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"

/* The strings live in the history's `text` block. */
struct dbh_hrow {
	const char *name;
	const char *checksum;
	const char *started_at;	    /* as the server prints it */
	const char *finished_at;    /* NULL when not finished */
	const char *rolled_back_at; /* NULL when not rolled back */
	const char *logs;	    /* first 2000 bytes, may be NULL */
};

struct dbh_history {
	int exists;	       /* the table exists */
	size_t *by_name;       /* row indexes sorted by name, then by
				* started_at: lookups are a binary search,
				* not a scan per migration. Owned */
	struct dbh_hrow *rows; /* ORDER BY started_at, owned; the lean read
				* leaves them in the server's order */
	size_t n;
	char *text; /* every string of the rows, one block, owned */
};

/* A migration's state: one enum for the history, the plan, status and
 * the report. */
enum dbh_state {
	DBH_APPLIED,	 /* recorded as applied (in a plan: file unchanged) */
	DBH_PENDING,	 /* never applied */
	DBH_ROLLED_BACK, /* its last attempt was rolled back (a failed atomic
			  * attempt, or resolve --rolled-back): the next
			  * deploy applies it again */
	DBH_FAILED,	 /* a failed row: blocks deploys until resolved */
	DBH_MODIFIED,	 /* plan only: applied, file changed or gone since */
	DBH_MISSING,	 /* plan only: applied, no folder here */
	DBH_NSTATES
};

/* Reads every row with one query. A missing table is not an error
 * (exists = 0). Release with dbh_history_release. */
int dbh_history_read(struct dbh_conn *c, struct dbh_history *h,
		     struct dbh_error *err);
/* The same rows, with the states only (names, finished/rolled back) but
 * for unfinished rows, which come whole: enough to tell what is pending
 * and what blocks, at a fraction of the bytes. Unsorted: sorting 1000 rows
 * was a quarter of the server's time for this query, and only the
 * unfinished rows' order matters (dbh_history_unfinished). */
int dbh_history_read_states(struct dbh_conn *c, struct dbh_history *h,
			    struct dbh_error *err);
/* The two reads as parts of a larger round trip: the query (lean or
 * full; the caller frees it), and the rows from its result. */
char *dbh_history_sql(const struct dbh_conn *c, int lean);
int dbh_history_from(struct dbh_conn *c, const PGresult *res,
		     struct dbh_history *h, struct dbh_error *err);

void dbh_history_release(struct dbh_history *h);

/* The state of migration `name` (applied, pending, rolled back or
 * failed), and the row that decided it (the applied row, else the failed
 * row, else the last rolled-back row, else NULL). */
enum dbh_state dbh_history_state(const struct dbh_history *h, const char *name,
				 const struct dbh_hrow **row);

/* The unfinished rows (neither finished nor rolled back: failed, or still
 * running elsewhere), oldest first, as a new array (free it); *n is how
 * many. NULL when there are none. */
const struct dbh_hrow **dbh_history_unfinished(const struct dbh_history *h,
					       size_t *n);

/* The schema the history lives in (the URL's ?schema=, else the current
 * schema), as one query that changes nothing. */
struct dbh_schema_facts {
	int exists;	 /* the _prisma_migrations table is there */
	int others;	 /* other tables, PostGIS's own not counted (as
			  * Prisma counts them) */
	char schema[64]; /* its name (PostgreSQL names are at most 63) */
};
int dbh_history_inspect(struct dbh_conn *c, struct dbh_schema_facts *f,
			struct dbh_error *err);
/* The same as a part of a larger round trip: the query (NULL when libpq
 * cannot quote the schema's name; the caller frees it) and the facts from
 * its result. */
char *dbh_history_inspect_sql(struct dbh_conn *c);
int dbh_history_facts_from(struct dbh_conn *c, const PGresult *res,
			   struct dbh_schema_facts *f, struct dbh_error *err);

/* Prisma's P3005 (DBH_EUSAGE, `err` filled) for a schema that holds
 * tables but no history; 0 otherwise. Deploy refuses such a schema unless
 * it baselines; dry runs foresee it. */
int dbh_history_refuse_untracked(const struct dbh_schema_facts *f,
				 struct dbh_error *err);

/* Creates the table (Prisma's exact DDL) when it is missing. Unless
 * `allow_nonempty`, a schema that already holds other tables is refused as
 * Prisma's P3005 does (DBH_EUSAGE). Needs dbh_conn_setup first. */
int dbh_history_ensure(struct dbh_conn *c, int allow_nonempty,
		       struct dbh_error *err);
/* Creates the table with Prisma's exact DDL (no check). */
int dbh_history_create(struct dbh_conn *c, struct dbh_error *err);

/* A fresh lowercase UUID v4 (36 characters and a NUL). */
void dbh_uuid4(char out[37]);

#endif
