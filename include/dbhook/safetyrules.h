/* safetyrules.h - the rules of the safety check (safety.h), as one walk
 * over the parsed pending migrations.
 *
 * The walk runs twice: first to collect what it wants to know from the
 * database (facts == NULL, collecting set: findings are dropped), then,
 * with the facts read in one query (or none, offline), to judge. Both
 * walks see the same statements in the same order, so what the second
 * asks for the first has asked for. Each walk parses the files one at a
 * time (safety.c): memory holds one file's tree, however many are
 * pending, for the price of parsing twice when the database is asked.
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

struct dbh_safety_state;

struct dbh_safety_walk {
	int collecting;		   /* the first walk */
	struct dbh_facts_req *req; /* filled by the first walk */
	const struct cJSON *facts; /* the second walk's, or NULL */
	struct dbh_safety *out;	   /* findings of the second walk */
	/* What the walk keeps across files (names created in the batch,
	 * tables already reported); NULL before the first file. */
	struct dbh_safety_state *state;
};

/* Walks one pending migration, `mi` its place in the batch (files come in
 * batch order). Only the findings outlive the call: the file's parse can
 * be released right after, so a walk holds one file's tree at a time. */
void dbh_safety_walk_file(struct dbh_safety_walk *w, size_t mi,
			  const struct dbh_safety_mig *mig);
/* After the last file: releases the walk's state. */
void dbh_safety_walk_end(struct dbh_safety_walk *w);

#endif
