/* fuzz_url.c - database URLs (url.h, secrets.h): parsing, the notes, the
 * target, the redaction of well-formed and broken input, and the scrubbing
 * of server and libpq messages that echo the input.
 *
 * Input: byte 0 picks a shape, byte 1 where the fuzz bytes split, the rest
 * is text. Shape 0 parses the text as it is (sanitizers only). Shapes 1-4
 * put a password in a password position, with the text around it:
 *
 *   1  postgresql://A:PASSWORD@B          userinfo (A holds no / ? # @)
 *   2  postgresql://A?password=PASSWORD&B  query, first parameter
 *   3  postgresql://A&password=PASSWORD&B  query, a later parameter
 *   4  A password=PASSWORD B               libpq key=value (A unquoted,
 *                                         no "://")
 *
 * and then no printable text may show it. The oracle is differential: the
 * same input is run with two passwords of the same length and shape, and
 * every 6-byte piece of the first must appear in each text as often with
 * either password. A piece that the text around it spells out (with
 * percent-encoding, say) appears in both runs and is not a leak; a piece
 * of the real password, even cut short by a truncated buffer, appears only
 * in the first. Neither password starts with a hex digit or a letter
 * strtod reads (i, n, e, p, x): after a '%' or a number they end it
 * alike. Six bytes: short enough to catch a password cut at a
 * buffer's end, long enough that no fixed word of a message matches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/secrets.h"
#include "dbhook/url.h"
#include "fuzz.h"

#define PW1 "Kq9Gv2Lm7Wz4"
#define PW2 "Ju3Hk8Tr5Yo6"
#define PIECE 6

/* Parses `url` and collects what can be printed; `small` is a short
 * buffer size, so truncation is exercised too. */
static void run(const char *url, size_t small, struct fuzz_texts *tx)
{
	struct dbh_conninfo ci;
	struct dbh_error err;
	char buf[4096];

	/* Each run starts with what a fresh process knows: no secret. */
	dbh_secrets_forget();
	memset(&ci, 0, sizeof(ci));
	dbh_error_clear(&err);
	fuzz_texts_add(tx, dbh_url_redact(url, buf, sizeof(buf)));
	fuzz_texts_add(tx, dbh_url_redact(url, buf, small));
	fuzz_texts_add(tx, dbh_url_shown(url, buf, sizeof(buf)));
	fuzz_texts_add(tx, dbh_url_shown(url, buf, small));
	if (dbh_url_parse(url, &ci, &err) == 0) {
		char msg[4096 + 256];

		fuzz_texts_add(tx, ci.redacted);
		for (size_t i = 0; i < ci.nnotes; i++)
			fuzz_texts_add(tx, ci.notes[i]);
		fuzz_texts_add(tx, ci.schema);
		fuzz_texts_add(tx, dbh_conninfo_target(&ci, buf, sizeof(buf)));
		fuzz_texts_add(tx, dbh_conninfo_target(&ci, buf, small));
		/* A server message that echoes the whole input, scrubbed
		 * of what the parse registered. */
		snprintf(msg, sizeof(msg),
			 "connection to server failed: FATAL:  password "
			 "authentication failed for \"%s\"\n",
			 url);
		dbh_secrets_scrub(msg);
		fuzz_texts_add(tx, msg);
		/* libpq's own complaint about the string it was given. */
		snprintf(msg, sizeof(msg), "invalid connection option \"%s\"\n",
			 url);
		dbh_url_scrub_libpq(buf, sizeof(buf), msg, url, url);
		fuzz_texts_add(tx, buf);
		dbh_url_scrub_libpq(buf, small, msg, url, url);
		fuzz_texts_add(tx, buf);
		/* The second release must be harmless too (url.h). */
		dbh_conninfo_release(&ci);
		dbh_conninfo_release(&ci);
	} else {
		if (err.code == 0 || !err.message[0])
			fuzz_fail("dbh_url_parse failed without a message",
				  err.message);
		fuzz_texts_add(tx, err.message);
		fuzz_texts_add(tx, err.detail);
		fuzz_texts_add(tx, err.hint);
		dbh_conninfo_release(&ci);
	}
	dbh_secrets_forget();
}

/* Builds the input of `shape` around password `pw`. */
static char *build(int shape, const char *a, size_t alen, const char *b,
		   const char *pw)
{
	char *s = NULL;

	switch (shape) {
	case 1:
		if (asprintf(&s, "postgresql://%.*s:%s@%s", (int)alen, a, pw,
			     b) < 0)
			s = NULL;
		break;
	case 2:
	case 3:
		if (asprintf(&s, "postgresql://%.*s%cpassword=%s&%s", (int)alen,
			     a, shape == 2 ? '?' : '&', pw, b) < 0)
			s = NULL;
		break;
	default:
		if (asprintf(&s, "%.*s password=%s %s", (int)alen, a, pw, b) <
		    0)
			s = NULL;
		break;
	}
	return s;
}

/* Keeps only the bytes of `a` that leave the password where the shape
 * puts it: the part before it must not end the userinfo or the query
 * (shape 1, 2, 3), nor open a quote or leave a key waiting for its value
 * (shape 4). */
static size_t confine(int shape, char *a, size_t alen)
{
	const char *drop = shape == 1	? "/?#@"
			   : shape == 2 ? "?#"
			   : shape == 3 ? "#"
					: "'\\";
	size_t j = 0;

	for (size_t i = 0; i < alen; i++)
		if (!strchr(drop, a[i]))
			a[j++] = a[i];
	/* A "scheme://" makes it a URL, not key=value text. */
	if (shape == 4)
		for (size_t i = 0; i + 2 < j; i++)
			if (a[i] == ':' && a[i + 1] == '/' && a[i + 2] == '/')
				a[i] = '_';
	/* "host = password=X": libpq reads password=X as host's value. */
	while (shape == 4 && j > 0 && strchr(" \t\n\r\f\v=", a[j - 1]))
		j--;
	a[j] = '\0';
	return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FUZZ_MAX_INPUT + 1];
	struct fuzz_texts t1 = {{0}, 0}, t2 = {{0}, 0};
	int shape;
	size_t len, split, small, alen;
	char *a, *b, *u1, *u2;

	if (size < 2)
		return 0;
	shape = data[0] % 5;
	small = 1 + data[0] / 5 % 48;
	len = size - 2 > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : size - 2;
	memcpy(text, data + 2, len);
	fuzz_strip(text, &len, PW1);
	fuzz_strip(text, &len, PW2);
	if (shape == 0) {
		run(text, small, &t1);
		fuzz_texts_release(&t1);
		return 0;
	}
	split = len ? data[1] % (len + 1) : 0;
	a = strndup(text, split);
	b = text + split;
	if (!a)
		return 0;
	alen = confine(shape, a, split);
	if (shape == 3 && !memchr(a, '?', alen)) {
		/* "&password" needs a query before it. */
		free(a);
		return 0;
	}
	u1 = build(shape, a, alen, b, PW1);
	u2 = build(shape, a, alen, b, PW2);
	if (u1 && u2) {
		run(u1, small, &t1);
		run(u2, small, &t2);
		if (t1.n != t2.n)
			fuzz_fail("the two passwords gave different texts", "");
		for (size_t i = 0; i < t1.n; i++)
			for (size_t k = 0; k + PIECE <= strlen(PW1); k++)
				if (fuzz_count(t1.t[i], &PW1[k], PIECE) >
				    fuzz_count(t2.t[i], &PW1[k], PIECE))
					fuzz_fail("the password shows in a "
						  "printable text",
						  t1.t[i]);
	}
	fuzz_texts_release(&t1);
	fuzz_texts_release(&t2);
	free(u1);
	free(u2);
	free(a);
	return 0;
}
