/* fuzz_supabase.c - the Supabase Management API's answers (supabase.h,
 * supaapi.h): the project status, the health check and the API's own
 * message of an error answer, read by dbh_supabase_parse_status,
 * dbh_supabase_parse_health and dbh_supaapi_message.
 *
 * Input: byte 0 picks the token's shape (bit 0: lower or upper case, so a
 * token can also pass for a status word), the HTTP status quoted in errors
 * (bit 1) and short output buffers (the other bits); bytes 1-2 where the
 * token goes; the rest is the answer's body, NUL bytes included. The token
 * is registered as dbh_supabase_init registers SUPABASE_ACCESS_TOKEN (an
 * API that echoes the token, a proxy's error page quoting the request).
 *
 * The body is read as it is, then with the token spliced in at the chosen
 * position. Every text a caller prints (the error's message, detail and
 * hint; the status and the health summary, scrubbed as dbh_report does)
 * must be NUL-terminated within its buffer and one line without control
 * characters, and may not show the token. As in fuzz_url.c the leak check
 * is differential: the same body with a second token of the same length
 * and shape, and a 6-byte piece of the first may not appear more often
 * than with the second. A piece catches a token cut in two by a length
 * limit, which the scrubbing no longer recognises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/secrets.h"
#include "dbhook/supaapi.h"
#include "dbhook/supabase.h"
#include "fuzz.h"

#define TOKEN1 "sbp_kq9gv2lm7wz4xr3t"
#define TOKEN2 "sbp_ju3hk8tr5yo6nc2w"
#define UTOKEN1 "SBP_KQ9GV2LM7WZ4XR3T"
#define UTOKEN2 "SBP_JU3HK8TR5YO6NC2W"
#define PIECE 6

/* `buf` (of `size` bytes) holds a NUL. */
static void check_terminated(const char *buf, size_t size, const char *what)
{
	if (size > 0 && !memchr(buf, '\0', size))
		fuzz_fail(what, "");
}

/* One line: no line break, no control character. */
static void check_line(const char *s, const char *what)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fuzz_fail(what, s);
}

/* Adds the error's texts; a failure must say what failed. */
static void add_error(struct fuzz_texts *tx, int rc,
		      const struct dbh_error *err)
{
	if (rc == 0) {
		if (err->code != 0 || err->message[0])
			fuzz_fail("success with an error set", err->message);
		return;
	}
	if (rc != DBH_EUNREACH || err->code != DBH_EUNREACH || !err->message[0])
		fuzz_fail("a bad answer without DBH_EUNREACH and a message",
			  err->message);
	check_line(err->message, "a control character in err.message");
	check_line(err->detail, "a control character in err.detail");
	check_line(err->hint, "a control character in err.hint");
	fuzz_texts_add(tx, err->message);
	fuzz_texts_add(tx, err->detail);
	fuzz_texts_add(tx, err->hint);
}

/* A printed copy of `s`: scrubbed as dbh_report and dbh_log_sanitize do. */
static void add_printed(struct fuzz_texts *tx, const char *s, const char *what)
{
	char *copy = strdup(s);

	if (!copy)
		return;
	check_line(copy, what);
	dbh_secrets_scrub(copy);
	fuzz_texts_add(tx, copy);
	free(copy);
}

/* Reads `body` with `token` registered and collects what can be printed.
 * The output buffers are allocated to their exact size, so ASan sees a
 * write past them. */
static void run(const char *body, size_t len, const char *token, long http,
		size_t statussz, size_t summarysz, size_t msgsz,
		struct fuzz_texts *tx)
{
	char *status = malloc(statussz), *summary = malloc(summarysz);
	char *msg = malloc(msgsz);
	struct dbh_error err;
	int rc, healthy = -1;

	if (!status || !summary || !msg)
		abort();
	dbh_secrets_forget();
	dbh_secrets_add(token, strlen(token));

	memset(status, 0xaa, statussz);
	dbh_error_clear(&err);
	rc = dbh_supabase_parse_status(body, len, http, status, statussz, &err);
	check_terminated(status, statussz, "status is not NUL-terminated");
	add_error(tx, rc, &err);
	if (rc == 0) {
		if (!status[0] || strlen(status) >= statussz ||
		    strspn(status, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
			strlen(status))
			fuzz_fail("an accepted status that is not a word",
				  status);
		add_printed(tx, status, "a control character in status");
	} else if (status[0]) {
		fuzz_fail("a status left behind by a failure", status);
	}

	memset(summary, 0xaa, summarysz);
	dbh_error_clear(&err);
	rc = dbh_supabase_parse_health(body, len, http, &healthy, summary,
				       summarysz, &err);
	check_terminated(summary, summarysz, "summary is not NUL-terminated");
	add_error(tx, rc, &err);
	if (healthy != 0 && healthy != 1)
		fuzz_fail("healthy is neither 0 nor 1", "");
	if (rc != 0 && healthy)
		fuzz_fail("healthy after a bad answer", "");
	if (rc == 0)
		add_printed(tx, summary, "a control character in the summary");

	memset(msg, 0xaa, msgsz);
	dbh_supaapi_message(body, len, msg, msgsz);
	check_terminated(msg, msgsz, "the API message is not NUL-terminated");
	add_printed(tx, msg, "a control character in the API message");

	free(status);
	free(summary);
	free(msg);
	dbh_secrets_forget();
}

static char *splice(const char *body, size_t len, size_t at, const char *tok)
{
	size_t tl = strlen(tok);
	char *s = malloc(len + tl + 1);

	if (!s)
		abort();
	memcpy(s, body, at);
	memcpy(s + at, tok, tl);
	memcpy(s + at + tl, body + at, len - at);
	s[len + tl] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char body[FUZZ_MAX_INPUT + 1];
	struct fuzz_texts t0 = {{0}, 0}, t1 = {{0}, 0}, t2 = {{0}, 0};
	const char *tok1, *tok2;
	size_t len, at, tl, statussz, summarysz, msgsz;
	long http;
	char *b1, *b2;

	if (size < 3)
		return 0;
	tok1 = data[0] & 1 ? UTOKEN1 : TOKEN1;
	tok2 = data[0] & 1 ? UTOKEN2 : TOKEN2;
	http = data[0] & 2 ? 400 : 200;
	/* Mostly the callers' sizes; sometimes short ones, to cut texts. */
	statussz = data[0] & 4 ? 1 + (data[0] >> 3) % 24 : 64;
	summarysz = data[0] & 8 ? 1 + (data[0] >> 4) % 48 : 256;
	msgsz = data[0] & 16 ? 1 + (data[0] >> 5) * 9 : 208;
	len = size - 3 > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : size - 3;
	memcpy(body, data + 3, len);
	fuzz_strip_word(body, &len, TOKEN1);
	fuzz_strip_word(body, &len, TOKEN2);
	fuzz_strip_word(body, &len, UTOKEN1);
	fuzz_strip_word(body, &len, UTOKEN2);
	body[len] = '\0';

	/* The body as it is: the structural checks only. */
	run(body, len, tok1, http, statussz, summarysz, msgsz, &t0);
	fuzz_texts_release(&t0);

	at = ((size_t)data[1] | (size_t)data[2] << 8) % (len + 1);
	b1 = splice(body, len, at, tok1);
	b2 = splice(body, len, at, tok2);
	tl = strlen(tok1);
	run(b1, len + tl, tok1, http, statussz, summarysz, msgsz, &t1);
	run(b2, len + tl, tok2, http, statussz, summarysz, msgsz, &t2);
	if (t1.n != t2.n)
		fuzz_fail("the two tokens gave different texts", "");
	for (size_t i = 0; i < t1.n; i++)
		for (size_t k = 0; k + PIECE <= tl; k++)
			if (fuzz_count(t1.t[i], &tok1[k], PIECE) >
			    fuzz_count(t2.t[i], &tok1[k], PIECE))
				fuzz_fail("the token shows in a printable text",
					  t1.t[i]);
	fuzz_texts_release(&t1);
	fuzz_texts_release(&t2);
	free(b1);
	free(b2);
	return 0;
}
