/* fuzz_sqlscan.c - the lexical scan of a migration file (sqlscan.h).
 *
 * Input: the file's bytes. Beyond the sanitizers it checks what callers
 * rely on: the UTF-8 check agrees with an independent one, character
 * counts and error positions stay inside the file, the scan's answer is
 * self-consistent, and a file that does not end inside a comment or quote
 * gives the same answer with a line break appended (what apply.c relies on
 * when it adds to the file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/sqlscan.h"
#include "fuzz.h"

static const char *const txn_words[] = {"BEGIN",    "START", "COMMIT", "END",
					"ROLLBACK", "ABORT", NULL};

static void check_scan(const char *sql, size_t len, const struct dbh_sqlscan *s)
{
	int lines = 1, known = 0;

	for (size_t i = 0; i < len; i++)
		lines += sql[i] == '\n';
	if (s->statements < 0 || (size_t)s->statements > len)
		fuzz_fail("statement count out of range", "");
	if (s->blank && (s->statements || s->txn_control || s->unterminated))
		fuzz_fail("a blank file with statements or quotes", "");
	if (!s->txn_control) {
		if (s->txn_line || s->txn_word[0])
			fuzz_fail("a transaction line without control", "");
		return;
	}
	if (!s->statements)
		fuzz_fail("transaction control outside any statement", "");
	if (s->txn_line < 1 || s->txn_line > lines)
		fuzz_fail("transaction line outside the file", s->txn_word);
	if (memchr(s->txn_word, '\0', sizeof(s->txn_word)) == NULL)
		fuzz_fail("txn_word is not terminated", "");
	for (const char *const *w = txn_words; *w; w++)
		known |= strcmp(*w, s->txn_word) == 0;
	if (!known)
		fuzz_fail("txn_word is not a transaction word", s->txn_word);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbh_sqlscan s, t;
	size_t len = size > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : size;
	/* No NUL after the `len` bytes: the scan must not read past the
	 * length it is given (ASan sees the heap block's end at len + 1). */
	char *sql = malloc(len + 1);
	char *more;
	long chars, bad, ref;
	int line, col, lines = 1;

	if (!sql)
		return 0;
	memcpy(sql, data, len);

	dbh_sql_scan(sql, len, &s);
	check_scan(sql, len, &s);

	bad = dbh_utf8_invalid_at(sql, len);
	ref = fuzz_utf8_invalid_at((const unsigned char *)sql, len);
	if (bad != ref)
		fuzz_fail("dbh_utf8_invalid_at disagrees with the reference",
			  "");
	chars = dbh_utf8_chars(sql, len);
	if (chars < 0 || (size_t)chars > len)
		fuzz_fail("more characters than bytes", "");
	if (bad < 0) {
		/* Valid UTF-8: characters are the bytes that start one. */
		long starts = 0;

		for (size_t i = 0; i < len; i++)
			starts += ((unsigned char)sql[i] & 0xC0) != 0x80;
		if (starts != chars)
			fuzz_fail("character count is wrong", "");
	}

	for (size_t i = 0; i < len; i++)
		lines += sql[i] == '\n';
	/* Positions the server could report, and some it could not. */
	for (long pos = -1; pos <= chars + 2;
	     pos += pos < 8 ? 1 : 1 + pos / 4) {
		dbh_sql_position(sql, len, pos, &line, &col);
		if (line < 1 || line > lines || col < 1 ||
		    (size_t)col > len + 1)
			fuzz_fail("position maps outside the file", "");
	}

	/* A file that ends cleanly takes a line break with the same answer. */
	more = malloc(len + 1);
	if (more && !s.unterminated) {
		memcpy(more, sql, len);
		more[len] = '\n';
		dbh_sql_scan(more, len + 1, &t);
		if (t.statements != s.statements ||
		    t.txn_control != s.txn_control ||
		    t.txn_line != s.txn_line || t.unterminated ||
		    strcmp(t.txn_word, s.txn_word) != 0)
			fuzz_fail("a line break after a clean end changed "
				  "the scan",
				  "");
	}
	free(more);
	free(sql);
	return 0;
}
