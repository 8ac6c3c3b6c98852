/* sqlparse.c - see sqlparse.h. */
#include "dbhook/sqlparse.h"

#include <cjson/cJSON.h>
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sqlscan.h"

/* The 1-based line of `at`, counted on from the last one asked. */
static int line_at(struct dbh_sqlparse *out, const char *sql, const char *at)
{
	size_t to = (size_t)(at - sql);

	if (to < out->at) { /* never in file order; start over */
		out->at = 0;
		out->at_line = 1;
	}
	for (const char *p = sql + out->at; p < at; p++)
		out->at_line += *p == '\n';
	out->at = to;
	return out->at_line;
}

static struct dbh_pstmt *add(struct dbh_sqlparse *out, const char *sql,
			     size_t from, size_t to)
{
	struct dbh_pstmt *s;
	const char *first = dbh_sql_skip_blank(sql + from, sql + to);

	out->s = dbh_xrealloc(out->s, out->n + 1, sizeof(*out->s));
	s = &out->s[out->n++];
	memset(s, 0, sizeof(*s));
	s->kind = "";
	s->lead = from;
	s->nlead = (size_t)(first - (sql + from));
	s->line = line_at(out, sql, first);
	return s;
}

static void keep_tree(struct dbh_sqlparse *out, cJSON *tree)
{
	out->trees =
	    dbh_xrealloc(out->trees, out->ntrees + 1, sizeof(*out->trees));
	out->trees[out->ntrees++] = tree;
}

/* libpg_query omits fields that hold their default: a missing
 * stmt_location is 0. */
static size_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (size_t)v->valuedouble
						       : 0;
}

/* Parses sql[base..base+len) (a NUL-terminated copy when it is a part of
 * the file) and adds its statements. Returns 0, or -1 with nothing added
 * when the grammar rejects it (`e` then holds the message). */
static int parse_part(const char *sql, size_t base, size_t len,
		      struct dbh_sqlparse *out, char *emsg, size_t emsgsz)
{
	char *copy = dbh_xstrndup(sql + base, len);
	PgQueryParseResult r = pg_query_parse(copy);
	cJSON *tree = NULL, *stmts;
	int ret = -1;

	free(copy);
	if (r.error) {
		snprintf(emsg, emsgsz, "%s",
			 r.error->message ? r.error->message
					  : "not understood");
		goto out;
	}
	tree = cJSON_Parse(r.parse_tree);
	if (!tree)
		dbh_oom();
	keep_tree(out, tree);
	ret = 0;
	stmts = cJSON_GetObjectItemCaseSensitive(tree, "stmts");
	for (const cJSON *raw = stmts ? stmts->child : NULL; raw;
	     raw = raw->next) {
		const cJSON *node =
		    cJSON_GetObjectItemCaseSensitive(raw, "stmt");
		size_t at = base + num(raw, "stmt_location");
		size_t n = num(raw, "stmt_len");
		struct dbh_pstmt *s =
		    add(out, sql, at, n ? at + n : base + len);

		s->node = node;
		s->kind = node && node->child && node->child->string
			      ? node->child->string
			      : "";
	}
out:
	pg_query_free_parse_result(r);
	return ret;
}

/* The whole file was rejected: split it where its statements end (our
 * own scanner: libpg_query's gives up on the lexical errors newer
 * syntax causes, and drops statements that do not start with a keyword)
 * and parse each statement alone. */
static void parse_each(const char *sql, size_t len, struct dbh_sqlparse *out)
{
	size_t *ends, n = dbh_sql_split(sql, len, &ends), from = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t to = i < n ? ends[i] : len;
		char emsg[200];

		if (dbh_sql_skip_blank(sql + from, sql + to) < sql + to &&
		    parse_part(sql, from, to - from, out, emsg, sizeof(emsg))) {
			struct dbh_pstmt *s = add(out, sql, from, to);

			snprintf(s->error, sizeof(s->error), "%s", emsg);
		}
		from = to + 1;
	}
	free(ends);
}

void dbh_sql_parse(const char *sql, size_t len, struct dbh_sqlparse *out)
{
	char emsg[200];

	memset(out, 0, sizeof(*out));
	out->at_line = 1;
	if (parse_part(sql, 0, len, out, emsg, sizeof(emsg)))
		parse_each(sql, len, out);
}

void dbh_sqlparse_release(struct dbh_sqlparse *p)
{
	for (size_t i = 0; i < p->ntrees; i++)
		cJSON_Delete(p->trees[i]);
	free(p->trees);
	free(p->s);
	memset(p, 0, sizeof(*p));
}
