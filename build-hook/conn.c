/* conn.c - opening and preparing the session. */
#include "dbhook/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/digest.h"
#include "dbhook/sbuf.h"
#include "dbhook/secrets.h"

char *dbh_app_name(char *buf, size_t bufsz)
{
	const char *env = dbh_config()->environment;
	const char *sha = dbh_config()->commit_sha;

	if (!env)
		env = "local";
	if (!sha)
		sha = "local";
	snprintf(buf, bufsz, "dbhook/%.20s/%.7s", env, sha);
	return buf;
}

/* A server or libpq text for an error field: trailing newlines trimmed,
 * every known secret scrubbed before it is cut to the field's size. */
static void copy_scrubbed(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	dbh_secrets_copy(dst, dstsz, src);
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

/* One attempt with our application_name and, when a deadline is near,
 * a connect_timeout that does not overrun it. */
PGconn *dbh_conn_attempt(const struct dbh_conninfo *ci,
			 const struct dbh_connect_opts *o)
{
	const char **kw, **val;
	size_t n = 0;
	char timeout[16];
	PGconn *pg;
	int per_try = o->connect_timeout;
	double left = dbh_left(o->deadline);

	if (per_try <= 0) {
		const char *v = dbh_conninfo_get(ci, "connect_timeout");

		per_try = v ? atoi(v) : 10;
	}
	if (per_try <= 0 || per_try > left)
		per_try = left < 2 ? 2 : (int)left; /* libpq's minimum is 2 */
	snprintf(timeout, sizeof(timeout), "%d", per_try);
	kw = dbh_xcalloc(ci->n + 5, sizeof(*kw));
	val = dbh_xcalloc(ci->n + 5, sizeof(*val));
	for (size_t i = 0; i < ci->n; i++) {
		/* Ours names the deploy for lock holders; the timeout is
		 * ours to fit the budget. */
		if (strcmp(ci->keywords[i], "application_name") == 0 ||
		    strcmp(ci->keywords[i], "connect_timeout") == 0)
			continue;
		kw[n] = ci->keywords[i];
		val[n++] = ci->values[i];
	}
	kw[n] = "application_name";
	val[n++] = o->app_name;
	kw[n] = "connect_timeout";
	val[n++] = timeout;
	/* libpq first tries GSSAPI encryption when Kerberos is linked in:
	 * ~0.7 MB of memory and a credential-cache look-up on every build,
	 * for a feature no hosted Postgres offers. The URL can ask for it. */
	if (!dbh_conninfo_get(ci, "gssencmode") &&
	    !dbh_config()->pggssencmode_set) {
		kw[n] = "gssencmode";
		val[n++] = "disable";
	}
	/* libpq's default (prefer) silently falls back to plain text; a
	 * remote database gets encryption unless the URL says otherwise. */
	if (!dbh_conninfo_get(ci, "sslmode") && !dbh_config()->pgsslmode_set &&
	    !dbh_conninfo_is_local(ci)) {
		kw[n] = "sslmode";
		val[n++] = "require";
	}
	dbh_sha256_share(); /* SCRAM's 4096 HMACs, see digest.h */
	pg = PQconnectdbParams(kw, val, 0);
	free(kw);
	free(val);
	return pg;
}

/* NULL from PQescapeIdentifier is ambiguous (memory, or a name that is
 * not valid in the client encoding): libpq's message says which. */
static int set_table(struct dbh_conn *c, struct dbh_error *err)
{
	if (c->ci->schema) {
		char *q = PQescapeIdentifier(c->pg, c->ci->schema,
					     strlen(c->ci->schema));

		if (!q)
			return dbh_conn_result_error(c, NULL, err,
						     "the URL's schema");
		c->table = dbh_xasprintf("%s._prisma_migrations", q);
		PQfreemem(q);
	} else {
		c->table = dbh_xstrdup("_prisma_migrations");
	}
	return 0;
}

/* Server notices (RAISE NOTICE in a migration, "already exists,
 * skipping") are text from outside: libpq's default processor prints them
 * raw, so a notice holding "\n::error::..." would start a line that a CI
 * runner obeys. Each goes through the reporter instead, which prefixes
 * and cleans every line, scrubbed of every known secret. */
static void on_notice(void *arg, const char *message)
{
	const struct dbh_conn *c = arg;
	char text[2048];

	copy_scrubbed(text, sizeof(text), message);
	dbh_report(c->rep, DBH_NOTE, "server: %s", text);
}

int dbh_conn_start(struct dbh_conn *c, PGconn *pg,
		   const struct dbh_conninfo *ci,
		   const struct dbh_connect_opts *o, struct dbh_error *err)
{
	memset(c, 0, sizeof(*c));
	c->ci = ci;
	c->pg = pg;
	c->rep = o->rep;
	PQsetNoticeProcessor(c->pg, on_notice, c);
	if (set_table(c, err)) {
		dbh_conn_close(c);
		return err->code;
	}
	if (!PQsslInUse(c->pg) && !dbh_conninfo_is_local(ci)) {
		char target[256];

		dbh_report(o->rep, DBH_WARN,
			   "the connection to %s is not encrypted; add "
			   "sslmode=require (or verify-full) to the URL",
			   dbh_conninfo_target(ci, target, sizeof(target)));
	}
	return 0;
}

/* Sends a cancel request for the running statement. */
static void cancel_running(PGconn *pg)
{
	PGcancel *cancel = PQgetCancel(pg);

	if (cancel) {
		char buf[256];

		PQcancel(cancel, buf, sizeof(buf));
		PQfreeCancel(cancel);
	}
}

int dbh_conn_stream(struct dbh_conn *c, const char *sql, struct dbh_watch *w)
{
	double beat = dbh_config()->heartbeat_s;
	double start = dbh_now(), next_beat = start + beat;
	int cancelled = 0;

	w->timed_out = 0;
	if (!PQsendQuery(c->pg, sql))
		return -1;
	for (;;) {
		struct pollfd pfd = {PQsocket(c->pg), POLLIN, 0};
		double now = dbh_now(), wake;
		int ms;

		if (PQconsumeInput(c->pg) == 0)
			return -1; /* the connection is gone */
		while (!PQisBusy(c->pg)) {
			PGresult *r = PQgetResult(c->pg);

			if (!r)
				return 0;
			w->on_result(w->arg, r);
		}
		if (now >= next_beat) {
			dbh_report(w->rep, DBH_INFO,
				   "still applying `%s` (%.0f s)", w->label,
				   now - start);
			next_beat += beat;
		}
		if (w->deadline > 0 && now >= w->deadline && !cancelled) {
			/* Out of budget: the server rolls the statement's
			 * transaction back and answers 57014. */
			dbh_report(
			    w->rep, DBH_WARN,
			    "time budget used up after %.0f s: cancelling "
			    "`%s`",
			    now - start, w->label);
			cancel_running(c->pg);
			cancelled = 1;
			w->timed_out = 1;
		}
		/* Wake for the next heartbeat or the deadline, whichever is
		 * first (read after both moved on: never a negative wait,
		 * which poll() would take as "forever"). */
		wake = next_beat;
		if (w->deadline > 0 && !cancelled && w->deadline < wake)
			wake = w->deadline;
		ms = (int)((wake - now) * 1000) + 1;
		if (poll(&pfd, 1, ms < 1 ? 1 : ms) < 0 && errno != EINTR)
			return -1;
	}
}

/* Keeps the first error (later results would hide it), else the last
 * result: what PQexec would return. */
static void keep_first_error(void *arg, PGresult *r)
{
	PGresult **last = arg;

	if (*last && PQresultStatus(*last) == PGRES_FATAL_ERROR) {
		PQclear(r);
		return;
	}
	PQclear(*last);
	*last = r;
}

PGresult *dbh_conn_exec_watch(struct dbh_conn *c, const char *sql,
			      double deadline, const char *label,
			      const struct dbh_reporter *rep, int *timed_out)
{
	PGresult *last = NULL;
	struct dbh_watch w = {deadline, label, rep, keep_first_error, &last, 0};
	int ret = dbh_conn_stream(c, sql, &w);

	*timed_out = w.timed_out;
	if (ret == 0 && last)
		return last;
	PQclear(last);
	return PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
}

/* dbh_conn_exec_all's collector: each result to its statement, in order. */
struct collect {
	struct dbh_stmt *s;
	size_t n, next;
};

static void to_next_stmt(void *arg, PGresult *r)
{
	struct collect *k = arg;

	if (k->next < k->n)
		k->s[k->next++].res = r;
	else
		PQclear(r);
}

int dbh_conn_exec_all(struct dbh_conn *c, struct dbh_stmt *s, size_t n,
		      struct dbh_error *err)
{
	struct dbh_sbuf sql = {0};
	struct collect k = {s, n, 0};
	struct dbh_watch w = {0, "", NULL, to_next_stmt, &k, 0};
	int lost;

	for (size_t i = 0; i < n; i++) {
		s[i].res = NULL;
		dbh_sbuf_addf(&sql, "%s%s", i ? ";\n" : "", s[i].sql);
	}
	lost = dbh_conn_stream(c, sql.s, &w);
	free(sql.s);
	for (size_t i = 0; i < n; i++) {
		ExecStatusType st =
		    s[i].res ? PQresultStatus(s[i].res) : PGRES_FATAL_ERROR;

		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
			continue;
		/* The first statement without an answer failed (or the
		 * connection did): the server skipped the rest. */
		return dbh_conn_result_error(c, s[i].res, err, s[i].what);
	}
	return lost ? dbh_conn_result_error(c, NULL, err, s[0].what) : 0;
}

void dbh_stmts_clear(struct dbh_stmt *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		PQclear(s[i].res);
		s[i].res = NULL;
	}
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

	if (msg) {
		copy_scrubbed(text, sizeof(text), msg);
	} else {
		/* A lost connection leaves only libpq's multi-line text:
		 * keep its first line, without "FATAL:  ". */
		const char *m = PQerrorMessage(c->pg);

		for (size_t i = 0; i < 3; i++) {
			static const char *sev[] = {
			    "FATAL:  ", "ERROR:  ", "PANIC:  "};

			if (strncmp(m, sev[i], strlen(sev[i])) == 0)
				m += strlen(sev[i]);
		}
		copy_scrubbed(text, sizeof(text), m);
		text[strcspn(text, "\n")] = '\0';
	}
	if (what && *what)
		dbh_error_set(err, code, "%s: %s", what, text);
	else
		dbh_error_set(err, code, "%s", text);
	if (state)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	if (res) {
		copy_scrubbed(err->detail, sizeof(err->detail),
			      PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		copy_scrubbed(err->hint, sizeof(err->hint),
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

/* Adds one statement to `st`, its text kept in `st`. */
static void setup_add(struct dbh_setup *st, const char *what, const char *fmt,
		      const char *arg)
{
	char *text = st->text[st->n];

	snprintf(text, sizeof(st->text[0]), fmt, arg);
	st->s[st->n].sql = text;
	st->s[st->n].what = what;
	st->s[st->n].res = NULL;
	st->n++;
}

int dbh_conn_setup_stmts(struct dbh_conn *c, int lock_timeout_ms,
			 struct dbh_setup *st, struct dbh_error *err)
{
	st->n = 0;
	if (c->ci->schema) {
		static const char prep[] = "cannot prepare the schema";
		char *q = PQescapeIdentifier(c->pg, c->ci->schema,
					     strlen(c->ci->schema));

		if (!q)
			return dbh_conn_result_error(c, NULL, err,
						     "the URL's schema");
		/* As Prisma: the URL's schema is created when missing, and
		 * becomes the whole search path. Without its "already
		 * exists, skipping" notice on every deploy. */
		setup_add(st, prep, "SET client_min_messages = %s", "warning");
		setup_add(st, prep, "CREATE SCHEMA IF NOT EXISTS %s", q);
		setup_add(st, prep, "RESET client_min_messages%s", "");
		setup_add(st, prep, "SET search_path TO %s", q);
		PQfreemem(q);
	}
	if (lock_timeout_ms > 0) {
		char num[32];

		/* So DDL queued behind a long transaction gives up instead of
		 * stalling every query queued behind it. */
		snprintf(num, sizeof(num), "%d", lock_timeout_ms);
		setup_add(st, "cannot set lock_timeout",
			  "SET lock_timeout = %s", num);
	}
	if (PQserverVersion(c->pg) >= 140000) {
		/* A killed deploy then ends its transaction within a second
		 * instead of when the server next writes to the socket. */
		setup_add(st, "cannot set the connection check",
			  "SET client_connection_check_interval = %s", "1000");
	}
	setup_add(st, "cannot read the current schema",
		  "SELECT current_schema()%s", "");
	return 0;
}

int dbh_conn_setup_done(struct dbh_conn *c, const PGresult *res,
			struct dbh_error *err)
{
	char *qs;

	if (PQgetisnull(res, 0, 0)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "no schema of the search path exists");
		dbh_error_hint(err, "Create the schema, or name one with "
				    "?schema=NAME in the URL.");
		return DBH_EUSAGE;
	}
	qs = PQescapeIdentifier(c->pg, PQgetvalue(res, 0, 0),
				strlen(PQgetvalue(res, 0, 0)));
	free(c->table);
	free(c->schema);
	c->table = NULL;
	c->schema = dbh_xstrdup(PQgetvalue(res, 0, 0));
	if (!qs)
		return dbh_conn_result_error(c, NULL, err, "the schema's name");
	c->table = dbh_xasprintf("%s._prisma_migrations", qs);
	PQfreemem(qs);
	return 0;
}

int dbh_conn_setup(struct dbh_conn *c, int lock_timeout_ms,
		   struct dbh_error *err)
{
	struct dbh_setup st;
	int ret = dbh_conn_setup_stmts(c, lock_timeout_ms, &st, err);

	if (!ret)
		ret = dbh_conn_exec_all(c, st.s, st.n, err);
	if (!ret)
		ret = dbh_conn_setup_done(c, st.s[st.n - 1].res, err);
	dbh_stmts_clear(st.s, st.n);
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
