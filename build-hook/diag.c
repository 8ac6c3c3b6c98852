/* diag.c - classifying connection failures and saying what to do. */
#include "dbhook/diag.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dbhook/suphost.h"

static const struct {
	const char *needle;
	enum dbh_connfail kind;
} patterns[] = {
    /* Order matters: a TLS failure message can also say "closed". */
    {"could not translate host name", DBH_CF_DNS},
    {"Tenant or user not found", DBH_CF_POOLER_USER},
    {"SSL SYSCALL error", DBH_CF_CLOSED}, /* EOF while negotiating */
    {"SSL", DBH_CF_TLS},
    {"certificate", DBH_CF_TLS},
    {"password authentication failed", DBH_CF_AUTH},
    {"SASL authentication failed", DBH_CF_AUTH},
    {"no password supplied", DBH_CF_AUTH},
    {"no pg_hba.conf entry", DBH_CF_AUTH},
    {"role \"", DBH_CF_AUTH}, /* role "x" does not exist */
    {"database \"", DBH_CF_NO_DATABASE},
    {"the database system is starting up", DBH_CF_STARTING},
    {"the database system is shutting down", DBH_CF_STARTING},
    {"the database system is in recovery mode", DBH_CF_STARTING},
    {"not yet accepting connections", DBH_CF_STARTING},
    {"too many clients", DBH_CF_TOO_MANY},
    {"remaining connection slots are reserved", DBH_CF_TOO_MANY},
    {"Connection refused", DBH_CF_REFUSED},
    {"timeout expired", DBH_CF_TIMEOUT},
    {"Connection timed out", DBH_CF_TIMEOUT},
    {"Network is unreachable", DBH_CF_UNREACHABLE},
    {"No route to host", DBH_CF_UNREACHABLE},
    {"Cannot assign requested address", DBH_CF_UNREACHABLE},
    {"server closed the connection unexpectedly", DBH_CF_CLOSED},
    {"Connection reset by peer", DBH_CF_CLOSED},
};

enum dbh_connfail dbh_diag_classify(const char *msg)
{
	if (!msg)
		return DBH_CF_OTHER;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strstr(msg, patterns[i].needle))
			return patterns[i].kind;
	return DBH_CF_OTHER;
}

int dbh_diag_retryable(enum dbh_connfail kind)
{
	switch (kind) {
	case DBH_CF_DNS:
	case DBH_CF_REFUSED:
	case DBH_CF_TIMEOUT:
	case DBH_CF_UNREACHABLE:
	case DBH_CF_CLOSED:
	case DBH_CF_STARTING:
	case DBH_CF_TOO_MANY:
		return 1;
	default:
		return 0;
	}
}

const char *dbh_diag_name(enum dbh_connfail kind)
{
	static const char *names[] = {
	    "other",	   "dns",	  "refused",  "timeout",
	    "unreachable", "closed",	  "starting", "too_many_connections",
	    "auth",	   "no_database", "tls",      "pooler_user"};

	return names[kind];
}

/* The first host of the connection (libpq's "host" may list several). */
static void first_host(const struct dbh_conninfo *ci, char *out, size_t n)
{
	const char *h = dbh_conninfo_get(ci, "host");

	if (!h)
		h = dbh_conninfo_get(ci, "hostaddr");
	snprintf(out, n, "%s", h ? h : "");
	out[strcspn(out, ",")] = '\0';
}

static void hint_for(const struct dbh_conninfo *ci, enum dbh_connfail kind,
		     struct dbh_error *err)
{
	char host[256], ref[DBH_SUPABASE_REF_MAX + 1] = "";
	const char *user = dbh_conninfo_get(ci, "user");
	enum dbh_suphost supabase;

	first_host(ci, host, sizeof(host));
	supabase = dbh_suphost_kind(host);
	if (supabase == DBH_SUPHOST_DIRECT)
		dbh_suphost_ref(host, NULL, ref, sizeof(ref));
	switch (kind) {
	case DBH_CF_DNS:
		if (supabase)
			dbh_error_hint(
			    err,
			    "\"%s\" does not resolve. A paused Supabase "
			    "free-tier project disappears from DNS: restore "
			    "it in the dashboard, or set "
			    "SUPABASE_ACCESS_TOKEN (and "
			    "MIGRATE_SUPABASE_RESTORE=1 to restore it "
			    "automatically). Otherwise check the host name.",
			    host);
		else
			dbh_error_hint(
			    err,
			    "\"%s\" does not resolve. Check the host "
			    "name in the URL; the database may have "
			    "been deleted or paused.",
			    host);
		break;
	case DBH_CF_UNREACHABLE:
		if (ref[0])
			dbh_error_hint(
			    err,
			    "Supabase's direct host %s has only an IPv6 "
			    "address, and this machine (like every Vercel "
			    "build) has no IPv6 route. Use the session "
			    "pooler instead: postgresql://postgres.%s:"
			    "PASSWORD@" DBH_SUPHOST_POOLER_EXAMPLE ":5432/"
			    "postgres (Connect > Session pooler in the "
			    "dashboard), or buy the IPv4 add-on.",
			    host, ref);
		else
			dbh_error_hint(err,
				       "There is no network route to \"%s\" "
				       "(an IPv6-only host from a machine "
				       "without IPv6?). Use an address this "
				       "machine can reach.",
				       host);
		break;
	case DBH_CF_REFUSED:
		dbh_error_hint(
		    err, "Nothing accepts connections there. Check the "
			 "host and port, and that the server is running.");
		break;
	case DBH_CF_TIMEOUT:
		dbh_error_hint(err,
			       "The server did not answer in time. Check that "
			       "its firewall or IP allow-list admits this "
			       "machine, or raise --connect-timeout / "
			       "--timeout.");
		break;
	case DBH_CF_CLOSED:
		dbh_error_hint(err, "The server closed the connection during "
				    "start-up. It may be restarting or "
				    "overloaded; try again.");
		break;
	case DBH_CF_STARTING:
		dbh_error_hint(err, "The server is starting up or shutting "
				    "down. Try again in a minute, or raise "
				    "--timeout.");
		break;
	case DBH_CF_TOO_MANY:
		dbh_error_hint(err, "The server has no free connection slot. "
				    "Close idle connections or raise "
				    "max_connections.");
		break;
	case DBH_CF_AUTH:
		if (supabase == DBH_SUPHOST_POOLER && user &&
		    !strchr(user, '.'))
			dbh_error_hint(err,
				       "Check the user name and password. On "
				       "Supabase's shared pooler the user is "
				       "postgres.<project-ref>, not postgres.");
		else
			dbh_error_hint(
			    err, "Check the user name and password in the "
				 "database URL (special characters in the "
				 "password must be percent-encoded).");
		break;
	case DBH_CF_NO_DATABASE:
		dbh_error_hint(err, "Check the database name in the URL, or "
				    "create the database first.");
		break;
	case DBH_CF_TLS:
		dbh_error_hint(
		    err, "The encryption settings do not match the server: "
			 "use sslmode=require for a server that requires TLS, "
			 "set sslrootcert to the CA that signed the server's "
			 "certificate for verify-ca/verify-full, or (only on a "
			 "trusted network) sslmode=disable.");
		break;
	case DBH_CF_POOLER_USER:
		dbh_error_hint(err, "The pooler does not know this user. On "
				    "Supabase's shared pooler the user is "
				    "postgres.<project-ref>.");
		break;
	default:
		dbh_error_hint(err, "Check the database URL and that the "
				    "server is reachable from here.");
	}
}

int dbh_diag_connect(const struct dbh_conninfo *ci,
		     const struct dbh_connfacts *f, struct dbh_error *err)
{
	char target[256], text[1500];
	size_t n;

	dbh_error_set(err, DBH_EUNREACH, "cannot connect to the database at %s",
		      dbh_conninfo_target(ci, target, sizeof(target)));
	snprintf(text, sizeof(text), "%s", f->msg ? f->msg : "");
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	if (f->attempts > 1 && f->gave_up_s > 0)
		dbh_error_detail(err,
				 "%s\n(%d attempts in %.0f s)\nGave up after "
				 "%g s: the host refuses, does not resolve or "
				 "cannot be reached (--unreachable-timeout).",
				 text, f->attempts, f->seconds, f->gave_up_s);
	else if (f->attempts > 1)
		dbh_error_detail(err, "%s\n(%d attempts in %.0f s)", text,
				 f->attempts, f->seconds);
	else
		dbh_error_detail(err, "%s", text);
	hint_for(ci, f->kind, err);
	if (f->api_hint && f->api_hint[0]) {
		size_t k = strlen(err->hint);

		snprintf(err->hint + k, sizeof(err->hint) - k, " %s",
			 f->api_hint);
	}
	return DBH_EUNREACH;
}
