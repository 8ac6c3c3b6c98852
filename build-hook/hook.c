/* hook.c - `vercel-build`: decide, migrate (with graceful fallback),
 * report, hand off to the build. */
#include "dbhook/hook.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"
#include "dbhook/cli.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/conn.h"
#include "dbhook/deploy.h"
#include "dbhook/error.h"
#include "dbhook/handoff.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/options.h"
#include "dbhook/notify.h"
#include "dbhook/report.h"
#include "dbhook/status.h"
#include "dbhook/url.h"
#include "dbhook/urlfind.h"

/* What the run did, for the log line, the report and the webhook. */
struct hook_run {
	const char *environment;
	char reason[512];
	const char *exact;	  /* --url-env NAME, or NULL: the search */
	struct dbh_urlfind found; /* where the URL comes from */
	const char *decision;
	const char *outcome;
	struct dbh_conninfo ci;
	struct dbh_deploy_result res;
	struct dbh_error err;
	char **pending;
	size_t npending;
	double migrate_seconds;
};

/* Is `env` one of the comma-separated `list`? */
static int in_list(const char *list, const char *env)
{
	size_t n = strlen(env);

	while (*list) {
		size_t len = strcspn(list, ",");

		if (len == n && strncasecmp(list, env, n) == 0)
			return 1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* Step 1: migrate or not, and why (one line). */
static int decide(const struct dbh_opts *o, struct hook_run *run)
{
	struct dbh_urlfind_opts fo = {0};
	struct dbh_error why;

	run->environment = dbh_config()->environment;
	if (dbh_handoff_inside()) {
		snprintf(run->reason, sizeof(run->reason),
			 "this build was started by vercel-build itself "
			 "(%s is set): not migrating twice",
			 DBH_HANDOFF_ENV);
		return 0;
	}
	if (!run->environment) {
		snprintf(run->reason, sizeof(run->reason),
			 "VERCEL_ENV is not set (a local build); migrations "
			 "run in %s builds only",
			 o->environments);
		return 0;
	}
	if (!in_list(o->environments, run->environment)) {
		snprintf(run->reason, sizeof(run->reason),
			 "environment \"%s\" is not in --environments (%s)",
			 run->environment, o->environments);
		return 0;
	}
	/* MIGRATE_DATABASE_URL first (the hook's documented name), then
	 * the names users already have; never .env on Vercel. */
	dbh_error_clear(&why);
	fo.exact = run->exact;
	fo.first = "MIGRATE_DATABASE_URL";
	fo.no_dotenv = 1;
	if (dbh_urlfind(&fo, &run->found, &why) != 0) {
		const char *rest = strchr(run->found.looked, ',');

		if (run->exact)
			snprintf(run->reason, sizeof(run->reason),
				 "%s is not set for the \"%s\" environment "
				 "(the variable looked at: %s, named by "
				 "--url-env)",
				 o->url_env, run->environment, o->url_env);
		else
			snprintf(run->reason, sizeof(run->reason),
				 "%s is not set for the \"%s\" environment, "
				 "nor any of%s (the variables looked at; "
				 "--url-env NAME picks another)",
				 o->url_env, run->environment,
				 rest ? rest + 1 : "");
		return -1;
	}
	snprintf(run->reason, sizeof(run->reason),
		 "environment \"%s\" is in --environments (%s)",
		 run->environment, o->environments);
	return 1;
}

static void fill_deploy_opts(const struct dbh_opts *o, struct hook_run *run,
			     const struct dbh_reporter *rep, double start,
			     char *app, size_t appsz, struct dbh_deploy_opts *d)
{
	dbh_cli_deploy_opts(o, &run->ci, start, rep, app, appsz, d);
	d->cancel_at_deadline = 1; /* the build must go on */
}

/* What the real run would refuse before applying anything. */
static void foresee(struct dbh_status *st, const struct dbh_reporter *rep)
{
	struct dbh_error why;

	dbh_error_clear(&why);
	if (dbh_migdir_check_files(&st->md, &why) ||
	    (!st->table_exists &&
	     dbh_history_refuse_untracked(&st->schema, &why))) {
		dbh_report(rep, DBH_WARN, "the real run would stop here: %s",
			   why.message);
		dbh_report(rep, DBH_NOTE, "%s", why.hint);
	}
}

/* --dry-run: the pending migrations, read-only (the status query). */
static int plan(const struct dbh_opts *o, struct hook_run *run,
		const struct dbh_reporter *rep, double start)
{
	struct dbh_deploy_opts d;
	struct dbh_status st;
	char app[96];
	int ret;

	fill_deploy_opts(o, run, rep, start, app, sizeof(app), &d);
	ret =
	    dbh_status_collect(o->dir, &run->ci, &d.conn, rep, &st, &run->err);
	if (ret)
		return ret;
	run->pending = dbh_xcalloc(st.plan.n + 1, sizeof(*run->pending));
	for (size_t i = 0; i < st.plan.n; i++)
		if (dbh_plan_applies(&st.plan.e[i]))
			run->pending[run->npending++] =
			    dbh_xstrdup(st.plan.e[i].name);
	if (run->npending == 0)
		dbh_report(rep, DBH_INFO,
			   "vercel-build: nothing to apply: all %zu "
			   "migration%s applied",
			   st.md.n, st.md.n == 1 ? " is" : "s are");
	else
		dbh_report(rep, DBH_INFO,
			   "vercel-build: %zu pending migration%s:",
			   run->npending, run->npending == 1 ? "" : "s");
	for (size_t i = 0; i < run->npending; i++)
		dbh_report(rep, DBH_INFO, "  %s", run->pending[i]);
	if (st.plan.blocking)
		dbh_report(rep, DBH_WARN,
			   "a failed migration blocks deploys: the real run "
			   "would stop there (see `dbhook status`)");
	foresee(&st, rep);
	dbh_status_release(&st);
	return 0;
}

static int migrate(const struct dbh_opts *o, struct hook_run *run,
		   const struct dbh_reporter *rep, double start)
{
	struct dbh_deploy_opts d;
	char app[96];
	int ret;

	dbh_report(rep, DBH_INFO, "vercel-build: using %s from %s",
		   run->found.name, run->found.where);
	if (dbh_urlfind_parse(&run->found, &run->ci, &run->err))
		return DBH_EUSAGE;
	for (size_t i = 0; i < run->ci.nnotes; i++)
		dbh_report(rep, run->ci.warn[i] ? DBH_WARN : DBH_NOTE, "%s: %s",
			   run->found.name, run->ci.notes[i]);
	dbh_report(rep, DBH_INFO, "vercel-build: database %s",
		   run->ci.redacted);
	if (o->dry_run)
		return plan(o, run, rep, start);
	fill_deploy_opts(o, run, rep, start, app, sizeof(app), &d);
	ret = dbh_deploy(&d, rep, &run->res, &run->err);
	dbh_urlfind_pooler_hint(&run->found, &run->err);
	return ret;
}

static const char *short_sha(char *buf, size_t n)
{
	const char *sha = dbh_config()->commit_sha;

	if (!sha)
		return NULL;
	snprintf(buf, n, "%.7s", sha);
	return buf;
}

/* The webhook: on failure, and on success with MIGRATE_NOTIFY_ON=always.
 * Never fails or holds the build beyond its 5 s timeout. */
static void notify(const struct hook_run *run, const struct dbh_reporter *rep)
{
	const char *url = dbh_config()->notify_url;
	int failed = run->err.code != 0;
	struct dbh_notify_event ev = {0};
	struct dbh_error nerr;
	char sha[16], summary[128], counts[160];
	cJSON *safety = NULL;

	if (!url || (!failed && !dbh_config()->notify_always))
		return;
	ev.outcome = failed ? "failure" : "success";
	ev.environment = run->environment ? run->environment : "local";
	ev.project = dbh_config()->project_url;
	ev.commit = short_sha(sha, sizeof(sha));
	ev.migration = run->res.failed;
	ev.sqlstate = run->err.sqlstate[0] ? run->err.sqlstate : NULL;
	snprintf(summary, sizeof(summary), "%zu migration%s applied",
		 run->res.napplied, run->res.napplied == 1 ? "" : "s");
	ev.message = failed ? run->err.message : summary;
	ev.hint = run->err.hint[0] ? run->err.hint : NULL;
	ev.applied = (int)run->res.napplied;
	if (run->res.checked) {
		safety = dbh_safety_json(&run->res.safety);
		dbh_safety_counts(&run->res.safety, counts, sizeof(counts));
		ev.safety = safety;
		ev.safety_counts = counts;
	}
	dbh_error_clear(&nerr);
	if (dbh_notify_send(url, &ev, DBH_NOTIFY_TIMEOUT, &nerr) != 0)
		dbh_report(rep, DBH_WARN,
			   "the %s webhook was not delivered: %s",
			   failed ? "failure" : "success", nerr.message);
	cJSON_Delete(safety);
}

static void write_report(const struct dbh_opts *o, struct hook_run *run,
			 const char *build, double start,
			 const struct dbh_reporter *rep)
{
	struct dbh_run_report r = {0};
	struct dbh_error rerr;

	if (!o->report)
		return;
	r.environment = run->environment;
	r.decision = run->decision;
	r.reason = run->reason;
	r.database = run->ci.redacted;
	r.dir = o->dir;
	r.outcome = run->outcome;
	r.result = &run->res;
	r.pending = (const char *const *)run->pending;
	r.npending = run->npending;
	r.error = run->err.code ? &run->err : NULL;
	r.build_command = build;
	r.strict = o->strict;
	r.migrate_seconds = run->migrate_seconds;
	r.total_seconds = dbh_now() - start;
	dbh_error_clear(&rerr);
	if (dbh_report_write(o->report, &r, &rerr))
		dbh_report(rep, DBH_WARN, "%s", rerr.message);
}

static void release_run(struct hook_run *run)
{
	for (size_t i = 0; i < run->npending; i++)
		free(run->pending[i]);
	free(run->pending);
	dbh_deploy_result_release(&run->res);
	dbh_conninfo_release(&run->ci);
	dbh_urlfind_release(&run->found);
}

static const char *outcome_of(const struct hook_run *run, int dry_run)
{
	if (run->err.code)
		return "failed";
	if (dry_run)
		return "planned";
	if (run->res.napplied)
		return "applied";
	return "up_to_date";
}

int dbh_hook_run(const struct dbh_opts *opts)
{
	struct dbh_opts o = *opts;
	struct hook_run run;
	struct dbh_reporter rep;
	struct dbh_handoff h = {0};
	double start = dbh_now();
	int d, ret = 0;

	memset(&run, 0, sizeof(run));
	/* A URL pasted as the build command is refused, not run. */
	if (o.nwords > 0 && strstr(o.words[0], "://")) {
		dbh_error_set(&run.err, DBH_EUSAGE,
			      "a URL is not a build command (it is not shown: "
			      "it may hold a password)");
		dbh_error_hint(&run.err,
			       "Set the database URL in %s in the project's "
			       "Environment Variables; after -- give the build "
			       "command, e.g. vercel-build -- next build.",
			       o.url_env ? o.url_env : "MIGRATE_DATABASE_URL");
		dbh_log_error(&run.err);
		return DBH_EUSAGE;
	}
	run.exact = o.url_env;
	if (!o.url_env)
		o.url_env = "MIGRATE_DATABASE_URL";
	o.strict = o.strict || dbh_config()->strict;
	if (!o.dir)
		o.dir = dbh_migdir_default();
	rep = dbh_log_reporter(0);

	d = decide(&o, &run);
	if (d != 0)
		dbh_urlfind_report(&run.found, &rep);
	run.decision = d == 1 ? (o.dry_run ? "dry-run" : "migrate") : "skip";
	run.outcome = "skipped";
	if (d == 0) {
		dbh_report(&rep, DBH_INFO,
			   "vercel-build: skipping migrations: %s", run.reason);
	} else if (d < 0 && o.strict) {
		dbh_error_set(&run.err, DBH_EUSAGE, "%s", run.reason);
		dbh_error_hint(&run.err,
			       "Add %s in the project's Environment Variables "
			       "(Production only), using a direct or "
			       "session-pooler URL.",
			       o.url_env);
		dbh_log_error(&run.err);
		run.outcome = "failed";
		ret = DBH_EUSAGE;
	} else if (d < 0) {
		dbh_report(&rep, DBH_WARN,
			   "skipping migrations: %s; add it in the project's "
			   "Environment Variables (Production only), using a "
			   "direct or session-pooler URL",
			   run.reason);
	} else {
		double t0 = dbh_now();

		dbh_report(&rep, DBH_INFO, "vercel-build: %s migrations: %s",
			   o.dry_run ? "planning" : "applying", run.reason);
		ret = migrate(&o, &run, &rep, start);
		if (!ret)
			dbh_error_clear(&run.err);
		run.migrate_seconds = dbh_now() - t0;
		run.outcome = outcome_of(&run, o.dry_run);
		if (ret) {
			dbh_log_error(&run.err);
			if (!o.strict)
				dbh_report(&rep, DBH_WARN,
					   "the migration step failed; the "
					   "build goes on without it (pass "
					   "--strict or MIGRATE_STRICT=1 to "
					   "fail the build instead)");
		}
		if (!o.dry_run)
			notify(&run, &rep);
	}

	/* A build started by vercel-build runs only an explicit command,
	 * never package.json's script again. */
	if (dbh_handoff_inside() && o.nwords == 0) {
		write_report(&o, &run, NULL, start, &rep);
		release_run(&run);
		return DBH_OK;
	}
	if (dbh_handoff_resolve(o.nwords, o.words, ".", &rep, &h, &run.err) !=
	    0) {
		dbh_log_error(&run.err);
		write_report(&o, &run, NULL, start, &rep);
		release_run(&run);
		return DBH_EUSAGE;
	}
	write_report(&o, &run, h.display, start, &rep);
	if (ret && o.strict) {
		dbh_report(&rep, DBH_INFO,
			   "vercel-build: --strict: not building after the "
			   "failed migration step");
		dbh_handoff_release(&h);
		release_run(&run);
		return ret;
	}
	if (o.dry_run) {
		dbh_report(&rep, DBH_INFO,
			   "vercel-build: would build with: %s (%s)",
			   h.argv ? h.display : "nothing", h.source);
		dbh_handoff_release(&h);
		release_run(&run);
		return DBH_OK;
	}
	release_run(&run);
	if (!h.argv) {
		/* The source says "no build command: <why>". */
		dbh_report(&rep, DBH_INFO, "vercel-build: %s",
			   h.source ? h.source : "no build command found");
		dbh_handoff_release(&h);
		return DBH_OK;
	}
	dbh_report(&rep, DBH_INFO, "vercel-build: building with: %s (%s)",
		   h.display, h.source);
	fflush(NULL);
	ret = dbh_handoff_exec(&h, &run.err);
	dbh_log_error(&run.err);
	dbh_handoff_release(&h);
	return ret;
}
