/* safety.h - the pre-apply safety check of pending migrations.
 *
 * Each pending migration is parsed with PostgreSQL's grammar (sqlparse.h)
 * and checked against rules with stable ids (DH101...), using what the
 * target database says right now (safetyfacts.h: sizes, columns, indexes,
 * constraints, who holds a lock): a lock on an empty table is a note, on
 * a million-row table an error; "will fail" is said only after an exact
 * probe. Without a database (`dbhook check --offline`) the rules give
 * their static verdict, marked "size unknown".
 *
 * The check never changes what is applied unless asked to (--safety
 * block), and never fails a deploy by itself: a file it cannot parse is
 * "not analysed" (DH402), facts it cannot read leave it offline.
 */
#ifndef DBHOOK_SAFETY_H
#define DBHOOK_SAFETY_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"

enum dbh_sev { DBH_SEV_INFO, DBH_SEV_WARNING, DBH_SEV_ERROR, DBH_NSEV };

struct dbh_rule {
	const char *id;	  /* "DH101" */
	const char *name; /* "drop-column" */
	const char *what; /* one line for `dbhook check --help` */
};

/* Every rule, in id order; ends with a NULL id. */
extern const struct dbh_rule dbh_rules[];
const struct dbh_rule *dbh_rule_find(const char *id);

/* "\nRules:\n  DH101 drop-column  a column of …\n…" for `dbhook check
 * --help`. */
struct dbh_sbuf;
void dbh_safety_rules_help(struct dbh_sbuf *b);

struct dbh_finding {
	const struct dbh_rule *rule;
	enum dbh_sev sev;
	char *file;	 /* the migration's path, owned */
	char *migration; /* its name, owned */
	size_t mi;	 /* its place among the checked ones */
	int line;	 /* 1-based */
	char *message;	 /* cause, with the live facts; owned */
	char *fix;	 /* what to do instead; owned, may be NULL */
	char *silenced;	 /* the directive's reason when silenced */
};

/* How the check ran. */
struct dbh_safety {
	struct dbh_finding *f; /* in file and line order, owned */
	size_t n;
	size_t count[DBH_NSEV]; /* findings not silenced, per severity */
	size_t silenced;
	size_t migrations;    /* checked */
	int live;	      /* facts read from the database */
	char *offline_why;    /* why not, when a database was asked; owned */
	char *server_version; /* owned, or NULL */
	int partial_view;     /* the role cannot see other sessions' details */
};

struct dbh_safety_opts {
	struct dbh_conn *conn; /* NULL: offline */
	const char *schema;    /* the URL's schema, or NULL (the server's
				* current schema) */
	double long_xact_s;    /* a transaction older than this is DH401
				* (DBHOOK_LONG_TRANSACTION) */
};

/* Checks ms[0..n) (loaded). Fills `out` (release with
 * dbh_safety_release); never fails: what it cannot do it says in
 * `out`. */
void dbh_safety_check(struct dbh_migration *const *ms, size_t n,
		      const struct dbh_safety_opts *o, struct dbh_safety *out);
void dbh_safety_release(struct dbh_safety *s);

const char *dbh_sev_name(enum dbh_sev s);

/* "1 error, 2 warnings, 1 note" (or "no findings"). */
void dbh_safety_counts(const struct dbh_safety *s, char *buf, size_t bufsz);

/* Reports the summary line and every finding not silenced (each with its
 * GitHub annotation on the file and line). */
void dbh_safety_report(const struct dbh_safety *s,
		       const struct dbh_reporter *rep);

/* Only the annotations (`check --json` under GitHub Actions). */
void dbh_safety_annotate(const struct dbh_safety *s,
			 const struct dbh_reporter *rep);

/* The check as JSON (`dbhook check --json`, the run report, the
 * webhook): a cJSON object the caller owns. */
struct cJSON *dbh_safety_json(const struct dbh_safety *s);

#endif
