/* cli.c - `dbhook`: parse options into a struct, call one core entry
 * point, print what it reports, map the result to an exit code. */
#include "dbhook/cli.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbh_config.h"
#include "dbhook/args.h"
#include "dbhook/deploy.h"
#include "dbhook/lock.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/newmig.h"
#include "dbhook/pooler.h"
#include "dbhook/report.h"
#include "dbhook/resolve.h"
#include "dbhook/status.h"
#include "dbhook/url.h"
#include "dbhook/vaultcmd.h"
#include "dbhook/conn.h"

static const char usage_text[] =
    "Usage: dbhook COMMAND [OPTIONS]\n"
    "\n"
    "Prisma-compatible PostgreSQL migrations (prisma/migrations layout,\n"
    "_prisma_migrations history, the same advisory lock).\n"
    "\n"
    "Commands:\n"
    "  status                 what is applied, pending, failed, modified, "
    "missing\n"
    "  deploy                 apply pending migrations\n"
    "  resolve --applied NAME | --rolled-back NAME\n"
    "                         mark a failed migration as applied or rolled "
    "back\n"
    "  new NAME               create <UTC yyyymmddHHMMSS>_<name>/"
    "migration.sql\n"
    "  setup [--profile P]    store a direct URL encrypted under a password\n"
    "                         (asked on the terminal; see dbhook setup "
    "--help)\n"
    "  run [--profile P]      ask the password, decrypt the URL, deploy\n"
    "  profiles               list the stored profiles (names only)\n"
    "\n"
    "Options:\n"
    "  --dir DIR              migrations folder (default: prisma/migrations "
    "if\n"
    "                         present, else migrations)\n"
    "  --url-env NAME         environment variable holding the database "
    "URL\n"
    "                         (default: DATABASE_URL_DIRECT, then\n"
    "                         MIGRATE_DATABASE_URL, then DATABASE_URL)\n"
    "  --lock-timeout SECS    wait for another deploy's lock (default 60)\n"
    "  --lock-timeout-statement SECS\n"
    "                         lock_timeout for each migration statement "
    "(default 5);\n"
    "                         a migration that hits it is retried\n"
    "  --timeout SECS         time budget for connecting (with retries), "
    "lock waits\n"
    "                         and lock retries (default 180; 0 = no "
    "limit)\n"
    "  --connect-timeout SECS give up one connection attempt after this "
    "long\n"
    "                         (default: the URL's connect_timeout, else "
    "10)\n"
    "  --probe-pooler         a URL that looks like a transaction pooler "
    "(port 6543,\n"
    "                         pgbouncer=true) is not refused outright: the "
    "live check\n"
    "                         decides (session mode passes)\n"
    "  --allow-unrelated      deploy: apply even when the folder and the "
    "database's\n"
    "                         history look unrelated (wrong folder or "
    "database?)\n"
    "  --baseline NAME        deploy: record every migration up to NAME as\n"
    "                         applied without running it (an existing "
    "database)\n"
    "  --json                 status: print JSON\n"
    "  -q, --quiet            print errors, warnings and the outcome only\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
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
    "  5  status: failed, modified or missing-locally migrations\n";

enum cmd { CMD_NONE, CMD_STATUS, CMD_DEPLOY, CMD_RESOLVE, CMD_NEW };

struct cli_opts {
	enum cmd cmd;
	const char *dir;
	const char *url_env;
	const char *baseline;
	const char *applied;
	const char *rolled_back;
	const char *new_name;
	double lock_timeout;
	double stmt_lock_timeout;
	double timeout;
	int connect_timeout;
	int probe_pooler;
	int allow_unrelated;
	int json;
	int quiet;
};

enum {
	OPT_DIR = 256,
	OPT_URL_ENV,
	OPT_LOCK_TIMEOUT,
	OPT_STMT_LOCK_TIMEOUT,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_PROBE_POOLER,
	OPT_BASELINE,
	OPT_JSON,
	OPT_APPLIED,
	OPT_ROLLED_BACK,
	OPT_ALLOW_UNRELATED
};

static const struct option long_opts[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"url-env", required_argument, NULL, OPT_URL_ENV},
    {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
    {"lock-timeout-statement", required_argument, NULL, OPT_STMT_LOCK_TIMEOUT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"probe-pooler", no_argument, NULL, OPT_PROBE_POOLER},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"json", no_argument, NULL, OPT_JSON},
    {"applied", required_argument, NULL, OPT_APPLIED},
    {"rolled-back", required_argument, NULL, OPT_ROLLED_BACK},
    {"allow-unrelated", no_argument, NULL, OPT_ALLOW_UNRELATED},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Parse results that end the run before any work. */
enum parsed { PARSED_RUN, PARSED_HELP, PARSED_VERSION, PARSED_ERROR };

static int usage_error(struct dbh_error *err, const char *fmt, const char *arg)
{
	dbh_args_error(err, "dbhook", fmt, arg);
	return PARSED_ERROR;
}

static int parse_seconds(const char *arg, const char *opt, double *out,
			 struct dbh_error *err)
{
	return dbh_args_seconds(arg, opt, out, "dbhook", err) ? PARSED_ERROR
							      : PARSED_RUN;
}

static enum cmd command_of(const char *word)
{
	static const struct {
		const char *name;
		enum cmd cmd;
	} cmds[] = {{"status", CMD_STATUS},
		    {"deploy", CMD_DEPLOY},
		    {"resolve", CMD_RESOLVE},
		    {"new", CMD_NEW}};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(word, cmds[i].name) == 0)
			return cmds[i].cmd;
	return CMD_NONE;
}

/* Every command of `dbhook`, for suggestions. */
static const char *const command_names[] = {
    "status", "deploy", "resolve", "new", "setup", "run", "profiles", NULL};

static int unknown_command(struct dbh_error *err, const char *word)
{
	const char *near = dbh_args_nearest(word, command_names);

	usage_error(err, "unknown command \"%s\"", word);
	if (near)
		dbh_error_hint(err,
			       "Did you mean `dbhook %s`? Try 'dbhook --help' "
			       "for every command.",
			       near);
	return PARSED_ERROR;
}

/* An unknown --word: the nearest option as a hint. */
static int unknown_option(struct dbh_error *err, const char *arg)
{
	const char *name = arg && strncmp(arg, "--", 2) == 0 ? arg + 2 : NULL;
	const char *near = NULL;

	usage_error(err, "unknown option or missing value: \"%s\"",
		    arg ? arg : "");
	if (name) {
		const char *names[sizeof(long_opts) / sizeof(long_opts[0])];
		char word[64];
		size_t n = 0;

		for (size_t i = 0; long_opts[i].name; i++)
			names[n++] = long_opts[i].name;
		names[n] = NULL;
		snprintf(word, sizeof(word), "%.*s", (int)strcspn(name, "="),
			 name);
		near = dbh_args_nearest(word, names);
	}
	if (near)
		dbh_error_hint(err,
			       "Did you mean --%s? Try 'dbhook --help' for "
			       "every option.",
			       near);
	return PARSED_ERROR;
}

static int parse(int argc, char **argv, struct cli_opts *o,
		 struct dbh_error *err)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	o->lock_timeout = 60;
	o->stmt_lock_timeout = 5;
	o->timeout = 180;
	opterr = 0; /* our own messages, which never echo a secret */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qhV", long_opts, NULL)) != -1 ||
	       optind < argc) {
		if (c == -1) {
			/* A word: the command, or the name for `new`. */
			const char *word = argv[optind++];

			if (o->cmd == CMD_NONE) {
				o->cmd = command_of(word);
				if (o->cmd == CMD_NONE)
					return unknown_command(err, word);
			} else if (o->cmd == CMD_NEW && !o->new_name) {
				o->new_name = word;
			} else {
				return usage_error(
				    err, "unexpected argument \"%s\"", word);
			}
			continue;
		}
		switch (c) {
		case OPT_DIR:
			o->dir = optarg;
			break;
		case OPT_URL_ENV:
			if (dbh_args_env_option(optarg, "--url-env", "dbhook",
						err))
				return PARSED_ERROR;
			o->url_env = optarg;
			break;
		case OPT_LOCK_TIMEOUT:
			r = parse_seconds(optarg, "--lock-timeout",
					  &o->lock_timeout, err);
			if (r)
				return r;
			break;
		case OPT_STMT_LOCK_TIMEOUT:
			r = parse_seconds(optarg, "--lock-timeout-statement",
					  &o->stmt_lock_timeout, err);
			if (r)
				return r;
			break;
		case OPT_TIMEOUT:
			r = parse_seconds(optarg, "--timeout", &o->timeout,
					  err);
			if (r)
				return r;
			break;
		case OPT_CONNECT_TIMEOUT: {
			double v = 0;

			r = parse_seconds(optarg, "--connect-timeout", &v, err);
			if (r)
				return r;
			/* libpq counts whole seconds and takes 2 at least. */
			o->connect_timeout = v < 2 ? 2 : (int)v;
			break;
		}
		case OPT_PROBE_POOLER:
			o->probe_pooler = 1;
			break;
		case OPT_ALLOW_UNRELATED:
			o->allow_unrelated = 1;
			break;
		case OPT_BASELINE:
			o->baseline = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_APPLIED:
			o->applied = optarg;
			break;
		case OPT_ROLLED_BACK:
			o->rolled_back = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			return PARSED_HELP;
		case 'V':
			return PARSED_VERSION;
		default:
			if (optopt && optopt < 256 && optopt != '?') {
				char opt[3] = {'-', (char)optopt, '\0'};

				return usage_error(err, "unknown option \"%s\"",
						   opt);
			}
			/* getopt_long leaves the bad word at optind - 1. */
			if (c != ':' && optopt < 256)
				return unknown_option(err, argv[optind - 1]);
			return usage_error(
			    err,
			    c == ':' || (optopt >= 256)
				? "option \"%s\" needs a value"
				: "unknown option or missing value: "
				  "\"%s\"",
			    argv[optind - 1]);
		}
	}
	if (o->cmd == CMD_NONE)
		return usage_error(err, "no command given%s", "");
	if (o->cmd == CMD_NEW && !o->new_name)
		return usage_error(err, "`new` needs a NAME%s", "");
	if (o->cmd == CMD_RESOLVE && !!o->applied == !!o->rolled_back)
		return usage_error(err,
				   "`resolve` needs exactly one of --applied "
				   "NAME or --rolled-back NAME%s",
				   "");
	if (o->cmd != CMD_RESOLVE && (o->applied || o->rolled_back))
		return usage_error(err,
				   "--applied and --rolled-back belong to "
				   "`resolve`%s",
				   "");
	if (o->cmd != CMD_DEPLOY && o->baseline)
		return usage_error(err, "--baseline belongs to `deploy`%s", "");
	if (o->cmd != CMD_STATUS && o->json)
		return usage_error(err, "--json belongs to `status`%s", "");
	return PARSED_RUN;
}

/* The URL from the environment: --url-env NAME, else the first of the
 * usual names that is set. Never from argv. */
static const char *find_url(const struct cli_opts *o, const char **from,
			    struct dbh_error *err)
{
	static const char *names[] = {"DATABASE_URL_DIRECT",
				      "MIGRATE_DATABASE_URL", "DATABASE_URL"};
	const char *v;

	if (o->url_env) {
		v = getenv(o->url_env);
		*from = o->url_env;
		if (v && *v)
			return v;
		dbh_error_set(err, DBH_EUSAGE,
			      "environment variable %s is not set", o->url_env);
		dbh_error_hint(err,
			       "Export the database URL in %s, e.g. "
			       "postgresql://USER:PASSWORD@HOST:5432/DB",
			       o->url_env);
		return NULL;
	}
	for (size_t i = 0; i < 3; i++) {
		v = getenv(names[i]);
		if (v && *v) {
			*from = names[i];
			return v;
		}
	}
	dbh_error_set(err, DBH_EUSAGE, "no database URL");
	dbh_error_hint(err, "Set DATABASE_URL_DIRECT (or MIGRATE_DATABASE_URL "
			    "or DATABASE_URL) to a direct or session-mode "
			    "connection, e.g. postgresql://USER:PASSWORD@"
			    "HOST:5432/DB, or name another variable with "
			    "--url-env.");
	return NULL;
}

static int load_conninfo(const struct cli_opts *o, struct dbh_conninfo *ci,
			 const struct dbh_reporter *rep, struct dbh_error *err)
{
	const char *from = NULL, *url = find_url(o, &from, err);

	if (!url)
		return DBH_EUSAGE;
	if (dbh_url_parse(url, ci, err)) {
		dbh_error_prefix(err, from);
		return DBH_EUSAGE;
	}
	for (size_t i = 0; i < ci->nnotes; i++)
		dbh_report(rep, ci->warn[i] ? DBH_WARN : DBH_NOTE, "%s: %s",
			   from, ci->notes[i]);
	return 0;
}

static int run_status(const struct cli_opts *o, const struct dbh_conninfo *ci,
		      const struct dbh_connect_opts *co,
		      const struct dbh_reporter *rep, struct dbh_error *err)
{
	struct dbh_status st;
	int ret = dbh_status_collect(o->dir, ci, co, rep, &st, err);

	if (ret)
		return ret;
	if (o->json) {
		char *json = dbh_status_json(&st);

		if (json)
			printf("%s\n", json);
		free(json);
	} else {
		dbh_status_render(&st, rep);
	}
	ret = dbh_status_exit_code(&st);
	dbh_status_release(&st);
	return ret;
}

static int run(const struct cli_opts *o, const struct dbh_reporter *rep,
	       struct dbh_error *err)
{
	struct dbh_conninfo ci = {0};
	struct dbh_connect_opts co = {0};
	char app[96];
	int ret;

	if (o->cmd == CMD_NEW) {
		char *path = NULL;

		ret = dbh_new_migration(o->dir, o->new_name, &path, err);
		if (!ret) {
			dbh_report(rep, DBH_RESULT, "Created %s", path);
			dbh_report(rep, DBH_INFO,
				   "Next: write the SQL in it, then apply it "
				   "with `dbhook deploy --dir %s` (an empty "
				   "file is refused).",
				   o->dir);
		}
		free(path);
		return ret;
	}
	ret = load_conninfo(o, &ci, rep, err);
	if (ret)
		return ret;
	co.app_name = dbh_app_name(app, sizeof(app));
	co.deadline = o->timeout > 0 ? dbh_now() + o->timeout : 0;
	co.connect_timeout = o->connect_timeout;
	co.rep = rep;
	if (!o->json)
		dbh_report(rep, DBH_INFO, "Datasource: %s", ci.redacted);
	if (o->cmd == CMD_STATUS) {
		char why[160];

		if (dbh_pooler_url(&ci, why, sizeof(why)))
			dbh_report(rep, DBH_NOTE,
				   "this URL looks like a transaction pooler "
				   "(%s): fine for reading the status, but "
				   "deploy will refuse it",
				   why);
	}
	switch (o->cmd) {
	case CMD_STATUS:
		ret = run_status(o, &ci, &co, rep, err);
		break;
	case CMD_DEPLOY: {
		struct dbh_deploy_opts d;
		struct dbh_deploy_result res;

		dbh_deploy_opts_init(&d);
		d.dir = o->dir;
		d.ci = &ci;
		d.conn = co;
		d.lock_timeout_s = o->lock_timeout;
		d.stmt_lock_timeout_ms = (int)(o->stmt_lock_timeout * 1000);
		d.baseline = o->baseline;
		d.probe_pooler = o->probe_pooler;
		d.allow_unrelated = o->allow_unrelated;
		d.deadline = co.deadline;
		ret = dbh_deploy(&d, rep, &res, err);
		dbh_deploy_result_release(&res);
		break;
	}
	case CMD_RESOLVE:
		ret = dbh_resolve(
		    o->dir, &ci, &co, o->probe_pooler, o->lock_timeout,
		    o->applied ? DBH_RESOLVE_APPLIED : DBH_RESOLVE_ROLLED_BACK,
		    o->applied ? o->applied : o->rolled_back, rep, err);
		break;
	default:
		ret = DBH_EUSAGE;
	}
	dbh_conninfo_release(&ci);
	return ret;
}

int dbh_cli_main(int argc, char **argv)
{
	struct cli_opts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	int ret;

	dbh_log_init("dbhook");
	/* setup, run, profiles: the local secure migration (vaultcmd.c). */
	ret = dbh_vaultcmd_dispatch(argc, argv);
	if (ret >= 0)
		return ret;
	dbh_error_clear(&err);
	switch (parse(argc, argv, &o, &err)) {
	case PARSED_HELP:
		fputs(usage_text, stdout);
		return DBH_OK;
	case PARSED_VERSION:
		printf("dbhook %s (%s)\n", DBH_VERSION, DBH_COMMIT);
		return DBH_OK;
	case PARSED_ERROR:
		dbh_log_error(&err);
		return DBH_EUSAGE;
	default:
		break;
	}
	if (!o.dir)
		o.dir = dbh_migdir_default();
	rep = dbh_log_reporter(o.quiet || o.json);
	ret = run(&o, &rep, &err);
	if (ret && err.code) {
		dbh_log_error(&err);
		if (o.json) { /* stdout stays JSON for the script reading it */
			char *json = dbh_error_json(&err);

			if (json)
				printf("%s\n", json);
			free(json);
		}
	}
	return ret;
}
