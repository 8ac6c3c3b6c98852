/* fuzz.h - helpers shared by the libFuzzer targets of tests/fuzz.
 *
 * Header-only (every target is one translation unit): the checks that turn
 * a wrong answer into a crash libFuzzer reports and saves, since a leak of
 * a secret into a message is a bug no sanitizer sees.
 */
#ifndef DBHOOK_FUZZ_H
#define DBHOOK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are cut: the parsers' interesting states are
 * all reachable in a few kilobytes, and long inputs only slow the run. */
#define FUZZ_MAX_INPUT 8192

/* Stops the run with `why` (and the text that failed, made printable)
 * so the crash report says which oracle fired. */
static inline void fuzz_fail(const char *why, const char *text)
{
	fprintf(stderr, "\nFUZZ ORACLE: %s\n  text: \"", why);
	for (const char *p = text ? text : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs("\"\n", stderr);
	abort();
}

/* Occurrences of the `n` bytes at `needle` in `text`. */
static inline size_t fuzz_count(const char *text, const char *needle, size_t n)
{
	size_t count = 0, len = strlen(text);

	for (size_t i = 0; i + n <= len; i++)
		count += memcmp(text + i, needle, n) == 0;
	return count;
}

/* Removes every `word` from the `*len` bytes at `buf`, again until none
 * is left (a removal can join two halves into a new one); NUL bytes stay
 * (counted bytes, such as an HTTP answer). */
static inline void fuzz_strip_word(char *buf, size_t *len, const char *word)
{
	size_t wl = strlen(word), n = *len;
	int again = 1;

	while (again && wl) {
		again = 0;
		for (size_t i = 0; i + wl <= n;) {
			if (memcmp(buf + i, word, wl) == 0) {
				memmove(buf + i, buf + i + wl, n - i - wl);
				n -= wl;
				again = 1;
			} else {
				i++;
			}
		}
	}
	*len = n;
}

/* The same for text: NUL bytes are dropped first, and the result is
 * NUL-terminated (`buf` holds *len + 1 bytes). */
static inline void fuzz_strip(char *buf, size_t *len, const char *word)
{
	size_t n = *len, j = 0;

	for (size_t i = 0; i < n; i++)
		if (buf[i] != '\0')
			buf[j++] = buf[i];
	fuzz_strip_word(buf, &j, word);
	*len = j;
	buf[j] = '\0';
}

/* Every text a program could print about one input, collected for an
 * oracle that compares two runs. */
struct fuzz_texts {
	char *t[64];
	size_t n;
};

static inline void fuzz_texts_add(struct fuzz_texts *tx, const char *s)
{
	if (tx->n < sizeof(tx->t) / sizeof(*tx->t))
		tx->t[tx->n++] = strdup(s ? s : "");
}

static inline void fuzz_texts_release(struct fuzz_texts *tx)
{
	for (size_t i = 0; i < tx->n; i++)
		free(tx->t[i]);
	tx->n = 0;
}

/* Byte offset of the first invalid UTF-8 sequence in `s`, or -1. The same
 * rules as dbh_utf8_invalid_at, written again so a target can check the
 * library against it. */
static inline long fuzz_utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		if (i + n >= len)
			return (long)i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

#endif
