/* vaultrotate.c - `dbhook setup --rotate` (see vaultrotate.h): a stored
 * profile opened with its current password and sealed again with a new
 * URL and/or a new password, written only if no other dbhook changed it
 * in the meantime. */
#include "dbhook/vaultrotate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dbhook/secrets.h"
#include "dbhook/url.h"
#include "dbhook/vaultask.h"
#include "dbhook/vaultcrypt.h"
#include "dbhook/vaultfile.h"

/* Whether two records are the same bytes (the profile did not change
 * between reading it and writing its replacement). */
static int same_record(const struct dbh_vault_profile *a,
		       const struct dbh_vault_profile *b)
{
	return strcmp(a->name, b->name) == 0 && a->version == b->version &&
	       a->stored == b->stored && a->kdf.N == b->kdf.N &&
	       a->kdf.r == b->kdf.r && a->kdf.p == b->kdf.p &&
	       memcmp(a->salt, b->salt, sizeof(a->salt)) == 0 &&
	       memcmp(a->nonce, b->nonce, sizeof(a->nonce)) == 0 &&
	       memcmp(a->tag, b->tag, sizeof(a->tag)) == 0 &&
	       a->ctlen == b->ctlen && memcmp(a->ct, b->ct, a->ctlen) == 0;
}

/* Lock, re-read, check that the profile is still the one whose password
 * was given (`was`), put the sealed one in its place, write, unlock. The
 * other profiles are written back as read (dbh_vault_save: atomic). */
static int store_rotated(const struct dbh_vault_opts *o,
			 const struct dbh_vault_profile *was,
			 struct dbh_vault_profile *sealed,
			 struct dbh_error *err)
{
	struct dbh_vault v;
	int lockfd = -1, ret;

	ret = dbh_vault_lock(o->path, DBH_VAULT_LOCK_WAIT_S, &lockfd, err);
	if (ret)
		return ret;
	ret = dbh_vault_load(o->path, &v, NULL, err);
	if (!ret) {
		const struct dbh_vault_profile *now =
		    dbh_vault_find(&v, o->profile);

		if (!now || !same_record(now, was)) {
			ret = dbh_error_set(err, DBH_EUSAGE,
					    "profile \"%s\" was %s by another "
					    "dbhook while this one asked; "
					    "nothing was stored",
					    o->profile,
					    now ? "changed" : "deleted");
			dbh_error_hint(err, "Check it with `dbhook profiles`, "
					    "then run `dbhook setup --rotate` "
					    "again if it still needs it.");
		} else if (dbh_vault_put(&v, sealed)) { /* cannot happen */
			ret = dbh_error_set(err, DBH_EUSAGE,
					    "cannot replace profile \"%s\"",
					    o->profile);
		} else {
			ret = dbh_vault_save(o->path, &v, err);
		}
		dbh_vault_release(&v);
	}
	dbh_vault_unlock(lockfd);
	return ret;
}

/* `setup --rotate`: the current password opens the stored profile; then
 * a new URL and/or a new password (an empty answer keeps the old one)
 * are sealed in its place, with a fresh salt, nonce and stored time.
 * Through --password-fd/--url-fd the lines are read in the order asked:
 * the current password, the new URL, the new password. */
int dbh_vault_rotate(const struct dbh_vault_opts *o,
		     const struct dbh_reporter *rep)
{
	struct dbh_error err;
	struct dbh_vault v = {0}, sealed = {0};
	struct dbh_vault_profile was = {0};
	const struct dbh_vault_profile *p;
	struct dbh_conninfo ci = {0}, old_ci = {0};
	struct dbh_vault_kdf kdf;
	char cur[DBH_VAULT_PW_MAX + 1], pw[DBH_VAULT_PW_MAX + 1],
	    url[DBH_VAULT_SECRET_MAX + 1];
	char prompt[200], *old_url = NULL;
	int ret, new_url = 0, new_pw = 0;

	dbh_error_clear(&err);
	memset(cur, 0, sizeof(cur));
	memset(pw, 0, sizeof(pw));
	memset(url, 0, sizeof(url));
	/* Everything that can be refused without a password first. */
	ret = dbh_vault_load(o->path, &v, NULL, &err);
	if (ret)
		return dbh_vault_fail(&err);
	p = dbh_vault_find(&v, o->profile);
	if (!p) {
		dbh_error_set(&err, DBH_EUSAGE,
			      "cannot rotate profile \"%s\": there is no such "
			      "profile in \"%s\"",
			      o->profile, o->path);
		dbh_vault_profiles_detail(&v, &err);
		dbh_error_hint(&err,
			       "--rotate replaces a stored profile: store a "
			       "new one with `dbhook setup --profile %s` "
			       "(without --rotate), or choose another with "
			       "--profile.",
			       o->profile);
		dbh_vault_release(&v);
		return dbh_vault_fail(&err);
	}
	ret = dbh_vault_check_kdf(p, NULL, &err);
	if (ret)
		goto out;
	was = *p;
	kdf = p->kdf;
	if (o->a->scrypt_n)
		kdf.N = o->a->scrypt_n;

	snprintf(prompt, sizeof(prompt),
		 "Current password for profile \"%s\": ", o->profile);
	ret = dbh_vault_ask_password(o, prompt, cur, sizeof(cur), &err);
	if (ret)
		goto out;
	/* Asked before the URL: were it pasted at the URL prompt by mistake,
	 * no message could show it. (run does not keep its password in the
	 * registry: it lives there until the process ends.) */
	dbh_secrets_add(cur, strlen(cur));
	ret = dbh_vault_open(&v, o->profile, cur, NULL, &old_url, &err);
	if (ret)
		goto out;
	/* The stored URL's secrets join the registry, as run's do. */
	{
		struct dbh_error ignored;

		dbh_error_clear(&ignored);
		if (dbh_url_parse(old_url, &old_ci, &ignored))
			dbh_secrets_add_hidden(old_url);
	}

	ret = dbh_vault_ask_url(o, 1, url, sizeof(url), &ci, rep, &err);
	if (ret)
		goto out;
	if (url[0] && strcmp(url, old_url) == 0) {
		dbh_report(rep, DBH_WARN,
			   "the URL given is the one stored (same database "
			   "password): it is kept as it is");
		dbh_conninfo_release(&ci);
		dbh_secret_wipe(url, sizeof(url));
	}
	new_url = url[0] != '\0';
	if (new_url) {
		dbh_report(rep, DBH_INFO, "Datasource: %s", ci.redacted);
		dbh_vault_report_notes(&ci, rep, o->profile);
		if (o->a->check) {
			ret = dbh_vault_check_url(&ci, rep, &err);
			if (ret)
				goto out;
		}
	}
	ret = dbh_vault_ask_new_password(o, 1, pw, sizeof(pw), rep, &err);
	if (ret)
		goto out;
	new_pw = pw[0] != '\0';
	if (!new_url && !new_pw) {
		dbh_report(rep, DBH_RESULT,
			   "Nothing changed: the new URL and the new password "
			   "were both left empty, so profile \"%s\" keeps "
			   "its URL, its password and its date.",
			   o->profile);
		goto out;
	}
	ret = dbh_vault_seal(&sealed, o->profile, new_pw ? pw : cur,
			     new_url ? url : old_url, &kdf, (int64_t)time(NULL),
			     &err);
	dbh_secret_wipe(cur, sizeof(cur));
	dbh_secret_wipe(pw, sizeof(pw));
	dbh_secret_wipe(url, sizeof(url));
	if (ret)
		goto out;
	ret = store_rotated(o, &was, &sealed.p[0], &err);
	if (ret)
		goto out;
	dbh_report(rep, DBH_INFO,
		   "Rotated profile \"%s\" in %s: %s (AES-256-GCM, scrypt "
		   "N=%llu).",
		   o->profile, o->path,
		   new_url && new_pw ? "new URL and new password"
		   : new_url	     ? "new URL, same password"
				     : "new password, same URL",
		   (unsigned long long)kdf.N);
	if (new_pw)
		dbh_report(rep, DBH_INFO,
			   "The old password no longer opens it.");
	dbh_report(rep, DBH_INFO, "Deploy with: `dbhook run`");
out:
	dbh_secret_wipe(cur, sizeof(cur));
	dbh_secret_wipe(pw, sizeof(pw));
	dbh_secret_wipe(url, sizeof(url));
	dbh_wipe_free(old_url);
	dbh_conninfo_release(&ci);
	dbh_conninfo_release(&old_ci);
	dbh_vault_release(&sealed);
	dbh_vault_release(&v);
	return ret ? dbh_vault_fail(&err) : 0;
}
