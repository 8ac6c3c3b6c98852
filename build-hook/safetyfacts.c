/* safetyfacts.c - see safetyfacts.h. */
#include "dbhook/safetyfacts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbh_facts_sql.h"
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

/* The query after the request's lists: build-hook/safetyfacts.sql,
 * embedded by meson. */
static const char facts_sql[] = DBH_FACTS_SQL;

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
	dbh_sbuf_add(&b, ")\n");
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
