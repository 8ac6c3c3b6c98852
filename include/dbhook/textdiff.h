/* textdiff.h - a unified diff of a text and its edited version, as
 * `diff -u` shows it, for `dbhook init --dry-run`.
 *
 * The edit must be one changed region (pkgedit.h inserts in one place):
 * the lines common to both ends are context, everything between them is
 * shown as removed and added lines, with 3 lines of context and "\ No
 * newline at end of file" where it applies.
 */
#ifndef DBHOOK_TEXTDIFF_H
#define DBHOOK_TEXTDIFF_H

#include <stddef.h>

/* The diff of `a` (alen bytes) and `b` (blen bytes), both named `name`
 * ("--- a/NAME", "+++ b/NAME"), lines ending in "\n" (a "\r" before it is
 * dropped). Returns a malloc'd string; "" when the texts are equal. */
char *dbh_text_diff(const char *name, const char *a, size_t alen, const char *b,
		    size_t blen);

#endif
