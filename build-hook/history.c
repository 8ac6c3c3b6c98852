/* history.c - reading and creating _prisma_migrations. */
#include "dbhook/history.h"

#include "dbhook/alloc.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For qsort_r-free sorting: the rows being indexed. */
static const struct dbh_hrow *sort_rows;

/* By name, then by started_at (ISO 8601 in UTC: text order is time
 * order; the lean read leaves it empty but for unfinished rows), then in
 * the query's order. */
static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_rows[x].name, sort_rows[y].name);

	if (!c)
		c = strcmp(sort_rows[x].started_at, sort_rows[y].started_at);
	return c ? c : (x > y) - (x < y);
}

static int cmp_started(const void *a, const void *b)
{
	const struct dbh_hrow *x = *(const struct dbh_hrow *const *)a,
			      *y = *(const struct dbh_hrow *const *)b;
	int c = strcmp(x->started_at, y->started_at);

	return c ? c : strcmp(x->name, y->name);
}

const struct dbh_hrow **dbh_history_unfinished(const struct dbh_history *h,
					       size_t *n)
{
	const struct dbh_hrow **v = NULL;

	*n = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct dbh_hrow *r = &h->rows[i];

		if (r->finished_at || r->rolled_back_at)
			continue;
		v = dbh_xrealloc(v, *n + 1, sizeof(*v));
		v[(*n)++] = r;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_started);
	return v;
}

static void index_by_name(struct dbh_history *h)
{
	h->by_name = dbh_xcalloc(h->n + 1, sizeof(*h->by_name));
	for (size_t i = 0; i < h->n; i++)
		h->by_name[i] = i;
	sort_rows = h->rows;
	qsort(h->by_name, h->n, sizeof(*h->by_name), cmp_index);
}

/* Every value of the result in one block, six a row: for 1000 rows one
 * allocation instead of 6000 (and as many frees), on the path every
 * build's no-op deploy takes. Returns the copy of (row, col) or NULL;
 * `*at` moves past it. */
static char *copy_or_null(const PGresult *res, int row, int col, char **at)
{
	char *s = *at;
	size_t len;

	if (PQgetisnull(res, row, col))
		return NULL;
	len = (size_t)PQgetlength(res, row, col);
	memcpy(s, PQgetvalue(res, row, col), len);
	s[len] = '\0';
	*at = s + len + 1;
	return s;
}

/* Timestamps as ISO 8601 in UTC, whatever the server's TimeZone. */
#define ISO(col)                                                               \
	"to_char(" col " AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The lean form, for the no-op deploy that every build pays: the full
 * columns only for unfinished rows (what check_failed shows), and for the
 * others empty strings that keep the NULL-ness the states are read from.
 * With 1000 applied migrations it moves a fifth of the bytes. */
#define LEAN_COLUMNS                                                           \
	"migration_name, "                                                     \
	"CASE WHEN finished_at IS NULL AND rolled_back_at IS NULL "            \
	"THEN checksum ELSE '' END, "                                          \
	"CASE WHEN finished_at IS NULL AND rolled_back_at IS NULL "            \
	"THEN " ISO(                                                           \
	    "started_at") " ELSE '' END, "                                     \
			  "CASE WHEN finished_at IS NOT NULL THEN '' END, "    \
			  "CASE WHEN rolled_back_at IS NOT NULL THEN '' END, " \
			  "CASE WHEN finished_at IS NULL AND rolled_back_at "  \
			  "IS NULL "                                           \
			  "THEN left(logs, 2000) END"
#define FULL_COLUMNS                                                           \
	"migration_name, checksum, " ISO("started_at") ", " ISO(               \
	    "finished_at") ", " ISO("rolled_back_at") ", left(logs, 2000)"

char *dbh_history_sql(const struct dbh_conn *c, int lean)
{
	if (lean) /* unsorted: see dbh_history_read_states */
		return dbh_xasprintf("SELECT %s FROM %s", LEAN_COLUMNS,
				     c->table);
	return dbh_xasprintf(
	    "SELECT %s FROM %s ORDER BY started_at, migration_name",
	    FULL_COLUMNS, c->table);
}

int dbh_history_from(struct dbh_conn *c, const PGresult *res,
		     struct dbh_history *h, struct dbh_error *err)
{
	size_t size = 0;
	char *at;
	int n;

	memset(h, 0, sizeof(*h));
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		/* 42P01 undefined_table, 3F000 the URL's schema is missing:
		 * both mean no history yet. */
		if (state && (strcmp(state, "42P01") == 0 ||
			      strcmp(state, "3F000") == 0))
			return 0;
		return dbh_conn_result_error(
		    c, res, err, "cannot read the migration history");
	}
	h->exists = 1;
	n = PQntuples(res);
	h->rows = dbh_xcalloc((size_t)n + 1, sizeof(*h->rows));
	for (int i = 0; i < n; i++)
		for (int col = 0; col < 6; col++)
			size += (size_t)PQgetlength(res, i, col) + 1;
	at = h->text = dbh_xmalloc(size);
	for (int i = 0; i < n; i++) {
		struct dbh_hrow *r = &h->rows[i];

		r->name = copy_or_null(res, i, 0, &at);
		r->checksum = copy_or_null(res, i, 1, &at);
		r->started_at = copy_or_null(res, i, 2, &at);
		r->finished_at = copy_or_null(res, i, 3, &at);
		r->rolled_back_at = copy_or_null(res, i, 4, &at);
		r->logs = copy_or_null(res, i, 5, &at);
		h->n++;
		/* Prisma's table declares these NOT NULL; a table made by
		 * hand without that is refused, not read half. */
		if (!r->name || !r->checksum || !r->started_at) {
			dbh_history_release(h);
			return dbh_error_set(err, DBH_EFAILED,
					     "%s has a row without a name, "
					     "checksum or started_at",
					     c->table);
		}
	}
	index_by_name(h);
	return 0;
}

static int read_rows(struct dbh_conn *c, struct dbh_history *h, int lean,
		     struct dbh_error *err)
{
	char *sql = dbh_history_sql(c, lean);
	PGresult *res = PQexec(c->pg, sql);
	int ret = dbh_history_from(c, res, h, err);

	PQclear(res);
	free(sql);
	return ret;
}

int dbh_history_read(struct dbh_conn *c, struct dbh_history *h,
		     struct dbh_error *err)
{
	return read_rows(c, h, 0, err);
}

int dbh_history_read_states(struct dbh_conn *c, struct dbh_history *h,
			    struct dbh_error *err)
{
	return read_rows(c, h, 1, err);
}

void dbh_history_release(struct dbh_history *h)
{
	free(h->text);
	free(h->rows);
	free(h->by_name);
	memset(h, 0, sizeof(*h));
}

enum dbh_state dbh_history_state(const struct dbh_history *h, const char *name,
				 const struct dbh_hrow **row)
{
	const struct dbh_hrow *failed = NULL, *rolled = NULL;
	size_t lo = 0, hi = h->n;

	*row = NULL;
	if (!h->by_name)
		return DBH_PENDING;
	while (lo < hi) { /* the first row of that name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(h->rows[h->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->n && strcmp(h->rows[h->by_name[lo]].name, name) == 0;
	     lo++) {
		const struct dbh_hrow *r = &h->rows[h->by_name[lo]];

		/* The last rolled-back row: of the full read, the newest. */
		if (r->rolled_back_at) {
			rolled = r;
			continue;
		}
		if (r->finished_at) {
			*row = r;
			return DBH_APPLIED;
		}
		if (!failed)
			failed = r;
	}
	*row = failed ? failed : rolled;
	return failed ? DBH_FAILED : rolled ? DBH_ROLLED_BACK : DBH_PENDING;
}

/* Prisma does not count PostGIS's own tables when it decides whether a
 * database is empty. */
#define POSTGIS_TABLES                                                         \
	"'spatial_ref_sys', 'geometry_columns', 'geography_columns', "         \
	"'raster_columns', 'raster_overviews'"

char *dbh_history_inspect_sql(struct dbh_conn *c)
{
	/* The URL's ?schema=, else the current schema: where the history
	 * lives once dbh_conn_setup has set the search path, found here
	 * without setting anything (dry runs and status change nothing). */
	const char *schema = c->ci ? c->ci->schema : NULL;
	char *lit =
	    schema ? PQescapeLiteral(c->pg, schema, strlen(schema)) : NULL;
	char *sql;

	if (schema && !lit)
		return NULL;
	sql = dbh_xasprintf(
	    "SELECT count(*) FILTER (WHERE c.relname = '_prisma_migrations'),"
	    " count(*) FILTER (WHERE c.relname <> '_prisma_migrations' AND"
	    " lower(c.relname) NOT IN (" POSTGIS_TABLES ")),"
	    " coalesce(%s, current_schema())"
	    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE c.relkind IN ('r', 'p') AND"
	    " n.nspname = coalesce(%s, current_schema())",
	    lit ? lit : "NULL", lit ? lit : "NULL");
	PQfreemem(lit);
	return sql;
}

int dbh_history_facts_from(struct dbh_conn *c, const PGresult *res,
			   struct dbh_schema_facts *f, struct dbh_error *err)
{
	memset(f, 0, sizeof(*f));
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return dbh_conn_result_error(c, res, err,
					     "cannot inspect the schema");
	f->exists = atoi(PQgetvalue(res, 0, 0)) > 0;
	f->others = atoi(PQgetvalue(res, 0, 1));
	snprintf(f->schema, sizeof(f->schema), "%s", PQgetvalue(res, 0, 2));
	return 0;
}

int dbh_history_inspect(struct dbh_conn *c, struct dbh_schema_facts *f,
			struct dbh_error *err)
{
	char *sql = dbh_history_inspect_sql(c);
	PGresult *res;
	int ret;

	if (!sql)
		return dbh_conn_result_error(c, NULL, err, "the URL's schema");
	res = PQexec(c->pg, sql);
	ret = dbh_history_facts_from(c, res, f, err);
	PQclear(res);
	free(sql);
	return ret;
}

int dbh_history_refuse_untracked(const struct dbh_schema_facts *f,
				 struct dbh_error *err)
{
	if (f->exists || f->others == 0)
		return 0;
	dbh_error_set(err, DBH_EUSAGE,
		      "schema \"%s\" is not empty and has no migration "
		      "history",
		      f->schema);
	dbh_error_detail(err,
			 "It holds %d table(s) but no _prisma_migrations "
			 "table, so applying the migrations could clash with "
			 "what is there (Prisma error P3005).",
			 f->others);
	dbh_error_hint(err, "Baseline it: if the first migrations already "
			    "exist in this database, run `dbhook deploy "
			    "--baseline NAME` to record every migration up "
			    "to NAME as applied without running it.");
	return DBH_EUSAGE;
}

int dbh_history_create(struct dbh_conn *c, struct dbh_error *err)
{
	char sql[1024];
	PGresult *res;

	snprintf(
	    sql, sizeof(sql),
	    "CREATE TABLE %s (\n"
	    "    id                      VARCHAR(36) PRIMARY KEY NOT NULL,\n"
	    "    checksum                VARCHAR(64) NOT NULL,\n"
	    "    finished_at             TIMESTAMPTZ,\n"
	    "    migration_name          VARCHAR(255) NOT NULL,\n"
	    "    logs                    TEXT,\n"
	    "    rolled_back_at          TIMESTAMPTZ,\n"
	    "    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	    "    applied_steps_count     INTEGER NOT NULL DEFAULT 0\n"
	    ")",
	    c->table);
	res = dbh_conn_exec(c, sql, err, "cannot create the history table");
	if (!res)
		return err->code;
	PQclear(res);
	return 0;
}

int dbh_history_ensure(struct dbh_conn *c, int allow_nonempty,
		       struct dbh_error *err)
{
	struct dbh_schema_facts f;
	int ret = dbh_history_inspect(c, &f, err);

	if (ret || f.exists)
		return ret;
	if (!allow_nonempty && (ret = dbh_history_refuse_untracked(&f, err)))
		return ret;
	return dbh_history_create(c, err);
}

void dbh_uuid4(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		/* RAND_bytes only fails without an entropy source; a row id
		 * needs uniqueness, not secrecy. */
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}
