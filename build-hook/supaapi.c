/* supaapi.c - one Supabase Management API request (http.c, cJSON): the
 * retries, the rate limits and the errors (supaapi.h).
 *
 * Each request is bounded by the request time-out and the caller's
 * deadline. Retries live in dbh_supaapi_request: 429 waits for
 * Retry-After, 5xx and dropped connections back off a few times. The token
 * travels only in the Authorization header; errors are scrubbed of it on
 * the way out, and the debug output redacts the header.
 */
#include "dbhook/supaapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "dbhook/alloc.h"
#include "dbhook/clock.h"
#include "dbhook/config.h"
#include "dbhook/secrets.h"
#include "dbhook/vault.h" /* dbh_secret_wipe */

#define BODY_MAX (1024 * 1024) /* bytes of an answer we keep */
/* Bytes of a text scrubbed for an excerpt: room for a whole token (8 KiB,
 * supabase.c) next to the part shown. */
#define SCRUB_SPAN 12288
#define TRANSIENT_TRIES 4     /* attempts after 5xx or a dropped connection */
#define LIMITED_TRIES 20      /* attempts after 429 (Retry-After 0 loops) */
#define RETRY_AFTER_MAX 120.0 /* seconds; a longer Retry-After is an error */
#define WAIT_SLACK 0.1	      /* a retry needs this much time left */

#define API_NAME "the Supabase Management API"

/* ---- small helpers --------------------------------------------------- */

static double request_timeout(const struct dbh_supabase *sb)
{
	return sb->request_timeout_s > 0 ? sb->request_timeout_s : 10;
}

/* Scrubbed before it is cut: a secret cut in two is no longer recognised
 * by dbh_secrets_scrub. A secret never holds a NUL byte (it is a C
 * string), so NULs become 0x01 here and '?' below. */
void dbh_supaapi_excerpt(const char *in, size_t inlen, char *out, size_t outsz)
{
	char text[SCRUB_SPAN + 1], *nul;
	size_t copied = inlen < SCRUB_SPAN ? inlen : SCRUB_SPAN, n, i;
	size_t max = outsz > 4 ? outsz - 4 : 0;
	int cut = copied < inlen;

	if (outsz == 0)
		return;
	if (max > DBH_SUPAAPI_EXCERPT_MAX)
		max = DBH_SUPAAPI_EXCERPT_MAX;
	memcpy(text, in, copied);
	text[copied] = '\0';
	while ((nul = memchr(text, '\0', copied)) != NULL)
		*nul = '\x01';
	dbh_secrets_scrub(text);
	n = strlen(text);
	if (n > max) {
		n = max;
		cut = 1;
		/* Back over a multibyte character the cut went through. */
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n' || c == '\r' || c == '\t')
			out[i] = ' ';
		else if (c < 0x20 || c == 0x7f)
			out[i] = '?';
		else
			out[i] = (char)c;
	}
	out[n] = '\0';
	if (cut && outsz - n > 3)
		memcpy(out + n, "...", 4);
	dbh_secret_wipe(text, copied + 1);
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
	dbh_supaapi_excerpt(tmp, strlen(tmp), out, outsz);
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

void dbh_supaapi_message(const char *body, size_t len, char *out, size_t outsz)
{
	cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *m = NULL;

	if (outsz == 0) {
		cJSON_Delete(j);
		return;
	}
	out[0] = '\0';
	if (cJSON_IsObject(j)) {
		m = cJSON_GetObjectItemCaseSensitive(j, "message");
		if (!cJSON_IsString(m))
			m = cJSON_GetObjectItemCaseSensitive(j, "error");
	}
	if (cJSON_IsString(m) && m->valuestring[0])
		dbh_supaapi_excerpt(m->valuestring, strlen(m->valuestring), out,
				    outsz);
	else if (len)
		dbh_supaapi_excerpt(body, len, out, outsz);
	cJSON_Delete(j);
}

void dbh_supaapi_detail_message(struct dbh_error *err,
				const struct dbh_http_response *r)
{
	char msg[DBH_SUPAAPI_EXCERPT_MAX + 8];

	dbh_supaapi_message(r->body.s, r->body.len, msg, sizeof(msg));
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
	dbh_supaapi_excerpt(r->why, strlen(r->why), why, sizeof(why));
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
		return flags & DBH_SUPAAPI_IDEMPOTENT;
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
 * 2xx, 400 and other 4xx the caller knows (404 with DBH_SUPAAPI_ALLOW_404).
 * 401/403, 404, 429, 5xx, 3xx and transport failures become errors here.
 * `*transient` says whether waiting and asking again might help. */
int dbh_supaapi_request(const struct dbh_supabase *sb, const char *method,
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
			if ((flags & DBH_SUPAAPI_IDEMPOTENT) &&
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
			dbh_supaapi_detail_message(err, r);
			dbh_error_hint(err,
				       "%s the Supabase status page and run "
				       "again later.",
				       (flags & DBH_SUPAAPI_IDEMPOTENT)
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
			dbh_supaapi_detail_message(err, r);
			dbh_error_hint(err, "%s", DBH_SUPAAPI_TOKEN_HINT);
			return DBH_EUSAGE;
		}
		if (r->status == 404 && !(flags & DBH_SUPAAPI_ALLOW_404)) {
			dbh_error_set(err, DBH_EUSAGE,
				      "Supabase project \"%s\" not found", ref);
			dbh_supaapi_detail_message(err, r);
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

int dbh_supaapi_bad_answer(long http_status, const char *body, size_t len,
			   const char *what, struct dbh_error *err)
{
	char start[DBH_SUPAAPI_EXCERPT_MAX + 8];

	dbh_error_set(err, DBH_EUNREACH,
		      API_NAME " sent an unexpected answer (HTTP %ld): %s",
		      http_status, what);
	dbh_supaapi_excerpt(body ? body : "", body ? len : 0, start,
			    sizeof(start));
	if (start[0])
		dbh_error_detail(err, "The answer begins: %s", start);
	else
		dbh_error_detail(err, "The answer was empty.");
	dbh_error_hint(err, "Check SUPABASE_API_URL and the Supabase status "
			    "page.");
	return DBH_EUNREACH;
}
