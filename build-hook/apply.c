/* apply.c - the pending migrations in order: runs of them as batches,
 * Prisma's mode where a file needs it, failures and their retries. */
#include "dbhook/apply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/batch.h"
#include "dbhook/clock.h"
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
 * query came before the file; `stmt` is the failed statement of the file
 * (or -1), for errors without a position (a division by zero, a
 * constraint violated by existing rows): then where is file:line. */
static int fill_failure(struct dbh_conn *c, const struct dbh_migration *m,
			const PGresult *res, long prefix_chars, int stmt,
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
	} else if (p <= 0 && stmt >= 0 &&
		   dbh_sql_statement_line(m->sql, m->len, stmt) > 0) {
		snprintf(err->where, sizeof(err->where), "%s:%d", m->path,
			 dbh_sql_statement_line(m->sql, m->len, stmt));
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
	ret = fill_failure(c, m, res, 0, -1, err, &f);
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

/* A failed atomic attempt of `m` that will not be retried: the row that
 * records it, and the message. Returns the exit code. */
static int atomic_failed(struct dbh_conn *c, const struct dbh_migration *m,
			 const PGresult *res, long prefix_chars, int stmt,
			 int timed_out, struct dbh_error *err)
{
	char logs[4096];
	struct failure f;
	int code = fill_failure(c, m, res, prefix_chars, stmt, err, &f);

	if (timed_out && code != DBH_EUNREACH) {
		logs_text(m, &f, err, logs, sizeof(logs));
		record_attempt(c, m, logs);
		snprintf(err->message, sizeof(err->message),
			 "migration \"%.200s\" was cancelled: the time "
			 "budget ran out",
			 m->name);
		dbh_error_hint(err, "Nothing of it was applied (it ran in one "
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
	logs_text(m, &f, err, logs, sizeof(logs));
	record_attempt(c, m, logs);
	if (is_lock_failure(f.sqlstate) && !err->hint[0])
		dbh_error_hint(err, "Another transaction held a lock this "
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
		dbh_error_hint(err, "Nothing of this migration was applied: "
				    "it ran in one transaction. Fix the file "
				    "and deploy again.");
	return DBH_EFAILED;
}

static int row_gone_error(const struct dbh_migration *m, struct dbh_error *err)
{
	dbh_error_set(err, DBH_EFAILED,
		      "migration \"%s\" changed the migration history table",
		      m->name);
	dbh_error_detail(err, "Its statements ran and were committed, but its "
			      "own history row is gone.");
	dbh_error_hint(err,
		       "A migration must not touch _prisma_migrations. Check "
		       "the table, then `dbhook resolve --applied \"%s\"`.",
		       m->name);
	return DBH_EFAILED;
}

/* Prisma's mode for one migration, reported like the others. */
static int apply_alone(struct dbh_conn *c, struct dbh_migration *const *ms,
		       size_t i, const struct dbh_apply_opts *o,
		       const struct dbh_apply_hooks *hk,
		       const struct dbh_reporter *rep, struct dbh_error *err)
{
	double t0 = dbh_now();
	int ret;

	hk->started(hk->arg, i);
	ret = apply_prisma(c, ms[i], o, rep, err);
	if (!ret)
		hk->applied(hk->arg, i, dbh_now() - t0);
	return ret;
}

/* Whether ms[i] runs alone in Prisma's mode: it carries its own
 * transaction control, so it cannot be wrapped in ours. */
static int own_transactions(const struct dbh_migration *m,
			    const struct dbh_reporter *rep)
{
	struct dbh_sqlscan scan;

	dbh_sql_scan(m->sql, m->len, &scan);
	if (scan.txn_control)
		dbh_report(rep, DBH_NOTE,
			   "\"%s\" has its own %s (line %d): it runs as Prisma "
			   "runs it, not in dbhook's single transaction; if it "
			   "fails, what it committed before the failure stays "
			   "applied: check the database, then `dbhook resolve`",
			   m->path, scan.txn_word, scan.txn_line);
	return scan.txn_control;
}

/* Back-off for lock failures of the migration at the head of the queue;
 * it starts anew when the queue moves on. */
struct retry {
	size_t at;
	int attempt;
	double delay;
};

/* A batch stopped at ms[k] (the outcome's error): Prisma's mode for k
 * when it cannot run in a transaction block, a wait and a retry from k
 * after a lock failure, else k's failure recorded. Returns 0 to go on
 * from res->done, or the exit code. */
static int stopped(struct dbh_conn *c, struct dbh_migration *const *ms,
		   size_t k, long prefix_chars,
		   const struct dbh_batch_outcome *out,
		   const struct dbh_apply_opts *o,
		   const struct dbh_apply_hooks *hk,
		   const struct dbh_reporter *rep, struct retry *rt,
		   struct dbh_apply_result *res, struct dbh_error *err)
{
	const char *state = field(out->error, PG_DIAG_SQLSTATE);

	if (rt->at != k)
		*rt = (struct retry){k, 1, 1.0};
	if (!out->timed_out && strcmp(state, "25001") == 0) {
		/* Not a failure: a mode switch. */
		dbh_report(rep, DBH_NOTE,
			   "\"%s\" cannot run inside a transaction block; "
			   "running it as Prisma does (history row first, "
			   "then the file alone): if it fails part way, check "
			   "the database, then `dbhook resolve`",
			   ms[k]->path);
		int ret = apply_alone(c, ms, k, o, hk, rep, err);

		if (!ret)
			res->done = k + 1;
		return ret;
	}
	if (!out->timed_out && is_lock_failure(state) && !dbh_conn_lost(c) &&
	    (o->deadline > 0 ? dbh_now() + rt->delay < o->deadline
			     : rt->attempt < o->max_tries)) {
		dbh_report(rep, DBH_WARN,
			   "migration \"%s\": %s (SQLSTATE %s); nothing was "
			   "applied; retrying in %.0f s (attempt %d)%s%s",
			   ms[k]->name,
			   field(out->error, PG_DIAG_MESSAGE_PRIMARY), state,
			   rt->delay, rt->attempt + 1,
			   o->blockers ? "; the safety check saw: " : "",
			   o->blockers ? o->blockers : "");
		dbh_sleep(rt->delay);
		if (rt->delay < 16)
			rt->delay *= 2;
		rt->attempt++;
		return 0;
	}
	return atomic_failed(c, ms[k], out->error, prefix_chars, out->stmt,
			     out->timed_out, err);
}

int dbh_apply_all(struct dbh_conn *c, struct dbh_migration *const *ms, size_t n,
		  const struct dbh_apply_opts *o,
		  const struct dbh_apply_hooks *hk,
		  const struct dbh_reporter *rep, struct dbh_apply_result *res,
		  struct dbh_error *err)
{
	struct retry rt = {0, 1, 1.0};
	size_t limit = n;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	while (!ret && res->done < n) {
		size_t i = res->done, j = i;
		struct dbh_batch b;
		struct dbh_batch_outcome out;

		if (own_transactions(ms[i], rep)) {
			ret = apply_alone(c, ms, i, o, hk, rep, err);
			res->failed = i;
			res->done += !ret;
			continue;
		}
		while (j < limit && !own_transactions(ms[j], NULL))
			j++;
		limit = n;
		ret = dbh_batch_build(c, ms + i, j - i, j == n ? o->tail : NULL,
				      &b, err);
		if (ret) {
			res->failed = i;
			break;
		}
		ret = dbh_batch_send(c, &b, o->cancel_at, hk, i, rep, &out);
		res->done = i + out.done;
		res->tail_ran = out.tail_ran;
		res->failed = res->done;
		if (out.row_gone >= 0) {
			/* Found after the fact: the server went on. */
			res->failed = i + (size_t)out.row_gone;
			ret = row_gone_error(ms[res->failed], err);
		} else if (ret && out.refused_from) {
			/* Nothing ran: send what comes before the broken file;
			 * then the broken file fails alone, where it is. */
			limit = i + out.refused_from;
			ret = 0;
		} else if (ret) {
			ret = stopped(c, ms, res->done, b.file[out.done], &out,
				      o, hk, rep, &rt, res, err);
		}
		PQclear(out.error);
		dbh_batch_free(&b);
	}
	return ret;
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
