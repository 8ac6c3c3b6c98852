/* vaultcrypt.c - a profile's secret: scrypt for the key, AES-256-GCM to
 * seal and open it (see vaultcrypt.h). */
#include "dbhook/vaultcrypt.h"
#include "dbhook/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

static int kdf_shape_ok(const struct dbh_vault_kdf *k, uint64_t min_N,
			uint64_t max_N)
{
	return k->N >= min_N && k->N <= max_N && !(k->N & (k->N - 1)) &&
	       k->r == 8 && k->p == 1;
}

int dbh_vault_check_kdf(const struct dbh_vault_profile *p,
			const struct dbh_vault_limits *lim,
			struct dbh_error *err)
{
	uint64_t min_N = lim ? lim->min_N : DBH_VAULT_MIN_N;
	uint64_t max_N = lim ? lim->max_N : DBH_VAULT_MAX_N;

	if (kdf_shape_ok(&p->kdf, min_N, max_N))
		return 0;
	dbh_error_set(err, DBH_EUSAGE,
		      "profile \"%s\" uses scrypt N=%" PRIu64
		      " r=%u p=%u, which this dbhook refuses as %s",
		      p->name, p->kdf.N, p->kdf.r, p->kdf.p,
		      p->kdf.N < min_N ? "unsafe (too weak)"
				       : "unsupported or too costly");
	dbh_error_detail(err,
			 "Profiles must use scrypt with N from %" PRIu64
			 " to %" PRIu64 ", r=8 and p=1.",
			 min_N, max_N);
	dbh_error_hint(
	    err, "Store the profile again: dbhook setup --profile %s", p->name);
	return DBH_EUSAGE;
}

static int derive(const char *password, const unsigned char *salt,
		  const struct dbh_vault_kdf *k,
		  unsigned char key[DBH_VAULT_KEY_LEN])
{
	/* What EVP_PBE_scrypt allocates: B (128 r p) and V (128 r (N+2)),
	 * plus room to spare. */
	uint64_t maxmem =
	    128ull * k->r * (k->N + 2) + 128ull * k->r * k->p + (1u << 20);

	return EVP_PBE_scrypt(password, strlen(password), salt,
			      DBH_VAULT_SALT_LEN, k->N, k->r, k->p, maxmem, key,
			      DBH_VAULT_KEY_LEN) == 1
		   ? 0
		   : -1;
}

/* AES-256-GCM one shot. `enc` 1 to encrypt (writes tag), 0 to decrypt
 * (checks tag). Returns 0, or -1 (decrypt: authentication failed). */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce,
	       const char *aad, size_t aadlen, const unsigned char *in,
	       size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = 0;

	if (!ctx) /* an empty context: only memory can fail */
		dbh_oom();
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) !=
		1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
				DBH_VAULT_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad,
			     (int)aadlen) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
					DBH_VAULT_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
				       DBH_VAULT_TAG_LEN, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int dbh_vault_seal(struct dbh_vault *v, const char *name, const char *password,
		   const char *secret, const struct dbh_vault_kdf *kdf,
		   int64_t stored, struct dbh_error *err)
{
	struct dbh_vault_profile p;
	unsigned char key[DBH_VAULT_KEY_LEN];
	char aad[600];
	size_t len = strlen(secret);
	int aadlen, ret = DBH_EUSAGE;

	memset(&p, 0, sizeof(p));
	if (!dbh_vault_valid_name(name))
		return dbh_error_set(err, DBH_EUSAGE,
				     "invalid profile name (use 1 to %d of "
				     "A-Z a-z 0-9 . _ -, not starting with "
				     ". or -)",
				     DBH_VAULT_NAME_MAX);
	if (len == 0 || len > DBH_VAULT_SECRET_MAX)
		return dbh_error_set(err, DBH_EUSAGE,
				     "the URL must hold 1 to %d bytes",
				     DBH_VAULT_SECRET_MAX);
	if (stored < 0 || stored > DBH_VAULT_STORED_MAX)
		return dbh_error_set(err, DBH_EUSAGE,
				     "the clock is not set (time %" PRId64
				     " is out of range)",
				     stored);
	strcpy(p.name, name);
	p.version = DBH_VAULT_VERSION;
	p.stored = stored;
	if (kdf) {
		p.kdf = *kdf;
		if (!kdf_shape_ok(&p.kdf, 2, DBH_VAULT_MAX_N))
			return dbh_error_set(err, DBH_EUSAGE,
					     "unsupported scrypt parameters");
	} else {
		p.kdf.N = DBH_VAULT_DEFAULT_N;
		p.kdf.r = 8;
		p.kdf.p = 1;
	}
	if (RAND_bytes(p.salt, sizeof(p.salt)) != 1 ||
	    RAND_bytes(p.nonce, sizeof(p.nonce)) != 1)
		return dbh_error_set(err, DBH_EUSAGE,
				     "cannot get random bytes from OpenSSL");
	aadlen = dbh_vault_aad(&p, aad, sizeof(aad));
	if (aadlen < 0) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "the profile's record is too long");
	p.ct = dbh_xmalloc(len);
	p.ctlen = len;
	if (derive(password, p.salt, &p.kdf, key)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot derive the key (scrypt N=%" PRIu64
			      " needs about %" PRIu64 " MiB of memory)",
			      p.kdf.N, (128 * p.kdf.r * p.kdf.N) >> 20);
		goto out;
	}
	if (gcm(1, key, p.nonce, aad, (size_t)aadlen,
		(const unsigned char *)secret, len, p.ct, p.tag)) {
		dbh_error_set(err, DBH_EUSAGE, "encryption failed (OpenSSL)");
		goto out;
	}
	if (dbh_vault_put(v, &p)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "the file already holds %d profiles",
			      DBH_VAULT_PROFILES_MAX);
		goto out;
	}
	ret = 0;
out:
	dbh_secret_wipe(key, sizeof(key));
	free(p.ct);
	return ret;
}

int dbh_vault_open(const struct dbh_vault *v, const char *name,
		   const char *password, const struct dbh_vault_limits *lim,
		   char **secret_out, struct dbh_error *err)
{
	const struct dbh_vault_profile *p = dbh_vault_find(v, name);
	unsigned char key[DBH_VAULT_KEY_LEN], tag[DBH_VAULT_TAG_LEN];
	char aad[600], *out;
	int aadlen, ret;

	*secret_out = NULL;
	if (!p)
		return dbh_error_set(err, DBH_EUSAGE, "no profile \"%s\"",
				     name);
	ret = dbh_vault_check_kdf(p, lim, err);
	if (ret)
		return ret;
	aadlen = dbh_vault_aad(p, aad, sizeof(aad));
	if (aadlen < 0) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "profile \"%s\": record too long", name);
	out = dbh_xmalloc(p->ctlen + 1);
	if (derive(password, p->salt, &p->kdf, key)) {
		free(out);
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot derive the key (scrypt N=%" PRIu64
			      " needs about %" PRIu64 " MiB of memory)",
			      p->kdf.N, (128 * p->kdf.r * p->kdf.N) >> 20);
		return DBH_EUSAGE;
	}
	memcpy(tag, p->tag, sizeof(tag));
	ret = gcm(0, key, p->nonce, aad, (size_t)aadlen, p->ct, p->ctlen,
		  (unsigned char *)out, tag);
	dbh_secret_wipe(key, sizeof(key));
	out[p->ctlen] = '\0';
	if (ret || memchr(out, '\0', p->ctlen)) {
		dbh_secret_wipe(out, p->ctlen + 1);
		free(out);
		dbh_error_set(err, DBH_EUSAGE,
			      "cannot decrypt profile \"%s\": wrong password "
			      "or the file was changed",
			      name);
		dbh_error_hint(err,
			       "Type the password given to `dbhook setup "
			       "--profile %s`. If it is lost, or the file "
			       "was damaged, store the URL again with that "
			       "command.",
			       name);
		return DBH_EUSAGE;
	}
	*secret_out = out;
	return 0;
}
