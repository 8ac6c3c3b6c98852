/* connect.c - getting a session: attempts with back-off inside the time
 * budget, the Supabase wake-up of a paused project, and the diagnosis of
 * a failure. conn.c only talks to the database; diag.c turns the facts
 * gathered here into cause and fix; wake.c asks the Supabase API. */
#include "dbhook/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/diag.h"
#include "dbhook/wake.h"

/* Whether the host counts as down for the short budget: it refuses, does
 * not resolve or cannot be reached. */
static int looks_down(enum dbh_connfail kind)
{
	return kind == DBH_CF_DNS || kind == DBH_CF_REFUSED ||
	       kind == DBH_CF_UNREACHABLE;
}

int dbh_conn_open(struct dbh_conn *c, const struct dbh_conninfo *ci,
		  const struct dbh_connect_opts *o, struct dbh_error *err)
{
	double start = dbh_now(), pause = 0.5, noted = 0;
	int asked = 0, waking = 0;
	char msg[1500], api_hint[512] = "";
	struct dbh_connfacts f = {.msg = msg, .api_hint = api_hint};

	memset(c, 0, sizeof(*c));
	srand((unsigned)getpid() ^ (unsigned)(start * 1000));
	for (;;) {
		double wait;
		PGconn *pg;

		f.attempts++;
		pg = dbh_conn_attempt(ci, o);
		if (pg && PQstatus(pg) == CONNECTION_OK)
			return dbh_conn_start(c, pg, ci, o, err);
		if (!pg)
			dbh_oom(); /* libpq's only reason for no PGconn */
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
		PQfinish(pg);
		if (o->give_up && o->give_up(o->give_up_arg, err))
			return err->code;
		f.kind = dbh_diag_classify(msg);

		/* A Supabase host that fails at the network level may be a
		 * paused project: ask the Management API once. */
		if (!asked && dbh_diag_retryable(f.kind) &&
		    f.kind != DBH_CF_STARTING && f.kind != DBH_CF_TOO_MANY) {
			asked = 1;
			switch (dbh_wake_supabase(ci, o->deadline, o->rep,
						  api_hint, sizeof(api_hint),
						  err)) {
			case DBH_WAKE_STOP:
				return err->code;
			case DBH_WAKE_RETRY:
				waking = 1; /* the full budget from here on */
				pause = 0.5;
				continue;
			default:
				break;
			}
		}
		/* Exponential back-off with jitter, inside the budget: stop
		 * when less than a second would be left for the next try
		 * (a refused port answers at once, a silent one takes
		 * libpq's minimum of 2 s). */
		wait = pause * (0.75 + 0.5 * rand() / (double)RAND_MAX);
		int fast =
		    !waking && o->unreachable_s > 0 && looks_down(f.kind);
		int down = fast && dbh_now() - start >= o->unreachable_s;

		/* The last try comes when the short budget ends. */
		if (fast && !down &&
		    dbh_now() + wait - start > o->unreachable_s)
			wait = start + o->unreachable_s - dbh_now();
		if (!dbh_diag_retryable(f.kind) || o->deadline <= 0 ||
		    dbh_left(o->deadline) < wait + 1 || down) {
			f.seconds = dbh_now() - start;
			f.gave_up_s = down ? o->unreachable_s : 0;
			return dbh_diag_connect(ci, &f, err);
		}
		msg[strcspn(msg, "\n")] = '\0';
		/* The first failure says why; after that a line every 10 s
		 * (DBHOOK_HEARTBEAT) at most, not one per attempt. */
		if (f.attempts == 1)
			dbh_report(o->rep, DBH_NOTE,
				   "connection attempt 1 failed (%s): %s; "
				   "retrying in %.1f s",
				   dbh_diag_name(f.kind), msg, wait);
		else if (dbh_now() - start - noted >=
			 dbh_config()->heartbeat_s) {
			noted = dbh_now() - start;
			dbh_report(o->rep, DBH_NOTE,
				   "still connecting: %d attempts in %.0f s "
				   "(%s)",
				   f.attempts, noted, dbh_diag_name(f.kind));
		}
		dbh_sleep(wait);
		if (pause < 8)
			pause *= 2;
	}
}
