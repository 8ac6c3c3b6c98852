/* suphost.h - everything dbhook knows about Supabase's host names, in one
 * place (the diagnosis, the pooler check and the Management API use it).
 *
 *   db.<ref>.supabase.co        the direct host: IPv6-only unless the
 *                               project bought the IPv4 add-on; port 6543
 *                               there is the dedicated pooler, in
 *                               transaction mode
 *   <ref>.supabase.co           the project's older host name
 *   aws-0-<region>.pooler.supabase.com
 *                               the shared pooler (Supavisor): port 5432
 *                               session mode, 6543 transaction mode; the
 *                               project is in the user name, <role>.<ref>
 *
 * Names match case-insensitively; a trailing dot is tolerated.
 */
#ifndef DBHOOK_SUPHOST_H
#define DBHOOK_SUPHOST_H

#include <stddef.h>

/* Longest project ref accepted (they are 20 lowercase letters today). */
#define DBH_SUPABASE_REF_MAX 40

/* The shared pooler's host, as the dashboard shows it, for hints. */
#define DBH_SUPHOST_POOLER_EXAMPLE "aws-0-REGION.pooler.supabase.com"

/* The transaction-mode port of both poolers. */
#define DBH_SUPHOST_TX_PORT "6543"

enum dbh_suphost {
	DBH_SUPHOST_NONE,    /* not a Supabase host */
	DBH_SUPHOST_DIRECT,  /* db.<ref>.supabase.co */
	DBH_SUPHOST_PROJECT, /* <ref>.supabase.co */
	DBH_SUPHOST_POOLER   /* *.pooler.supabase.com */
};

enum dbh_suphost dbh_suphost_kind(const char *host);

/* Project ref of a Supabase host: fills `ref` (NUL-terminated) and
 * returns 1 for db.<ref>.supabase.co, <ref>.supabase.co, and the shared
 * pooler, where the ref comes from the user name <role>.<ref>. Refs must
 * be [a-z0-9]{1,40} (no upper case). Returns 0 for anything else, `ref`
 * then "" (when refsz > 0). `user` may be NULL. */
int dbh_suphost_ref(const char *host, const char *user, char *ref,
		    size_t refsz);

/* Nonzero when the `n` bytes at `s` are a well-formed project ref. */
int dbh_suphost_valid_ref(const char *s, size_t n);

#endif
