/* vaultfile.h - the vault file on disk: where it is, loading, locking
 * and saving it. Errors: DBH_EUSAGE in `err`; nothing is printed.
 */
#ifndef DBHOOK_VAULTFILE_H
#define DBHOOK_VAULTFILE_H

#include <stddef.h>

#include "dbhook/error.h"
#include "dbhook/vault.h"

/* Reads and parses the file at `path`. Refuses a symbolic link, anything
 * but a regular file, a file owned by another user, and a file readable
 * or writable by group or others (as ssh does; the hint gives the chmod
 * that fixes it). A missing file sets *missing = 1 and returns 0 with `v`
 * empty when `missing` is not NULL, else it is an error. */
int dbh_vault_load(const char *path, struct dbh_vault *v, int *missing,
		   struct dbh_error *err);

/* Serialises concurrent writers of `path`: an exclusive flock(2) on the
 * folder that holds it, waited for up to `timeout_s` seconds. Returns 0
 * and sets *lockfd (release with dbh_vault_unlock), or DBH_EUSAGE. */
int dbh_vault_lock(const char *path, double timeout_s, int *lockfd,
		   struct dbh_error *err);
void dbh_vault_unlock(int lockfd);

/* Writes `v` to `path` atomically: a temporary file in the same folder
 * (mode 0600 whatever the umask), fsync, rename over `path`, fsync of
 * the folder. Refuses when `path` is a symbolic link or not a regular
 * file. Callers hold dbh_vault_lock around load + change + save. */
int dbh_vault_save(const char *path, const struct dbh_vault *v,
		   struct dbh_error *err);

/* ---- where the file is ---- */

/* The <app> of the default file name: package.json's "name" in `dir`,
 * else the folder name of `dir`, reduced to [A-Za-z0-9._-] (other runs
 * become '-', leading dots and dashes are dropped), "app" when nothing
 * is left. Writes into `out` (at most outsz - 1 characters). */
void dbh_vault_app_name(const char *dir, char *out, size_t outsz);

/* "$HOME/.<app>-migrate-config" for the current directory. Returns 0, or
 * DBH_EUSAGE when neither HOME nor the password database names a home. */
int dbh_vault_default_path(char *out, size_t outsz, struct dbh_error *err);

#endif
