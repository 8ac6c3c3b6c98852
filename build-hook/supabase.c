/* supabase.c - what dbhook asks the Supabase Management API: a project's
 * status, a restore, its health, and waiting until it is healthy.
 *
 * The requests themselves (retries, rate limits, transport errors) are
 * supaapi.c's; the answers are read by the pure parse functions here.
 */
#include "dbhook/supabase.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/http.h"
#include "dbhook/secrets.h"
#include "dbhook/supaapi.h"
#include "dbhook/suphost.h"

#define TOKEN_MAX 8192

/* ---- configuration --------------------------------------------------- */

void dbh_supabase_init(struct dbh_supabase *sb)
{
	const struct dbh_config *cfg = dbh_config();

	sb->api_url = cfg->supabase_api_url ? cfg->supabase_api_url
					    : DBH_SUPABASE_API_DEFAULT;
	sb->token = cfg->supabase_token;
	if (sb->token)
		dbh_secrets_add(sb->token, strlen(sb->token));
	sb->deadline = 0;
	sb->request_timeout_s = cfg->api_timeout_s;
	sb->poll_interval_s = 5;
}

static int check_args(const struct dbh_supabase *sb, const char *ref,
		      struct dbh_error *err)
{
	const char *p;

	if (!sb->token || !sb->token[0]) {
		dbh_error_set(err, DBH_EUSAGE,
			      "SUPABASE_ACCESS_TOKEN is not set");
		dbh_error_hint(err, "%s", DBH_SUPAAPI_TOKEN_HINT);
		return DBH_EUSAGE;
	}
	/* Also a token set after dbh_supabase_init: the API's answers and
	 * libcurl's errors may echo it. */
	dbh_secrets_add(sb->token, strlen(sb->token));
	for (p = sb->token; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			break;
	if (*p || p - sb->token > TOKEN_MAX) {
		dbh_error_set(err, DBH_EUSAGE,
			      "SUPABASE_ACCESS_TOKEN is malformed");
		dbh_error_detail(err,
				 "It holds spaces or control characters, "
				 "or is longer than %d bytes.",
				 TOKEN_MAX);
		dbh_error_hint(err, "%s", DBH_SUPAAPI_TOKEN_HINT);
		return DBH_EUSAGE;
	}
	if (!ref || !dbh_suphost_valid_ref(ref, strlen(ref))) {
		char shown[DBH_SUPAAPI_EXCERPT_MAX + 8];

		dbh_supaapi_excerpt(ref ? ref : "", ref ? strlen(ref) : 0,
				    shown, sizeof(shown));
		dbh_error_set(err, DBH_EUSAGE,
			      "invalid Supabase project ref \"%s\"", shown);
		dbh_error_detail(err,
				 "A project ref is 1 to %d lower-case "
				 "letters and digits.",
				 DBH_SUPABASE_REF_MAX);
		return DBH_EUSAGE;
	}
	if (!sb->api_url || (strncasecmp(sb->api_url, "https://", 8) != 0 &&
			     strncasecmp(sb->api_url, "http://", 7) != 0)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "SUPABASE_API_URL must be an http or https URL");
		dbh_error_hint(err,
			       "Unset it to use " DBH_SUPABASE_API_DEFAULT ".");
		return DBH_EUSAGE;
	}
	return 0;
}

/* ---- the calls ------------------------------------------------------- */

int dbh_supabase_parse_status(const char *body, size_t len, long http_status,
			      char *status, size_t statussz,
			      struct dbh_error *err)
{
	cJSON *j;
	const cJSON *s;
	size_t i, n;
	int rc = 0;

	if (statussz > 0)
		status[0] = '\0';
	j = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	if (!cJSON_IsObject(j)) {
		rc = dbh_supaapi_bad_answer(http_status, body, len,
					    "not a JSON object", err);
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (!cJSON_IsString(s)) {
		rc = dbh_supaapi_bad_answer(http_status, body, len,
					    s ? "\"status\" is not a string"
					      : "no \"status\" field",
					    err);
		goto out;
	}
	n = strlen(s->valuestring);
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)s->valuestring[i]) &&
		    !isdigit((unsigned char)s->valuestring[i]) &&
		    s->valuestring[i] != '_')
			break;
	if (n == 0 || i < n || n >= statussz) {
		rc = dbh_supaapi_bad_answer(http_status, body, len,
					    "an unknown kind of \"status\"",
					    err);
		goto out;
	}
	memcpy(status, s->valuestring, n + 1);
out:
	cJSON_Delete(j);
	return rc;
}

static int get_status(const struct dbh_supabase *sb, const char *ref,
		      char *status, size_t statussz, int *transient,
		      struct dbh_error *err)
{
	struct dbh_http_response r = {0};
	char path[128];
	int rc;

	*transient = 0;
	if (statussz > 0)
		status[0] = '\0';
	if ((rc = check_args(sb, ref, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/projects/%s", ref);
	rc = dbh_supaapi_request(sb, "GET", path, DBH_SUPAAPI_IDEMPOTENT, ref,
				 &r, transient, err);
	if (rc == 0)
		rc = dbh_supabase_parse_status(r.body.s, r.body.len, r.status,
					       status, statussz, err);
	dbh_http_response_free(&r);
	return rc;
}

int dbh_supabase_status(const struct dbh_supabase *sb, const char *ref,
			char *status, size_t statussz, struct dbh_error *err)
{
	int transient;

	return get_status(sb, ref, status, statussz, &transient, err);
}

int dbh_supabase_restore(const struct dbh_supabase *sb, const char *ref,
			 struct dbh_error *err)
{
	struct dbh_http_response r = {0};
	char path[128];
	int rc, transient;

	if ((rc = check_args(sb, ref, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/projects/%s/restore", ref);
	rc = dbh_supaapi_request(sb, "POST", path, 0, ref, &r, &transient, err);
	if (rc == 0 && (r.status < 200 || r.status > 299)) {
		rc = dbh_error_set(err, DBH_EUNREACH,
				   "Supabase refused to restore project \"%s\" "
				   "(HTTP %ld)",
				   ref, r.status);
		dbh_supaapi_detail_message(err, &r);
		dbh_error_hint(err, "Check the project in the Supabase "
				    "dashboard; a project that is still "
				    "pausing can be restored once it is "
				    "paused.");
	}
	dbh_http_response_free(&r);
	return rc;
}

int dbh_supabase_parse_health(const char *body, size_t len, long http_status,
			      int *healthy, char *summary, size_t summarysz,
			      struct dbh_error *err)
{
	cJSON *j;
	const cJSON *it;
	size_t used = 0;
	int rc = 0;

	*healthy = 0;
	if (summarysz > 0)
		summary[0] = '\0';
	j = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	if (!cJSON_IsArray(j)) {
		rc = dbh_supaapi_bad_answer(
		    http_status, body, len,
		    "the health check is not a JSON array", err);
		goto out;
	}
	*healthy = 1;
	cJSON_ArrayForEach(it, j)
	{
		const cJSON *name =
		    cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *st =
		    cJSON_GetObjectItemCaseSensitive(it, "status");
		char nm[64], sv[64];

		if (!cJSON_IsString(name) || !cJSON_IsString(st)) {
			*healthy = 0;
			rc = dbh_supaapi_bad_answer(
			    http_status, body, len,
			    "a health item without \"name\" and \"status\"",
			    err);
			goto out;
		}
		if (strcmp(st->valuestring, "ACTIVE_HEALTHY") != 0)
			*healthy = 0;
		dbh_supaapi_excerpt(name->valuestring,
				    strlen(name->valuestring), nm, sizeof(nm));
		dbh_supaapi_excerpt(st->valuestring, strlen(st->valuestring),
				    sv, sizeof(sv));
		if (used < summarysz)
			used += (size_t)snprintf(summary + used,
						 summarysz - used, "%s%s is %s",
						 used ? ", " : "", nm, sv);
	}
out:
	cJSON_Delete(j);
	return rc;
}

/* GET .../health?services=db,pooler. Sets *healthy, and `summary` to
 * "db is X, pooler is Y". A 404 counts as healthy (no health endpoint). */
static int get_health(const struct dbh_supabase *sb, const char *ref,
		      int *healthy, char *summary, size_t summarysz,
		      int *transient, struct dbh_error *err)
{
	struct dbh_http_response r = {0};
	char path[160];
	int rc;

	*healthy = 0;
	summary[0] = '\0';
	snprintf(path, sizeof(path),
		 "/v1/projects/%s/health?services=db,pooler", ref);
	rc = dbh_supaapi_request(sb, "GET", path,
				 DBH_SUPAAPI_IDEMPOTENT | DBH_SUPAAPI_ALLOW_404,
				 ref, &r, transient, err);
	if (rc == 0 && r.status == 404)
		*healthy = 1;
	else if (rc == 0)
		rc =
		    dbh_supabase_parse_health(r.body.s, r.body.len, r.status,
					      healthy, summary, summarysz, err);
	dbh_http_response_free(&r);
	return rc;
}

static int is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* A transient API failure while waiting: reported once per distinct
 * message, remembered for the final error, then cleared. */
static void note_problem(const struct dbh_reporter *rep, struct dbh_error *err,
			 char *last_problem, size_t sz)
{
	if (strcmp(err->message, last_problem) != 0) {
		snprintf(last_problem, sz, "%s", err->message);
		dbh_report(rep, DBH_NOTE, "%s; still waiting", err->message);
	}
	dbh_error_clear(err);
}

/* Reports a change of status and decides whether waiting can go on:
 * returns 0 to keep waiting, or an exit code with `err` filled. */
static int judge_status(const char *ref, const char *status, char *last,
			size_t lastsz, int *rose, double start,
			const struct dbh_reporter *rep, struct dbh_error *err)
{
	static const char *const failed[] = {"RESTORE_FAILED", "INIT_FAILED",
					     "REMOVED", "PAUSE_FAILED", NULL};
	static const char *const rising[] = {"RESTORING", "COMING_UP",
					     "ACTIVE_UNHEALTHY", NULL};

	if (strcmp(status, last) != 0)
		dbh_report(rep, DBH_INFO, "Supabase project %s is %s (%.0f s)",
			   ref, status, dbh_now() - start);
	snprintf(last, lastsz, "%s", status);
	if (is_one_of(status, failed)) {
		dbh_error_set(err, DBH_EUNREACH,
			      "Supabase project \"%s\" is %s", ref, status);
		dbh_error_hint(err, "Check the project in the Supabase "
				    "dashboard and contact Supabase support "
				    "if it does not recover.");
		return DBH_EUNREACH;
	}
	if (is_one_of(status, rising))
		*rose = 1;
	if (*rose && strcmp(status, "INACTIVE") == 0) {
		dbh_error_set(err, DBH_EUNREACH,
			      "Supabase project \"%s\" went back to INACTIVE "
			      "while coming up",
			      ref);
		dbh_error_detail(err, "The restore failed.");
		dbh_error_hint(err, "Restore it from the Supabase dashboard "
				    "and contact Supabase support if it fails "
				    "again.");
		return DBH_EUNREACH;
	}
	return 0;
}

static int wait_healthy(const struct dbh_supabase *sb, const char *ref,
			const struct dbh_reporter *rep, struct dbh_error *err)
{
	double start = dbh_now();
	struct dbh_supabase s = *sb;
	char status[64], last[64] = "", health[256], last_health[256] = "";
	char problem[sizeof(err->message)] = "";
	int rc, transient, healthy, up = 0, rose = 0;

	if ((rc = check_args(sb, ref, err)) != 0)
		return rc;
	if (s.deadline <= 0)
		s.deadline = start + DBH_SUPABASE_WAIT_MAX_S;
	if (s.poll_interval_s <= 0)
		s.poll_interval_s = 5;
	while (dbh_left(s.deadline) > 0) {
		/* The project's status until ACTIVE_HEALTHY... */
		if (!up) {
			rc = get_status(&s, ref, status, sizeof(status),
					&transient, err);
			if (rc && !transient)
				return rc;
			if (rc) {
				note_problem(rep, err, problem,
					     sizeof(problem));
			} else {
				problem[0] = '\0';
				rc = judge_status(ref, status, last,
						  sizeof(last), &rose, start,
						  rep, err);
				if (rc)
					return rc;
				up = strcmp(status, "ACTIVE_HEALTHY") == 0;
			}
		}
		/* ...then its database and pooler. */
		if (up) {
			rc = get_health(&s, ref, &healthy, health,
					sizeof(health), &transient, err);
			if (rc && !transient)
				return rc;
			if (rc) {
				note_problem(rep, err, problem,
					     sizeof(problem));
			} else if (healthy) {
				dbh_report(rep, DBH_INFO,
					   "Supabase project %s is healthy "
					   "(%.0f s)",
					   ref, dbh_now() - start);
				return 0;
			} else {
				problem[0] = '\0';
				if (strcmp(health, last_health) != 0)
					dbh_report(rep, DBH_INFO,
						   "Supabase project %s: %s "
						   "(%.0f s)",
						   ref, health,
						   dbh_now() - start);
				snprintf(last_health, sizeof(last_health), "%s",
					 health);
			}
		}
		dbh_sleep(dbh_left(s.deadline) < s.poll_interval_s
			      ? dbh_left(s.deadline)
			      : s.poll_interval_s);
	}
	dbh_error_set(err, DBH_EUNREACH,
		      "Supabase project \"%s\" was not healthy after %.0f s",
		      ref, dbh_now() - start);
	if (problem[0])
		dbh_error_detail(err, "Last status: %s. Last API error: %s.",
				 last[0] ? last : "unknown", problem);
	else if (up && last_health[0])
		dbh_error_detail(err, "Last status: ACTIVE_HEALTHY; %s.",
				 last_health);
	else
		dbh_error_detail(err, "Last status: %s.",
				 last[0] ? last : "unknown");
	dbh_error_hint(err,
		       "A restore usually takes a few minutes. Check the "
		       "project in the Supabase dashboard and deploy again "
		       "once it is healthy.");
	return DBH_EUNREACH;
}

int dbh_supabase_wait_healthy(const struct dbh_supabase *sb, const char *ref,
			      const struct dbh_reporter *rep,
			      struct dbh_error *err)
{
	return wait_healthy(sb, ref, rep, err);
}
