/* pkgedit.h - adding scripts to a package.json without rewriting it.
 *
 * `dbhook init` must leave a person's package.json as it was, but for the
 * lines it adds: its indentation (spaces or tabs, any width), key order,
 * line endings (LF or CRLF) and final newline (or none). So the file is
 * never re-serialised: a small scanner (strings and their escapes skipped)
 * finds the spans of the top-level object and of its "scripts" object in
 * the original bytes, and the new members are inserted as text:
 *
 *   - into an existing "scripts" object, first, each on a line of its own
 *     indented as the first existing script is, so that a diff of the file
 *     shows added lines only (on one line when the object is on one line);
 *   - with no "scripts" key, a new "scripts" object just before
 *     "dependencies" (or "devDependencies"), else after the last member.
 *
 * The result is parsed again (cJSON) and checked to hold the new scripts,
 * so a surprise in the input can never produce a broken file.
 */
#ifndef DBHOOK_PKGEDIT_H
#define DBHOOK_PKGEDIT_H

#include <stddef.h>

#include "dbhook/error.h"

struct dbh_pkgedit_script {
	const char *name;    /* e.g. "vercel-build" */
	const char *command; /* e.g. "vercel-build" */
};

/* Inserts the `n` scripts of `add` (in that order) into the package.json
 * text `text` (`len` bytes). Returns 0 with *out (malloc'd, NUL-terminated,
 * *outlen bytes; the caller frees it), or DBH_EUSAGE with `err` filled and
 * *out NULL: the text is not one JSON object, "scripts" is not an object
 * or appears twice, or one of the names is already a script. n == 0 gives
 * a copy of the text. */
int dbh_pkgedit_add_scripts(const char *text, size_t len,
			    const struct dbh_pkgedit_script *add, size_t n,
			    char **out, size_t *outlen, struct dbh_error *err);

#endif
