/* newmig.h - `dbhook new NAME`: a new, empty migration folder. */
#ifndef DBHOOK_NEWMIG_H
#define DBHOOK_NEWMIG_H

#include "dbhook/error.h"

/* Longest name part, as Prisma's P3010 allows. */
#define DBH_NEW_NAME_MAX 200

/* Turns `name` into Prisma's form (lower case, runs of anything but
 * letters and digits become one '_', trimmed) and creates
 * <dir>/<UTC yyyymmddHHMMSS>_<slug>/migration.sql, empty, plus
 * <dir>/migration_lock.toml when missing. The folder `dir` is created when
 * missing. On success *path_out is the new file's path (caller frees). */
int dbh_new_migration(const char *dir, const char *name, char **path_out,
		      struct dbh_error *err);

#endif
