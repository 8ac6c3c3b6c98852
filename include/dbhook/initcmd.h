/* initcmd.h - `dbhook init`: set an app up for dbhook, in its folder.
 *
 * Reads package.json (scripts, dependencies), the lockfile (through the
 * hand-off's choice of package manager, handoff.h), the migrations folder,
 * Prisma's directUrl (prismaenv.h) and vercel.json, then:
 *
 *   - adds the scripts "vercel-build": "vercel-build" (unless a
 *     "vercel-build" script exists, or "build" runs vercel-build itself),
 *     "migrate:setup": "dbhook setup" and "migrate:run": "dbhook run" when
 *     absent, as added lines only (pkgedit.h);
 *   - writes .github/workflows/migrate.yml, the workflow this dbhook was
 *     built with, when there is none;
 *   - prints the install command and the variables to set on Vercel and on
 *     GitHub, and where.
 *
 * It never overwrites a file it did not create and never edits vercel.json
 * or an existing script: it says what to change instead (exit 0). Nothing
 * is installed, no network is used, no .env value is read. --dry-run shows
 * the change of package.json as a diff and writes nothing. A second run
 * finds nothing to change. `dbhook init workflow` prints the workflow.
 */
#ifndef DBHOOK_INITCMD_H
#define DBHOOK_INITCMD_H

struct dbh_opts;

/* The handler of `dbhook init` (commands.c): 0 done or nothing to change,
 * 2 usage error (no package.json here, invalid JSON, a write that
 * failed). */
int dbh_init_run(const struct dbh_opts *o);

#endif
