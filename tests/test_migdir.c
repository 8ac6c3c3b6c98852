/* test_migdir.c - listing and reading the migrations folder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbhook/migdir.h"
#include "tap.h"

static char root[256];
static int warnings;
static char last_warning[1024];

static int notes;
static char last_note[1024];

static void collect(void *ctx, enum dbh_level level, const char *line)
{
	(void)ctx;
	if (level == DBH_WARN) {
		warnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", line);
	} else if (level == DBH_NOTE) {
		notes++;
		snprintf(last_note, sizeof(last_note), "%s", line);
	}
}

static const struct dbh_reporter rep = {collect, NULL, NULL};

/* Descriptors this process has open. */
static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

static void write_file(const char *rel, const char *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void make_dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

static void mig(const char *name, const char *sql)
{
	char rel[512];

	make_dir(name);
	snprintf(rel, sizeof(rel), "%s/migration.sql", name);
	write_file(rel, sql, strlen(sql));
}

static int load_error(const char *name, struct dbh_migdir *md,
		      struct dbh_error *err)
{
	struct dbh_migration *m = dbh_migdir_find(md, name);

	dbh_error_clear(err);
	return m ? dbh_migration_load(m, err) : -1;
}

int main(void)
{
	struct dbh_migdir md;
	struct dbh_error err;
	char path[512], longname[300];
	int r, fds;

	snprintf(root, sizeof(root), "/tmp/dbhook-migdir-XXXXXX");
	if (!mkdtemp(root))
		return 1;

	mig("20240102000000_second", "SELECT 2;\n");
	mig("20240101000000_first", "SELECT 1;\n");
	mig("20240101000000_First", "SELECT 0;\n");
	mig("adhoc_name", "SELECT 3;\n");
	mig(".hidden", "SELECT 4;\n");
	write_file("README.md", "docs\n", 5);
	make_dir("20240103000000_no_sql");
	snprintf(path, sizeof(path), "%s/20240101000000_first", root);
	{
		char link[512];

		snprintf(link, sizeof(link), "%s/20240104000000_linked", root);
		r = symlink(path, link);
		(void)r;
	}
	r = dbh_migdir_open(root, &md, &err);
	ok(r == 0, "folder opens");
	ok(md.n == 6,
	   "6 migrations: files and the symlink skipped, hidden "
	   "kept (got %zu)",
	   md.n);
	if (md.n == 6) {
		is_str(md.m[0].name, ".hidden", "byte order: '.' first");
		is_str(md.m[1].name, "20240101000000_First",
		       "byte order: upper case before lower case");
		is_str(md.m[2].name, "20240101000000_first", "then _first");
		is_str(md.m[5].name, "adhoc_name", "letters after digits");
	}
	ok(md.nodd == 2, "two names without a timestamp counted (got %zu)",
	   md.nodd);
	ok(warnings == 0, "and no warning while listing (got %d)", warnings);
	dbh_migdir_report_odd(&md, &rep);
	ok(notes == 1, "one note for both of them (got %d)", notes);
	ok(strstr(last_note, "2 migrations (\".hidden\" first)") &&
	       strstr(last_note, "14-digit"),
	   "the note counts them, names the first and explains why");
	ok(dbh_migdir_find(&md, "20240104000000_linked") == NULL,
	   "symlinked directory skipped");

	ok(load_error("20240102000000_second", &md, &err) == 0,
	   "good file loads");
	{
		char want[65];

		dbh_checksum("SELECT 2;\n", 10, want);
		is_str(dbh_migdir_find(&md, "20240102000000_second")->checksum,
		       want, "checksum of the loaded file");
	}
	ok(load_error("20240103000000_no_sql", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "cannot read") && strstr(err.hint, "P3015"),
	   "missing migration.sql: clear error only when loaded");
	dbh_migdir_release(&md);

	/* Bad files, each a clear DBH_EUSAGE. */
	mig("20240105000000_empty", "");
	mig("20240106000000_blank", "  \n\t\n");
	mig("20240107000000_comment", "-- nothing to do\n");
	mig("20240108000000_latin1", "SELECT 'caf\xe9';\n");
	mig("20240109000000_open", "SELECT 1; /* unfinished\n");
	make_dir("20240110000000_dir_sql");
	make_dir("20240110000000_dir_sql/migration.sql");
	mig("20240111000000_nul", "SELECT 1;");
	write_file("20240111000000_nul/migration.sql", "SELECT\0 1;", 10);
	warnings = 0;
	r = dbh_migdir_open(root, &md, &err);
	ok(r == 0, "folder with bad files still opens");
	ok(load_error("20240105000000_empty", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "is empty") && strstr(err.hint, "comment"),
	   "empty file refused with a hint");
	ok(load_error("20240106000000_blank", &md, &err) == DBH_EUSAGE,
	   "white-space-only file refused");
	ok(load_error("20240107000000_comment", &md, &err) == 0,
	   "comment-only file accepted (empty on purpose)");
	ok(load_error("20240108000000_latin1", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "UTF-8") &&
	       strstr(err.detail, "line 1, column 12"),
	   "invalid UTF-8 refused with its position (%s)", err.detail);
	ok(load_error("20240109000000_open", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "ends inside"),
	   "file ending inside a comment refused");
	ok(load_error("20240110000000_dir_sql", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "cannot read"),
	   "unreadable migration.sql (a directory) refused");
	ok(load_error("20240111000000_nul", &md, &err) == DBH_EUSAGE &&
	       strstr(err.message, "NUL"),
	   "NUL byte refused");
	dbh_migdir_release(&md);

	/* Lock file. */
	write_file("migration_lock.toml",
		   "# comment\nprovider = \"postgresql\"\n", 35);
	ok(dbh_migdir_open(root, &md, &err) == 0,
	   "lock file naming postgresql accepted");
	dbh_migdir_release(&md);
	write_file("migration_lock.toml", "provider = \"mysql\"\n", 19);
	r = dbh_migdir_open(root, &md, &err);
	ok(r == DBH_EUSAGE && strstr(err.message, "mysql") &&
	       strstr(err.detail, "P3019"),
	   "lock file naming mysql refused (P3019)");
	write_file("migration_lock.toml", "# nothing\n", 10);
	r = dbh_migdir_open(root, &md, &err);
	ok(r == DBH_EUSAGE && strstr(err.message, "no provider"),
	   "lock file without provider refused");
	snprintf(path, sizeof(path), "%s/migration_lock.toml", root);
	ok(unlink(path) == 0, "lock file removed");

	/* Each folder's migration.sql is looked for apart from the listing,
	 * on a thread or when first needed; the answer is the same. */
	fds = open_fds();
	r = dbh_migdir_open(root, &md, &err);
	ok(r == 0 && !md.looked, "opened, not yet looked at");
	dbh_migdir_look_start(&md);
	ok(md.looking, "a thread is looking");
	r = dbh_migdir_check_files(&md, &err);
	ok(r == DBH_EUSAGE && md.looked && md.nno_file == 1 &&
	       strstr(err.message, "\"20240103000000_no_sql\" has no "
				   "migration.sql"),
	   "look on a thread: the folder without migration.sql (%s)",
	   err.message);
	ok(dbh_migdir_find(&md, "20240103000000_no_sql")->no_file &&
	       !dbh_migdir_find(&md, "20240111000000_nul")->no_file &&
	       !dbh_migdir_find(&md, "20240110000000_dir_sql")->no_file,
	   "and only that folder is marked");
	dbh_migdir_release(&md);
	r = dbh_migdir_open(root, &md, &err);
	ok(r == 0 && dbh_migdir_check_files(&md, &err) == DBH_EUSAGE &&
	       md.nno_file == 1,
	   "look when needed (no thread started): the same answer");
	dbh_migdir_release(&md);
	r = dbh_migdir_open(root, &md, &err);
	dbh_migdir_look_start(&md);
	dbh_migdir_release(&md);
	ok(r == 0 && open_fds() == fds,
	   "released while looking: waits, no descriptor left open (%d)", fds);
	snprintf(path, sizeof(path), "%s/20240103000000_no_sql", root);
	ok(rmdir(path) == 0, "folder without migration.sql removed");

	/* The longest name a Linux file system allows (255 bytes) is also
	 * the longest the history column holds: it must be accepted. */
	memset(longname, 'x', 255);
	memcpy(longname, "20240112000000_", 15);
	longname[255] = '\0';
	mig(longname, "SELECT 1;\n");
	r = dbh_migdir_open(root, &md, &err);
	ok(r == 0 && dbh_migdir_find(&md, longname) != NULL,
	   "a 255-byte name is accepted");
	ok(r == 0 && dbh_migdir_check_files(&md, &err) == 0,
	   "and its migration.sql is found");
	if (r == 0)
		dbh_migdir_release(&md);
	snprintf(path, sizeof(path), "%s/%s", root, longname);
	ok(mkdir(strcat(path, "y"), 0755) != 0 && errno == ENAMETOOLONG,
	   "a 256-byte name cannot exist here (the kernel refuses it)");

	r = dbh_migdir_open("/nonexistent/migrations", &md, &err);
	ok(r == DBH_EUSAGE && strstr(err.message, "No such file") &&
	       strstr(err.hint, "--dir"),
	   "missing folder: error with a hint");

	r = system(strcat(strcpy(path, "rm -rf "), root));
	(void)r;
	return tap_done();
}
