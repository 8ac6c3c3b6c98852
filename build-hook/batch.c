/* batch.c - see batch.h. */
#include "dbhook/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/history.h"
#include "dbhook/sbuf.h"
#include "dbhook/sqlscan.h"

/* Past this much SQL a run is split in several messages. The message is
 * a second copy of the files in memory (a third in libpq's output buffer,
 * which keeps its size): 64 KB holds a typical deploy of dozens of
 * migrations in one message, and keeps the peak memory of a first deploy
 * of 1000 migrations where applying them one by one had it (11.8 MB; at
 * 1 MB it was 13.2 MB). The limit counts the whole message, not only the
 * files, and leaves room for libpq's 6 bytes of framing: our buffer and
 * libpq's both double as they grow, so a message one byte over 64 KB costs
 * 64 KB more of each. */
#define BATCH_MAX_BYTES (64 * 1024 - 16)

void dbh_batch_free(struct dbh_batch *b)
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
int dbh_batch_build(struct dbh_conn *c, struct dbh_migration *const *ms,
		    size_t n, const char *tail, struct dbh_batch *b,
		    struct dbh_error *err)
{
	struct dbh_sbuf q = {0};
	long chars = 0;
	size_t i, tail_len = tail ? strlen(tail) : 0;

	memset(b, 0, sizeof(*b));
	b->ms = ms;
	b->start = dbh_xcalloc(n, sizeof(*b->start));
	b->file = dbh_xcalloc(n, sizeof(*b->file));
	for (i = 0; i < n; i++) {
		const struct dbh_migration *m = ms[i];
		char *name = PQescapeLiteral(c->pg, m->name, strlen(m->name));
		char id[37], *head, *foot;
		size_t more;

		if (!name) {
			const char *why = PQerrorMessage(c->pg);

			free(q.s);
			dbh_batch_free(b);
			return dbh_error_set(
			    err, DBH_EFAILED,
			    "cannot quote the name \"%s\": %.*s", m->name,
			    (int)strcspn(why, "\n"), why);
		}
		/* clock_timestamp(), not now(): every transaction of one
		 * message has the same now(), and the history is read in
		 * started_at order. */
		dbh_uuid4(id);
		head =
		    dbh_xasprintf("BEGIN;\nINSERT INTO %s (id, checksum, "
				  "started_at, migration_name) VALUES ('%s', "
				  "'%s', clock_timestamp(), %s);\n",
				  c->table, id, m->checksum, name);
		PQfreemem(name);
		/* The newline after the file ends a trailing -- comment;
		 * dbh_migration_load has refused files that end inside a
		 * block comment or quote, which would swallow the rest. */
		foot = dbh_xasprintf("\n;\nUPDATE %s SET finished_at = "
				     "clock_timestamp(), applied_steps_count = "
				     "1 WHERE id = '%s';\nCOMMIT;\n",
				     c->table, id);
		more = strlen(head) + m->len + strlen(foot);
		if (i + 1 == n) /* the tail goes in only after the last */
			more += tail_len;
		if (i > 0 && q.len + more > BATCH_MAX_BYTES) {
			free(head);
			free(foot);
			break;
		}
		b->start[i] = chars;
		dbh_sbuf_add(&q, head);
		chars += dbh_utf8_chars(head, strlen(head));
		b->file[i] = chars;
		dbh_sbuf_addn(&q, m->sql, m->len);
		dbh_sbuf_add(&q, foot);
		chars += dbh_utf8_chars(m->sql, m->len) +
			 dbh_utf8_chars(foot, strlen(foot));
		free(head);
		free(foot);
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
static size_t at(const struct dbh_batch *b, long pos)
{
	size_t i = 0;

	while (i + 1 < b->n && b->start[i + 1] < pos)
		i++;
	return i;
}

/* Follows the results of a batch as they arrive. */
struct run {
	const struct dbh_batch *b;
	const struct dbh_apply_hooks *hk;
	size_t base; /* index of ms[0] for the hooks */
	struct dbh_watch *w;
	size_t done;	 /* COMMITs seen: migrations applied */
	PGresult *error; /* the first error, owned */
	char prev[32];	 /* the command tag before the last */
	long row_gone;	 /* a migration whose own row was gone, or -1 */
	int tail_ran;	 /* the tail's result came */
	int since;	 /* results since the last COMMIT */
	int err_stmt;	 /* the failed statement of the file, or -1 */
	double t0;	 /* when the running migration started */
};

static void on_result(void *arg, PGresult *r)
{
	struct run *run = arg;
	const char *tag = PQcmdStatus(r);

	if (run->error || PQresultStatus(r) == PGRES_FATAL_ERROR) {
		if (!run->error) {
			/* Each statement answers once: BEGIN, our INSERT, then
			 * the file's statements in order. */
			run->error = r;
			run->err_stmt = run->since - 2;
		} else {
			PQclear(r);
		}
		return;
	}
	run->since++;
	if (run->done < run->b->n && strcmp(tag, "COMMIT") == 0) {
		double now = dbh_now();

		/* The statement before our COMMIT is our UPDATE. */
		if (strcmp(run->prev, "UPDATE 1") != 0 && run->row_gone < 0)
			run->row_gone = (long)run->done;
		run->hk->applied(run->hk->arg, run->base + run->done,
				 now - run->t0);
		run->done++;
		run->t0 = now;
		run->since = 0;
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

int dbh_batch_send(struct dbh_conn *c, const struct dbh_batch *b,
		   double cancel_at, const struct dbh_apply_hooks *hk,
		   size_t base, const struct dbh_reporter *rep,
		   struct dbh_batch_outcome *out)
{
	struct dbh_watch w = {cancel_at, b->ms[0]->name, rep,
			      on_result, NULL,		 0};
	struct run run = {b,  hk, base, &w, 0,	NULL,
			  "", -1, 0,	0,  -1, dbh_now()};
	int lost;

	w.arg = &run;
	hk->started(hk->arg, base);
	lost = dbh_conn_stream(c, b->sql, &w);
	memset(out, 0, sizeof(*out));
	out->done = run.done;
	out->tail_ran = run.tail_ran;
	out->row_gone = run.row_gone;
	if (run.done == b->n) {
		/* Every migration committed; a failed tail (the lock's
		 * release) is the caller's to repeat. */
		PQclear(run.error);
		return 0;
	}
	out->timed_out = w.timed_out;
	out->stmt = run.error ? run.err_stmt : -1;
	out->error = run.error ? run.error
			       : PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);
	if (run.error && run.done == 0 && !lost) {
		const char *pos =
		    PQresultErrorField(run.error, PG_DIAG_STATEMENT_POSITION);

		out->refused_from = pos ? at(b, atol(pos)) : 0;
	}
	/* The failed migration's transaction is open and aborted. */
	if (!dbh_conn_lost(c) && PQtransactionStatus(c->pg) == PQTRANS_INERROR)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return 1;
}
