/* sbuf.c - see sbuf.h. */
#include "dbhook/sbuf.h"

#include "dbhook/alloc.h"

#include <stdint.h>
#include <string.h>

void dbh_sbuf_addn(struct dbh_sbuf *b, const char *p, size_t n)
{
	if (n > SIZE_MAX / 2 - b->len)
		dbh_oom(); /* no string of that size can be held */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = dbh_xrealloc(b->s, cap, 1);
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void dbh_sbuf_add(struct dbh_sbuf *b, const char *p)
{
	dbh_sbuf_addn(b, p, strlen(p));
}
