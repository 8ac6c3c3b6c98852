/* vaultopts.h - what every vault command (vaultcmd.c, vaultask.c,
 * vaultrotate.c) starts from: its options with the defaults filled in,
 * and the few helpers they share. Not for the rest of dbhook: the
 * commands themselves are in vaultcmd.h. Functions that print say so.
 */
#ifndef DBHOOK_VAULTOPTS_H
#define DBHOOK_VAULTOPTS_H

#include "dbhook/conninfo.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/options.h"
#include "dbhook/vault.h"

/* The longest password read (setup, run, --rotate), without the NUL. */
#define DBH_VAULT_PW_MAX 1024
/* How long a writer waits for another dbhook's lock on the file. */
#define DBH_VAULT_LOCK_WAIT_S 30

/* A vault command's options: the parsed ones, and what follows from them
 * (the profile, the config file's path). */
struct dbh_vault_opts {
	const struct dbh_opts *a; /* as parsed (options.c) */
	const char *cmd;
	const char *profile; /* the default filled in */
	char path[4096];
};

/* Prints `err` and returns its exit code (DBH_EUSAGE when it has none). */
int dbh_vault_fail(const struct dbh_error *err);

/* The parsed options of `cmd`, checked, with the defaults filled in
 * (the profile, the config file's path). Returns 0, or DBH_EUSAGE
 * (printed). */
int dbh_vault_opts_init(struct dbh_vault_opts *o, const char *cmd,
			const struct dbh_opts *in);

/* No core dumps and no ptrace by other processes of the user while
 * secrets are in memory. */
void dbh_vault_protect_process(void);

/* The notes a parsed URL carries (dbh_url_parse), each as a note or a
 * warning naming `profile`. */
void dbh_vault_report_notes(const struct dbh_conninfo *ci,
			    const struct dbh_reporter *rep,
			    const char *profile);

/* The detail of an unknown-profile error: the profiles there are. */
void dbh_vault_profiles_detail(const struct dbh_vault *v,
			       struct dbh_error *err);

#endif
