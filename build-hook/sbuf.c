/* sbuf.c - see sbuf.h. */
#include "dbhook/sbuf.h"

#include <stdlib.h>
#include <string.h>

void dbh_sbuf_addn(struct dbh_sbuf *b, const char *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s) {
			free(b->s);
			b->s = NULL;
			b->oom = 1;
			return;
		}
		b->s = s;
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
