/* notify.c - the failure (and success) webhook, one JSON POST. */
#include "dbhook/notify.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/http.h"
#include "dbhook/sbuf.h"
#include "dbhook/secrets.h"

#include "dbh_config.h"

#define BODY_KEEP 1024 /* bytes of the answer kept for messages */
#define BODY_SHOW 200  /* bytes of it shown */

/* Length of the valid UTF-8 sequence at `p`, or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 &&
	    ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0)))
		return 0;
	if (n == 4 &&
	    ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* Appends `s` as one line of valid UTF-8: invalid bytes become '?', line
 * breaks and tabs a space, other control characters are dropped; with
 * `slack`, &, < and > are escaped as Slack's mrkdwn requires. */
static void add_line(struct dbh_sbuf *b, const char *s, int slack)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			dbh_sbuf_add(b, "?");
			p++;
			continue;
		}
		if (*p == '\n' || *p == '\r' || *p == '\t')
			dbh_sbuf_add(b, " ");
		else if (*p < 0x20 || *p == 0x7f)
			;
		else if (slack && *p == '&')
			dbh_sbuf_add(b, "&amp;");
		else if (slack && *p == '<')
			dbh_sbuf_add(b, "&lt;");
		else if (slack && *p == '>')
			dbh_sbuf_add(b, "&gt;");
		else
			dbh_sbuf_addn(b, (const char *)p, n);
		p += n;
	}
}

/* A copy of `s` that is valid UTF-8 (invalid bytes become '?'); JSON
 * escapes the control characters. NULL stays NULL. */
static char *utf8_copy(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct dbh_sbuf b = {0};

	if (!s)
		return NULL;
	dbh_sbuf_add(&b, "");
	while (*p) {
		size_t n = utf8_len(p);

		dbh_sbuf_addn(&b, n ? (const char *)p : "?", n ? n : 1);
		p += n ? n : 1;
	}
	return b.s;
}

static int is_hex(const char *s)
{
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return 0;
	return 1;
}

char *dbh_notify_text(const struct dbh_notify_event *ev)
{
	int failure = !ev->outcome || strcmp(ev->outcome, "success") != 0;
	struct dbh_sbuf b = {0};

	if (failure) {
		dbh_sbuf_add(&b, ":x: dbhook: ");
		if (ev->migration && *ev->migration) {
			dbh_sbuf_add(&b, "migration ");
			add_line(&b, ev->migration, 1);
			dbh_sbuf_add(&b, " failed");
		} else {
			dbh_sbuf_add(&b, "migrations failed");
		}
	} else {
		dbh_sbuf_add(&b,
			     ":white_check_mark: dbhook: migrations succeeded");
	}
	dbh_sbuf_add(&b, " in ");
	add_line(
	    &b, ev->environment && *ev->environment ? ev->environment : "local",
	    1);
	if (ev->commit && *ev->commit) {
		size_t n = strlen(ev->commit);

		dbh_sbuf_add(&b, " (");
		if (n > 12 && is_hex(ev->commit))
			dbh_sbuf_addn(&b, ev->commit, 7);
		else
			add_line(&b, ev->commit, 1);
		dbh_sbuf_add(&b, ")");
	}
	if (ev->project && *ev->project) {
		dbh_sbuf_add(&b, " for ");
		add_line(&b, ev->project, 1);
	}
	dbh_sbuf_add(&b, ": ");
	if (ev->message && *ev->message) {
		add_line(&b, ev->message, 1);
	} else if (failure) {
		dbh_sbuf_add(&b, "no message");
	} else {
		char n[64];

		snprintf(n, sizeof(n), "%d migration%s applied", ev->applied,
			 ev->applied == 1 ? "" : "s");
		dbh_sbuf_add(&b, n);
	}
	if (failure && ev->hint && *ev->hint) {
		dbh_sbuf_add(&b, " Hint: ");
		add_line(&b, ev->hint, 1);
	}
	if (ev->safety_counts) {
		dbh_sbuf_add(&b, " Safety check: ");
		add_line(&b, ev->safety_counts, 1);
		dbh_sbuf_add(&b, ".");
	}
	return b.s;
}

/* Builds the JSON body. cJSON allocates through alloc.h (see
 * dbh_alloc_hook_libraries), so none of its calls fails here. */
static char *payload(const struct dbh_notify_event *ev)
{
	const struct {
		const char *key, *value;
	} fields[] = {
	    {"outcome", ev->outcome},	  {"environment", ev->environment},
	    {"project", ev->project},	  {"commit", ev->commit},
	    {"migration", ev->migration}, {"sqlstate", ev->sqlstate},
	    {"message", ev->message},	  {"hint", ev->hint},
	};
	cJSON *o = cJSON_CreateObject();
	char *text = dbh_notify_text(ev), *out;

	if (!o)
		dbh_oom();
	cJSON_AddStringToObject(o, "text", text);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *v = utf8_copy(fields[i].value);

		if (v)
			cJSON_AddStringToObject(o, fields[i].key, v);
		else
			cJSON_AddNullToObject(o, fields[i].key);
		free(v);
	}
	cJSON_AddNumberToObject(o, "applied", ev->applied);
	if (ev->safety)
		cJSON_AddItemToObject(o, "safety",
				      cJSON_Duplicate(ev->safety, 1));
	else
		cJSON_AddNullToObject(o, "safety");
	cJSON_AddStringToObject(o, "tool", "dbhook");
	cJSON_AddStringToObject(o, "version", DBH_VERSION);
	dbh_secrets_scrub_json(o);
	out = cJSON_PrintUnformatted(o);
	if (!out)
		dbh_oom();
	cJSON_Delete(o);
	free(text);
	return out;
}

/* A webhook URL is a credential, and the transfer's errors or the
 * server's answer may echo any part of it. Its password and its path
 * (which starts with "/", so it cannot garble prose) are registered as
 * secrets (secrets.h). The other parts and the pieces (the words of the
 * path, the query's names and values) go to `pieces`, which only text from
 * outside is scrubbed of: in the registry, a user name or a piece such as
 * "hook" would garble every message that says "webhook". */
static void secret_part(const char *url, enum dbh_http_part part,
			const char *seps, struct dbh_secret_list *pieces)
{
	int global = part == DBH_HTTP_PASSWORD || part == DBH_HTTP_PATH;

	for (int decode = 0; decode < 2; decode++) {
		char *v = dbh_http_url_part(url, part, decode);
		const char *p;

		if (!v)
			continue;
		if (strcmp(v, "/") != 0)
			dbh_secret_list_add(pieces, v, strlen(v));
		if (strcmp(v, "/") != 0 && global)
			dbh_secrets_add(v, strlen(v));
		for (p = v; seps && *p;) {
			size_t len = strcspn(p, seps);

			if (len < strlen(v))
				dbh_secret_list_add(pieces, p, len);
			p += len;
			if (*p)
				p++;
		}
		free(v);
	}
}

static void secrets_collect(const char *url, struct dbh_secret_list *pieces)
{
	secret_part(url, DBH_HTTP_USER, NULL, pieces);
	secret_part(url, DBH_HTTP_PASSWORD, NULL, pieces);
	secret_part(url, DBH_HTTP_PATH, "/", pieces);
	secret_part(url, DBH_HTTP_QUERY, "&=", pieces);
	secret_part(url, DBH_HTTP_FRAGMENT, NULL, pieces);
}

char *dbh_notify_origin(const char *url, char *out, size_t outsz)
{
	char *scheme = dbh_http_url_part(url, DBH_HTTP_SCHEME, 0);
	char *host = dbh_http_url_part(url, DBH_HTTP_HOST, 0);
	char *port = dbh_http_url_part(url, DBH_HTTP_PORT, 0);

	if (scheme && host)
		snprintf(out, outsz, "%s://%s%s%s", scheme, host,
			 port ? ":" : "", port ? port : "");
	else
		snprintf(out, outsz, "an unparsable URL");
	free(scheme);
	free(host);
	free(port);
	return out;
}

static int scheme_ok(const char *url)
{
	char *scheme = dbh_http_url_part(url, DBH_HTTP_SCHEME, 0);
	int ok = scheme &&
		 (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);

	free(scheme);
	return ok;
}

/* The answer's first bytes as one clean, scrubbed line, or "". */
static void body_line(const struct dbh_sbuf *a,
		      const struct dbh_secret_list *pieces, char *out,
		      size_t outsz)
{
	struct dbh_sbuf b = {0};
	size_t n;

	out[0] = '\0';
	if (a->len == 0)
		return;
	add_line(&b, a->s, 0);
	if (!b.s)
		return;
	/* Before it is cut: no half secret left. */
	dbh_secrets_scrub(b.s);
	dbh_secret_list_scrub(pieces, b.s);
	n = strlen(b.s);
	while (n > 0 && b.s[n - 1] == ' ')
		b.s[--n] = '\0';
	if (n > BODY_SHOW) {
		n = BODY_SHOW;
		while (n > 0 && ((unsigned char)b.s[n] & 0xc0) == 0x80)
			n--;
		b.s[n] = '\0';
		snprintf(out, outsz, "%s...", b.s);
	} else {
		snprintf(out, outsz, "%s", b.s);
	}
	free(b.s);
}

static int transfer_error(enum dbh_http_result rc, const char *origin,
			  double timeout_s, char *why,
			  const struct dbh_secret_list *pieces,
			  struct dbh_error *err)
{
	dbh_secret_list_scrub(pieces, why);
	switch (rc) {
	case DBH_HTTP_TIMEOUT:
		dbh_error_set(err, DBH_EUNREACH,
			      "notification webhook at %s did not answer "
			      "within %g s",
			      origin, timeout_s);
		dbh_error_hint(err, "The webhook service is slow or "
				    "unreachable from the build; the build "
				    "goes on without the notification.");
		return DBH_EUNREACH;
	case DBH_HTTP_NOT_SENT:
	case DBH_HTTP_UNREACHABLE:
	case DBH_HTTP_DROPPED:
		dbh_error_set(err, DBH_EUNREACH,
			      "cannot reach the notification webhook at %s",
			      origin);
		dbh_error_detail(err, "%s.", why);
		dbh_error_hint(err, "Check the host in MIGRATE_NOTIFY_URL "
				    "and that the build can reach it.");
		return DBH_EUNREACH;
	case DBH_HTTP_BAD_URL:
		dbh_error_set(err, DBH_EUSAGE,
			      "notification webhook URL is not a usable "
			      "http(s) URL (%s)",
			      origin);
		dbh_error_detail(err, "%s.", why);
		return DBH_EUSAGE;
	default:
		dbh_error_set(err, DBH_EFAILED,
			      "sending the notification to %s failed", origin);
		dbh_error_detail(err, "%s.", why);
		return DBH_EFAILED;
	}
}

static int status_error(long status, const char *origin,
			const struct dbh_sbuf *a,
			const struct dbh_secret_list *pieces,
			struct dbh_error *err)
{
	char said[BODY_SHOW + 8];

	body_line(a, pieces, said, sizeof(said));
	if (status >= 300 && status < 400) {
		dbh_error_set(err, DBH_EFAILED,
			      "notification webhook at %s answered HTTP %ld, "
			      "a redirect (not followed)",
			      origin, status);
		dbh_error_hint(err, "Set MIGRATE_NOTIFY_URL to the webhook's "
				    "final address: redirects are not "
				    "followed, so the payload never goes to "
				    "a host nobody configured.");
		return DBH_EFAILED;
	}
	dbh_error_set(err, DBH_EFAILED,
		      "notification webhook at %s answered HTTP %ld", origin,
		      status);
	if (said[0])
		dbh_error_detail(err, "The server said: %s", said);
	if (status == 401 || status == 403 || status == 404 || status == 410)
		dbh_error_hint(err, "The webhook may have been deleted or its "
				    "token revoked: check MIGRATE_NOTIFY_URL.");
	else if (status >= 500)
		dbh_error_hint(err, "The webhook service failed; the build "
				    "goes on without the notification.");
	else
		dbh_error_hint(err, "Check that MIGRATE_NOTIFY_URL is an "
				    "incoming webhook that accepts a JSON "
				    "POST.");
	return DBH_EFAILED;
}

int dbh_notify_send(const char *url, const struct dbh_notify_event *ev,
		    double timeout_s, struct dbh_error *err)
{
	static const char *const headers[] = {"Content-Type: application/json",
					      "Expect:", NULL};
	struct dbh_http_request rq = {.method = "POST",
				      .url = url,
				      .headers = headers,
				      .max_body = BODY_KEEP,
				      .cut_body = 1};
	struct dbh_http_response rs = {0};
	struct dbh_secret_list pieces = {0};
	enum dbh_http_result rc;
	char origin[300], why[200];
	int ret = 0;

	if (!(timeout_s > 0)) /* also NaN */
		timeout_s = DBH_NOTIFY_TIMEOUT;
	if (timeout_s > 3600)
		timeout_s = 3600;
	if (dbh_http_load(why, sizeof(why))) {
		dbh_error_set(err, DBH_EUNREACH, "%s", why);
		dbh_error_hint(err, "%s", dbh_http_libcurl_hint());
		return DBH_EUNREACH;
	}
	dbh_notify_origin(url, origin, sizeof(origin));
	if (!url || !scheme_ok(url)) {
		ret = dbh_error_set(err, DBH_EUSAGE,
				    "notification webhook URL is not an "
				    "http(s) URL (%s)",
				    origin);
		dbh_error_hint(err, "Set MIGRATE_NOTIFY_URL to the "
				    "https://... address of an incoming "
				    "webhook.");
		return ret;
	}
	secrets_collect(url, &pieces);
	rq.body = payload(ev);
	rq.timeout_s = timeout_s;
	rc = dbh_http_send(&rq, &rs);
	if (rc != DBH_HTTP_OK)
		ret =
		    transfer_error(rc, origin, timeout_s, rs.why, &pieces, err);
	else if (rs.status < 200 || rs.status > 299)
		ret = status_error(rs.status, origin, &rs.body, &pieces, err);
	dbh_http_response_free(&rs);
	dbh_secret_list_wipe(&pieces);
	free((char *)rq.body);
	return ret;
}
