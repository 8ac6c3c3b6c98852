/* error.c - filling struct dbh_error. */
#include "dbhook/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dbhook/secrets.h"

/* Formats into `dst`, scrubbed of every known secret before it is cut to
 * the field's size. */
static void put(char *dst, size_t dstsz, const char *fmt, va_list ap)
{
	char text[8192];

	vsnprintf(text, sizeof(text), fmt, ap);
	dbh_secrets_copy(dst, dstsz, text);
}

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
	put(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void dbh_error_detail(struct dbh_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

static dbh_completer completer;

void dbh_error_set_completer(dbh_completer fn)
{
	completer = fn;
}

void dbh_complete_commands(const char *in, char *out, size_t outsz)
{
	static const char mark[] = "`dbhook ";
	size_t used = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	while (*in && used + 1 < outsz) {
		const char *start = completer ? strstr(in, mark) : NULL;
		const char *end = start ? strchr(start + 1, '`') : NULL;
		char suffix[512] = "", word[32];
		size_t n;

		if (!end) { /* no command (left) in the text */
			snprintf(out + used, outsz - used, "%s", in);
			return;
		}
		n = strcspn(start + sizeof(mark) - 1, " `");
		snprintf(word, sizeof(word), "%.*s", (int)n,
			 start + sizeof(mark) - 1);
		completer(word, start + 1, (size_t)(end - start - 1), suffix,
			  sizeof(suffix));
		n = (size_t)snprintf(out + used, outsz - used, "%.*s%s`",
				     (int)(end - in), in, suffix);
		used = used + n < outsz ? used + n : outsz - 1;
		in = end + 1;
	}
}

void dbh_error_hint(struct dbh_error *err, const char *fmt, ...)
{
	char hint[sizeof(err->hint)];
	va_list ap;

	va_start(ap, fmt);
	put(hint, sizeof(hint), fmt, ap);
	va_end(ap);
	dbh_complete_commands(hint, err->hint, sizeof(err->hint));
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
