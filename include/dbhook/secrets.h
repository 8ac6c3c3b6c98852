/* secrets.h - the one place that keeps secrets out of everything printed.
 *
 * Two tools, both here:
 *
 * - The registry. Every secret the programs learn (the database password
 *   in each spelling the URL used, the Supabase token, the webhook URL's
 *   secret parts) is added once; dbh_secrets_scrub then replaces each of
 *   them in any text. Every output path calls it: the terminal and CI log
 *   lines and GitHub annotations (log.c), errors as they are made
 *   (error.c), the JSON run report, `status --json`, and the webhook's
 *   payload (dbh_secrets_scrub_json). A secret is never dropped from the
 *   registry while the process runs.
 *
 * - URL redaction. A database URL or key=value string, well formed or
 *   not, is shown with its secret spans replaced by "***". The same
 *   tokenizer (dbh_kv_next, dbh_url_scheme_len) serves the URL parser, so
 *   the parser and the redaction agree on where a value ends.
 */
#ifndef DBHOOK_SECRETS_H
#define DBHOOK_SECRETS_H

#include <stddef.h>

#include "dbhook/wipe.h" /* dbh_wbuf, dbh_wipe_free */

struct cJSON;

/* ---- the registry ---- */

/* Remembers `n` bytes at `s` as a secret. Secrets shorter than
 * DBH_SECRET_MIN are not kept: they cannot be hidden in prose without
 * garbling every word holding their letters, and protect nothing. */
#define DBH_SECRET_MIN 4
void dbh_secrets_add(const char *s, size_t n);

/* Replaces, in place, every registered secret in `text` with "***" (the
 * longest first, so a shorter one never cuts a longer one apart). The text
 * never grows. */
void dbh_secrets_scrub(char *text);

/* Copies `src` into `dst` (always NUL-terminated), scrubbed. Scrubbed
 * before it is cut to `dstsz`: a cut could leave half a secret that no
 * later scrub recognises. Texts longer than 8 KiB are cut first. */
void dbh_secrets_copy(char *dst, size_t dstsz, const char *src);

/* The same for every string (values and keys) of a JSON tree, before it
 * is printed: scrubbing the printed text could cut a JSON token apart. */
void dbh_secrets_scrub_json(struct cJSON *item);

/* Registers what dbh_url_redact hides in `s` (a URL or key=value text):
 * each hidden span, and its start up to where another reading of the
 * text would end it. The parser calls it on every input, so text that
 * echoes the input in any reading (a user name libpq cut elsewhere, a
 * server message) is scrubbed by the same rule that redacts it. */
void dbh_secrets_add_hidden(const char *s);

/* Wipes and forgets every secret (unit tests; the registry otherwise
 * lives as long as the process). */
void dbh_secrets_forget(void);

/* A list of secrets of one's own, scrubbed by the same rules, for pieces
 * that must be hidden in text from outside but would garble prose if the
 * registry held them (the words of a webhook's path). Zero-initialise;
 * dbh_secret_list_wipe frees it. */
struct dbh_secret_list {
	char **s; /* longest first */
	size_t n;
};

void dbh_secret_list_add(struct dbh_secret_list *l, const char *s, size_t n);
void dbh_secret_list_scrub(const struct dbh_secret_list *l, char *text);
void dbh_secret_list_wipe(struct dbh_secret_list *l);

/* ---- URL text ---- */

/* Length of "scheme://" at the start of `s`, or 0. */
size_t dbh_url_scheme_len(const char *s);

/* One token of a key=value string, cut the way libpq's
 * parse_connection_string cuts it. */
struct dbh_kv_tok {
	const char *key;
	size_t klen;
	int has_eq;
	const char *vtok; /* the value as written, quotes included */
	const char *val;  /* inside the quotes, escapes still in */
	size_t vlen;
	const char *end; /* just after the token */
};

/* The next token at *pos (advanced); 0 at the end. */
int dbh_kv_next(const char **pos, struct dbh_kv_tok *t);

/* Writes a redacted copy of `url` (URL or key=value form, well formed or
 * not) into `out` (always NUL-terminated, truncated to `outsz`):
 * "postgresql://user:***@host:5432/db", "password=*** host=...". Every
 * message that shows a URL goes through this function. Returns `out`. */
char *dbh_url_redact(const char *url, char *out, size_t outsz);

/* The same, allocated (alloc.h: never NULL). */
char *dbh_url_redact_dup(const char *s);

/* The redacted input, cut to a length that fits a one-line message. */
const char *dbh_url_shown(const char *s, char *buf, size_t bufsz);

/* Writes libpq's parse error `msg` about the string `lib` (what libpq was
 * given, made from the user's `input`) into `dst`, keeping only text that
 * is provably not secret: the whole string becomes its redacted form, the
 * secret spans and the registered secrets "***", and every quoted piece
 * not found outside the spans is hidden too. */
void dbh_url_scrub_libpq(char *dst, size_t dstsz, const char *msg,
			 const char *input, const char *lib);

#endif
