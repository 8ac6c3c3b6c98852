/* wake.h - asking Supabase why a connection failed, and waking a paused
 * project.
 *
 * Used by dbh_conn_open on the first network-type failure (DNS, refused,
 * time-out, unreachable, closed) to a Supabase host, when
 * SUPABASE_ACCESS_TOKEN is set: a paused free-tier project disappears
 * from DNS, which looks like any other outage until the Management API is
 * asked. With MIGRATE_SUPABASE_RESTORE=1 a paused project is restored and
 * awaited inside the run's time budget.
 */
#ifndef DBHOOK_WAKE_H
#define DBHOOK_WAKE_H

#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

enum dbh_wake {
	DBH_WAKE_NONE,	/* not a Supabase host, no token, or nothing learned:
			 * go on as before */
	DBH_WAKE_RETRY, /* the project is (now) healthy: connect again */
	DBH_WAKE_STOP	/* the project is paused (or broken) and will not be
			 * restored: `err` says so; stop retrying */
};

/* `hint` receives a sentence to add to the final error when the API had
 * something to say (e.g. "Supabase reports the project as ACTIVE_HEALTHY,
 * so ..."), else "". */
enum dbh_wake dbh_wake_supabase(const struct dbh_conninfo *ci, double deadline,
				const struct dbh_reporter *rep, char *hint,
				size_t hintsz, struct dbh_error *err);

#endif
