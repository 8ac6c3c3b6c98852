/* fileio.h - the one way files are written: atomically.
 *
 * A reader never sees half a file, a crash leaves the old file or the new
 * one, and a file or link planted at a predictable name is never written
 * through: the data goes to a temporary file created exclusively
 * (mkostemp) in the target's folder, is synced, and is renamed over the
 * target (or linked, for a file that must not exist yet); then the folder
 * is synced so the rename itself survives a crash.
 */
#ifndef DBHOOK_FILEIO_H
#define DBHOOK_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "dbhook/error.h"
#include "dbhook/log.h"

enum dbh_write_mode {
	DBH_WRITE_REPLACE, /* create or replace the file (a link is replaced) */
	DBH_WRITE_NEW	   /* create it; an existing one is left alone */
};

/* Writes `len` bytes of `data` to `path` with permissions `perm` (exactly,
 * whatever the umask). `what` names the file in messages ("report",
 * "config file"). 0, or DBH_EUSAGE with "cannot write <what> "path": why"
 * in `err`; DBH_WRITE_NEW on an existing file: DBH_EUSAGE and errno
 * EEXIST, so the caller may treat that as success. */
int dbh_write_atomic(const char *path, const char *data, size_t len,
		     mode_t perm, enum dbh_write_mode mode, const char *what,
		     struct dbh_error *err);

/* Whether `dir` is the top of a repository (.git) or of a JavaScript
 * workspace (pnpm-workspace.yaml, lerna.json, turbo.json, nx.json, or a
 * package.json with "workspaces"): where a monorepo keeps its lockfile
 * and what names the project. */
int dbh_is_project_top(const char *dir);

/* Writes all `len` bytes to `fd` (again after EINTR or a short write).
 * 0, or -1 with errno set. */
int dbh_write_all(int fd, const char *p, size_t len);

/* From `start` upwards, the first folder for which `want` is true, into
 * `out`: 1 when found, else 0. The walk never goes above the project's top
 * (the top itself is looked at), the home folder, or 8 levels. */
int dbh_find_up(const char *start, int (*want)(const char *dir), char *out,
		size_t outsz);

/* The folder part of `path` ("." when it has none). */
void dbh_dir_of(const char *path, char *out, size_t outsz);

/* "<dir>/<name>" (malloc'd): `name` alone when `dir` is NULL or ".", no
 * second slash when `dir` ends in one. */
char *dbh_path_join(const char *dir, const char *name);

/* Reads a regular file of at most `max` bytes into a NUL-terminated buffer
 * (*out, free it; *len bytes before the NUL). 0 when read, 1 when absent,
 * -1 after a warning through `rep` naming the file. */
int dbh_text_read(const char *path, size_t max, char **out, size_t *len,
		  const struct dbh_reporter *rep);

#endif
