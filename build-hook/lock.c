/* lock.c - waiting for the migration lock and naming who holds it. */
#include "dbhook/lock.h"

#include "dbhook/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR2(x) #x
#define STR(x) STR2(x)

/* One line naming the session that holds the lock, or "" when it is gone
 * (or not visible to us); its pid in `pid` ("" when unknown). */
static void describe_holder(struct dbh_conn *c, char *out, size_t outsz,
			    char *pid, size_t pidsz)
{
	PGresult *res = PQexec(
	    c->pg, "SELECT a.pid, coalesce(a.application_name, ''), "
		   "coalesce(a.usename::text, ''), "
		   "coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
		   "'YYYY-MM-DD HH24:MI:SS') || ' UTC', 'unknown'), "
		   "coalesce(a.client_addr::text, 'local') "
		   "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
		   "WHERE l.locktype = 'advisory' AND l.granted "
		   "AND l.classid = 0 AND l.objid = " STR(
		       DBH_LOCK_KEY) " "
				     "AND l.objsubid = 1 AND l.database = "
				     "(SELECT oid FROM pg_database WHERE "
				     "datname = current_database())");

	out[0] = '\0';
	pid[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
		snprintf(pid, pidsz, "%s", PQgetvalue(res, 0, 0));
		snprintf(out, outsz,
			 "pid %s, application_name \"%s\", user \"%s\", from "
			 "%s, session started %s",
			 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
			 PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4),
			 PQgetvalue(res, 0, 3));
	}
	PQclear(res);
}

int dbh_lock_acquire(struct dbh_conn *c, double timeout_s,
		     const struct dbh_reporter *rep, struct dbh_error *err)
{
	double start = dbh_now(), next_report = start, pause = 0.05;
	char holder[512] = "", pid[32] = "";

	if (dbh_config()->advisory_lock_off) {
		dbh_report(rep, DBH_WARN,
			   "PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK is set: "
			   "migrating without the lock; concurrent deploys "
			   "are not excluded");
		return 0;
	}
	for (;;) {
		PGresult *res = PQexec(
		    c->pg,
		    "SELECT pg_try_advisory_lock(" STR(DBH_LOCK_KEY) ")");
		double now;

		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			dbh_conn_result_error(c, res, err,
					      "cannot take the migration lock");
			PQclear(res);
			return err->code;
		}
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
			PQclear(res);
			if (holder[0])
				dbh_report(
				    rep, DBH_INFO,
				    "Migration lock acquired after %.1f s",
				    dbh_now() - start);
			return 0;
		}
		PQclear(res);
		now = dbh_now();
		if (now >= next_report || now - start >= timeout_s) {
			describe_holder(c, holder, sizeof(holder), pid,
					sizeof(pid));
			if (!holder[0])
				snprintf(holder, sizeof(holder),
					 "a session not visible to this user");
		}
		if (now - start >= timeout_s) {
			dbh_error_set(err, DBH_EUNREACH,
				      "timed out after %.0f s waiting for the "
				      "migration lock",
				      timeout_s);
			dbh_error_detail(err,
					 "Advisory lock %d is held by %s. "
					 "Another deploy (dbhook or prisma "
					 "migrate) is migrating this database.",
					 DBH_LOCK_KEY, holder);
			if (pid[0])
				dbh_error_hint(
				    err,
				    "Wait for that deploy to finish and run "
				    "again, or raise --lock-timeout. If the "
				    "holder is stuck, end it with: SELECT "
				    "pg_terminate_backend(%s);",
				    pid);
			else
				dbh_error_hint(
				    err,
				    "Wait for that deploy to finish and run "
				    "again, or raise --lock-timeout. A "
				    "superuser sees the holder's pid in "
				    "pg_locks (locktype 'advisory', objid "
				    "%d) and can end it with SELECT "
				    "pg_terminate_backend(pid).",
				    DBH_LOCK_KEY);
			return DBH_EUNREACH;
		}
		if (now >= next_report) {
			dbh_report(rep, DBH_INFO,
				   "Waiting for the migration lock (held by "
				   "%s)",
				   holder);
			next_report = now + 10;
		}
		/* Back off from 50 ms to 1 s: quick when the holder is a
		 * short no-op, cheap when it is a long migration. */
		dbh_sleep(pause < timeout_s - (now - start)
			      ? pause
			      : timeout_s - (now - start));
		pause = pause * 2 < 1.0 ? pause * 2 : 1.0;
	}
}

void dbh_lock_try_sql(const struct dbh_conn *c, char *buf, size_t bufsz)
{
	/* CASE, not AND: SQL does not promise to evaluate AND's left side
	 * first. */
	snprintf(buf, bufsz,
		 "SELECT CASE WHEN pg_backend_pid() = %d THEN %s END",
		 PQbackendPID(c->pg),
		 dbh_config()->advisory_lock_off
		     ? "true"
		     : "pg_try_advisory_lock(" STR(DBH_LOCK_KEY) ")");
}

const char *dbh_lock_release_sql(void)
{
	return dbh_config()->advisory_lock_off
		   ? NULL
		   : "SELECT pg_advisory_unlock(" STR(DBH_LOCK_KEY) ")";
}

void dbh_lock_release(struct dbh_conn *c)
{
	const char *sql = dbh_lock_release_sql();

	/* Unlocking a lock not held would draw a server WARNING. */
	if (sql)
		PQclear(PQexec(c->pg, sql));
}
