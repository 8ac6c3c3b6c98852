/* resolve.h - marking a migration applied or rolled back, as Prisma's
 * `migrate resolve` does, under the shared lock. */
#ifndef DBHOOK_RESOLVE_H
#define DBHOOK_RESOLVE_H

#include "dbhook/conn.h"
#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/url.h"

enum dbh_resolve_as {
	DBH_RESOLVE_APPLIED, /* the folder must exist; its checksum is kept */
	DBH_RESOLVE_ROLLED_BACK /* only failed rows; the folder need not exist
				 */
};

int dbh_resolve(const char *dir, const struct dbh_conninfo *ci,
		const struct dbh_connect_opts *co, int probe_pooler,
		double lock_timeout_s, enum dbh_resolve_as as, const char *name,
		const struct dbh_reporter *rep, struct dbh_error *err);

#endif
