/* report.h - the JSON summary of a build hook run (--report FILE).
 *
 * The same facts the log shows, for machines: the decision, what was
 * applied and how long each took, the error with its SQLSTATE, timings.
 */
#ifndef DBHOOK_REPORT_H
#define DBHOOK_REPORT_H

#include <stddef.h>

#include "dbhook/deploy.h"
#include "dbhook/error.h"

struct dbh_run_report {
	const char *environment; /* the build's environment, or NULL */
	const char *decision;	 /* "migrate", "skip" or "dry-run" */
	const char *reason;	 /* one line: why */
	const char *database;	 /* the redacted URL, or NULL */
	const char *dir;	 /* migrations folder */
	const char *outcome;	 /* "applied", "up_to_date", "skipped",
				  * "failed", "planned" */
	const struct dbh_deploy_result *result; /* or NULL */
	const char *const *pending;		/* dry run: names, or NULL */
	size_t npending;
	const struct dbh_error *error; /* or NULL */
	const char *build_command;     /* or NULL */
	int strict;
	double migrate_seconds;
	double total_seconds;
};

/* The report as JSON text (malloc'd; caller frees; never NULL: alloc.h). */
char *dbh_report_json(const struct dbh_run_report *r);

/* {"error": {exit_code, message, detail, hint, sqlstate, location}}, for
 * `status --json` when there is no status to print. Free it. */
char *dbh_error_json(const struct dbh_error *e);

/* Writes it to `path` (a temporary file renamed into place, so a reader
 * never sees half a report). Returns 0, or DBH_EUSAGE with `err` filled. */
int dbh_report_write(const char *path, const struct dbh_run_report *r,
		     struct dbh_error *err);

#endif
