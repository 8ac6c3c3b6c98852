/* conn.c - opening and preparing the session. */
#include "dbhook/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dbh_app_name(char *buf, size_t bufsz)
{
	const char *env = getenv("VERCEL_TARGET_ENV");
	const char *sha = getenv("VERCEL_GIT_COMMIT_SHA");

	if (!env || !*env)
		env = getenv("VERCEL_ENV");
	if (!env || !*env)
		env = "local";
	if (!sha || !*sha)
		sha = getenv("GITHUB_SHA");
	if (!sha || !*sha)
		sha = "local";
	snprintf(buf, bufsz, "dbhook/%.20s/%.7s", env, sha);
	return buf;
}

static void copy_scrubbed(const struct dbh_conninfo *ci, char *dst,
			  size_t dstsz, const char *src)
{
	size_t n;

	snprintf(dst, dstsz, "%s", src ? src : "");
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
	dbh_conninfo_scrub(ci, dst);
}

int dbh_conn_open(struct dbh_conn *c, const struct dbh_conninfo *ci,
		  const char *app_name, struct dbh_error *err)
{
	const char **kw, **val;
	size_t n = 0;
	char target[256];

	memset(c, 0, sizeof(*c));
	c->ci = ci;
	kw = calloc(ci->n + 2, sizeof(*kw));
	val = calloc(ci->n + 2, sizeof(*val));
	if (!kw || !val) {
		free(kw);
		free(val);
		return dbh_error_set(err, DBH_EUNREACH, "out of memory");
	}
	for (size_t i = 0; i < ci->n; i++) {
		if (strcmp(ci->keywords[i], "application_name") == 0)
			continue; /* ours names the deploy for lock holders */
		kw[n] = ci->keywords[i];
		val[n++] = ci->values[i];
	}
	kw[n] = "application_name";
	val[n++] = app_name;
	c->pg = PQconnectdbParams(kw, val, 0);
	free(kw);
	free(val);
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
		if (ci->schema) {
			char *q = PQescapeIdentifier(c->pg, ci->schema,
						     strlen(ci->schema));

			if (q &&
			    asprintf(&c->table, "%s._prisma_migrations", q) < 0)
				c->table = NULL;
			PQfreemem(q);
		} else {
			c->table = strdup("_prisma_migrations");
		}
		if (!c->table) {
			dbh_conn_close(c);
			return dbh_error_set(err, DBH_EUNREACH,
					     "out of memory");
		}
		return 0;
	}
	dbh_error_set(err, DBH_EUNREACH, "cannot connect to the database at %s",
		      dbh_conninfo_target(ci, target, sizeof(target)));
	copy_scrubbed(ci, err->detail, sizeof(err->detail),
		      c->pg ? PQerrorMessage(c->pg) : "out of memory");
	if (strstr(err->detail, "password authentication failed") ||
	    strstr(err->detail, "no password supplied"))
		dbh_error_hint(err, "Check the user name and password in the "
				    "database URL.");
	else if (strstr(err->detail, "does not exist"))
		dbh_error_hint(err, "Check the database name in the URL; "
				    "create the database first.");
	else
		dbh_error_hint(err, "Check that the database server is running "
				    "and reachable from here, then try again.");
	dbh_conn_close(c);
	return DBH_EUNREACH;
}

int dbh_conn_lost(const struct dbh_conn *c)
{
	return !c->pg || PQstatus(c->pg) != CONNECTION_OK;
}

int dbh_conn_result_error(struct dbh_conn *c, const PGresult *res,
			  struct dbh_error *err, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
	    res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char text[1024];
	int code = dbh_conn_lost(c) ? DBH_EUNREACH : DBH_EFAILED;

	copy_scrubbed(c->ci, text, sizeof(text),
		      msg ? msg : PQerrorMessage(c->pg));
	if (what && *what)
		dbh_error_set(err, code, "%s: %s", what, text);
	else
		dbh_error_set(err, code, "%s", text);
	if (state)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	if (res) {
		copy_scrubbed(c->ci, err->detail, sizeof(err->detail),
			      PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		copy_scrubbed(c->ci, err->hint, sizeof(err->hint),
			      PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
	}
	if (code == DBH_EUNREACH && !err->hint[0])
		dbh_error_hint(err, "The connection to the database was lost. "
				    "Run the command again once the database "
				    "is reachable.");
	return code;
}

PGresult *dbh_conn_exec(struct dbh_conn *c, const char *sql,
			struct dbh_error *err, const char *what)
{
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	dbh_conn_result_error(c, res, err, what);
	PQclear(res);
	return NULL;
}

int dbh_conn_setup(struct dbh_conn *c, int lock_timeout_ms,
		   struct dbh_error *err)
{
	char sql[512];
	PGresult *res;
	char *q = NULL, *qs = NULL;
	int ret = 0;

	if (c->ci->schema) {
		q = PQescapeIdentifier(c->pg, c->ci->schema,
				       strlen(c->ci->schema));
		if (!q)
			return dbh_error_set(err, DBH_EFAILED, "out of memory");
		/* As Prisma: the URL's schema is created when missing, and
		 * becomes the whole search path. */
		snprintf(
		    sql, sizeof(sql),
		    "CREATE SCHEMA IF NOT EXISTS %s; SET search_path TO %s", q,
		    q);
		res = dbh_conn_exec(c, sql, err, "cannot prepare the schema");
		PQfreemem(q);
		if (!res)
			return err->code;
		PQclear(res);
	}
	if (lock_timeout_ms > 0) {
		/* So DDL queued behind a long transaction gives up instead of
		 * stalling every query queued behind it. */
		snprintf(sql, sizeof(sql), "SET lock_timeout = %d",
			 lock_timeout_ms);
		res = dbh_conn_exec(c, sql, err, "cannot set lock_timeout");
		if (!res)
			return err->code;
		PQclear(res);
	}
	if (PQserverVersion(c->pg) >= 140000) {
		/* A killed deploy then ends its transaction within a second
		 * instead of when the server next writes to the socket. */
		res = dbh_conn_exec(c,
				    "SET client_connection_check_interval = "
				    "1000",
				    err, "cannot set the connection check");
		if (!res)
			return err->code;
		PQclear(res);
	}
	res = dbh_conn_exec(c, "SELECT current_schema()", err,
			    "cannot read the current schema");
	if (!res)
		return err->code;
	if (PQgetisnull(res, 0, 0)) {
		ret = dbh_error_set(err, DBH_EUSAGE,
				    "no schema of the search path exists");
		dbh_error_hint(err, "Create the schema, or name one with "
				    "?schema=NAME in the URL.");
		goto out;
	}
	qs = PQescapeIdentifier(c->pg, PQgetvalue(res, 0, 0),
				strlen(PQgetvalue(res, 0, 0)));
	free(c->table);
	free(c->schema);
	c->table = NULL;
	c->schema = strdup(PQgetvalue(res, 0, 0));
	if (!qs || !c->schema ||
	    asprintf(&c->table, "%s._prisma_migrations", qs) < 0) {
		c->table = NULL;
		ret = dbh_error_set(err, DBH_EFAILED, "out of memory");
	}
out:
	PQfreemem(qs);
	PQclear(res);
	return ret;
}

void dbh_conn_close(struct dbh_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	free(c->table);
	free(c->schema);
	c->pg = NULL;
	c->table = NULL;
	c->schema = NULL;
}
