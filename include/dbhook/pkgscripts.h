/* pkgscripts.h - does a package.json script run vercel-build?
 *
 * The hand-off (handoff.c) must never run a "build" script that calls
 * vercel-build again, or the build would loop. This walks the scripts as
 * npm, pnpm, yarn and bun run them: each script's text is read by a small
 * shell lexer (simple commands split at ; & | ( ) ` $( and newlines;
 * quotes, backslashes, comments), `npm run NAME` and the like lead to the
 * scripts "preNAME", "NAME" and "postNAME", wrappers (env, npx, cross-env,
 * ...) and `sh -c TEXT` are looked through. Each script is examined once
 * per walk, so cycles end and the cost is linear in the scripts' size.
 *
 *   struct dbh_pkgscripts s;
 *   dbh_pkgscripts_init(&s, scripts);  ... dbh_pkgscripts_free(&s);
 *
 * The scripts object is borrowed: it must outlive `s`.
 */
#ifndef DBHOOK_PKGSCRIPTS_H
#define DBHOOK_PKGSCRIPTS_H

#include <stddef.h>

struct cJSON;
struct dbh_pkgscripts_slot; /* pkgscripts.c */

struct dbh_pkgscripts {
	const struct cJSON *scripts; /* package.json "scripts", or NULL */
	/* The members of "scripts" by name (open addressing); of members
	 * with the same name the first wins, as with
	 * cJSON_GetObjectItemCaseSensitive. NULL when there are none. */
	struct dbh_pkgscripts_slot *slots;
	size_t mask;	      /* number of slots - 1 */
	const char *found_in; /* the script whose text calls vercel-build */
};

/* Indexes `scripts` (package.json's "scripts"; anything but an object, or
 * NULL, is no scripts). A zeroed struct is also fine to free. */
void dbh_pkgscripts_init(struct dbh_pkgscripts *s, const struct cJSON *scripts);
void dbh_pkgscripts_free(struct dbh_pkgscripts *s);

/* The text of script `name` when it is a string, else NULL. */
const char *dbh_pkgscripts_text(const struct dbh_pkgscripts *s,
				const char *name);

/* Runs "pre<name>", "<name>" and "post<name>" as npm does: does any of
 * them call vercel-build, directly or through the scripts they run? Sets
 * s->found_in to the script whose own text calls it (NULL when none). */
int dbh_pkgscripts_runs_self(struct dbh_pkgscripts *s, const char *name);

/* Whether the last dbh_pkgscripts_runs_self went through script `name`. */
int dbh_pkgscripts_walked(const struct dbh_pkgscripts *s, const char *name);

/* Nonzero when we run inside script `ev` (npm_lifecycle_event), that
 * script calls vercel-build, and it has more commands chained after it
 * ("&&", ";", "||"). A walk of its own: it leaves no trace in `s`. */
int dbh_pkgscripts_goes_on(struct dbh_pkgscripts *s, const char *ev);

#endif
