/* handoffexec.c - the hand-off itself: the build's environment cleaned of
 * dbhook's secrets, marked, given node_modules/.bin on PATH, and the
 * execvp (see handoff.h). */
#include "dbhook/handoff.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dbh_handoff_inside(void)
{
	return dbh_config()->inside_handoff;
}

/* Variables only dbhook reads, all of them secrets, removed from the
 * build's environment: the build, its dependencies' install and build
 * scripts and the framework's plugins run with what we hand on, none of
 * them needs these, and any of them could leak them (a log line, a bundled
 * process.env, a compromised package). MIGRATE_DATABASE_URL is the URL
 * migrations run with (often the owner's, with more rights than the app's
 * DATABASE_URL), MIGRATE_NOTIFY_URL is a webhook whose URL holds a token,
 * SUPABASE_ACCESS_TOKEN manages every project of the Supabase account.
 * DATABASE_URL and DATABASE_URL_DIRECT stay: apps (and Prisma's schema)
 * read them themselves. DBHOOK_KEEP_ENV=1 keeps these too. */
static const char *const dbhook_only_env[] = {
    "MIGRATE_DATABASE_URL",
    "MIGRATE_NOTIFY_URL",
    "SUPABASE_ACCESS_TOKEN",
};
#define N_DBHOOK_ONLY (sizeof(dbhook_only_env) / sizeof(dbhook_only_env[0]))

/* DBHOOK_KEEP_ENV is 1, true or yes (as MIGRATE_STRICT). */
static int keep_env(void)
{
	return dbh_config()->keep_env;
}

/* Restores an environment variable saved before the exec. */
static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static char *saved_env(const char *name)
{
	const char *v = dbh_config_var(name);

	return v ? dbh_xstrdup(v) : NULL;
}

/* PATH with `dir` first, unless it is first already. */
static char *path_with(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!path || !*path)
		return dbh_xstrdup(dir);
	if (strncmp(path, dir, n) == 0 && (path[n] == ':' || !path[n]))
		return dbh_xstrdup(path);
	return dbh_xasprintf("%s:%s", dir, path);
}

static void exec_hint(const struct dbh_handoff *h, struct dbh_error *err)
{
	const char *cmd = h->argv[0];

	switch (h->kind) {
	case DBH_HANDOFF_SCRIPT:
		if (strcmp(cmd, "npm") == 0) {
			dbh_error_hint(err, "npm comes with Node.js: install "
					    "Node.js, or give the build "
					    "command after --.");
			break;
		}
		dbh_error_hint(err,
			       "The lockfile names %s, which is not installed "
			       "here: install it (\"corepack enable\", or "
			       "\"npm install -g %s\"), delete the stale "
			       "lockfile, or give the build command after "
			       "--.",
			       cmd, cmd);
		break;
	case DBH_HANDOFF_FRAMEWORK:
		dbh_error_hint(err,
			       "\"%s\" comes with the project's dependencies: "
			       "install dependencies first (e.g. \"npm ci\"), "
			       "add a \"build\" script to package.json, or "
			       "give the build command after --.",
			       cmd);
		break;
	default:
		dbh_error_hint(err,
			       "Check the command after -- (spelling, PATH); "
			       "a tool from node_modules needs the "
			       "dependencies installed first.");
		break;
	}
}

int dbh_handoff_exec(const struct dbh_handoff *h, struct dbh_error *err)
{
	char *old_marker, *old_path = NULL, *new_path = NULL;
	char *old_secret[N_DBHOOK_ONLY] = {NULL};
	struct sigaction dfl, old_pipe;
	sigset_t none, old_mask;
	int saved, code, keep;
	size_t i;

	if (!h->argv || !h->argv[0])
		return dbh_error_set(err, DBH_EUSAGE,
				     "no build command to hand off to");
	old_marker = saved_env(DBH_HANDOFF_ENV);
	setenv(DBH_HANDOFF_ENV, "1", 1);
	if (h->bin_dir) {
		old_path = saved_env("PATH");
		new_path = path_with(h->bin_dir, old_path);
		setenv("PATH", new_path, 1);
	}
	keep = keep_env();
	for (i = 0; !keep && i < N_DBHOOK_ONLY; i++) {
		old_secret[i] = saved_env(dbhook_only_env[i]);
		unsetenv(dbhook_only_env[i]);
	}
	fflush(NULL);
	/* The build gets signals as if started directly: an ignored SIGPIPE
	 * (network code's habit) and blocked signals would survive exec.
	 * Handlers reset by themselves. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGPIPE, &dfl, &old_pipe);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, &old_mask);
	execvp(h->argv[0], h->argv);
	saved = errno;

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	restore_env(DBH_HANDOFF_ENV, old_marker);
	if (h->bin_dir)
		restore_env("PATH", old_path);
	free(new_path);
	for (i = 0; !keep && i < N_DBHOOK_ONLY; i++)
		restore_env(dbhook_only_env[i], old_secret[i]);

	code = saved == ENOENT || saved == ENOTDIR ? 127 : 126;
	if (code == 127) {
		dbh_error_set(err, code,
			      "cannot run build command \"%s\": \"%s\" not "
			      "found",
			      h->display, h->argv[0]);
		exec_hint(h, err);
	} else {
		dbh_error_set(err, code, "cannot run build command \"%s\": %s",
			      h->display, strerror(saved));
		if (saved == EACCES)
			dbh_error_hint(err,
				       "Make \"%s\" executable (chmod +x), or "
				       "check the build script.",
				       h->argv[0]);
		else if (saved == ENOEXEC)
			dbh_error_hint(err,
				       "\"%s\" is neither a program nor a "
				       "script with a #! line.",
				       h->argv[0]);
		else
			dbh_error_hint(err, "Check the build script or the "
					    "command after --.");
	}
	dbh_error_detail(err, "The command was chosen from: %s.", h->source);
	return code;
}
