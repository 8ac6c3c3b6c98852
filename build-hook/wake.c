/* wake.c - Supabase diagnosis and wake-up for a failed connection. */
#include "dbhook/wake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/config.h"
#include "dbhook/supabase.h"

static int restore_wanted(void)
{
	return dbh_config()->supabase_restore;
}

static int is_waking(const char *status)
{
	static const char *waking[] = {"COMING_UP", "RESTORING", "RESTARTING",
				       "UPGRADING", "RESIZING",	 "PAUSING",
				       "GOING_DOWN"};

	for (size_t i = 0; i < sizeof(waking) / sizeof(waking[0]); i++)
		if (strcmp(status, waking[i]) == 0)
			return 1;
	return 0;
}

enum dbh_wake dbh_wake_supabase(const struct dbh_conninfo *ci, double deadline,
				const struct dbh_reporter *rep, char *hint,
				size_t hintsz, struct dbh_error *err)
{
	struct dbh_supabase sb;
	struct dbh_error apierr;
	char ref[DBH_SUPABASE_REF_MAX + 1], host[256], status[64];

	hint[0] = '\0';
	snprintf(host, sizeof(host), "%s",
		 dbh_conninfo_get(ci, "host") ? dbh_conninfo_get(ci, "host")
					      : "");
	host[strcspn(host, ",")] = '\0';
	dbh_supabase_init(&sb);
	if (!sb.token || !*sb.token ||
	    !dbh_suphost_ref(host, dbh_conninfo_get(ci, "user"), ref,
			     sizeof(ref)))
		return DBH_WAKE_NONE;
	sb.deadline = deadline;
	dbh_error_clear(&apierr);
	if (dbh_supabase_status(&sb, ref, status, sizeof(status), &apierr)) {
		dbh_report(rep, DBH_WARN,
			   "could not ask Supabase about project %s: %s", ref,
			   apierr.message);
		return DBH_WAKE_NONE;
	}
	dbh_report(rep, DBH_NOTE, "Supabase reports project %s as %s", ref,
		   status);
	if (strcmp(status, "ACTIVE_HEALTHY") == 0) {
		snprintf(hint, hintsz,
			 "Supabase reports project %s as ACTIVE_HEALTHY, so it "
			 "is not paused: the cause is the network or the URL.",
			 ref);
		return DBH_WAKE_NONE;
	}
	if (strcmp(status, "INACTIVE") == 0 && !restore_wanted()) {
		dbh_error_set(err, DBH_EUNREACH,
			      "Supabase project %s is paused", ref);
		dbh_error_detail(err,
				 "The Management API reports its status as "
				 "INACTIVE: free-tier projects pause after "
				 "a week without activity.");
		dbh_error_hint(err,
			       "Restore it in the Supabase dashboard, or set "
			       "MIGRATE_SUPABASE_RESTORE=1 to let dbhook "
			       "restore it and wait (inside --timeout).");
		return DBH_WAKE_STOP;
	}
	if (strcmp(status, "INACTIVE") == 0) {
		dbh_report(rep, DBH_INFO,
			   "Supabase project %s is paused: restoring it "
			   "(MIGRATE_SUPABASE_RESTORE=1)",
			   ref);
		if (dbh_supabase_restore(&sb, ref, err))
			return DBH_WAKE_STOP;
	} else if (!is_waking(status)) {
		dbh_error_set(err, DBH_EUNREACH, "Supabase project %s is %s",
			      ref, status);
		dbh_error_hint(err, "Check the project in the Supabase "
				    "dashboard, or contact Supabase support.");
		return DBH_WAKE_STOP;
	}
	if (dbh_supabase_wait_healthy(&sb, ref, rep, err))
		return DBH_WAKE_STOP;
	dbh_report(rep, DBH_INFO, "Supabase project %s is healthy", ref);
	return DBH_WAKE_RETRY;
}
