/* urlfind.c - where the database URL comes from (see urlfind.h). */
#include "dbhook/urlfind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dbhook/config.h"
#include "dbhook/fileio.h"
#include "dbhook/pooler.h"
#include "dbhook/prismaenv.h"

#define FROM_ENV "the environment"
#define FROM_DOTENV ".env"

/* The names users already have, in the order they are looked at; NULL
 * marks where the variables named by Prisma's files go (directUrl first,
 * url before DATABASE_URL). */
static const char *const usual[] = {"DATABASE_URL_DIRECT",
				    "MIGRATE_DATABASE_URL",
				    NULL,
				    "POSTGRES_URL_NON_POOLING",
				    "DATABASE_URL_UNPOOLED",
				    "DIRECT_URL",
				    "DIRECT_DATABASE_URL",
				    NULL,
				    "DATABASE_URL"};

/* A reporter that keeps the lines as the search's notes. */
static void collect(void *ctx, enum dbh_level level, const char *line)
{
	struct dbh_urlfind *f = ctx;

	if (f->nnotes == DBH_URLFIND_NOTES)
		return;
	f->note[f->nnotes].level = level;
	snprintf(f->note[f->nnotes++].text, sizeof(f->note[0].text), "%s",
		 line);
}

static void add_name(struct dbh_urlfind *f, const char *name)
{
	for (size_t i = 0; i < f->nnames; i++)
		if (strcmp(f->names[i], name) == 0)
			return;
	if (f->nnames == DBH_URLFIND_NAMES)
		return;
	snprintf(f->names[f->nnames++], sizeof(f->names[0]), "%s", name);
	snprintf(f->looked + strlen(f->looked),
		 sizeof(f->looked) - strlen(f->looked), "%s%s",
		 f->looked[0] ? ", " : "", name);
}

/* The value of `name` (the environment wins over .env), or NULL. */
static const char *lookup(const struct dbh_urlfind *f, const char *name,
			  const char **where)
{
	const char *v = dbh_config_var(name);

	if (v && *v) {
		*where = FROM_ENV;
		return v;
	}
	*where = FROM_DOTENV;
	return dbh_dotenv_get(&f->dotenv, name);
}

/* The scheme of a Prisma Accelerate URL at the start of `v`, or NULL. */
static const char *accelerate(const char *v)
{
	v += strspn(v, " \t\r\n");
	if (strncasecmp(v, "prisma+postgres://", 18) == 0)
		return "prisma+postgres://";
	if (strncasecmp(v, "prisma://", 9) == 0)
		return "prisma://";
	return NULL;
}

enum kind { K_BAD, K_ACCELERATE, K_POOLER, K_DIRECT };

/* What a URL is, by its text alone (parsing it also registers its
 * secrets). `why`: the pooler evidence. */
static enum kind kind_of(const char *v, char *why, size_t whysz)
{
	struct dbh_conninfo ci;
	struct dbh_error e;
	enum kind k;

	why[0] = '\0';
	if (accelerate(v))
		return K_ACCELERATE;
	dbh_error_clear(&e);
	if (dbh_url_parse(v, &ci, &e) != 0)
		return K_BAD;
	k = dbh_pooler_url(&ci, why, whysz) ? K_POOLER : K_DIRECT;
	dbh_conninfo_release(&ci);
	return k;
}

/* The first variable after `from` (other than `skip`, with a value of its
 * own) that holds a direct URL; its index, or -1. */
static long next_direct(const struct dbh_urlfind *f, size_t from,
			const char *skip, const char **where)
{
	char why[160];

	for (size_t i = from; i < f->nnames; i++) {
		const char *v = lookup(f, f->names[i], where);

		if (v && strcmp(f->names[i], skip) != 0 &&
		    strcmp(v, f->value) != 0 &&
		    kind_of(v, why, sizeof(why)) == K_DIRECT)
			return (long)i;
	}
	return -1;
}

/* The names in order. Without `full`, only those before Prisma's (no
 * file is read): the no-op deploy of every build usually stops there.
 * The full list starts with the same names, so indexes stay valid. */
static void list_names(const struct dbh_urlfind_opts *o, struct dbh_urlfind *f,
		       int full, const struct dbh_reporter *rep)
{
	struct dbh_prisma_vars pv = {0};
	int seen_null = 0;

	f->nnames = 0;
	f->looked[0] = '\0';
	f->full = full;
	if (o->exact)
		add_name(f, o->exact);
	if (!full && o->exact)
		return;
	if (o->first)
		add_name(f, o->first);
	for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		if (usual[i]) {
			add_name(f, usual[i]);
			continue;
		}
		if (!full)
			return;
		if (!seen_null)
			/* With --url-env, the others are only looked at for
			 * a hint: no notes about them. */
			dbh_prisma_vars_find(o->dir ? o->dir : ".", &pv,
					     o->exact ? NULL : rep);
		for (size_t k = 0; k < pv.n; k++)
			if (pv.v[k].direct == !seen_null)
				add_name(f, pv.v[k].name);
		seen_null = 1;
	}
}

static void read_dotenv(const struct dbh_urlfind_opts *o, struct dbh_urlfind *f,
			const struct dbh_reporter *rep)
{
	const struct dbh_config *cfg = dbh_config();
	char *path = dbh_path_join(o->dir, ".env");
	struct stat st;

	if (o->no_dotenv) {
		;
	} else if (cfg->vercel || cfg->environment) {
		if (stat(path, &st) == 0)
			dbh_report(rep, DBH_NOTE,
				   "%s is not read in a Vercel build (the "
				   "project's Environment Variables are the "
				   "ones that count)",
				   path);
	} else {
		dbh_dotenv_read(path, &f->dotenv, rep);
	}
	free(path);
}

int dbh_urlfind(const struct dbh_urlfind_opts *o, struct dbh_urlfind *f,
		struct dbh_error *err)
{
	struct dbh_reporter rep = {collect, f, NULL};
	const char *where = NULL, *v = NULL;
	char why[160];
	enum kind k;
	size_t i;
	long alt;

	f->opts = *o;
	read_dotenv(o, f, &rep);
	list_names(o, f, 0, &rep);
	for (i = 0; i < (o->exact ? 1 : f->nnames) && !v; i++)
		v = lookup(f, f->names[i], &where);
	if (!v && !o->exact) {
		list_names(o, f, 1, &rep);
		for (i = 0; i < f->nnames && !v; i++)
			v = lookup(f, f->names[i], &where);
	}
	if (!v) {
		const char *in = f->dotenv.read ? " or .env" : "";

		if (o->exact) {
			dbh_error_set(err, DBH_EUSAGE,
				      "environment variable %s is not set%s",
				      o->exact, in[0] ? " (nor in .env)" : "");
			dbh_error_hint(err,
				       "Export the database URL in %s, e.g. "
				       "postgresql://USER:PASSWORD@HOST:5432/"
				       "DB",
				       o->exact);
			return DBH_EUSAGE;
		}
		dbh_error_set(err, DBH_EUSAGE, "no database URL");
		dbh_error_detail(err,
				 "None of these is set in the environment%s: "
				 "%s.",
				 in, f->looked);
		dbh_error_hint(err,
			       "Set %s to a direct or session-mode "
			       "connection, e.g. postgresql://USER:PASSWORD@"
			       "HOST:5432/DB, or name another variable with "
			       "--url-env.",
			       o->first ? o->first : "DATABASE_URL_DIRECT");
		return DBH_EUSAGE;
	}
	f->name = f->names[i - 1];
	f->value = v;
	f->where = where;
	k = kind_of(v, why, sizeof(why));
	/* Only a later name replaces the first one set, and never the
	 * variable of --url-env. */
	if (o->exact || (k != K_POOLER && k != K_ACCELERATE))
		return 0;
	if (!f->full)
		list_names(o, f, 1, &rep);
	alt = next_direct(f, i, f->name, &where);
	if (alt >= 0) {
		if (k == K_POOLER)
			dbh_report(&rep, DBH_NOTE,
				   "%s looks like a transaction pooler (%s); "
				   "using %s from %s instead",
				   f->name, why, f->names[alt], where);
		else
			dbh_report(&rep, DBH_NOTE,
				   "%s is a Prisma Accelerate URL, not a "
				   "database connection; using %s from %s "
				   "instead",
				   f->name, f->names[alt], where);
		f->name = f->names[alt];
		f->value = lookup(f, f->name, &f->where);
	}
	return 0;
}

void dbh_urlfind_report(const struct dbh_urlfind *f,
			const struct dbh_reporter *rep)
{
	for (size_t i = 0; i < f->nnotes; i++)
		dbh_report(rep, f->note[i].level, "%s", f->note[i].text);
}

int dbh_urlfind_parse(const struct dbh_urlfind *f, struct dbh_conninfo *ci,
		      struct dbh_error *err)
{
	const char *scheme = accelerate(f->value);

	if (scheme) {
		dbh_error_set(err, DBH_EUSAGE,
			      "%s is a Prisma Accelerate URL (%s), not a "
			      "database connection",
			      f->name, scheme);
		dbh_error_detail(err,
				 "Accelerate (and Prisma Postgres through it) "
				 "answers Prisma Client's queries over its own "
				 "protocol; migrations need the database's own "
				 "PostgreSQL connection string.");
		dbh_error_hint(err,
			       "Set the direct URL (the one Prisma's "
			       "directUrl names, or the connection string "
			       "the database's dashboard gives, "
			       "postgresql://USER:PASSWORD@HOST:5432/DB) in "
			       "DATABASE_URL_DIRECT, or name its variable with "
			       "--url-env.");
		return DBH_EUSAGE;
	}
	if (dbh_url_parse(f->value, ci, err) != 0) {
		dbh_error_prefix(err, f->name);
		return DBH_EUSAGE;
	}
	return 0;
}

void dbh_urlfind_pooler_hint(struct dbh_urlfind *f, struct dbh_error *err)
{
	char old[sizeof(err->hint)];
	const char *where;
	long alt;

	if (!f->name || err->code != DBH_EUSAGE ||
	    strncmp(err->message, DBH_POOLER_REFUSAL,
		    strlen(DBH_POOLER_REFUSAL)) != 0)
		return;
	/* Only now, on the way out: a direct URL under another name. */
	if (!f->full)
		list_names(&f->opts, f, 1, NULL);
	alt = next_direct(f, 0, f->name, &where);
	if (alt < 0)
		return;
	snprintf(old, sizeof(old), "%s", err->hint);
	dbh_error_hint(err,
		       "%s (in %s) holds a direct connection: use it with "
		       "--url-env %s. %s",
		       f->names[alt], where, f->names[alt], old);
}

void dbh_urlfind_release(struct dbh_urlfind *f)
{
	dbh_dotenv_release(&f->dotenv);
	memset(f, 0, sizeof(*f));
}
