/* args.c - see args.h. */
#include "dbhook/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a word from the command line may be shown in a message. A user
 * who pastes a password in the wrong place must not see it in a CI log:
 * only options (up to any "=") and command-like words are shown. */
static int showable(const char *arg, size_t *len)
{
	size_t n = strcspn(arg, "=");

	if (arg[0] == '-') {
		*len = n;
		return n > 1 && n <= 40;
	}
	*len = strlen(arg);
	if (*len == 0 || *len > 32 || arg[0] < 'a' || arg[0] > 'z')
		return 0;
	return strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-") == *len;
}

int dbh_args_error(struct dbh_error *err, const char *command, const char *fmt,
		   const char *arg)
{
	const char *q = strstr(fmt, "\"%s\"");
	size_t len;

	if (!arg || showable(arg, &len)) {
		char shown[64];

		snprintf(shown, sizeof(shown), "%.*s%s", (int)(arg ? len : 0),
			 arg ? arg : "", arg && arg[len] ? "=..." : "");
		dbh_error_set(err, DBH_EUSAGE, fmt, shown);
	} else if (q) {
		char fmt2[256];

		/* `"%s"` becomes a note that the word is not shown. */
		snprintf(fmt2, sizeof(fmt2), "%.*s%%s%s", (int)(q - fmt), fmt,
			 q + 4);
		dbh_error_set(err, DBH_EUSAGE, fmt2,
			      "(its text is not shown: it may be a secret)");
	} else {
		dbh_error_set(err, DBH_EUSAGE, fmt, "");
	}
	dbh_error_hint(err, "Try '%s --help' for more information.", command);
	return DBH_EUSAGE;
}

int dbh_args_seconds(const char *arg, const char *opt, double *out,
		     const char *command, struct dbh_error *err)
{
	char *end = NULL;
	double v = strtod(arg, &end);

	if (*arg && !*end && v >= 0 && v <= 86400) {
		*out = v;
		return 0;
	}
	/* The value is not repeated: it may be a pasted secret. */
	dbh_error_set(err, DBH_EUSAGE,
		      "%s takes a number of seconds from 0 to 86400", opt);
	dbh_error_hint(err, "Try '%s --help' for more information.", command);
	return DBH_EUSAGE;
}

int dbh_args_env_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}
