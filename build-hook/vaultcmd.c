/* vaultcmd.c - `dbhook setup`, `dbhook run`, `dbhook profiles`.
 *
 * The local secure migration: a direct URL is stored encrypted under a
 * password (vault.c), asked for on the terminal (prompt.c), decrypted in
 * memory only for one deploy, and wiped. Only these commands print
 * (through log.h), here and in the files they are split into: what they
 * ask is in vaultask.c, `setup --rotate` in vaultrotate.c, what every
 * vault command starts from in vaultopts.c.
 */
#include "dbhook/vaultcmd.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbhook/cli.h"
#include "dbhook/clock.h"
#include "dbhook/conninfo.h"
#include "dbhook/deploy.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/prompt.h"
#include "dbhook/url.h"
#include "dbhook/vault.h"
#include "dbhook/vaultask.h"
#include "dbhook/vaultcrypt.h"
#include "dbhook/vaultfile.h"
#include "dbhook/vaultopts.h"
#include "dbhook/vaultrotate.h"

/* ---- setup ---- */

/* Lock, re-read, put the sealed profile, write, unlock. */
static int store(const struct dbh_vault_opts *o,
		 struct dbh_vault_profile *sealed, struct dbh_error *err)
{
	struct dbh_vault v;
	int lockfd = -1, missing = 0, ret;

	ret = dbh_vault_lock(o->path, DBH_VAULT_LOCK_WAIT_S, &lockfd, err);
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

static int delete_profile(const struct dbh_vault_opts *o,
			  const struct dbh_reporter *rep)
{
	struct dbh_error err;
	struct dbh_vault v;
	int lockfd = -1, ret;

	dbh_error_clear(&err);
	ret = dbh_vault_lock(o->path, DBH_VAULT_LOCK_WAIT_S, &lockfd, &err);
	if (ret)
		return dbh_vault_fail(&err);
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
		return dbh_vault_fail(&err);
	dbh_report(rep, DBH_INFO, "Deleted profile \"%s\" from %s",
		   o->a->delete_profile, o->path);
	return 0;
}

int dbh_vaultcmd_setup(const struct dbh_opts *in)
{
	struct dbh_vault_opts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_conninfo ci = {0};
	struct dbh_vault v = {0}, sealed = {0};
	struct dbh_vault_kdf kdf = {DBH_VAULT_DEFAULT_N, 8, 1};
	char url[DBH_VAULT_SECRET_MAX + 1], pw[DBH_VAULT_PW_MAX + 1];
	int ret, missing = 0, existed;

	ret = dbh_vault_opts_init(&o, "setup", in);
	if (ret)
		return ret;
	rep = dbh_log_reporter(o.a->quiet);
	dbh_error_clear(&err);
	dbh_vault_protect_process();
	if (o.a->delete_profile)
		return delete_profile(&o, &rep);
	if (o.a->rotate)
		return dbh_vault_rotate(&o, &rep);
	/* Refuse a bad existing file before asking anything. */
	ret = dbh_vault_load(o.path, &v, &missing, &err);
	if (ret)
		return dbh_vault_fail(&err);
	existed = dbh_vault_find(&v, o.profile) != NULL;
	dbh_vault_release(&v);
	if (o.a->scrypt_n)
		kdf.N = o.a->scrypt_n;
	memset(url, 0, sizeof(url));
	memset(pw, 0, sizeof(pw));

	ret = dbh_vault_ask_url(&o, 0, url, sizeof(url), &ci, &rep, &err);
	if (ret)
		goto out;
	dbh_report(&rep, DBH_INFO, "Datasource: %s", ci.redacted);
	dbh_vault_report_notes(&ci, &rep, o.profile);
	if (o.a->check) {
		ret = dbh_vault_check_url(&ci, &rep, &err);
		if (ret)
			goto out;
	}
	ret = dbh_vault_ask_new_password(&o, 0, pw, sizeof(pw), &rep, &err);
	if (ret)
		goto out;
	ret = dbh_vault_seal(&sealed, o.profile, pw, url, &kdf,
			     (int64_t)time(NULL), &err);
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
	return ret ? dbh_vault_fail(&err) : 0;
}

/* ---- ages ---- */

/* "stored today", "stored 1 day ago", "stored 12 days ago", or "age
 * unknown" for a record without a time (version 1). */
static const char *age_text(const struct dbh_vault_profile *p, time_t now,
			    char *buf, size_t bufsz)
{
	long days = dbh_vault_age_days(p, (int64_t)now);

	if (days < 0)
		snprintf(buf, bufsz, "age unknown (stored by an older dbhook)");
	else if (days == 0)
		snprintf(buf, bufsz, "stored today");
	else
		snprintf(buf, bufsz, "stored %ld day%s ago", days,
			 days == 1 ? "" : "s");
	return buf;
}

/* Whether `p` is due for rotation under --max-age: stored max_age days
 * ago or more (so --max-age 0: always). Never for an unknown age. */
static int due(const struct dbh_vault_profile *p, time_t now, int max_age)
{
	long days = dbh_vault_age_days(p, (int64_t)now);

	return days >= 0 && days >= max_age;
}

/* ---- run ---- */

static int unknown_profile(const struct dbh_vault_opts *o,
			   const struct dbh_vault *v, struct dbh_error *err)
{
	dbh_error_set(err, DBH_EUSAGE, "no profile \"%s\" in \"%s\"",
		      o->profile, o->path);
	dbh_vault_profiles_detail(v, err);
	dbh_error_hint(err,
		       "Store it with `dbhook setup --profile %s`, or choose "
		       "one with --profile",
		       o->profile);
	return DBH_EUSAGE;
}

/* After decrypting: a warning when the profile is due for rotation
 * (--max-age), a note when its age is unknown (stored by a dbhook that
 * did not record it). */
static void age_notes(const struct dbh_vault_opts *o,
		      const struct dbh_vault_profile *p,
		      const struct dbh_reporter *rep)
{
	time_t now = time(NULL);
	char age[80];

	if (dbh_vault_age_days(p, (int64_t)now) < 0)
		dbh_report(rep, DBH_NOTE,
			   "profile %s was stored by an older dbhook, so its "
			   "age is unknown; `dbhook setup --rotate` stores it "
			   "again with the date",
			   o->profile);
	else if (due(p, now, o->a->max_age))
		dbh_report(rep, DBH_WARN,
			   "profile %s is due for rotation: %s (--max-age "
			   "%d). Change the database password, then store the "
			   "new URL with `dbhook setup --rotate`",
			   o->profile, age_text(p, now, age, sizeof(age)),
			   o->a->max_age);
}

/* On a terminal, before applying: what is pending (a dry run of the same
 * deploy), then a question. Returns -1 to go on, else the exit code (0
 * when nothing is pending or the answer is no). */
static int confirm(const struct dbh_vault_opts *o,
		   const struct dbh_conninfo *ci, struct dbh_deploy_opts *d,
		   const struct dbh_reporter *rep, struct dbh_error *err)
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
	struct dbh_vault_opts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_conninfo ci = {0};
	struct dbh_vault v = {0};
	struct dbh_deploy_opts d;
	struct dbh_deploy_result res;
	const struct dbh_vault_profile *p;
	char pw[DBH_VAULT_PW_MAX + 1], prompt[200], app[96];
	char *url = NULL;
	int ret;

	ret = dbh_vault_opts_init(&o, "run", in);
	if (ret)
		return ret;
	rep = dbh_log_reporter(o.a->quiet);
	dbh_error_clear(&err);
	memset(pw, 0, sizeof(pw));
	dbh_vault_protect_process();
	/* Everything that can be refused without the password first. */
	ret = dbh_vault_load(o.path, &v, NULL, &err);
	if (ret)
		return dbh_vault_fail(&err);
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

	snprintf(prompt, sizeof(prompt),
		 "Password for profile \"%s\": ", o.profile);
	ret = dbh_vault_ask_password(&o, prompt, pw, sizeof(pw), &err);
	if (!ret)
		ret = dbh_vault_open(&v, o.profile, pw, NULL, &url, &err);
	dbh_secret_wipe(pw, sizeof(pw));
	if (ret)
		goto out;
	/* Decrypted: the stored time is authenticated now. */
	age_notes(&o, p, &rep);
	ret = dbh_url_parse(url, &ci, &err);
	dbh_wipe_free(url);
	url = NULL;
	if (ret)
		goto out;
	dbh_vault_report_notes(&ci, &rep, o.profile);
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
	return ret && err.code ? dbh_vault_fail(&err) : ret;
}

/* ---- profiles ---- */

int dbh_vaultcmd_profiles(const struct dbh_opts *in)
{
	struct dbh_vault_opts o;
	struct dbh_error err;
	struct dbh_reporter rep;
	struct dbh_vault v;
	size_t width = 0;
	time_t now;
	char age[80];
	int ret, ndue = 0, nunknown = 0;

	ret = dbh_vault_opts_init(&o, "profiles", in);
	if (ret)
		return ret;
	dbh_error_clear(&err);
	ret = dbh_vault_load(o.path, &v, NULL, &err);
	if (ret)
		return dbh_vault_fail(&err);
	rep = dbh_log_reporter(o.a->quiet);
	now = time(NULL);
	for (size_t i = 0; i < v.n; i++) {
		size_t len = strlen(v.p[i].name);

		width = len > width ? len : width;
	}
	for (size_t i = 0; i < v.n; i++) { /* the result: kept by --quiet */
		const struct dbh_vault_profile *p = &v.p[i];
		int old = due(p, now, o.a->max_age);

		if (old)
			ndue++;
		else if (dbh_vault_age_days(p, (int64_t)now) < 0)
			nunknown++;
		dbh_report(&rep, DBH_RESULT, "%-*s  %s%s", (int)width, p->name,
			   age_text(p, now, age, sizeof(age)),
			   old ? ", due for rotation" : "");
	}
	if (v.n == 0)
		dbh_report(&rep, DBH_NOTE, "no profile in %s", o.path);
	if (ndue)
		dbh_report(&rep, DBH_NOTE,
			   "a profile stored %d days ago or more is due for "
			   "rotation (--max-age): change the database "
			   "password, then store the new URL with `dbhook "
			   "setup --rotate --profile NAME`",
			   o.a->max_age);
	if (nunknown)
		dbh_report(&rep, DBH_NOTE,
			   "age unknown: `dbhook setup --rotate --profile "
			   "NAME` stores a profile again with the date");
	dbh_vault_release(&v);
	return 0;
}
