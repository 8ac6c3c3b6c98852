/* pooler.c - URL heuristics and the live session-marker probe. */
#include "dbhook/pooler.h"

#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dbhook/clock.h"
#include "dbhook/diag.h"
#include "dbhook/suphost.h"

/* Rounds of the marker test: one round misread 1 in 50 under load, three
 * were right 100 in 100 (see the project notes on PgBouncer). */
#define PROBE_ROUNDS 3

static int port_is(const struct dbh_conninfo *ci, const char *port)
{
	const char *p = dbh_conninfo_get(ci, "port");

	/* Several hosts may carry several ports: any 6543 counts. */
	for (; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strncmp(p, port, strlen(port)) == 0 &&
		    (p[strlen(port)] == ',' || p[strlen(port)] == '\0'))
			return 1;
	}
	return 0;
}

static int host_has(const struct dbh_conninfo *ci, const char *needle)
{
	const char *h = dbh_conninfo_get(ci, "host");

	return h && strcasestr(h, needle) != NULL;
}

/* Whether any host of the connection is Supabase's of kind `kind`. */
static int supabase_host(const struct dbh_conninfo *ci, enum dbh_suphost kind)
{
	const char *h = dbh_conninfo_get(ci, "host");
	char one[256];

	while (h && *h) {
		size_t len = strcspn(h, ",");

		snprintf(one, sizeof(one), "%.*s", (int)len, h);
		if (dbh_suphost_kind(one) == kind ||
		    (kind == DBH_SUPHOST_PROJECT &&
		     dbh_suphost_kind(one) == DBH_SUPHOST_DIRECT))
			return 1;
		h += len + (h[len] == ',');
	}
	return 0;
}

int dbh_pooler_url(const struct dbh_conninfo *ci, char *why, size_t whysz)
{
	if (ci->pgbouncer_param) {
		snprintf(why, whysz, "pgbouncer=true in the URL");
		return 1;
	}
	if (supabase_host(ci, DBH_SUPHOST_POOLER) &&
	    port_is(ci, DBH_SUPHOST_TX_PORT)) {
		snprintf(why, whysz,
			 "Supabase's shared pooler (Supavisor) on "
			 "port 6543 is in transaction mode");
		return 1;
	}
	if (supabase_host(ci, DBH_SUPHOST_PROJECT) &&
	    port_is(ci, DBH_SUPHOST_TX_PORT)) {
		snprintf(why, whysz,
			 "Supabase's dedicated pooler on port 6543 "
			 "is in transaction mode");
		return 1;
	}
	if (host_has(ci, "-pooler.") && host_has(ci, "neon.tech")) {
		snprintf(why, whysz,
			 "a Neon \"-pooler\" host is PgBouncer in "
			 "transaction mode");
		return 1;
	}
	if (port_is(ci, "6543")) {
		snprintf(why, whysz,
			 "port 6543 is the transaction pooler's "
			 "port by convention");
		return 1;
	}
	return 0;
}

/* The session-mode form of the (already redacted) URL, or "" when none
 * can be derived. */
static void session_form(const struct dbh_conninfo *ci, char *out, size_t n)
{
	char buf[1024];
	char *p;

	snprintf(buf, sizeof(buf), "%s", ci->redacted ? ci->redacted : "");
	out[0] = '\0';
	if (strncmp(buf, "postgres", 8) != 0)
		return; /* key=value: no URL to rewrite */
	if ((p = strstr(buf, ":6543")) != NULL &&
	    (p[5] == '/' || p[5] == '?' || p[5] == '\0' || p[5] == ','))
		memcpy(p, ":5432", 5);
	if ((p = strcasestr(buf, "-pooler.")) != NULL)
		memmove(p, p + 7, strlen(p + 7) + 1);
	/* Drop pgbouncer=true wherever it stands in the query. */
	while ((p = strstr(buf, "pgbouncer=true")) != NULL) {
		char *end = p + strlen("pgbouncer=true");

		if (*end == '&')
			end++;
		else if (p[-1] == '&' || p[-1] == '?')
			p--;
		memmove(p, end, strlen(end) + 1);
	}
	snprintf(out, n, "%s", buf);
}

int dbh_pooler_refuse(const struct dbh_conninfo *ci, const char *why, int live,
		      struct dbh_error *err)
{
	char fixed[1024], use[1200];
	/* After the URL alone, a session-mode pooler on an odd port can ask
	 * the live check to decide; after the live check, nothing can. */
	const char *override =
	    live ? ""
		 : " If this pooler really runs in session mode, pass "
		   "--probe-pooler to let the live check decide.";

	dbh_error_set(err, DBH_EUSAGE, DBH_POOLER_REFUSAL " (%s)", why);
	dbh_error_detail(
	    err, "Transaction pooling gives each transaction any server "
		 "connection: the migration lock would be stranded on a "
		 "connection other clients reuse, settings such as "
		 "lock_timeout would be lost, and prepared statements "
		 "clash (\"prepared statement already exists\").");
	session_form(ci, fixed, sizeof(fixed));
	if (fixed[0] && strcmp(fixed, ci->redacted) != 0)
		snprintf(use, sizeof(use), "e.g. %s%s", fixed,
			 supabase_host(ci, DBH_SUPHOST_POOLER)
			     ? " (the same Supavisor host on port 5432 is "
			       "session mode)"
			     : "");
	else
		snprintf(use, sizeof(use),
			 "on Supabase: the session pooler on port 5432, user "
			 "postgres.<project-ref>");
	dbh_error_hint(err,
		       "Use a direct or session-mode connection for "
		       "migrations, %s.%s",
		       use, override);
	return DBH_EUSAGE;
}

/* Waits up to `timeout` seconds for the last result of what was sent.
 * Returns 1 and *out (caller clears) when answered, 0 on time-out (the
 * query is still running), -1 when the connection failed. */
static int wait_timed(PGconn *pg, double timeout, PGresult **out)
{
	double end = dbh_now() + timeout;
	PGresult *last = NULL, *r;

	*out = NULL;
	for (;;) {
		struct pollfd pfd = {PQsocket(pg), POLLIN, 0};
		double left = end - dbh_now();

		if (PQconsumeInput(pg) == 0)
			break;
		while (!PQisBusy(pg)) {
			r = PQgetResult(pg);
			if (!r) {
				*out = last;
				return last ? 1 : -1;
			}
			PQclear(last);
			last = r;
		}
		if (left <= 0) {
			PQclear(last);
			return 0;
		}
		if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0)
			break;
	}
	PQclear(last);
	return -1;
}

static int exec_timed(PGconn *pg, const char *sql, double timeout,
		      PGresult **out)
{
	*out = NULL;
	if (!PQsendQuery(pg, sql))
		return -1;
	return wait_timed(pg, timeout, out);
}

/* Collects what a timed-out query still owes us, bounded. */
static void drain(PGconn *pg, double timeout)
{
	PGresult *r = NULL;

	if (wait_timed(pg, timeout, &r) == 1)
		PQclear(r);
}

static int value_is(const PGresult *r, const char *want)
{
	return r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	       strcmp(PQgetvalue(r, 0, 0), want) == 0;
}

/* One round: A sets a session marker; B opens a transaction; both read
 * it. Transaction pooling shows as B seeing A's marker (B got A's server
 * connection), A losing it, or A waiting for a free server connection. */
static int one_round(PGconn *a, PGconn *b, int *tx)
{
	unsigned char raw[8];
	char token[17], sql[256];
	PGresult *r = NULL, *ra = NULL;
	int got_a, ok = -1;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (int i = 0; i < 8; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	snprintf(sql, sizeof(sql),
		 "SELECT set_config('dbhook.probe', '%s', false)", token);
	if (exec_timed(a, sql, 5, &r) != 1 || !value_is(r, token))
		goto out;
	PQclear(r);
	r = NULL;
	if (exec_timed(b, "BEGIN", 5, &r) != 1)
		goto out;
	PQclear(r);
	r = NULL;
	if (exec_timed(b,
		       "SELECT coalesce(current_setting('dbhook.probe', true), "
		       "'')",
		       5, &r) != 1)
		goto out;
	got_a = exec_timed(a,
			   "SELECT coalesce(current_setting('dbhook.probe', "
			   "true), '')",
			   3, &ra);
	*tx = value_is(r, token) || got_a == 0 ||
	      (got_a == 1 && !value_is(ra, token));
	PQclear(r);
	r = NULL;
	/* Release B first: a query of A queued inside the pooler is not
	 * cancelled by a cancel request, only served once B lets go. */
	if (exec_timed(b, "RESET dbhook.probe; COMMIT", 5, &r) == 1)
		ok = 0;
	if (got_a == 0)
		drain(a, 5);
	PQclear(ra);
	ra = NULL;
	PQclear(r);
	r = NULL;
	if (exec_timed(a, "RESET dbhook.probe", 5, &r) != 1)
		ok = -1;
out:
	PQclear(r);
	PQclear(ra);
	return ok;
}

int dbh_pooler_probe(struct dbh_conn *c, const struct dbh_connect_opts *co,
		     enum dbh_pool *mode, const char **name,
		     struct dbh_error *err)
{
	struct dbh_connect_opts bo = *co;
	struct dbh_conn b;
	PGresult *r = NULL;
	const char *app = PQparameterStatus(c->pg, "application_name");
	int tx = 0;

	*mode = DBH_POOL_NONE;
	*name = NULL;
	if (exec_timed(c->pg, "SELECT pg_backend_pid()", 10, &r) != 1 ||
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		int ret = dbh_conn_result_error(c, r, err,
						"cannot check for a pooler");
		PQclear(r);
		return ret;
	}
	if (atoi(PQgetvalue(r, 0, 0)) == PQbackendPID(c->pg)) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	/* Supavisor forwards its own server connection's application_name. */
	*name =
	    app && strncmp(app, "Supavisor", 9) == 0 ? "Supavisor" : "a pooler";
	bo.deadline = 0; /* one attempt: the first connection just worked */
	bo.rep = NULL;
	if (dbh_conn_open(&b, c->ci, &bo, err) != 0) {
		/* Inconclusive: a pool that cannot serve a second client is
		 * no place to migrate either (name NULL says why). */
		dbh_error_clear(err);
		*name = NULL;
		*mode = DBH_POOL_TRANSACTION;
		return 0;
	}
	for (int round = 0; round < PROBE_ROUNDS && !tx; round++) {
		if (one_round(c->pg, b.pg, &tx) != 0) {
			/* Inconclusive: assume the worst, as a pool that
			 * cannot serve two clients is no place to migrate. */
			tx = 1;
		}
	}
	dbh_conn_close(&b);
	*mode = tx ? DBH_POOL_TRANSACTION : DBH_POOL_SESSION;
	return 0;
}

int dbh_refuse_pooled_url(const struct dbh_conninfo *ci, int probe_only,
			  struct dbh_error *err)
{
	char why[160];

	if (!probe_only && dbh_pooler_url(ci, why, sizeof(why)))
		return dbh_pooler_refuse(ci, why, 0, err);
	return 0;
}

int dbh_check_pooler(struct dbh_conn *c, const struct dbh_connect_opts *co,
		     const struct dbh_reporter *rep, struct dbh_error *err)
{
	enum dbh_pool mode;
	const char *name;
	int ret = dbh_pooler_probe(c, co, &mode, &name, err);
	char why[160];

	if (ret)
		return ret;
	if (mode == DBH_POOL_SESSION)
		dbh_report(rep, DBH_NOTE,
			   "connected through %s in session mode: fine for "
			   "migrations",
			   name);
	if (mode != DBH_POOL_TRANSACTION)
		return 0;
	if (!name)
		snprintf(why, sizeof(why),
			 "the live check found a pooler but could not open a "
			 "second connection to tell its mode; assuming "
			 "transaction mode");
	else
		snprintf(why, sizeof(why),
			 "the live check found %s in transaction mode", name);
	return dbh_pooler_refuse(c->ci, why, 1, err);
}
