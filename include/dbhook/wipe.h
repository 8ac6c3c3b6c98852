/* wipe.h - memory that held a secret (a password, a key, a URL, a token)
 * is wiped before it is given back, so it does not linger in freed memory
 * or a core dump.
 */
#ifndef DBHOOK_WIPE_H
#define DBHOOK_WIPE_H

#include <stddef.h>

/* Wipes `len` bytes (explicit_bzero where there is one, and
 * OPENSSL_cleanse, which the compiler cannot remove). NULL is fine. */
void dbh_secret_wipe(void *p, size_t len);

/* Wipes a NUL-terminated string, then frees it. NULL is fine. */
void dbh_wipe_free(char *s);

/* A growing string that wipes every block it drops (never realloc, which
 * would leave the old block as it was). Zero-initialise; dbh_wbuf_wipe
 * frees it. */
struct dbh_wbuf {
	char *p;
	size_t len, cap;
};

void dbh_wbuf_addn(struct dbh_wbuf *b, const char *s, size_t n);
void dbh_wbuf_adds(struct dbh_wbuf *b, const char *s);
void dbh_wbuf_wipe(struct dbh_wbuf *b);

#endif
