/* commands.c - the command tables of `dbhook` and `vercel-build`, and
 * the one front door both programs go through: parse (options.c), then
 * print the help or the version, or run the command's handler. */
#include "dbhook/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"
#include "dbhook/cli.h"
#include "dbhook/config.h"
#include "dbhook/hook.h"
#include "dbhook/initcmd.h"
#include "dbhook/log.h"
#include "dbhook/options.h"
#include "dbhook/safety.h"
#include "dbhook/vaultcmd.h"

#define END                                                                    \
	{                                                                      \
		DBH_O_END, NULL                                                \
	}

/* The connection options of every command that reaches the database. */
#define CONNECT_OPTS                                                           \
	{DBH_O_DIR, NULL}, {DBH_O_URL_ENV, NULL}, {DBH_O_TIMEOUT, NULL},       \
	    {DBH_O_CONNECT_TIMEOUT, NULL},                                     \
	{                                                                      \
		DBH_O_UNREACHABLE_TIMEOUT, NULL                                \
	}

#define DRY_RUN_HELP                                                           \
	"show what would be applied (the files are read and checked); change " \
	"nothing"

static const struct dbh_cmd_option status_opts[] = {
    {DBH_O_DIR, NULL},
    {DBH_O_URL_ENV, NULL},
    {DBH_O_TIMEOUT, "time budget for connecting, with retries (default 180; "
		    "0 = no limit)"},
    {DBH_O_CONNECT_TIMEOUT, NULL},
    {DBH_O_UNREACHABLE_TIMEOUT, NULL},
    {DBH_O_JSON, NULL},
    END};

static const struct dbh_cmd_option deploy_opts[] = {
    CONNECT_OPTS,
    {DBH_O_LOCK_TIMEOUT, NULL},
    {DBH_O_STMT_LOCK_TIMEOUT, NULL},
    {DBH_O_PROBE_POOLER, NULL},
    {DBH_O_ALLOW_UNRELATED, NULL},
    {DBH_O_BASELINE, NULL},
    {DBH_O_REQUIRE_APPLIED_ON, NULL},
    {DBH_O_DRY_RUN, DRY_RUN_HELP},
    {DBH_O_SAFETY, NULL},
    END};

static const struct dbh_cmd_option resolve_opts[] = {
    {DBH_O_APPLIED, NULL},	{DBH_O_ROLLED_BACK, NULL},  CONNECT_OPTS,
    {DBH_O_LOCK_TIMEOUT, NULL}, {DBH_O_PROBE_POOLER, NULL}, END};

static const struct dbh_cmd_option new_opts[] = {{DBH_O_DIR, NULL}, END};

static const struct dbh_cmd_option check_opts[] = {
    {DBH_O_DIR, NULL},
    {DBH_O_URL_ENV, NULL},
    {DBH_O_OFFLINE, NULL},
    {DBH_O_JSON, NULL},
    {DBH_O_WARNINGS_OK, NULL},
    {DBH_O_TIMEOUT, "time budget for connecting, with retries (default 180; "
		    "0 = no limit)"},
    {DBH_O_CONNECT_TIMEOUT, NULL},
    {DBH_O_UNREACHABLE_TIMEOUT, NULL},
    END};

static const struct dbh_cmd_option setup_opts[] = {
    {DBH_O_PROFILE, "the profile to store (default: production)"},
    {DBH_O_CONFIG, NULL},
    {DBH_O_CHECK, NULL},
    {DBH_O_DELETE, NULL},
    {DBH_O_ROTATE, NULL},
    {DBH_O_SCRYPT_N, NULL},
    {DBH_O_URL_FD, "read the URL from file descriptor N (automation; "
		   "--rotate: an empty line keeps the stored URL)"},
    {DBH_O_PASSWORD_FD,
     "read the password from file descriptor N, once (automation; with "
     "the same N as --url-fd: the URL line first, then the password line; "
     "--rotate reads the current password, the new URL, then the new "
     "password, an empty line keeping the old one)"},
    END};

static const struct dbh_cmd_option run_opts[] = {
    {DBH_O_PROFILE, NULL},
    {DBH_O_CONFIG, NULL},
    {DBH_O_PASSWORD_FD, NULL},
    {DBH_O_DIR, NULL},
    {DBH_O_TIMEOUT, NULL},
    {DBH_O_CONNECT_TIMEOUT, NULL},
    {DBH_O_UNREACHABLE_TIMEOUT, NULL},
    {DBH_O_LOCK_TIMEOUT, NULL},
    {DBH_O_STMT_LOCK_TIMEOUT, NULL},
    {DBH_O_ALLOW_UNRELATED, NULL},
    {DBH_O_BASELINE, NULL},
    {DBH_O_DRY_RUN, DRY_RUN_HELP},
    {DBH_O_SAFETY, NULL},
    {DBH_O_YES, NULL},
    {DBH_O_MAX_AGE, NULL},
    END};

static const struct dbh_cmd_option profiles_opts[] = {
    {DBH_O_CONFIG, NULL},
    {DBH_O_MAX_AGE, "mark the profiles stored DAYS days ago or more "
		    "(default 90; 0 = all)"},
    END};

static const struct dbh_cmd_option init_opts[] = {
    {DBH_O_DRY_RUN, "show the change of package.json as a diff and the "
		    "files that would be created; write nothing"},
    END};

static const char check_footer[] =
    "Exit codes:\n"
    "  0  no errors or warnings (info only)\n"
    "  2  usage or configuration error\n"
    "  3  the database could not be reached or authenticated in time\n"
    "  6  warnings, no errors (0 with --warnings-ok)\n"
    "  7  errors\n";

static const char exit_codes[] =
    "The database URL is never taken from the command line.\n"
    "\n"
    "Exit codes:\n"
    "  0  success, or nothing to do\n"
    "  1  a migration failed, or a failed migration blocks deploys\n"
    "  2  usage or configuration error (bad option, bad URL, bad "
    "migrations folder)\n"
    "  3  the database could not be reached, authenticated or locked in "
    "time\n"
    "  4  status: migrations are pending\n"
    "  5  status: failed, modified or missing-locally migrations\n"
    "  6  check: warnings only (0 with --warnings-ok)\n"
    "  7  check: errors; deploy: --safety block refused to apply\n"
    "  9  out of memory\n";

static const struct dbh_command dbhook_commands[] = {
    {"status", NULL, "what is applied, pending, failed, modified, missing",
     "dbhook status [OPTIONS]",
     "Compares the migrations folder with the database's "
     "_prisma_migrations history and shows each migration's state: "
     "applied, pending, failed, rolled back, modified since it was "
     "applied, or missing locally. Changes nothing.",
     status_opts, DBH_WORDS_NONE, NULL, dbh_cli_status, NULL},
    {"deploy", NULL, "apply pending migrations", "dbhook deploy [OPTIONS]",
     "Applies the pending migrations in order under Prisma's advisory "
     "lock, each in its own transaction unless it cannot run in one, and "
     "records them in _prisma_migrations as Prisma does. A migration that "
     "fails is recorded as failed and blocks later deploys until it is "
     "resolved (dbhook resolve).",
     deploy_opts, DBH_WORDS_NONE, NULL, dbh_cli_deploy, NULL},
    {"resolve", "--applied NAME | --rolled-back NAME",
     "mark a failed migration as applied or rolled back",
     "dbhook resolve --applied NAME | --rolled-back NAME [OPTIONS]",
     "Marks a failed migration as applied (you finished it by hand) or as "
     "rolled back (you undid what it did; the next deploy runs it again), "
     "as `prisma migrate resolve` does.",
     resolve_opts, DBH_WORDS_NONE, NULL, dbh_cli_resolve, NULL},
    {"check", NULL, "the safety check of pending migrations, changing nothing",
     "dbhook check [OPTIONS]",
     "Parses each pending migration with PostgreSQL's grammar and checks "
     "it against the live database: what would lock a big table, rewrite "
     "it, break the deployment still serving traffic, or certainly fail. "
     "Each finding has a rule id, a severity (error, warning, info), the "
     "file and line, the cause and the fix. `dbhook deploy` and "
     "vercel-build run the same check before applying (--safety). "
     "Silence a finding with a comment before the statement: `-- "
     "dbhook:ignore DH201 <reason>`, or before the first statement for the "
     "whole file: `-- dbhook:ignore-file DH202 <reason>`. On GitHub "
     "Actions each finding is also an annotation on its file and line. "
     "Changes nothing, takes no lock.",
     check_opts, DBH_WORDS_NONE, check_footer, dbh_cli_check,
     dbh_safety_rules_help},
    {"new", "NAME", "create <UTC yyyymmddHHMMSS>_<name>/migration.sql",
     "dbhook new NAME [--dir DIR]",
     "Creates a migration folder named after the current UTC time and "
     "NAME, with an empty migration.sql to write the SQL in. No database "
     "is needed.",
     new_opts, DBH_WORDS_NAME, NULL, dbh_cli_new, NULL},
    {"setup", "[--profile P]",
     "store a direct URL encrypted under a password (asked on the "
     "terminal)",
     "dbhook setup [--profile P] [--config FILE] [--check]\n"
     "       dbhook setup --rotate [--profile P] [--config FILE]\n"
     "       dbhook setup --delete P [--config FILE]",
     "Asks on the terminal (input hidden) for a direct database URL and a "
     "password (twice), and stores the URL encrypted under the password "
     "(AES-256-GCM, scrypt) as one profile of the config file, with the "
     "time it was stored. Other profiles in the file are kept. --rotate "
     "replaces a stored profile's URL (after a new database password) "
     "and/or its password: it asks for the current password first, then "
     "the new URL and the new password, an empty answer keeping the old "
     "one.",
     setup_opts, DBH_WORDS_NONE,
     "The URL and the password are never taken from the command line or "
     "the\n"
     "environment. Exit status: 0 stored, 2 usage or config file error "
     "(also\n"
     "--rotate: a wrong current password, an unknown profile), 3 --check "
     "could\n"
     "not connect.\n",
     dbh_vaultcmd_setup, NULL},
    {"run", "[--profile P]", "ask the password, decrypt the URL, deploy",
     "dbhook run [--profile P] [--config FILE] [--password-fd N] [deploy "
     "options]",
     "Asks for the profile's password on the terminal (input hidden), "
     "decrypts its URL in memory and deploys the pending migrations, like "
     "`dbhook deploy`, then wipes the password, the key and the URL. A "
     "profile stored DAYS days ago or more (--max-age, default 90) gets a "
     "warning: rotate it with `dbhook setup --rotate`.",
     run_opts, DBH_WORDS_NONE,
     "The file must be yours and private (chmod 600). Exit status: as\n"
     "`dbhook deploy`; 2 also for a wrong password, a changed or damaged\n"
     "file, an unknown profile.\n",
     dbh_vaultcmd_run, NULL},
    {"profiles", NULL, "list the stored profiles and their age",
     "dbhook profiles [--config FILE] [--max-age DAYS]",
     "Lists the profiles stored in the config file, one per line: the "
     "name, then when it was stored (\"stored 12 days ago\", \"stored "
     "today\"; \"age unknown\" for a profile stored by an older "
     "dbhook), marked when it is due for rotation. No secrets: no password "
     "is asked, so the age is not authenticated here (run checks it).",
     profiles_opts, DBH_WORDS_NONE, NULL, dbh_vaultcmd_profiles, NULL},
    {"init", "[--dry-run]", "set up this app: scripts, workflow, variables",
     "dbhook init [--dry-run]\n"
     "       dbhook init workflow",
     "In the app's folder (where package.json is): finds the package "
     "manager (lockfile), the migrations folder, Prisma's directUrl, the "
     "build scripts and vercel.json; adds the package.json scripts "
     "\"vercel-build\": \"vercel-build\" (which hands off to \"build\"), "
     "\"migrate:setup\" and \"migrate:run\" that are missing, as added "
     "lines only; writes .github/workflows/migrate.yml; prints the install "
     "command and the variables to set on Vercel and GitHub. An existing "
     "script, vercel.json or a different workflow is never changed: it "
     "says what to change instead. A second run changes nothing. `dbhook "
     "init workflow` prints the workflow this dbhook writes.",
     init_opts, DBH_WORDS_COMMAND,
     "Nothing is installed and no network is used. Exit status: 0 done, "
     "nothing\n"
     "to change, or a file left for you to change (a warning says what); 2 "
     "no\n"
     "package.json here, invalid JSON (file:line:col), a write that "
     "failed.\n",
     dbh_init_run, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, DBH_WORDS_NONE, NULL, NULL, NULL},
};

static const enum dbh_opt dbhook_globals[] = {DBH_O_QUIET, DBH_O_HELP,
					      DBH_O_VERSION, DBH_O_END};

static const struct dbh_program dbhook_program = {
    "dbhook",
    "dbhook COMMAND [OPTIONS]",
    "Prisma-compatible PostgreSQL migrations (prisma/migrations layout, "
    "_prisma_migrations history, the same advisory lock).",
    dbhook_commands,
    dbhook_globals,
    exit_codes,
};

static const struct dbh_cmd_option hook_opts[] = {
    {DBH_O_ENVIRONMENTS, NULL},
    {DBH_O_STRICT, NULL},
    {DBH_O_DRY_RUN, NULL},
    {DBH_O_SAFETY, NULL},
    {DBH_O_URL_ENV, "the environment variable holding the database URL, "
		    "exactly (default: MIGRATE_DATABASE_URL, then the names "
		    "listed below)"},
    {DBH_O_DIR, NULL},
    {DBH_O_TIMEOUT, "time budget of the migration step: connecting, lock "
		    "wait and migrations (default 180)"},
    {DBH_O_CONNECT_TIMEOUT, NULL},
    {DBH_O_UNREACHABLE_TIMEOUT, NULL},
    {DBH_O_ALLOW_UNRELATED, "migrate even when the folder and the "
			    "database's history look unrelated (wrong "
			    "folder or database?)"},
    {DBH_O_LOCK_TIMEOUT, NULL},
    {DBH_O_STMT_LOCK_TIMEOUT, NULL},
    {DBH_O_PROBE_POOLER, "let the live check decide on a URL that looks "
			 "like a transaction pooler"},
    {DBH_O_REQUIRE_APPLIED_ON, NULL},
    {DBH_O_REPORT, NULL},
    END};

static const char hook_footer[] =
    "Environment:\n"
    "  MIGRATE_DATABASE_URL   the database (set it for Production only);\n"
    "                         unset: DATABASE_URL_DIRECT, Prisma's directUrl,\n"
    "                         POSTGRES_URL_NON_POOLING, "
    "DATABASE_URL_UNPOOLED,\n"
    "                         DIRECT_URL, DIRECT_DATABASE_URL, DATABASE_URL\n"
    "  MIGRATE_STRICT=1       as --strict\n"
    "  MIGRATE_NOTIFY_URL     a webhook told of a failure; "
    "MIGRATE_NOTIFY_ON=always:\n"
    "                         of success too\n"
    "  SUPABASE_ACCESS_TOKEN  ask the Supabase Management API why a "
    "Supabase host\n"
    "                         fails; MIGRATE_SUPABASE_RESTORE=1: restore a "
    "paused\n"
    "                         project (SUPABASE_API_URL, DBHOOK_API_TIMEOUT "
    "adjust it)\n"
    "  VERCEL_TARGET_ENV, VERCEL_ENV   the environment (the first wins)\n"
    "  VERCEL_GIT_COMMIT_SHA, VERCEL_URL, VERCEL_PROJECT_PRODUCTION_URL\n"
    "                         shown in the webhook and the report\n"
    "  DBHOOK_KEEP_ENV=1      pass MIGRATE_DATABASE_URL, "
    "MIGRATE_NOTIFY_URL and\n"
    "                         SUPABASE_ACCESS_TOKEN on to the build\n"
    "  DBHOOK_LIBCURL         the libcurl to load for HTTP\n"
    "  DBHOOK_HTTP_DEBUG=1    trace HTTP headers (tokens redacted)\n"
    "  DBHOOK_HEARTBEAT       seconds between progress lines of a long wait\n"
    "                         (default 10)\n"
    "  DBHOOK_LONG_TRANSACTION  seconds after which an open transaction is a\n"
    "                         safety finding (default 60)\n"
    "  NO_COLOR               no colour on a terminal\n"
    "  CI, TERM=dumb          one line per migration, no live line\n"
    "  PGSSLMODE, PGGSSENCMODE  libpq's own defaults instead of dbhook's\n"
    "                         (sslmode=require for remote hosts, no GSSAPI)\n"
    "  PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK  deploy without the advisory "
    "lock\n"
    "\n"
    "The database URL is never taken from the command line.\n"
    "\n"
    "Exit codes (the migration step alone exits 0 unless --strict; after "
    "the\n"
    "hand-off the build's own exit code is returned):\n"
    "  0  success, or nothing to do\n"
    "  1  a migration failed, or a failed migration blocks deploys "
    "(--strict)\n"
    "  2  usage or configuration error (bad option; with --strict: bad URL "
    "or\n"
    "     migrations folder)\n"
    "  3  the database could not be reached, authenticated or locked in "
    "time\n"
    "     (--strict)\n"
    "  7  the safety check found errors and --safety block refused (--strict)\n"
    "  9  out of memory (even without --strict)\n"
    "  126, 127  the build command could not be run\n";

static const struct dbh_command hook_commands[] = {
    {NULL, NULL, NULL, "vercel-build [OPTIONS] [-- BUILD COMMAND...]",
     "The Vercel build hook. In an environment named by --environments "
     "(default: production, from VERCEL_TARGET_ENV or VERCEL_ENV) it "
     "applies pending migrations with MIGRATE_DATABASE_URL. When that "
     "fails it says why and how to fix it, and the build still goes on "
     "(use --strict to fail it instead). Then it hands off to the build: "
     "the command after --, else package.json's \"build\" script through "
     "the package manager of its lockfile, else the framework's default "
     "build command from vercel.json, else it exits 0.",
     hook_opts, DBH_WORDS_COMMAND, hook_footer, dbh_hook_run, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL, DBH_WORDS_NONE, NULL, NULL, NULL},
};

static const enum dbh_opt hook_globals[] = {DBH_O_HELP, DBH_O_VERSION,
					    DBH_O_END};

static const struct dbh_program hook_program = {
    "vercel-build", "vercel-build [OPTIONS] [-- BUILD COMMAND...]",
    NULL,	    hook_commands,
    hook_globals,   NULL,
};

/* ---- hints that work when pasted ---- */

/* The options of this invocation a pasted command needs too. */
static const enum dbh_opt context_opts[] = {DBH_O_DIR, DBH_O_URL_ENV,
					    DBH_O_PROFILE, DBH_O_CONFIG};
static const struct dbh_opts *invocation;

static const char *const *value_of(const struct dbh_opts *o, enum dbh_opt id)
{
	switch (id) {
	case DBH_O_DIR:
		return &o->dir;
	case DBH_O_URL_ENV:
		return &o->url_env;
	case DBH_O_PROFILE:
		return &o->profile;
	default:
		return &o->config;
	}
}

/* Appends `s` to `out` (used: its length so far), cut to fit. */
static void put(char *out, size_t outsz, size_t *used, const char *s)
{
	int n = snprintf(out + *used, outsz - *used, "%s", s);

	*used += (size_t)n < outsz - *used ? (size_t)n : outsz - *used - 1;
}

/* Appends " --name VALUE" to `out`, VALUE quoted for a POSIX shell
 * when it holds anything but plain path characters. */
static void add_option(char *out, size_t outsz, const char *name,
		       const char *value)
{
	size_t used = strlen(out);
	int plain =
	    *value && strspn(value, "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_./:@%+,=-") == strlen(value);

	put(out, outsz, &used, " ");
	put(out, outsz, &used, name);
	put(out, outsz, &used, plain ? " " : " '");
	for (const char *v = value; *v; v++) {
		char one[2] = {*v, '\0'};

		put(out, outsz, &used, *v == '\'' && !plain ? "'\\''" : one);
	}
	if (!plain)
		put(out, outsz, &used, "'");
}

static void complete(const char *command, const char *span, size_t spanlen,
		     char *suffix, size_t suffixsz)
{
	const struct dbh_command *target = NULL;
	char name[40], in[512];

	for (const struct dbh_command *c = dbhook_commands; c->run; c++)
		if (strcmp(c->name, command) == 0)
			target = c;
	if (!target || !invocation)
		return;
	snprintf(in, sizeof(in), "%.*s", (int)spanlen, span);
	for (size_t i = 0; i < sizeof(context_opts) / sizeof(*context_opts);
	     i++) {
		enum dbh_opt id = context_opts[i];
		const char *v = *value_of(invocation, id);

		dbh_options_name(id, name, sizeof(name));
		if (v && dbh_options_given(invocation, id) &&
		    dbh_options_takes(target, id) && !strstr(in, name))
			add_option(suffix, suffixsz, name, v);
	}
}

int dbh_main(const char *program, int argc, char **argv)
{
	const struct dbh_program *p = strcmp(program, "vercel-build") == 0
					  ? &hook_program
					  : &dbhook_program;
	const struct dbh_command *cmd = NULL;
	struct dbh_opts o;
	struct dbh_error err;
	char *help;

	dbh_log_init(p->name);
	dbh_oom_set_program(p->name);
	dbh_alloc_hook_libraries();
	switch (dbh_options_parse(p, argc, argv, &cmd, &o, &err)) {
	case DBH_PARSED_HELP:
		help = dbh_options_help(p, cmd);
		fputs(help, stdout);
		free(help);
		return DBH_OK;
	case DBH_PARSED_VERSION:
		printf("%s %s (%s)\n", p->name, DBH_VERSION, DBH_COMMIT);
		return DBH_OK;
	case DBH_PARSED_ERROR:
		dbh_log_error(&err);
		return DBH_EUSAGE;
	case DBH_PARSED_RUN:
		break;
	}
	invocation = &o;
	dbh_error_set_completer(complete);
	for (size_t i = 0; i < dbh_config()->nbad; i++) {
		const struct dbh_config_bad *b = &dbh_config()->bad[i];
		struct dbh_reporter rep = dbh_log_reporter(0);

		dbh_report(&rep, DBH_WARN,
			   "%s is not a number of seconds from %g to %g; "
			   "the default, %g s, applies",
			   b->name, b->min, b->max, b->def);
	}
	if (dbh_config()->safety && !dbh_options_safety(dbh_config()->safety) &&
	    dbh_options_takes(cmd, DBH_O_SAFETY)) {
		struct dbh_reporter rep = dbh_log_reporter(0);

		dbh_report(&rep, DBH_WARN,
			   "MIGRATE_SAFETY is not warn, block or off; warn "
			   "applies");
	}
	return cmd->run(&o);
}
