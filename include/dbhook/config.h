/* config.h - every environment variable the programs honour, read in
 * one place into one struct.
 *
 * The README's "Environment" table lists the same names (a test keeps
 * them equal). Strings point into the environment: NULL when a variable
 * is unset or empty. Flags are 1 for "1", "true" or "yes" (any case).
 */
#ifndef DBHOOK_CONFIG_H
#define DBHOOK_CONFIG_H

#include <stddef.h>

#define DBH_HEARTBEAT_DEFAULT 10.0
#define DBH_API_TIMEOUT_DEFAULT 10.0
#define DBH_LONG_TRANSACTION_DEFAULT 60.0

struct dbh_config {
	/* Where the build runs (Vercel, GitHub Actions). */
	const char *environment; /* VERCEL_TARGET_ENV, else VERCEL_ENV */
	int vercel;		 /* VERCEL set: a Vercel build (or `vercel
				    build`), where .env is not read */
	const char *commit_sha;	 /* VERCEL_GIT_COMMIT_SHA, else GITHUB_SHA */
	const char *project_url; /* VERCEL_PROJECT_PRODUCTION_URL, else
				    VERCEL_URL */
	int github_actions;	 /* GITHUB_ACTIONS=true: annotations */
	int ci;			 /* CI set: a log, no live terminal line */
	const char *npm_event;	 /* npm_lifecycle_event: the running script */
	/* vercel-build */
	int strict;		/* MIGRATE_STRICT */
	const char *safety;	/* MIGRATE_SAFETY: warn, block or off */
	const char *notify_url; /* MIGRATE_NOTIFY_URL (a secret) */
	int notify_always;	/* MIGRATE_NOTIFY_ON=always */
	int keep_env;		/* DBHOOK_KEEP_ENV */
	int inside_handoff;	/* DBHOOK_HANDOFF: a build vercel-build runs */
	/* The Supabase Management API and HTTP */
	const char *supabase_token;   /* SUPABASE_ACCESS_TOKEN (a secret) */
	const char *supabase_api_url; /* SUPABASE_API_URL */
	double api_timeout_s;	      /* DBHOOK_API_TIMEOUT (default 10) */
	int supabase_restore;	      /* MIGRATE_SUPABASE_RESTORE */
	int http_debug;		      /* DBHOOK_HTTP_DEBUG */
	/* Progress */
	double heartbeat_s; /* DBHOOK_HEARTBEAT: seconds between progress
			     * lines of a long wait (default 10) */
	/* The safety check */
	double long_transaction_s; /* DBHOOK_LONG_TRANSACTION: a transaction
				    * open this long is DH401 (default 60) */
	/* Variables of seconds set to something else (the default applies;
	 * the front door warns, naming the variable, never the value). */
	struct dbh_config_bad {
		const char *name;
		double min, max, def;
	} bad[3];
	size_t nbad;
	const char *libcurl; /* DBHOOK_LIBCURL */
	/* libpq and Prisma */
	int pgsslmode_set;     /* PGSSLMODE: libpq's own default applies */
	int pggssencmode_set;  /* PGGSSENCMODE: likewise */
	int advisory_lock_off; /* PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK, any
				  value but 0 */
	/* The terminal and the home folder */
	int no_color;	  /* NO_COLOR */
	const char *term; /* TERM: "dumb" cannot rewrite a line */
	const char *home; /* HOME */
};

/* The configuration, read from the environment on the first call (or
 * the last dbh_config_load). */
const struct dbh_config *dbh_config(void);

/* Reads the environment again (tests that change it; the hand-off after
 * editing it). */
void dbh_config_load(void);

/* A variable named at run time: the URL of --url-env NAME, the ones the
 * hand-off saves and restores. NULL when unset. */
const char *dbh_config_var(const char *name);

#endif
