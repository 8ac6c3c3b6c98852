/* args.c - see args.h. */
#include "dbhook/args.h"

#include <stdio.h>
#include <stdlib.h>

#include "dbhook/url.h"

int dbh_args_error(struct dbh_error *err, const char *command, const char *fmt,
		   const char *arg)
{
	char shown[256];

	dbh_url_redact(arg ? arg : "", shown, sizeof(shown));
	dbh_error_set(err, DBH_EUSAGE, fmt, shown);
	dbh_error_hint(err, "Try '%s --help' for more information.", command);
	return DBH_EUSAGE;
}

int dbh_args_seconds(const char *arg, const char *opt, double *out,
		     const char *command, struct dbh_error *err)
{
	char *end = NULL;
	double v = strtod(arg, &end);
	char what[96];

	if (*arg && !*end && v >= 0 && v <= 86400) {
		*out = v;
		return 0;
	}
	snprintf(what, sizeof(what),
		 "%s takes seconds from 0 to 86400, not \"%%s\"", opt);
	return dbh_args_error(err, command, what, arg);
}
