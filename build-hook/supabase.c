/* supabase.c - the Supabase Management API client (http.c, cJSON).
 *
 * One request at a time, each bounded by the request time-out and the
 * caller's deadline. Retries live in api_request: 429 waits for
 * Retry-After, 5xx and dropped connections back off a few times. The token
 * travels only in the Authorization header; errors are scrubbed of it on
 * the way out, and the debug output redacts the header.
 */
#include "dbhook/supabase.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/http.h"
#include "dbhook/sbuf.h"
#include "dbhook/secrets.h"
#include "dbhook/suphost.h"
#include "dbhook/vault.h"

#define BODY_MAX (1024 * 1024) /* bytes of an answer we keep */
#define TOKEN_MAX 8192
#define EXCERPT_MAX 200	      /* characters of an answer quoted in errors */
#define TRANSIENT_TRIES 4     /* attempts after 5xx or a dropped connection */
#define LIMITED_TRIES 20      /* attempts after 429 (Retry-After 0 loops) */
#define RETRY_AFTER_MAX 120.0 /* seconds; a longer Retry-After is an error */
#define WAIT_SLACK 0.1	      /* a retry needs this much time left */

#define API_NAME "the Supabase Management API"
#define TOKEN_HINT                                                             \
	"Create a personal access token in the Supabase dashboard (Account, "  \
	"Access Tokens) with the projects:read scope (projects:write to "      \
	"restore) and set it as SUPABASE_ACCESS_TOKEN."

/* Request flags. */
enum {
	REQ_IDEMPOTENT = 1, /* safe to send again after a 5xx or a drop */
	REQ_ALLOW_404 = 2   /* the caller handles 404 itself */
};

/* ---- configuration --------------------------------------------------- */

void dbh_supabase_init(struct dbh_supabase *sb)
{
	const struct dbh_config *cfg = dbh_config();
	const char *t = cfg->api_timeout;

	sb->api_url = cfg->supabase_api_url ? cfg->supabase_api_url
					    : DBH_SUPABASE_API_DEFAULT;
	sb->token = cfg->supabase_token;
	if (sb->token)
		dbh_secrets_add(sb->token, strlen(sb->token));
	sb->deadline = 0;
	sb->request_timeout_s = 10;
	sb->poll_interval_s = 5;
	if (t && *t) {
		char *end;
		double v;

		errno = 0;
		v = strtod(t, &end);
		if (errno == 0 && end != t && *end == '\0' && v > 0 &&
		    v < 86400)
			sb->request_timeout_s = v;
	}
}

/* ---- small helpers --------------------------------------------------- */

static double request_timeout(const struct dbh_supabase *sb)
{
	return sb->request_timeout_s > 0 ? sb->request_timeout_s : 10;
}

/* Untrusted text for one line of an error: control characters and line
 * breaks become '?' or ' ', at most EXCERPT_MAX bytes, never a cut UTF-8
 * sequence, "..." when shortened. */
static void excerpt(const char *in, size_t inlen, char *out, size_t outsz)
{
	size_t n = inlen, i, max = outsz > 4 ? outsz - 4 : 0;
	int cut = 0;

	if (outsz == 0)
		return;
	if (max > EXCERPT_MAX)
		max = EXCERPT_MAX;
	if (n > max) {
		n = max;
		cut = 1;
		/* Back over a multibyte character the cut went through. */
		while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\n' || c == '\r' || c == '\t')
			out[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			out[i] = '?';
		else
			out[i] = (char)c;
	}
	out[n] = '\0';
	if (cut)
		strcat(out, "...");
}

/* The API base URL for messages: any user-info is replaced by ***. */
static void show_url(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://"), *at = NULL, *q;
	char tmp[512];

	if (p) {
		const char *end = p + 3 + strcspn(p + 3, "/?#");

		p += 3;
		for (q = p; q < end; q++)
			if (*q == '@')
				at = q;
	}
	if (p && at)
		snprintf(tmp, sizeof(tmp), "%.*s***%s", (int)(p - url), url,
			 at);
	else
		snprintf(tmp, sizeof(tmp), "%s", url);
	excerpt(tmp, strlen(tmp), out, outsz);
}

/* ---- one HTTP request ------------------------------------------------ */

/* DBHOOK_HTTP_DEBUG=1: one stderr line per header line and per libcurl
 * remark. Anything after "authorization:" (also in HTTP/2 remarks such as
 * "[HTTP/2] [1] [authorization: Bearer ...]") becomes ***, and the token
 * itself is scrubbed from every line as a second guard. */
static void debug_line(void *ud, char dir, const char *line, size_t n)
{
	char buf[1024 + 8]; /* room for " ***" after a cut line */
	const char *a;
	size_t i;

	if (n > 1024)
		n = 1024;
	for (i = 0; i < n; i++)
		buf[i] = ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			     ? '?'
			     : line[i];
	buf[n] = '\0';
	for (a = buf; (a = strchr(a, ':')) != NULL; a++) {
		size_t k = (size_t)(a - buf);

		if (k >= 13 && strncasecmp(a - 13, "authorization", 13) == 0) {
			strcpy(buf + k + 1, " ***");
			break;
		}
	}
	(void)ud;
	dbh_secrets_scrub(buf);
	fprintf(stderr, "%c %s\n", dir, buf);
}

/* Sends one request; fills `r` (status, body, Retry-After, why). */
static enum dbh_http_result http_once(const struct dbh_supabase *sb,
				      const char *method, const char *url,
				      double timeout_s,
				      struct dbh_http_response *r)
{
	char *auth = dbh_xasprintf("Authorization: Bearer %s", sb->token);
	/* A POST has no body, and no form Content-Type for it. */
	const char *headers[] = {
	    auth, "Accept: application/json",
	    strcmp(method, "POST") == 0 ? "Content-Type:" : NULL, NULL};
	struct dbh_http_request rq = {.method = method,
				      .url = url,
				      .headers = headers,
				      .timeout_s = timeout_s,
				      .max_body = BODY_MAX};
	enum dbh_http_result rc;

	if (dbh_config()->http_debug) {
		rq.trace = debug_line;
	}
	rc = dbh_http_send(&rq, r);
	dbh_secret_wipe(auth, strlen(auth));
	free(auth);
	return rc;
}

/* ---- requests with retries ------------------------------------------- */

/* The API's own "message" (or "error"), else the start of the answer, as
 * one sanitised line; "" for an empty answer. */
static void api_message(const struct dbh_http_response *r, char *out,
			size_t outsz)
{
	cJSON *j =
	    r->body.len ? cJSON_ParseWithLength(r->body.s, r->body.len) : NULL;
	const cJSON *m = NULL;

	out[0] = '\0';
	if (cJSON_IsObject(j)) {
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = cJSON_GetObjectItemCaseSensitive(j, "error");
	}
	if (cJSON_IsString(m) && m->valuestring[0])
		excerpt(m->valuestring, strlen(m->valuestring), out, outsz);
	else if (r->body.len)
		excerpt(r->body.s, r->body.len, out, outsz);
	cJSON_Delete(j);
}

static void detail_api_message(struct dbh_error *err,
			       const struct dbh_http_response *r)
{
	char msg[EXCERPT_MAX + 8];

	api_message(r, msg, sizeof(msg));
	if (msg[0])
		dbh_error_detail(err, "The API said: %s", msg);
}

/* Whether a retry after `wait_s` seconds still fits the deadline. */
static int can_wait(const struct dbh_supabase *sb, double wait_s)
{
	return dbh_left(sb->deadline) > wait_s + WAIT_SLACK;
}

static int http_failure(const struct dbh_supabase *sb, enum dbh_http_result rc,
			const struct dbh_http_response *r, double timeout_s,
			int capped, struct dbh_error *err)
{
	char where[300], why[300];

	show_url(sb->api_url, where, sizeof(where));
	excerpt(r->why, strlen(r->why), why, sizeof(why));
	switch (rc) {
	case DBH_HTTP_NO_LIBCURL:
		dbh_error_set(err, DBH_EUNREACH, "cannot ask " API_NAME ": %s",
			      why);
		dbh_error_hint(err, "%s", dbh_http_libcurl_hint());
		return DBH_EUNREACH;
	case DBH_HTTP_TIMEOUT:
		if (capped)
			dbh_error_set(err, DBH_EUNREACH,
				      API_NAME " did not answer before the "
					       "time budget ran out");
		else
			dbh_error_set(err, DBH_EUNREACH,
				      API_NAME " did not answer within %g s",
				      timeout_s);
		dbh_error_detail(err, "Request to %s: %s.", where, why);
		dbh_error_hint(err, "Check the network and the Supabase status "
				    "page, or raise DBHOOK_API_TIMEOUT.");
		return DBH_EUNREACH;
	case DBH_HTTP_BAD_URL:
		dbh_error_set(err, DBH_EUSAGE,
			      "SUPABASE_API_URL \"%s\" is not a usable http or "
			      "https URL",
			      where);
		dbh_error_detail(err, "%s.", why);
		return DBH_EUSAGE;
	case DBH_HTTP_DROPPED:
		dbh_error_set(err, DBH_EUNREACH,
			      API_NAME " at %s closed the connection without "
				       "answering",
			      where);
		dbh_error_hint(err, "Check the Supabase status page and run "
				    "again later.");
		return DBH_EUNREACH;
	case DBH_HTTP_TOO_BIG:
		dbh_error_set(err, DBH_EUNREACH,
			      API_NAME " sent an answer larger than %d KiB",
			      BODY_MAX / 1024);
		dbh_error_hint(err, "Check SUPABASE_API_URL.");
		return DBH_EUNREACH;
	default:
		break;
	}
	dbh_error_set(err, DBH_EUNREACH, "cannot reach " API_NAME " at %s",
		      where);
	dbh_error_detail(err, "%s.", why);
	dbh_error_hint(err, "Check the network (and any proxy settings) and "
			    "the Supabase status page, or SUPABASE_API_URL.");
	return DBH_EUNREACH;
}

/* Whether to send the request again after this failure. */
static int retryable(enum dbh_http_result rc, int flags)
{
	switch (rc) {
	case DBH_HTTP_NOT_SENT:
		return 1; /* nothing was sent */
	case DBH_HTTP_DROPPED:
		return flags & REQ_IDEMPOTENT;
	default:
		return 0;
	}
}

/* The error for a rate limit we stopped waiting out. */
static int rate_limited(struct dbh_error *err, int requests, double wait,
			int stated)
{
	dbh_error_set(err, DBH_EUNREACH,
		      API_NAME " rate limit was hit (HTTP 429)");
	if (wait > RETRY_AFTER_MAX)
		dbh_error_detail(err,
				 "The API asks to wait %g s, longer than the "
				 "%g s dbhook waits out.",
				 wait, RETRY_AFTER_MAX);
	else if (requests >= LIMITED_TRIES)
		dbh_error_detail(err, "Still limited after %d requests.",
				 requests);
	else
		dbh_error_detail(err,
				 "Still limited after %d request%s; waiting "
				 "%g s more%s does not fit in the time budget.",
				 requests, requests > 1 ? "s" : "", wait,
				 stated ? " (Retry-After)" : "");
	dbh_error_hint(err, "The limit is per user, shared by all of the "
			    "user's tokens; wait a minute and run again.");
	return DBH_EUNREACH;
}

/* Sends METHOD {api}{path} until it gets an answer worth handing back:
 * 2xx, 400 and other 4xx the caller knows (404 with REQ_ALLOW_404).
 * 401/403, 404, 429, 5xx, 3xx and transport failures become errors here.
 * `*transient` says whether waiting and asking again might help. */
static int api_request(const struct dbh_supabase *sb, const char *method,
		       const char *path, int flags, const char *ref,
		       struct dbh_http_response *r, int *transient,
		       struct dbh_error *err)
{
	char url[1024];
	size_t n = strlen(sb->api_url);
	int tries = 0, limited = 0;
	double backoff = 0.5;

	*transient = 0;
	while (n > 0 && sb->api_url[n - 1] == '/')
		n--;
	if ((size_t)snprintf(url, sizeof(url), "%.*s%s", (int)n, sb->api_url,
			     path) >= sizeof(url))
		return dbh_error_set(err, DBH_EUSAGE,
				     "SUPABASE_API_URL is too long");
	for (;;) {
		double left = dbh_left(sb->deadline), t = request_timeout(sb);
		int capped = 0;
		enum dbh_http_result rc;

		if (left <= 0) {
			*transient = 1;
			dbh_error_set(err, DBH_EUNREACH,
				      "the time budget ran out before " API_NAME
				      " answered");
			return DBH_EUNREACH;
		}
		if (t > left) {
			t = left;
			capped = 1;
		}
		dbh_http_response_free(r);
		rc = http_once(sb, method, url, t, r);
		if (rc != DBH_HTTP_OK) {
			if (retryable(rc, flags) && ++tries < TRANSIENT_TRIES &&
			    can_wait(sb, backoff)) {
				dbh_sleep(backoff);
				backoff *= 2;
				continue;
			}
			*transient = rc != DBH_HTTP_BAD_URL &&
				     rc != DBH_HTTP_TOO_BIG &&
				     rc != DBH_HTTP_NO_LIBCURL;
			return http_failure(sb, rc, r, t, capped, err);
		}
		if (r->status == 429) {
			double wait =
			    r->retry_after >= 0 ? r->retry_after : backoff;

			if (wait < 0.2)
				wait = 0.2;
			limited++;
			if (wait <= RETRY_AFTER_MAX &&
			    limited < LIMITED_TRIES && can_wait(sb, wait)) {
				dbh_sleep(wait);
				if (r->retry_after < 0)
					backoff *= 2;
				continue;
			}
			*transient = 1;
			return rate_limited(err, limited, wait,
					    r->retry_after >= 0);
		}
		if (r->status >= 500) {
			if ((flags & REQ_IDEMPOTENT) &&
			    ++tries < TRANSIENT_TRIES &&
			    can_wait(sb, backoff)) {
				dbh_sleep(backoff);
				backoff *= 2;
				continue;
			}
			*transient = 1;
			dbh_error_set(err, DBH_EUNREACH,
				      API_NAME " is unavailable (HTTP %ld)",
				      r->status);
			detail_api_message(err, r);
			dbh_error_hint(err,
				       "%s the Supabase status page and run "
				       "again later.",
				       (flags & REQ_IDEMPOTENT)
					   ? "It failed on every retry. Check"
					   : "The request may still have "
					     "been carried out. Check");
			return DBH_EUNREACH;
		}
		if (r->status == 401 || r->status == 403) {
			dbh_error_set(err, DBH_EUSAGE,
				      API_NAME
				      " rejected SUPABASE_ACCESS_TOKEN "
				      "(HTTP %ld)",
				      r->status);
			detail_api_message(err, r);
			dbh_error_hint(err, "%s", TOKEN_HINT);
			return DBH_EUSAGE;
		}
		if (r->status == 404 && !(flags & REQ_ALLOW_404)) {
			dbh_error_set(err, DBH_EUSAGE,
				      "Supabase project \"%s\" not found", ref);
			detail_api_message(err, r);
			dbh_error_hint(
			    err, "Check the project ref (the <ref> in "
				 "db.<ref>.supabase.co or in the user name "
				 "postgres.<ref>) and that the token's account "
				 "belongs to the project's organisation.");
			return DBH_EUSAGE;
		}
		if (r->status < 200 || (r->status >= 300 && r->status < 400)) {
			char where[300];

			show_url(sb->api_url, where, sizeof(where));
			dbh_error_set(err, DBH_EUSAGE,
				      API_NAME " at %s answered with %s "
					       "(HTTP %ld)",
				      where,
				      r->status >= 300 ? "a redirect"
						       : "an interim answer",
				      r->status);
			dbh_error_hint(err, "Check SUPABASE_API_URL (redirects "
					    "are not followed).");
			return DBH_EUSAGE;
		}
		return 0;
	}
}

/* An answer that is not what the API documents. */
static int bad_answer(const struct dbh_http_response *r, struct dbh_error *err,
		      const char *what)
{
	char start[EXCERPT_MAX + 8];

	dbh_error_set(err, DBH_EUNREACH,
		      API_NAME " sent an unexpected answer (HTTP %ld): %s",
		      r->status, what);
	excerpt(r->body.s ? r->body.s : "", r->body.len, start, sizeof(start));
	if (start[0])
		dbh_error_detail(err, "The answer begins: %s", start);
	else
		dbh_error_detail(err, "The answer was empty.");
	dbh_error_hint(err, "Check SUPABASE_API_URL and the Supabase status "
			    "page.");
	return DBH_EUNREACH;
}

static int check_args(const struct dbh_supabase *sb, const char *ref,
		      struct dbh_error *err)
{
	const char *p;

	if (!sb->token || !sb->token[0]) {
		dbh_error_set(err, DBH_EUSAGE,
			      "SUPABASE_ACCESS_TOKEN is not set");
		dbh_error_hint(err, "%s", TOKEN_HINT);
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
		dbh_error_hint(err, "%s", TOKEN_HINT);
		return DBH_EUSAGE;
	}
	if (!ref || !dbh_suphost_valid_ref(ref, strlen(ref))) {
		char shown[EXCERPT_MAX + 8];

		excerpt(ref ? ref : "", ref ? strlen(ref) : 0, shown,
			sizeof(shown));
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

static int get_status(const struct dbh_supabase *sb, const char *ref,
		      char *status, size_t statussz, int *transient,
		      struct dbh_error *err)
{
	struct dbh_http_response r = {0};
	char path[128];
	cJSON *j = NULL;
	const cJSON *s;
	size_t i, n;
	int rc;

	*transient = 0;
	if (statussz > 0)
		status[0] = '\0';
	if ((rc = check_args(sb, ref, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/v1/projects/%s", ref);
	rc = api_request(sb, "GET", path, REQ_IDEMPOTENT, ref, &r, transient,
			 err);
	if (rc)
		goto out;
	j = cJSON_ParseWithLength(r.body.s ? r.body.s : "", r.body.len);
	if (!cJSON_IsObject(j)) {
		rc = bad_answer(&r, err, "not a JSON object");
		goto out;
	}
	s = cJSON_GetObjectItemCaseSensitive(j, "status");
	if (!cJSON_IsString(s)) {
		rc = bad_answer(&r, err,
				s ? "\"status\" is not a string"
				  : "no \"status\" field");
		goto out;
	}
	n = strlen(s->valuestring);
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)s->valuestring[i]) &&
		    !isdigit((unsigned char)s->valuestring[i]) &&
		    s->valuestring[i] != '_')
			break;
	if (n == 0 || i < n || n >= statussz) {
		rc = bad_answer(&r, err, "an unknown kind of \"status\"");
		goto out;
	}
	memcpy(status, s->valuestring, n + 1);
out:
	cJSON_Delete(j);
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
	rc = api_request(sb, "POST", path, 0, ref, &r, &transient, err);
	if (rc == 0 && (r.status < 200 || r.status > 299)) {
		rc = dbh_error_set(err, DBH_EUNREACH,
				   "Supabase refused to restore project \"%s\" "
				   "(HTTP %ld)",
				   ref, r.status);
		detail_api_message(err, &r);
		dbh_error_hint(err, "Check the project in the Supabase "
				    "dashboard; a project that is still "
				    "pausing can be restored once it is "
				    "paused.");
	}
	dbh_http_response_free(&r);
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
	cJSON *j = NULL;
	const cJSON *it;
	size_t used = 0;
	int rc;

	*healthy = 0;
	summary[0] = '\0';
	snprintf(path, sizeof(path),
		 "/v1/projects/%s/health?services=db,pooler", ref);
	rc = api_request(sb, "GET", path, REQ_IDEMPOTENT | REQ_ALLOW_404, ref,
			 &r, transient, err);
	if (rc)
		goto out;
	if (r.status == 404) {
		*healthy = 1;
		goto out;
	}
	j = cJSON_ParseWithLength(r.body.s ? r.body.s : "", r.body.len);
	if (!cJSON_IsArray(j)) {
		rc =
		    bad_answer(&r, err, "the health check is not a JSON array");
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
			rc = bad_answer(&r, err,
					"a health item without \"name\" and "
					"\"status\"");
			goto out;
		}
		if (strcmp(st->valuestring, "ACTIVE_HEALTHY") != 0)
			*healthy = 0;
		excerpt(name->valuestring, strlen(name->valuestring), nm,
			sizeof(nm));
		excerpt(st->valuestring, strlen(st->valuestring), sv,
			sizeof(sv));
		if (used < summarysz)
			used += (size_t)snprintf(summary + used,
						 summarysz - used, "%s%s is %s",
						 used ? ", " : "", nm, sv);
	}
out:
	cJSON_Delete(j);
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
