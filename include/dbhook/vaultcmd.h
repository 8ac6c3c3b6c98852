/* vaultcmd.h - `dbhook setup`, `dbhook run` and `dbhook profiles`: the
 * local secure migration (a direct URL stored encrypted under a password,
 * see vault.h). Each takes the options parsed by options.c and returns
 * the exit status; the command table is in commands.c. */
#ifndef DBHOOK_VAULTCMD_H
#define DBHOOK_VAULTCMD_H

#include "dbhook/options.h"

int dbh_vaultcmd_setup(const struct dbh_opts *o);
int dbh_vaultcmd_run(const struct dbh_opts *o);
int dbh_vaultcmd_profiles(const struct dbh_opts *o);

#endif
