/* options.c - see options.h. */
#include "dbhook/options.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/args.h"
#include "dbhook/prompt.h"
#include "dbhook/vault.h"

/* What an option's value is, and so how it is checked and stored. */
enum kind {
	K_FLAG,	    /* no value; int set to 1 */
	K_TEXT,	    /* any text; const char * */
	K_FILE,	    /* a non-empty path; const char * */
	K_SECONDS,  /* 0 to 86400, fractions allowed; double */
	K_WHOLE_S,  /* seconds for libpq: whole, 2 at least; int */
	K_ENV_NAME, /* the name of an environment variable; const char * */
	K_FD,	    /* an open file descriptor; int */
	K_SCRYPT_N, /* a power of two in the vault's range; unsigned long long
		     */
	K_PROFILE,  /* a profile name the vault accepts; const char * */
	K_DAYS,	    /* a whole number of days, 0 to DAYS_MAX; int */
	K_SAFETY,   /* warn, block or off; int (enum dbh_safety_mode) */
};

struct option_def {
	const char *name; /* without the leading "--" */
	char letter;	  /* short form, or 0 */
	const char *arg;  /* the value's name in help; NULL for a flag */
	enum kind kind;
	size_t field; /* offsetof(struct dbh_opts, ...); unused for help */
	const char *help;
};

#define AT(f) offsetof(struct dbh_opts, f)
#define DAYS_MAX 36500 /* --max-age: a hundred years */

/* Indexed by enum dbh_opt. */
static const struct option_def defs[DBH_O_END] = {
    [DBH_O_DIR] = {"dir", 0, "DIR", K_TEXT, AT(dir),
		   "migrations folder (default: prisma/migrations if present, "
		   "else migrations)"},
    [DBH_O_URL_ENV] =
	{"url-env", 0, "NAME", K_ENV_NAME, AT(url_env),
	 "environment variable holding the database URL, "
	 "exactly (default: the first set of "
	 "DATABASE_URL_DIRECT, MIGRATE_DATABASE_URL, Prisma's "
	 "directUrl variable, POSTGRES_URL_NON_POOLING, "
	 "DATABASE_URL_UNPOOLED, DIRECT_URL, DIRECT_DATABASE_URL, "
	 "DATABASE_URL; also from .env)"},
    [DBH_O_LOCK_TIMEOUT] = {"lock-timeout", 0, "SECS", K_SECONDS,
			    AT(lock_timeout),
			    "wait for another deploy's lock (default 60)"},
    [DBH_O_STMT_LOCK_TIMEOUT] = {"lock-timeout-statement", 0, "SECS", K_SECONDS,
				 AT(stmt_lock_timeout),
				 "lock_timeout for each migration statement "
				 "(default 5); a migration that hits it is "
				 "retried"},
    [DBH_O_TIMEOUT] = {"timeout", 0, "SECS", K_SECONDS, AT(timeout),
		       "time budget for connecting (with retries), lock waits "
		       "and migrations (default 180; 0 = no limit)"},
    [DBH_O_CONNECT_TIMEOUT] = {"connect-timeout", 0, "SECS", K_WHOLE_S,
			       AT(connect_timeout),
			       "give up one connection attempt after this "
			       "long (default: the URL's connect_timeout, "
			       "else 10)"},
    [DBH_O_UNREACHABLE_TIMEOUT] = {"unreachable-timeout", 0, "SECS", K_SECONDS,
				   AT(unreachable_timeout),
				   "give up on a database host that refuses "
				   "connections, does not resolve or cannot "
				   "be reached after this long (default 20; "
				   "0 = the whole --timeout), unless the "
				   "Supabase API says the project is waking "
				   "up"},
    [DBH_O_PROBE_POOLER] = {"probe-pooler", 0, NULL, K_FLAG, AT(probe_pooler),
			    "a URL that looks like a transaction pooler (port "
			    "6543, pgbouncer=true) is not refused outright: "
			    "the live check decides (session mode passes)"},
    [DBH_O_ALLOW_UNRELATED] = {"allow-unrelated", 0, NULL, K_FLAG,
			       AT(allow_unrelated),
			       "apply even when the folder and the database's "
			       "history look unrelated (wrong folder or "
			       "database?)"},
    [DBH_O_BASELINE] = {"baseline", 0, "NAME", K_TEXT, AT(baseline),
			"record every migration up to NAME as applied without "
			"running it (an existing database)"},
    [DBH_O_REQUIRE_APPLIED_ON] = {"require-applied-on", 0, "NAME", K_ENV_NAME,
				  AT(require_applied_on),
				  "the promotion gate: apply only migrations "
				  "that the database in environment variable "
				  "NAME (staging) has applied from the same "
				  "files"},
    [DBH_O_JSON] = {"json", 0, NULL, K_FLAG, AT(json),
		    "print JSON on stdout (an error too)"},
    [DBH_O_APPLIED] = {"applied", 0, "NAME", K_TEXT, AT(applied),
		       "mark the failed migration NAME as applied (you "
		       "finished it by hand)"},
    [DBH_O_ROLLED_BACK] = {"rolled-back", 0, "NAME", K_TEXT, AT(rolled_back),
			   "mark the failed migration NAME as rolled back (you "
			   "undid it; the next deploy runs it again)"},
    [DBH_O_ENVIRONMENTS] = {"environments", 0, "LIST", K_TEXT, AT(environments),
			    "comma-separated environments that migrate "
			    "(default: production)"},
    [DBH_O_STRICT] = {"strict", 0, NULL, K_FLAG, AT(strict),
		      "a failed migration step fails the build (also "
		      "MIGRATE_STRICT=1)"},
    [DBH_O_DRY_RUN] = {"dry-run", 0, NULL, K_FLAG, AT(dry_run),
		       "show the decision, the pending migrations and the "
		       "build command; change nothing, build nothing"},
    [DBH_O_REPORT] = {"report", 0, "FILE", K_FILE, AT(report),
		      "write a JSON summary of the run"},
    [DBH_O_PROFILE] = {"profile", 0, "P", K_PROFILE, AT(profile),
		       "the profile to use (default: production)"},
    [DBH_O_CONFIG] = {"config", 0, "FILE", K_FILE, AT(config),
		      "the config file (default: ~/.<app>-migrate-config, "
		      "<app> = the name of the project's package.json, else "
		      "its folder)"},
    [DBH_O_OFFLINE] = {"offline", 0, NULL, K_FLAG, AT(offline),
		       "check without a database: every migration of the "
		       "folder, table sizes and locks unknown"},
    [DBH_O_WARNINGS_OK] = {"warnings-ok", 0, NULL, K_FLAG, AT(warnings_ok),
			   "exit 0 when there are warnings but no errors"},
    [DBH_O_SAFETY] = {"safety", 0, "MODE", K_SAFETY, AT(safety),
		      "the safety check before applying: warn (report, "
		      "apply anyway; the default), block (apply nothing when "
		      "it finds an error) or off (also MIGRATE_SAFETY)"},
    [DBH_O_CHECK] = {"check", 0, NULL, K_FLAG, AT(check),
		     "connect with the URL before storing it"},
    [DBH_O_DELETE] = {"delete", 0, "P", K_PROFILE, AT(delete_profile),
		      "remove profile P from the file"},
    [DBH_O_ROTATE] = {"rotate", 0, NULL, K_FLAG, AT(rotate),
		      "replace the URL and/or the password of a stored "
		      "profile, after its current password"},
    [DBH_O_SCRYPT_N] = {"scrypt-n", 0, "N", K_SCRYPT_N, AT(scrypt_n),
			"scrypt cost, a power of two from 32768 to 1048576 "
			"(default 131072)"},
    [DBH_O_URL_FD] = {"url-fd", 0, "N", K_FD, AT(url_fd),
		      "read the URL from file descriptor N (automation)"},
    [DBH_O_PASSWORD_FD] = {"password-fd", 0, "N", K_FD, AT(password_fd),
			   "read the password from file descriptor N"},
    [DBH_O_YES] = {"yes", 0, NULL, K_FLAG, AT(yes),
		   "apply without asking (on a terminal, run shows what is "
		   "pending and asks first)"},
    [DBH_O_MAX_AGE] = {"max-age", 0, "DAYS", K_DAYS, AT(max_age),
		       "warn about a profile stored DAYS days ago or more "
		       "(default 90; 0 = always)"},
    [DBH_O_QUIET] = {"quiet", 'q', NULL, K_FLAG, AT(quiet),
		     "print errors, warnings and the outcome only"},
    [DBH_O_HELP] = {"help", 'h', NULL, K_FLAG, 0, "show this help and exit"},
    [DBH_O_VERSION] = {"version", 'V', NULL, K_FLAG, 0,
		       "show the version and exit"},
};

int dbh_options_given(const struct dbh_opts *o, enum dbh_opt id)
{
	return (o->given >> id) & 1;
}

const char *dbh_options_name(enum dbh_opt id, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "--%s", defs[id].name);
	return buf;
}

/* ---- which command takes what ---- */

static int in_list(const enum dbh_opt *list, enum dbh_opt id)
{
	for (; *list != DBH_O_END; list++)
		if (*list == id)
			return 1;
	return 0;
}

int dbh_options_takes(const struct dbh_command *c, enum dbh_opt id)
{
	for (const struct dbh_cmd_option *co = c->options; co->id != DBH_O_END;
	     co++)
		if (co->id == id)
			return 1;
	return 0;
}

/* Whether option `id` may be given here: a global, an option of `c`, or
 * (no command yet) an option of any command. */
static int accepted(const struct dbh_program *p, const struct dbh_command *c,
		    enum dbh_opt id)
{
	if (in_list(p->globals, id))
		return 1;
	if (c)
		return dbh_options_takes(c, id);
	for (c = p->commands; c->run; c++)
		if (dbh_options_takes(c, id))
			return 1;
	return 0;
}

/* "dbhook status", "dbhook" or "vercel-build": where --help is. */
static const char *where(const struct dbh_program *p,
			 const struct dbh_command *c, char *buf, size_t n)
{
	if (c && c->name)
		snprintf(buf, n, "%s %s", p->name, c->name);
	else
		snprintf(buf, n, "%s", p->name);
	return buf;
}

/* ---- errors ---- */

static enum dbh_parsed usage(struct dbh_error *err, const struct dbh_program *p,
			     const struct dbh_command *c, const char *fmt,
			     const char *arg)
{
	char w[80];

	dbh_args_error(err, where(p, c, w, sizeof(w)), fmt, arg);
	return DBH_PARSED_ERROR;
}

/* An unknown --word or -x: the nearest option the command takes as a
 * hint. */
static enum dbh_parsed unknown_option(const struct dbh_program *p,
				      const struct dbh_command *c,
				      const char *arg, struct dbh_error *err)
{
	const char *names[DBH_O_END + 1], *near = NULL;
	char word[64];
	size_t n = 0;

	usage(err, p, c, "unknown option \"%s\"", arg);
	if (strncmp(arg, "--", 2) != 0)
		return DBH_PARSED_ERROR;
	for (int id = 0; id < DBH_O_END; id++)
		if (accepted(p, c, (enum dbh_opt)id))
			names[n++] = defs[id].name;
	names[n] = NULL;
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + 2, "="),
		 arg + 2);
	near = dbh_args_nearest(word, names);
	if (near) {
		char w[80];

		dbh_error_hint(err,
			       "Did you mean --%s? Try '%s --help' for every "
			       "option.",
			       near, where(p, c, w, sizeof(w)));
	}
	return DBH_PARSED_ERROR;
}

/* An option of another command: say whose it is. */
static enum dbh_parsed misplaced(const struct dbh_program *p,
				 const struct dbh_command *c, enum dbh_opt id,
				 struct dbh_error *err)
{
	char owners[160] = "", w[80];
	size_t used = 0;

	for (const struct dbh_command *o = p->commands; o->run; o++)
		if (o->name && dbh_options_takes(o, id) &&
		    used + 40 < sizeof(owners))
			used += (size_t)snprintf(
			    owners + used, sizeof(owners) - used, "%s`%s %s`",
			    used ? ", " : "", p->name, o->name);
	if (!used) { /* an option of the other program */
		char opt[40];

		snprintf(opt, sizeof(opt), "--%s", defs[id].name);
		return unknown_option(p, c, opt, err);
	}
	dbh_error_set(err, DBH_EUSAGE, "option --%s does not apply to `%s`",
		      defs[id].name, where(p, c, w, sizeof(w)));
	dbh_error_hint(err,
		       "--%s belongs to %s. Try '%s --help' for the "
		       "options of this command.",
		       defs[id].name, owners, w);
	return DBH_PARSED_ERROR;
}

/* ---- values ---- */

static enum dbh_parsed store(const struct dbh_program *p,
			     const struct dbh_command *c, enum dbh_opt id,
			     const char *val, struct dbh_opts *o,
			     struct dbh_error *err)
{
	const struct option_def *d = &defs[id];
	void *at = (char *)o + d->field;
	char opt[40], w[80];
	double secs = 0;

	snprintf(opt, sizeof(opt), "--%s", d->name);
	where(p, c, w, sizeof(w));
	switch (d->kind) {
	case K_FLAG:
		*(int *)at = 1;
		return DBH_PARSED_RUN;
	case K_FILE:
		if (!*val)
			return usage(err, p, c, "%s needs a file name", opt);
		/* fall through */
	case K_TEXT:
		*(const char **)at = val;
		return DBH_PARSED_RUN;
	case K_SECONDS:
		if (dbh_args_seconds(val, opt, (double *)at, w, err))
			return DBH_PARSED_ERROR;
		return DBH_PARSED_RUN;
	case K_WHOLE_S:
		if (dbh_args_seconds(val, opt, &secs, w, err))
			return DBH_PARSED_ERROR;
		/* libpq counts whole seconds and takes 2 at least. */
		*(int *)at = secs < 2 ? 2 : (int)secs;
		return DBH_PARSED_RUN;
	case K_ENV_NAME:
		if (dbh_args_env_option(val, opt, w, err))
			return DBH_PARSED_ERROR;
		*(const char **)at = val;
		return DBH_PARSED_RUN;
	case K_FD: {
		int fd = dbh_parse_fd(val, opt, err);

		if (fd < 0)
			return DBH_PARSED_ERROR;
		*(int *)at = fd;
		return DBH_PARSED_RUN;
	}
	case K_SCRYPT_N: {
		char *end = NULL;
		unsigned long long n = strtoull(val, &end, 10);

		if (!*val || *end || n < DBH_VAULT_MIN_N ||
		    n > DBH_VAULT_MAX_N || (n & (n - 1)))
			return usage(err, p, c,
				     "--scrypt-n takes a power of two from "
				     "32768 to 1048576, not \"%s\"",
				     val);
		*(unsigned long long *)at = n;
		return DBH_PARSED_RUN;
	}
	case K_PROFILE:
		if (!dbh_vault_valid_name(val))
			return usage(err, p, c,
				     "invalid profile name \"%s\" (use 1 to 64 "
				     "of A-Z a-z 0-9 . _ -, not starting with "
				     ". or -)",
				     val);
		*(const char **)at = val;
		return DBH_PARSED_RUN;
	case K_DAYS: {
		char *end = NULL;
		unsigned long n = strtoul(val, &end, 10);

		/* Digits only: strtoul would take "-1" and " 7". */
		if (!*val || strspn(val, "0123456789") != strlen(val) || *end ||
		    n > DAYS_MAX)
			return usage(err, p, c,
				     "%s takes a whole number of days from 0 "
				     "to 36500",
				     opt);
		*(int *)at = (int)n;
		return DBH_PARSED_RUN;
	}
	case K_SAFETY:
		*(int *)at = dbh_options_safety(val);
		if (!*(int *)at)
			return usage(err, p, c,
				     "--safety takes warn, block or off%s", "");
		return DBH_PARSED_RUN;
	}
	return DBH_PARSED_RUN;
}

/* The option a long word names: exactly, else as the only option of
 * those accepted here that starts with it (as getopt_long allows).
 * DBH_O_END when none or several do. */
static enum dbh_opt find_long(const struct dbh_program *p,
			      const struct dbh_command *c, const char *name,
			      size_t len)
{
	enum dbh_opt found = DBH_O_END;
	int n = 0;

	for (int id = 0; id < DBH_O_END; id++)
		if (strlen(defs[id].name) == len &&
		    strncmp(defs[id].name, name, len) == 0)
			return (enum dbh_opt)id;
	for (int id = 0; id < DBH_O_END; id++)
		if (accepted(p, c, (enum dbh_opt)id) &&
		    strncmp(defs[id].name, name, len) == 0) {
			found = (enum dbh_opt)id;
			n++;
		}
	return n == 1 ? found : DBH_O_END;
}

static enum dbh_opt find_short(char letter)
{
	for (int id = 0; id < DBH_O_END; id++)
		if (defs[id].letter && defs[id].letter == letter)
			return (enum dbh_opt)id;
	return DBH_O_END;
}

static const struct dbh_command *find_command(const struct dbh_program *p,
					      const char *word)
{
	for (const struct dbh_command *c = p->commands; c->run; c++)
		if (c->name && strcmp(c->name, word) == 0)
			return c;
	return NULL;
}

static enum dbh_parsed unknown_command(const struct dbh_program *p,
				       const char *word, struct dbh_error *err)
{
	const char *names[32], *near;
	size_t n = 0;

	for (const struct dbh_command *c = p->commands; c->run && n < 31; c++)
		names[n++] = c->name;
	names[n] = NULL;
	near = dbh_args_nearest(word, names);
	usage(err, p, NULL, "unknown command \"%s\"", word);
	if (near)
		dbh_error_hint(err,
			       "Did you mean `%s %s`? Try '%s --help' for "
			       "every command.",
			       p->name, near, p->name);
	return DBH_PARSED_ERROR;
}

static void defaults(struct dbh_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->environments = "production";
	o->lock_timeout = 60;
	o->stmt_lock_timeout = 5;
	o->timeout = 180;
	o->unreachable_timeout = 20;
	o->url_fd = -1;
	o->password_fd = -1;
	o->max_age = 90;
}

/* The state of one parse. */
struct parse {
	const struct dbh_program *p;
	const struct dbh_command *c; /* NULL until the command word */
	struct dbh_opts *o;
	struct dbh_error *err;
	int help;
};

/* One option word at argv[*i] (advanced past its value). */
static enum dbh_parsed option_word(struct parse *st, int argc, char **argv,
				   int *i)
{
	const char *arg = argv[(*i)++], *eq = NULL, *val = NULL;
	enum dbh_opt id;

	if (arg[1] != '-') { /* -q, -hV: letters of flags */
		for (const char *l = arg + 1; *l; l++) {
			id = find_short(*l);
			if (id == DBH_O_END || !accepted(st->p, st->c, id)) {
				char one[3] = {'-', *l, '\0'};

				return unknown_option(st->p, st->c, one,
						      st->err);
			}
			if (id == DBH_O_VERSION)
				return DBH_PARSED_VERSION;
			if (id == DBH_O_HELP)
				st->help = 1;
			else
				store(st->p, st->c, id, NULL, st->o, st->err);
			st->o->given |= 1ULL << id;
		}
		return DBH_PARSED_RUN;
	}
	eq = strchr(arg, '=');
	id = find_long(st->p, st->c, arg + 2,
		       eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
	if (id == DBH_O_END)
		return unknown_option(st->p, st->c, arg, st->err);
	if (st->c && !accepted(st->p, st->c, id))
		return misplaced(st->p, st->c, id, st->err);
	if (defs[id].arg) {
		val = eq ? eq + 1 : (*i < argc ? argv[(*i)++] : NULL);
		if (!val) {
			char opt[40];

			snprintf(opt, sizeof(opt), "--%s", defs[id].name);
			return usage(st->err, st->p, st->c,
				     "option \"%s\" needs a value", opt);
		}
	} else if (eq) {
		char opt[40];

		snprintf(opt, sizeof(opt), "--%s", defs[id].name);
		return usage(st->err, st->p, st->c,
			     "option \"%s\" takes no value", opt);
	}
	st->o->given |= 1ULL << id;
	if (id == DBH_O_VERSION)
		return DBH_PARSED_VERSION;
	if (id == DBH_O_HELP) {
		st->help = 1;
		return DBH_PARSED_RUN;
	}
	return store(st->p, st->c, id, val, st->o, st->err);
}

/* A word that is not an option, at argv[*i]: the command, new's NAME, or
 * the start of vercel-build's command. Returns 1 when the rest of argv is
 * taken. */
static enum dbh_parsed plain_word(struct parse *st, int argc, char **argv,
				  int *i, int *rest)
{
	const char *word = argv[*i];
	char w[80];

	if (!st->c && strcmp(word, "help") == 0 && !st->help) {
		st->help = 1; /* `dbhook help [COMMAND]` as git and npm have */
		(*i)++;
		return DBH_PARSED_RUN;
	}
	if (!st->c) {
		st->c = find_command(st->p, word);
		(*i)++;
		return st->c ? DBH_PARSED_RUN
			     : unknown_command(st->p, word, st->err);
	}
	if (st->c->words == DBH_WORDS_COMMAND) {
		st->o->words = argv + *i;
		st->o->nwords = argc - *i;
		*rest = 1;
		return DBH_PARSED_RUN;
	}
	if (st->c->words == DBH_WORDS_NAME && st->o->nwords == 0) {
		st->o->words = argv + (*i)++;
		st->o->nwords = 1;
		return DBH_PARSED_RUN;
	}
	(*i)++; /* after --help the loop goes on: never read a word twice */
	usage(st->err, st->p, st->c, "unexpected argument \"%s\"", word);
	dbh_error_hint(st->err,
		       "The database URL and passwords are never taken from "
		       "the command line. Try '%s --help' for more "
		       "information.",
		       where(st->p, st->c, w, sizeof(w)));
	return DBH_PARSED_ERROR;
}

/* What the command line asks once every word is read. */
static enum dbh_parsed finish(struct parse *st)
{
	if (!st->c)
		return usage(st->err, st->p, NULL, "no command given%s", "");
	/* Options given before the command word. */
	for (int id = 0; id < DBH_O_END; id++)
		if (dbh_options_given(st->o, (enum dbh_opt)id) &&
		    !accepted(st->p, st->c, (enum dbh_opt)id))
			return misplaced(st->p, st->c, (enum dbh_opt)id,
					 st->err);
	if (st->c->words == DBH_WORDS_NAME && st->o->nwords == 0) {
		char w[80];

		dbh_error_set(st->err, DBH_EUSAGE, "`%s` needs a NAME",
			      where(st->p, st->c, w, sizeof(w)));
		dbh_error_hint(st->err, "Try '%s --help' for more information.",
			       w);
		return DBH_PARSED_ERROR;
	}
	return DBH_PARSED_RUN;
}

enum dbh_parsed dbh_options_parse(const struct dbh_program *prog, int argc,
				  char **argv, const struct dbh_command **cmd,
				  struct dbh_opts *o, struct dbh_error *err)
{
	struct parse st = {prog, NULL, o, err, 0};
	enum dbh_parsed r = DBH_PARSED_RUN;
	int i = 1, words_only = 0, rest = 0;

	defaults(o);
	dbh_error_clear(err);
	if (!prog->commands[0].name) /* vercel-build: one unnamed command */
		st.c = &prog->commands[0];
	while (i < argc && !rest) {
		const char *arg = argv[i];

		if (!words_only && strcmp(arg, "--") == 0) {
			words_only = 1;
			i++;
			continue;
		}
		if (!words_only && arg[0] == '-' && arg[1])
			r = option_word(&st, argc, argv, &i);
		else
			r = plain_word(&st, argc, argv, &i, &rest);
		if (r == DBH_PARSED_VERSION)
			return r;
		/* After --help nothing else matters but the command it is
		 * about. */
		if (r == DBH_PARSED_ERROR && !st.help)
			return r;
	}
	*cmd = st.c;
	if (st.help) {
		dbh_error_clear(err);
		return DBH_PARSED_HELP;
	}
	return finish(&st);
}

void dbh_options_label(enum dbh_opt id, char *buf, size_t bufsz)
{
	const struct option_def *d = &defs[id];

	if (d->letter)
		snprintf(buf, bufsz, "-%c, --%s", d->letter, d->name);
	else
		snprintf(buf, bufsz, "--%s%s%s", d->name, d->arg ? " " : "",
			 d->arg ? d->arg : "");
}

int dbh_options_safety(const char *v)
{
	if (!v)
		return 0;
	if (strcmp(v, "warn") == 0)
		return DBH_SAFETY_WARN;
	if (strcmp(v, "block") == 0)
		return DBH_SAFETY_BLOCK;
	if (strcmp(v, "off") == 0)
		return DBH_SAFETY_OFF;
	return 0;
}

const char *dbh_options_text(enum dbh_opt id)
{
	return defs[id].help;
}
