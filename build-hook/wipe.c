/* wipe.c - memory that held a secret is wiped before it is given back
 * (see wipe.h). */
#include "dbhook/wipe.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"

void dbh_secret_wipe(void *p, size_t len)
{
	if (!p || !len)
		return;
#if DBH_HAVE_EXPLICIT_BZERO
	explicit_bzero(p, len);
#endif
	/* Everywhere, also where explicit_bzero is missing (macOS). */
	OPENSSL_cleanse(p, len);
}

void dbh_wipe_free(char *s)
{
	if (s) {
		dbh_secret_wipe(s, strlen(s));
		free(s);
	}
}

/* ---- a growing string that wipes what it drops ---- */

void dbh_wbuf_addn(struct dbh_wbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		/* Not realloc: the old block may hold a password and must be
		 * wiped, which realloc would not do. */
		np = dbh_xmalloc(cap);
		if (b->p) {
			memcpy(np, b->p, b->len);
			dbh_secret_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void dbh_wbuf_adds(struct dbh_wbuf *b, const char *s)
{
	dbh_wbuf_addn(b, s, strlen(s));
}

void dbh_wbuf_wipe(struct dbh_wbuf *b)
{
	if (b->p) {
		dbh_secret_wipe(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}
