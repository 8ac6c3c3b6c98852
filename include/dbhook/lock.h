/* lock.h - the advisory lock shared with Prisma Migrate.
 *
 * Session lock pg_advisory_lock(72707369), the single-bigint key Prisma
 * takes, so dbhook and `prisma migrate deploy` exclude each other. We poll
 * pg_try_advisory_lock (never inside an open transaction) so a wait can be
 * bounded and the holder named while we wait.
 */
#ifndef DBHOOK_LOCK_H
#define DBHOOK_LOCK_H

#include "dbhook/clock.h"
#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"

#define DBH_LOCK_KEY 72707369

/* Waits up to `timeout_s` seconds for the lock, reporting the holder at
 * once and every 10 s. Returns 0 when held, DBH_EUNREACH on time-out (the
 * holder named in `err`), or the error of a failed query.
 * PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK (set, not "" or "0") skips the lock
 * with a warning, as Prisma does. */
int dbh_lock_acquire(struct dbh_conn *c, double timeout_s,
		     const struct dbh_reporter *rep, struct dbh_error *err);

/* Releases it explicitly (a pooled or reused connection must not keep
 * it). Errors are ignored: closing the session releases it too. */
void dbh_lock_release(struct dbh_conn *c);

/* The lock taken in passing, as one statement of a larger round trip
 * (it does not wait): it answers "t" (taken, or the lock is switched off),
 * "f" (another session holds it), or NULL when the server's
 * pg_backend_pid() is not the one libpq was given, i.e. a pooler stands
 * between us and the server and taking the lock there could strand it on
 * a connection other clients reuse. */
void dbh_lock_try_sql(const struct dbh_conn *c, char *buf, size_t bufsz);

/* The statement that releases it (to end a larger round trip), or NULL
 * when the lock is switched off. */
const char *dbh_lock_release_sql(void);

#endif
