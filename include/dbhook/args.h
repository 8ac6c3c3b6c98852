/* args.h - what the command lines share: usage errors that never echo a
 * secret, and seconds options. */
#ifndef DBHOOK_ARGS_H
#define DBHOOK_ARGS_H

#include "dbhook/error.h"

/* Fills `err` (DBH_EUSAGE) with `fmt`, whose one %s receives `arg`
 * redacted (an argument may be a URL pasted by mistake), and the hint
 * "Try '<command> --help' for more information.". Returns DBH_EUSAGE. */
int dbh_args_error(struct dbh_error *err, const char *command, const char *fmt,
		   const char *arg);

/* Parses seconds from 0 to 86400 (fractions allowed) for option `opt`.
 * Returns 0, or DBH_EUSAGE with `err` filled as dbh_args_error does. */
int dbh_args_seconds(const char *arg, const char *opt, double *out,
		     const char *command, struct dbh_error *err);

/* Whether `s` can name an environment variable ([A-Za-z_][A-Za-z0-9_]*):
 * a URL or a password given to --url-env by mistake cannot. */
int dbh_args_env_name(const char *s);

/* 0 when `arg`, the value of option `opt`, names an environment
 * variable; else DBH_EUSAGE with `err` filled (the value not shown when
 * it could be a secret). */
int dbh_args_env_option(const char *arg, const char *opt, const char *command,
			struct dbh_error *err);

/* The candidate nearest to `word` (at most two edits, fewer than half
 * its letters), for "did you mean"; NULL when none is near. `candidates`
 * ends with NULL. */
const char *dbh_args_nearest(const char *word, const char *const *candidates);

#endif
