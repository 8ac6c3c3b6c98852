/* notify.c - the failure (and success) webhook, one JSON POST (libcurl). */
#include "dbhook/notify.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/diag.h"
#include "dbhook/sbuf.h"

#include "dbh_config.h"

#define BODY_KEEP 1024 /* bytes of the answer kept for messages */
#define BODY_SHOW 200  /* bytes of it shown */
#define MAX_SECRETS 64 /* URL parts scrubbed from messages */

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
static char *utf8_copy(const char *s, int *oom)
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
	if (b.oom)
		*oom = 1;
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
	return b.s;
}

/* Builds the JSON body; NULL when out of memory. */
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
	char *text = dbh_notify_text(ev), *out = NULL;
	int bad = !o || !text;
	size_t i;

	if (!bad && !cJSON_AddStringToObject(o, "text", text))
		bad = 1;
	for (i = 0; !bad && i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *v = utf8_copy(fields[i].value, &bad);

		if (bad)
			break;
		if (!(v ? cJSON_AddStringToObject(o, fields[i].key, v)
			: cJSON_AddNullToObject(o, fields[i].key)))
			bad = 1;
		free(v);
	}
	if (!bad && (!cJSON_AddNumberToObject(o, "applied", ev->applied) ||
		     !cJSON_AddStringToObject(o, "tool", "dbhook") ||
		     !cJSON_AddStringToObject(o, "version", DBH_VERSION)))
		bad = 1;
	if (!bad)
		out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(text);
	return out;
}

/* The parts of a URL that may be secret, to scrub from any text shown. */
struct secrets {
	char *s[MAX_SECRETS];
	int n;
};

static void secret_add(struct secrets *sec, const char *p, size_t len)
{
	if (len == 0 || sec->n >= MAX_SECRETS)
		return;
	sec->s[sec->n] = strndup(p, len);
	if (sec->s[sec->n])
		sec->n++;
}

/* Adds the part and, split at any of `seps`, its pieces. */
static void secret_part(struct secrets *sec, CURLU *u, CURLUPart part,
			const char *seps)
{
	static const unsigned int flags[] = {0, CURLU_URLDECODE};
	size_t f;

	for (f = 0; f < 2; f++) {
		char *v = NULL;
		const char *p;

		if (curl_url_get(u, part, &v, flags[f]) != CURLUE_OK || !v)
			continue;
		if (strcmp(v, "/") != 0)
			secret_add(sec, v, strlen(v));
		for (p = v; seps && *p;) {
			size_t len = strcspn(p, seps);

			if (len >= 3 && len < strlen(v))
				secret_add(sec, p, len);
			p += len;
			if (*p)
				p++;
		}
		curl_free(v);
	}
}

static void secrets_collect(struct secrets *sec, const char *url)
{
	CURLU *u = curl_url();

	sec->n = 0;
	if (!u)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK) {
		secret_part(sec, u, CURLUPART_USER, NULL);
		secret_part(sec, u, CURLUPART_PASSWORD, NULL);
		secret_part(sec, u, CURLUPART_PATH, "/");
		secret_part(sec, u, CURLUPART_QUERY, "&=");
		secret_part(sec, u, CURLUPART_FRAGMENT, NULL);
	}
	curl_url_cleanup(u);
}

static void secrets_release(struct secrets *sec)
{
	while (sec->n > 0)
		free(sec->s[--sec->n]);
}

/* Replaces every secret in `text`, in place, with "***" (or as many '*' as
 * a shorter secret has): the text never grows. */
static void scrub(const struct secrets *sec, char *text)
{
	int i;

	for (i = 0; i < sec->n; i++) {
		size_t len = strlen(sec->s[i]), stars = len < 3 ? len : 3;
		char *hit;

		while ((hit = strstr(text, sec->s[i])) != NULL) {
			memset(hit, '*', stars);
			memmove(hit + stars, hit + len, strlen(hit + len) + 1);
		}
	}
}

char *dbh_notify_origin(const char *url, char *out, size_t outsz)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;

	snprintf(out, outsz, "an unparsable URL");
	if (!u)
		return out;
	if (url &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
		CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		snprintf(out, outsz, "%s://%s%s%s", scheme, host,
			 port ? ":" : "", port ? port : "");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

static int scheme_ok(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ok = 0;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
		CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
		ok =
		    strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

struct answer {
	char body[BODY_KEEP + 1];
	size_t len;
};

static size_t keep_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct answer *a = ctx;
	size_t n = size * nmemb, room = BODY_KEEP - a->len;

	if (room) {
		size_t take = n < room ? n : room;

		memcpy(a->body + a->len, data, take);
		a->len += take;
		a->body[a->len] = '\0';
	}
	return n;
}

/* The answer's first bytes as one clean, scrubbed line, or "". */
static void body_line(const struct answer *a, const struct secrets *sec,
		      char *out, size_t outsz)
{
	struct dbh_sbuf b = {0};
	size_t n;

	out[0] = '\0';
	if (a->len == 0)
		return;
	add_line(&b, a->body, 0);
	if (!b.s)
		return;
	scrub(sec, b.s);
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

static int transfer_error(CURLcode rc, const char *origin, double timeout_s,
			  char *ebuf, const struct secrets *sec,
			  struct dbh_error *err)
{
	const char *why = ebuf[0] ? ebuf : curl_easy_strerror(rc);

	scrub(sec, ebuf);
	switch (dbh_diag_http(rc)) {
	case DBH_HF_TIMEOUT:
		dbh_error_set(err, DBH_EUNREACH,
			      "notification webhook at %s did not answer "
			      "within %g s",
			      origin, timeout_s);
		dbh_error_hint(err, "The webhook service is slow or "
				    "unreachable from the build; the build "
				    "goes on without the notification.");
		return DBH_EUNREACH;
	case DBH_HF_UNREACHABLE:
	case DBH_HF_NO_ANSWER:
		dbh_error_set(err, DBH_EUNREACH,
			      "cannot reach the notification webhook at %s",
			      origin);
		dbh_error_detail(err, "%s.", why);
		dbh_error_hint(err, "Check the host in MIGRATE_NOTIFY_URL "
				    "and that the build can reach it.");
		return DBH_EUNREACH;
	case DBH_HF_BAD_URL:
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

static int status_error(long status, const char *origin, const struct answer *a,
			const struct secrets *sec, struct dbh_error *err)
{
	char said[BODY_SHOW + 8];

	body_line(a, sec, said, sizeof(said));
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
	char origin[300], ebuf[CURL_ERROR_SIZE + 1] = "";
	struct curl_slist *headers = NULL, *h;
	struct secrets sec = {0};
	struct answer *a = NULL;
	char *body = NULL;
	long status = 0;
	CURLcode rc;
	CURL *c = NULL;
	int ret = 0;

	if (!(timeout_s > 0)) /* also NaN */
		timeout_s = DBH_NOTIFY_TIMEOUT;
	if (timeout_s > 3600)
		timeout_s = 3600;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return dbh_error_set(err, DBH_EFAILED,
				     "cannot initialise libcurl for the "
				     "notification");
	dbh_notify_origin(url, origin, sizeof(origin));
	if (!url || !scheme_ok(url)) {
		ret = dbh_error_set(err, DBH_EUSAGE,
				    "notification webhook URL is not an "
				    "http(s) URL (%s)",
				    origin);
		dbh_error_hint(err, "Set MIGRATE_NOTIFY_URL to the "
				    "https://... address of an incoming "
				    "webhook.");
		goto out;
	}
	secrets_collect(&sec, url);
	body = payload(ev);
	a = calloc(1, sizeof(*a));
	c = curl_easy_init();
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	h = headers ? curl_slist_append(headers, "Expect:") : NULL;
	if (!body || !a || !c || !h) {
		ret = dbh_error_set(err, DBH_EFAILED,
				    "out of memory preparing the "
				    "notification");
		goto out;
	}
	headers = h;
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_s * 1000));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dbhook/" DBH_VERSION);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		ret = transfer_error(rc, origin, timeout_s, ebuf, &sec, err);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		ret = status_error(status, origin, a, &sec, err);
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	secrets_release(&sec);
	free(body);
	free(a);
	curl_global_cleanup();
	return ret;
}
