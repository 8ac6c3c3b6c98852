/* test_sqlscan.c - the lexical scan of migration files. */
#include <stdlib.h>
#include <string.h>

#include "dbhook/sqlscan.h"
#include "tap.h"

static struct dbh_sqlscan scan(const char *sql)
{
	struct dbh_sqlscan s;

	dbh_sql_scan(sql, strlen(sql), &s);
	return s;
}

int main(void)
{
	struct dbh_sqlscan s;
	int line, col;

	s = scan("CREATE TABLE a (id int);\nALTER TABLE a ADD b int;\n");
	ok(s.statements == 2 && !s.txn_control && !s.unterminated && !s.blank,
	   "two plain statements");
	s = scan("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n");
	ok(s.txn_control && s.txn_line == 1 && strcmp(s.txn_word, "BEGIN") == 0,
	   "own BEGIN found on line 1");
	s = scan("-- begin\nCREATE TABLE a (id int);\n  commit ;");
	ok(s.txn_control && s.txn_line == 3 &&
	       strcmp(s.txn_word, "COMMIT") == 0,
	   "lower-case COMMIT after a comment, line 3");
	s = scan("start transaction; select 1; end;");
	ok(s.txn_control && strcmp(s.txn_word, "START") == 0,
	   "START TRANSACTION");
	s = scan("CREATE FUNCTION f() RETURNS void AS $$ BEGIN PERFORM 1; END "
		 "$$ LANGUAGE plpgsql;");
	ok(!s.txn_control && s.statements == 1,
	   "BEGIN inside a dollar-quoted body is not transaction control");
	s = scan("CREATE FUNCTION f() RETURNS void AS $body$ BEGIN; COMMIT; "
		 "$body$ LANGUAGE sql;");
	ok(!s.txn_control, "tagged dollar quote");
	s = scan("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN "
		 "ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; "
		 "END;\nSELECT 3;");
	ok(!s.txn_control && s.statements == 2,
	   "BEGIN ATOMIC body with CASE…END is one statement");
	s = scan("INSERT INTO t VALUES ('; BEGIN; '), (E'\\'; COMMIT;');");
	ok(!s.txn_control && s.statements == 1 && !s.unterminated,
	   "semicolons inside strings, E'' escapes");
	s = scan("SELECT name'\\'; COMMIT; -- '");
	ok(s.txn_control && s.txn_line == 1 &&
	       strcmp(s.txn_word, "COMMIT") == 0 && s.statements == 2 &&
	       !s.unterminated,
	   "name'\\' is a standard string: the COMMIT after it is seen");
	s = scan("SELECT date'2024-01-01';\nSELECT time'12:00\\';\nSELECT 2;");
	ok(s.statements == 3 && !s.unterminated,
	   "date'' and time'' are typed literals, not E'' strings");
	s = scan("SELECT E'\\''; SELECT e'\\'; COMMIT; -- ';");
	ok(!s.txn_control && s.statements == 2 && !s.unterminated,
	   "E'\\'' and e'' on their own are still escape strings");
	s = scan("SELECT(e'\\'; COMMIT; -- '), 'a'||E'\\'; BEGIN; -- ';");
	ok(!s.txn_control && s.statements == 1 && !s.unterminated,
	   "e'' after a parenthesis or an operator is an escape string");
	s = scan("SELECT 1e'\\'; COMMIT; -- ';");
	ok(!s.txn_control && s.statements == 1 && !s.unterminated,
	   "1e'' is 1 then an escape string (PostgreSQL < 15)");
	s = scan("SELECT \"begin\" FROM t; /* outer /* nested; COMMIT; */ */ "
		 "SELECT 1;");
	ok(!s.txn_control && s.statements == 2,
	   "quoted identifier and nested block comment");
	s = scan("SELECT $1, $2;");
	ok(s.statements == 1 && !s.unterminated, "$1 is not a dollar quote");
	s = scan("   \n\t\n");
	ok(s.blank && s.statements == 0, "white space only is blank");
	s = scan("-- nothing to do\n");
	ok(!s.blank && s.statements == 0, "comment only is not blank");
	s = scan("SELECT 1; /* never closed");
	ok(s.unterminated, "unterminated block comment");
	s = scan("SELECT 'never closed");
	ok(s.unterminated, "unterminated string");
	s = scan("DO $x$ BEGIN END");
	ok(s.unterminated, "unterminated dollar quote");
	s = scan("SELECT 1 -- trailing comment without newline");
	ok(!s.unterminated, "trailing -- comment is fine");

	dbh_sql_position("ab\ncd\nef", 8, 1, &line, &col);
	ok(line == 1 && col == 1, "position 1 is 1:1");
	dbh_sql_position("ab\ncd\nef", 8, 5, &line, &col);
	ok(line == 2 && col == 2, "position 5 is 2:2 (got %d:%d)", line, col);
	dbh_sql_position("é\nxé y", strlen("é\nxé y"), 6, &line, &col);
	ok(line == 2 && col == 4,
	   "positions count characters, not bytes (got %d:%d)", line, col);
	ok(dbh_utf8_chars("héllo", strlen("héllo")) == 5, "utf8 char count");

	{
		static const char f[] =
		    "-- header\nCREATE TABLE a (id int);\n\n/* two\nlines */ "
		    "INSERT INTO a\n  VALUES (1);;\n'x' ; $$y\n$$;\n"
		    "SELECT 1/0";
		size_t n = strlen(f);

		ok(dbh_sql_statement_line(f, n, 0) == 2,
		   "statement 0 starts on line 2, after a comment");
		ok(dbh_sql_statement_line(f, n, 1) == 5,
		   "statement 1 after a two-line block comment: line 5");
		ok(dbh_sql_statement_line(f, n, 2) == 7,
		   "an empty statement (;;) is not counted; a string starts "
		   "statement 2 on line 7");
		ok(dbh_sql_statement_line(f, n, 3) == 7,
		   "a dollar quote starts statement 3 on line 7");
		ok(dbh_sql_statement_line(f, n, 4) == 9,
		   "statement 4 after a multi-line dollar quote: line 9");
		ok(dbh_sql_statement_line(f, n, 5) == 0, "no statement 5: 0");
	}

	{
		/* Where statements end: not inside quotes, comments, dollar
		 * quotes or a BEGIN ATOMIC body. */
		const char *f = "SELECT ';'; -- a;b\nSELECT $$;$$ /* ; */;\n"
				"CREATE FUNCTION f() RETURNS int BEGIN ATOMIC "
				"SELECT 1; END;\nSELECT 0x1F";
		size_t *ends, n = dbh_sql_split(f, strlen(f), &ends);

		ok(n == 3, "three semicolons end statements (%zu)", n);
		ok(n == 3 && f[ends[0]] == ';' && ends[0] == 10 &&
		       strncmp(f + ends[1] - 7, "/* ; */;", 8) == 0 &&
		       strncmp(f + ends[2] - 4, " END;", 5) == 0,
		   "after the string, the block comment and the function body");
		free(ends);
		ok(dbh_sql_split("SELECT 1", 8, &ends) == 0 && !ends,
		   "no semicolon: none");
	}
	{
		const char *b = "  -- c\n /* a /* nested */ b */\n\tSELECT";

		ok(strcmp(dbh_sql_skip_blank(b, b + strlen(b)), "SELECT") == 0,
		   "blanks, a line comment and nested block comments skipped");
		ok(dbh_sql_skip_blank(b, b + 5) == b + 5,
		   "never past the end it is given (inside a comment)");
	}

	ok(dbh_utf8_invalid_at("plain", 5) == -1, "ASCII is valid UTF-8");
	ok(dbh_utf8_invalid_at("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12) ==
	       -1,
	   "2-, 3- and 4-byte sequences are valid");
	ok(dbh_utf8_invalid_at("ab\xe9z", 4) == 2, "Latin-1 byte found at 2");
	ok(dbh_utf8_invalid_at("\xc0\xaf", 2) == 0, "overlong form is invalid");
	ok(dbh_utf8_invalid_at("\xed\xa0\x80", 3) == 0, "surrogate is invalid");
	ok(dbh_utf8_invalid_at("ab\xe2\x82", 4) == 2,
	   "truncated sequence at the end is invalid");
	return tap_done();
}
