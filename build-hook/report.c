/* report.c - the JSON run report. */
#include "dbhook/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"
#include "dbhook/fileio.h"
#include "dbhook/secrets.h"

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* The fields of an error, as the run report and `status --json` show it. */
static void fill_error(cJSON *o, const struct dbh_error *e)
{
	cJSON_AddNumberToObject(o, "exit_code", e->code);
	cJSON_AddStringToObject(o, "message", e->message);
	add_str(o, "detail", e->detail[0] ? e->detail : NULL);
	add_str(o, "hint", e->hint[0] ? e->hint : NULL);
	add_str(o, "sqlstate", e->sqlstate[0] ? e->sqlstate : NULL);
	add_str(o, "location", e->where[0] ? e->where : NULL);
}

static void add_error(cJSON *root, const struct dbh_run_report *r)
{
	const struct dbh_error *e = r->error;
	cJSON *o;

	if (!e || !e->code) {
		cJSON_AddNullToObject(root, "error");
		return;
	}
	o = cJSON_AddObjectToObject(root, "error");
	if (!o)
		return;
	fill_error(o, e);
	add_str(o, "migration", r->result ? r->result->failed : NULL);
}

char *dbh_error_json(const struct dbh_error *e)
{
	cJSON *root = cJSON_CreateObject(), *o;
	char *out = NULL;

	if (root && (o = cJSON_AddObjectToObject(root, "error")) != NULL) {
		fill_error(o, e);
		dbh_secrets_scrub_json(root);
		out = cJSON_Print(root);
	}
	cJSON_Delete(root);
	return out;
}

char *dbh_report_json(const struct dbh_run_report *r)
{
	cJSON *root = cJSON_CreateObject(), *list, *timings;
	char *out;

	if (!root)
		dbh_oom();
	cJSON_AddStringToObject(root, "tool", "dbhook");
	cJSON_AddStringToObject(root, "version", DBH_VERSION);
	add_str(root, "environment", r->environment);
	add_str(root, "decision", r->decision);
	add_str(root, "reason", r->reason);
	add_str(root, "outcome", r->outcome);
	add_str(root, "database", r->database);
	add_str(root, "migrations_dir", r->dir);
	cJSON_AddBoolToObject(root, "strict", r->strict);
	list = cJSON_AddArrayToObject(root, "applied");
	for (size_t i = 0; r->result && list && i < r->result->napplied; i++) {
		const struct dbh_applied *a = &r->result->applied[i];
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddStringToObject(o, "name", a->name);
		cJSON_AddNumberToObject(o, "duration_ms",
					(double)(long)(a->seconds * 1000));
		cJSON_AddBoolToObject(o, "baselined", a->baselined);
		cJSON_AddItemToArray(list, o);
	}
	if (r->pending) {
		list = cJSON_AddArrayToObject(root, "pending");
		for (size_t i = 0; list && i < r->npending; i++)
			cJSON_AddItemToArray(list,
					     cJSON_CreateString(r->pending[i]));
	} else if (r->result) {
		cJSON_AddNumberToObject(root, "pending_before",
					(double)r->result->pending);
	}
	if (r->result && r->result->checked)
		cJSON_AddItemToObject(root, "safety",
				      dbh_safety_json(&r->result->safety));
	else
		cJSON_AddNullToObject(root, "safety");
	add_error(root, r);
	add_str(root, "build_command", r->build_command);
	timings = cJSON_AddObjectToObject(root, "timings");
	if (timings) {
		cJSON_AddNumberToObject(
		    timings, "migrate_ms",
		    (double)(long)(r->migrate_seconds * 1000));
		cJSON_AddNumberToObject(
		    timings, "total_ms",
		    (double)(long)(r->total_seconds * 1000));
	}
	dbh_secrets_scrub_json(root);
	out = cJSON_Print(root);
	if (!out)
		dbh_oom();
	cJSON_Delete(root);
	return out;
}

int dbh_report_write(const char *path, const struct dbh_run_report *r,
		     struct dbh_error *err)
{
	char *json = dbh_report_json(r), *text;
	int ret;

	text = dbh_xasprintf("%s\n", json);
	ret = dbh_write_atomic(path, text, strlen(text), 0644,
			       DBH_WRITE_REPLACE, "the report", err);
	if (ret)
		dbh_error_hint(err, "Point --report at a writable path.");
	free(text);
	free(json);
	return ret;
}
