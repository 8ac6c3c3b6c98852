/* apply.c - one migration: atomic mode, Prisma's mode, and failures. */
#include "dbhook/apply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/sbuf.h"
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

/* A run of transactional migrations sent as one simple-query message:
 * each is "BEGIN; INSERT its row; <file>; UPDATE its row finished;
 * COMMIT;". The server runs them in order and stops at the first error,
 * skipping the rest of the message; what was committed before stays
 * committed, so every migration is still applied whole or not at all.
 * Positions are in characters, as the server counts them. */
struct batch {
	struct dbh_migration *const *ms;
	size_t n;
	char *sql;   /* the message, owned */
	long *start; /* where migration i's part begins, owned */
	long *file;  /* where its file begins */
	int has_tail;
};

/* Past this size a run is split in several messages: the message is a
 * second copy of the files in memory (a third in libpq's buffer). */
#define BATCH_MAX_BYTES (1024 * 1024)

static void batch_free(struct batch *b)
{
	free(b->sql);
	free(b->start);
	free(b->file);
	memset(b, 0, sizeof(*b));
}

/* Builds the message for ms[0..n), taking as many as fit (at least one);
 * `tail` (a statement or NULL) ends it when all n fit. Returns 0, or
 * DBH_EFAILED when libpq cannot quote a name: out of memory, or a name
 * that is not valid in the client encoding (libpq does not say which, so
 * its message is passed on). */
static int batch_build(struct dbh_conn *c, struct dbh_migration *const *ms,
		       size_t n, const char *tail, struct batch *b,
		       struct dbh_error *err)
{
	struct dbh_sbuf q = {0};
	long chars = 0;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->ms = ms;
	b->start = dbh_xcalloc(n, sizeof(*b->start));
	b->file = dbh_xcalloc(n, sizeof(*b->file));
	for (i = 0; i < n && (i == 0 || q.len + ms[i]->len < BATCH_MAX_BYTES);
	     i++) {
		const struct dbh_migration *m = ms[i];
		char *name = PQescapeLiteral(c->pg, m->name, strlen(m->name));
		char id[37];
		size_t mark;

		if (!name) {
			const char *why = PQerrorMessage(c->pg);

			free(q.s);
			batch_free(b);
			return dbh_error_set(
			    err, DBH_EFAILED,
			    "cannot quote the name \"%s\": %.*s", m->name,
			    (int)strcspn(why, "\n"), why);
		}
		/* clock_timestamp(), not now(): every transaction of one
		 * message has the same now(), and the history is read in
		 * started_at order. */
		dbh_uuid4(id);
		b->start[i] = chars;
		mark = q.len;
		dbh_sbuf_addf(
		    &q,
		    "BEGIN;\nINSERT INTO %s (id, checksum, started_at,"
		    " migration_name) VALUES ('%s', '%s', "
		    "clock_timestamp(), "
		    "%s);\n",
		    c->table, id, m->checksum, name);
		PQfreemem(name);
		chars += dbh_utf8_chars(q.s + mark, q.len - mark);
		b->file[i] = chars;
		/* The newline after the file ends a trailing -- comment;
		 * dbh_migration_load has refused files that end inside a
		 * block comment or quote, which would swallow the rest. */
		dbh_sbuf_addn(&q, m->sql, m->len);
		mark = q.len;
		dbh_sbuf_addf(&q,
			      "\n;\nUPDATE %s SET finished_at = "
			      "clock_timestamp(), applied_steps_count = 1 "
			      "WHERE id = '%s';\nCOMMIT;\n",
			      c->table, id);
		chars += dbh_utf8_chars(m->sql, m->len) +
			 dbh_utf8_chars(q.s + mark, q.len - mark);
	}
	b->n = i;
	if (i == n && tail) {
		dbh_sbuf_add(&q, tail);
		b->has_tail = 1;
	}
	b->sql = q.s;
	return 0;
}

/* Which migration of the batch character position `pos` falls in. */
static size_t batch_at(const struct batch *b, long pos)
{
	size_t i = 0;

	while (i + 1 < b->n && b->start[i + 1] < pos)
		i++;
	return i;
}

/* Follows the results of a batch as they arrive. */
struct batch_run {
	const struct batch *b;
	const struct dbh_apply_hooks *hk;
	size_t base; /* index of ms[0] for the hooks */
	struct dbh_watch *w;
	size_t done;	 /* COMMITs seen: migrations applied */
	PGresult *error; /* the first error, owned */
	char prev[32];	 /* the command tag before the last */
	long row_gone;	 /* a migration whose own row was gone, or -1 */
	int tail_ran;	 /* the tail's result came */
	double t0;	 /* when the running migration started */
};

static void on_batch_result(void *arg, PGresult *r)
{
	struct batch_run *run = arg;
	const char *tag = PQcmdStatus(r);

	if (run->error || PQresultStatus(r) == PGRES_FATAL_ERROR) {
		if (!run->error)
			run->error = r;
		else
			PQclear(r);
		return;
	}
	if (run->done < run->b->n && strcmp(tag, "COMMIT") == 0) {
		double now = dbh_now();

		/* The statement before our COMMIT is our UPDATE. */
		if (strcmp(run->prev, "UPDATE 1") != 0 && run->row_gone < 0)
			run->row_gone = (long)run->done;
		run->hk->applied(run->hk->arg, run->base + run->done,
				 now - run->t0);
		run->done++;
		run->t0 = now;
		if (run->done < run->b->n) {
			run->w->label = run->b->ms[run->done]->name;
			run->hk->started(run->hk->arg, run->base + run->done);
		}
	} else if (run->done == run->b->n && run->b->has_tail) {
		run->tail_ran = 1;
	}
	snprintf(run->prev, sizeof(run->prev), "%s", tag);
	PQclear(r);
}

/* What one failed run of a batch leaves to decide on. */
struct batch_failure {
	size_t at;	     /* index in the batch of the migration it hit */
	size_t refused_from; /* the server refused the whole message for a
			      * syntax error in this migration, after `at`
			      * (nothing ran), or 0 */
	int timed_out;
	PGresult *res; /* the error, owned */
};

/* Sends batch `b`; 0 when all of it committed, else 1 with `f` filled.
 * The session is left idle in both cases. */
static int batch_send(struct dbh_conn *c, const struct batch *b,
		      const struct dbh_apply_opts *o,
		      const struct dbh_apply_hooks *hk, size_t base,
		      const struct dbh_reporter *rep, int *tail_ran,
		      long *row_gone, struct batch_failure *f)
{
	struct dbh_watch w = {o->cancel_at,    b->ms[0]->name, rep,
			      on_batch_result, NULL,	       0};
	struct batch_run run = {b, hk, base, &w, 0, NULL, "", -1, 0, dbh_now()};
	int lost;

	w.arg = &run;
	hk->started(hk->arg, base);
	lost = dbh_conn_stream(c, b->sql, &w);
	*tail_ran = run.tail_ran;
	*row_gone = run.row_gone;
	memset(f, 0, sizeof(*f));
	if (!lost && !run.error && run.done == b->n)
		return 0;
	f->at = run.done < b->n ? run.done : b->n - 1;
	f->timed_out = w.timed_out;
	f->res = run.error ? run.error
			   : PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
	if (run.error && run.done == 0) {
		const char *pos =
		    PQresultErrorField(run.error, PG_DIAG_STATEMENT_POSITION);
		size_t in = pos ? batch_at(b, atol(pos)) : 0;

		if (in > 0)
			f->refused_from = in;
	}
	/* The failed migration's transaction is open and aborted. */
	if (!dbh_conn_lost(c) && PQtransactionStatus(c->pg) == PQTRANS_INERROR)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return 1;
}

/* A failed atomic attempt of `m` that will not be retried: the row that
 * records it, and the message. Returns the exit code. */
static int atomic_failed(struct dbh_conn *c, const struct dbh_migration *m,
			 const PGresult *res, long prefix_chars, int timed_out,
			 struct dbh_error *err)
{
	char logs[4096];
	struct failure f;
	int code = fill_failure(c, m, res, prefix_chars, err, &f);

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

int dbh_apply_all(struct dbh_conn *c, struct dbh_migration *const *ms, size_t n,
		  const struct dbh_apply_opts *o,
		  const struct dbh_apply_hooks *hk,
		  const struct dbh_reporter *rep, struct dbh_apply_result *res,
		  struct dbh_error *err)
{
	size_t i = 0, limit = n;
	int attempt = 1;
	double delay = 1.0;

	memset(res, 0, sizeof(*res));
	while (i < n) {
		struct batch b;
		struct batch_failure f;
		size_t j = i, k;
		long row_gone;
		int ret;

		if (own_transactions(ms[i], rep)) {
			ret = apply_alone(c, ms, i, o, hk, rep, err);
			if (ret) {
				res->failed = i;
				return ret;
			}
			res->done = ++i;
			continue;
		}
		while (j < limit && !own_transactions(ms[j], NULL))
			j++;
		limit = n;
		ret = batch_build(c, ms + i, j - i, j == n ? o->tail : NULL, &b,
				  err);
		if (ret)
			return ret;
		ret = batch_send(c, &b, o, hk, i, rep, &res->tail_ran,
				 &row_gone, &f);
		k = i + (ret ? f.at : b.n);
		res->done = k;
		if (row_gone >= 0) {
			/* Found after the fact: the server went on. */
			res->failed = i + (size_t)row_gone;
			PQclear(f.res);
			batch_free(&b);
			return row_gone_error(ms[res->failed], err);
		}
		if (!ret) {
			batch_free(&b);
			i = k;
			attempt = 1;
			delay = 1.0;
			continue;
		}
		if (k > i) {
			attempt = 1; /* progress: retries count anew */
			delay = 1.0;
		}
		if (f.refused_from) {
			/* Nothing ran: send what comes before the broken file,
			 * then the broken file alone fails where it is. */
			limit = i + f.refused_from;
			PQclear(f.res);
			batch_free(&b);
			continue;
		}
		ret = 0;
		if (!f.timed_out &&
		    strcmp(field(f.res, PG_DIAG_SQLSTATE), "25001") == 0) {
			/* Not a failure: a mode switch. */
			dbh_report(rep, DBH_NOTE,
				   "\"%s\" cannot run inside a transaction "
				   "block; running it as Prisma does (history "
				   "row first, then the file alone): if it "
				   "fails part way, check the database, then "
				   "`dbhook resolve`",
				   ms[k]->path);
			ret = apply_alone(c, ms, k, o, hk, rep, err);
			if (!ret)
				res->done = k + 1;
		} else if (!f.timed_out &&
			   is_lock_failure(field(f.res, PG_DIAG_SQLSTATE)) &&
			   !dbh_conn_lost(c) &&
			   (o->deadline > 0 ? dbh_now() + delay < o->deadline
					    : attempt < o->max_tries)) {
			dbh_report(
			    rep, DBH_WARN,
			    "migration \"%s\": %s (SQLSTATE %s); "
			    "nothing was applied; retrying in %.0f s "
			    "(attempt %d)",
			    ms[k]->name, field(f.res, PG_DIAG_MESSAGE_PRIMARY),
			    field(f.res, PG_DIAG_SQLSTATE), delay, attempt + 1);
			dbh_sleep(delay);
			if (delay < 16)
				delay *= 2;
			attempt++;
		} else {
			ret = atomic_failed(c, ms[k], f.res, b.file[k - i],
					    f.timed_out, err);
		}
		PQclear(f.res);
		batch_free(&b);
		if (ret) {
			res->failed = k;
			return ret;
		}
		i = res->done;
	}
	return 0;
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
