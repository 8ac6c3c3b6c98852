/* resolve.c - Prisma's `migrate resolve` semantics. */
#include "dbhook/resolve.h"

#include <stdio.h>
#include <string.h>

#include "dbhook/apply.h"
#include "dbhook/conn.h"
#include "dbhook/history.h"
#include "dbhook/lock.h"
#include "dbhook/migdir.h"
#include "dbhook/pooler.h"

static int mark_applied(struct dbh_conn *c, struct dbh_migdir *md,
			const char *name, const struct dbh_reporter *rep,
			struct dbh_error *err)
{
	struct dbh_migration *m = dbh_migdir_find(md, name);
	struct dbh_history h;
	int ret;

	if (!m) {
		dbh_error_set(err, DBH_EUSAGE, "no migration \"%s\" in \"%s\"",
			      name, md->dir);
		dbh_error_hint(err, "Give the whole folder name, e.g. "
				    "20201207184859_initial_migration (Prisma "
				    "error P3017).");
		return DBH_EUSAGE;
	}
	ret = dbh_migration_load(m, err);
	if (!ret)
		ret = dbh_history_ensure(c, 1, err);
	if (!ret)
		ret = dbh_history_read(c, &h, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < h.n; i++) {
		if (strcmp(h.rows[i].name, name) == 0 &&
		    h.rows[i].finished_at && !h.rows[i].rolled_back_at) {
			dbh_history_release(&h);
			dbh_error_set(err, DBH_EUSAGE,
				      "migration \"%s\" is already recorded as "
				      "applied",
				      name);
			dbh_error_hint(err, "Nothing to resolve (Prisma error "
					    "P3008). `dbhook status` shows "
					    "the state of every migration.");
			return DBH_EUSAGE;
		}
	}
	dbh_history_release(&h);
	ret = dbh_apply_record(c, m, err);
	if (!ret)
		dbh_report(rep, DBH_INFO, "Migration %s marked as applied.",
			   name);
	return ret;
}

static int mark_rolled_back(struct dbh_conn *c, const char *name,
			    const struct dbh_reporter *rep,
			    struct dbh_error *err)
{
	struct dbh_history h;
	const char *vals[1] = {name};
	char sql[512];
	size_t rows = 0, failed = 0;
	PGresult *res;
	int ret = dbh_history_read(c, &h, err);

	if (ret)
		return ret;
	for (size_t i = 0; i < h.n; i++) {
		if (strcmp(h.rows[i].name, name) != 0)
			continue;
		rows++;
		failed += !h.rows[i].finished_at && !h.rows[i].rolled_back_at;
	}
	dbh_history_release(&h);
	if (rows == 0) {
		dbh_error_set(err, DBH_EUSAGE,
			      "migration \"%s\" cannot be rolled back: it was "
			      "never applied to this database",
			      name);
		dbh_error_hint(err, "Give the whole migration name, e.g. "
				    "20201207184859_initial_migration (Prisma "
				    "error P3011).");
		return DBH_EUSAGE;
	}
	if (failed == 0) {
		dbh_error_set(err, DBH_EUSAGE,
			      "migration \"%s\" cannot be rolled back: it is "
			      "not in a failed state",
			      name);
		dbh_error_hint(err, "Only a failed migration can be marked as "
				    "rolled back (Prisma error P3012). To undo "
				    "an applied one, write a new migration.");
		return DBH_EUSAGE;
	}
	snprintf(sql, sizeof(sql),
		 "UPDATE %s SET rolled_back_at = now() WHERE migration_name = "
		 "$1 AND finished_at IS NULL AND rolled_back_at IS NULL",
		 c->table);
	res = PQexecParams(c->pg, sql, 1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = dbh_conn_result_error(c, res, err,
					    "cannot mark the migration");
	PQclear(res);
	if (!ret)
		dbh_report(rep, DBH_INFO, "Migration %s marked as rolled back.",
			   name);
	return ret;
}

int dbh_resolve(const char *dir, const struct dbh_conninfo *ci,
		const struct dbh_connect_opts *co, int probe_pooler,
		double lock_timeout_s, enum dbh_resolve_as as, const char *name,
		const struct dbh_reporter *rep, struct dbh_error *err)
{
	struct dbh_migdir md;
	struct dbh_conn c;
	struct dbh_history h;
	int ret;

	ret = dbh_refuse_pooled_url(ci, probe_pooler, err);
	if (!ret)
		ret = dbh_migdir_open(dir, &md, err);
	if (ret)
		return ret;
	ret = dbh_conn_open(&c, ci, co, err);
	if (ret)
		goto out_dir;
	ret = dbh_check_pooler(&c, co, rep, err);
	if (!ret)
		ret = dbh_conn_setup(&c, 0, err);
	if (!ret)
		ret = dbh_lock_acquire(&c, lock_timeout_s, rep, err);
	if (ret)
		goto out_conn;
	if (as == DBH_RESOLVE_APPLIED) {
		ret = mark_applied(&c, &md, name, rep, err);
	} else {
		ret = dbh_history_read(&c, &h, err);
		if (!ret && !h.exists) {
			ret =
			    dbh_error_set(err, DBH_EUSAGE,
					  "nothing to roll back: the database "
					  "has no migration history");
			dbh_error_hint(err, "`dbhook status` shows the state "
					    "of the database.");
		}
		dbh_history_release(&h);
		if (!ret)
			ret = mark_rolled_back(&c, name, rep, err);
	}
	if (!dbh_conn_lost(&c))
		dbh_lock_release(&c);
out_conn:
	dbh_conn_close(&c);
out_dir:
	dbh_migdir_release(&md);
	return ret;
}
