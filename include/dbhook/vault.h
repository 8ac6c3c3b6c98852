/* vault.h - the encrypted profile file of `dbhook setup` / `dbhook run`.
 *
 * One text file holds several profiles (production, staging, ...), each a
 * database URL encrypted under its own password:
 *
 *   dbhook-vault 2
 *   # comment lines are ignored
 *   profile NAME scrypt N=131072 r=8 p=1 salt=B64 stored=T nonce=B64
 *       ct=B64 tag=B64
 *   profile OLD scrypt N=131072 r=8 p=1 salt=B64 nonce=B64
 *       ct=B64 tag=B64
 *   ...
 *   end
 *
 * Each record is one line in the file (broken in two here). NAME is a
 * version-2 record: stored=T comes before nonce=. OLD is a version-1
 * record, written before dbhook recorded the time: no stored=.
 *
 * AES-256-GCM; key = scrypt(password, salt, N, r, p), 32 bytes; a fresh
 * random 16-byte salt and 12-byte nonce for every encryption. The
 * associated data is a header line of the record's own version and the
 * record up to the nonce:
 *
 *   version 2: "dbhook-vault 2\nprofile NAME scrypt N=.. r=.. p=.. salt=..
 *              stored=T nonce=.." (one line; T: when it was stored, in
 *              seconds since 1970 UTC)
 *   version 1: "dbhook-vault 1\nprofile NAME scrypt N=.. r=.. p=.. salt=..
 *              nonce=.." (written before dbhook recorded the time)
 *
 * so the format version, the KDF parameters, the profile name and the
 * time it was stored are authenticated: a version-2 record stripped of
 * its time (read as version 1), or a version-1 record given one, does
 * not decrypt. Base64 is canonical (EVP_EncodeBlock with padding; any
 * other spelling is refused), so every byte of a record is checked. The
 * "end" line catches a file truncated at a line boundary. README.md
 * ("Vault file format") documents it for users.
 *
 * Why a version 2 rather than an optional field in version 1: a dbhook
 * that reads only version 1 would call a record with an extra field
 * "damaged" and advise removing the file; a header of version 2 makes it
 * say "format version 2; use a newer dbhook" instead. Version-1 records
 * are still read (they are not rewritten unless stored again: `setup`
 * and `setup --rotate` write version 2), and the header is the highest
 * version of its records (1 for a file without a version-2 record, so
 * such a file stays readable by the older dbhook).
 *
 * This header is the format and the profiles in memory (vault.c); the
 * encryption is in vaultcrypt.h, the file on disk in vaultfile.h. None of
 * them prints or reads the terminal: errors go to a struct dbh_error (exit
 * code DBH_EUSAGE for every vault problem). Secrets (passwords, keys,
 * decrypted URLs) are wiped before their memory is released.
 */
#ifndef DBHOOK_VAULT_H
#define DBHOOK_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "dbhook/error.h"
#include "dbhook/wipe.h" /* profiles hold secrets: wiped, not just freed */

#define DBH_VAULT_MAGIC "dbhook-vault"
#define DBH_VAULT_VERSION 2	/* what new records are written as */
#define DBH_VAULT_VERSION_MIN 1 /* still read: records without a time */
/* The largest stored time accepted: 9999-12-31 23:59:59 UTC. */
#define DBH_VAULT_STORED_MAX INT64_C(253402300799)
#define DBH_VAULT_NAME_MAX 64	     /* profile name: [A-Za-z0-9._-], 1..64 */
#define DBH_VAULT_SECRET_MAX 4096    /* longest stored URL, bytes */
#define DBH_VAULT_FILE_MAX (1 << 20) /* a larger file is refused */
#define DBH_VAULT_PROFILES_MAX 256
#define DBH_VAULT_SALT_LEN 16
#define DBH_VAULT_NONCE_LEN 12
#define DBH_VAULT_TAG_LEN 16
#define DBH_VAULT_KEY_LEN 32

/* scrypt cost. N is a power of two; memory is about 128 * r * N bytes. */
struct dbh_vault_kdf {
	uint64_t N;
	uint32_t r, p;
};

/* The default for new profiles: N = 2^17, r = 8, p = 1 (128 MiB). */
#define DBH_VAULT_DEFAULT_N (UINT64_C(1) << 17)
/* What dbh_vault_open accepts by default, and what `setup --scrypt-n`
 * may choose: 2^15 <= N <= 2^20, r = 8, p = 1. */
#define DBH_VAULT_MIN_N (UINT64_C(1) << 15)
#define DBH_VAULT_MAX_N (UINT64_C(1) << 20)

struct dbh_vault_profile {
	char name[DBH_VAULT_NAME_MAX + 1];
	unsigned version; /* of the record: 1 or DBH_VAULT_VERSION */
	int64_t stored;	  /* version 2: seconds since 1970 UTC; 1: unused */
	struct dbh_vault_kdf kdf;
	unsigned char salt[DBH_VAULT_SALT_LEN];
	unsigned char nonce[DBH_VAULT_NONCE_LEN];
	unsigned char tag[DBH_VAULT_TAG_LEN];
	unsigned char *ct; /* ciphertext, owned */
	size_t ctlen;
};

struct dbh_vault {
	struct dbh_vault_profile *p; /* in file order, owned */
	size_t n;
};

/* Nonzero when `name` is a valid profile name. */
int dbh_vault_valid_name(const char *name);

/* Parses a whole file's bytes. Returns 0, or DBH_EUSAGE with `err`
 * saying what is wrong and where ("line 3: ..."); `what` names the file
 * in messages. A version other than 1 or 2 is reported as unsupported;
 * a header that is not the highest version of the records is damage. */
int dbh_vault_parse(const char *buf, size_t len, const char *what,
		    struct dbh_vault *v, struct dbh_error *err);

/* The associated data that authenticates profile `p` (vaultcrypt.c): the
 * header line of p->version and the record up to the nonce (see above).
 * Returns its length, or -1 when it does not fit `outsz` (600 bytes
 * always do: a name is at most 64 bytes). */
int dbh_vault_aad(const struct dbh_vault_profile *p, char *out, size_t outsz);

/* The file text (malloc'd, caller frees), or NULL when a record does not
 * fit its line (never for a profile parsed or sealed here). */
char *dbh_vault_format(const struct dbh_vault *v);

void dbh_vault_release(struct dbh_vault *v);

/* Whole days from `p`'s stored time to `now` (both seconds since 1970),
 * 0 for a time less than a day ago or in the future (a clock set back);
 * -1 when the record holds no time (version 1: "age unknown"). */
long dbh_vault_age_days(const struct dbh_vault_profile *p, int64_t now);

/* The profile named `name`, or NULL. */
struct dbh_vault_profile *dbh_vault_find(const struct dbh_vault *v,
					 const char *name);

/* Removes profile `name`; returns 0, or -1 when there is none. */
int dbh_vault_remove(struct dbh_vault *v, const char *name);

/* Moves `p` (sealed into another vault) into `v`, replacing a profile of
 * the same name in place or appending it; `p->ct` changes owner (it is
 * set to NULL). Returns 0, or -1 when `v` is full. */
int dbh_vault_put(struct dbh_vault *v, struct dbh_vault_profile *p);

#endif
