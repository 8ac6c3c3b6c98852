/* hook.c - `vercel-build`. So far only its contract (help, version, bad
 * options); the migration step and the hand-off build on the engine. */
#include "dbhook/hook.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dbh_config.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

static const char usage_text[] =
    "Usage: vercel-build [OPTIONS] [-- BUILD COMMAND...]\n"
    "\n"
    "The Vercel build hook: in production it applies pending migrations\n"
    "with MIGRATE_DATABASE_URL, then hands off to the build command.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  -V, --version  show the version and exit\n"
    "\n"
    "Exit codes:\n"
    "  0  success, or nothing to do\n"
    "  1  a migration failed (with --strict)\n"
    "  2  usage or configuration error\n"
    "  3  the database could not be reached, authenticated or locked in "
    "time (with --strict)\n";

int dbh_hook_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct dbh_error err;
	char shown[256];
	int c;

	dbh_log_init("vercel-build");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return DBH_OK;
		case 'V':
			printf("vercel-build %s (%s)\n", DBH_VERSION,
			       DBH_COMMIT);
			return DBH_OK;
		default:
			dbh_url_redact(argv[optind - 1], shown, sizeof(shown));
			dbh_error_set(&err, DBH_EUSAGE, "unknown option \"%s\"",
				      shown);
			dbh_error_hint(&err, "Try 'vercel-build --help' for "
					     "more information.");
			dbh_log_error(&err);
			return DBH_EUSAGE;
		}
	}
	fprintf(stderr, "vercel-build: note: the migration step is not "
			"enabled in this version; nothing to do\n");
	return DBH_OK;
}
