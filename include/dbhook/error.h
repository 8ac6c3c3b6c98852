/* error.h - the error value every core function fills instead of printing.
 *
 * The core never prints and never exits: a failing call fills a struct
 * dbh_error and returns its exit code. The mains decide what reaches the
 * terminal (log.h) and with which exit status.
 *
 * Ownership: a dbh_error is a plain value with fixed buffers; nothing to
 * free. Texts are truncated, never overflowed.
 */
#ifndef DBHOOK_ERROR_H
#define DBHOOK_ERROR_H

#include <stddef.h>

/* Exit codes shared by both programs (documented in --help and README). */
enum dbh_exit {
	DBH_OK = 0, /* success or nothing to do */
	DBH_EFAILED =
	    1,		/* a migration failed, or a failed one blocks deploys */
	DBH_EUSAGE = 2, /* usage or configuration error */
	DBH_EUNREACH =
	    3, /* database not reachable, authenticated or locked in time */
	DBH_EPENDING = 4, /* status: pending migrations */
	DBH_EDRIFT =
	    5, /* status: failed, modified or missing-locally migrations */
	DBH_EWARNINGS = 6, /* check: warnings only */
	DBH_EUNSAFE = 7	   /* check: errors; deploy: --safety block refused */
};

struct dbh_error {
	int code;	   /* one of enum dbh_exit; 0 while no error is set */
	char message[512]; /* primary: lower case, one line, no final period */
	char detail[2048]; /* full sentences, may span lines; may be empty */
	char hint[1024];   /* what to do; may be empty */
	char sqlstate[6];  /* the server's SQLSTATE, or empty */
	char where[512];   /* file:line:col of a failing migration, or empty */
};

void dbh_error_clear(struct dbh_error *err);

/* Sets code and message and clears the other fields; returns code, so a
 * caller can write `return dbh_error_set(err, DBH_EUSAGE, "...")`. */
int dbh_error_set(struct dbh_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dbh_error_detail(struct dbh_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void dbh_error_hint(struct dbh_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hints that work when pasted. A command a message names in backticks,
 * "`dbhook resolve --applied \"x\"`", is completed with the options of
 * the current invocation that it needs too (--dir, --url-env, ...):
 * `suffix` receives the command's word ("resolve") and the text between
 * the backticks, and writes what to add (" --dir 'db/migrations'") or
 * nothing. The front door installs it once (commands.c); hints
 * (dbh_error_hint) and reported lines (dbh_report) pass through it. */
typedef void (*dbh_completer)(const char *command, const char *span,
			      size_t spanlen, char *suffix, size_t suffixsz);
void dbh_error_set_completer(dbh_completer fn);

/* Copies `in` to `out` with every "`dbhook WORD ...`" completed as above
 * (unchanged when no completer is installed or nothing fits). */
void dbh_complete_commands(const char *in, char *out, size_t outsz);

/* Puts "<what>: " before the message (e.g. the variable a URL came from). */
void dbh_error_prefix(struct dbh_error *err, const char *what);

#endif
