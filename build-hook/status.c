/* status.c - comparing the folder with the history table. */
#include "dbhook/status.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/conn.h"
#include "dbhook/history.h"
#include "dbhook/migdir.h"
#include "dbhook/plan.h"
#include "dbhook/secrets.h"

const char *dbh_state_name(enum dbh_state s)
{
	static const char *const names[DBH_NSTATES] = {
	    "applied", "pending",  "rolled_back",
	    "failed",  "modified", "missing"};

	return names[s];
}

int dbh_status_collect(const char *dir, const struct dbh_conninfo *ci,
		       const struct dbh_connect_opts *co,
		       const struct dbh_reporter *rep, struct dbh_status *st,
		       struct dbh_error *err)
{
	struct dbh_conn c;
	int ret;

	memset(st, 0, sizeof(*st));
	st->dir = dir;
	ret = dbh_migdir_open(dir, &st->md, err);
	if (ret)
		return ret;
	dbh_migdir_report_odd(&st->md, rep);
	dbh_migdir_look_start(&st->md); /* while the connection is made */
	ret = dbh_conn_open(&c, ci, co, err);
	if (!ret) {
		ret = dbh_history_read(&c, &st->h, err);
		st->table_exists = st->h.exists;
		if (!ret && !st->h.exists)
			ret = dbh_history_inspect(&c, &st->schema, err);
		dbh_conn_close(&c);
	}
	dbh_migdir_look(&st->md);
	if (!ret)
		dbh_plan_make(&st->md, &st->h, 1, &st->plan);
	if (ret)
		dbh_status_release(st);
	return ret;
}

void dbh_status_release(struct dbh_status *st)
{
	dbh_plan_release(&st->plan);
	dbh_history_release(&st->h);
	dbh_migdir_release(&st->md);
	memset(st, 0, sizeof(*st));
}

int dbh_status_exit_code(const struct dbh_status *st)
{
	const size_t *count = st->plan.count;

	if (count[DBH_FAILED] || count[DBH_MODIFIED] || count[DBH_MISSING])
		return DBH_EDRIFT;
	if (st->plan.to_apply)
		return DBH_EPENDING;
	return DBH_OK;
}

/* The first line of a failed row's logs that says something. */
static void first_log_line(const struct dbh_hrow *row, char *out, size_t n)
{
	const char *l = row && row->logs ? row->logs : "";

	if (strncmp(l, "A migration failed to apply.", 28) == 0 &&
	    strstr(l, "Database error:\n"))
		l = strstr(l, "Database error:\n") + 16;
	snprintf(out, n, "%.*s", (int)strcspn(l, "\n"), l);
}

/* The checksum of the folder's file, "" when it is not readable. */
static const char *local_sum(const struct dbh_plan_entry *e)
{
	return e->m && e->m->sql ? e->m->checksum : "";
}

static void render_entry(const struct dbh_plan_entry *e,
			 const struct dbh_reporter *rep)
{
	char logs[512];

	switch (e->state) {
	case DBH_FAILED:
		first_log_line(e->row, logs, sizeof(logs));
		dbh_report(rep, DBH_INFO, "  %s (started %s)%s%s", e->name,
			   e->row && e->row->started_at ? e->row->started_at
							: "?",
			   logs[0] ? ": " : "", logs);
		break;
	case DBH_MODIFIED:
		if (!local_sum(e)[0])
			dbh_report(rep, DBH_INFO,
				   "  %s (migration.sql is missing)", e->name);
		else
			dbh_report(rep, DBH_INFO,
				   "  %s (applied %.64s, now %.64s)", e->name,
				   e->row->checksum ? e->row->checksum : "?",
				   local_sum(e));
		break;
	case DBH_ROLLED_BACK:
		dbh_report(rep, DBH_INFO,
			   "  %s (its last attempt was rolled back: the next "
			   "deploy applies it again)",
			   e->name);
		break;
	default:
		dbh_report(rep, DBH_INFO, "  %s%s", e->name,
			   e->m && e->m->no_file
			       ? " (no migration.sql: deploy refuses this "
				 "folder)"
			       : "");
	}
}

/* The entries in state `s` (and `also`), under `title`. */
static void render_group(const struct dbh_status *st, enum dbh_state s,
			 enum dbh_state also, const char *title,
			 const struct dbh_reporter *rep)
{
	if (!st->plan.count[s] && !st->plan.count[also])
		return;
	dbh_report(rep, DBH_INFO, "%s", "");
	dbh_report(rep, DBH_INFO, "%s", title);
	for (size_t i = 0; i < st->plan.n; i++)
		if (st->plan.e[i].state == s || st->plan.e[i].state == also)
			render_entry(&st->plan.e[i], rep);
}

void dbh_status_render(const struct dbh_status *st,
		       const struct dbh_reporter *rep)
{
	const size_t *count = st->plan.count;
	size_t local = st->md.n;

	dbh_report(rep, DBH_INFO, "%zu migration%s found in %s", local,
		   local == 1 ? "" : "s", st->dir);
	if (!st->table_exists)
		dbh_report(rep, DBH_INFO,
			   "The database has no migration history "
			   "(_prisma_migrations)%s",
			   st->schema.others
			       ? " but already holds tables: deploy will "
				 "refuse it until you baseline "
				 "(deploy --baseline NAME)."
			       : ".");
	render_group(st, DBH_FAILED, DBH_FAILED,
		     "Failed migrations (they block deploys; see `dbhook "
		     "resolve`):",
		     rep);
	render_group(st, DBH_MODIFIED, DBH_MODIFIED,
		     "Modified since they were applied (the change will never "
		     "run; put it in a new migration):",
		     rep);
	render_group(
	    st, DBH_MISSING, DBH_MISSING,
	    "Applied in the database but missing from this folder:", rep);
	render_group(st, DBH_PENDING, DBH_ROLLED_BACK, "Not yet applied:", rep);
	dbh_report(rep, DBH_INFO, "%s", "");
	switch (dbh_status_exit_code(st)) {
	case DBH_OK:
		dbh_report(rep, DBH_INFO,
			   "Database schema is up to date! (%zu applied)",
			   count[DBH_APPLIED]);
		break;
	case DBH_EPENDING:
		dbh_report(rep, DBH_INFO,
			   "%zu migration%s pending; run `dbhook deploy` to "
			   "apply.",
			   st->plan.to_apply,
			   st->plan.to_apply == 1 ? " is" : "s are");
		break;
	default:
		dbh_report(rep, DBH_INFO,
			   "The history needs attention: %zu failed, %zu "
			   "modified, %zu missing locally, %zu pending.",
			   count[DBH_FAILED], count[DBH_MODIFIED],
			   count[DBH_MISSING], st->plan.to_apply);
	}
}

/* cJSON returns NULL from a create or add call with valid arguments only
 * when memory ran out: no half-built document is printed. */
static cJSON *need(cJSON *item)
{
	if (!item)
		dbh_oom();
	return item;
}

static void add_string(cJSON *o, const char *key, const char *value)
{
	need(cJSON_AddStringToObject(o, key, value));
}

char *dbh_status_json(const struct dbh_status *st)
{
	cJSON *root = need(cJSON_CreateObject()), *list, *counts;
	char *out;

	add_string(root, "directory", st->dir);
	need(cJSON_AddBoolToObject(root, "history_table", st->table_exists));
	need(cJSON_AddNumberToObject(root, "exit_code",
				     dbh_status_exit_code(st)));
	counts = need(cJSON_AddObjectToObject(root, "counts"));
	for (int s = 0; s < DBH_NSTATES; s++)
		need(cJSON_AddNumberToObject(counts,
					     dbh_state_name((enum dbh_state)s),
					     (double)st->plan.count[s]));
	list = need(cJSON_AddArrayToObject(root, "migrations"));
	for (size_t i = 0; i < st->plan.n; i++) {
		const struct dbh_plan_entry *e = &st->plan.e[i];
		const struct dbh_hrow *r = e->row;
		cJSON *o = need(cJSON_CreateObject());
		char logs[512];

		add_string(o, "name", e->name);
		add_string(o, "state", dbh_state_name(e->state));
		if (r && r->started_at)
			add_string(o, "started_at", r->started_at);
		if (r && r->finished_at)
			add_string(o, "finished_at", r->finished_at);
		if (r && r->checksum)
			add_string(o, "checksum_applied", r->checksum);
		if (local_sum(e)[0])
			add_string(o, "checksum_local", local_sum(e));
		first_log_line(e->state == DBH_FAILED ? r : NULL, logs,
			       sizeof(logs));
		if (logs[0])
			add_string(o, "error", logs);
		cJSON_AddItemToArray(list, o); /* links, allocates nothing */
	}
	dbh_secrets_scrub_json(root); /* a failed row's logs are the server's */
	out = cJSON_Print(root);      /* a valid tree: NULL is out of memory */
	if (!out)
		dbh_oom();
	cJSON_Delete(root);
	return out;
}
