/* safetyfacts.h - what the target database says, right now, about the
 * tables the pending migrations touch: one query, one round trip.
 *
 * For each table: whether it exists, its estimated rows and size, its
 * columns (type, NOT NULL, default, null fraction), indexes (valid or
 * not), constraints (validated or not), foreign keys and views that point
 * at it; the sessions holding a lock on it. Beside that: the server's
 * version, whether this role can see other sessions' details, the
 * volatility of the functions used in new defaults, the tables of the
 * indexes being dropped, old or idle-in-transaction sessions, and exact
 * probes where a rule would otherwise guess ("has this table any row?",
 * "has this column a NULL?", run only where they are cheap).
 *
 * The query runs with short lock and statement timeouts of its own: the
 * check must never hang a deploy.
 */
#ifndef DBHOOK_SAFETYFACTS_H
#define DBHOOK_SAFETYFACTS_H

#include <stddef.h>

#include "dbhook/conn.h"

struct cJSON;

struct dbh_relref {
	char *schema; /* NULL: the URL's schema, else the current one */
	char *name;
	int probe_rows; /* ask "has it any row?" */
};

struct dbh_nullprobe {
	size_t table; /* index into the request's tables */
	char *column;
};

struct dbh_facts_req {
	struct dbh_relref *t; /* tables (and views) touched, owned */
	size_t nt;
	struct dbh_relref *ix; /* indexes dropped, owned */
	size_t nix;
	struct dbh_nullprobe *np; /* columns made NOT NULL, owned */
	size_t nnp;
	char **fn; /* functions called in new defaults, owned */
	size_t nfn;
};

/* Adds a table (or finds it) and returns its index. */
size_t dbh_facts_want_table(struct dbh_facts_req *r, const char *schema,
			    const char *name);
size_t dbh_facts_want_index(struct dbh_facts_req *r, const char *schema,
			    const char *name);
size_t dbh_facts_want_nulls(struct dbh_facts_req *r, size_t table,
			    const char *column);
void dbh_facts_want_function(struct dbh_facts_req *r, const char *name);
void dbh_facts_req_release(struct dbh_facts_req *r);

/* Runs the query. Returns the facts (a JSON object the caller frees with
 * cJSON_Delete) or NULL with `why` filled. `schema` is the URL's schema
 * or NULL; sessions in a transaction for `long_xact_s` seconds or more
 * are listed. Field names: see the query in safetyfacts.c. */
struct cJSON *dbh_facts_read(struct dbh_conn *c, const struct dbh_facts_req *r,
			     const char *schema, double long_xact_s, char *why,
			     size_t whysz);

#endif
