/* textdiff.c - a unified diff of one changed region (see textdiff.h). */
#include "dbhook/textdiff.h"

#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sbuf.h"

#define CONTEXT 3 /* lines around the change */

/* The lines of `t` as offsets: line i is [at[i], at[i + 1]). */
static size_t split_lines(const char *t, size_t len, size_t **at)
{
	size_t n = 0;

	*at = dbh_xcalloc(len + 2, sizeof(**at));
	(*at)[n++] = 0;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '\n' && i + 1 < len)
			(*at)[n++] = i + 1;
	(*at)[n] = len;
	return len ? n : 0;
}

static void diff_line(struct dbh_sbuf *d, char sign, const char *t,
		      const size_t *at, size_t i, size_t nlines, size_t len)
{
	size_t l = at[i + 1] - at[i];

	while (l && (t[at[i] + l - 1] == '\n' || t[at[i] + l - 1] == '\r'))
		l--;
	dbh_sbuf_addf(d, "%c%.*s\n", sign, (int)l, t + at[i]);
	if (i + 1 == nlines && t[len - 1] != '\n')
		dbh_sbuf_add(d, "\\ No newline at end of file\n");
}

static int same_line(const char *a, const size_t *la, size_t i, const char *b,
		     const size_t *lb, size_t j)
{
	return la[i + 1] - la[i] == lb[j + 1] - lb[j] &&
	       memcmp(a + la[i], b + lb[j], la[i + 1] - la[i]) == 0;
}

char *dbh_text_diff(const char *name, const char *a, size_t alen, const char *b,
		    size_t blen)
{
	struct dbh_sbuf d = {0};
	size_t *la, *lb, na = split_lines(a, alen, &la),
			 nb = split_lines(b, blen, &lb), p = 0, s = 0, from,
			 after, i;

	while (p < na && p < nb && same_line(a, la, p, b, lb, p))
		p++;
	while (s < na - p && s < nb - p &&
	       same_line(a, la, na - s - 1, b, lb, nb - s - 1))
		s++;
	if (p == na && p == nb) {
		free(la);
		free(lb);
		return dbh_xstrdup("");
	}
	from = p > CONTEXT ? p - CONTEXT : 0;
	after = s < CONTEXT ? s : CONTEXT;
	dbh_sbuf_addf(&d, "--- a/%s\n+++ b/%s\n", name, name);
	dbh_sbuf_addf(&d, "@@ -%zu,%zu +%zu,%zu @@\n", from + 1,
		      na - s + after - from, from + 1, nb - s + after - from);
	for (i = from; i < p; i++)
		diff_line(&d, ' ', a, la, i, na, alen);
	for (i = p; i < na - s; i++)
		diff_line(&d, '-', a, la, i, na, alen);
	for (i = p; i < nb - s; i++)
		diff_line(&d, '+', b, lb, i, nb, blen);
	for (i = na - s; i < na - s + after; i++)
		diff_line(&d, ' ', a, la, i, na, alen);
	free(la);
	free(lb);
	return d.s;
}
