/* apply.c - one migration: atomic mode, Prisma's mode, and failures. */
#include "dbhook/apply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/history.h"
#include "dbhook/lock.h"
#include "dbhook/sqlscan.h"

/* What the failed attempt left for the error message. */
struct failure {
	char sqlstate[6];
	char message[1024];
	long position; /* in the file, in characters; 0 when unknown */
};

static const char *field(const PGresult *res, int code)
{
	const char *v = res ? PQresultErrorField(res, code) : NULL;

	return v ? v : "";
}

/* Turns a failed result into `err`: where (file:line:col), message,
 * detail, hint and SQLSTATE. `prefix_chars` is how many characters of the
 * query came before the file. */
static int fill_failure(struct dbh_conn *c, const struct dbh_migration *m,
			const PGresult *res, long prefix_chars,
			struct dbh_error *err, struct failure *f)
{
	const char *pos = field(res, PG_DIAG_STATEMENT_POSITION);
	int code = dbh_conn_result_error(c, res, err, NULL);
	long p = *pos ? atol(pos) - prefix_chars : 0;
	long file_chars = dbh_utf8_chars(m->sql, m->len);

	memset(f, 0, sizeof(*f));
	snprintf(f->sqlstate, sizeof(f->sqlstate), "%s", err->sqlstate);
	snprintf(f->message, sizeof(f->message), "%s", err->message);
	if (p > file_chars + 1 && p <= file_chars + 4) {
		/* The server stopped in the ";" we append after the file: the
		 * file's last statement is incomplete. */
		size_t end = m->len;

		while (end > 0 && isspace((unsigned char)m->sql[end - 1]))
			end--;
		p = dbh_utf8_chars(m->sql, end) + 1;
		dbh_error_detail(err, "The file ends in the middle of a "
				      "statement.");
	}
	if (p > 0 && p <= file_chars + 1) {
		int line, col;

		f->position = p;
		dbh_sql_position(m->sql, m->len, p, &line, &col);
		snprintf(err->where, sizeof(err->where), "%s:%d:%d", m->path,
			 line, col);
	} else {
		snprintf(err->where, sizeof(err->where), "%s", m->path);
	}
	snprintf(err->message, sizeof(err->message),
		 "migration \"%.200s\" failed: %.280s", m->name, f->message);
	return code;
}

/* The text kept in _prisma_migrations.logs, shaped like Prisma's P3018. */
static void logs_text(const struct dbh_migration *m, const struct failure *f,
		      const struct dbh_error *err, char *out, size_t outsz)
{
	snprintf(out, outsz,
		 "A migration failed to apply.\n\nMigration name: %s\n\n"
		 "Database error code: %s\n\nDatabase error:\n%s%s%s\n\n"
		 "Location: %s",
		 m->name, f->sqlstate[0] ? f->sqlstate : "none", f->message,
		 err->detail[0] ? "\nDETAIL: " : "", err->detail, err->where);
}

static int exec_params(struct dbh_conn *c, const char *sql, int n,
		       const char *const *vals, struct dbh_error *err,
		       const char *what)
{
	/* PQexecParams uses the unnamed statement: safe behind poolers,
	 * never "prepared statement already exists". */
	PGresult *res = PQexecParams(c->pg, sql, n, NULL, vals, NULL, NULL, 0);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = dbh_conn_result_error(c, res, err, what);
	PQclear(res);
	return ret;
}

/* Atomic mode's failed attempt: a row with rolled_back_at set, so it is
 * visible in the history but ignored by Prisma and by the next deploy. */
static void record_attempt(struct dbh_conn *c, const struct dbh_migration *m,
			   const char *logs)
{
	char sql[512], id[37];
	struct dbh_error ignored;
	const char *vals[4];

	dbh_uuid4(id);
	vals[0] = id;
	vals[1] = m->checksum;
	vals[2] = m->name;
	vals[3] = logs;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (id, checksum, started_at, migration_name, "
		 "logs, rolled_back_at) VALUES ($1, $2, now(), $3, $4, now())",
		 c->table);
	exec_params(c, sql, 4, vals, &ignored, "");
}

/* duplicate_table, _object, _column, _schema, _function, _database. */
static int already_exists(const char *sqlstate)
{
	static const char *const codes[] = {"42P07", "42710", "42701",
					    "42P06", "42723", "42P04"};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(sqlstate, codes[i]) == 0)
			return 1;
	return 0;
}

static int is_lock_failure(const char *state)
{
	return strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0;
}

/* Builds "INSERT …;\n<file>\n;\nUPDATE …". The newline after the file
 * ends a trailing -- comment; dbh_migration_load has refused files that
 * end inside a block comment or quote, which would swallow the UPDATE.
 * NULL when libpq cannot quote the name: out of memory, or a name that is
 * not valid in the client encoding (libpq does not say which, so its
 * message is passed on instead of ending the program). */
static char *atomic_message(struct dbh_conn *c, const struct dbh_migration *m,
			    const char *id, long *prefix_chars)
{
	char *name = PQescapeLiteral(c->pg, m->name, strlen(m->name));
	char *prefix, *msg;

	if (!name)
		return NULL;
	prefix = dbh_xasprintf(
	    "INSERT INTO %s (id, checksum, started_at, migration_name)"
	    " VALUES ('%s', '%s', now(), %s);\n",
	    c->table, id, m->checksum, name);
	msg = dbh_xasprintf(
	    "%s%s\n;\nUPDATE %s SET finished_at = clock_timestamp(), "
	    "applied_steps_count = 1 WHERE id = '%s'",
	    prefix, m->sql, c->table, id);
	*prefix_chars = dbh_utf8_chars(prefix, strlen(prefix));
	free(prefix);
	PQfreemem(name);
	return msg;
}

/* Prisma's exact sequence: row (committed alone), file alone, finish. */
static int apply_prisma(struct dbh_conn *c, const struct dbh_migration *m,
			const struct dbh_apply_opts *o,
			const struct dbh_reporter *rep, struct dbh_error *err)
{
	int timed_out;
	char sql[512], id[37], logs[4096];
	const char *vals[3];
	PGresult *res;
	struct failure f;
	int ret;

	dbh_uuid4(id);
	vals[0] = id;
	vals[1] = m->checksum;
	vals[2] = m->name;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s (id, checksum, started_at, migration_name) "
		 "VALUES ($1, $2, now(), $3)",
		 c->table);
	ret = exec_params(c, sql, 3, vals, err, "cannot record the migration");
	if (ret)
		return ret;
	res = dbh_conn_exec_watch(c, m->sql, o->cancel_at, m->name, rep,
				  &timed_out);
	if (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_EMPTY_QUERY) {
		PQclear(res);
		snprintf(sql, sizeof(sql),
			 "UPDATE %s SET finished_at = now(), "
			 "applied_steps_count = 1 WHERE id = $1",
			 c->table);
		return exec_params(c, sql, 1, vals, err,
				   "cannot record the migration as finished");
	}
	ret = fill_failure(c, m, res, 0, err, &f);
	PQclear(res);
	if (timed_out)
		dbh_error_hint(err, "The time budget ran out and the statement "
				    "was cancelled. This migration runs "
				    "outside a transaction, so part of it may "
				    "be applied: check the database, then "
				    "`dbhook resolve` it.");
	if (ret == DBH_EUNREACH) {
		/* Its history row stays failed: retrying cannot help until a
		 * person has looked, so this is a failed migration (exit 1),
		 * not a passing network problem. */
		dbh_error_hint(
		    err,
		    "The connection was lost while \"%s\" ran "
		    "outside a transaction: part of it may be "
		    "applied, and deploys are blocked until it is "
		    "resolved. Check the database, then run `dbhook "
		    "resolve --applied \"%s\"` (if you completed it) "
		    "or `dbhook resolve --rolled-back \"%s\"` (if "
		    "nothing of it remains).",
		    m->name, m->name, m->name);
		err->code = DBH_EFAILED;
		return DBH_EFAILED;
	}
	logs_text(m, &f, err, logs, sizeof(logs));
	vals[1] = logs;
	snprintf(sql, sizeof(sql), "UPDATE %s SET logs = $2 WHERE id = $1",
		 c->table);
	exec_params(c, sql, 2, vals, &(struct dbh_error){0}, "");
	if (!err->hint[0])
		dbh_error_hint(err,
			       "This migration ran outside a transaction, so "
			       "part of it may be applied, and deploys are "
			       "blocked until it is resolved. Repair the "
			       "database by hand, then run `dbhook resolve "
			       "--applied \"%s\"` (if you completed it) or "
			       "`dbhook resolve --rolled-back \"%s\"` (if you "
			       "undid it).",
			       m->name, m->name);
	return DBH_EFAILED;
}

int dbh_apply(struct dbh_conn *c, const struct dbh_migration *m,
	      const struct dbh_apply_opts *o, const struct dbh_reporter *rep,
	      struct dbh_error *err)
{
	struct dbh_sqlscan scan;
	double delay = 1.0;

	dbh_sql_scan(m->sql, m->len, &scan);
	if (scan.txn_control) {
		dbh_report(rep, DBH_NOTE,
			   "\"%s\" has its own %s (line %d): it runs as Prisma "
			   "runs it, not in dbhook's single transaction; if it "
			   "fails, what it committed before the failure stays "
			   "applied: check the database, then `dbhook resolve`",
			   m->path, scan.txn_word, scan.txn_line);
		return apply_prisma(c, m, o, rep, err);
	}
	for (int attempt = 1;; attempt++) {
		char id[37], logs[4096];
		long prefix_chars = 0;
		char *msg;
		PGresult *res;
		struct failure f;
		int code, timed_out;

		dbh_uuid4(id);
		msg = atomic_message(c, m, id, &prefix_chars);
		if (!msg) {
			const char *why = PQerrorMessage(c->pg);

			return dbh_error_set(
			    err, DBH_EFAILED,
			    "cannot quote the name \"%s\": %.*s", m->name,
			    (int)strcspn(why, "\n"), why);
		}
		res = dbh_conn_exec_watch(c, msg, o->cancel_at, m->name, rep,
					  &timed_out);
		free(msg);
		if (PQresultStatus(res) == PGRES_COMMAND_OK &&
		    strcmp(PQcmdTuples(res), "1") == 0) {
			PQclear(res);
			return 0;
		}
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			/* The UPDATE found no row: cannot happen unless the
			 * file rewrote the history table. */
			PQclear(res);
			dbh_error_set(err, DBH_EFAILED,
				      "migration \"%s\" changed the migration "
				      "history table",
				      m->name);
			dbh_error_detail(err, "Its statements ran and were "
					      "committed, but its own history "
					      "row is gone.");
			dbh_error_hint(err,
				       "A migration must not touch "
				       "_prisma_migrations. Check the table, "
				       "then `dbhook resolve --applied "
				       "\"%s\"`.",
				       m->name);
			return DBH_EFAILED;
		}
		code = fill_failure(c, m, res, prefix_chars, err, &f);
		PQclear(res);
		if (timed_out && code != DBH_EUNREACH) {
			logs_text(m, &f, err, logs, sizeof(logs));
			record_attempt(c, m, logs);
			snprintf(err->message, sizeof(err->message),
				 "migration \"%.200s\" was cancelled: the time "
				 "budget ran out",
				 m->name);
			dbh_error_hint(
			    err, "Nothing of it was applied (it ran in one "
				 "transaction). Raise --timeout, or apply "
				 "long migrations outside the build with "
				 "`dbhook deploy`.");
			return DBH_EUNREACH;
		}
		if (code == DBH_EUNREACH) {
			dbh_error_hint(err,
				       "The connection was lost while \"%s\" "
				       "ran in one transaction. Run the deploy "
				       "again: it applies the migration unless "
				       "the transaction had committed.",
				       m->name);
			return code;
		}
		if (strcmp(f.sqlstate, "25001") == 0) {
			dbh_error_clear(err); /* not a failure: a mode switch */
			dbh_report(rep, DBH_NOTE,
				   "\"%s\" cannot run inside a transaction "
				   "block; running it as Prisma does (history "
				   "row first, then the file alone): if it "
				   "fails part way, check the database, then "
				   "`dbhook resolve`",
				   m->path);
			return apply_prisma(c, m, o, rep, err);
		}
		if (is_lock_failure(f.sqlstate) &&
		    (o->deadline > 0 ? dbh_now() + delay < o->deadline
				     : attempt < o->max_tries)) {
			dbh_report(
			    rep, DBH_WARN,
			    "migration \"%s\": %s (SQLSTATE %s); nothing "
			    "was applied; retrying in %.0f s (attempt "
			    "%d)",
			    m->name, f.message, f.sqlstate, delay, attempt + 1);
			dbh_error_clear(err);
			dbh_sleep(delay);
			if (delay < 16)
				delay *= 2;
			continue;
		}
		logs_text(m, &f, err, logs, sizeof(logs));
		record_attempt(c, m, logs);
		if (is_lock_failure(f.sqlstate) && !err->hint[0])
			dbh_error_hint(err,
				       "Another transaction held a lock this "
				       "migration needs. Nothing was applied. "
				       "Find long transactions in "
				       "pg_stat_activity, or raise "
				       "--lock-timeout-statement, and deploy "
				       "again.");
		else if (!err->hint[0] && already_exists(f.sqlstate))
			dbh_error_hint(
			    err,
			    "Nothing of this migration was applied. The object "
			    "already exists, so the database has drifted from "
			    "its history (changed by hand or by another tool) "
			    "or this is the wrong database: compare with "
			    "`dbhook status`. If the changes of \"%s\" are "
			    "already there, record it with `dbhook resolve "
			    "--applied \"%s\"`.",
			    m->name, m->name);
		else if (!err->hint[0])
			dbh_error_hint(
			    err, "Nothing of this migration was applied: "
				 "it ran in one transaction. Fix the file "
				 "and deploy again.");
		return DBH_EFAILED;
	}
}

int dbh_apply_record(struct dbh_conn *c, const struct dbh_migration *m,
		     struct dbh_error *err)
{
	char sql[1024], id[37];
	const char *vals[3];

	dbh_uuid4(id);
	vals[0] = id;
	vals[1] = m->checksum;
	vals[2] = m->name;
	/* One statement, so the rollback of failed rows and the new row
	 * commit together. */
	snprintf(sql, sizeof(sql),
		 "WITH rb AS (UPDATE %s SET rolled_back_at = now() "
		 "WHERE migration_name = $3 AND finished_at IS NULL "
		 "AND rolled_back_at IS NULL) "
		 "INSERT INTO %s (id, checksum, logs, started_at, finished_at, "
		 "migration_name) VALUES ($1, $2, '', now(), now(), $3)",
		 c->table, c->table);
	return exec_params(c, sql, 3, vals, err,
			   "cannot record the migration as applied");
}
