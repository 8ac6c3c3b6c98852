/* check.c - see check.h. */
#include "dbhook/check.h"

#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/history.h"
#include "dbhook/migdir.h"
#include "dbhook/plan.h"

/* The migrations to check: the pending ones (with a history), else all
 * of the folder; each loaded (a broken file is an error, as deploy says
 * it). The caller frees the array. */
static int collect(struct dbh_migdir *md, const struct dbh_history *h,
		   struct dbh_migration ***ms, size_t *n, struct dbh_error *err)
{
	struct dbh_plan p = {0};

	if (h) {
		dbh_plan_make(md, h, 0, &p);
		*ms = dbh_plan_pending(&p, n);
		dbh_plan_release(&p);
	} else {
		*ms = dbh_xcalloc(md->n + 1, sizeof(**ms));
		for (*n = 0; *n < md->n; (*n)++)
			(*ms)[*n] = &md->m[*n];
	}
	return dbh_migrations_load(*ms, *n, err);
}

int dbh_check(const struct dbh_check_opts *o, const struct dbh_reporter *rep,
	      struct dbh_safety *out, struct dbh_error *err)
{
	struct dbh_migdir md;
	struct dbh_conn c;
	struct dbh_history h = {0};
	struct dbh_migration **ms = NULL;
	struct dbh_safety_opts so = {NULL, NULL,
				     dbh_config()->long_transaction_s};
	size_t n = 0;
	int ret, connected = 0;

	memset(out, 0, sizeof(*out));
	ret = dbh_migdir_open(o->dir, &md, err);
	if (ret)
		return ret;
	ret = dbh_migdir_check_files(&md, err);
	if (!ret && o->ci) {
		ret = dbh_conn_open(&c, o->ci, &o->conn, err);
		connected = !ret;
		if (!ret)
			ret = dbh_history_read_states(&c, &h, err);
		so.conn = &c;
		so.schema = o->ci->schema;
	} else if (!ret) {
		dbh_report(rep, DBH_NOTE,
			   "offline: %s %zu migration%s of %s %s checked "
			   "(which are pending is unknown without a database)",
			   md.n == 1 ? "the" : "all", md.n,
			   md.n == 1 ? "" : "s", o->dir,
			   md.n == 1 ? "is" : "are");
	}
	if (!ret)
		ret = collect(&md, o->ci ? &h : NULL, &ms, &n, err);
	if (!ret)
		dbh_safety_check(ms, n, &so, out);
	free(ms);
	dbh_history_release(&h);
	if (connected)
		dbh_conn_close(&c);
	dbh_migdir_release(&md);
	return ret;
}

int dbh_check_exit_code(const struct dbh_safety *s, int warnings_ok)
{
	if (s->count[DBH_SEV_ERROR])
		return DBH_EUNSAFE;
	if (s->count[DBH_SEV_WARNING] && !warnings_ok)
		return DBH_EWARNINGS;
	return DBH_OK;
}
