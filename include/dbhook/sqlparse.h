/* sqlparse.h - the statements of a migration file as PostgreSQL's own
 * grammar reads them (libpg_query: the PostgreSQL 15 parser as a library).
 *
 * Each statement comes as its parse tree (libpg_query's JSON, read with
 * cJSON), the line of its first word, and the comments before it (where
 * the safety check's `-- dbhook:ignore` directives live; the tree drops
 * comments). A file the grammar rejects as a whole is split with
 * libpg_query's scanner and parsed statement by statement, so one
 * statement of newer syntax leaves the others analysed; what still fails
 * is kept as an unparsed statement with the parser's message. Parsing
 * never fails otherwise: the safety check never stops a deploy.
 */
#ifndef DBHOOK_SQLPARSE_H
#define DBHOOK_SQLPARSE_H

#include <stddef.h>

struct cJSON;

struct dbh_pstmt {
	const struct cJSON *node; /* {"AlterTableStmt": {...}}, borrowed from
				   * the parse; NULL: not parsed */
	const char *kind;	  /* the node's type, "" when not parsed */
	int line;		  /* 1-based line of its first word */
	size_t lead, nlead;	  /* bytes of the comments and white space
				   * before it (after the previous ';') */
	char error[200];	  /* the grammar's message when not parsed */
};

struct dbh_sqlparse {
	struct dbh_pstmt *s; /* in file order, owned */
	size_t n;
	struct cJSON **trees; /* the parse trees the nodes live in, owned */
	size_t ntrees;
	size_t at;   /* (lines are counted on from here: statements come */
	int at_line; /* in file order, so counting stays linear) */
};

/* Parses `sql` (NUL-terminated, `len` bytes). Always fills `out`;
 * release it with dbh_sqlparse_release. */
void dbh_sql_parse(const char *sql, size_t len, struct dbh_sqlparse *out);
void dbh_sqlparse_release(struct dbh_sqlparse *p);

#endif
