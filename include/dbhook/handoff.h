/* handoff.h - the build command `vercel-build` hands off to, and the exec
 * (handoff.c chooses it, with pkgscripts.c and jsonfile.c; handoffexec.c
 * runs it).
 *
 * Resolution, first match wins:
 *
 *   1. the words after `--` (run as given: argv words, no shell);
 *   2. package.json's "build" script, run through the package manager its
 *      lockfile names: bun.lock or bun.lockb → `bun run build`,
 *      pnpm-lock.yaml → `pnpm run build`, yarn.lock → `yarn run build`,
 *      package-lock.json → `npm run build`; without a lockfile the
 *      "packageManager" field of package.json (corepack), else npm;
 *   3. the default build command of the framework preset named by
 *      vercel.json's "framework" (or, when vercel.json has no such key,
 *      .vercel/project.json's settings.framework, which `vercel pull`
 *      writes), from a built-in table (dbh_handoff_framework);
 *   4. none: nothing to hand off to.
 *
 * A malformed package.json, vercel.json or .vercel/project.json is reported
 * as a warning naming the file and the line:column of the parse error, and
 * that file is skipped. A "build" script that runs vercel-build itself (as
 * a command, directly or through `npm run <script>` chains of any length;
 * each script is examined once, so scripts calling each other cost no more
 * than reading them) is skipped with a warning, so the hand-off never
 * loops.
 *
 * The exec sets DBHOOK_HANDOFF=1 in the build's environment; a vercel-build
 * started inside that build sees dbh_handoff_inside() != 0 and must neither
 * migrate nor hand off again. It removes the secrets only dbhook reads
 * (MIGRATE_DATABASE_URL, MIGRATE_NOTIFY_URL, SUPABASE_ACCESS_TOKEN) from
 * the build's environment, unless DBHOOK_KEEP_ENV is 1 (or true, yes).
 */
#ifndef DBHOOK_HANDOFF_H
#define DBHOOK_HANDOFF_H

#include <cjson/cJSON.h>

#include "dbhook/error.h"
#include "dbhook/log.h"

/* The environment marker set for the build we exec. */
#define DBH_HANDOFF_ENV "DBHOOK_HANDOFF"
/* 1 (true, yes): the build keeps the variables only dbhook reads. */
#define DBH_HANDOFF_KEEP_ENV "DBHOOK_KEEP_ENV"

enum dbh_handoff_kind {
	DBH_HANDOFF_NONE = 0,  /* nothing to run (argv == NULL) */
	DBH_HANDOFF_ARGS,      /* the words after `--` */
	DBH_HANDOFF_SCRIPT,    /* package.json "build" via a package manager */
	DBH_HANDOFF_FRAMEWORK, /* a framework preset's default */
};

struct dbh_handoff {
	char **argv;   /* NULL-terminated, owned: what execvp runs; NULL when
			* there is nothing to run */
	char *display; /* the command as one line for messages (words with
			* shell metacharacters single-quoted), owned */
	char *source;  /* why this one, e.g. "command after --",
			* "package.json \"build\" script via pnpm
			* (pnpm-lock.yaml)", "framework \"nextjs\" in
			* vercel.json", owned; for none, why there is none */
	enum dbh_handoff_kind kind;
	char *bin_dir; /* absolute <project_dir>/node_modules/.bin when it
			* exists and the command is not run by a package
			* manager (which adds it itself): dbh_handoff_exec
			* puts it first on PATH, as Vercel does for
			* buildCommand. Owned, or NULL */
};

/* Decides the build command. `argc`/`argv` are the words after `--`
 * (argc 0 or argv NULL: none given). Files are read from `project_dir`
 * (NULL: "."). Warnings and notes go to `rep`. Fills `h` (release it with
 * dbh_handoff_release, also after a failure) and returns 0, with
 * h->argv == NULL when there is nothing to run. Returns DBH_EUSAGE with
 * `err` filled when the words after `--` are unusable (an empty command,
 * or vercel-build itself). A package.json script that calls vercel-build
 * while we run inside that very script (npm_lifecycle_event=build) resolves
 * to none: the rest of that script is the build. */
int dbh_handoff_resolve(int argc, char **argv, const char *project_dir,
			const struct dbh_reporter *rep, struct dbh_handoff *h,
			struct dbh_error *err);

/* The package manager that runs package.json's scripts in `dir` (npm,
 * pnpm, yarn or bun: the lockfile, the monorepo root's lockfile, else
 * corepack's "packageManager" of `pkg`, else npm) and why, e.g.
 * "pnpm-lock.yaml". */
void dbh_handoff_manager(const char *dir, const cJSON *pkg, char *pm,
			 size_t pmsz, char *why, size_t whysz,
			 const struct dbh_reporter *rep);

/* Frees every field; safe on a zeroed struct and when called twice. */
void dbh_handoff_release(struct dbh_handoff *h);

/* Nonzero when DBHOOK_HANDOFF is set (to anything but "" or "0"): we run
 * inside a build that vercel-build handed off to. */
int dbh_handoff_inside(void);

/* Sets DBHOOK_HANDOFF=1, removes MIGRATE_DATABASE_URL, MIGRATE_NOTIFY_URL
 * and SUPABASE_ACCESS_TOKEN (secrets the build does not need) unless
 * DBHOOK_KEEP_ENV is 1, true or yes, flushes stdio and execvp()s h->argv in
 * the current directory, with SIGPIPE at its default and no signal blocked
 * (as if the build were started directly). Descriptors without FD_CLOEXEC stay
 * open in the build: close the database connection first. Does not return
 * on success: the process becomes the build, so its exit status and
 * signals are the build's. On failure restores the environment and the
 * signal state and returns 127 (command not found) or 126 (found but not
 * executable) with `err` filled: the message names the command, the hint
 * says what to do (install the package manager or the dependencies, check
 * the build script or the command after --). Returns DBH_EUSAGE when
 * h->argv is NULL. */
int dbh_handoff_exec(const struct dbh_handoff *h, struct dbh_error *err);

/* The default build command of a Vercel framework preset slug (e.g.
 * "nextjs" → "next build"), or NULL when the table has none. Static. */
const char *dbh_handoff_framework(const char *slug);

#endif
