/* supabase.h - the Supabase Management API: is a project paused, restore
 * it, wait until it is healthy.
 *
 * Used when connecting to a Supabase host failed and SUPABASE_ACCESS_TOKEN
 * is set: a paused free-tier project disappears from DNS, and only the API
 * can tell "paused" from "IPv6-only" or "wrong password".
 *
 * Environment read by dbh_supabase_init:
 *   SUPABASE_ACCESS_TOKEN  personal access token (projects:read; restoring
 *                          also needs projects:write)
 *   SUPABASE_API_URL       API base URL (default DBH_SUPABASE_API_DEFAULT);
 *                          the tests point it at a loopback server
 *   DBHOOK_API_TIMEOUT     seconds one HTTP request may take (default 10);
 *                          ignored unless a positive number
 * and by every request:
 *   DBHOOK_HTTP_DEBUG=1    prints the request and response headers to
 *                          stderr, the Authorization value replaced by ***
 *                          (the only output of this module)
 *
 * The token never reaches an error, a progress line or the debug output.
 * Requests (supaapi.h) follow no redirects, speak only http and https, and
 * keep at most 1 MiB of an answer. Every call is bounded by
 * request_timeout_s and by the deadline. The answers are read by the parse
 * functions at the end, which do no I/O.
 *
 * Ownership: struct dbh_supabase only borrows its strings (from the
 * environment after dbh_supabase_init); nothing here allocates anything the
 * caller frees.
 */
#ifndef DBHOOK_SUPABASE_H
#define DBHOOK_SUPABASE_H

#include <stddef.h>

#include "dbhook/error.h"
#include "dbhook/log.h"
#include "dbhook/suphost.h" /* DBH_SUPABASE_REF_MAX */

#define DBH_SUPABASE_API_DEFAULT "https://api.supabase.com"

/* Without a deadline, dbh_supabase_wait_healthy gives up after this long
 * (a restore usually takes a minute or two; a stuck one takes hours). */
#define DBH_SUPABASE_WAIT_MAX_S 600.0

struct dbh_supabase {
	const char *api_url; /* SUPABASE_API_URL or the default; borrowed */
	const char *token;   /* SUPABASE_ACCESS_TOKEN or NULL; borrowed */
	double deadline;     /* dbh_now() limit (clock.h), 0 = none */
	double request_timeout_s; /* one HTTP request; default 10 */
	double poll_interval_s;	  /* between status polls; default 5 */
};

/* Fills `sb` from the environment (above), deadline 0, poll interval 5 s.
 * The strings point into the environment: do not setenv them while `sb`
 * is in use. */
void dbh_supabase_init(struct dbh_supabase *sb);

/* GET {api}/v1/projects/{ref}: copies the project's status (INACTIVE,
 * ACTIVE_HEALTHY, COMING_UP, RESTORING, ...) into `status` and returns 0.
 * Otherwise returns an exit code with `err` filled:
 *   DBH_EUSAGE    no token, a malformed ref, token rejected (401/403),
 *                 project not found (404), SUPABASE_API_URL redirects
 *   DBH_EUNREACH  network failure, time-out, rate limit (429, Retry-After
 *                 honoured while the deadline allows), API unavailable
 *                 (5xx, retried a few times with backoff), an answer that
 *                 is not the expected JSON */
int dbh_supabase_status(const struct dbh_supabase *sb, const char *ref,
			char *status, size_t statussz, struct dbh_error *err);

/* POST {api}/v1/projects/{ref}/restore (no body). Returns 0 when the API
 * accepted it (2xx), else an exit code as for dbh_supabase_status; a
 * refusal (400, e.g. "it is PAUSING") is DBH_EUNREACH with the API's
 * message as detail. Not retried after a 5xx: the restore may have
 * started. */
int dbh_supabase_restore(const struct dbh_supabase *sb, const char *ref,
			 struct dbh_error *err);

/* Polls the status every poll_interval_s until ACTIVE_HEALTHY, then
 * GET {api}/v1/projects/{ref}/health?services=db,pooler until every
 * service is ACTIVE_HEALTHY (a 404 there skips the check). Reports a line
 * through `rep` on every change ("Supabase project <ref> is COMING_UP
 * (12 s)"). Transient API failures are waited out. Returns 0 when healthy;
 * DBH_EUNREACH when the deadline (or DBH_SUPABASE_WAIT_MAX_S without one)
 * passes, when the project ends in RESTORE_FAILED, INIT_FAILED, REMOVED or
 * PAUSE_FAILED, or falls back to INACTIVE after coming up; DBH_EUSAGE for
 * the token and ref errors of dbh_supabase_status. */
int dbh_supabase_wait_healthy(const struct dbh_supabase *sb, const char *ref,
			      const struct dbh_reporter *rep,
			      struct dbh_error *err);

/* ---- reading the answers (pure: no I/O, no state but the secrets
 * registry that error texts are scrubbed with) ---- */

/* The `len` bytes at `body` (NULL is ""), the answer to GET
 * /v1/projects/{ref} with HTTP status `http_status` (quoted in errors):
 * copies its "status" into `status` (NUL-terminated) and returns 0 when it
 * is a non-empty word of A-Z, 0-9 and '_' shorter than `statussz`.
 * Otherwise `status` is "" (statussz > 0) and DBH_EUNREACH is returned,
 * `err` saying what was wrong and quoting the answer's start in one line. */
int dbh_supabase_parse_status(const char *body, size_t len, long http_status,
			      char *status, size_t statussz,
			      struct dbh_error *err);

/* The answer to GET /v1/projects/{ref}/health, a JSON array of
 * {"name": ..., "status": ...}: sets *healthy when every status is
 * ACTIVE_HEALTHY (an empty array too) and writes "db is X, pooler is Y"
 * into `summary` (one line, NUL-terminated, cut to summarysz), and returns
 * 0. Otherwise *healthy is 0 and DBH_EUNREACH is returned with `err`
 * filled, as for dbh_supabase_parse_status. */
int dbh_supabase_parse_health(const char *body, size_t len, long http_status,
			      int *healthy, char *summary, size_t summarysz,
			      struct dbh_error *err);

#endif
