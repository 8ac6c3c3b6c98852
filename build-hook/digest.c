/* digest.c - see digest.h: the SHA-256 and the SCRAM salting libpq uses. */
#include "dbhook/digest.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

/* The portable build links with -Wl,--wrap=EVP_sha256: the linker sends
 * every call of EVP_sha256() outside libcrypto's own file to
 * __wrap_EVP_sha256 and names the original __real_EVP_sha256. This file
 * is in the link because conn.c calls dbh_sha256_share(); a program
 * without it would miss __wrap_EVP_sha256 (only `dbhook` is portable). */
#ifdef DBH_WRAP_EVP_SHA256
const EVP_MD *__real_EVP_sha256(void);
const EVP_MD *__wrap_EVP_sha256(void);
#define legacy_sha256 __real_EVP_sha256
#elif defined(DBH_INTERPOSE_EVP_SHA256)
/* A development build against a shared libcrypto on glibc (meson.build
 * checks both). A definition of EVP_sha256 in the program comes first in
 * the dynamic linker's search, so calls from libpq, libssl and libcrypto
 * itself reach the one below (as with an LD_PRELOAD library); OpenSSL's
 * own is the next one found. */
#include <dlfcn.h>
static const EVP_MD *legacy_sha256(void)
{
	static const EVP_MD *(*real)(void);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_sha256");
	/* NULL cannot happen (the program links libcrypto); it would make
	 * the digest's users fail with OpenSSL's error, not hang. */
	return real ? real() : NULL;
}
#else
#define legacy_sha256 EVP_sha256
#endif

static EVP_MD *fetched;
static int shared;

const EVP_MD *dbh_sha256(void)
{
	if (!fetched)
		fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
	return fetched ? fetched : legacy_sha256();
}

void dbh_sha256_share(void)
{
	/* OpenSSL's one-time set-up files its digests under their names;
	 * it runs here, before the switch, so that table keeps OpenSSL's
	 * own methods (libpq's set-up later finds it done). No clean-up at
	 * exit (where this is the first set-up): freeing every table OpenSSL
	 * built, just before the process ends, was 2% of a no-op deploy's
	 * instructions. */
	int started = OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_DIGESTS |
					      OPENSSL_INIT_LOAD_CONFIG |
					      OPENSSL_INIT_NO_ATEXIT,
					  NULL);

	dbh_sha256();
	/* A configuration file OpenSSL could not read leaves its complaint
	 * queued: libpq would report it in place of a later TLS error. */
	ERR_clear_error();
	shared = started == 1;
}

#ifdef DBH_WRAP_EVP_SHA256
const EVP_MD *__wrap_EVP_sha256(void)
{
	return shared && fetched ? fetched : __real_EVP_sha256();
}
#elif defined(DBH_INTERPOSE_EVP_SHA256)
const EVP_MD *EVP_sha256(void)
{
	return shared && fetched ? fetched : legacy_sha256();
}
#endif

#ifdef DBH_WRAP_SCRAM_SALTED_PASSWORD
/* The portable build links with -Wl,--wrap=scram_SaltedPassword
 * (meson.build checks the signature against libpq's own header). SCRAM's
 * salted password, Hi() of RFC 5802, is PBKDF2 with HMAC-SHA-256 and one
 * output block: OpenSSL keys the HMAC once where libpq keys each of the
 * 4096 again. If OpenSSL fails, libpq's own loop runs and reports. */
int __real_scram_SaltedPassword(const char *password, const char *salt,
				int saltlen, int iterations,
				unsigned char *result, const char **errstr);
int __wrap_scram_SaltedPassword(const char *password, const char *salt,
				int saltlen, int iterations,
				unsigned char *result, const char **errstr);

int __wrap_scram_SaltedPassword(const char *password, const char *salt,
				int saltlen, int iterations,
				unsigned char *result, const char **errstr)
{
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
			      (const unsigned char *)salt, saltlen, iterations,
			      dbh_sha256(), 32, result) == 1)
		return 0;
	ERR_clear_error();
	return __real_scram_SaltedPassword(password, salt, saltlen, iterations,
					   result, errstr);
}
#endif
