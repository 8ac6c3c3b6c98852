/* url.c - database URLs: parsing and Prisma's parameters.
 *
 * libpq does the parsing (PQconninfoParse): URIs, percent-decoding, IPv6
 * hosts, host lists and key=value strings. This file only prepares the
 * input libpq would refuse (Prisma's query parameters, an unencoded "@" in
 * the password, an upper-case scheme). Secrets are secrets.c's: every
 * spelling of the password is registered there as soon as it is found,
 * every URL shown goes through dbh_url_redact, every libpq message through
 * dbh_url_scrub_libpq.
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

#include "dbhook/alloc.h"
#include "dbhook/secrets.h"
#include "dbhook/vault.h"

#define WS " \t\r\n\f\v"
#define URL_FORM "postgresql://USER:PASSWORD@HOST:5432/DATABASE"
#define PCT_HINT                                                               \
	"Percent-encode special characters in the user name and password: "    \
	"\"@\" as %40, \":\" as %3A, \"/\" as %2F, \"%\" as %25, "             \
	"\"#\" as %23, \"?\" as %3F."
#define SHOWN_MAX 160 /* characters of a redacted URL in a message */

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int fail(struct dbh_error *err,
						      const char *input,
						      const char *hint,
						      const char *fmt, ...)
{
	char buf[SHOWN_MAX + 8];

	dbh_error_set(err, DBH_EUSAGE, "invalid database URL \"%s\"",
		      dbh_url_shown(input, buf, sizeof(buf)));
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

/* ---- the result ---- */

__attribute__((format(printf, 3, 4))) static void
add_note(struct dbh_conninfo *ci, int warn, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ci->notes = dbh_xrealloc(ci->notes, ci->nnotes + 1, sizeof(*ci->notes));
	ci->warn = dbh_xrealloc(ci->warn, ci->nnotes + 1, sizeof(*ci->warn));
	ci->notes[ci->nnotes] = dbh_xstrdup(line);
	ci->warn[ci->nnotes++] = warn;
}

static int is_secret_keyword(const char *kw)
{
	return dbh_conninfo_is_secret(kw);
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
static void add_query_value(struct dbh_wbuf *b, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] == '=')
			dbh_wbuf_adds(b, "%3D");
		else
			dbh_wbuf_addn(b, v + i, 1);
	}
}

/* Percent-decodes a raw query key or value with libpq's own decoder, by
 * handing it over as the value of a keyword libpq accepts. Prisma's
 * parameters never reach libpq, yet they are encoded the same way, and a
 * second decoder written here could disagree with libpq's (on "%00", on a
 * bad "%zz"). Returns NULL when libpq refuses the encoding. */
static char *uri_decode(const char *raw, size_t n)
{
	struct dbh_wbuf b = {0};
	PQconninfoOption *o, *p;
	char *msg = NULL, *out = NULL;

	dbh_wbuf_adds(&b, "postgresql:///?application_name=");
	add_query_value(&b, raw, n);
	o = PQconninfoParse(b.p, &msg);
	dbh_wbuf_wipe(&b);
	if (!o && !msg)
		dbh_oom(); /* libpq's only failure without a message */
	if (!o) {
		PQfreemem(msg);
		return NULL;
	}
	for (p = o; p->keyword; p++)
		if (strcmp(p->keyword, "application_name") == 0)
			out = dbh_xstrdup(p->val ? p->val : "");
	for (p = o; p->keyword; p++)
		if (p->val)
			dbh_secret_wipe(p->val, strlen(p->val));
	PQconninfoFree(o);
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
	struct dbh_wbuf out; /* the query handed to libpq, without "?" */
	const char *input;
	struct dbh_error *err;
	int after_password; /* a password= came earlier in the query */
};

static void q_add(struct query_ctx *c, const char *k, size_t klen,
		  const char *v, size_t vlen)
{
	if (c->out.len)
		dbh_wbuf_adds(&c->out, "&");
	dbh_wbuf_addn(&c->out, k, klen);
	dbh_wbuf_adds(&c->out, "=");
	add_query_value(&c->out, v, vlen);
}

/* One key=value of the query: kept for libpq, translated, or dropped. */
static int query_pair(struct query_ctx *c, const char *k, size_t klen,
		      const char *v, size_t vlen, int has_eq)
{
	struct dbh_conninfo *ci = c->ci;
	char *key = NULL;
	size_t i;
	int ret = 0;

	if (memchr(k, '%', klen))
		key = uri_decode(k, klen);
	else
		key = dbh_xstrndup(k, klen);
	if (!key)
		return fail(c->err, c->input, PCT_HINT,
			    "A query parameter name has an invalid "
			    "percent-encoding.");

	if (strcmp(key, "schema") == 0) {
		free(ci->schema);
		ci->schema = uri_decode(v, vlen);
		if (!ci->schema)
			ret = fail(c->err, c->input, PCT_HINT,
				   "The schema parameter has an invalid "
				   "percent-encoding.");
		else if (!*ci->schema) {
			/* Prisma would run SET search_path = "" and fail;
			 * the default schema is what was meant. */
			free(ci->schema);
			ci->schema = NULL;
			add_note(ci, 1,
				 "ignored an empty \"schema\" parameter");
		}
		goto out;
	}
	if (strcmp(key, "sslcert") == 0) {
		/* Prisma's sslcert is the CA file that verifies the server;
		 * libpq's sslcert is the client certificate. */
		q_add(c, "sslrootcert", strlen("sslrootcert"), v, vlen);
		add_note(ci, 0,
			 "Prisma parameter \"sslcert\" (the CA "
			 "certificate) passed to libpq as "
			 "\"sslrootcert\"");
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
		add_note(ci, 0, "dropped Prisma parameter \"%s\"%s", key, why);
		goto out;
	}
	/* libpq's own keywords pass, and "ssl=true", its one JDBC alias. */
	if (libpq_knows(c->known, key) ||
	    (strcmp(key, "ssl") == 0 && vlen == 4 &&
	     strncmp(v, "true", 4) == 0)) {
		if (has_eq) {
			q_add(c, k, klen, v, vlen);
			if (is_secret_keyword(key))
				dbh_secrets_add(v, vlen);
		} else {
			add_note(ci, 1,
				 "ignored parameter \"%s\" without a value",
				 key);
		}
		goto out;
	}
	/* Prisma discards what it does not know; so do we, but aloud. */
	if (plain_name(key))
		add_note(ci, 1, "dropped unknown parameter \"%s\"", key);
	else
		add_note(ci, 1,
			 "dropped an unknown parameter (its name is not "
			 "shown)");
out:
	dbh_wipe_free(key);
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
	return 0;
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
static void copy_userinfo(const char *rest, const char *u, struct dbh_wbuf *lib,
			  int *extra_at)
{
	const char *colon = memchr(rest, ':', (size_t)(u - rest));
	struct dbh_wbuf pw = {0};
	const char *p;

	for (p = rest; p < u; p++) {
		const char *piece = *p == '@' ? "%40" : p;
		size_t n = *p == '@' ? 3 : 1;

		if (*p == '@')
			*extra_at = 1;
		dbh_wbuf_addn(lib, piece, n);
		if (colon && p > colon)
			dbh_wbuf_addn(&pw, piece, n);
	}
	if (colon)
		dbh_secrets_add(colon + 1, (size_t)(u - colon - 1));
	if (pw.p)
		dbh_secrets_add(pw.p, pw.len);
	dbh_wbuf_wipe(&pw);
}

/* Turns the URL into one libpq accepts: lower-case scheme, "@" in the
 * user info encoded, the query filtered. Records the raw password. */
static int prepare_url(const char *input, size_t sl, struct dbh_conninfo *ci,
		       struct dbh_wbuf *lib, struct dbh_error *err)
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

	dbh_wbuf_adds(lib, "postgresql://");
	if (u) {
		int extra_at = 0;

		copy_userinfo(rest, u, lib, &extra_at);
		dbh_wbuf_adds(lib, "@");
		if (extra_at)
			add_note(ci, 1,
				 "the user name or password holds an "
				 "unencoded \"@\"; percent-encode it as %%40");
	}
	dbh_wbuf_addn(lib, host, hostlen);
	if (q) {
		struct query_ctx c = {0};

		c.ci = ci;
		c.input = input;
		c.err = err;
		c.known = libpq_keywords();
		ret = filter_query(&c, q + 1);
		PQconninfoFree((PQconninfoOption *)c.known);
		if (!ret && c.out.len) {
			dbh_wbuf_adds(lib, "?");
			dbh_wbuf_adds(lib, c.out.p);
		}
		dbh_wbuf_wipe(&c.out);
	}
	return ret;
}

/* The raw password values of a key=value string, as libpq will cut them
 * (escapes still in, as a message may echo them). */
static void kv_secrets(const char *s)
{
	struct dbh_kv_tok t;
	const char *pos = s;

	while (dbh_kv_next(&pos, &t))
		if (t.has_eq &&
		    ((t.klen == 8 && strncmp(t.key, "password", 8) == 0) ||
		     (t.klen == 11 && strncmp(t.key, "sslpassword", 11) == 0)))
			dbh_secrets_add(t.val, t.vlen);
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
	ci->keywords = dbh_xcalloc(n + 1, sizeof(*ci->keywords));
	ci->values = dbh_xcalloc(n + 1, sizeof(*ci->values));
	for (o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		ci->keywords[ci->n] = dbh_xstrdup(o->keyword);
		ci->values[ci->n] = dbh_xstrdup(o->val);
		ci->n++;
		if (is_secret_keyword(o->keyword))
			dbh_secrets_add(o->val, strlen(o->val));
	}
	/* Not quoted: with a "/" in the password the port is a piece of it
	 * ("postgresql://app:pa/ss@host/db" reads port "pa"). */
	if (dbh_conninfo_get(ci, "port") &&
	    !valid_ports(dbh_conninfo_get(ci, "port")))
		return fail(err, input,
			    is_url ? PCT_HINT
				   : "Give the server's port, usually 5432.",
			    "The port must be a number from 1 to 65535.");
	if (!dbh_conninfo_get(ci, "connect_timeout"))
		dbh_conninfo_set(ci, "connect_timeout", "10");
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
	char buf[SHOWN_MAX + 8], scheme[33];
	size_t n = sl - 3 < sizeof(scheme) - 1 ? sl - 3 : sizeof(scheme) - 1;

	memcpy(scheme, input, n);
	scheme[n] = '\0';
	dbh_error_set(err, DBH_EUSAGE,
		      "unsupported scheme \"%s\" in database URL \"%s\"",
		      scheme, dbh_url_shown(input, buf, sizeof(buf)));
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

int dbh_url_parse(const char *url, struct dbh_conninfo *ci,
		  struct dbh_error *err)
{
	struct dbh_wbuf lib = {0};
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
	input = dbh_xstrdup(start);
	end = input + strlen(input);
	while (end > input && isspace((unsigned char)end[-1]))
		*--end = '\0';

	ci->redacted = dbh_url_redact_dup(input);
	dbh_secrets_add_hidden(input);
	if (input[0] == '"' || input[0] == '\'') {
		ret = fail(err, input,
			   "Remove the quotes around the value: the shell or "
			   "the .env file kept them.",
			   "The value starts with a quote.");
		goto out;
	}
	sl = dbh_url_scheme_len(input);
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
		kv_secrets(input);
		dbh_wbuf_adds(&lib, input);
	}

	opts = PQconninfoParse(lib.p, &msg);
	if (!opts && !msg)
		dbh_oom(); /* libpq's only failure without a message */
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
		dbh_url_scrub_libpq(err->detail, sizeof(err->detail), msg,
				    input, lib.p);
		ret = DBH_EUSAGE;
		goto out;
	}
	if (!sl && (ret = kv_empty_value(opts, err)) != 0)
		goto out;
	ret = take_options(opts, ci, input, sl != 0, err);
	if (!ret)
		ret = dbh_conninfo_check(ci, err);
out:
	wipe_options(opts);
	if (msg) {
		dbh_secret_wipe(msg, strlen(msg));
		PQfreemem(msg);
	}
	dbh_wbuf_wipe(&lib);
	dbh_wipe_free(input);
	if (ret)
		dbh_conninfo_release(ci);
	return ret;
}
