/* secrets.c - the registry of secrets and the redaction of URL text (see
 * secrets.h). */
#include "dbhook/secrets.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/wipe.h"

#define WS " \t\r\n\f\v"
#define MASK "***"
#define SHOWN_MAX 160 /* characters of a redacted URL in a message */

/* ---- the registry ---- */

static struct dbh_secret_list reg;

void dbh_secret_list_add(struct dbh_secret_list *l, const char *s, size_t n)
{
	char **v, *copy;
	size_t i;

	if (!s || n < DBH_SECRET_MIN)
		return;
	for (i = 0; i < l->n; i++)
		if (strlen(l->s[i]) == n && memcmp(l->s[i], s, n) == 0)
			return;
	copy = dbh_xstrndup(s, n);
	v = dbh_xrealloc(l->s, l->n + 1, sizeof(*v));
	l->s = v;
	for (i = l->n; i > 0 && strlen(v[i - 1]) < n; i--)
		v[i] = v[i - 1];
	v[i] = copy;
	l->n++;
}

/* Every byte of `text` inside any occurrence of any secret is hidden
 * first, and each run of hidden bytes then becomes "***" (fewer stars for
 * a shorter run), so the text never grows. Marking before replacing
 * matters when secrets overlap: replacing one at a time, the longest
 * first, would cut a second one apart and leave its middle shown. */
void dbh_secret_list_scrub(const struct dbh_secret_list *l, char *text)
{
	size_t len, i = 0, o = 0;
	unsigned char *hide;

	if (!text || !l->n)
		return;
	len = strlen(text);
	hide = dbh_xcalloc(len + 1, 1);
	for (size_t k = 0; k < l->n; k++) {
		size_t n = strlen(l->s[k]);
		const char *hit;

		for (const char *p = text; n && (hit = strstr(p, l->s[k]));
		     p = hit + 1)
			memset(hide + (hit - text), 1, n);
	}
	while (i < len) {
		size_t run = 0;

		if (!hide[i]) {
			text[o++] = text[i++];
			continue;
		}
		while (i < len && hide[i]) {
			i++;
			run++;
		}
		run = run < strlen(MASK) ? run : strlen(MASK);
		memset(text + o, '*', run);
		o += run;
	}
	text[o] = '\0';
	free(hide);
}

void dbh_secret_list_wipe(struct dbh_secret_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		dbh_wipe_free(l->s[i]);
	free(l->s);
	l->s = NULL;
	l->n = 0;
}

void dbh_secrets_add(const char *s, size_t n)
{
	dbh_secret_list_add(&reg, s, n);
}

void dbh_secrets_scrub(char *text)
{
	dbh_secret_list_scrub(&reg, text);
}

void dbh_secrets_forget(void)
{
	dbh_secret_list_wipe(&reg);
}

void dbh_secrets_copy(char *dst, size_t dstsz, const char *src)
{
	char text[8192];
	size_t n;

	if (dstsz == 0)
		return;
	n = strlen(src ? src : "");
	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, src ? src : "", n);
	text[n] = '\0';
	dbh_secrets_scrub(text);
	n = strlen(text);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, text, n);
	dst[n] = '\0';
	dbh_secret_wipe(text, sizeof(text));
}

void dbh_secrets_scrub_json(cJSON *item)
{
	for (; item; item = item->next) {
		if (item->string)
			dbh_secrets_scrub(item->string);
		if (cJSON_IsString(item))
			dbh_secrets_scrub(item->valuestring);
		dbh_secrets_scrub_json(item->child);
	}
}

/* ---- where the secrets are: shared by redaction and error scrubbing ----
 *
 * Both work on spans of the input that must not be shown. The rules are
 * deliberately wider than libpq's parser: a password may hold an unencoded
 * "@", "/", "?" or a space, and an input that is not well formed is exactly
 * the one that ends up in an error message.
 */

#define MAX_SPANS 16

struct spans {
	size_t n;
	size_t start[MAX_SPANS], end[MAX_SPANS]; /* end may be SIZE_MAX */
};

static void span_add(struct spans *sp, size_t start, size_t end)
{
	if (end <= start)
		return;
	if (sp->n == MAX_SPANS) {
		/* Out of room: hide everything from here on, not less. */
		size_t last = MAX_SPANS - 1;

		if (start < sp->start[last])
			sp->start[last] = start;
		sp->end[last] = SIZE_MAX;
		return;
	}
	sp->start[sp->n] = start;
	sp->end[sp->n] = end;
	sp->n++;
}

static int span_covers(const struct spans *sp, size_t i)
{
	for (size_t k = 0; k < sp->n; k++)
		if (i >= sp->start[k] && i < sp->end[k])
			return 1;
	return 0;
}

static int span_overlaps(const struct spans *sp, size_t start, size_t end)
{
	for (size_t k = 0; k < sp->n; k++)
		if (start < sp->end[k] && sp->start[k] < end)
			return 1;
	return 0;
}

/* Length of "scheme://" at the start of `s` (RFC 3986 scheme characters),
 * or 0. */
size_t dbh_url_scheme_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
	       s[n] == '.')
		n++;
	return strncmp(s + n, "://", 3) == 0 ? n + 3 : 0;
}

/* Whether a key may hold a secret, for hiding: any name with "pass",
 * "secret", "token" or "key" in it (password, sslpassword, Accelerate's
 * api_key; a file name in sslkey or passfile is hidden for nothing). In a
 * URL a key holding "%" may decode to "password", and decoding is libpq's
 * job, so it counts as one too. */
static int secret_key(const char *k, size_t n, int in_url)
{
	static const char *const words[] = {"pass", "secret", "token", "key"};
	char low[32];
	size_t i;

	if (in_url && memchr(k, '%', n))
		return 1;
	if (n >= sizeof(low))
		return 1; /* an odd name: hide more, not less */
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	low[n] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

int dbh_kv_next(const char **pos, struct dbh_kv_tok *t)
{
	const char *p = *pos + strspn(*pos, WS);
	const char *q;

	memset(t, 0, sizeof(*t));
	if (!*p)
		return 0;
	t->key = p;
	while (*p && !isspace((unsigned char)*p) && *p != '=')
		p++;
	t->klen = (size_t)(p - t->key);
	q = p + strspn(p, WS);
	if (*q != '=') {
		t->end = p;
		*pos = p;
		return 1;
	}
	t->has_eq = 1;
	p = q + 1;
	p += strspn(p, WS);
	t->vtok = p;
	if (*p == '\'') {
		t->val = ++p;
		while (*p && *p != '\'') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		t->vlen = (size_t)(p - t->val);
		if (*p)
			p++;
	} else {
		t->val = p;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		t->vlen = (size_t)(p - t->val);
	}
	t->end = p;
	*pos = p;
	return 1;
}

/* Whether `p` starts a `keyword =` token. */
static int looks_like_key(const char *p)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n > 0 && p[n + strspn(p + n, WS)] == '=';
}

static void url_spans(const char *base, const char *rest, struct spans *sp)
{
	const char *at = strrchr(rest, '@');
	const char *k;
	size_t klen;

	/* The password runs from the first ":" to the LAST "@": whatever an
	 * unencoded "@", "/" or "?" in it does to the parser, nothing of it
	 * is left out. A query value holding "@" only hides more. */
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		if (colon)
			span_add(sp, (size_t)(colon + 1 - base),
				 (size_t)(at - base));
	}
	/* A password= query parameter hides the rest of the URL: its value
	 * may hold an unencoded "&", so where it ends is a guess. */
	for (k = rest; *k; k++) {
		if (*k != '?' && *k != '&')
			continue;
		klen = strcspn(k + 1, "=&");
		if (k[1 + klen] == '=' && secret_key(k + 1, klen, 1)) {
			span_add(sp, (size_t)(k + 2 + klen - base), SIZE_MAX);
			break;
		}
	}
	/* A key=value word after a space ("mysql://u password=...", a URL
	 * followed by more words): libpq never reads it, yet it is shown. */
	for (k = rest; *k; k++) {
		if (!isspace((unsigned char)*k))
			continue;
		klen = strcspn(k + 1, "=" WS);
		if (k[1 + klen] == '=' && secret_key(k + 1, klen, 0)) {
			span_add(sp, (size_t)(k + 2 + klen - base), SIZE_MAX);
			break;
		}
	}
}

static void kv_spans(const char *base, const char *p, struct spans *sp)
{
	const char *pos = p, *colon, *at, *e, *t;
	struct dbh_kv_tok tok;

	while (dbh_kv_next(&pos, &tok)) {
		if (!tok.has_eq || !secret_key(tok.key, tok.klen, 0))
			continue;
		/* `password=my secret` gives libpq "my" and then the stray
		 * token "secret": words up to the next `key=` belong to the
		 * password as far as hiding goes. */
		e = tok.end;
		for (;;) {
			t = e + strspn(e, WS);
			if (!*t || looks_like_key(t))
				break;
			e = t + strcspn(t, WS);
		}
		span_add(sp, (size_t)(tok.vtok - base), (size_t)(e - base));
		pos = e;
	}
	/* Not a URL, yet "x:y@z": a URL without its scheme, a quoted URL,
	 * a URL inside a value. Hide as if it were one. */
	colon = strchr(p, ':');
	at = strrchr(p, '@');
	if (colon && at && colon < at)
		span_add(sp, (size_t)(colon + 1 - base), (size_t)(at - base));
}

static void find_spans(const char *s, struct spans *sp)
{
	const char *p = s + strspn(s, WS);
	size_t sl = dbh_url_scheme_len(p);

	sp->n = 0;
	if (sl)
		url_spans(s, p + sl, sp);
	else
		kv_spans(s, p, sp);
}

/* Where a hidden value could end in another reading of the text: a query's
 * "&", the user info's "@", a path, a quote, white space. */
#define VALUE_END "&@/?#'\" \t\r\n\f\v"

/* Whether the span at `a` is the value of a user info's password or of a
 * key that names a secret, not a span hidden only to be safe. */
static int is_password_value(const char *s, size_t a)
{
	size_t k = a - 1;

	if (a == 0 || (s[k] != ':' && s[k] != '='))
		return 0;
	if (s[k] == ':')
		return 1;
	while (k > 0 && !strchr("?& \t\r\n\f\v", s[k - 1]))
		k--;
	return secret_key(s + k, a - 1 - k, 0);
}

void dbh_secrets_add_hidden(const char *s)
{
	struct spans sp;
	size_t len = strlen(s), k;

	find_spans(s, &sp);
	for (k = 0; k < sp.n; k++) {
		size_t a = sp.start[k], b = sp.end[k] < len ? sp.end[k] : len;

		if (a >= b)
			continue;
		dbh_secrets_add(s + a, b - a);
		/* The value as a server or libpq may echo it, cut at the
		 * first character that ends it there: scrubbing that start
		 * also hides every longer echo. Only for a real password:
		 * a span hidden to be safe ("sslm%6Fde=require") would
		 * make a word like "require" a secret everywhere. */
		if (is_password_value(s, a))
			dbh_secrets_add(s + a, strcspn(s + a, VALUE_END) < b - a
						   ? strcspn(s + a, VALUE_END)
						   : b - a);
	}
}

/* Writes `s` with its spans replaced by "***"; returns the full length, as
 * snprintf does, so a caller can size a buffer. */
static size_t redact_spans(const char *s, const struct spans *sp, char *out,
			   size_t outsz)
{
	size_t len = 0, i, k;
	int hidden = 0;

	for (i = 0; s[i]; i++) {
		const char *piece = s + i;
		size_t n = 1;

		if (span_covers(sp, i)) {
			if (hidden)
				continue;
			hidden = 1;
			piece = MASK;
			n = strlen(MASK);
		} else {
			hidden = 0;
		}
		for (k = 0; k < n; k++, len++)
			if (out && len + 1 < outsz)
				out[len] = piece[k];
	}
	if (out && outsz)
		out[len < outsz ? len : outsz - 1] = '\0';
	return len;
}

char *dbh_url_redact(const char *url, char *out, size_t outsz)
{
	struct spans sp;

	if (!out || !outsz)
		return out;
	if (!url) {
		out[0] = '\0';
		return out;
	}
	find_spans(url, &sp);
	redact_spans(url, &sp, out, outsz);
	return out;
}

char *dbh_url_redact_dup(const char *s)
{
	struct spans sp;
	size_t n;
	char *out;

	find_spans(s, &sp);
	n = redact_spans(s, &sp, NULL, 0);
	out = dbh_xmalloc(n + 1);
	redact_spans(s, &sp, out, n + 1);
	return out;
}

/* The redacted input, cut to a length that fits a one-line message. */
const char *dbh_url_shown(const char *s, char *buf, size_t bufsz)
{
	char tmp[SHOWN_MAX + 1];
	struct spans sp;
	size_t n;

	find_spans(s, &sp);
	n = redact_spans(s, &sp, tmp, sizeof(tmp));
	if (n >= sizeof(tmp))
		memcpy(tmp + sizeof(tmp) - 4, "...", 4);
	snprintf(buf, bufsz, "%s", tmp);
	return buf;
}

/* Replaces every `from` in `b` with `to`. */
static void sb_replace(struct dbh_wbuf *b, const char *from, const char *to)
{
	struct dbh_wbuf o = {0};
	size_t flen = strlen(from);
	const char *p, *hit;

	if (!flen || !b->p || !strstr(b->p, from))
		return;
	for (p = b->p; (hit = strstr(p, from)); p = hit + flen) {
		dbh_wbuf_addn(&o, p, (size_t)(hit - p));
		dbh_wbuf_adds(&o, to);
	}
	dbh_wbuf_adds(&o, p);
	dbh_wbuf_wipe(b);
	*b = o;
}

/* Whether the quoted text `t` of a libpq message may be shown: it must be
 * a piece of the input that lies wholly outside the secret spans. */
static int quote_is_safe(const char *t, size_t n, const char *src,
			 const struct spans *sp)
{
	const char *p, *hit;
	int found = 0;

	if (n == 0 || (n == 1 && strchr("=:/[]@,\001", t[0])))
		return 1; /* libpq's syntax characters, the whole input */
	if (memchr(t, '\001', n) || memmem(t, n, MASK, strlen(MASK)))
		return 0;
	for (p = src; (hit = memmem(p, strlen(p), t, n)); p = hit + 1) {
		found = 1;
		if (span_overlaps(sp, (size_t)(hit - src),
				  (size_t)(hit - src) + n))
			return 0;
	}
	return found;
}

/* libpq's parse errors echo what they choke on: a token ("invalid
 * percent-encoded token: \"p%zzw\"", that is the password), a stray word
 * of a key=value string, or the whole URI. Only text that is provably not
 * secret is kept: the whole string becomes its redacted form, the secret
 * spans and raw passwords become "***", and every quoted piece that is not
 * found outside the spans is hidden too. */
void dbh_url_scrub_libpq(char *dst, size_t dstsz, const char *msg,
			 const char *input, const char *lib)
{
	struct spans lsp;
	struct dbh_wbuf b = {0}, o = {0};
	char *red = NULL;
	const char *p, *q, *close;
	size_t i;

	find_spans(lib, &lsp);
	dbh_wbuf_adds(&b, msg ? msg : "");
	/* A placeholder for the whole string first, so that the next step
	 * cannot cut it into pieces. */
	sb_replace(&b, lib, "\001");
	sb_replace(&b, input, "\001");
	for (i = 0; i < reg.n; i++)
		sb_replace(&b, reg.s[i], MASK);
	for (i = 0; i < lsp.n; i++) {
		size_t end = lsp.end[i] == SIZE_MAX ? strlen(lib) : lsp.end[i];
		struct dbh_wbuf piece = {0};

		dbh_wbuf_addn(&piece, lib + lsp.start[i], end - lsp.start[i]);
		if (piece.p)
			sb_replace(&b, piece.p, MASK);
		dbh_wbuf_wipe(&piece);
	}
	for (p = b.p ? b.p : ""; *p; p = close + 1) {
		q = strchr(p, '"');
		if (!q) {
			dbh_wbuf_adds(&o, p);
			break;
		}
		dbh_wbuf_addn(&o, p, (size_t)(q + 1 - p));
		close = strchr(q + 1, '"');
		if (!close)
			close = q + 1 + strlen(q + 1);
		if (quote_is_safe(q + 1, (size_t)(close - q - 1), lib, &lsp))
			dbh_wbuf_addn(&o, q + 1, (size_t)(close - q - 1));
		else
			dbh_wbuf_adds(&o, MASK);
		if (!*close)
			break;
		dbh_wbuf_adds(&o, "\"");
	}
	dbh_wbuf_wipe(&b);
	red = dbh_url_redact_dup(input);
	if (o.p && red)
		sb_replace(&o, "\001", red);
	free(red);
	while (o.len && (o.p[o.len - 1] == '\n' || o.p[o.len - 1] == ' '))
		o.p[--o.len] = '\0';
	if (!o.p || strchr(o.p, '\001'))
		snprintf(dst, dstsz, "libpq could not read it.");
	else
		snprintf(dst, dstsz, "%s", o.p);
	dbh_wbuf_wipe(&o);
}
