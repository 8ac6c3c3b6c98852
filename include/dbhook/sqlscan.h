/* sqlscan.h - a light lexical scan of a migration file.
 *
 * Not a parser: it walks comments (nested block comments too), quoted
 * strings (E'' escapes), quoted identifiers and dollar quotes well enough
 * to find where statements start, so we can tell whether a file carries
 * its own transaction control, whether it holds any statement at all, and
 * whether it ends cleanly (a file that ends inside a comment or a quote
 * would swallow whatever we append to it).
 */
#ifndef DBHOOK_SQLSCAN_H
#define DBHOOK_SQLSCAN_H

#include <stddef.h>

struct dbh_sqlscan {
	int statements;	   /* statements that hold a word */
	int txn_control;   /* a statement starting BEGIN, START, COMMIT, END,
			    * ROLLBACK or ABORT (outside function bodies) */
	int txn_line;	   /* its 1-based line, or 0 */
	char txn_word[16]; /* its first word, upper case */
	int unterminated;  /* ends inside a comment, quote or dollar quote */
	int blank;	   /* only white space: no statement, no comment */
	int nth;	   /* (dbh_sql_statement_line's question) */
	int nth_line;	   /* (and its answer) */
};

void dbh_sql_scan(const char *sql, size_t len, struct dbh_sqlscan *out);

/* The 1-based line where statement `index` (0-based, counting statements
 * that hold a word, as the server answers them one result each) starts,
 * or 0 when there are not that many. */
int dbh_sql_statement_line(const char *sql, size_t len, int index);

/* The end of the white space and comments (--, nested block comments)
 * that start at `p`, at most `end`. */
const char *dbh_sql_skip_blank(const char *p, const char *end);

/* The offsets of the semicolons that end statements (outside comments,
 * quotes and function bodies), as an array the caller frees; returns how
 * many. */
size_t dbh_sql_split(const char *sql, size_t len, size_t **ends);

/* Maps the server's 1-based error position (in characters, as PostgreSQL
 * counts them for a UTF-8 query) to a 1-based line and column of `sql`. */
void dbh_sql_position(const char *sql, size_t len, long pos, int *line,
		      int *col);

/* Characters (UTF-8 code points) in the first `len` bytes of `s`. */
long dbh_utf8_chars(const char *s, size_t len);

/* Byte offset of the first invalid UTF-8 sequence, or -1 when `s` is
 * valid UTF-8 (overlong forms and surrogates count as invalid). */
long dbh_utf8_invalid_at(const char *s, size_t len);

#endif
