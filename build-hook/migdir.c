/* migdir.c - listing and reading the migrations folder. */
#include "dbhook/migdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbhook/alloc.h"
#include "dbhook/sqlscan.h"

const char *dbh_migdir_default(void)
{
	struct stat st;

	if (stat("prisma/migrations", &st) == 0 && S_ISDIR(st.st_mode))
		return "prisma/migrations";
	return "migrations";
}

/* Collects up to 3 "<path>/prisma/migrations" folders below `dir`, at
 * most `depth` levels down, skipping node_modules and hidden folders;
 * `budget` bounds the folders opened. */
static void find_prisma(const char *dir, int depth, int *budget,
			char found[][512], int *nfound)
{
	DIR *d;
	struct dirent *e;

	if (depth < 0 || *nfound >= 3 || --*budget < 0 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)) != NULL && *nfound < 3) {
		char path[1024];
		struct stat st;

		if (e->d_name[0] == '.' ||
		    strcmp(e->d_name, "node_modules") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (strcmp(e->d_name, "prisma") == 0) {
			char mig[1100];

			snprintf(mig, sizeof(mig), "%s/migrations", path);
			if (stat(mig, &st) == 0 && S_ISDIR(st.st_mode)) {
				/* shown relative to where we started */
				snprintf(found[(*nfound)++], 512, "%.500s",
					 mig[0] == '.' && mig[1] == '/'
					     ? mig + 2
					     : mig);
				continue;
			}
		}
		find_prisma(path, depth - 1, budget, found, nfound);
	}
	closedir(d);
}

/* Says where the folder was looked for, and suggests the Prisma
 * migration folders below the current one (a monorepo's package). */
static void explain_missing(const char *dir, struct dbh_error *err)
{
	char found[3][512], cwd[1024];
	int nfound = 0, budget = 2000;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	if (strcmp(dir, "migrations") == 0)
		dbh_error_detail(err,
				 "Without --dir, dbhook looks for "
				 "prisma/migrations, then migrations, in %s.",
				 cwd);
	else
		dbh_error_detail(err, "Looked for \"%s\" from %s.", dir, cwd);
	find_prisma(".", 4, &budget, found, &nfound);
	if (nfound == 1)
		dbh_error_hint(err, "Found %s: pass --dir %s.", found[0],
			       found[0]);
	else if (nfound > 1)
		dbh_error_hint(err,
			       "Found %s%s%s%s%s: pass the right one with "
			       "--dir.",
			       found[0], nfound > 2 ? ", " : " and ", found[1],
			       nfound > 2 ? " and " : "",
			       nfound > 2 ? found[2] : "");
	else
		dbh_error_hint(err, "Run from the project root, or pass --dir "
				    "with the folder that holds "
				    "<timestamp>_<name>/migration.sql.");
}

static int cmp_names(const void *a, const void *b)
{
	const struct dbh_migration *x = a, *y = b;

	return strcmp(x->name, y->name); /* byte order, as Prisma < 6.6 */
}

static int has_timestamp_prefix(const char *name)
{
	for (int i = 0; i < 14; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	return name[14] == '_';
}

/* Bytes of `s` that fit in `max` without cutting a UTF-8 character, so a
 * shortened name in a message stays valid UTF-8. */
static int utf8_cut(const char *s, int max)
{
	int n = (int)strnlen(s, (size_t)max);

	if (n < max)
		return n;
	/* Back off over continuation bytes to a character's first byte; if
	 * the character ending at `n` is whole, keep it. */
	for (int i = n; i > 0 && n - i < 4; i--) {
		unsigned char c = (unsigned char)s[i - 1];
		int len;

		if ((c & 0xC0) == 0x80)
			continue;
		len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		return i - 1 + len <= n ? n : i - 1;
	}
	return n;
}

enum dbh_migname dbh_migdir_check_name(const char *name, struct dbh_error *err)
{
	size_t len = strlen(name);

	if (len > DBH_NAME_MAX) {
		dbh_error_set(err, DBH_EUSAGE,
			      "migration name \"%.*s…\" is %zu bytes long",
			      utf8_cut(name, 40), name, len);
		dbh_error_detail(err,
				 "The history table stores names of at most "
				 "%d bytes.",
				 DBH_NAME_MAX);
		dbh_error_hint(err, "Rename the folder to a shorter name "
				    "before it is applied.");
		return DBH_MIGNAME_TOO_LONG;
	}
	return has_timestamp_prefix(name) ? DBH_MIGNAME_OK : DBH_MIGNAME_ODD;
}

/* Prisma's literal parse: the first line starting with "provider", with
 * "provider = " and the quotes trimmed; absent file = no check. */
static int check_lock_file(const char *dir, struct dbh_error *err)
{
	char path[4096], line[512];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/migration_lock.toml", dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0
				       : dbh_error_set(err, DBH_EUSAGE,
						       "cannot read \"%s\": %s",
						       path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *v = line;
		size_t n;

		if (strncmp(line, "provider", 8) != 0)
			continue;
		found = 1;
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(v, "provider = ", 11) == 0)
			v += 11;
		while (*v == '"')
			v++;
		n = strlen(v);
		while (n > 0 && v[n - 1] == '"')
			v[--n] = '\0';
		if (strcmp(v, "postgresql") != 0) {
			fclose(f);
			dbh_error_set(err, DBH_EUSAGE,
				      "\"%s\" names provider \"%s\", not "
				      "\"postgresql\"",
				      path, v);
			dbh_error_detail(err, "These migrations were written "
					      "for another database (Prisma "
					      "error P3019).");
			dbh_error_hint(err, "Point --dir at the PostgreSQL "
					    "migrations, or fix the provider "
					    "line to read: provider = "
					    "\"postgresql\"");
			return DBH_EUSAGE;
		}
		break;
	}
	fclose(f);
	if (!found) {
		dbh_error_set(err, DBH_EUSAGE, "\"%s\" has no provider line",
			      path);
		dbh_error_hint(err, "Add the line: provider = \"postgresql\"");
		return DBH_EUSAGE;
	}
	return 0;
}

int dbh_migdir_open(const char *dir, struct dbh_migdir *md,
		    struct dbh_error *err)
{
	DIR *d;
	struct dirent *e;
	size_t cap = 0;
	int ret = 0;

	memset(md, 0, sizeof(*md));
	d = opendir(dir);
	if (!d) {
		int saved = errno;

		dbh_error_set(err, DBH_EUSAGE,
			      "cannot open migrations folder \"%s\": %s", dir,
			      strerror(saved));
		if (saved == ENOENT)
			explain_missing(dir, err);
		return DBH_EUSAGE;
	}
	md->dir = dbh_xstrdup(dir);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		struct dbh_migration *m;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* A symlinked directory is skipped, as Prisma does. d_type
		 * saves a system call per entry on every build; lstat only
		 * where the file system does not fill it in. */
		if (e->d_type != DT_DIR) {
			if (e->d_type != DT_UNKNOWN)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
		}
		if (dbh_migdir_check_name(e->d_name, err) ==
		    DBH_MIGNAME_TOO_LONG) {
			ret = DBH_EUSAGE;
			goto out;
		}
		if (md->n == cap) {
			cap = cap ? cap * 2 : 64;
			md->m = dbh_xrealloc(md->m, cap, sizeof(*md->m));
		}
		m = &md->m[md->n];
		memset(m, 0, sizeof(*m));
		m->name = dbh_xasprintf("%s%c%s/%s/migration.sql", e->d_name,
					'\0', dir, e->d_name);
		m->path = m->name + strlen(m->name) + 1;
		md->n++;
	}
	if (md->n > 1)
		qsort(md->m, md->n, sizeof(*md->m), cmp_names);
	for (size_t i = 0; i < md->n; i++)
		md->nodd += !has_timestamp_prefix(md->m[i].name);
	ret = check_lock_file(dir, err);
	/* Kept for the look, which then walks one name below the folder
	 * instead of the whole path (without it, the whole path). */
	if (!ret) {
		md->dfd = fcntl(dirfd(d), F_DUPFD_CLOEXEC, 0);
		md->has_dfd = md->dfd >= 0;
	}
out:
	closedir(d);
	if (ret)
		dbh_migdir_release(md);
	return ret;
}

/* One stat per folder, no read: the files are read only when there is
 * work to do. */
static void *look(void *arg)
{
	struct dbh_migdir *md = arg;

	for (size_t i = 0; i < md->n; i++) {
		struct dbh_migration *m = &md->m[i];
		char path[DBH_NAME_MAX + sizeof("/migration.sql")];
		struct stat st;

		snprintf(path, sizeof(path), "%s/migration.sql", m->name);
		m->no_file = (md->has_dfd ? fstatat(md->dfd, path, &st, 0)
					  : stat(m->path, &st)) != 0 &&
			     errno == ENOENT;
		md->nno_file += (size_t)m->no_file;
	}
	return NULL;
}

void dbh_migdir_look_start(struct dbh_migdir *md)
{
	sigset_t all, old;

	if (md->looked || md->looking)
		return;
	/* Signals stay the main thread's business. Without a thread (none
	 * left), the look happens when needed: slower, the same result. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	md->looking = pthread_create(&md->looker, NULL, look, md) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void dbh_migdir_look(struct dbh_migdir *md)
{
	if (md->looked)
		return;
	if (md->looking)
		pthread_join(md->looker, NULL);
	else
		look(md);
	md->looking = 0;
	md->looked = 1;
	if (md->has_dfd)
		close(md->dfd);
	md->has_dfd = 0;
}

void dbh_migdir_release(struct dbh_migdir *md)
{
	if (md->looking)
		pthread_join(md->looker, NULL);
	if (md->has_dfd)
		close(md->dfd);
	for (size_t i = 0; i < md->n; i++) {
		free(md->m[i].name);
		free(md->m[i].sql);
	}
	free(md->m);
	free(md->dir);
	memset(md, 0, sizeof(*md));
}

int dbh_migdir_check_files(struct dbh_migdir *md, struct dbh_error *err)
{
	const struct dbh_migration *first = NULL;

	dbh_migdir_look(md);
	for (size_t i = 0; i < md->n && !first; i++)
		if (md->m[i].no_file)
			first = &md->m[i];
	if (!first)
		return 0;
	dbh_error_set(err, DBH_EUSAGE,
		      "migration folder \"%s\" has no migration.sql",
		      first->name);
	if (md->nno_file > 1)
		dbh_error_detail(err,
				 "%zu folders of \"%s\" hold no migration.sql "
				 "(\"%s\" is the first). Every folder there is "
				 "a migration; Prisma refuses these too "
				 "(P3015).",
				 md->nno_file, md->dir, first->name);
	else
		dbh_error_detail(err,
				 "Every folder of \"%s\" is a migration; this "
				 "one has nothing to apply. Prisma refuses it "
				 "too (P3015).",
				 md->dir);
	dbh_error_hint(err,
		       "Restore \"%s\", or delete the folder if the "
		       "migration is not wanted. `dbhook status` lists every "
		       "folder.",
		       first->path);
	return DBH_EUSAGE;
}

/* The folder is sorted by name (dbh_migdir_open): a binary search, so
 * matching every history row against it stays O(n log n). */
struct dbh_migration *dbh_migdir_find(const struct dbh_migdir *md,
				      const char *name)
{
	struct dbh_migration key = {.name = (char *)name};

	if (md->n == 0)
		return NULL;
	return bsearch(&key, md->m, md->n, sizeof(*md->m), cmp_names);
}

int dbh_migrations_load(struct dbh_migration *const *ms, size_t n,
			struct dbh_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int ret = dbh_migration_load(ms[i], err);

		if (ret)
			return ret;
	}
	return 0;
}

int dbh_migration_read(struct dbh_migration *m)
{
	int fd;
	struct stat st;
	char *buf;
	size_t got = 0;

	if (m->sql)
		return 0;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || S_ISDIR(st.st_mode))
			errno = EISDIR;
		close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1 + DBH_CHECKSUM_LEN + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	m->sql = buf;
	m->len = got;
	dbh_checksum(buf, got, buf + got + 1);
	m->checksum = buf + got + 1;
	return 0;
}

int dbh_migration_load(struct dbh_migration *m, struct dbh_error *err)
{
	struct dbh_sqlscan scan;
	long bad;

	if (dbh_migration_read(m) != 0) {
		int saved = errno;

		dbh_error_set(err, DBH_EUSAGE, "cannot read \"%s\": %s",
			      m->path, strerror(saved));
		if (saved == ENOENT)
			dbh_error_hint(err,
				       "Restore the file, or delete the folder "
				       "\"%s\" if the migration is not wanted "
				       "(Prisma error P3015).",
				       m->name);
		return DBH_EUSAGE;
	}
	if (memchr(m->sql, '\0', m->len)) {
		dbh_error_set(err, DBH_EUSAGE, "\"%s\" contains a NUL byte",
			      m->path);
		dbh_error_hint(err, "A migration must be a text file.");
		return DBH_EUSAGE;
	}
	bad = dbh_utf8_invalid_at(m->sql, m->len);
	if (bad >= 0) {
		int line, col;

		dbh_sql_position(m->sql, (size_t)bad,
				 dbh_utf8_chars(m->sql, (size_t)bad) + 1, &line,
				 &col);
		dbh_error_set(err, DBH_EUSAGE, "\"%s\" is not valid UTF-8",
			      m->path);
		dbh_error_detail(err,
				 "The first invalid byte is at line %d, "
				 "column %d (byte offset %ld).",
				 line, col, bad);
		dbh_error_hint(err, "Save the file as UTF-8 (e.g. iconv -f "
				    "LATIN1 -t UTF-8).");
		return DBH_EUSAGE;
	}
	dbh_sql_scan(m->sql, m->len, &scan);
	if (scan.blank) {
		dbh_error_set(err, DBH_EUSAGE, "migration \"%s\" is empty",
			      m->name);
		dbh_error_detail(err,
				 "\"%s\" holds no SQL. Applying it would "
				 "record it as done, and the SQL you add later "
				 "would never run.",
				 m->path);
		dbh_error_hint(err, "Write the migration's SQL into the file. "
				    "If it is empty on purpose, put a comment "
				    "in it, e.g. \"-- nothing to do\".");
		return DBH_EUSAGE;
	}
	if (scan.unterminated) {
		dbh_error_set(err, DBH_EUSAGE,
			      "\"%s\" ends inside a comment, a quoted string "
			      "or a dollar quote",
			      m->path);
		dbh_error_hint(err, "Close the comment or quote at the end of "
				    "the file.");
		return DBH_EUSAGE;
	}
	return 0;
}

void dbh_migdir_report_odd(const struct dbh_migdir *md,
			   const struct dbh_reporter *rep)
{
	const char *first = NULL;

	for (size_t i = 0; i < md->n && !first; i++)
		if (!has_timestamp_prefix(md->m[i].name))
			first = md->m[i].name;
	if (!first)
		return;
	if (md->nodd == 1)
		dbh_report(rep, DBH_NOTE,
			   "migration \"%s\" does not start with a 14-digit "
			   "timestamp and '_'; it is ordered by the byte order "
			   "of its name, as Prisma orders it",
			   first);
	else
		dbh_report(
		    rep, DBH_NOTE,
		    "%zu migrations (\"%s\" first) do not start with a "
		    "14-digit timestamp and '_'; they are ordered by the "
		    "byte order of their names, as Prisma orders them",
		    md->nodd, first);
}
