/* prepare.c - see prepare.h. */
#include "dbhook/prepare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/config.h"
#include "dbhook/lock.h"
#include "dbhook/pooler.h"

/* The history under the lock, read the plain way: after a wait for the
 * lock, or when the table turned up meanwhile. */
static int read_under_lock(struct dbh_conn *c, struct dbh_history *h,
			   struct dbh_prepared *p, struct dbh_error *err)
{
	int ret = dbh_history_inspect(c, &p->facts, err);

	if (!ret && p->facts.exists)
		ret = dbh_history_read(c, h, err);
	return ret;
}

/* The slow ways: a pooler answered (probe it, refuse transaction mode),
 * or another session holds the lock (wait for it, naming the holder). */
static int slow_way(struct dbh_conn *c, const struct dbh_prepare_opts *o,
		    int pooled, const struct dbh_reporter *rep,
		    struct dbh_history *h, struct dbh_prepared *p,
		    struct dbh_error *err)
{
	int ret = pooled ? dbh_check_pooler(c, o->conn, rep, err) : 0;

	if (!ret)
		ret = dbh_lock_acquire(c, o->lock_wait_s, rep, err);
	if (ret)
		return ret;
	p->locked = !dbh_config()->advisory_lock_off;
	return read_under_lock(c, h, p, err);
}

/* What the one message found: the lock ours (then the history, or the
 * facts of a schema without one), busy, or a pooler in between. */
static int take(struct dbh_conn *c, const struct dbh_prepare_opts *o,
		const PGresult *lock, const PGresult *read,
		const struct dbh_reporter *rep, struct dbh_history *h,
		struct dbh_prepared *p, struct dbh_error *err)
{
	int pooled = PQgetisnull(lock, 0, 0);
	int ret = 0;

	if (pooled || strcmp(PQgetvalue(lock, 0, 0), "f") == 0)
		return slow_way(c, o, pooled, rep, h, p, err);
	if (dbh_config()->advisory_lock_off) /* only for its warning */
		ret = dbh_lock_acquire(c, 0, rep, err);
	if (ret)
		return ret;
	if (!o->history_exists) {
		ret = dbh_history_facts_from(c, read, &p->facts, err);
		/* Another deploy made the table since the fast path looked. */
		if (!ret && p->facts.exists)
			ret = dbh_history_read(c, h, err);
		return ret;
	}
	p->facts.exists = 1;
	snprintf(p->facts.schema, sizeof(p->facts.schema), "%s", c->schema);
	return dbh_history_from(c, read, h, err);
}

int dbh_prepare(struct dbh_conn *c, const struct dbh_prepare_opts *o,
		const struct dbh_reporter *rep, struct dbh_history *h,
		struct dbh_prepared *p, struct dbh_error *err)
{
	struct dbh_setup st;
	struct dbh_stmt s[DBH_SETUP_MAX + 2];
	char lock_sql[160];
	char *read_sql;
	const PGresult *lock_res, *read_res;
	size_t n;
	int ret;

	memset(p, 0, sizeof(*p));
	memset(h, 0, sizeof(*h));
	ret = dbh_conn_setup_stmts(c, o->stmt_lock_timeout_ms, &st, err);
	if (ret)
		return ret;
	/* The history is read after the lock statement in the same message,
	 * so it sees every deploy that finished before we took it. When the
	 * fast path found no table, the schema's facts instead (the table
	 * may be created, or the schema refused as Prisma's P3005). */
	read_sql = o->history_exists ? dbh_history_sql(c, 0)
				     : dbh_history_inspect_sql(c);
	if (!read_sql)
		return dbh_conn_result_error(c, NULL, err, "the URL's schema");
	memcpy(s, st.s, st.n * sizeof(*s));
	n = st.n;
	dbh_lock_try_sql(c, lock_sql, sizeof(lock_sql));
	s[n++] =
	    (struct dbh_stmt){lock_sql, "cannot take the migration lock", NULL};
	s[n++] = (struct dbh_stmt){read_sql,
				   o->history_exists
				       ? "cannot read the migration history"
				       : "cannot inspect the schema",
				   NULL};
	ret = dbh_conn_exec_all(c, s, n, err);
	lock_res = s[n - 2].res;
	read_res = s[n - 1].res;
	/* The lock may be ours even when a later statement failed: session
	 * locks outlive the rollback of the message's transaction. */
	if (PQresultStatus(lock_res) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(lock_res, 0, 0), "t") == 0)
		p->locked = !dbh_config()->advisory_lock_off;
	if (!ret)
		ret = dbh_conn_setup_done(c, s[st.n - 1].res, err);
	if (!ret)
		ret = take(c, o, lock_res, read_res, rep, h, p, err);
	dbh_stmts_clear(s, n);
	free(read_sql);
	return ret;
}
