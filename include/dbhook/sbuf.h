/* sbuf.h - a growable string for building messages and payloads.
 *
 *   struct dbh_sbuf b = {0};
 *   dbh_sbuf_add(&b, "x"); ...; use b.s; free(b.s);
 *
 * Growth goes through alloc.h: running out of memory ends the program, so
 * there is nothing to check. `s` stays NULL until something is added; the
 * caller owns it and frees it.
 */
#ifndef DBHOOK_SBUF_H
#define DBHOOK_SBUF_H

#include <stddef.h>

struct dbh_sbuf {
	char *s; /* NUL-terminated once anything was added, owned */
	size_t len, cap;
};

void dbh_sbuf_addn(struct dbh_sbuf *b, const char *p, size_t n);
void dbh_sbuf_add(struct dbh_sbuf *b, const char *p);
void dbh_sbuf_addf(struct dbh_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
