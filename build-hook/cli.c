/* cli.c - the database commands of `dbhook` (status, deploy, resolve,
 * new): each takes the parsed options (options.c), calls one core entry
 * point, prints what it reports and returns the exit code. */
#include "dbhook/cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/args.h"
#include "dbhook/check.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/conn.h"
#include "dbhook/deploy.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/newmig.h"
#include "dbhook/options.h"
#include "dbhook/pooler.h"
#include "dbhook/report.h"
#include "dbhook/resolve.h"
#include "dbhook/status.h"
#include "dbhook/url.h"
#include "dbhook/urlfind.h"

/* The URL from the environment (urlfind.h): --url-env NAME, else the
 * names users already have, also from .env. Never from argv. */
static int load_conninfo(const struct dbh_opts *o, struct dbh_urlfind *f,
			 struct dbh_conninfo *ci,
			 const struct dbh_reporter *rep, struct dbh_error *err)
{
	struct dbh_urlfind_opts fo = {o->url_env, NULL, 0, NULL};
	int ret = dbh_urlfind(&fo, f, err);

	dbh_urlfind_report(f, rep);
	if (ret)
		return ret;
	dbh_report(rep, DBH_INFO, "Using %s from %s", f->name, f->where);
	if (dbh_urlfind_parse(f, ci, err))
		return DBH_EUSAGE;
	for (size_t i = 0; i < ci->nnotes; i++)
		dbh_report(rep, ci->warn[i] ? DBH_WARN : DBH_NOTE, "%s: %s",
			   f->name, ci->notes[i]);
	return 0;
}

static int run_status(const struct dbh_opts *o, const char *dir,
		      const struct dbh_conninfo *ci,
		      const struct dbh_connect_opts *co,
		      const struct dbh_reporter *rep, struct dbh_error *err)
{
	struct dbh_status st;
	int ret = dbh_status_collect(dir, ci, co, rep, &st, err);

	if (ret)
		return ret;
	if (o->json) {
		char *json = dbh_status_json(&st);

		printf("%s\n", json);
		free(json);
	} else {
		dbh_status_render(&st, rep);
	}
	ret = dbh_status_exit_code(&st);
	dbh_status_release(&st);
	return ret;
}

/* The URL, its notes, the Datasource line and the connection options
 * every database command shares. */
/* --timeout 0: no limit, in the units of a deadline. */
#define NO_LIMIT_S (100.0 * 365 * 24 * 3600)

double dbh_cli_deadline(const struct dbh_opts *o, double start)
{
	return start + (o->timeout > 0 ? o->timeout : NO_LIMIT_S);
}

void dbh_cli_connect_opts(const struct dbh_opts *o, double start,
			  const struct dbh_reporter *rep, char *app,
			  size_t appsz, struct dbh_connect_opts *co)
{
	memset(co, 0, sizeof(*co));
	co->app_name = dbh_app_name(app, appsz);
	co->deadline = dbh_cli_deadline(o, start);
	co->connect_timeout = o->connect_timeout;
	co->unreachable_s = o->unreachable_timeout;
	co->rep = rep;
}

void dbh_cli_deploy_opts(const struct dbh_opts *o,
			 const struct dbh_conninfo *ci, double start,
			 const struct dbh_reporter *rep, char *app,
			 size_t appsz, struct dbh_deploy_opts *d)
{
	dbh_deploy_opts_init(d);
	dbh_cli_connect_opts(o, start, rep, app, appsz, &d->conn);
	d->dir = o->dir ? o->dir : dbh_migdir_default();
	d->ci = ci;
	d->deadline = d->conn.deadline;
	d->lock_timeout_s = o->lock_timeout;
	d->stmt_lock_timeout_ms = (int)(o->stmt_lock_timeout * 1000);
	d->baseline = o->baseline;
	d->probe_pooler = o->probe_pooler;
	d->allow_unrelated = o->allow_unrelated;
	d->dry_run = o->dry_run;
	d->require_applied_on = o->require_applied_on;
	/* --safety, else MIGRATE_SAFETY (the front door warns when it is
	 * not a mode), else warn. */
	d->safety =
	    o->safety ? o->safety : dbh_options_safety(dbh_config()->safety);
}

static int prepare(const struct dbh_opts *o, struct dbh_urlfind *f,
		   struct dbh_conninfo *ci, struct dbh_connect_opts *co,
		   char *app, size_t appsz, const struct dbh_reporter *rep,
		   struct dbh_error *err)
{
	int ret = load_conninfo(o, f, ci, rep, err);

	if (ret)
		return ret;
	dbh_cli_connect_opts(o, dbh_now(), rep, app, appsz, co);
	if (!o->json)
		dbh_report(rep, DBH_INFO, "Datasource: %s", ci->redacted);
	return 0;
}

/* Prints a failed command's error (on stdout too as JSON for --json, so
 * a script reading stdout gets an answer) and returns its exit code. */
static int done(const struct dbh_opts *o, int ret, struct dbh_error *err)
{
	if (ret && err->code) {
		dbh_log_error(err);
		if (o->json) {
			char *json = dbh_error_json(err);

			if (json)
				printf("%s\n", json);
			free(json);
		}
	}
	return ret;
}

static const char *dir_of(const struct dbh_opts *o)
{
	return o->dir ? o->dir : dbh_migdir_default();
}

int dbh_cli_status(const struct dbh_opts *o)
{
	struct dbh_reporter rep = dbh_log_reporter(o->quiet || o->json);
	struct dbh_urlfind f = {0};
	struct dbh_conninfo ci = {0};
	struct dbh_connect_opts co = {0};
	struct dbh_error err;
	char app[96], why[160];
	int ret;

	dbh_error_clear(&err);
	if (o->json)
		dbh_log_stdout_is_data();
	ret = prepare(o, &f, &ci, &co, app, sizeof(app), &rep, &err);
	if (!ret && dbh_pooler_url(&ci, why, sizeof(why)))
		dbh_report(&rep, DBH_NOTE,
			   "this URL looks like a transaction pooler (%s): "
			   "fine for reading the status, but deploy will "
			   "refuse it",
			   why);
	if (!ret)
		ret = run_status(o, dir_of(o), &ci, &co, &rep, &err);
	dbh_conninfo_release(&ci);
	dbh_urlfind_release(&f);
	return done(o, ret, &err);
}

int dbh_cli_deploy(const struct dbh_opts *o)
{
	struct dbh_reporter rep = dbh_log_reporter(o->quiet);
	struct dbh_urlfind f = {0};
	struct dbh_conninfo ci = {0};
	struct dbh_deploy_opts d;
	struct dbh_deploy_result res;
	struct dbh_error err;
	char app[96];
	int ret;

	dbh_error_clear(&err);
	ret = prepare(o, &f, &ci, &d.conn, app, sizeof(app), &rep, &err);
	if (!ret) {
		dbh_cli_deploy_opts(o, &ci, dbh_now(), &rep, app, sizeof(app),
				    &d);
		ret = dbh_deploy(&d, &rep, &res, &err);
		dbh_deploy_result_release(&res);
		if (!ret && o->dry_run)
			dbh_report(&rep, DBH_RESULT,
				   "Dry run: nothing was changed.");
		dbh_urlfind_pooler_hint(&f, &err);
	}
	dbh_conninfo_release(&ci);
	dbh_urlfind_release(&f);
	return done(o, ret, &err);
}

int dbh_cli_resolve(const struct dbh_opts *o)
{
	struct dbh_reporter rep = dbh_log_reporter(o->quiet);
	struct dbh_urlfind f = {0};
	struct dbh_conninfo ci = {0};
	struct dbh_connect_opts co = {0};
	struct dbh_error err;
	char app[96];
	int ret;

	dbh_error_clear(&err);
	if (!!o->applied == !!o->rolled_back)
		return done(o,
			    dbh_args_error(&err, "dbhook resolve",
					   "`resolve` needs exactly one of "
					   "--applied NAME or --rolled-back "
					   "NAME%s",
					   ""),
			    &err);
	ret = prepare(o, &f, &ci, &co, app, sizeof(app), &rep, &err);
	if (!ret)
		ret = dbh_resolve(
		    dir_of(o), &ci, &co, o->probe_pooler, o->lock_timeout,
		    o->applied ? DBH_RESOLVE_APPLIED : DBH_RESOLVE_ROLLED_BACK,
		    o->applied ? o->applied : o->rolled_back, &rep, &err);
	dbh_urlfind_pooler_hint(&f, &err);
	dbh_conninfo_release(&ci);
	dbh_urlfind_release(&f);
	return done(o, ret, &err);
}

int dbh_cli_new(const struct dbh_opts *o)
{
	struct dbh_reporter rep = dbh_log_reporter(o->quiet);
	struct dbh_error err;
	char *path = NULL;
	int ret;

	dbh_error_clear(&err);
	ret = dbh_new_migration(dir_of(o), o->words[0], &path, &err);
	if (!ret) {
		dbh_report(&rep, DBH_RESULT, "Created %s", path);
		dbh_report(&rep, DBH_INFO,
			   "Next: write the SQL in it, then apply it with "
			   "`dbhook deploy` (an empty file is refused).");
	}
	free(path);
	return done(o, ret, &err);
}

int dbh_cli_check(const struct dbh_opts *o)
{
	struct dbh_reporter rep = dbh_log_reporter(o->quiet || o->json);
	struct dbh_urlfind f = {0};
	struct dbh_conninfo ci = {0};
	struct dbh_check_opts co = {dir_of(o), NULL, {0}};
	struct dbh_safety s;
	struct dbh_error err;
	/* cppcheck-suppress variableScope ; co.conn points to it */
	char app[96];
	int ret = 0;

	dbh_error_clear(&err);
	if (o->json)
		dbh_log_stdout_is_data();
	if (!o->offline) {
		ret =
		    prepare(o, &f, &ci, &co.conn, app, sizeof(app), &rep, &err);
		co.ci = &ci;
	}
	if (!ret)
		ret = dbh_check(&co, &rep, &s, &err);
	if (!ret) {
		if (o->json) {
			cJSON *j = dbh_safety_json(&s);
			char *text = cJSON_Print(j); /* dbh_xmalloc's */

			printf("%s\n", text ? text : "{}");
			dbh_safety_annotate(&s, &rep);
			free(text);
			cJSON_Delete(j);
		} else {
			dbh_safety_report(&s, &rep);
		}
		ret = dbh_check_exit_code(&s, o->warnings_ok);
		dbh_safety_release(&s);
	}
	dbh_conninfo_release(&ci);
	dbh_urlfind_release(&f);
	return done(o, ret, &err);
}
