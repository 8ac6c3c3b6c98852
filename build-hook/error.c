/* error.c - filling struct dbh_error. */
#include "dbhook/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dbh_error_clear(struct dbh_error *err)
{
	memset(err, 0, sizeof(*err));
}

int dbh_error_set(struct dbh_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	dbh_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void dbh_error_detail(struct dbh_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

void dbh_error_hint(struct dbh_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void dbh_error_prefix(struct dbh_error *err, const char *what)
{
	char msg[sizeof(err->message)];
	int n = snprintf(msg, sizeof(msg), "%.100s: ", what);

	/* The message is cut at the end when the two do not fit. */
	if (n > 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, "%.*s",
			 (int)(sizeof(msg) - (size_t)n - 1), err->message);
	memcpy(err->message, msg, sizeof(msg));
}
