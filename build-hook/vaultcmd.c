/* vaultcmd.c - `dbhook setup`, `dbhook run`, `dbhook profiles`.
 *
 * The local secure migration: a direct URL is stored encrypted under a
 * password (vault.c), asked for on the terminal (prompt.c), decrypted in
 * memory only for one deploy, and wiped. Only these command functions
 * print (through log.h).
 */
#include "dbhook/vaultcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dbh_config.h"
#if DBH_HAVE_PRCTL
#include <sys/prctl.h>
#endif

#include "dbhook/args.h"
#include "dbhook/cli.h"
#include "dbhook/clock.h"
#include "dbhook/conn.h"
#include "dbhook/deploy.h"
#include "dbhook/lock.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/options.h"
#include "dbhook/pooler.h"
#include "dbhook/prompt.h"
#include "dbhook/url.h"
#include "dbhook/vault.h"
#include "dbhook/vaultcrypt.h"
#include "dbhook/vaultfile.h"

#define DEFAULT_PROFILE "production"
#define PW_MIN 8
#define PW_MAX 1024
#define TRIES 3
#define LOCK_WAIT_S 30

/* A vault command's options: the parsed ones, and what follows from them
 * (the profile, the config file's path). */
struct vopts {
	const struct dbh_opts *a; /* as parsed (options.c) */
	const char *cmd;
	const char *profile; /* the default filled in */
	char path[4096];
};

/* Prints a usage error (the argument redacted: it may be a pasted URL)
 * and returns DBH_EUSAGE. */
static int usage_error(const struct vopts *o, const char *fmt, const char *arg)
{
	struct dbh_error err;
	char command[32];

	snprintf(command, sizeof(command), "dbhook %s", o->cmd);
	dbh_args_error(&err, command, fmt, arg);
	dbh_log_error(&err);
	return DBH_EUSAGE;
}

static int fail(const struct dbh_error *err)
{
	dbh_log_error(err);
	return err->code ? err->code : DBH_EUSAGE;
}

/* The parsed options of `cmd`, checked, with the defaults filled in
 * (the profile, the config file's path). Returns 0, or DBH_EUSAGE
 * (printed). */
static int opts_init(struct vopts *o, const char *cmd,
		     const struct dbh_opts *in)
{
	struct dbh_error err;

	memset(o, 0, sizeof(*o));
	o->a = in;
	o->cmd = cmd;
	o->profile = in->profile;
	if (o->a->delete_profile &&
	    (o->profile || o->a->check || o->a->url_fd >= 0 ||
	     o->a->password_fd >= 0 || o->a->scrypt_n))
		return usage_error(o,
				   "--delete takes no other option than "
				   "--config%s",
				   "");
	if (!o->profile)
		o->profile = DEFAULT_PROFILE;
	if (o->a->config) {
		if (strlen(o->a->config) >= sizeof(o->path))
			return usage_error(o, "--config: path too long%s", "");
		snprintf(o->path, sizeof(o->path), "%s", o->a->config);
	} else {
		dbh_error_clear(&err);
		if (dbh_vault_default_path(o->path, sizeof(o->path), &err))
			return fail(&err);
	}
	return 0;
}

/* No core dumps and no ptrace by other processes of the user while
 * secrets are in memory. */
static void protect_process(void)
{
	struct rlimit none = {0, 0};

	setrlimit(RLIMIT_CORE, &none); /* portable: no core file */
#if DBH_HAVE_PRCTL
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* Linux: also no ptrace */
#endif
}

static void report_notes(const struct dbh_conninfo *ci,
			 const struct dbh_reporter *rep, const char *profile)
{
	for (size_t i = 0; i < ci->nnotes; i++)
		dbh_report(rep, ci->warn[i] ? DBH_WARN : DBH_NOTE,
			   "profile %s: %s", profile, ci->notes[i]);
}

/* ---- setup ---- */

/* Reads and checks the URL: from --url-fd, or asked up to three times
 * on the terminal. Fills `ci` on success. */
static int ask_url(const struct vopts *o, char *url, size_t urlsz,
		   struct dbh_conninfo *ci, const struct dbh_reporter *rep,
		   struct dbh_error *err)
{
	char prompt[200];

	snprintf(prompt, sizeof(prompt),
		 "Direct database URL for profile \"%s\" (input hidden): ",
		 o->profile);
	for (int i = 1;; i++) {
		int ret = o->a->url_fd >= 0
			      ? dbh_read_secret_fd(o->a->url_fd, "the URL", url,
						   urlsz, err)
			      : dbh_prompt_secret(prompt, url, urlsz, err);

		if (ret) {
			if (o->a->url_fd < 0)
				dbh_error_hint(
				    err, "Run dbhook setup in a terminal, "
					 "or give the URL on a file "
					 "descriptor: --url-fd N");
			return ret;
		}
		ret = dbh_url_parse(url, ci, err);
		if (!ret) {
			/* What deploy would refuse (a transaction pooler) is
			 * refused now, not at the first `run`. */
			ret = dbh_refuse_pooled_url(ci, 0, err);
			if (!ret)
				return 0;
			dbh_conninfo_release(ci);
		}
		dbh_secret_wipe(url, urlsz);
		if (o->a->url_fd >= 0 || i == TRIES)
			return ret;
		dbh_log_error(err);
		dbh_report(rep, DBH_WARN, "try again (%d %s left)", TRIES - i,
			   TRIES - i == 1 ? "try" : "tries");
	}
}

/* Reads the new password: once from --password-fd, or twice on the
 * terminal until both agree (three tries). */
static int ask_new_password(const struct vopts *o, char *pw, size_t pwsz,
			    const struct dbh_reporter *rep,
			    struct dbh_error *err)
{
	char again[PW_MAX + 1], prompt[200];
	int ret = 0;

	snprintf(
	    prompt, sizeof(prompt),
	    "New password for profile \"%s\" (input hidden): ", o->profile);
	for (int i = 1; i <= TRIES; i++) {
		const char *why = NULL;

		if (o->a->password_fd >= 0) {
			ret = dbh_read_secret_fd(o->a->password_fd,
						 "the password", pw, pwsz, err);
		} else {
			ret = dbh_prompt_secret(prompt, pw, pwsz, err);
			if (!ret && strlen(pw) >= PW_MIN)
				ret = dbh_prompt_secret(
				    "Repeat the password: ", again,
				    sizeof(again), err);
			if (ret)
				dbh_error_hint(
				    err, "Run dbhook setup in a terminal, "
					 "or give the password on a file "
					 "descriptor: --password-fd N");
		}
		if (ret)
			break;
		if (strlen(pw) < PW_MIN)
			why = "the password is too short (at least 8 "
			      "characters)";
		else if (o->a->password_fd < 0 && strcmp(pw, again) != 0)
			why = "the passwords do not match";
		dbh_secret_wipe(again, sizeof(again));
		if (!why)
			return 0;
		dbh_secret_wipe(pw, pwsz);
		ret = dbh_error_set(err, DBH_EUSAGE, "%s", why);
		if (o->a->password_fd >= 0)
			break;
		if (i < TRIES)
			dbh_report(rep, DBH_WARN, "%s; try again (%d %s left)",
				   why, TRIES - i,
				   TRIES - i == 1 ? "try" : "tries");
		else
			dbh_error_hint(err, "Nothing was stored. Run dbhook "
					    "setup again.");
	}
	dbh_secret_wipe(again, sizeof(again));
	return ret;
}

/* Lock, re-read, put the sealed profile, write, unlock. */
static int store(const struct vopts *o, struct dbh_vault_profile *sealed,
		 struct dbh_error *err)
{
	struct dbh_vault v;
	int lockfd = -1, missing = 0, ret;

	ret = dbh_vault_lock(o->path, LOCK_WAIT_S, &lockfd, err);
	if (ret)
		return ret;
	ret = dbh_vault_load(o->path, &v, &missing, err);
	if (!ret) {
		if (dbh_vault_put(&v, sealed))
			ret = dbh_error_set(err, DBH_EUSAGE,
					    "cannot add profile \"%s\": the "
					    "file holds %d profiles already",
					    o->profile, DBH_VAULT_PROFILES_MAX);
		else
			ret = dbh_vault_save(o->path, &v, err);
		dbh_vault_release(&v);
	}
	dbh_vault_unlock(lockfd);
	return ret;
}

static int delete_profile(const struct vopts *o, const struct dbh_reporter *rep)
{
	struct dbh_error err;
	struct dbh_vault v;
	int lockfd = -1, ret;

	dbh_error_clear(&err);
	ret = dbh_vault_lock(o->path, LOCK_WAIT_S, &lockfd, &err);
	if (ret)
		return fail(&err);
	ret = dbh_vault_load(o->path, &v, NULL, &err);
	if (!ret) {
		if (dbh_vault_remove(&v, o->a->delete_profile)) {
			ret = dbh_error_set(&err, DBH_EUSAGE,
					    "no profile \"%s\" in \"%s\"",
					    o->a->delete_profile, o->path);
			dbh_error_hint(&err, "List them with `dbhook "
					     "profiles`.");
		} else {
			ret = dbh_vault_save(o->path, &v, &err);
		}
		dbh_vault_release(&v);
	}
	dbh_vault_unlock(lockfd);
	if (ret)
		return fail(&err);
	dbh_report(rep, DBH_INFO, "Deleted profile \"%s\" from %s",
		   o->a->delete_profile, o->path);
	return 0;
}

int dbh_vaultcmd_setup(const struct dbh_opts *in)
{
	struct vopts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_conninfo ci = {0};
	struct dbh_vault v = {0}, sealed = {0};
	struct dbh_vault_kdf kdf = {DBH_VAULT_DEFAULT_N, 8, 1};
	char url[DBH_VAULT_SECRET_MAX + 1], pw[PW_MAX + 1];
	int ret, missing = 0, existed;

	ret = opts_init(&o, "setup", in);
	if (ret)
		return ret;
	rep = dbh_log_reporter(o.a->quiet);
	dbh_error_clear(&err);
	protect_process();
	if (o.a->delete_profile)
		return delete_profile(&o, &rep);
	/* Refuse a bad existing file before asking anything. */
	ret = dbh_vault_load(o.path, &v, &missing, &err);
	if (ret)
		return fail(&err);
	existed = dbh_vault_find(&v, o.profile) != NULL;
	dbh_vault_release(&v);
	if (o.a->scrypt_n)
		kdf.N = o.a->scrypt_n;
	memset(url, 0, sizeof(url));
	memset(pw, 0, sizeof(pw));

	ret = ask_url(&o, url, sizeof(url), &ci, &rep, &err);
	if (ret)
		goto out;
	dbh_report(&rep, DBH_INFO, "Datasource: %s", ci.redacted);
	report_notes(&ci, &rep, o.profile);
	if (o.a->check) {
		struct dbh_conn c;
		struct dbh_connect_opts co = {0};
		char app[96], target[300];

		co.app_name = dbh_app_name(app, sizeof(app));
		co.rep = &rep;
		ret = dbh_conn_open(&c, &ci, &co, &err);
		if (!ret) {
			/* The live pooler check deploy makes. */
			ret = dbh_check_pooler(&c, &co, &rep, &err);
			dbh_conn_close(&c);
		}
		if (ret) {
			char hint[sizeof(err.hint)];

			snprintf(hint, sizeof(hint), "%s", err.hint);
			dbh_error_hint(&err, "%s%sNothing was stored.", hint,
				       hint[0] ? " " : "");
			goto out;
		}
		dbh_report(&rep, DBH_INFO, "Connected to %s.",
			   dbh_conninfo_target(&ci, target, sizeof(target)));
	}
	ret = ask_new_password(&o, pw, sizeof(pw), &rep, &err);
	if (ret)
		goto out;
	ret = dbh_vault_seal(&sealed, o.profile, pw, url, &kdf, &err);
	dbh_secret_wipe(pw, sizeof(pw));
	dbh_secret_wipe(url, sizeof(url));
	if (ret)
		goto out;
	ret = store(&o, &sealed.p[0], &err);
	if (ret)
		goto out;
	dbh_report(&rep, DBH_INFO,
		   "%s profile \"%s\" in %s (AES-256-GCM, scrypt N=%llu).",
		   existed ? "Replaced" : "Stored", o.profile, o.path,
		   (unsigned long long)kdf.N);
	/* The front door adds --profile and --config as given. */
	dbh_report(&rep, DBH_INFO, "Deploy with: `dbhook run`");
out:
	dbh_secret_wipe(pw, sizeof(pw));
	dbh_secret_wipe(url, sizeof(url));
	dbh_conninfo_release(&ci);
	dbh_vault_release(&sealed);
	return ret ? fail(&err) : 0;
}

/* ---- run ---- */

static int unknown_profile(const struct vopts *o, const struct dbh_vault *v,
			   struct dbh_error *err)
{
	size_t used = 0;

	dbh_error_set(err, DBH_EUSAGE, "no profile \"%s\" in \"%s\"",
		      o->profile, o->path);
	if (v->n == 0)
		dbh_error_detail(err, "The file holds no profile.");
	for (size_t i = 0; i < v->n && used + 80 < sizeof(err->detail); i++)
		used += (size_t)snprintf(err->detail + used,
					 sizeof(err->detail) - used, "%s%s",
					 i ? ", " : "Profiles: ", v->p[i].name);
	dbh_error_hint(err,
		       "Store it with `dbhook setup --profile %s`, or choose "
		       "one with --profile",
		       o->profile);
	return DBH_EUSAGE;
}

/* On a terminal, before applying: what is pending (a dry run of the same
 * deploy), then a question. Returns -1 to go on, else the exit code (0
 * when nothing is pending or the answer is no). */
static int confirm(const struct vopts *o, const struct dbh_conninfo *ci,
		   struct dbh_deploy_opts *d, const struct dbh_reporter *rep,
		   struct dbh_error *err)
{
	struct dbh_deploy_result res;
	char question[400], clean[400], target[300];
	size_t pending;
	int ret;

	d->dry_run = 1;
	ret = dbh_deploy(d, rep, &res, err);
	pending = res.pending;
	dbh_deploy_result_release(&res);
	d->dry_run = 0;
	if (ret || pending == 0)
		return ret;
	dbh_conninfo_target(ci, target, sizeof(target));
	snprintf(question, sizeof(question),
		 "Apply %s to %s%s%.64s (profile %s)? [y/N] ",
		 pending == 1 ? "this migration" : "these migrations", target,
		 dbh_conninfo_get(ci, "dbname") ? "/" : "",
		 dbh_conninfo_get(ci, "dbname") ? dbh_conninfo_get(ci, "dbname")
						: "",
		 o->profile);
	dbh_log_sanitize(question, clean, sizeof(clean)); /* a name may hold
							   * anything */
	if (dbh_prompt_confirm(clean))
		return -1;
	dbh_report(rep, DBH_RESULT,
		   "Nothing was applied. Run `dbhook run --yes` to apply "
		   "without the question.");
	return 0;
}

int dbh_vaultcmd_run(const struct dbh_opts *in)
{
	struct vopts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_conninfo ci = {0};
	struct dbh_vault v = {0};
	struct dbh_deploy_opts d;
	struct dbh_deploy_result res;
	const struct dbh_vault_profile *p;
	char pw[PW_MAX + 1], prompt[200], app[96];
	char *url = NULL;
	int ret;

	ret = opts_init(&o, "run", in);
	if (ret)
		return ret;
	rep = dbh_log_reporter(o.a->quiet);
	dbh_error_clear(&err);
	memset(pw, 0, sizeof(pw));
	protect_process();
	/* Everything that can be refused without the password first. */
	ret = dbh_vault_load(o.path, &v, NULL, &err);
	if (ret)
		return fail(&err);
	p = dbh_vault_find(&v, o.profile);
	if (!p)
		ret = unknown_profile(&o, &v, &err);
	else
		ret = dbh_vault_check_kdf(p, NULL, &err);
	if (!ret) { /* the folder too: a wrong --dir costs no password */
		struct dbh_migdir md;

		ret = dbh_migdir_open(
		    o.a->dir ? o.a->dir : dbh_migdir_default(), &md, &err);
		if (!ret) {
			ret = dbh_migdir_check_files(&md, &err);
			dbh_migdir_release(&md);
		}
	}
	if (ret)
		goto out;

	if (o.a->password_fd >= 0) {
		ret = dbh_read_secret_fd(o.a->password_fd, "the password", pw,
					 sizeof(pw), &err);
	} else {
		snprintf(prompt, sizeof(prompt),
			 "Password for profile \"%s\": ", o.profile);
		ret = dbh_prompt_secret(prompt, pw, sizeof(pw), &err);
		if (ret)
			dbh_error_hint(&err,
				       "Run dbhook run in a terminal, or give "
				       "the password on a file descriptor: "
				       "--password-fd N");
	}
	if (!ret)
		ret = dbh_vault_open(&v, o.profile, pw, NULL, &url, &err);
	dbh_secret_wipe(pw, sizeof(pw));
	if (ret)
		goto out;
	ret = dbh_url_parse(url, &ci, &err);
	dbh_wipe_free(url);
	url = NULL;
	if (ret)
		goto out;
	report_notes(&ci, &rep, o.profile);
	dbh_report(&rep, DBH_INFO, "Profile: %s (%s)", o.profile, o.path);
	dbh_report(&rep, DBH_INFO, "Datasource: %s", ci.redacted);

	dbh_cli_deploy_opts(o.a, &ci, dbh_now(), &rep, app, sizeof(app), &d);
	if (!o.a->dry_run && !o.a->yes && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO)) {
		ret = confirm(&o, &ci, &d, &rep, &err);
		if (ret != -1)
			goto out;
		/* The think time at the question is not the run's budget. */
		d.conn.deadline = dbh_cli_deadline(o.a, dbh_now());
		d.deadline = d.conn.deadline;
	}
	ret = dbh_deploy(&d, &rep, &res, &err);
	dbh_deploy_result_release(&res);
	if (!ret && o.a->dry_run)
		dbh_report(&rep, DBH_RESULT, "Dry run: nothing was changed.");
out:
	dbh_secret_wipe(pw, sizeof(pw));
	dbh_wipe_free(url);
	dbh_conninfo_release(&ci);
	dbh_vault_release(&v);
	return ret && err.code ? fail(&err) : ret;
}

/* ---- profiles ---- */

int dbh_vaultcmd_profiles(const struct dbh_opts *in)
{
	struct vopts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_vault v;
	int ret;

	ret = opts_init(&o, "profiles", in);
	if (ret)
		return ret;
	dbh_error_clear(&err);
	ret = dbh_vault_load(o.path, &v, NULL, &err);
	if (ret)
		return fail(&err);
	rep = dbh_log_reporter(o.a->quiet);
	for (size_t i = 0; i < v.n; i++) /* the result: kept by --quiet */
		dbh_report(&rep, DBH_RESULT, "%s", v.p[i].name);
	if (v.n == 0)
		dbh_report(&rep, DBH_NOTE, "no profile in %s", o.path);
	dbh_vault_release(&v);
	return 0;
}
