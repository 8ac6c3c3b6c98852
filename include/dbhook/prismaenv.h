/* prismaenv.h - the variables a project's Prisma files name for its
 * database URLs, found where Prisma finds them.
 *
 * Where: prisma.config.ts in the folder (its `datasource`), the schema
 * named by package.json's "prisma": {"schema": ...} field, else
 * prisma/schema.prisma. When the folder has none of them and is a
 * workspace's top (package.json "workspaces" or pnpm-workspace.yaml,
 * patterns such as apps/<star>, one level deep), the one package that has a
 * prisma/schema.prisma or a prisma.config.ts; several: none, with a note.
 *
 * What: only a plain env("NAME") (or env('NAME') in prisma.config.ts). A
 * literal URL in a schema is a secret in a repository and is skipped,
 * never read; anything dynamic in prisma.config.ts is skipped. Each skip
 * is one note through the reporter, naming the file and the property.
 */
#ifndef DBHOOK_PRISMAENV_H
#define DBHOOK_PRISMAENV_H

#include <stddef.h>

#include "dbhook/log.h"

#define DBH_PRISMA_VARS 4

struct dbh_prisma_var {
	char name[128]; /* the environment variable */
	char from[300]; /* "prisma/schema.prisma's directUrl" */
	int direct;	/* directUrl, or a config's url without a directUrl
			   (Prisma 7: the URL Migrate uses) */
};

struct dbh_prisma_vars {
	struct dbh_prisma_var v[DBH_PRISMA_VARS];
	size_t n;
};

/* Fills `out` (zero it first) from the files in `dir`; notes through
 * `rep`. Never fails: what cannot be used is skipped. */
void dbh_prisma_vars_find(const char *dir, struct dbh_prisma_vars *out,
			  const struct dbh_reporter *rep);

#endif
