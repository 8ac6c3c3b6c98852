/* digest.h - OpenSSL's SHA-256, looked up once per run.
 *
 * In OpenSSL 3, EVP_sha256() hands out a method that every digest or HMAC
 * start looks up again among the providers (a lock, a hash look-up, a
 * property match). libpq 15 computes SCRAM's salted password with 4096
 * HMACs, each started with EVP_sha256(): those look-ups are about a third
 * of what a connection costs the client (callgrind). A method fetched once
 * costs nothing to start again.
 *
 * The portable build goes further (digest.c, no call of its own): it
 * wraps libpq's salting itself (-Wl,--wrap=scram_SaltedPassword, where
 * meson.build finds PostgreSQL 15's signature) and computes it with
 * OpenSSL's PBKDF2 over that method, which keys the HMAC once instead of
 * 4096 times.
 */
#ifndef DBHOOK_DIGEST_H
#define DBHOOK_DIGEST_H

#include <openssl/evp.h>

/* The fetched SHA-256 (EVP_sha256() if the fetch failed). Owned here, kept
 * for the whole run. */
const EVP_MD *dbh_sha256(void);

/* Before libpq connects: runs OpenSSL's start-up (with its configuration
 * file, as libpq would) and fetches the method. From then on EVP_sha256()
 * returns the fetched method to libpq's SCRAM and every other caller
 * outside the file of libcrypto that defines it (if the start-up failed,
 * OpenSSL's own): in the portable build through -Wl,--wrap=EVP_sha256, in
 * a development build on glibc by defining EVP_sha256 in the program,
 * which the dynamic linker finds before libcrypto's. */
void dbh_sha256_share(void);

#endif
