/* migdir.h - the migrations folder, in Prisma's layout.
 *
 *   <dir>/migration_lock.toml          optional; provider must be postgresql
 *   <dir>/<name>/migration.sql         one folder per migration
 *
 * Every subdirectory is a migration (files are ignored, symlinked
 * directories skipped), sorted by the byte order of its name. Files are
 * read only when needed (dbh_migration_load), so a broken migration that
 * nobody needs does not stop a run.
 */
#ifndef DBHOOK_MIGDIR_H
#define DBHOOK_MIGDIR_H

#include <pthread.h>
#include <stddef.h>

#include "dbhook/checksum.h"
#include "dbhook/error.h"
#include "dbhook/log.h"

/* Longest name _prisma_migrations.migration_name (VARCHAR(255)) holds. */
#define DBH_NAME_MAX 255

/* A build's no-op deploy lists every migration of the folder, so this
 * stays small: one allocation for the two names, one for the file and its
 * checksum once read. */
struct dbh_migration {
	char *name;	      /* the folder name, owned (path lives after it) */
	const char *path;     /* "<dir>/<name>/migration.sql" */
	char *sql;	      /* file bytes plus a NUL once read, owned */
	size_t len;	      /* bytes in sql, without the NUL */
	const char *checksum; /* its 64 hex digits once read (in sql's
			       * allocation), else NULL */
	int no_file;	      /* the folder holds no migration.sql, once
			       * looked for (dbh_migdir_look) */
};

struct dbh_migdir {
	char *dir;		 /* as given, owned */
	struct dbh_migration *m; /* sorted by name, owned */
	size_t n;
	size_t nodd;	 /* names without a 14-digit timestamp and '_' */
	size_t nno_file; /* folders without migration.sql, once looked */
	/* The look for each folder's migration.sql: */
	int dfd; /* the folder, open while has_dfd */
	int has_dfd;
	int looking; /* a thread is looking */
	int looked;  /* no_file and nno_file are set */
	pthread_t looker;
};

/* One line about the names without a timestamp, when there are any:
 * callers say it where it matters (status, a deploy with work to do),
 * never on the no-op path every build pays for. */
void dbh_migdir_report_odd(const struct dbh_migdir *md,
			   const struct dbh_reporter *rep);

/* What the folder check says of one migration folder name. */
enum dbh_migname {
	DBH_MIGNAME_OK,	      /* <14 digits>_<anything>, as Prisma names them */
	DBH_MIGNAME_ODD,      /* usable, but no timestamp: sorts oddly */
	DBH_MIGNAME_TOO_LONG, /* longer than DBH_NAME_MAX: refused, `err` set */
};

/* Classifies one folder name, as dbh_migdir_open does for every folder
 * (its own function so the name check can be fed any bytes alone).
 * `err` is filled only for DBH_MIGNAME_TOO_LONG. */
enum dbh_migname dbh_migdir_check_name(const char *name, struct dbh_error *err);

/* The folder to use when none is given: prisma/migrations if it exists,
 * else migrations. Static string. */
const char *dbh_migdir_default(void);

/* Lists `dir` and checks migration_lock.toml; counts the names without a
 * timestamp in md->nodd (see dbh_migdir_report_odd). Returns 0, or DBH_EUSAGE
 * with `err` filled (missing or unreadable folder, a name too long, a lock file
 * naming another provider). Release `md` with dbh_migdir_release. */
int dbh_migdir_open(const char *dir, struct dbh_migdir *md,
		    struct dbh_error *err);

/* Whether each folder holds its migration.sql (no_file, nno_file) is
 * looked up apart from the listing: a system call per folder, ~3 ms for
 * 1000 folders, which every build's deploy would pay before it connects.
 * Started on a thread just before the connection, the look costs nothing:
 * the client mostly waits for the server there. dbh_migdir_look waits for
 * a look so started, or looks now; call it before reading no_file
 * (dbh_migdir_check_files does). dbh_migdir_open keeps a descriptor of the
 * folder until the look ends (or release). While a thread looks, it holds
 * `md`'s address and writes the migrations' no_file: `md` must stay where
 * it is, not be copied, and nothing of it be read but n, m[i].name and
 * dir. */
void dbh_migdir_look_start(struct dbh_migdir *md);
void dbh_migdir_look(struct dbh_migdir *md);

/* Waits for a look still running. */
void dbh_migdir_release(struct dbh_migdir *md);

/* DBH_EUSAGE, naming the first folder and the count, when a folder holds
 * no migration.sql (Prisma refuses it when it would apply it: P3015):
 * deploy refuses such a folder right after it connects, before any query
 * (if the database is also unreachable, this error is the one reported),
 * run before it asks for the password. status shows it instead. 0 when
 * every folder has its file. Looks first (dbh_migdir_look). */
int dbh_migdir_check_files(struct dbh_migdir *md, struct dbh_error *err);

/* The migration named `name`, or NULL. */
struct dbh_migration *dbh_migdir_find(const struct dbh_migdir *md,
				      const char *name);

/* Reads and checks one migration.sql: missing, unreadable, empty or
 * white-space only, invalid UTF-8, or ending inside a comment or quote →
 * DBH_EUSAGE with `err` filled. On success sets sql, len and checksum.
 * Loading twice is a no-op. */
int dbh_migration_load(struct dbh_migration *m, struct dbh_error *err);

/* dbh_migration_load for each of ms[0..n), stopping at the first
 * error: every file a run needs is read and checked before anything is
 * applied, so a broken one late in the list leaves nothing half done. */
int dbh_migrations_load(struct dbh_migration *const *ms, size_t n,
			struct dbh_error *err);

/* Reads the file and computes its checksum without validating it (status
 * must report a modified file even when it is now broken). Returns 0, or
 * -1 when it cannot be read (errno set). */
int dbh_migration_read(struct dbh_migration *m);

#endif
