/* http.h - the one HTTP client: the Supabase Management API and the
 * webhook both go through it.
 *
 * libcurl is loaded at run time (dlopen), the first time it is needed, so
 * the programs start without it and run everywhere without it: only HTTP
 * calls need a libcurl on the system. This is the only file of the project
 * that includes <curl/curl.h>.
 *
 * One request at a time; no redirects are followed; http and https only.
 */
#ifndef DBHOOK_HTTP_H
#define DBHOOK_HTTP_H

#include <stddef.h>

#include "dbhook/sbuf.h"

enum dbh_http_result {
	DBH_HTTP_OK,	      /* an answer arrived (any status) */
	DBH_HTTP_TIMEOUT,     /* no (full) answer in time */
	DBH_HTTP_NOT_SENT,    /* DNS or connect failed: nothing was sent */
	DBH_HTTP_UNREACHABLE, /* TLS handshake or sending failed */
	DBH_HTTP_DROPPED,     /* connected, then closed without an answer */
	DBH_HTTP_BAD_URL,     /* not a usable http(s) URL */
	DBH_HTTP_TOO_BIG,     /* the answer is larger than max_body */
	DBH_HTTP_NO_LIBCURL,  /* libcurl could not be loaded */
	DBH_HTTP_FAILED	      /* anything else, out of memory included */
};

struct dbh_http_request {
	const char *method;	    /* "GET" or "POST" */
	const char *url;	    /* may hold secrets: never shown by us */
	const char *const *headers; /* "Name: value", NULL-terminated */
	const char *body;	    /* POST body; NULL sends an empty one */
	double timeout_s;	    /* the whole request, connect included */
	size_t max_body;	    /* bytes of the answer kept at most */
	int cut_body; /* 1: keep max_body bytes, read on; 0: TOO_BIG */
	/* Optional trace of every header line and libcurl remark, `dir` being
	 * '*' (remark), '>' (sent) or '<' (received). Lines may hold the
	 * request's secrets: the callback redacts them. */
	void (*trace)(void *ud, char dir, const char *line, size_t n);
	void *trace_ud;
};

struct dbh_http_response {
	long status;	      /* HTTP status; 0 when none arrived */
	struct dbh_sbuf body; /* the answer (see max_body), owned */
	double retry_after;   /* Retry-After in seconds; < 0 when absent */
	char why[256];	      /* what went wrong, for a result other than OK */
};

/* Loads libcurl once. 0, or DBH_HTTP_NO_LIBCURL with `why` naming the
 * libraries tried. DBHOOK_LIBCURL=PATH tries only that file. */
int dbh_http_load(char *why, size_t whysz);

/* Sends one request. `rs` is reset first; free it with
 * dbh_http_response_free whatever the result. */
enum dbh_http_result dbh_http_send(const struct dbh_http_request *rq,
				   struct dbh_http_response *rs);

void dbh_http_response_free(struct dbh_http_response *rs);

/* The hint for DBH_HTTP_NO_LIBCURL: how to install one. */
const char *dbh_http_libcurl_hint(void);

enum dbh_http_part {
	DBH_HTTP_SCHEME,
	DBH_HTTP_USER,
	DBH_HTTP_PASSWORD,
	DBH_HTTP_HOST,
	DBH_HTTP_PORT,
	DBH_HTTP_PATH,
	DBH_HTTP_QUERY,
	DBH_HTTP_FRAGMENT
};

/* One part of `url` as libcurl reads it (`decode`: percent-decoded), as a
 * malloc'd string; NULL when the part is absent, the URL cannot be parsed
 * or libcurl is not available. */
char *dbh_http_url_part(const char *url, enum dbh_http_part part, int decode);

#endif
