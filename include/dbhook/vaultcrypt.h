/* vaultcrypt.h - sealing and opening a vault profile's secret.
 *
 * key = scrypt(password, salt, N, r, p), 32 bytes; AES-256-GCM with a
 * fresh random 16-byte salt and 12-byte nonce for every encryption, and
 * the profile's associated data (dbh_vault_aad) authenticated with it, so
 * the format version, the KDF parameters, the profile name and the time it
 * was stored cannot be changed unnoticed. Errors: DBH_EUSAGE in `err`; nothing
 * is printed.
 */
#ifndef DBHOOK_VAULTCRYPT_H
#define DBHOOK_VAULTCRYPT_H

#include <stdint.h>

#include "dbhook/error.h"
#include "dbhook/vault.h"

/* Bounds on a file's stored KDF parameters. `run` always uses the
 * defaults (NULL); only the unit tests pass lower ones, so their
 * thousands of corrupted files derive a key cheaply. */
struct dbh_vault_limits {
	uint64_t min_N, max_N;
};

/* Checks stored KDF parameters against `lim` (NULL: the defaults).
 * DBH_EUSAGE with a message naming the profile when they are unsafe
 * (N too small) or too costly. */
int dbh_vault_check_kdf(const struct dbh_vault_profile *p,
			const struct dbh_vault_limits *lim,
			struct dbh_error *err);

/* Encrypts `secret` under `password` as profile `name`, replacing a
 * profile of that name (in place) or appending one. `kdf` NULL means the
 * default; otherwise N must be a power of two from 2 to DBH_VAULT_MAX_N
 * (tests use small ones; the command line enforces DBH_VAULT_MIN_N).
 * The record is of version DBH_VAULT_VERSION, with `stored` (seconds
 * since 1970 UTC, 0 to DBH_VAULT_STORED_MAX: the callers pass time(NULL))
 * authenticated with it. */
int dbh_vault_seal(struct dbh_vault *v, const char *name, const char *password,
		   const char *secret, const struct dbh_vault_kdf *kdf,
		   int64_t stored, struct dbh_error *err);

/* Decrypts profile `name`. On success *secret_out is a malloc'd, NUL
 * terminated copy (release it with dbh_secret_free). Unknown profile,
 * unsafe parameters, and the one message for a wrong password or a
 * changed file ("cannot decrypt profile \"P\": wrong password or the
 * file was changed"): DBH_EUSAGE. */
int dbh_vault_open(const struct dbh_vault *v, const char *name,
		   const char *password, const struct dbh_vault_limits *lim,
		   char **secret_out, struct dbh_error *err);

#endif
