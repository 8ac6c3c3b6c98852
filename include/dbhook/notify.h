/* notify.h - the failure (and success) webhook: one JSON POST.
 *
 * The body is readable by Slack-style incoming webhooks (a "text" field)
 * and carries the facts as structured fields:
 *
 *   {"text": ":x: dbhook: migration 20240101000000_init failed in
 *             production (abc1234) for app.example.com: <message>",
 *    "outcome": "failure", "environment": "production",
 *    "project": "app.example.com", "commit": "abc1234",
 *    "migration": "20240101000000_init", "sqlstate": "42P07",
 *    "message": "...", "hint": "...", "applied": 0, "tool": "dbhook"}
 *
 * Absent (NULL) fields are JSON null, so the shape never changes.
 *
 * The webhook URL is a secret: Slack's carry their token in the path. It is
 * never printed: messages show only scheme://host[:port]. Redirects are not
 * followed (the payload never goes to a host nobody configured), only http
 * and https are allowed, and the whole exchange has one total timeout.
 */
#ifndef DBHOOK_NOTIFY_H
#define DBHOOK_NOTIFY_H

#include "dbhook/error.h"

struct cJSON;

#define DBH_NOTIFY_TIMEOUT 5.0 /* seconds, the documented default */

struct dbh_notify_event {
	const char *outcome;	 /* "failure" or "success" */
	const char *environment; /* VERCEL_TARGET_ENV / VERCEL_ENV or
				  * "local" */
	const char *project;	 /* VERCEL_PROJECT_PRODUCTION_URL or
				  * VERCEL_URL or package name, may be NULL */
	const char *commit;	 /* VERCEL_GIT_COMMIT_SHA / GITHUB_SHA
				  * (short), may be NULL */
	const char *migration;	 /* failed migration name, may be NULL */
	const char *sqlstate;	 /* may be NULL */
	const char *message;	 /* the error message (already redacted by
				  * the caller), or a success summary */
	const char *hint;	 /* may be NULL */
	int applied;		 /* migrations applied in this run */
	/* The safety check's JSON (safety.h), sent as "safety", and its
	 * counts ("1 error, 2 warnings") added to the text; NULL when it did
	 * not run. */
	const struct cJSON *safety;
	const char *safety_counts;
};

/* POSTs the event as JSON (Content-Type: application/json) to `url`, with
 * a total timeout of `timeout_s` seconds (<= 0: DBH_NOTIFY_TIMEOUT).
 * Returns 0 on a 2xx answer. Otherwise fills `err` (never with the URL's
 * path, query or credentials) and returns: DBH_EUSAGE for a URL that is
 * not http(s), DBH_EUNREACH when the server cannot be reached or does not
 * answer in time, DBH_EFAILED for any other answer (3xx included: a
 * redirect is reported, not followed). The caller only warns: a webhook
 * never fails the build. */
int dbh_notify_send(const char *url, const struct dbh_notify_event *ev,
		    double timeout_s, struct dbh_error *err);

/* The one-line "text" of the payload, as sent (Slack escaping of &, <, >
 * applied). Returns a malloc'd string (free it), or NULL when out of
 * memory. */
char *dbh_notify_text(const struct dbh_notify_event *ev);

/* Writes "scheme://host[:port]" of `url` into `out` (never the userinfo,
 * path, query or fragment), or "an unparsable URL". Returns `out`. */
char *dbh_notify_origin(const char *url, char *out, size_t outsz);

#endif
