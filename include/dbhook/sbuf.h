/* sbuf.h - a growable string for building messages and payloads.
 *
 *   struct dbh_sbuf b = {0};
 *   dbh_sbuf_add(&b, "x"); ...; if (b.oom) ...; use b.s; free(b.s);
 *
 * After an allocation failure `oom` is set, `s` is freed (NULL) and every
 * later call does nothing, so callers check once at the end. The caller
 * owns `s` and frees it.
 */
#ifndef DBHOOK_SBUF_H
#define DBHOOK_SBUF_H

#include <stddef.h>

struct dbh_sbuf {
	char *s; /* NUL-terminated once anything was added, owned */
	size_t len, cap;
	int oom;
};

void dbh_sbuf_addn(struct dbh_sbuf *b, const char *p, size_t n);
void dbh_sbuf_add(struct dbh_sbuf *b, const char *p);

#endif
