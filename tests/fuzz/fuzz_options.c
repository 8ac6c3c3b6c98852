/* fuzz_options.c - the option parser of both programs (options.h), with
 * the real command tables of commands.c.
 *
 * Input: byte 0 picks the program (dbhook or vercel-build) and byte 1
 * which words carry a secret; the rest, split at NUL bytes, is argv. Every
 * word that is not an option name (a value, a command, a stray argument,
 * the value after '=' of --name=VALUE) may get a secret appended; no error
 * text may then show it. As in fuzz_url.c the check is differential: the
 * same argv with two secrets of the same shape, and a 6-byte piece of the
 * first may not appear more often than with the second (the text of the
 * other words may spell one out). Neither secret starts with a character
 * a number could continue with (hex digits, e, i, n, p, x), so a value
 * such as --timeout=5SECRET is refused alike with either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/error.h"
#include "dbhook/options.h"
#include "fuzz.h"

/* The command tables are private to commands.c: this target compiles that
 * file in (its main renamed away), so it fuzzes exactly the tables both
 * programs use rather than a copy that could drift. */
#define dbh_main fuzz_unused_dbh_main
#include "../../build-hook/commands.c"
#undef dbh_main

#define SECRET1 "Kq9Gv2Lm7Wz4"
#define SECRET2 "Ju3Hk8Tr5Yo6"
#define PIECE 6
#define MAX_WORDS 64

struct result {
	enum dbh_parsed what;
	struct dbh_error err;
};

/* Parses the words with `secret` added to the marked ones. */
static void parse(const struct dbh_program *prog, char **words, int n,
		  unsigned mask, const char *secret, struct result *r)
{
	char *argv[MAX_WORDS + 2];
	const struct dbh_command *cmd = NULL;
	struct dbh_opts o;
	size_t sl = strlen(secret);

	argv[0] = (char *)prog->name;
	for (int i = 0; i < n; i++) {
		const char *w = words[i], *eq = strchr(w, '=');
		size_t wl = strlen(w), at = wl;
		char *m;

		/* Option names stay: messages may name them. */
		if (!(mask >> (i % 8) & 1) || (w[0] == '-' && !eq)) {
			argv[i + 1] = strdup(w);
			continue;
		}
		if (w[0] == '-')
			at = (size_t)(eq - w) + 1;
		m = malloc(wl + sl + 1);
		if (m) {
			memcpy(m, w, at);
			memcpy(m + at, secret, sl);
			memcpy(m + at + sl, w + at, wl - at + 1);
		}
		argv[i + 1] = m;
	}
	argv[n + 1] = NULL;
	for (int i = 1; i <= n; i++)
		if (!argv[i])
			argv[i] = strdup("");
	dbh_error_clear(&r->err);
	r->what = dbh_options_parse(prog, n + 1, argv, &cmd, &o, &r->err);
	if (r->what == DBH_PARSED_ERROR &&
	    (r->err.code != DBH_EUSAGE || !r->err.message[0]))
		fuzz_fail("a parse error without a usage message",
			  r->err.message);
	if (r->what == DBH_PARSED_RUN && !cmd)
		fuzz_fail("run without a command", "");
	for (int i = 1; i <= n; i++)
		free(argv[i]);
}

static void check(const char *t1, const char *t2)
{
	for (size_t k = 0; k + PIECE <= strlen(SECRET1); k++)
		if (fuzz_count(t1, &SECRET1[k], PIECE) >
		    fuzz_count(t2, &SECRET1[k], PIECE))
			fuzz_fail("a secret word shows in the error", t1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FUZZ_MAX_INPUT + 1];
	char *words[MAX_WORDS];
	const struct dbh_program *prog;
	struct result r1, r2;
	unsigned mask;
	size_t len;
	int n = 0;

	if (size < 2)
		return 0;
	prog = data[0] & 1 ? &hook_program : &dbhook_program;
	mask = data[1];
	len = size - 2 > FUZZ_MAX_INPUT ? FUZZ_MAX_INPUT : size - 2;
	memcpy(text, data + 2, len);
	text[len] = '\0';
	/* NUL bytes split the words: strip the secrets word by word. */
	for (size_t i = 0; i <= len && n < MAX_WORDS;) {
		size_t wl = strlen(text + i);

		words[n] = strndup(text + i, wl);
		if (!words[n])
			break;
		wl = strlen(words[n]);
		fuzz_strip(words[n], &wl, SECRET1);
		fuzz_strip(words[n], &wl, SECRET2);
		n++;
		i += strlen(text + i) + 1;
		if (i > len)
			break;
	}
	/* An empty input is argv with no word at all. */
	if (n == 1 && len == 0) {
		free(words[0]);
		n = 0;
	}
	parse(prog, words, n, mask, SECRET1, &r1);
	parse(prog, words, n, mask, SECRET2, &r2);
	if (r1.what != r2.what)
		fuzz_fail("the secret changed what the parser decided", "");
	check(r1.err.message, r2.err.message);
	check(r1.err.detail, r2.err.detail);
	check(r1.err.hint, r2.err.hint);
	for (int i = 0; i < n; i++)
		free(words[i]);
	return 0;
}
