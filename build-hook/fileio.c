/* fileio.c - atomic file writes (see fileio.h). */
#include "dbhook/fileio.h"

#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dbh_dir_of(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, outsz, ".");
	else if (slash == path)
		snprintf(out, outsz, "/");
	else
		snprintf(out, outsz, "%.*s", (int)(slash - path), path);
}

char *dbh_path_join(const char *dir, const char *name)
{
	if (!dir || strcmp(dir, ".") == 0)
		return dbh_xstrdup(name);
	return dbh_xasprintf("%s%s%s", dir,
			     dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
			     name);
}

static int has(const char *dir, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* A package.json that declares "workspaces" (npm, yarn, bun). A plain
 * substring test: a false positive only stops the walk one level early. */
static int has_workspaces(const char *dir)
{
	char path[4200], buf[65536];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/package.json", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "\"workspaces\"") != NULL;
}

int dbh_is_project_top(const char *dir)
{
	static const char *const marks[] = {".git", "pnpm-workspace.yaml",
					    "lerna.json", "turbo.json",
					    "nx.json"};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (has(dir, marks[i]))
			return 1;
	return has_workspaces(dir);
}

int dbh_find_up(const char *start, int (*want)(const char *dir), char *out,
		size_t outsz)
{
	const char *home = dbh_config()->home;
	char cur[4096];

	if (!realpath(start, cur))
		return 0;
	for (int depth = 0; depth < 8; depth++) {
		char *slash;

		if (want(cur)) {
			snprintf(out, outsz, "%s", cur);
			return 1;
		}
		if (dbh_is_project_top(cur) ||
		    (home && strcmp(cur, home) == 0) ||
		    !(slash = strrchr(cur, '/')) || slash == cur)
			return 0;
		*slash = '\0';
	}
	return 0;
}

int dbh_write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fail(struct dbh_error *err, const char *what, const char *path,
		int e)
{
	dbh_error_set(err, DBH_EUSAGE, "cannot write %s \"%s\": %s", what, path,
		      strerror(e));
	errno = e;
	return DBH_EUSAGE;
}

int dbh_write_atomic(const char *path, const char *data, size_t len,
		     mode_t perm, enum dbh_write_mode mode, const char *what,
		     struct dbh_error *err)
{
	const char *base = strrchr(path, '/');
	char dir[4096], tmp[4200];
	int fd, e;

	base = base ? base + 1 : path;
	if (!*base)
		return fail(err, what, path, EISDIR);
	dbh_dir_of(path, dir, sizeof(dir));
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-XXXXXX", dir,
			     base) >= sizeof(tmp))
		return fail(err, what, path, ENAMETOOLONG);
	/* mkostemp: O_EXCL with a random name, mode 0600 until fchmod. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail(err, what, path, errno);
	if (fchmod(fd, perm) || dbh_write_all(fd, data, len) || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		return fail(err, what, path, e);
	}
	if (close(fd)) {
		e = errno;
		unlink(tmp);
		return fail(err, what, path, e);
	}
	/* rename replaces a link at `path` instead of writing through it;
	 * link fails with EEXIST instead of replacing anything. */
	if (mode == DBH_WRITE_NEW ? link(tmp, path) : rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		return fail(err, what, path, e);
	}
	if (mode == DBH_WRITE_NEW)
		unlink(tmp);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return fail(err, what, path, e);
	}
	close(fd);
	return 0;
}

int dbh_text_read(const char *path, size_t max, char **out, size_t *len,
		  const struct dbh_reporter *rep)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		dbh_report(rep, DBH_WARN, "cannot read \"%s\": %s; ignoring it",
			   path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		dbh_report(rep, DBH_WARN,
			   "\"%s\" is not a regular file of at most %zu KiB; "
			   "ignoring it",
			   path, max / 1024);
		close(fd);
		return -1;
	}
	buf = dbh_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}
