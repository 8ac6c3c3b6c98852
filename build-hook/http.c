/* http.c - the one HTTP client, on libcurl loaded at run time.
 *
 * Why dlopen: the portable binary links everything but glibc statically,
 * and a static libcurl is not to be had (its many optional libraries have
 * no static archives). Loading the system's libcurl only when a webhook or
 * the Supabase API is called keeps every other path free of it: a machine
 * without libcurl still migrates, and the no-op deploy does not pay for
 * libcurl's shared libraries. The functions are called through a table
 * filled from dlsym; the headers only give us types and constants.
 */
#define CURL_DISABLE_DEPRECATION /* CURLOPT_PROTOCOLS for libcurl < 7.85 */
#include "dbhook/http.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "dbh_config.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/error.h"

#ifndef CURLOPT_PROTOCOLS_STR /* headers older than 7.85 */
#define CURLOPT_PROTOCOLS_STR ((CURLoption)(CURLOPTTYPE_STRINGPOINT + 318))
#endif

/* The libcurl functions we use, all present since 7.62 (the URL API). */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
	CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
	void (*url_cleanup)(CURLU *);
	void (*free)(void *);
	time_t (*getdate)(const char *, const time_t *);
	curl_version_info_data *(*version_info)(CURLversion);
} C;

static int loaded;	   /* 1 loaded, -1 failed, 0 not tried */
static char load_why[200]; /* why it failed */

#define SYM(field, name)                                                       \
	{                                                                      \
		(void **)&C.field, name                                        \
	}

static int load_symbols(void *lib)
{
	const struct {
		void **slot;
		const char *name;
	} syms[] = {
	    SYM(global_init, "curl_global_init"),
	    SYM(easy_init, "curl_easy_init"),
	    SYM(easy_setopt, "curl_easy_setopt"),
	    SYM(easy_perform, "curl_easy_perform"),
	    SYM(easy_getinfo, "curl_easy_getinfo"),
	    SYM(easy_cleanup, "curl_easy_cleanup"),
	    SYM(easy_strerror, "curl_easy_strerror"),
	    SYM(slist_append, "curl_slist_append"),
	    SYM(slist_free_all, "curl_slist_free_all"),
	    SYM(url, "curl_url"),
	    SYM(url_set, "curl_url_set"),
	    SYM(url_get, "curl_url_get"),
	    SYM(url_cleanup, "curl_url_cleanup"),
	    SYM(free, "curl_free"),
	    SYM(getdate, "curl_getdate"),
	    SYM(version_info, "curl_version_info"),
	};

	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		/* POSIX: a function pointer may travel through void *. */
		void *f = dlsym(lib, syms[i].name);

		if (!f)
			return 0;
		memcpy(syms[i].slot, &f, sizeof(f));
	}
	return 1;
}

/* Tries each name in turn; the first that loads must have every symbol
 * and initialise, or we give up (an unusable libcurl is not skipped). */
static void load(void)
{
	static const char *const names[] = {
#ifdef __APPLE__
	    "libcurl.4.dylib",
#endif
	    "libcurl.so.4", "libcurl-gnutls.so.4", "libcurl-nss.so.4"};
	const char *forced = dbh_config()->libcurl;
	size_t n = sizeof(names) / sizeof(*names), off = 0;
	char tried[160] = "";

	loaded = -1;
	if (forced && forced[0])
		n = 1;
	for (size_t i = 0; i < n; i++) {
		const char *name = forced && forced[0] ? forced : names[i];
		void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);

		if (!lib) {
			int w = snprintf(tried + off, sizeof(tried) - off,
					 "%s%s", i ? ", " : "", name);

			if (w > 0 && (size_t)w < sizeof(tried) - off)
				off += (size_t)w;
			continue;
		}
		if (load_symbols(lib) &&
		    C.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK) {
			loaded = 1;
			return;
		}
		snprintf(load_why, sizeof(load_why),
			 "%.100s is unusable (libcurl 7.62 or newer is needed)",
			 name);
		dlclose(lib);
		return;
	}
	snprintf(load_why, sizeof(load_why), "no libcurl found (tried %s)",
		 tried);
}

int dbh_http_load(char *why, size_t whysz)
{
	if (loaded == 0)
		load();
	if (loaded > 0)
		return 0;
	if (why && whysz)
		snprintf(why, whysz, "%s", load_why);
	return DBH_HTTP_NO_LIBCURL;
}

const char *dbh_http_libcurl_hint(void)
{
	return "Install libcurl (Debian, Ubuntu: apt-get install libcurl4; "
	       "Amazon Linux, Fedora: dnf install libcurl-minimal) or set "
	       "DBHOOK_LIBCURL to the path of libcurl.so.4.";
}

static enum dbh_http_result classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return DBH_HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return DBH_HTTP_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return DBH_HTTP_NOT_SENT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return DBH_HTTP_UNREACHABLE;
	case CURLE_SEND_ERROR: /* part of the request may have gone out */
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return DBH_HTTP_DROPPED;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return DBH_HTTP_BAD_URL;
	default:
		return DBH_HTTP_FAILED;
	}
}

struct xfer {
	const struct dbh_http_request *rq;
	struct dbh_http_response *rs;
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, room = x->rq->max_body - x->rs->body.len;

	if (n > room) {
		if (!x->rq->cut_body) {
			x->too_big = 1;
			return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
		}
		dbh_sbuf_addn(&x->rs->body, data, room);
	} else {
		dbh_sbuf_addn(&x->rs->body, data, n);
	}
	return n;
}

static double parse_retry_after(const char *v)
{
	while (*v == ' ')
		v++;
	if (isdigit((unsigned char)*v)) {
		char *end;
		double s = strtod(v, &end);

		while (*end == ' ')
			end++;
		return *end == '\0' ? s : -1;
	} else {
		time_t t = C.getdate(v, NULL); /* an HTTP date */

		if (t == -1)
			return -1;
		return t > time(NULL) ? (double)(t - time(NULL)) : 0;
	}
}

/* Each header line of each answer; a new status line starts over. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	char v[128];

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		x->rs->retry_after = -1;
	if (n > sizeof(name) - 1 && n - (sizeof(name) - 1) < sizeof(v) &&
	    strncasecmp(data, name, sizeof(name) - 1) == 0) {
		size_t len = n - (sizeof(name) - 1);

		memcpy(v, data + sizeof(name) - 1, len);
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
				   v[len - 1] == ' '))
			len--;
		v[len] = '\0';
		x->rs->retry_after = parse_retry_after(v);
	}
	return n;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
		    void *ud)
{
	const struct dbh_http_request *rq = ud;
	const char *p = data, *end = data + size;
	char dir;

	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		dir = '*';
		break;
	case CURLINFO_HEADER_OUT:
		dir = '>';
		break;
	case CURLINFO_HEADER_IN:
		dir = '<';
		break;
	default:
		return 0; /* bodies are not traced */
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (e > p && e[-1] == '\r')
			e--;
		if (e > p)
			rq->trace(rq->trace_ud, dir, p, (size_t)(e - p));
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static void set_options(CURL *h, const struct dbh_http_request *rq,
			struct curl_slist *hdrs, struct xfer *x, char *ebuf)
{
	long ms = (long)(rq->timeout_s * 1000);

	if (ms < 1)
		ms = 1;
	C.easy_setopt(h, CURLOPT_URL, rq->url);
	/* Only http(s), also for redirects we do not follow anyway: the
	 * string form from 7.85 on, the bit mask (deprecated then) before. */
	if (C.version_info(CURLVERSION_NOW)->version_num >= 0x075500)
		C.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	else
		C.easy_setopt(h, CURLOPT_PROTOCOLS,
			      (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	C.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	C.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	C.easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	C.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
	C.easy_setopt(h, CURLOPT_USERAGENT, "dbhook/" DBH_VERSION);
	C.easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(rq->method, "POST") == 0) {
		const char *body = rq->body ? rq->body : "";

		C.easy_setopt(h, CURLOPT_POST, 1L);
		C.easy_setopt(h, CURLOPT_POSTFIELDS, body);
		C.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	C.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	C.easy_setopt(h, CURLOPT_WRITEDATA, x);
	C.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	C.easy_setopt(h, CURLOPT_HEADERDATA, x);
	C.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (rq->trace) {
		C.easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
		C.easy_setopt(h, CURLOPT_DEBUGDATA, (void *)rq);
		C.easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
}

enum dbh_http_result dbh_http_send(const struct dbh_http_request *rq,
				   struct dbh_http_response *rs)
{
	char ebuf[CURL_ERROR_SIZE + 1] = "";
	struct curl_slist *hdrs = NULL;
	struct xfer x = {rq, rs, 0};
	enum dbh_http_result res;
	CURLcode rc;
	CURL *h;

	memset(rs, 0, sizeof(*rs));
	rs->retry_after = -1;
	if (dbh_http_load(rs->why, sizeof(rs->why)))
		return DBH_HTTP_NO_LIBCURL;
	for (const char *const *p = rq->headers; p && *p; p++) {
		struct curl_slist *n = C.slist_append(hdrs, *p);

		if (!n) /* it only copies the string */
			dbh_oom();
		hdrs = n;
	}
	/* NULL: out of memory, or libcurl's global start-up failed (its TLS
	 * library); it does not say which, so this is an ordinary failure. */
	if (!(h = C.easy_init())) {
		C.slist_free_all(hdrs);
		snprintf(rs->why, sizeof(rs->why),
			 "libcurl could not start a transfer");
		return DBH_HTTP_FAILED;
	}
	set_options(h, rq, hdrs, &x, ebuf);
	rc = C.easy_perform(h);
	C.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	res = classify(rc);
	if (rc == CURLE_WRITE_ERROR && x.too_big)
		res = DBH_HTTP_TOO_BIG;
	if (res != DBH_HTTP_OK) {
		snprintf(rs->why, sizeof(rs->why), "%s",
			 ebuf[0] ? ebuf : C.easy_strerror(rc));
	}
	C.easy_cleanup(h);
	C.slist_free_all(hdrs); /* libcurl keeps no copy after cleanup */
	return res;
}

void dbh_http_response_free(struct dbh_http_response *rs)
{
	if (rs->body.s) {
		memset(rs->body.s, 0, rs->body.len);
		free(rs->body.s);
	}
	rs->body = (struct dbh_sbuf){0};
}

char *dbh_http_url_part(const char *url, enum dbh_http_part part, int decode)
{
	static const CURLUPart parts[] = {
	    [DBH_HTTP_SCHEME] = CURLUPART_SCHEME,
	    [DBH_HTTP_USER] = CURLUPART_USER,
	    [DBH_HTTP_PASSWORD] = CURLUPART_PASSWORD,
	    [DBH_HTTP_HOST] = CURLUPART_HOST,
	    [DBH_HTTP_PORT] = CURLUPART_PORT,
	    [DBH_HTTP_PATH] = CURLUPART_PATH,
	    [DBH_HTTP_QUERY] = CURLUPART_QUERY,
	    [DBH_HTTP_FRAGMENT] = CURLUPART_FRAGMENT,
	};
	char *v = NULL, *copy = NULL;
	CURLU *u;

	if (!url || dbh_http_load(NULL, 0))
		return NULL;
	if (!(u = C.url())) /* an empty handle: only memory can fail */
		dbh_oom();
	if (C.url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
		CURLUE_OK &&
	    C.url_get(u, parts[part], &v, decode ? CURLU_URLDECODE : 0) ==
		CURLUE_OK &&
	    v)
		copy = dbh_xstrdup(v);
	if (v)
		C.free(v);
	C.url_cleanup(u);
	return copy;
}
