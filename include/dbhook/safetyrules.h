/* safetyrules.h - the rules of the safety check (safety.h), as one walk
 * over the parsed pending migrations.
 *
 * The walk runs twice: first to collect what it wants to know from the
 * database (facts == NULL, collecting set: findings are dropped), then,
 * with the facts read in one query (or none, offline), to judge. Both
 * walks see the same statements in the same order, so what the second
 * asks for the first has asked for.
 */
#ifndef DBHOOK_SAFETYRULES_H
#define DBHOOK_SAFETYRULES_H

#include <stddef.h>

#include "dbhook/migdir.h"
#include "dbhook/safety.h"
#include "dbhook/safetyfacts.h"
#include "dbhook/sqlparse.h"

struct dbh_safety_mig {
	struct dbh_migration *m;
	struct dbh_sqlparse p;
};

struct dbh_safety_walk {
	const struct dbh_safety_mig *mig; /* the pending migrations, parsed */
	size_t n;
	int collecting;		   /* the first walk */
	struct dbh_facts_req *req; /* filled by the first walk */
	const struct cJSON *facts; /* the second walk's, or NULL */
	struct dbh_safety *out;	   /* findings of the second walk */
};

void dbh_safety_walk(struct dbh_safety_walk *w);

#endif
