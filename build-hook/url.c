/* url.c - database URLs: parsing, Prisma parameters, redaction.
 *
 * libpq does the parsing (PQconninfoParse): URIs, percent-decoding, IPv6
 * hosts, host lists and key=value strings. This file only prepares the
 * input libpq would refuse (Prisma's query parameters, an unencoded "@" in
 * the password, an upper-case scheme), and makes sure no password reaches a
 * message: every printed URL goes through dbh_url_redact, every libpq
 * message through scrub_libpq_message.
 */
#include "dbhook/url.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "dbhook/vault.h"

#define WS " \t\r\n\f\v"
#define MASK "***"
#define URL_FORM "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
#define PCT_HINT                                                               \
	"Percent-encode special characters in the user name and password: "    \
	"\"@\" as %40, \":\" as %3A, \"/\" as %2F, \"%\" as %25, "             \
	"\"#\" as %23, \"?\" as %3F."
#define SHOWN_MAX 160 /* characters of a redacted URL in a message */

/* ---- a growing string that wipes what it drops ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		/* Not realloc: the old block may hold a password and must be
		 * wiped, which realloc would not do. */
		np = malloc(cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		if (b->p) {
			memcpy(np, b->p, b->len);
			dbh_secret_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_adds(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void sb_wipe(struct sbuf *b)
{
	if (b->p) {
		dbh_secret_wipe(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

static void wipe_free(char *s)
{
	if (s) {
		dbh_secret_wipe(s, strlen(s));
		free(s);
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
static size_t scheme_len(const char *s)
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

/* One token of a key=value string, cut the way libpq's
 * parse_connection_string cuts it. */
struct kv_tok {
	const char *key;
	size_t klen;
	int has_eq;
	const char *vtok; /* the value as written, quotes included */
	const char *val;  /* inside the quotes, escapes still in */
	size_t vlen;
	const char *end; /* just after the token */
};

static int kv_next(const char **pos, struct kv_tok *t)
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
}

static void kv_spans(const char *base, const char *p, struct spans *sp)
{
	const char *pos = p, *colon, *at, *e, *t;
	struct kv_tok tok;

	while (kv_next(&pos, &tok)) {
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
	size_t sl = scheme_len(p);

	sp->n = 0;
	if (sl)
		url_spans(s, p + sl, sp);
	else
		kv_spans(s, p, sp);
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

static char *redact_dup(const char *s)
{
	struct spans sp;
	size_t n;
	char *out;

	find_spans(s, &sp);
	n = redact_spans(s, &sp, NULL, 0);
	out = malloc(n + 1);
	if (out)
		redact_spans(s, &sp, out, n + 1);
	return out;
}

/* The redacted input, cut to a length that fits a one-line message. */
static const char *shown(const char *s, char *buf, size_t bufsz)
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

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int fail(struct dbh_error *err,
						      const char *input,
						      const char *hint,
						      const char *fmt, ...)
{
	char buf[SHOWN_MAX + 8];

	dbh_error_set(err, DBH_EUSAGE, "invalid database URL \"%s\"",
		      shown(input, buf, sizeof(buf)));
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
		va_end(ap);
	}
	if (hint)
		snprintf(err->hint, sizeof(err->hint), "%s", hint);
	return DBH_EUSAGE;
}

/* For input whose secrets cannot be told apart with confidence: nothing
 * of it is shown, only what is wrong and how to write it. */
static int fail_unshown(struct dbh_error *err, const char *hint,
			const char *detail)
{
	dbh_error_set(err, DBH_EUSAGE,
		      "the database URL could not be read (its text is not "
		      "shown: it may hold the password)");
	if (detail)
		snprintf(err->detail, sizeof(err->detail), "%s", detail);
	if (hint)
		snprintf(err->hint, sizeof(err->hint), "%s", hint);
	return DBH_EUSAGE;
}

static int fail_oom(struct dbh_error *err)
{
	return dbh_error_set(err, DBH_EUSAGE,
			     "out of memory while reading the database URL");
}

/* Replaces every `from` in `b` with `to`. */
static void sb_replace(struct sbuf *b, const char *from, const char *to)
{
	struct sbuf o = {0};
	size_t flen = strlen(from);
	const char *p, *hit;

	if (!flen || !b->p || !strstr(b->p, from))
		return;
	for (p = b->p; (hit = strstr(p, from)); p = hit + flen) {
		sb_addn(&o, p, (size_t)(hit - p));
		sb_adds(&o, to);
	}
	sb_adds(&o, p);
	if (o.oom) {
		/* Cannot rewrite: show nothing rather than the secret. */
		sb_wipe(&o);
		b->len = 0;
		b->p[0] = '\0';
		return;
	}
	sb_wipe(b);
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
static void scrub_libpq_message(char *dst, size_t dstsz, const char *msg,
				const char *input, const char *lib,
				char *const *secrets, size_t nsecrets)
{
	struct spans lsp;
	struct sbuf b = {0}, o = {0};
	char *red = NULL;
	const char *p, *q, *close;
	size_t i;

	find_spans(lib, &lsp);
	sb_adds(&b, msg ? msg : "out of memory");
	/* A placeholder for the whole string first, so that the next step
	 * cannot cut it into pieces. */
	sb_replace(&b, lib, "\001");
	sb_replace(&b, input, "\001");
	for (i = 0; i < nsecrets; i++)
		sb_replace(&b, secrets[i], MASK);
	for (i = 0; i < lsp.n; i++) {
		size_t end = lsp.end[i] == SIZE_MAX ? strlen(lib) : lsp.end[i];
		struct sbuf piece = {0};

		sb_addn(&piece, lib + lsp.start[i], end - lsp.start[i]);
		if (piece.p)
			sb_replace(&b, piece.p, MASK);
		sb_wipe(&piece);
	}
	for (p = b.p ? b.p : ""; *p; p = close + 1) {
		q = strchr(p, '"');
		if (!q) {
			sb_adds(&o, p);
			break;
		}
		sb_addn(&o, p, (size_t)(q + 1 - p));
		close = strchr(q + 1, '"');
		if (!close)
			close = q + 1 + strlen(q + 1);
		if (quote_is_safe(q + 1, (size_t)(close - q - 1), lib, &lsp))
			sb_addn(&o, q + 1, (size_t)(close - q - 1));
		else
			sb_adds(&o, MASK);
		if (!*close)
			break;
		sb_adds(&o, "\"");
	}
	if (b.oom)
		o.oom = 1;
	sb_wipe(&b);
	red = redact_dup(input);
	if (o.p && red)
		sb_replace(&o, "\001", red);
	free(red);
	while (o.len && (o.p[o.len - 1] == '\n' || o.p[o.len - 1] == ' '))
		o.p[--o.len] = '\0';
	if (o.oom || !o.p || strchr(o.p, '\001'))
		snprintf(dst, dstsz, "libpq could not read it.");
	else
		snprintf(dst, dstsz, "%s", o.p);
	sb_wipe(&o);
}

/* ---- the result ---- */

__attribute__((format(printf, 3, 4))) static int
add_note(struct dbh_conninfo *ci, int warn, const char *fmt, ...)
{
	char line[256];
	char **notes;
	int *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	notes = realloc(ci->notes, (ci->nnotes + 1) * sizeof(*notes));
	if (!notes)
		return -1;
	ci->notes = notes;
	w = realloc(ci->warn, (ci->nnotes + 1) * sizeof(*w));
	if (!w)
		return -1;
	ci->warn = w;
	notes[ci->nnotes] = strdup(line);
	if (!notes[ci->nnotes])
		return -1;
	w[ci->nnotes++] = warn;
	return 0;
}

/* Keeps a spelling of a secret for dbh_conninfo_scrub, longest first so
 * that a shorter one never cuts a longer one apart. */
static int add_secret(struct dbh_conninfo *ci, const char *s, size_t n)
{
	char **v;
	char *copy;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < ci->nsecrets; i++)
		if (strlen(ci->secrets[i]) == n &&
		    memcmp(ci->secrets[i], s, n) == 0)
			return 0;
	copy = strndup(s, n);
	if (!copy)
		return -1;
	v = realloc(ci->secrets, (ci->nsecrets + 1) * sizeof(*v));
	if (!v) {
		wipe_free(copy);
		return -1;
	}
	ci->secrets = v;
	for (i = ci->nsecrets; i > 0 && strlen(v[i - 1]) < n; i--)
		v[i] = v[i - 1];
	v[i] = copy;
	ci->nsecrets++;
	return 0;
}

static int is_secret_keyword(const char *kw)
{
	return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
}

void dbh_conninfo_release(struct dbh_conninfo *ci)
{
	size_t i;

	if (!ci)
		return;
	for (i = 0; i < ci->n; i++) {
		/* Every value, not only the password: cheaper than being
		 * wrong about which ones matter. */
		wipe_free(ci->values ? ci->values[i] : NULL);
		free(ci->keywords ? ci->keywords[i] : NULL);
	}
	free(ci->keywords);
	free(ci->values);
	for (i = 0; i < ci->nsecrets; i++)
		wipe_free(ci->secrets[i]);
	free(ci->secrets);
	for (i = 0; i < ci->nnotes; i++)
		free(ci->notes[i]);
	free(ci->notes);
	free(ci->warn);
	free(ci->schema);
	free(ci->redacted);
	memset(ci, 0, sizeof(*ci));
}

const char *dbh_conninfo_get(const struct dbh_conninfo *ci, const char *keyword)
{
	for (size_t i = 0; i < ci->n; i++)
		if (strcmp(ci->keywords[i], keyword) == 0)
			return ci->values[i];
	return NULL;
}

int dbh_conninfo_set(struct dbh_conninfo *ci, const char *keyword,
		     const char *value)
{
	char *v = strdup(value), *k;
	char **nk, **nv;
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < ci->n; i++) {
		if (strcmp(ci->keywords[i], keyword) == 0) {
			wipe_free(ci->values[i]);
			ci->values[i] = v;
			return 0;
		}
	}
	k = strdup(keyword);
	nk = realloc(ci->keywords, (ci->n + 2) * sizeof(*nk));
	if (nk)
		ci->keywords = nk;
	nv = realloc(ci->values, (ci->n + 2) * sizeof(*nv));
	if (nv)
		ci->values = nv;
	if (!k || !nk || !nv) {
		free(k);
		wipe_free(v);
		return -1;
	}
	nk[ci->n] = k;
	nv[ci->n] = v;
	ci->n++;
	nk[ci->n] = NULL;
	nv[ci->n] = NULL;
	return 0;
}

/* Replaces every `s` in `text` without growing it: "***", or fewer stars
 * for a shorter secret. */
static void scrub_one(char *text, const char *s)
{
	size_t n = strlen(s), m;
	char *p = text, *hit;

	if (!n)
		return;
	m = n < strlen(MASK) ? n : strlen(MASK);
	while ((hit = strstr(p, s))) {
		size_t tail = strlen(hit + n);

		memset(hit, '*', m);
		memmove(hit + m, hit + n, tail + 1);
		p = hit + m;
	}
}

void dbh_conninfo_scrub(const struct dbh_conninfo *ci, char *text)
{
	size_t i;

	size_t len, max = 0;

	if (!ci || !text)
		return;
	/* The current values count too: a later dbh_conninfo_set may have
	 * replaced the password the URL gave. Longest first, so that a
	 * shorter spelling never cuts a longer one apart. */
	for (i = 0; i < ci->n; i++)
		if (is_secret_keyword(ci->keywords[i]) &&
		    strlen(ci->values[i]) > max)
			max = strlen(ci->values[i]);
	if (ci->nsecrets && strlen(ci->secrets[0]) > max)
		max = strlen(ci->secrets[0]);
	/* A password of 1-3 bytes cannot be hidden in prose without
	 * garbling every word that contains its letters ("*ort 1 failed"),
	 * and protects nothing anyway: such passwords are not scrubbed. */
	for (len = max; len >= 4; len--) {
		for (i = 0; i < ci->n; i++)
			if (is_secret_keyword(ci->keywords[i]) &&
			    strlen(ci->values[i]) == len)
				scrub_one(text, ci->values[i]);
		for (i = 0; i < ci->nsecrets; i++)
			if (strlen(ci->secrets[i]) == len)
				scrub_one(text, ci->secrets[i]);
	}
}

char *dbh_conninfo_target(const struct dbh_conninfo *ci, char *out,
			  size_t outsz)
{
	const char *host = dbh_conninfo_get(ci, "host");
	const char *port = dbh_conninfo_get(ci, "port");
	size_t hlen, plen;

	if (!host || !*host || *host == ',')
		host = dbh_conninfo_get(ci, "hostaddr");
	if (!host || !*host || *host == ',')
		host = "localhost";
	hlen = strcspn(host, ",");
	if (!port || !*port || *port == ',')
		port = "5432";
	plen = strcspn(port, ",");
	if (host[0] == '/')
		snprintf(out, outsz, "%.*s", (int)hlen, host);
	else if (memchr(host, ':', hlen))
		snprintf(out, outsz, "[%.*s]:%.*s", (int)hlen, host, (int)plen,
			 port);
	else
		snprintf(out, outsz, "%.*s:%.*s", (int)hlen, host, (int)plen,
			 port);
	return out;
}

/* ---- parsing ---- */

/* The keywords libpq knows. PQconninfoParse("") lists them all, like
 * PQconndefaults() does, without reading PG* variables, the password file
 * or a service file: the list alone is wanted, not defaults. */
static PQconninfoOption *libpq_keywords(void)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse("", &msg);

	PQfreemem(msg);
	return o;
}

static int libpq_knows(const PQconninfoOption *kw, const char *key)
{
	for (; kw->keyword; kw++)
		if (strcmp(kw->keyword, key) == 0)
			return 1;
	return 0;
}

/* Appends a raw query value. libpq refuses an unencoded "=" in a value
 * (Prisma and browsers accept it, e.g. options=-c search_path=x), so "="
 * is encoded; nothing is decoded here. */
static void add_query_value(struct sbuf *b, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] == '=')
			sb_adds(b, "%3D");
		else
			sb_addn(b, v + i, 1);
	}
}

/* Percent-decodes a raw query key or value with libpq's own decoder, by
 * handing it over as the value of a keyword libpq accepts. Prisma's
 * parameters never reach libpq, yet they are encoded the same way, and a
 * second decoder written here could disagree with libpq's (on "%00", on a
 * bad "%zz"). Returns NULL when libpq refuses the encoding; *oom is set
 * when memory ran out instead. */
static char *uri_decode(const char *raw, size_t n, int *oom)
{
	struct sbuf b = {0};
	PQconninfoOption *o, *p;
	char *msg = NULL, *out = NULL;

	*oom = 0;
	sb_adds(&b, "postgresql:///?application_name=");
	add_query_value(&b, raw, n);
	if (b.oom) {
		*oom = 1;
		return NULL;
	}
	o = PQconninfoParse(b.p, &msg);
	sb_wipe(&b);
	if (!o) {
		if (!msg)
			*oom = 1;
		PQfreemem(msg);
		return NULL;
	}
	for (p = o; p->keyword; p++)
		if (strcmp(p->keyword, "application_name") == 0)
			out = strdup(p->val ? p->val : "");
	for (p = o; p->keyword; p++)
		if (p->val)
			dbh_secret_wipe(p->val, strlen(p->val));
	PQconninfoFree(o);
	if (!out)
		*oom = 1;
	return out;
}

/* Prisma's parameters that mean nothing to libpq, and why they can go. */
static const struct {
	const char *name;
	const char *why;
} prisma_dropped[] = {
    {"pgbouncer", ""},
    {"connection_limit", ": dbhook keeps no connection pool"},
    {"pool_timeout", ": dbhook keeps no connection pool"},
    {"max_connection_lifetime", ": dbhook keeps no connection pool"},
    {"max_idle_connection_lifetime", ": dbhook keeps no connection pool"},
    {"statement_cache_size", ": dbhook keeps no statement cache"},
    {"socket_timeout", ""},
    {"sslaccept", ""},
    {"sslidentity",
     ": libpq takes a PEM client certificate and key (sslcert, sslkey)"
     ", not PKCS#12"},
    {"sslpassword", ": it is the password of Prisma's sslidentity"},
};

/* A key shown in a warning must be a plain name: an odd key may be a piece
 * of a password that lost its way (an unencoded "&" or "?"). */
static int plain_name(const char *k)
{
	size_t n =
	    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-");

	return n > 0 && n <= 64 && !k[n];
}

struct query_ctx {
	struct dbh_conninfo *ci;
	const PQconninfoOption *known;
	struct sbuf out; /* the query handed to libpq, without "?" */
	const char *input;
	struct dbh_error *err;
	int after_password; /* a password= came earlier in the query */
};

static void q_add(struct query_ctx *c, const char *k, size_t klen,
		  const char *v, size_t vlen)
{
	if (c->out.len)
		sb_adds(&c->out, "&");
	sb_addn(&c->out, k, klen);
	sb_adds(&c->out, "=");
	add_query_value(&c->out, v, vlen);
}

/* One key=value of the query: kept for libpq, translated, or dropped. */
static int query_pair(struct query_ctx *c, const char *k, size_t klen,
		      const char *v, size_t vlen, int has_eq)
{
	struct dbh_conninfo *ci = c->ci;
	char *key = NULL;
	size_t i;
	int oom = 0, ret = 0;

	if (memchr(k, '%', klen))
		key = uri_decode(k, klen, &oom);
	else
		key = strndup(k, klen);
	if (!key)
		return oom ? fail_oom(c->err)
			   : fail(c->err, c->input, PCT_HINT,
				  "A query parameter name has an invalid "
				  "percent-encoding.");

	if (strcmp(key, "schema") == 0) {
		free(ci->schema);
		ci->schema = uri_decode(v, vlen, &oom);
		if (!ci->schema)
			ret = oom ? fail_oom(c->err)
				  : fail(c->err, c->input, PCT_HINT,
					 "The schema parameter has an invalid "
					 "percent-encoding.");
		else if (!*ci->schema) {
			/* Prisma would run SET search_path = "" and fail;
			 * the default schema is what was meant. */
			free(ci->schema);
			ci->schema = NULL;
			if (add_note(ci, 1,
				     "ignored an empty \"schema\" "
				     "parameter"))
				ret = fail_oom(c->err);
		}
		goto out;
	}
	if (strcmp(key, "sslcert") == 0) {
		/* Prisma's sslcert is the CA file that verifies the server;
		 * libpq's sslcert is the client certificate. */
		q_add(c, "sslrootcert", strlen("sslrootcert"), v, vlen);
		if (add_note(ci, 0,
			     "Prisma parameter \"sslcert\" (the CA "
			     "certificate) passed to libpq as "
			     "\"sslrootcert\""))
			ret = fail_oom(c->err);
		goto out;
	}
	for (i = 0; i < sizeof(prisma_dropped) / sizeof(prisma_dropped[0]);
	     i++) {
		const char *why = prisma_dropped[i].why;

		if (strcmp(key, prisma_dropped[i].name) != 0)
			continue;
		if (strcmp(key, "pgbouncer") == 0 && vlen == 4 &&
		    strncasecmp(v, "true", 4) == 0)
			ci->pgbouncer_param = 1;
		if (strcmp(key, "sslaccept") == 0)
			why = vlen == 6 && strncmp(v, "strict", 6) == 0
				  ? ": to verify the server's certificate "
				    "use sslmode=verify-full (and "
				    "sslrootcert)"
				  : ": sslmode says whether the "
				    "certificate is verified";
		if (add_note(ci, 0, "dropped Prisma parameter \"%s\"%s", key,
			     why))
			ret = fail_oom(c->err);
		goto out;
	}
	/* libpq's own keywords pass, and "ssl=true", its one JDBC alias. */
	if (libpq_knows(c->known, key) ||
	    (strcmp(key, "ssl") == 0 && vlen == 4 &&
	     strncmp(v, "true", 4) == 0)) {
		if (has_eq) {
			q_add(c, k, klen, v, vlen);
			if (is_secret_keyword(key) && add_secret(ci, v, vlen))
				ret = fail_oom(c->err);
		} else if (add_note(ci, 1,
				    "ignored parameter \"%s\" without "
				    "a value",
				    key)) {
			ret = fail_oom(c->err);
		}
		goto out;
	}
	/* Prisma discards what it does not know; so do we, but aloud. */
	if (plain_name(key))
		oom = add_note(ci, 1, "dropped unknown parameter \"%s\"", key);
	else
		oom = add_note(ci, 1,
			       "dropped an unknown parameter (its name "
			       "is not shown)");
	if (oom)
		ret = fail_oom(c->err);
out:
	wipe_free(key);
	return ret;
}

static int filter_query(struct query_ctx *c, const char *q)
{
	const char *k, *eq;
	size_t plen;
	int ret;

	for (k = q; *k; k += plen + (k[plen] == '&')) {
		plen = strcspn(k, "&");
		if (plen == 0)
			continue; /* "&&", a trailing "&": Prisma skips them */
		eq = memchr(k, '=', plen);
		if (memchr(k, '@', eq ? (size_t)(eq - k) : plen))
			return fail(c->err, c->input, PCT_HINT,
				    "An \"@\" appears in a query parameter "
				    "name; the password probably holds an "
				    "unencoded \"?\".");
		/* A word without "=" after password=...: most likely the
		 * rest of a password holding an unencoded "&". Never name
		 * it: refuse. */
		if (!eq && c->after_password)
			return fail_unshown(
			    c->err,
			    "Percent-encode every \"&\" in the password as "
			    "%26 (and \"=\" as %3D).",
			    "A query parameter without a value follows "
			    "password=: the password seems to hold an "
			    "unencoded \"&\".");
		if (eq && (size_t)(eq - k) == 8 &&
		    strncmp(k, "password", 8) == 0)
			c->after_password = 1;
		if (eq)
			ret = query_pair(c, k, (size_t)(eq - k), eq + 1,
					 plen - (size_t)(eq + 1 - k), 1);
		else
			ret = query_pair(c, k, plen, k + plen, 0, 0);
		if (ret)
			return ret;
	}
	return c->out.oom ? fail_oom(c->err) : 0;
}

/* Where the user info of `rest` (after "://") ends. libpq takes the first
 * "@" before any "/"; Prisma (a WHATWG URL parser) the last "@" of the
 * authority, so an unencoded "@" in a password works there. Take the last
 * "@" before the first "/" or "?"; without one, libpq's rule, which lets
 * a "?" live in a password. */
static const char *userinfo_end(const char *rest)
{
	size_t auth = strcspn(rest, "/?"), path = strcspn(rest, "/"), i;
	const char *at = NULL;

	for (i = 0; i < auth; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (!at)
		at = memchr(rest, '@', path);
	return at;
}

/* Copies the user info of `rest`, up to `u`, with each "@" in it encoded as
 * %40, and records the password in both spellings: either may turn up in
 * libpq's messages. Sets *extra_at when an "@" was encoded. */
static int copy_userinfo(const char *rest, const char *u,
			 struct dbh_conninfo *ci, struct sbuf *lib,
			 int *extra_at)
{
	const char *colon = memchr(rest, ':', (size_t)(u - rest));
	struct sbuf pw = {0};
	const char *p;
	int ret = 0;

	for (p = rest; p < u; p++) {
		const char *piece = *p == '@' ? "%40" : p;
		size_t n = *p == '@' ? 3 : 1;

		if (*p == '@')
			*extra_at = 1;
		sb_addn(lib, piece, n);
		if (colon && p > colon)
			sb_addn(&pw, piece, n);
	}
	if (lib->oom || pw.oom)
		ret = -1;
	else if (colon && add_secret(ci, colon + 1, (size_t)(u - colon - 1)))
		ret = -1;
	else if (pw.p && add_secret(ci, pw.p, pw.len))
		ret = -1;
	sb_wipe(&pw);
	return ret;
}

/* Turns the URL into one libpq accepts: lower-case scheme, "@" in the
 * user info encoded, the query filtered. Records the raw password. */
static int prepare_url(const char *input, size_t sl, struct dbh_conninfo *ci,
		       struct sbuf *lib, struct dbh_error *err)
{
	const char *rest = input + sl, *u, *host, *q;
	size_t hostlen;
	int ret = 0;

	u = userinfo_end(rest);
	host = u ? u + 1 : rest;
	q = strchr(host, '?');
	hostlen = q ? (size_t)(q - host) : strlen(host);
	if (memchr(host, '@', hostlen))
		return fail(err, input, PCT_HINT,
			    "An \"@\" follows the host name; the password "
			    "probably holds an unencoded \"/\" or \"@\".");

	sb_adds(lib, "postgresql://");
	if (u) {
		int extra_at = 0;

		if (copy_userinfo(rest, u, ci, lib, &extra_at))
			return fail_oom(err);
		sb_adds(lib, "@");
		if (extra_at && add_note(ci, 1,
					 "the user name or password holds an "
					 "unencoded \"@\"; percent-encode it "
					 "as %%40"))
			return fail_oom(err);
	}
	sb_addn(lib, host, hostlen);
	if (q) {
		struct query_ctx c = {0};

		c.ci = ci;
		c.input = input;
		c.err = err;
		c.known = libpq_keywords();
		if (!c.known)
			return fail_oom(err);
		ret = filter_query(&c, q + 1);
		PQconninfoFree((PQconninfoOption *)c.known);
		if (!ret && c.out.len) {
			sb_adds(lib, "?");
			sb_adds(lib, c.out.p);
		}
		sb_wipe(&c.out);
	}
	if (!ret && lib->oom)
		ret = fail_oom(err);
	return ret;
}

/* The raw password values of a key=value string, as libpq will cut them
 * (escapes still in, as a message may echo them). */
static int kv_secrets(const char *s, struct dbh_conninfo *ci)
{
	struct kv_tok t;
	const char *pos = s;

	while (kv_next(&pos, &t))
		if (t.has_eq &&
		    ((t.klen == 8 && strncmp(t.key, "password", 8) == 0) ||
		     (t.klen == 11 &&
		      strncmp(t.key, "sslpassword", 11) == 0)) &&
		    add_secret(ci, t.val, t.vlen))
			return -1;
	return 0;
}

static int valid_ports(const char *ports)
{
	const char *p = ports;

	for (;;) {
		size_t n = strcspn(p, ",");

		if (n) {
			long v;

			if (strspn(p, "0123456789") != n || n > 5)
				return 0;
			v = strtol(p, NULL, 10);
			if (v < 1 || v > 65535)
				return 0;
		}
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* Copies the options libpq set, checks what the parser lets through but
 * the connection would trip on, and adds connect_timeout. */
static int take_options(PQconninfoOption *opts, struct dbh_conninfo *ci,
			const char *input, int is_url, struct dbh_error *err)
{
	PQconninfoOption *o;
	size_t n = 0;

	for (o = opts; o->keyword; o++)
		if (o->val)
			n++;
	ci->keywords = calloc(n + 1, sizeof(*ci->keywords));
	ci->values = calloc(n + 1, sizeof(*ci->values));
	if (!ci->keywords || !ci->values)
		return fail_oom(err);
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		ci->keywords[ci->n] = strdup(o->keyword);
		ci->values[ci->n] = strdup(o->val);
		if (!ci->keywords[ci->n] || !ci->values[ci->n]) {
			free(ci->keywords[ci->n]);
			wipe_free(ci->values[ci->n]);
			ci->keywords[ci->n] = ci->values[ci->n] = NULL;
			return fail_oom(err);
		}
		ci->n++;
		if (is_secret_keyword(o->keyword) &&
		    add_secret(ci, o->val, strlen(o->val)))
			return fail_oom(err);
	}
	/* Not quoted: with a "/" in the password the port is a piece of it
	 * ("postgresql://app:pa/ss@host/db" reads port "pa"). */
	if (dbh_conninfo_get(ci, "port") &&
	    !valid_ports(dbh_conninfo_get(ci, "port")))
		return fail(err, input,
			    is_url ? PCT_HINT
				   : "Give the server's port, usually 5432.",
			    "The port must be a number from 1 to 65535.");
	if (!dbh_conninfo_get(ci, "connect_timeout") &&
	    dbh_conninfo_set(ci, "connect_timeout", "10"))
		return fail_oom(err);
	return 0;
}

static void wipe_options(PQconninfoOption *opts)
{
	PQconninfoOption *o;

	if (!opts)
		return;
	for (o = opts; o->keyword; o++)
		if (o->val)
			dbh_secret_wipe(o->val, strlen(o->val));
	PQconninfoFree(opts);
}

/* The error for a scheme other than postgres(ql)://. */
static int bad_scheme(const char *input, size_t sl, struct dbh_error *err)
{
	char buf[SHOWN_MAX + 8];
	int n = (int)(sl - 3);

	dbh_error_set(err, DBH_EUSAGE,
		      "unsupported scheme \"%.*s\" in database URL \"%s\"",
		      n > 32 ? 32 : n, input, shown(input, buf, sizeof(buf)));
	if (strncasecmp(input, "prisma+postgres://", 18) == 0)
		dbh_error_detail(err, "A prisma+postgres:// URL reaches Prisma "
				      "Postgres through Prisma's own protocol; "
				      "dbhook needs the database's direct "
				      "PostgreSQL connection string.");
	else
		dbh_error_detail(err,
				 "dbhook connects to PostgreSQL only, with "
				 "a postgres:// or postgresql:// URL or a "
				 "libpq key=value string.");
	dbh_error_hint(err, "Give a URL of the form " URL_FORM ".");
	return DBH_EUSAGE;
}

/* "host= password=S3cr3t" (what host=$PGHOST gives when the variable is
 * unset): libpq takes "password=S3cr3t" as the host, and the password
 * would be shown as a host name. A value that starts with a keyword and
 * "=" is such a case; "options" legitimately holds "-c key=value". */
static int kv_empty_value(const PQconninfoOption *opts, struct dbh_error *err)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		const char *eq = o->val ? strchr(o->val, '=') : NULL;
		size_t n = eq ? (size_t)(eq - o->val) : 0;

		if (!eq || n == 0 || strcmp(o->keyword, "options") == 0 ||
		    strspn(o->val, "abcdefghijklmnopqrstuvwxyz_") != n)
			continue;
		dbh_error_set(err, DBH_EUSAGE,
			      "the database URL could not be read: the value "
			      "of \"%s\" is empty",
			      o->keyword);
		snprintf(err->detail, sizeof(err->detail),
			 "In key=value form, \"%s=\" followed by a space takes "
			 "the next pair as its value (its text is not shown: "
			 "it may hold the password).",
			 o->keyword);
		snprintf(err->hint, sizeof(err->hint),
			 "Remove \"%s=\" or write an empty value as %s='' (an "
			 "unset variable, as in host=$PGHOST, leaves it "
			 "empty).",
			 o->keyword, o->keyword);
		return DBH_EUSAGE;
	}
	return 0;
}

/* libpq checks these values only when it connects, and its complaint then
 * reads like an unreachable database (exit 3, after retries). They are
 * configuration errors: refused here, before any connection, naming the
 * parameter and what it accepts (not the value: it may be a pasted
 * secret). */
static const struct {
	const char *keyword;
	const char *accepts; /* space-separated; NULL: a whole number */
} checked_values[] = {
    {"sslmode", "disable allow prefer require verify-ca verify-full"},
    {"gssencmode", "disable prefer require"},
    {"channel_binding", "disable prefer require"},
    {"target_session_attrs",
     "any read-write read-only primary standby prefer-standby"},
    {"connect_timeout", NULL},
    {"keepalives", NULL},
    {"keepalives_idle", NULL},
    {"keepalives_interval", NULL},
    {"keepalives_count", NULL},
    {"tcp_user_timeout", NULL},
};

static int one_of(const char *v, const char *list)
{
	size_t n = strlen(v);

	for (const char *p = list; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && strncmp(p, v, n) == 0)
			return 1;
		p += w + (p[w] == ' ');
	}
	return 0;
}

static int whole_number(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && n <= 9 && v[n] == '\0';
}

static int check_values(const struct dbh_conninfo *ci, struct dbh_error *err)
{
	for (size_t i = 0;
	     i < sizeof(checked_values) / sizeof(checked_values[0]); i++) {
		const char *v = dbh_conninfo_get(ci, checked_values[i].keyword);
		const char *acc = checked_values[i].accepts;

		if (!v || (acc ? one_of(v, acc) : whole_number(v)))
			continue;
		dbh_error_set(
		    err, DBH_EUSAGE,
		    "the database URL's \"%s\" has a value libpq does "
		    "not accept",
		    checked_values[i].keyword);
		if (acc)
			dbh_error_hint(err, "Use one of: %s.", acc);
		else
			dbh_error_hint(err, "Use a whole number (digits "
					    "only).");
		return DBH_EUSAGE;
	}
	return 0;
}

int dbh_url_parse(const char *url, struct dbh_conninfo *ci,
		  struct dbh_error *err)
{
	struct sbuf lib = {0};
	PQconninfoOption *opts = NULL;
	char *input = NULL, *msg = NULL, *end;
	const char *start;
	size_t sl;
	int ret = 0;

	memset(ci, 0, sizeof(*ci));
	start = url ? url + strspn(url, WS) : "";
	if (!*start) {
		dbh_error_set(err, DBH_EUSAGE, "database URL is empty");
		dbh_error_hint(err,
			       "Set it to a URL of the form " URL_FORM ".");
		return DBH_EUSAGE;
	}
	/* A trailing newline comes with values pasted or read from files. */
	input = strdup(start);
	if (!input)
		return fail_oom(err);
	end = input + strlen(input);
	while (end > input && isspace((unsigned char)end[-1]))
		*--end = '\0';

	ci->redacted = redact_dup(input);
	if (!ci->redacted) {
		ret = fail_oom(err);
		goto out;
	}
	if (input[0] == '"' || input[0] == '\'') {
		ret = fail(err, input,
			   "Remove the quotes around the value: the shell or "
			   "the .env file kept them.",
			   "The value starts with a quote.");
		goto out;
	}
	sl = scheme_len(input);
	if (sl) {
		if (strncasecmp(input, "postgres://", 11) != 0 &&
		    strncasecmp(input, "postgresql://", 13) != 0) {
			ret = bad_scheme(input, sl, err);
			goto out;
		}
		ret = prepare_url(input, sl, ci, &lib, err);
		if (ret)
			goto out;
	} else if (strstr(input, "://") && !strchr(input, '=')) {
		ret = fail_unshown(err, "Give a URL of the form " URL_FORM ".",
				   "It does not start with postgresql://.");
		goto out;
	} else {
		if (kv_secrets(input, ci)) {
			ret = fail_oom(err);
			goto out;
		}
		sb_adds(&lib, input);
		if (lib.oom) {
			ret = fail_oom(err);
			goto out;
		}
	}

	opts = PQconninfoParse(lib.p, &msg);
	if (!opts && !sl) {
		/* Neither a URL nor key=value pairs: libpq's message quotes
		 * words of it, any of which may be the password. */
		ret = fail_unshown(
		    err,
		    "Give a URL of the form " URL_FORM ", or key=value pairs "
		    "separated by spaces (a value with spaces in single "
		    "quotes).",
		    "It is neither a postgresql:// URL nor key=value pairs.");
		goto out;
	}
	if (!opts) {
		fail(err, input, PCT_HINT, NULL);
		scrub_libpq_message(err->detail, sizeof(err->detail), msg,
				    input, lib.p, ci->secrets, ci->nsecrets);
		ret = DBH_EUSAGE;
		goto out;
	}
	if (!sl && (ret = kv_empty_value(opts, err)) != 0)
		goto out;
	ret = take_options(opts, ci, input, sl != 0, err);
	if (!ret)
		ret = check_values(ci, err);
out:
	wipe_options(opts);
	if (msg) {
		dbh_secret_wipe(msg, strlen(msg));
		PQfreemem(msg);
	}
	sb_wipe(&lib);
	wipe_free(input);
	if (ret)
		dbh_conninfo_release(ci);
	return ret;
}
