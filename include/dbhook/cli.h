/* cli.h - the database commands of `dbhook`. Each takes the options
 * parsed by options.c, prints what it does and returns the exit status
 * (enum dbh_exit). The command table is in commands.c. */
#ifndef DBHOOK_CLI_H
#define DBHOOK_CLI_H

#include "dbhook/options.h"

int dbh_cli_status(const struct dbh_opts *o);
int dbh_cli_deploy(const struct dbh_opts *o);
int dbh_cli_resolve(const struct dbh_opts *o);
int dbh_cli_new(const struct dbh_opts *o);

#endif
