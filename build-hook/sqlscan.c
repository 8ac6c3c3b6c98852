/* sqlscan.c - see sqlscan.h. */
#include "dbhook/sqlscan.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dbhook/alloc.h"

static int is_ident_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* Skips a dollar quote opening at sql[i] ('$'); returns the index after
 * its closing tag, or len when it never closes (*state = 2). *state is 0
 * when sql[i] opens no dollar quote (a $1 parameter), 1 when it closed. */
static size_t skip_dollar(const char *sql, size_t len, size_t i, int *state)
{
	size_t j = i + 1, taglen;

	while (j < len && sql[j] != '$' && is_ident_char((unsigned char)sql[j]))
		j++;
	if (j >= len || sql[j] != '$' ||
	    (j > i + 1 && isdigit((unsigned char)sql[i + 1]))) {
		*state = 0;
		return i + 1;
	}
	taglen = j - i + 1;
	for (size_t k = j + 1; k + taglen <= len; k++) {
		if (sql[k] == '$' && memcmp(sql + k, sql + i, taglen) == 0) {
			*state = 1;
			return k + taglen;
		}
	}
	*state = 2;
	return len;
}

/* A statement starts on `line`: counted, and its line kept when it is
 * the one asked for. */
static void starts(struct dbh_sqlscan *out, int line, int *at_start)
{
	if (!*at_start)
		return;
	if (out->statements == out->nth)
		out->nth_line = line;
	out->statements++;
	*at_start = 0;
}

/* `ends`, when not NULL, receives the offset of every ';' that ends a
 * statement (a growing array the caller frees). */
static void scan(const char *sql, size_t len, int nth, struct dbh_sqlscan *out,
		 size_t **ends, size_t *nends)
{
	size_t i = 0;
	int line = 1, at_start = 1;
	int atomic = 0, cases = 0; /* BEGIN ATOMIC bodies, CASE…END inside */
	const char *prev = NULL;
	size_t prevlen = 0;

	memset(out, 0, sizeof(*out));
	out->nth = nth;
	out->blank = 1;
	while (i < len) {
		unsigned char c = (unsigned char)sql[i];

		if (c == '\n')
			line++;
		if (isspace(c)) {
			i++;
			continue;
		}
		out->blank = 0;
		if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 1;

			i += 2;
			while (i < len && depth > 0) {
				if (sql[i] == '\n')
					line++;
				if (sql[i] == '/' && i + 1 < len &&
				    sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (sql[i] == '*' && i + 1 < len &&
					   sql[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			if (depth > 0)
				out->unterminated = 1;
			continue;
		}
		if (c == ';') {
			if (!atomic)
				at_start = 1;
			if (!atomic && ends) {
				*ends = dbh_xrealloc(*ends, *nends + 1,
						     sizeof(**ends));
				(*ends)[(*nends)++] = i;
			}
			i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			/* E'…' strings honour backslash escapes, but only when
			 * the E is a word of its own right before the quote:
			 * in name'…', date'…' or time'…' the e ends an
			 * identifier (a typed literal) and the string is a
			 * standard one, where a backslash is an ordinary byte.
			 * Judging by the previous byte alone hid the COMMIT in
			 * name'\'; COMMIT; -- ' inside a string. prev is the
			 * last identifier word, so a digit before the E still
			 * counts: PostgreSQL < 15 lexes 1e'…' as 1 then e'…'
			 * (15 and later reject it). */
			int esc = c == '\'' && prev && prevlen == 1 &&
				  prev + 1 == sql + i &&
				  (prev[0] == 'E' || prev[0] == 'e');
			size_t j = i + 1;
			int closed = 0;

			starts(out, line, &at_start);
			while (j < len) {
				if (sql[j] == '\n')
					line++;
				if (esc && sql[j] == '\\' && j + 1 < len) {
					j += 2;
					continue;
				}
				if (sql[j] == (char)c) {
					if (j + 1 < len &&
					    sql[j + 1] == (char)c) {
						j += 2;
						continue;
					}
					closed = 1;
					j++;
					break;
				}
				j++;
			}
			if (!closed)
				out->unterminated = 1;
			i = j;
			continue;
		}
		if (c == '$') {
			int state = 0;
			size_t j = skip_dollar(sql, len, i, &state);

			starts(out, line, &at_start);
			for (size_t k = i; k < j; k++)
				if (sql[k] == '\n')
					line++;
			if (state == 2)
				out->unterminated = 1;
			i = j;
			continue;
		}
		if (is_ident_start(c)) {
			size_t j = i;

			while (j < len && is_ident_char((unsigned char)sql[j]))
				j++;
			if (at_start) {
				starts(out, line, &at_start);
				if (!out->txn_control &&
				    (word_is(sql + i, j - i, "BEGIN") ||
				     word_is(sql + i, j - i, "START") ||
				     word_is(sql + i, j - i, "COMMIT") ||
				     word_is(sql + i, j - i, "END") ||
				     word_is(sql + i, j - i, "ROLLBACK") ||
				     word_is(sql + i, j - i, "ABORT"))) {
					size_t n = j - i;

					out->txn_control = 1;
					out->txn_line = line;
					if (n >= sizeof(out->txn_word))
						n = sizeof(out->txn_word) - 1;
					for (size_t k = 0; k < n; k++)
						out->txn_word[k] =
						    (char)toupper(
							(unsigned char)
							    sql[i + k]);
				}
			} else if (word_is(sql + i, j - i, "ATOMIC") && prev &&
				   word_is(prev, prevlen, "BEGIN")) {
				/* CREATE FUNCTION … BEGIN ATOMIC … END: the
				 * semicolons inside belong to the body. */
				atomic++;
			} else if (atomic && word_is(sql + i, j - i, "CASE")) {
				cases++;
			} else if (atomic && word_is(sql + i, j - i, "END")) {
				if (cases > 0)
					cases--;
				else
					atomic--;
			}
			prev = sql + i;
			prevlen = j - i;
			i = j;
			continue;
		}
		starts(out, line, &at_start);
		i++;
	}
}

const char *dbh_sql_skip_blank(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\f' || *p == '\v') {
			p++;
		} else if (*p == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == '/' && p + 1 < end && p[1] == '*') {
			int depth = 0;

			/* PostgreSQL's block comments nest. */
			do {
				if (*p == '/' && p + 1 < end && p[1] == '*') {
					depth++;
					p += 2;
				} else if (*p == '*' && p + 1 < end &&
					   p[1] == '/') {
					depth--;
					p += 2;
				} else {
					p++;
				}
			} while (p < end && depth > 0);
		} else {
			break;
		}
	}
	return p;
}

void dbh_sql_scan(const char *sql, size_t len, struct dbh_sqlscan *out)
{
	scan(sql, len, -1, out, NULL, NULL);
}

size_t dbh_sql_split(const char *sql, size_t len, size_t **ends)
{
	struct dbh_sqlscan out;
	size_t n = 0;

	*ends = NULL;
	scan(sql, len, -1, &out, ends, &n);
	return n;
}

int dbh_sql_statement_line(const char *sql, size_t len, int index)
{
	struct dbh_sqlscan out;

	scan(sql, len, index, &out, NULL, NULL);
	return out.nth_line;
}

void dbh_sql_position(const char *sql, size_t len, long pos, int *line,
		      int *col)
{
	long chars = 0;

	*line = 1;
	*col = 1;
	for (size_t i = 0; i < len && chars < pos - 1; i++) {
		unsigned char c = (unsigned char)sql[i];

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: same character */
		chars++;
		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

long dbh_utf8_chars(const char *s, size_t len)
{
	long n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

long dbh_utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t need;
		unsigned int cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		for (size_t k = 1; k <= need; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return (long)i;
		i += need + 1;
	}
	return -1;
}
