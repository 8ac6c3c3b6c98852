/* supaapi.h - one request to the Supabase Management API (http.c, cJSON),
 * with its retries, rate limits and errors; supabase.c decides what to ask.
 *
 * One request at a time, each bounded by the request time-out and the
 * caller's deadline. 429 waits for Retry-After, 5xx and dropped
 * connections back off a few times (idempotent requests only). The token
 * travels only in the Authorization header; errors are scrubbed of it on
 * the way out (secrets.h), and the DBHOOK_HTTP_DEBUG=1 trace on stderr
 * redacts the header: that trace is the only output of this module.
 *
 * Text from the API reaches errors only through dbh_supaapi_excerpt: one
 * line, scrubbed of every registered secret before it is cut.
 */
#ifndef DBHOOK_SUPAAPI_H
#define DBHOOK_SUPAAPI_H

#include <stddef.h>

#include "dbhook/error.h"
#include "dbhook/http.h"
#include "dbhook/supabase.h"

/* Characters of an answer quoted in an error. */
#define DBH_SUPAAPI_EXCERPT_MAX 200

/* What a rejected or missing token calls for. */
#define DBH_SUPAAPI_TOKEN_HINT                                                 \
	"Create a personal access token in the Supabase dashboard (Account, "  \
	"Access Tokens) with the projects:read scope (projects:write to "      \
	"restore) and set it as SUPABASE_ACCESS_TOKEN."

/* Request flags. */
enum {
	DBH_SUPAAPI_IDEMPOTENT = 1, /* safe to send again after a 5xx or a
				     * dropped connection */
	DBH_SUPAAPI_ALLOW_404 = 2   /* the caller handles 404 itself */
};

/* Sends METHOD {api}{path} until it gets an answer worth handing back in
 * `r`: 2xx, 400 and other 4xx the caller knows (404 with
 * DBH_SUPAAPI_ALLOW_404); returns 0. 401/403 and 404 (DBH_EUSAGE, `ref`
 * named), 429, 5xx and transport failures (DBH_EUNREACH), 3xx and 1xx
 * (DBH_EUSAGE) become errors here. `*transient` says whether waiting and
 * asking again might help. `r` starts zeroed; the caller frees it with
 * dbh_http_response_free, also after an error. The caller has checked the
 * token, `ref` and api_url. */
int dbh_supaapi_request(const struct dbh_supabase *sb, const char *method,
			const char *path, int flags, const char *ref,
			struct dbh_http_response *r, int *transient,
			struct dbh_error *err);

/* The error for an answer that is not what the API documents: "... sent
 * an unexpected answer (HTTP <http_status>): <what>", the start of the
 * `len` bytes at `body` (NULL is "") as detail. Returns DBH_EUNREACH. */
int dbh_supaapi_bad_answer(long http_status, const char *body, size_t len,
			   const char *what, struct dbh_error *err);

/* The API's own "message" (or "error") of the `len` bytes at `body`, else
 * the start of the answer, as one excerpt; "" for an empty answer. */
void dbh_supaapi_message(const char *body, size_t len, char *out, size_t outsz);

/* Adds "The API said: <dbh_supaapi_message>" to `err` as detail, unless
 * the answer was empty. */
void dbh_supaapi_detail_message(struct dbh_error *err,
				const struct dbh_http_response *r);

/* Untrusted text for one line of a message: the `inlen` bytes at `in`
 * (NUL bytes included) scrubbed of registered secrets, control characters
 * and line breaks made '?' or ' ', then cut to at most
 * DBH_SUPAAPI_EXCERPT_MAX bytes and outsz - 4, never inside a UTF-8
 * sequence, with "..." when shortened. Always NUL-terminated (outsz > 0). */
void dbh_supaapi_excerpt(const char *in, size_t inlen, char *out, size_t outsz);

#endif
