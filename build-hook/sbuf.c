/* sbuf.c - see sbuf.h. */
#include "dbhook/sbuf.h"

#include "dbhook/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

void dbh_sbuf_addf(struct dbh_sbuf *b, const char *fmt, ...)
{
	char small[256], *text = small;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		dbh_oom(); /* plain %s/%d formats: only memory can fail */
	if ((size_t)n >= sizeof(small)) {
		text = dbh_xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	dbh_sbuf_addn(b, text, (size_t)n);
	if (text != small)
		free(text);
}
