/* safetyfacts.c - see safetyfacts.h. */
#include "dbhook/safetyfacts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sbuf.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static size_t want(struct dbh_relref **v, size_t *n, const char *schema,
		   const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (same((*v)[i].schema, schema) &&
		    strcmp((*v)[i].name, name) == 0)
			return i;
	*v = dbh_xrealloc(*v, *n + 1, sizeof(**v));
	(*v)[*n].schema = schema ? dbh_xstrdup(schema) : NULL;
	(*v)[*n].name = dbh_xstrdup(name);
	(*v)[*n].probe_rows = 0;
	return (*n)++;
}

size_t dbh_facts_want_table(struct dbh_facts_req *r, const char *schema,
			    const char *name)
{
	return want(&r->t, &r->nt, schema, name);
}

size_t dbh_facts_want_index(struct dbh_facts_req *r, const char *schema,
			    const char *name)
{
	return want(&r->ix, &r->nix, schema, name);
}

size_t dbh_facts_want_nulls(struct dbh_facts_req *r, size_t table,
			    const char *column)
{
	for (size_t i = 0; i < r->nnp; i++)
		if (r->np[i].table == table &&
		    strcmp(r->np[i].column, column) == 0)
			return i;
	r->np = dbh_xrealloc(r->np, r->nnp + 1, sizeof(*r->np));
	r->np[r->nnp].table = table;
	r->np[r->nnp].column = dbh_xstrdup(column);
	return r->nnp++;
}

void dbh_facts_want_function(struct dbh_facts_req *r, const char *name)
{
	for (size_t i = 0; i < r->nfn; i++)
		if (strcmp(r->fn[i], name) == 0)
			return;
	r->fn = dbh_xrealloc(r->fn, r->nfn + 1, sizeof(*r->fn));
	r->fn[r->nfn++] = dbh_xstrdup(name);
}

static void free_refs(struct dbh_relref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].schema);
		free(v[i].name);
	}
	free(v);
}

void dbh_facts_req_release(struct dbh_facts_req *r)
{
	free_refs(r->t, r->nt);
	free_refs(r->ix, r->nix);
	for (size_t i = 0; i < r->nnp; i++)
		free(r->np[i].column);
	free(r->np);
	for (size_t i = 0; i < r->nfn; i++)
		free(r->fn[i]);
	free(r->fn);
	memset(r, 0, sizeof(*r));
}

/* A string literal as the server reads it (libpq knows its
 * standard_conforming_strings), or NULL. */
static void add_lit(struct dbh_sbuf *b, PGconn *pg, const char *s)
{
	char *q;

	if (!s) {
		dbh_sbuf_add(b, "NULL::text");
		return;
	}
	q = PQescapeLiteral(pg, s, strlen(s));
	if (!q)
		dbh_oom();
	dbh_sbuf_add(b, q);
	PQfreemem(q);
}

/* want / ix: (i, nsp, rel, probe) rows; an empty list is a query that
 * returns none. */
static void add_refs(struct dbh_sbuf *b, PGconn *pg, const char *name,
		     const struct dbh_relref *v, size_t n)
{
	dbh_sbuf_addf(b, "%s(i, nsp, rel, probe) AS (", name);
	if (n == 0)
		dbh_sbuf_add(b, "SELECT 0, NULL::text, NULL::text, false "
				"WHERE false");
	for (size_t i = 0; i < n; i++) {
		dbh_sbuf_addf(b, "%s(%zu, ", i ? ", " : "VALUES ", i);
		add_lit(b, pg, v[i].schema);
		dbh_sbuf_add(b, ", ");
		add_lit(b, pg, v[i].name);
		dbh_sbuf_add(b, v[i].probe_rows ? ", true)" : ", false)");
	}
	dbh_sbuf_add(b, ")");
}

/* An exact probe: a SELECT returning one boolean x, run by the server
 * from text (query_to_xml), so a table that turns out to be missing
 * costs nothing and cannot fail the whole query. */
#define PROBE(sql)                                                             \
	"(xpath('/row/x/text()', query_to_xml(" sql                            \
	", false, true, '')))[1]::text::boolean"

/* The part after the request's lists. `S` stands for the default
 * schema; the lists are `want`, `ix`, `np` and the function names `fns`.
 * Sizes: total bytes with indexes and TOAST; rows: the planner's estimate
 * (reltuples, -1 before the first ANALYZE on PG 14+), else the statistics
 * collector's live rows. */
static const char facts_sql[] =
    " , t AS ("
    "  SELECT w.i, w.probe, c.oid, w.nsp, w.rel, c.relkind,"
    "   c.reltuples::bigint AS est, s.n_live_tup AS live,"
    "   pg_total_relation_size(c.oid) AS bytes,"
    "   pg_relation_size(c.oid) AS heap"
    "  FROM want w JOIN pg_namespace n ON n.nspname = w.nsp"
    "  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.rel"
    "   AND c.relkind IN ('r', 'p', 'm', 'v', 'f')"
    "  LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid)"
    " SELECT json_build_object("
    "  'server_version_num', "
    "current_setting('server_version_num')::int,"
    "  'server_version', current_setting('server_version'),"
    "  'can_read_all_stats',"
    "   pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'),"
    "  'volatility', (SELECT json_object_agg(proname, v) FROM"
    "   (SELECT proname, max(provolatile::text) AS v FROM pg_proc"
    "    WHERE proname = ANY (fns) GROUP BY proname) f),"
    "  'tables', (SELECT coalesce(json_agg(json_build_object("
    "   'i', t.i, 'schema', t.nsp, 'name', t.rel, 'kind', t.relkind,"
    "   'rows', CASE WHEN t.est >= 0 THEN t.est ELSE t.live END,"
    "   'bytes', t.bytes,"
    "   'has_rows', CASE WHEN t.probe AND t.relkind IN ('r', 'p', 'm') "
    "THEN " PROBE(
	"format('SELECT EXISTS (SELECT 1 FROM %I.%I) AS x', t.nsp, "
	"t.rel)") " END,"
		  "   'columns', (SELECT json_agg(json_build_object("
		  "     'name', a.attname, 'type', "
		  "format_type(a.atttypid, a.atttypmod),"
		  "     'not_null', a.attnotnull, 'default', "
		  "pg_get_expr(d.adbin, d.adrelid),"
		  "     'null_frac', ps.null_frac) ORDER BY a.attnum)"
		  "    FROM pg_attribute a LEFT JOIN pg_attrdef d"
		  "     ON d.adrelid = a.attrelid AND d.adnum = "
		  "a.attnum"
		  "    LEFT JOIN pg_stats ps ON ps.schemaname = t.nsp"
		  "     AND ps.tablename = t.rel AND ps.attname = "
		  "a.attname"
		  "    WHERE a.attrelid = t.oid AND a.attnum > 0 AND "
		  "NOT a.attisdropped),"
		  "   'indexes', (SELECT json_agg(json_build_object("
		  "     'name', ic.relname, 'valid', i.indisvalid,"
		  "     'def', pg_get_indexdef(i.indexrelid)) ORDER BY "
		  "ic.relname)"
		  "    FROM pg_index i JOIN pg_class ic ON ic.oid = "
		  "i.indexrelid"
		  "    WHERE i.indrelid = t.oid),"
		  "   'checks', (SELECT "
		  "json_agg(pg_get_constraintdef(co.oid))"
		  "    FROM pg_constraint co WHERE co.conrelid = t.oid"
		  "     AND co.contype = 'c' AND co.convalidated),"
		  "   'referenced_by', (SELECT "
		  "json_agg(co.conrelid::regclass::text"
		  "     ORDER BY 1) FROM pg_constraint co"
		  "    WHERE co.confrelid = t.oid AND co.contype = 'f'"
		  "     AND co.conrelid <> t.oid),"
		  "   'views', (SELECT json_agg(DISTINCT "
		  "v.oid::regclass::text)"
		  "    FROM pg_depend dep JOIN pg_rewrite r ON r.oid = "
		  "dep.objid"
		  "    JOIN pg_class v ON v.oid = r.ev_class"
		  "    WHERE dep.refobjid = t.oid AND dep.classid = "
		  "'pg_rewrite'::regclass"
		  "     AND v.oid <> t.oid))), '[]') FROM t),"
		  "  'indexes', (SELECT "
		  "coalesce(json_agg(json_build_object("
		  "    'i', ix.i, 'schema', tn.nspname, 'table', "
		  "tc.relname,"
		  "    'rows', greatest(tc.reltuples::bigint, 0),"
		  "    'bytes', pg_total_relation_size(tc.oid))), '[]')"
		  "   FROM ix JOIN pg_namespace n ON n.nspname = ix.nsp"
		  "   JOIN pg_class ic ON ic.relnamespace = n.oid AND "
		  "ic.relname = ix.rel"
		  "    AND ic.relkind IN ('i', 'I')"
		  "   JOIN pg_index i ON i.indexrelid = ic.oid"
		  "   JOIN pg_class tc ON tc.oid = i.indrelid"
		  "   JOIN pg_namespace tn ON tn.oid = "
		  "tc.relnamespace),"
		  /* NULLs are looked for only where it is cheap: a
		   * small table, or one whose statistics saw NULLs
		   * (then one is found quickly). */
		  "  'nulls', (SELECT "
		  "coalesce(json_agg(json_build_object("
		  "    'i', np.i, 'has_nulls', CASE WHEN t.heap < 64 * "
		  "1024 * 1024"
		  "     OR coalesce(ps.null_frac, 0) > 0 THEN " PROBE(
		      "format('SELECT EXISTS (SELECT 1 FROM %I.%I "
		      "WHERE %I IS NULL) AS x',"
		      " t.nsp, t.rel, np.col)") " END)), '[]')"
						"   FROM np JOIN t ON "
						"t.i = np.t"
						"   LEFT JOIN pg_stats "
						"ps ON ps.schemaname = "
						"t.nsp"
						"    AND ps.tablename "
						"= t.rel AND "
						"ps.attname = np.col"
						"   WHERE t.relkind IN "
						"('r', 'p') AND EXISTS "
						"(SELECT 1 FROM "
						"pg_attribute a"
						"    WHERE a.attrelid "
						"= t.oid AND a.attname "
						"= np.col AND a.attnum "
						"> 0"
						"     AND NOT "
						"a.attisdropped)),"
						/* Sessions that would
						 * make our DDL wait,
						 * and all traffic
						 * behind it: whoever
						 * holds a lock on a
						 * touched table, and
						 * old or
						 * idle-in-transaction
						 * transactions anywhere
						 * in this database. */
						"  'lock_holders', "
						"(SELECT "
						"coalesce(json_agg("
						"json_build_object("
						"    'pid', h.pid, "
						"'table', h.tbl, "
						"'mode', h.mode, "
						"'state', h.state,"
						"    'xact_age_s', "
						"h.age, 'app', h.app, "
						"'query', h.query)"
						"    ORDER BY h.pid, "
						"h.tbl), '[]') FROM "
						"(SELECT DISTINCT ON "
						"(l.pid, t.i)"
						"    l.pid, t.nsp || "
						"'.' || t.rel AS tbl, "
						"l.mode, a.state,"
						"    "
						"round(extract(epoch "
						"FROM now() - "
						"a.xact_start))::"
						"bigint AS age,"
						"    "
						"a.application_name AS "
						"app, left(a.query, "
						"120) AS query"
						"    FROM pg_locks l "
						"JOIN t ON l.relation "
						"= t.oid"
						"    LEFT JOIN "
						"pg_stat_activity a ON "
						"a.pid = l.pid"
						"    WHERE l.granted "
						"AND l.pid <> "
						"pg_backend_pid()"
						"     AND l.database = "
						"(SELECT oid FROM "
						"pg_database"
						"      WHERE datname = "
						"current_database())) "
						"h),"
						"  'long_xacts', "
						"(SELECT "
						"coalesce(json_agg("
						"json_build_object("
						"    'pid', a.pid, "
						"'state', a.state,"
						"    'xact_age_s', "
						"round(extract(epoch "
						"FROM now() - "
						"a.xact_start)),"
						"    'app', "
						"a.application_name, "
						"'query', "
						"left(a.query, 120))"
						"    ORDER BY "
						"a.xact_start), '[]')"
						"   FROM "
						"pg_stat_activity a"
						"   WHERE a.datname = "
						"current_database() "
						"AND a.pid <> "
						"pg_backend_pid()"
						"    AND "
						"a.backend_type = "
						"'client backend'"
						"    AND a.xact_start "
						"< now() - "
						"make_interval(secs => "
						"lx))"
						" ) AS facts FROM cfg";

static char *build(PGconn *pg, const struct dbh_facts_req *r,
		   const char *schema, double long_xact_s)
{
	struct dbh_sbuf b = {0};

	dbh_sbuf_add(&b, "WITH cfg AS (SELECT ");
	if (schema)
		add_lit(&b, pg, schema);
	else
		dbh_sbuf_add(&b, "current_schema()::text");
	dbh_sbuf_addf(&b, " AS s, %.0f::float8 AS lx, ARRAY[", long_xact_s);
	for (size_t i = 0; i < r->nfn; i++) {
		dbh_sbuf_add(&b, i ? ", " : "");
		add_lit(&b, pg, r->fn[i]);
	}
	dbh_sbuf_add(&b, "]::text[] AS fns), ");
	add_refs(&b, pg, "w0", r->t, r->nt);
	dbh_sbuf_add(&b, ", want AS (SELECT w0.i, coalesce(w0.nsp, cfg.s) AS "
			 "nsp, w0.rel, w0.probe FROM w0, cfg), ");
	add_refs(&b, pg, "x0", r->ix, r->nix);
	dbh_sbuf_add(&b, ", ix AS (SELECT x0.i, coalesce(x0.nsp, cfg.s) AS "
			 "nsp, x0.rel FROM x0, cfg), np(i, t, col) AS (");
	if (r->nnp == 0)
		dbh_sbuf_add(&b, "SELECT 0, 0, NULL::text WHERE false");
	for (size_t i = 0; i < r->nnp; i++) {
		dbh_sbuf_addf(&b, "%s(%zu, %zu, ", i ? ", " : "VALUES ", i,
			      r->np[i].table);
		add_lit(&b, pg, r->np[i].column);
		dbh_sbuf_add(&b, ")");
	}
	dbh_sbuf_add(&b, ")");
	dbh_sbuf_add(&b, facts_sql);
	return b.s;
}

struct cJSON *dbh_facts_read(struct dbh_conn *c, const struct dbh_facts_req *r,
			     const char *schema, double long_xact_s, char *why,
			     size_t whysz)
{
	char *sql = build(c->pg, r, schema, long_xact_s);
	/* Its own short timeouts, for this one implicit transaction. */
	struct dbh_stmt s[3] = {{"SET LOCAL lock_timeout = '2s'",
				 "cannot read the live facts", NULL},
				{"SET LOCAL statement_timeout = '20s'",
				 "cannot read the live facts", NULL},
				{sql, "cannot read the live facts", NULL}};
	struct dbh_error err;
	cJSON *facts = NULL;

	dbh_error_clear(&err);
	if (dbh_conn_exec_all(c, s, 3, &err) == 0 && PQntuples(s[2].res) == 1 &&
	    !PQgetisnull(s[2].res, 0, 0))
		facts = cJSON_Parse(PQgetvalue(s[2].res, 0, 0));
	if (!facts)
		snprintf(why, whysz, "%s",
			 err.message[0] ? err.message
					: "the database gave no answer");
	dbh_stmts_clear(s, 3);
	free(sql);
	return facts;
}
