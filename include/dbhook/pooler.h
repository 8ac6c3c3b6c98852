/* pooler.h - refusing transaction poolers for migrations.
 *
 * Transaction pooling (PgBouncer pool_mode=transaction, Supavisor and
 * Supabase's dedicated pooler on 6543, Neon's -pooler hosts) hands each
 * transaction to any server connection: the session advisory lock is
 * stranded on a backend other clients reuse, SET is lost, and named
 * prepared statements clash ("prepared statement already exists"). So a
 * migration needs a direct or session-mode connection.
 *
 * Evidence, cheapest first: the URL, before connecting; then, once
 * connected, a pooler is present when PQbackendPID() differs from
 * pg_backend_pid() (poolers hand out a synthetic backend key), and its
 * mode is told by a session marker that a second connection's open
 * transaction would see (or that we would lose) under transaction pooling,
 * over up to three rounds (one round misreads under load).
 */
#ifndef DBHOOK_POOLER_H
#define DBHOOK_POOLER_H

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

enum dbh_pool {
	DBH_POOL_NONE,	     /* a direct connection */
	DBH_POOL_SESSION,    /* a pooler in session mode: fine */
	DBH_POOL_TRANSACTION /* a pooler in transaction mode: refused */
};

/* URL evidence. Returns 1 and a short reason ("port 6543", "pgbouncer=true
 * in the URL", …) when the URL names a transaction pooler, else 0. */
int dbh_pooler_url(const struct dbh_conninfo *ci, char *why, size_t whysz);

/* The live probe on an open connection (`co` opens the second one).
 * Returns 0 with *mode set, or an error code. *name is set to
 * "Supavisor" or "a pooler" when one is present, and to NULL with
 * DBH_POOL_TRANSACTION when the second connection could not be opened
 * (the mode is unknown: assumed to be transaction pooling). */
int dbh_pooler_probe(struct dbh_conn *c, const struct dbh_connect_opts *co,
		     enum dbh_pool *mode, const char **name,
		     struct dbh_error *err);

/* How the message of every refusal starts (urlfind.c adds to its hint). */
#define DBH_POOLER_REFUSAL "refusing to migrate through a transaction pooler"

/* Fills `err` with the refusal (exit DBH_EUSAGE): the evidence, why it
 * breaks migrations, and a hint with the session-mode form of the same URL
 * when one can be derived (6543 → 5432, no pgbouncer=true, Neon host
 * without -pooler). `live`: the verdict came from the live probe, so the
 * hint does not offer --probe-pooler. */
int dbh_pooler_refuse(const struct dbh_conninfo *ci, const char *why, int live,
		      struct dbh_error *err);

/* The pooler checks every writing command runs (deploy, resolve): the
 * URL's evidence before connecting (skipped with `probe_only`), and the
 * live probe once connected. Both return 0, or DBH_EUSAGE with the
 * refusal in `err`; a session-mode pooler gets a note. */
int dbh_refuse_pooled_url(const struct dbh_conninfo *ci, int probe_only,
			  struct dbh_error *err);
int dbh_check_pooler(struct dbh_conn *c, const struct dbh_connect_opts *co,
		     const struct dbh_reporter *rep, struct dbh_error *err);

#endif
