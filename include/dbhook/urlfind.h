/* urlfind.h - where the database URL comes from.
 *
 * Never from the command line. `--url-env NAME`: exactly that variable.
 * Otherwise the first that is set of, in order:
 *
 *   DATABASE_URL_DIRECT, MIGRATE_DATABASE_URL (vercel-build: first),
 *   the variable of Prisma's directUrl = env("...") (prismaenv.h),
 *   POSTGRES_URL_NON_POOLING (Vercel's Supabase and Postgres
 *   integrations), DATABASE_URL_UNPOOLED (Neon's), DIRECT_URL,
 *   DIRECT_DATABASE_URL, the variable of Prisma's url = env("..."),
 *   DATABASE_URL.
 *
 * Each is looked up in the environment, then in ./.env (dotenv.h; never
 * in a Vercel build, whose environment is authoritative). When the first
 * one set is a transaction pooler (the URL heuristics of pooler.h) or a
 * Prisma Accelerate URL, and a later one holds a direct URL, the later one
 * is used, with a note saying so.
 *
 * The search never prints: what it found, the names it looked at and its
 * notes are returned, and the command prints them. Values are secrets and
 * appear in no note or error; only names do.
 */
#ifndef DBHOOK_URLFIND_H
#define DBHOOK_URLFIND_H

#include <stddef.h>

#include "dbhook/dotenv.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

struct dbh_urlfind_opts {
	const char *exact; /* --url-env NAME: this variable only */
	const char *first; /* looked at before the others (vercel-build:
			      MIGRATE_DATABASE_URL) */
	int no_dotenv;	   /* never read .env */
	const char *dir;   /* the project's folder; NULL: "." */
};

#define DBH_URLFIND_NOTES 12
#define DBH_URLFIND_NAMES 16

struct dbh_urlfind {
	const char *name;  /* the variable used; NULL when none is set */
	const char *value; /* its value (borrowed from the environment or
			      from `dotenv`) */
	const char *where; /* "the environment" or ".env" */
	char looked[600];  /* the names looked at, "A, B, C" */
	struct {
		enum dbh_level level;
		char text[400];
	} note[DBH_URLFIND_NOTES];
	size_t nnotes;
	/* private */
	struct dbh_urlfind_opts opts;
	int full; /* names holds the whole list (Prisma's files read) */
	struct dbh_dotenv dotenv;
	char names[DBH_URLFIND_NAMES][128];
	size_t nnames;
};

/* Looks for the URL. 0 with f->name set; DBH_EUSAGE when no variable is
 * set, with `err` naming every variable looked at. Release `f` in both
 * cases (zero-initialise it first). */
int dbh_urlfind(const struct dbh_urlfind_opts *o, struct dbh_urlfind *f,
		struct dbh_error *err);

/* Hands the notes to `rep` (warnings as warnings). */
void dbh_urlfind_report(const struct dbh_urlfind *f,
			const struct dbh_reporter *rep);

/* Parses the URL found into `ci` (dbh_url_parse), every error prefixed
 * with the variable's name; a Prisma Accelerate URL (prisma+postgres://,
 * prisma://) is refused (DBH_EUSAGE) with what to use instead. The
 * parser's notes are the caller's to report (ci->notes). */
int dbh_urlfind_parse(const struct dbh_urlfind *f, struct dbh_conninfo *ci,
		      struct dbh_error *err);

/* After a pooler refusal (pooler.h) in `err`: names the variable that
 * holds a direct URL in the hint, when there is one. Other errors are left
 * alone. */
void dbh_urlfind_pooler_hint(struct dbh_urlfind *f, struct dbh_error *err);

void dbh_urlfind_release(struct dbh_urlfind *f);

#endif
