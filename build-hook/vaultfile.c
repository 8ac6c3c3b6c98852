/* vaultfile.c - the vault file on disk: where it is, loading it with
 * ssh's ownership and permission checks, locking, atomic saving (see
 * vaultfile.h). */
#include "dbhook/vaultfile.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/* `path` quoted for a shell command in a hint. */
static void shell_quote(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	int plain = *in != '\0';

	for (const char *s = in; *s; s++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			    "yz0123456789._-/+=:@%~",
			    *s))
			plain = 0;
	if (plain) {
		snprintf(out, outsz, "%s", in);
		return;
	}
	if (outsz < 3) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (const char *s = in; *s && o + 6 < outsz; s++) {
		if (*s == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *s;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
}

static int file_error(struct dbh_error *err, const char *path, const char *verb)
{
	int e = errno;

	dbh_error_set(err, DBH_EUSAGE, "cannot %s config file \"%s\": %s", verb,
		      path, strerror(e));
	return DBH_EUSAGE;
}

static int symlink_error(struct dbh_error *err, const char *path)
{
	dbh_error_set(err, DBH_EUSAGE,
		      "config file \"%s\" is a symbolic link; dbhook does not "
		      "follow links to its secrets",
		      path);
	dbh_error_hint(err, "Give the real file with --config, or replace the "
			    "link with the file itself.");
	return DBH_EUSAGE;
}

/* ssh's rule: ours, and neither group nor others may read or write. */
static int check_stat(const char *path, const struct stat *st,
		      struct dbh_error *err)
{
	char q[600];

	shell_quote(path, q, sizeof(q));
	if (!S_ISREG(st->st_mode))
		return dbh_error_set(err, DBH_EUSAGE,
				     "config file \"%s\" is not a regular file",
				     path);
	if (st->st_uid != geteuid()) {
		dbh_error_set(err, DBH_EUSAGE,
			      "config file \"%s\" is owned by uid %u, not by "
			      "you (uid %u)",
			      path, (unsigned)st->st_uid, (unsigned)geteuid());
		dbh_error_detail(err, "Another user could have replaced the "
				      "stored URL.");
		dbh_error_hint(err,
			       "Use a file of your own (--config), or take it "
			       "over: sudo chown %u %s && chmod 600 %s",
			       (unsigned)geteuid(), q, q);
		return DBH_EUSAGE;
	}
	if (st->st_mode & 077) {
		dbh_error_set(err, DBH_EUSAGE,
			      "permissions %04o for config file \"%s\" are too "
			      "open",
			      (unsigned)(st->st_mode & 07777), path);
		dbh_error_detail(err, "It must not be readable or writable by "
				      "group or others.");
		dbh_error_hint(err, "Run: chmod 600 %s", q);
		return DBH_EUSAGE;
	}
	return 0;
}

int dbh_vault_load(const char *path, struct dbh_vault *v, int *missing,
		   struct dbh_error *err)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, ret;

	memset(v, 0, sizeof(*v));
	if (missing)
		*missing = 0;
	fd = open(path,
		  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && missing) {
			*missing = 1;
			return 0;
		}
		if (errno == ELOOP)
			return symlink_error(err, path);
		if (errno == ENOENT) {
			dbh_error_set(err, DBH_EUSAGE, "no config file \"%s\"",
				      path);
			dbh_error_hint(err, "Store a profile first: dbhook "
					    "setup (or give the file with "
					    "--config).");
			return DBH_EUSAGE;
		}
		return file_error(err, path, "open");
	}
	if (fstat(fd, &st)) {
		ret = file_error(err, path, "examine");
		close(fd);
		return ret;
	}
	ret = check_stat(path, &st, err);
	if (ret) {
		close(fd);
		return ret;
	}
	buf = dbh_xmalloc(DBH_VAULT_FILE_MAX + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, DBH_VAULT_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = file_error(err, path, "read");
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > DBH_VAULT_FILE_MAX)
			break;
	}
	close(fd);
	if (!ret)
		ret = dbh_vault_parse(buf, len, path, v, err);
	free(buf);
	return ret;
}

/* The folder part of `path` ("." when none) into `out`. */
int dbh_vault_lock(const char *path, double timeout_s, int *lockfd,
		   struct dbh_error *err)
{
	char dir[4096];
	struct timespec pause = {0, 50 * 1000 * 1000};
	double waited = 0;
	int fd;

	dbh_dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		dbh_error_set(err, DBH_EUSAGE,
			      "cannot open the folder \"%s\" of the config "
			      "file: %s",
			      dir, strerror(e));
		return DBH_EUSAGE;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			dbh_error_set(err, DBH_EUSAGE,
				      "cannot lock the folder \"%s\": %s", dir,
				      strerror(e));
			return DBH_EUSAGE;
		}
		if (waited >= timeout_s) {
			close(fd);
			dbh_error_set(err, DBH_EUSAGE,
				      "another dbhook is changing \"%s\"; gave "
				      "up after %.0f s",
				      path, timeout_s);
			return DBH_EUSAGE;
		}
		nanosleep(&pause, NULL);
		waited += 0.05;
	}
	*lockfd = fd;
	return 0;
}

void dbh_vault_unlock(int lockfd)
{
	if (lockfd >= 0) {
		flock(lockfd, LOCK_UN);
		close(lockfd);
	}
}

int dbh_vault_save(const char *path, const struct dbh_vault *v,
		   struct dbh_error *err)
{
	const char *base = strrchr(path, '/');
	struct stat st;
	char *text;
	int ret;

	base = base ? base + 1 : path;
	if (!*base)
		return dbh_error_set(err, DBH_EUSAGE,
				     "config file \"%s\" names a folder", path);
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return symlink_error(err, path);
		if (!S_ISREG(st.st_mode))
			return dbh_error_set(err, DBH_EUSAGE,
					     "config file \"%s\" is not a "
					     "regular file",
					     path);
	} else if (errno != ENOENT) {
		return file_error(err, path, "examine");
	}
	text = dbh_vault_format(v);
	if (!text) /* cannot happen: a name is at most 64 bytes */
		return dbh_error_set(err, DBH_EUSAGE,
				     "a profile's record is too long");
	ret = dbh_write_atomic(path, text, strlen(text), 0600,
			       DBH_WRITE_REPLACE, "config file", err);
	dbh_wipe_free(text);
	return ret;
}

/* ---- where the file is ---- */

static void sanitize_app(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	int dash = 0;

	if (outsz == 0)
		return;
	for (; *in && o + 1 < outsz; in++) {
		char c = *in;
		int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';

		if (okc && !(o == 0 && (c == '.' || c == '-'))) {
			out[o++] = c;
			dash = c == '-';
		} else if (!okc && o > 0 && !dash) {
			out[o++] = '-';
			dash = 1;
		}
	}
	while (o > 0 && (out[o - 1] == '-' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
}

/* package.json's "name" in `dir`, malloc'd, or NULL. */
static char *package_name(const char *dir)
{
	char path[4200], *buf, *name = NULL;
	FILE *f;
	size_t n;
	cJSON *root, *item;

	snprintf(path, sizeof(path), "%s/package.json", dir);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = dbh_xmalloc(DBH_VAULT_FILE_MAX + 1);
	n = fread(buf, 1, DBH_VAULT_FILE_MAX, f);
	fclose(f);
	buf[n] = '\0';
	/* NULL: invalid JSON (out of memory ends the program inside cJSON,
	 * see dbh_alloc_hook_libraries); the folder name is used instead. */
	root = cJSON_Parse(buf);
	free(buf);
	item = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (cJSON_IsString(item) && item->valuestring)
		name = dbh_xstrdup(item->valuestring);
	cJSON_Delete(root);
	return name;
}

void dbh_vault_app_name(const char *dir, char *out, size_t outsz)
{
	char *name = package_name(dir);

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (name)
		sanitize_app(name, out, outsz);
	free(name);
	if (!out[0]) {
		const char *slash = strrchr(dir, '/');

		sanitize_app(slash ? slash + 1 : dir, out, outsz);
	}
	if (!out[0])
		snprintf(out, outsz, "app");
}

static int config_path(const char *home, const char *app, char *out,
		       size_t outsz)
{
	return (size_t)snprintf(out, outsz, "%s%s.%s-migrate-config", home,
				home[strlen(home) - 1] == '/' ? "" : "/",
				app) >= outsz;
}

int dbh_vault_default_path(char *out, size_t outsz, struct dbh_error *err)
{
	const char *home = dbh_config()->home;
	char cwd[4096], top[4096], app[101];

	if (!home || !*home) {
		const struct passwd *pw = getpwuid(geteuid());

		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return dbh_error_set(err, DBH_EUSAGE,
				     "no home folder for the config file (HOME "
				     "is not set); give one with --config");
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	/* Named after the project's top (the repository or workspace), so
	 * one file serves every folder of a monorepo... */
	if (!dbh_find_up(cwd, dbh_is_project_top, top, sizeof(top)))
		snprintf(top, sizeof(top), "%s", cwd);
	dbh_vault_app_name(top, app, sizeof(app));
	if (config_path(home, app, out, outsz))
		return dbh_error_set(err, DBH_EUSAGE,
				     "the home folder path is too long");
	/* ...but a file stored before, named after the current folder,
	 * stays in use when the new name has none. */
	if (strcmp(top, cwd) != 0 && access(out, F_OK) != 0) {
		char old[4200];

		dbh_vault_app_name(cwd, app, sizeof(app));
		if (!config_path(home, app, old, sizeof(old)) &&
		    access(old, F_OK) == 0)
			snprintf(out, outsz, "%s", old);
	}
	return 0;
}
