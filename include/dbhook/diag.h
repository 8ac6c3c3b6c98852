/* diag.h - the one place that turns a connection failure into cause,
 * detail, hint and exit code.
 *
 * libpq has no structured code for client-side connect failures, so we
 * classify its message (English: the programs never call setlocale, so
 * libpq's own texts are untranslated). The hint depends on the host: a
 * Supabase direct host that is unreachable is IPv6-only, a Supabase host
 * that does not resolve may be a paused project, and so on.
 */
#ifndef DBHOOK_DIAG_H
#define DBHOOK_DIAG_H

#include "dbhook/error.h"
#include "dbhook/url.h"

enum dbh_connfail {
	DBH_CF_OTHER,
	DBH_CF_DNS,	    /* could not translate host name */
	DBH_CF_REFUSED,	    /* nothing listens on the port */
	DBH_CF_TIMEOUT,	    /* no answer within connect_timeout */
	DBH_CF_UNREACHABLE, /* no route (typically IPv6 without IPv6) */
	DBH_CF_CLOSED,	    /* the server closed the connection */
	DBH_CF_STARTING,    /* 57P03: starting up, shutting down, recovery */
	DBH_CF_TOO_MANY,    /* 53300: too many connections */
	DBH_CF_AUTH,	    /* 28P01/28000: password or pg_hba */
	DBH_CF_NO_DATABASE, /* 3D000 */
	DBH_CF_TLS,	    /* TLS required, refused or not verified */
	DBH_CF_POOLER_USER  /* Supavisor: tenant or user not found */
};

/* Classifies libpq's error message. */
enum dbh_connfail dbh_diag_classify(const char *msg);

/* Nonzero when another attempt may succeed (network, DNS, start-up). */
int dbh_diag_retryable(enum dbh_connfail kind);

/* Short name of the kind, for JSON reports ("dns", "auth", …). */
const char *dbh_diag_name(enum dbh_connfail kind);

/* What connect.c saw, for the diagnosis. */
struct dbh_connfacts {
	enum dbh_connfail kind;
	const char *msg; /* libpq's message of the last attempt */
	int attempts;
	double seconds;	      /* from the first attempt to giving up */
	double gave_up_s;     /* > 0: stopped early because the host looked
			       * down for this long (--unreachable-timeout) */
	const char *api_hint; /* what the Supabase API said, or "" */
};

/* Fills `err` (exit DBH_EUNREACH) for a failed connection: the target in
 * the message, libpq's message and the number of attempts in the detail,
 * and the hint for this kind and host (with what the API said). */
int dbh_diag_connect(const struct dbh_conninfo *ci,
		     const struct dbh_connfacts *f, struct dbh_error *err);

#endif
