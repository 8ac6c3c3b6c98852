/* vaultopts.c - what every vault command starts from (see vaultopts.h):
 * its options checked with the defaults filled in, the process kept from
 * dumping secrets, and the few lines several commands print alike. */
#include "dbhook/vaultopts.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "dbh_config.h"
#if DBH_HAVE_PRCTL
#include <sys/prctl.h>
#endif

#include "dbhook/args.h"
#include "dbhook/vaultfile.h"

#define DEFAULT_PROFILE "production"

/* Prints a usage error (the argument redacted: it may be a pasted URL)
 * and returns DBH_EUSAGE. */
static int usage_error(const struct dbh_vault_opts *o, const char *fmt,
		       const char *arg)
{
	struct dbh_error err;
	char command[32];

	snprintf(command, sizeof(command), "dbhook %s", o->cmd);
	dbh_args_error(&err, command, fmt, arg);
	dbh_log_error(&err);
	return DBH_EUSAGE;
}

int dbh_vault_fail(const struct dbh_error *err)
{
	dbh_log_error(err);
	return err->code ? err->code : DBH_EUSAGE;
}

/* The parsed options of `cmd`, checked, with the defaults filled in
 * (the profile, the config file's path). Returns 0, or DBH_EUSAGE
 * (printed). */
int dbh_vault_opts_init(struct dbh_vault_opts *o, const char *cmd,
			const struct dbh_opts *in)
{
	struct dbh_error err;

	memset(o, 0, sizeof(*o));
	o->a = in;
	o->cmd = cmd;
	o->profile = in->profile;
	if (o->a->delete_profile &&
	    (o->profile || o->a->check || o->a->url_fd >= 0 ||
	     o->a->password_fd >= 0 || o->a->scrypt_n || o->a->rotate))
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
			return dbh_vault_fail(&err);
	}
	return 0;
}

/* No core dumps and no ptrace by other processes of the user while
 * secrets are in memory. */
void dbh_vault_protect_process(void)
{
	struct rlimit none = {0, 0};

	setrlimit(RLIMIT_CORE, &none); /* portable: no core file */
#if DBH_HAVE_PRCTL
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* Linux: also no ptrace */
#endif
}

void dbh_vault_report_notes(const struct dbh_conninfo *ci,
			    const struct dbh_reporter *rep, const char *profile)
{
	for (size_t i = 0; i < ci->nnotes; i++)
		dbh_report(rep, ci->warn[i] ? DBH_WARN : DBH_NOTE,
			   "profile %s: %s", profile, ci->notes[i]);
}

/* The detail of an unknown-profile error: the profiles there are. */
void dbh_vault_profiles_detail(const struct dbh_vault *v, struct dbh_error *err)
{
	size_t used = 0;

	if (v->n == 0)
		dbh_error_detail(err, "The file holds no profile.");
	for (size_t i = 0; i < v->n && used + 80 < sizeof(err->detail); i++)
		used += (size_t)snprintf(err->detail + used,
					 sizeof(err->detail) - used, "%s%s",
					 i ? ", " : "Profiles: ", v->p[i].name);
}
