/* cli.h - the database commands of `dbhook`. Each takes the options
 * parsed by options.c, prints what it does and returns the exit status
 * (enum dbh_exit). The command table is in commands.c. */
#ifndef DBHOOK_CLI_H
#define DBHOOK_CLI_H

#include <stddef.h>

#include "dbhook/conn.h"
#include "dbhook/deploy.h"
#include "dbhook/log.h"
#include "dbhook/options.h"
#include "dbhook/url.h"

int dbh_cli_status(const struct dbh_opts *o);
int dbh_cli_deploy(const struct dbh_opts *o);
int dbh_cli_resolve(const struct dbh_opts *o);
int dbh_cli_new(const struct dbh_opts *o);
int dbh_cli_check(const struct dbh_opts *o);

/* The deadline of a run that starts at `start` (dbh_now()): --timeout
 * later, or practically never for --timeout 0 ("no limit"). */
double dbh_cli_deadline(const struct dbh_opts *o, double start);

/* How to connect, from the options every command shares: one place, so an
 * option reaches status, deploy, resolve, run and vercel-build alike.
 * `app` (appsz bytes) holds the application_name. */
void dbh_cli_connect_opts(const struct dbh_opts *o, double start,
			  const struct dbh_reporter *rep, char *app,
			  size_t appsz, struct dbh_connect_opts *co);

/* What to deploy and how, for deploy, run and vercel-build. */
void dbh_cli_deploy_opts(const struct dbh_opts *o,
			 const struct dbh_conninfo *ci, double start,
			 const struct dbh_reporter *rep, char *app,
			 size_t appsz, struct dbh_deploy_opts *d);

#endif
