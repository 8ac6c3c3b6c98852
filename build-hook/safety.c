/* safety.c - see safety.h: the rule list, the check's two walks around
 * one query, and how findings are shown. */
#include "dbhook/safety.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sbuf.h"
#include "dbhook/secrets.h"
#include "dbhook/safetyfacts.h"
#include "dbhook/safetyrules.h"

const struct dbh_rule dbh_rules[] = {
    {"DH101", "drop-column", "drops a column of an existing table"},
    {"DH102", "drop-table", "drops an existing table"},
    {"DH103", "rename", "renames a column or a table"},
    {"DH104", "drop-add-rename", "drops a column, adds one: Prisma's rename"},
    {"DH105", "add-required", "adds a NOT NULL column without a default"},
    {"DH106", "drop-not-null", "makes a column nullable"},
    {"DH107", "type-change", "changes a column's type (rewrite or not)"},
    {"DH108", "enum-change", "adds an enum value, renames or recreates one"},
    {"DH201", "index-lock", "index built or dropped without CONCURRENTLY"},
    {"DH202", "table-rewrite", "a default or column that rewrites the table"},
    {"DH203", "not-null-scan", "SET NOT NULL without a validated CHECK"},
    {"DH204", "constraint-scan", "FK, CHECK or UNIQUE checked under a lock"},
    {"DH205", "lock-pileup", "several locks, or a backfill, in one file"},
    {"DH206", "maintenance-lock", "TRUNCATE, VACUUM FULL, CLUSTER, REINDEX..."},
    {"DH301", "will-fail", "certain to fail on this database"},
    {"DH302", "concurrently-in-transaction",
     "CONCURRENTLY in a file of several statements"},
    {"DH303", "invalid-index", "an invalid index on a table being changed"},
    {"DH401", "lock-holders", "sessions holding locks, long transactions"},
    {"DH402", "not-analysed", "a statement PostgreSQL 15 cannot parse"},
    {"DH404", "bad-directive", "a dbhook:ignore comment that cannot be used"},
    {NULL, NULL, NULL}};

const struct dbh_rule *dbh_rule_find(const char *id)
{
	for (const struct dbh_rule *r = dbh_rules; r->id; r++)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

void dbh_safety_rules_help(struct dbh_sbuf *b)
{
	dbh_sbuf_add(b, "\nRules:\n");
	for (const struct dbh_rule *r = dbh_rules; r->id; r++)
		dbh_sbuf_addf(b, "  %s %-27s %s\n", r->id, r->name, r->what);
}

const char *dbh_sev_name(enum dbh_sev s)
{
	return s == DBH_SEV_ERROR     ? "error"
	       : s == DBH_SEV_WARNING ? "warning"
				      : "info";
}

static int by_place(const void *a, const void *b)
{
	const struct dbh_finding *x = a, *y = b;

	if (x->mi != y->mi)
		return x->mi < y->mi ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->rule->id, y->rule->id);
}

/* One walk over the pending migrations, each parsed just for its turn. */
static void walk(struct dbh_safety_walk *w, struct dbh_migration *const *ms,
		 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dbh_safety_mig mig = {.m = ms[i]};

		dbh_sql_parse(ms[i]->sql, ms[i]->len, &mig.p);
		dbh_safety_walk_file(w, i, &mig);
		dbh_sqlparse_release(&mig.p);
	}
	dbh_safety_walk_end(w);
}

void dbh_safety_check(struct dbh_migration *const *ms, size_t n,
		      const struct dbh_safety_opts *o, struct dbh_safety *out)
{
	struct dbh_facts_req req = {0};
	struct dbh_safety_walk w = {1, &req, NULL, out, NULL};
	cJSON *facts = NULL;

	memset(out, 0, sizeof(*out));
	out->migrations = n;
	if (o->conn) {
		char why[600];

		walk(&w, ms, n); /* what to ask */
		facts = dbh_facts_read(o->conn, &req, o->schema, o->long_xact_s,
				       why, sizeof(why));
		if (facts) {
			const char *v = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(facts,
							     "server_version"));

			out->live = 1;
			out->server_version = v ? dbh_xstrdup(v) : NULL;
			out->partial_view =
			    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				facts, "can_read_all_stats"));
		} else {
			out->offline_why = dbh_xstrdup(why);
		}
	}
	w.collecting = 0;
	w.facts = facts;
	walk(&w, ms, n); /* the verdicts */
	if (out->n)
		qsort(out->f, out->n, sizeof(*out->f), by_place);
	cJSON_Delete(facts);
	dbh_facts_req_release(&req);
}

void dbh_safety_release(struct dbh_safety *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].file);
		free(s->f[i].migration);
		free(s->f[i].message);
		free(s->f[i].fix);
		free(s->f[i].silenced);
	}
	free(s->f);
	free(s->offline_why);
	free(s->server_version);
	memset(s, 0, sizeof(*s));
}

void dbh_safety_counts(const struct dbh_safety *s, char *buf, size_t bufsz)
{
	static const char *const one[] = {"info", "warning", "error"};
	size_t used = 0;

	buf[0] = '\0';
	for (int v = DBH_SEV_ERROR; v >= DBH_SEV_INFO; v--) {
		size_t c = s->count[v];

		if (c && used < bufsz)
			used += (size_t)snprintf(
			    buf + used, bufsz - used, "%s%zu %s%s",
			    used ? ", " : "", c, one[v],
			    c == 1 || v == DBH_SEV_INFO ? "" : "s");
	}
	if (!used)
		snprintf(buf, bufsz, "no findings");
	if (s->silenced && used < bufsz)
		snprintf(buf + strlen(buf), bufsz - strlen(buf),
			 ", %zu silenced", s->silenced);
}

/* Whether a DH401 finding names sessions (whose details this role may
 * not see). */
static int holders(const struct dbh_safety *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->f[i].rule->id, "DH401") == 0)
			return 1;
	return 0;
}

void dbh_safety_report(const struct dbh_safety *s,
		       const struct dbh_reporter *rep)
{
	char counts[160];

	dbh_safety_counts(s, counts, sizeof(counts));
	dbh_report(rep,
		   s->count[DBH_SEV_ERROR] || s->count[DBH_SEV_WARNING]
		       ? DBH_RESULT
		       : DBH_INFO,
		   "Safety check of %zu %smigration%s: %s (%s)", s->migrations,
		   s->live || s->offline_why ? "pending " : "",
		   s->migrations == 1 ? "" : "s", counts,
		   s->live ? "with live sizes and locks from the database"
			   : "offline: table sizes and locks unknown");
	if (s->offline_why)
		dbh_report(rep, DBH_NOTE,
			   "the safety check could not read the database, so "
			   "it judged the SQL alone: %s",
			   s->offline_why);
	if (s->live && s->partial_view && holders(s))
		dbh_report(rep, DBH_NOTE,
			   "this role cannot see other sessions' details: lock "
			   "holders are named by pid only (GRANT "
			   "pg_read_all_stats TO the role to see more)");
	for (size_t i = 0; i < s->n; i++) {
		const struct dbh_finding *f = &s->f[i];

		if (f->silenced)
			continue;
		dbh_report(rep, f->sev == DBH_SEV_INFO ? DBH_INFO : DBH_RESULT,
			   "%s:%d: %s %s (%s): %s%s%s", f->file, f->line,
			   dbh_sev_name(f->sev), f->rule->id, f->rule->name,
			   f->message, f->fix ? "\n  fix: " : "",
			   f->fix ? f->fix : "");
	}
	dbh_safety_annotate(s, rep);
}

void dbh_safety_annotate(const struct dbh_safety *s,
			 const struct dbh_reporter *rep)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct dbh_finding *f = &s->f[i];
		char title[64], text[1600];
		struct dbh_annotation a = {f->sev == DBH_SEV_ERROR ? "error"
					   : f->sev == DBH_SEV_WARNING
					       ? "warning"
					       : "notice",
					   f->file, f->line, title, text};

		if (f->silenced)
			continue;
		snprintf(title, sizeof(title), "%s %s", f->rule->id,
			 f->rule->name);
		snprintf(text, sizeof(text), "%s%s%s", f->message,
			 f->fix ? "\nfix: " : "", f->fix ? f->fix : "");
		dbh_report_annotation(rep, &a);
	}
}

cJSON *dbh_safety_json(const struct dbh_safety *s)
{
	cJSON *o = cJSON_CreateObject(), *sum, *list;

	if (!o)
		dbh_oom();
	sum = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(sum, "migrations", (double)s->migrations);
	cJSON_AddNumberToObject(sum, "errors", (double)s->count[DBH_SEV_ERROR]);
	cJSON_AddNumberToObject(sum, "warnings",
				(double)s->count[DBH_SEV_WARNING]);
	cJSON_AddNumberToObject(sum, "notes", (double)s->count[DBH_SEV_INFO]);
	cJSON_AddNumberToObject(sum, "silenced", (double)s->silenced);
	cJSON_AddBoolToObject(o, "live", s->live);
	if (s->offline_why)
		cJSON_AddStringToObject(o, "offline_reason", s->offline_why);
	else
		cJSON_AddNullToObject(o, "offline_reason");
	if (s->server_version)
		cJSON_AddStringToObject(o, "server_version", s->server_version);
	else
		cJSON_AddNullToObject(o, "server_version");
	cJSON_AddBoolToObject(o, "partial_view", s->live && s->partial_view);
	list = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; list && i < s->n; i++) {
		const struct dbh_finding *f = &s->f[i];
		cJSON *j = cJSON_CreateObject();

		if (!j)
			dbh_oom();
		cJSON_AddStringToObject(j, "rule", f->rule->id);
		cJSON_AddStringToObject(j, "name", f->rule->name);
		cJSON_AddStringToObject(j, "severity", dbh_sev_name(f->sev));
		cJSON_AddStringToObject(j, "file", f->file);
		cJSON_AddStringToObject(j, "migration", f->migration);
		cJSON_AddNumberToObject(j, "line", f->line);
		cJSON_AddStringToObject(j, "message", f->message);
		if (f->fix)
			cJSON_AddStringToObject(j, "fix", f->fix);
		else
			cJSON_AddNullToObject(j, "fix");
		if (f->silenced)
			cJSON_AddStringToObject(j, "silenced", f->silenced);
		else
			cJSON_AddNullToObject(j, "silenced");
		cJSON_AddItemToArray(list, j);
	}
	/* Findings quote the migration files and the server: the one
	 * redaction, as every JSON this program prints passes. */
	dbh_secrets_scrub_json(o);
	return o;
}
