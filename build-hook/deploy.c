/* deploy.c - the deploy run: fast path, lock, history, apply in order. */
#include "dbhook/deploy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/apply.h"
#include "dbhook/conn.h"
#include "dbhook/gate.h"
#include "dbhook/history.h"
#include "dbhook/lock.h"
#include "dbhook/migdir.h"
#include "dbhook/options.h"
#include "dbhook/plan.h"
#include "dbhook/pooler.h"
#include "dbhook/prepare.h"

void dbh_deploy_opts_init(struct dbh_deploy_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lock_timeout_s = 60;
	o->stmt_lock_timeout_ms = 5000;
}

/* Refuses to go on while a failed migration is recorded (Prisma's P3009):
 * what it left behind is unknown until a person resolves it. */
static int check_failed(const struct dbh_plan *p, const struct dbh_history *h,
			struct dbh_error *err)
{
	size_t n, used = 0;
	const struct dbh_hrow **u, *first = p->blocking;

	if (!first) /* the plan found none: no second look at the rows */
		return 0;
	u = dbh_history_unfinished(h, &n); /* oldest first, as `first` */
	dbh_error_set(err, DBH_EFAILED,
		      "migration \"%s\" failed earlier and blocks new "
		      "migrations",
		      first->name);
	for (size_t i = 0; i < n && used < sizeof(err->detail) - 200; i++)
		used += (size_t)snprintf(
		    err->detail + used, sizeof(err->detail) - used,
		    "%sThe migration \"%s\" started at %s "
		    "failed and was not resolved.",
		    used ? "\n" : "", u[i]->name, u[i]->started_at);
	free(u);
	dbh_error_hint(
	    err,
	    "It ran outside a transaction, so part of it may be "
	    "applied. Check the database, then run `dbhook resolve "
	    "--rolled-back \"%s\"` if nothing of it remains (it will "
	    "be applied again), or `dbhook resolve --applied \"%s\"` "
	    "if you completed it by hand (Prisma error P3009).",
	    first->name, first->name);
	return DBH_EFAILED;
}

/* A warning per applied migration whose file changed since. */
static void warn_modified(const struct dbh_plan *p,
			  const struct dbh_reporter *rep)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].state == DBH_MODIFIED && p->e[i].m &&
		    p->e[i].m->sql) /* status reports a missing file */
			dbh_report(rep, DBH_WARN,
				   "migration \"%s\" was modified after it was "
				   "applied; the change will not be applied "
				   "(put it in a new migration)",
				   p->e[i].name);
}

/* A folder that shares nothing with a non-empty history, or lacks most
 * of what was applied, is the wrong folder or the wrong database: refuse
 * before anything is applied to it. */
static int check_related(const struct dbh_deploy_opts *o,
			 const struct dbh_migdir *md, const struct dbh_plan *p,
			 struct dbh_error *err)
{
	size_t missing = dbh_plan_missing(p);

	if (o->allow_unrelated || p->to_apply == 0 || p->applied == 0 ||
	    (p->shared > 0 && missing * 2 <= p->applied))
		return 0;
	if (p->shared == 0)
		dbh_error_set(err, DBH_EUSAGE,
			      "the migrations folder and the database share no "
			      "migration: wrong folder or wrong database?");
	else
		dbh_error_set(err, DBH_EUSAGE,
			      "most migrations of the database are not in the "
			      "folder: wrong folder or wrong database?");
	dbh_error_detail(err,
			 "The database has %zu applied migration%s, %zu of "
			 "them missing in \"%s\" (first: %s); the folder "
			 "holds %zu (first: %s), %zu of them pending.",
			 p->applied, p->applied == 1 ? "" : "s", missing,
			 o->dir, p->first_missing ? p->first_missing : "-",
			 md->n, md->n ? md->m[0].name : "-", p->to_apply);
	dbh_error_hint(err, "Check --dir and the database URL. If both are "
			    "right, deploy again with --allow-unrelated.");
	return DBH_EUSAGE;
}

static void add_applied(struct dbh_deploy_result *res, const char *name,
			double seconds, int baselined)
{
	struct dbh_applied *a =
	    dbh_xrealloc(res->applied, res->napplied + 1, sizeof(*a));

	res->applied = a;
	a[res->napplied].name = dbh_xstrdup(name);
	a[res->napplied].seconds = seconds;
	a[res->napplied].baselined = baselined;
	res->napplied++;
}

/* --baseline NAME: every pending migration up to NAME is recorded as
 * applied without running it (the database already has it). */
static int baseline(struct dbh_conn *c, struct dbh_migdir *md,
		    const struct dbh_plan *p, const char *upto,
		    const struct dbh_reporter *rep,
		    struct dbh_deploy_result *res, struct dbh_error *err)
{
	if (!dbh_migdir_find(md, upto)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "--baseline: no migration \"%s\" in \"%s\"", upto,
			      md->dir);
		dbh_error_hint(err, "Give the full folder name of the last "
				    "migration the database already has, e.g. "
				    "20240101000000_init.");
		return DBH_EUSAGE;
	}
	for (size_t i = 0; i < p->n && p->e[i].m; i++) {
		struct dbh_migration *m = p->e[i].m;

		if (dbh_plan_applies(&p->e[i])) {
			int ret = dbh_migration_load(m, err);

			if (!ret)
				ret = dbh_apply_record(c, m, err);
			if (ret)
				return ret;
			dbh_report(rep, DBH_INFO,
				   "Baselined migration `%s` (recorded as "
				   "applied, not run)",
				   m->name);
			add_applied(res, m->name, 0, 1);
		}
		if (strcmp(m->name, upto) == 0)
			break;
	}
	return 0;
}

/* --require-applied-on: before the lock and anything else, staging must
 * have applied every pending migration from the same file. */
static int gate(const struct dbh_deploy_opts *o,
		struct dbh_migration *const *ms, size_t n,
		const struct dbh_reporter *rep, struct dbh_error *err)
{
	if (!o->require_applied_on)
		return 0;
	return dbh_gate_check(o->require_applied_on, ms, n, &o->conn, rep, err);
}

/* The safety check of what the plan applies, on the connection of the
 * history read (one more query); with --safety block its errors refuse
 * the whole deploy before the lock. */
static int check_safety(const struct dbh_deploy_opts *o, struct dbh_conn *c,
			struct dbh_migration *const *ms, size_t n,
			const struct dbh_reporter *rep,
			struct dbh_deploy_result *res, struct dbh_error *err)
{
	struct dbh_safety_opts so = {c, o->ci->schema,
				     dbh_config()->long_transaction_s};
	struct dbh_safety *s = &res->safety;

	if (o->safety == DBH_SAFETY_OFF)
		return 0;
	dbh_safety_check(ms, n, &so, s);
	res->checked = 1;
	dbh_safety_report(s, rep);
	if (o->safety != DBH_SAFETY_BLOCK || !s->count[DBH_SEV_ERROR])
		return 0;
	dbh_error_set(err, DBH_EUNSAFE,
		      "the safety check found %zu error%s: nothing was applied "
		      "(--safety block)",
		      s->count[DBH_SEV_ERROR],
		      s->count[DBH_SEV_ERROR] == 1 ? "" : "s");
	dbh_error_hint(err, "Change the migrations as each finding's fix says; "
			    "silence a finding you have checked with a comment "
			    "before its statement, `-- dbhook:ignore DH201 "
			    "<reason>`; or deploy with --safety warn "
			    "(MIGRATE_SAFETY=warn) to apply them anyway.");
	return DBH_EUNSAFE;
}

/* The pids the safety check saw holding locks (DH401), for the lock
 * retries' messages, or NULL. */
static const char *blockers(const struct dbh_deploy_result *res)
{
	for (size_t i = 0; res->checked && i < res->safety.n; i++)
		if (strcmp(res->safety.f[i].rule->id, "DH401") == 0)
			return res->safety.f[i].message;
	return NULL;
}

/* Progress lines of the apply (apply.h's hooks). */
struct progress {
	struct dbh_migration **ms;
	size_t n;
	const struct dbh_reporter *rep;
	struct dbh_deploy_result *res;
};

static void on_started(void *arg, size_t i)
{
	struct progress *pg = arg;

	/* One line per migration, after it; on a terminal a live line that
	 * also shows the one running now. */
	dbh_report(pg->rep, DBH_LIVE, "[%zu/%zu] Applying migration `%s`...",
		   i + 1, pg->n, pg->ms[i]->name);
}

static void on_applied(void *arg, size_t i, double seconds)
{
	struct progress *pg = arg;

	add_applied(pg->res, pg->ms[i]->name, seconds, 0);
	dbh_report(pg->rep, DBH_STEP, "Applied migration `%s` (%.0f ms)",
		   pg->ms[i]->name, seconds * 1000);
}

/* The slow path, with the lock held and the history read under it. */
static int apply_pending(const struct dbh_deploy_opts *o, struct dbh_conn *c,
			 struct dbh_migdir *md, struct dbh_history *h,
			 const struct dbh_prepared *pr,
			 const struct dbh_reporter *rep,
			 struct dbh_deploy_result *res, int *unlocked,
			 struct dbh_error *err)
{
	struct dbh_plan p = {0};
	struct dbh_apply_opts ao = {
	    o->deadline, 5, o->cancel_at_deadline ? o->deadline : 0,
	    pr->locked ? dbh_lock_release_sql() : NULL, blockers(res)};
	struct progress pg = {NULL, 0, rep, res};
	struct dbh_apply_hooks hk = {on_started, on_applied, &pg};
	struct dbh_apply_result ar = {0};
	int ret = 0;

	if (!pr->facts.exists) {
		if (!o->baseline)
			ret = dbh_history_refuse_untracked(&pr->facts, err);
		if (!ret)
			ret = dbh_history_create(c, err);
	}
	if (!ret) {
		dbh_plan_make(md, h, 1, &p);
		ret = check_failed(&p, h, err);
	}
	if (!ret && o->baseline) {
		ret = baseline(c, md, &p, o->baseline, rep, res, err);
		dbh_plan_release(&p);
		dbh_history_release(h);
		if (!ret)
			ret = dbh_history_read(c, h, err);
		if (!ret)
			dbh_plan_make(md, h, 1, &p);
	}
	if (ret)
		goto out;
	warn_modified(&p, rep);
	pg.ms = dbh_plan_pending(&p, &pg.n);
	ret = dbh_migrations_load(pg.ms, pg.n, err);
	if (!ret) {
		ret = dbh_apply_all(c, pg.ms, pg.n, &ao, &hk, rep, &ar, err);
		if (ret)
			res->failed = dbh_xstrdup(pg.ms[ar.failed]->name);
		*unlocked = ar.tail_ran;
	}
	free(pg.ms);
out:
	dbh_plan_release(&p);
	return ret;
}

static void report_summary(const struct dbh_deploy_result *res,
			   const struct dbh_reporter *rep)
{
	size_t ran = 0;
	double seconds = 0;

	for (size_t i = 0; i < res->napplied; i++)
		if (!res->applied[i].baselined) {
			ran++;
			seconds += res->applied[i].seconds;
		}
	if (ran == 0) {
		dbh_report(rep, DBH_RESULT, "No pending migrations to apply.");
		return;
	}
	dbh_report(rep, DBH_INFO, "%zu migration%s applied in %.0f ms.", ran,
		   ran == 1 ? "" : "s", seconds * 1000);
	dbh_report(rep, DBH_RESULT,
		   "All migrations have been successfully "
		   "applied.");
}

/* --dry-run: the history table is created only by the real run, which
 * refuses a schema that already holds tables (P3005); say so now. */
static int foresee_untracked(const struct dbh_deploy_opts *o,
			     struct dbh_conn *c, const struct dbh_history *h,
			     struct dbh_error *err)
{
	struct dbh_schema_facts f;
	int ret;

	if (h->exists || o->baseline)
		return 0;
	ret = dbh_history_inspect(c, &f, err);
	return ret ? ret : dbh_history_refuse_untracked(&f, err);
}

/* --dry-run: what the run would apply, in order. */
static void report_dry_run(const struct dbh_plan *p,
			   const struct dbh_reporter *rep)
{
	dbh_report(rep, DBH_RESULT, "%zu migration%s to apply:", p->to_apply,
		   p->to_apply == 1 ? "" : "s");
	for (size_t i = 0; i < p->n; i++)
		if (dbh_plan_applies(&p->e[i]))
			dbh_report(rep, DBH_RESULT, "  %s", p->e[i].name);
}

/* A wait of `want` seconds, cut to what is left of the run's budget. */
static double budget(double want, double deadline)
{
	double left = dbh_left(deadline);

	return want < left ? want : left;
}

/* Prepares the session, takes the lock and applies: the part of a deploy
 * with work to do. The lock is released on every way out (closing the
 * session would release it too, but a session pooler keeps the server
 * connection open). */
static int deploy_locked(const struct dbh_deploy_opts *o, struct dbh_conn *c,
			 struct dbh_migdir *md, struct dbh_history *h,
			 const struct dbh_reporter *rep,
			 struct dbh_deploy_result *res, struct dbh_error *err)
{
	struct dbh_prepare_opts po = {&o->conn, o->stmt_lock_timeout_ms,
				      budget(o->lock_timeout_s, o->deadline),
				      h->exists};
	struct dbh_prepared pr;
	int ret, unlocked = 0;

	dbh_history_release(h);
	ret = dbh_prepare(c, &po, rep, h, &pr, err);
	if (!ret)
		ret = apply_pending(o, c, md, h, &pr, rep, res, &unlocked, err);
	if (pr.locked && !unlocked && !dbh_conn_lost(c))
		dbh_lock_release(c);
	return ret;
}

static int files_missing(void *md, struct dbh_error *err)
{
	return dbh_migdir_check_files(md, err);
}

int dbh_deploy(const struct dbh_deploy_opts *o, const struct dbh_reporter *rep,
	       struct dbh_deploy_result *res, struct dbh_error *err)
{
	struct dbh_migdir md;
	struct dbh_conn c;
	struct dbh_history h = {0};
	struct dbh_plan p = {0};
	struct dbh_connect_opts co;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = dbh_refuse_pooled_url(o->ci, o->probe_pooler, err);
	if (ret)
		return ret;
	ret = dbh_migdir_open(o->dir, &md, err);
	if (ret)
		return ret;
	res->found = md.n;
	dbh_report(rep, DBH_INFO, "%zu migration%s found in %s", md.n,
		   md.n == 1 ? "" : "s", o->dir);
	/* Each folder's migration.sql is looked for while the connection is
	 * made. A folder without it is the error reported, whatever the
	 * database says: after the first failed attempt (a host that drops
	 * packets holds it for that attempt's connect_timeout, 10 s unless
	 * the URL says otherwise, not for the retries), or once connected,
	 * before any query (a non-TLS warning for a remote host comes
	 * first then). The "found" line above is printed either way. */
	dbh_migdir_look_start(&md);
	co = o->conn;
	co.give_up = files_missing;
	co.give_up_arg = &md;
	ret = dbh_conn_open(&c, o->ci, &co, err);
	if (!ret && files_missing(&md, err)) {
		dbh_conn_close(&c);
		ret = err->code;
	}
	if (ret)
		goto out_dir;
	/* The fast path: one lean query, no lock, no file read (checking
	 * 1000 checksums would cost every build more than the query; edited
	 * migrations are reported by the next deploy that has work to do,
	 * and always by `dbhook status`). */
	ret = dbh_history_read_states(&c, &h, err);
	if (ret)
		goto out_conn;
	dbh_plan_make(&md, &h, 0, &p);
	res->pending = p.to_apply;
	ret = check_failed(&p, &h, err);
	if (!ret)
		ret = check_related(o, &md, &p, err);
	if (!ret && p.to_apply == 0 && dbh_plan_missing(&p))
		dbh_report(rep, DBH_NOTE,
			   "%zu migration%s of the database %s not in \"%s\" "
			   "(first: %s); `dbhook status` lists them",
			   dbh_plan_missing(&p),
			   dbh_plan_missing(&p) == 1 ? "" : "s",
			   dbh_plan_missing(&p) == 1 ? "is" : "are", o->dir,
			   p.first_missing);
	if (!ret && p.to_apply == 0 && !o->baseline) {
		res->fast_path = 1;
		report_summary(res, rep);
	}
	/* Before the lock and any DDL: a broken file, staging's gate or the
	 * safety check (--safety block) change nothing. */
	if (!ret && !res->fast_path) {
		size_t n;
		struct dbh_migration **ms = dbh_plan_pending(&p, &n);

		dbh_migdir_report_odd(&md, rep);
		ret = dbh_migrations_load(ms, n, err);
		if (!ret)
			ret = gate(o, ms, n, rep, err);
		if (!ret)
			ret = check_safety(o, &c, ms, n, rep, res, err);
		free(ms);
	}
	if (ret || res->fast_path)
		goto out_conn;

	if (o->dry_run) {
		ret = dbh_check_pooler(&c, &o->conn, rep, err);
		if (!ret)
			ret = foresee_untracked(o, &c, &h, err);
		if (!ret)
			report_dry_run(&p, rep);
		goto out_conn;
	}
	ret = deploy_locked(o, &c, &md, &h, rep, res, err);
	if (!ret)
		report_summary(res, rep);
out_conn:
	dbh_plan_release(&p);
	dbh_history_release(&h);
	dbh_conn_close(&c);
out_dir:
	dbh_migdir_release(&md);
	return ret;
}

void dbh_deploy_result_release(struct dbh_deploy_result *res)
{
	for (size_t i = 0; i < res->napplied; i++)
		free(res->applied[i].name);
	free(res->applied);
	free(res->failed);
	if (res->checked)
		dbh_safety_release(&res->safety);
	memset(res, 0, sizeof(*res));
}
