/* status.c - comparing the folder with the history table. */
#include "dbhook/status.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/conn.h"
#include "dbhook/history.h"
#include "dbhook/migdir.h"

const char *dbh_sstate_name(enum dbh_sstate s)
{
	static const char *names[] = {"applied", "pending", "failed",
				      "modified", "missing"};

	return names[s];
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct dbh_status_entry *add_entry(struct dbh_status *st,
					  const char *name,
					  enum dbh_sstate state,
					  const struct dbh_hrow *row)
{
	struct dbh_status_entry *e = realloc(st->e, (st->n + 1) * sizeof(*e));

	if (!e)
		return NULL;
	st->e = e;
	e = &st->e[st->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	e->state = state;
	if (row) {
		e->started_at = dup_opt(row->started_at);
		e->finished_at = dup_opt(row->finished_at);
		e->stored_sum = dup_opt(row->checksum);
		if (state == DBH_S_FAILED && row->logs) {
			const char *l = row->logs;

			/* The first line that says something. */
			if (strncmp(l, "A migration failed to apply.", 28) ==
				0 &&
			    strstr(l, "Database error:\n"))
				l = strstr(l, "Database error:\n") + 16;
			e->logs = strndup(l, strcspn(l, "\n"));
		}
	}
	st->n++;
	st->count[state]++;
	return e;
}

/* Tables in the schema the history would live in (the URL's ?schema=,
 * else the current schema), for the "deploy will refuse it" remark. */
static int count_untracked(struct dbh_conn *c, int *n, struct dbh_error *err)
{
	const char *schema = c->ci->schema;
	PGresult *res = PQexecParams(
	    c->pg,
	    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON "
	    "n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND "
	    "n.nspname = coalesce($1, current_schema())",
	    1, NULL, &schema, NULL, NULL, 0);
	int ret = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		*n = atoi(PQgetvalue(res, 0, 0));
	else
		ret = dbh_conn_result_error(c, res, err,
					    "cannot inspect the schema");
	PQclear(res);
	return ret;
}

int dbh_status_collect(const char *dir, const struct dbh_conninfo *ci,
		       const struct dbh_connect_opts *co,
		       const struct dbh_reporter *rep, struct dbh_status *st,
		       struct dbh_error *err)
{
	struct dbh_migdir md;
	struct dbh_conn c;
	struct dbh_history h = {0};
	int ret;

	memset(st, 0, sizeof(*st));
	ret = dbh_migdir_open(dir, &md, err);
	if (ret)
		return ret;
	dbh_migdir_report_odd(&md, rep);
	st->dir = strdup(dir);
	ret = dbh_conn_open(&c, ci, co, err);
	if (ret)
		goto out_dir;
	ret = dbh_history_read(&c, &h, err);
	if (ret)
		goto out_conn;
	st->table_exists = h.exists;
	if (!h.exists) {
		ret = count_untracked(&c, &st->untracked_tables, err);
		if (ret)
			goto out_conn;
	}
	for (size_t i = 0; i < md.n; i++) {
		struct dbh_migration *m = &md.m[i];
		const struct dbh_hrow *row;
		enum dbh_mstate ms = dbh_history_state(&h, m->name, &row);
		enum dbh_sstate s = ms == DBH_APPLIED  ? DBH_S_APPLIED
				    : ms == DBH_FAILED ? DBH_S_FAILED
						       : DBH_S_PENDING;
		struct dbh_status_entry *e;

		if (dbh_migration_read(m) == 0 && s == DBH_S_APPLIED &&
		    !dbh_checksum_matches(row->checksum, m->sql, m->len,
					  m->checksum))
			s = DBH_S_MODIFIED;
		else if (!m->sql && s == DBH_S_APPLIED)
			s = DBH_S_MODIFIED; /* migration.sql is gone */
		e = add_entry(st, m->name, s, row);
		if (!e) {
			ret = dbh_error_set(err, DBH_EFAILED, "out of memory");
			goto out_conn;
		}
		if (m->sql)
			memcpy(e->local_sum, m->checksum, sizeof(e->local_sum));
	}
	/* Applied in the database, absent here: each name once. */
	for (size_t i = 0; i < h.n; i++) {
		const struct dbh_hrow *r = &h.rows[i], *row;
		int seen = 0;

		if (!r->finished_at || r->rolled_back_at ||
		    dbh_migdir_find(&md, r->name))
			continue;
		for (size_t j = 0; j < st->n && !seen; j++)
			seen = strcmp(st->e[j].name, r->name) == 0;
		if (seen)
			continue;
		dbh_history_state(&h, r->name, &row);
		if (!add_entry(st, r->name, DBH_S_MISSING, row)) {
			ret = dbh_error_set(err, DBH_EFAILED, "out of memory");
			goto out_conn;
		}
	}
	/* A failed row whose folder is gone still blocks deploys. */
	for (size_t i = 0; i < h.n; i++) {
		const struct dbh_hrow *r = &h.rows[i];

		if (r->finished_at || r->rolled_back_at ||
		    dbh_migdir_find(&md, r->name))
			continue;
		if (!add_entry(st, r->name, DBH_S_FAILED, r)) {
			ret = dbh_error_set(err, DBH_EFAILED, "out of memory");
			goto out_conn;
		}
	}
out_conn:
	dbh_history_release(&h);
	dbh_conn_close(&c);
out_dir:
	dbh_migdir_release(&md);
	if (ret)
		dbh_status_release(st);
	return ret;
}

void dbh_status_release(struct dbh_status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->e[i].name);
		free(st->e[i].started_at);
		free(st->e[i].finished_at);
		free(st->e[i].stored_sum);
		free(st->e[i].logs);
	}
	free(st->e);
	free(st->dir);
	memset(st, 0, sizeof(*st));
}

int dbh_status_exit_code(const struct dbh_status *st)
{
	if (st->count[DBH_S_FAILED] || st->count[DBH_S_MODIFIED] ||
	    st->count[DBH_S_MISSING])
		return DBH_EDRIFT;
	if (st->count[DBH_S_PENDING])
		return DBH_EPENDING;
	return DBH_OK;
}

static void render_group(const struct dbh_status *st, enum dbh_sstate s,
			 const char *title, const struct dbh_reporter *rep)
{
	if (!st->count[s])
		return;
	dbh_report(rep, DBH_INFO, "%s", "");
	dbh_report(rep, DBH_INFO, "%s", title);
	for (size_t i = 0; i < st->n; i++) {
		const struct dbh_status_entry *e = &st->e[i];

		if (e->state != s)
			continue;
		if (s == DBH_S_FAILED)
			dbh_report(rep, DBH_INFO, "  %s (started %s)%s%s",
				   e->name, e->started_at ? e->started_at : "?",
				   e->logs ? ": " : "", e->logs ? e->logs : "");
		else if (s == DBH_S_MODIFIED && !e->local_sum[0])
			dbh_report(rep, DBH_INFO,
				   "  %s (migration.sql is missing)", e->name);
		else if (s == DBH_S_MODIFIED)
			dbh_report(rep, DBH_INFO,
				   "  %s (applied %.64s, now %.64s)", e->name,
				   e->stored_sum, e->local_sum);
		else
			dbh_report(rep, DBH_INFO, "  %s", e->name);
	}
}

void dbh_status_render(const struct dbh_status *st,
		       const struct dbh_reporter *rep)
{
	size_t local = st->n - st->count[DBH_S_MISSING];

	dbh_report(rep, DBH_INFO, "%zu migration%s found in %s", local,
		   local == 1 ? "" : "s", st->dir);
	if (!st->table_exists)
		dbh_report(rep, DBH_INFO,
			   "The database has no migration history "
			   "(_prisma_migrations)%s",
			   st->untracked_tables
			       ? " but already holds tables: deploy will "
				 "refuse it until you baseline "
				 "(deploy --baseline NAME)."
			       : ".");
	render_group(st, DBH_S_FAILED,
		     "Failed migrations (they block deploys; see `dbhook "
		     "resolve`):",
		     rep);
	render_group(st, DBH_S_MODIFIED,
		     "Modified since they were applied (the change will never "
		     "run; put it in a new migration):",
		     rep);
	render_group(
	    st, DBH_S_MISSING,
	    "Applied in the database but missing from this folder:", rep);
	render_group(st, DBH_S_PENDING, "Not yet applied:", rep);
	dbh_report(rep, DBH_INFO, "%s", "");
	switch (dbh_status_exit_code(st)) {
	case DBH_OK:
		dbh_report(rep, DBH_INFO,
			   "Database schema is up to date! (%zu applied)",
			   st->count[DBH_S_APPLIED]);
		break;
	case DBH_EPENDING:
		dbh_report(rep, DBH_INFO,
			   "%zu migration%s pending; run `dbhook deploy` to "
			   "apply.",
			   st->count[DBH_S_PENDING],
			   st->count[DBH_S_PENDING] == 1 ? " is" : "s are");
		break;
	default:
		dbh_report(rep, DBH_INFO,
			   "The history needs attention: %zu failed, %zu "
			   "modified, %zu missing locally, %zu pending.",
			   st->count[DBH_S_FAILED], st->count[DBH_S_MODIFIED],
			   st->count[DBH_S_MISSING], st->count[DBH_S_PENDING]);
	}
}

char *dbh_status_json(const struct dbh_status *st)
{
	cJSON *root = cJSON_CreateObject(), *list, *counts;
	char *out = NULL;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "directory", st->dir);
	cJSON_AddBoolToObject(root, "history_table", st->table_exists);
	cJSON_AddNumberToObject(root, "exit_code", dbh_status_exit_code(st));
	counts = cJSON_AddObjectToObject(root, "counts");
	for (int s = 0; s < 5 && counts; s++)
		cJSON_AddNumberToObject(counts, dbh_sstate_name(s),
					(double)st->count[s]);
	list = cJSON_AddArrayToObject(root, "migrations");
	for (size_t i = 0; i < st->n && list; i++) {
		const struct dbh_status_entry *e = &st->e[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddStringToObject(o, "name", e->name);
		cJSON_AddStringToObject(o, "state", dbh_sstate_name(e->state));
		if (e->started_at)
			cJSON_AddStringToObject(o, "started_at", e->started_at);
		if (e->finished_at)
			cJSON_AddStringToObject(o, "finished_at",
						e->finished_at);
		if (e->stored_sum)
			cJSON_AddStringToObject(o, "checksum_applied",
						e->stored_sum);
		if (e->local_sum[0])
			cJSON_AddStringToObject(o, "checksum_local",
						e->local_sum);
		if (e->logs)
			cJSON_AddStringToObject(o, "error", e->logs);
		cJSON_AddItemToArray(list, o);
	}
	out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}
