/* vaultcmd.h - `dbhook setup`, `dbhook run` and `dbhook profiles`: the
 * local secure migration (a direct URL stored encrypted under a password,
 * see vault.h).
 *
 *   dbhook setup    [--profile P] [--config FILE] [--check] [--scrypt-n N]
 *                   [--url-fd N] [--password-fd N]
 *   dbhook setup    --delete P [--config FILE]
 *   dbhook run      [--profile P] [--config FILE] [--password-fd N]
 *                   [--dir D] [deploy options]
 *   dbhook profiles [--config FILE]
 */
#ifndef DBHOOK_VAULTCMD_H
#define DBHOOK_VAULTCMD_H

/* When argv[1] is "setup", "run" or "profiles", runs that command (argv[0]
 * is the program) and returns its exit status; otherwise returns -1 and
 * does nothing. */
int dbh_vaultcmd_dispatch(int argc, char **argv);

int dbh_vaultcmd_setup(int argc, char **argv);
int dbh_vaultcmd_run(int argc, char **argv);
int dbh_vaultcmd_profiles(int argc, char **argv);

#endif
