/* config.c - see config.h. The only file that reads the environment. */
#include "dbhook/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct dbh_config cfg;
static int loaded;

/* The value, or NULL when unset or empty. */
static const char *text(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static const char *first(const char *a, const char *b)
{
	return a ? a : b;
}

/* A number of seconds from `min` to `max`, else `def` (and the variable is
 * listed in cfg.bad when it was set to something else). */
static double seconds(const char *name, double min, double max, double def)
{
	const char *v = text(name);
	char *end;
	double s;

	if (!v)
		return def;
	errno = 0;
	s = strtod(v, &end);
	if (errno == 0 && *end == '\0' && s >= min && s <= max)
		return s;
	if (cfg.nbad < sizeof(cfg.bad) / sizeof(cfg.bad[0]))
		cfg.bad[cfg.nbad++] =
		    (struct dbh_config_bad){name, min, max, def};
	return def;
}

/* 1, true or yes, in any case. */
static int flag(const char *name)
{
	const char *v = text(name);

	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
		     strcasecmp(v, "yes") == 0);
}

void dbh_config_load(void)
{
	const char *v;

	memset(&cfg, 0, sizeof(cfg));
	cfg.environment = first(text("VERCEL_TARGET_ENV"), text("VERCEL_ENV"));
	cfg.vercel = text("VERCEL") != NULL;
	cfg.commit_sha =
	    first(text("VERCEL_GIT_COMMIT_SHA"), text("GITHUB_SHA"));
	cfg.project_url =
	    first(text("VERCEL_PROJECT_PRODUCTION_URL"), text("VERCEL_URL"));
	v = text("GITHUB_ACTIONS");
	cfg.github_actions = v && strcmp(v, "true") == 0;
	cfg.ci = text("CI") != NULL;
	cfg.npm_event = text("npm_lifecycle_event");
	cfg.strict = flag("MIGRATE_STRICT");
	cfg.safety = text("MIGRATE_SAFETY");
	cfg.notify_url = text("MIGRATE_NOTIFY_URL");
	v = text("MIGRATE_NOTIFY_ON");
	cfg.notify_always = v && strcmp(v, "always") == 0;
	cfg.keep_env = flag("DBHOOK_KEEP_ENV");
	v = text("DBHOOK_HANDOFF");
	cfg.inside_handoff = v && strcmp(v, "0") != 0;
	cfg.supabase_token = text("SUPABASE_ACCESS_TOKEN");
	cfg.supabase_api_url = text("SUPABASE_API_URL");
	cfg.api_timeout_s =
	    seconds("DBHOOK_API_TIMEOUT", 0.1, 86400, DBH_API_TIMEOUT_DEFAULT);
	cfg.supabase_restore = flag("MIGRATE_SUPABASE_RESTORE");
	cfg.http_debug = flag("DBHOOK_HTTP_DEBUG");
	cfg.heartbeat_s =
	    seconds("DBHOOK_HEARTBEAT", 0.1, 3600, DBH_HEARTBEAT_DEFAULT);
	cfg.long_transaction_s = seconds("DBHOOK_LONG_TRANSACTION", 1, 86400,
					 DBH_LONG_TRANSACTION_DEFAULT);
	cfg.libcurl = text("DBHOOK_LIBCURL");
	cfg.pgsslmode_set = text("PGSSLMODE") != NULL;
	cfg.pggssencmode_set = text("PGGSSENCMODE") != NULL;
	v = text("PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK");
	cfg.advisory_lock_off = v && strcmp(v, "0") != 0;
	cfg.no_color = text("NO_COLOR") != NULL;
	cfg.home = text("HOME");
	cfg.term = text("TERM");
	loaded = 1;
}

const struct dbh_config *dbh_config(void)
{
	if (!loaded)
		dbh_config_load();
	return &cfg;
}

const char *dbh_config_var(const char *name)
{
	return getenv(name);
}
