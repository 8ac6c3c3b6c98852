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

/* Edit distance of two short words, a swap of two neighbours counting as
 * one edit (optimal string alignment); 9 for words over 32 bytes. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[33][33];

	if (la > 32 || lb > 32)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *dbh_args_nearest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most two edits */

	for (; *candidates; candidates++) {
		size_t d = distance(word, *candidates);

		if (d < best_d && d * 2 <= strlen(*candidates)) {
			best = *candidates;
			best_d = d;
		}
	}
	return best;
}

int dbh_args_env_option(const char *arg, const char *opt, const char *command,
			struct dbh_error *err)
{
	char fmt[128];

	if (dbh_args_env_name(arg))
		return 0;
	/* A URL here (even through an abbreviation such as --url=) is not
	 * echoed: dbh_args_error shows only what cannot be a secret. */
	snprintf(fmt, sizeof(fmt),
		 "%s takes the name of an environment variable, not \"%%s\"",
		 opt);
	return dbh_args_error(err, command, fmt, arg);
}
