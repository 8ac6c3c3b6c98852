/* vaultrotate.h - `dbhook setup --rotate` (the handler of `setup` in
 * vaultcmd.c hands it over): a stored profile sealed again with a new
 * URL and/or a new password. */
#ifndef DBHOOK_VAULTROTATE_H
#define DBHOOK_VAULTROTATE_H

#include "dbhook/log.h"
#include "dbhook/vaultopts.h"

/* Asks the current password, the new URL, the new password (in that
 * order, also on the -fd options), stores the result and prints it.
 * Returns the exit status. */
int dbh_vault_rotate(const struct dbh_vault_opts *o,
		     const struct dbh_reporter *rep);

#endif
