/* test_url.c - database URL parsing, Prisma parameters, redaction.
 *
 * Table driven: each row is one TAP line, and a failing row prints which of
 * its checks failed. Inputs are never printed: they hold test passwords,
 * and the test logs are scanned for secrets.
 */
#include "dbhook/url.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

#define FORM "postgresql://USER:PASSWORD@HOST:5432/DATABASE"

/* Expected keyword/value pairs; a NULL value means "must be absent". */
struct kv {
	const char *k, *v;
};

struct pcase {
	const char *name;
	const char *url;
	int code;	      /* expected return of dbh_url_parse */
	struct kv kv[10];     /* checked pairs, up to the first NULL key */
	int nkw;	      /* exact ci.n, or 0 for "not checked" */
	const char *schema;   /* expected ci.schema (NULL: must be NULL) */
	int pgbouncer;	      /* expected ci.pgbouncer_param */
	const char *note;     /* a substring one note must hold */
	int note_warn;	      /* that note's warn flag */
	int nnotes;	      /* exact ci.nnotes, or -1 for "not checked" */
	const char *redacted; /* expected ci.redacted, when given */
	/* For errors: */
	const char *msg_has, *detail_has, *hint_has;
	const char *secret[3]; /* must be in none of message, detail, hint */
};

#define NO_NOTES .nnotes = 0

static const struct pcase parse_cases[] = {
    /* Well-formed URLs. */
    {"plain URL",
     "postgresql://app:s3cret@db.example.com:5432/app",
     0,
     {{"user", "app"},
      {"password", "s3cret"},
      {"host", "db.example.com"},
      {"port", "5432"},
      {"dbname", "app"},
      {"connect_timeout", "10"}},
     .nkw = 6,
     NO_NOTES,
     .redacted = "postgresql://app:***@db.example.com:5432/app"},
    {"postgres:// scheme",
     "postgres://app:s3cret@localhost/app",
     0,
     {{"host", "localhost"},
      {"dbname", "app"},
      {"port", NULL},
      {"password", "s3cret"}},
     .nkw = 5,
     NO_NOTES},
    {"upper-case scheme",
     "PostgreSQL://app@h/db",
     0,
     {{"user", "app"}, {"host", "h"}, {"password", NULL}},
     .nkw = 4,
     NO_NOTES},
    {"IPv6 host [::1]",
     "postgresql://app:pw@[::1]/db",
     0,
     {{"host", "::1"}, {"port", NULL}, {"dbname", "db"}},
     .nkw = 5,
     NO_NOTES},
    {"IPv6 host with port",
     "postgresql://app:pw@[2001:db8::1]:6543/db",
     0,
     {{"host", "2001:db8::1"}, {"port", "6543"}},
     .nkw = 6,
     NO_NOTES},
    {"several hosts",
     "postgresql://app:pw@h1:5432,h2:5433/db"
     "?target_session_attrs=read-write",
     0,
     {{"host", "h1,h2"},
      {"port", "5432,5433"},
      {"target_session_attrs", "read-write"}},
     .nkw = 7,
     NO_NOTES},
    {"percent-encoded password",
     "postgresql://app:p%40ss%3Aw%2Fo%25r%23d@h/db",
     0,
     {{"password", "p@ss:w/o%r#d"}, {"host", "h"}, {"dbname", "db"}},
     .nkw = 5,
     NO_NOTES,
     .redacted = "postgresql://app:***@h/db"},
    {"user without password",
     "postgresql://app@h/db",
     0,
     {{"user", "app"}, {"password", NULL}},
     .nkw = 4,
     NO_NOTES,
     .redacted = "postgresql://app@h/db"},
    {"no port, no database: libpq leaves them unset",
     "postgresql://h",
     0,
     {{"host", "h"}, {"port", NULL}, {"dbname", NULL}},
     .nkw = 2,
     NO_NOTES},
    {"scheme alone",
     "postgresql://",
     0,
     {{"connect_timeout", "10"}, {"host", NULL}},
     .nkw = 1,
     NO_NOTES},
    {"surrounding white space is ignored",
     "  postgresql://app:pw@h/db\n",
     0,
     {{"dbname", "db"}, {"password", "pw"}},
     .nkw = 5,
     NO_NOTES},
    {"unencoded @ in the password (Prisma reads the last @)",
     "postgresql://app:p@ss@h/db",
     0,
     {{"password", "p@ss"}, {"host", "h"}, {"user", "app"}},
     .nkw = 5,
     .nnotes = 1,
     .note = "unencoded \"@\"",
     .note_warn = 1,
     .redacted = "postgresql://app:***@h/db"},
    {"unencoded @ in the user name and the password",
     "postgresql://me@corp:p@ss@h/db",
     0,
     {{"user", "me@corp"}, {"password", "p@ss"}, {"host", "h"}},
     .nkw = 5,
     .nnotes = 1,
     .note = "unencoded \"@\"",
     .note_warn = 1,
     .redacted = "postgresql://me@corp:***@h/db"},
    {"unencoded ? in the password (libpq reads it)",
     "postgresql://app:p?ss@h/db",
     0,
     {{"password", "p?ss"}, {"host", "h"}},
     .nkw = 5,
     NO_NOTES},

    /* key=value strings. */
    {"key=value string",
     "host=localhost port=5433 user=app password=s3cret dbname=x",
     0,
     {{"host", "localhost"},
      {"port", "5433"},
      {"password", "s3cret"},
      {"dbname", "x"},
      {"connect_timeout", "10"}},
     .nkw = 6,
     NO_NOTES,
     .redacted = "host=localhost port=5433 user=app password=*** "
		 "dbname=x"},
    {"key=value with quoted values",
     "host = localhost password='it\\'s a secret' dbname='my db'",
     0,
     {{"password", "it's a secret"}, {"dbname", "my db"}},
     .nkw = 4,
     NO_NOTES,
     .redacted = "host = localhost password=*** dbname='my db'"},
    {"key=value connect_timeout given is kept",
     "host=h connect_timeout=3",
     0,
     {{"connect_timeout", "3"}},
     .nkw = 2,
     NO_NOTES},

    /* Prisma parameters. */
    {"schema goes to ci.schema",
     "postgresql://app:pw@h/db?schema=public",
     0,
     {{"schema", NULL}, {"dbname", "db"}},
     .nkw = 5,
     .schema = "public",
     NO_NOTES},
    {"schema is percent-decoded by libpq",
     "postgresql://h/db?schema=my%20schema%22x",
     0,
     {{"host", "h"}},
     .nkw = 3,
     .schema = "my schema\"x",
     NO_NOTES},
    {"empty schema is ignored with a warning",
     "postgresql://h/db?schema=",
     0,
     {{"host", "h"}},
     .nkw = 3,
     .schema = NULL,
     .nnotes = 1,
     .note = "empty \"schema\"",
     .note_warn = 1},
    {"sslcert becomes sslrootcert",
     "postgresql://h/db?sslcert=%2Fetc%2Fca.pem",
     0,
     {{"sslrootcert", "/etc/ca.pem"}, {"sslcert", NULL}},
     .nkw = 4,
     .nnotes = 1,
     .note = "as \"sslrootcert\"",
     .note_warn = 0},
    {"pgbouncer=true dropped, flag set",
     "postgresql://h:6543/db?pgbouncer=true",
     0,
     {{"pgbouncer", NULL}, {"port", "6543"}},
     .nkw = 4,
     .pgbouncer = 1,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"pgbouncer\"",
     .note_warn = 0},
    {"pgbouncer=false dropped, flag clear",
     "postgresql://h/db?pgbouncer=false",
     0,
     {{"pgbouncer", NULL}},
     .nkw = 3,
     .pgbouncer = 0,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"pgbouncer\"",
     .note_warn = 0},
    {"connection_limit dropped",
     "postgresql://h/db?connection_limit=1",
     0,
     {{"connection_limit", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"connection_limit\"",
     .note_warn = 0},
    {"pool_timeout dropped",
     "postgresql://h/db?pool_timeout=0",
     0,
     {{"pool_timeout", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"pool_timeout\"",
     .note_warn = 0},
    {"socket_timeout dropped",
     "postgresql://h/db?socket_timeout=5",
     0,
     {{"socket_timeout", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"socket_timeout\"",
     .note_warn = 0},
    {"statement_cache_size dropped",
     "postgresql://h/db?statement_cache_size=0",
     0,
     {{"statement_cache_size", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"statement_cache_size\"",
     .note_warn = 0},
    {"max_connection_lifetime dropped",
     "postgresql://h/db?max_connection_lifetime=60",
     0,
     {{"max_connection_lifetime", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"max_connection_lifetime\"",
     .note_warn = 0},
    {"max_idle_connection_lifetime dropped",
     "postgresql://h/db?max_idle_connection_lifetime=30",
     0,
     {{"max_idle_connection_lifetime", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"max_idle_connection_lifetime\"",
     .note_warn = 0},
    {"sslaccept=strict dropped, suggests verify-full",
     "postgresql://h/db?sslaccept=strict",
     0,
     {{"sslaccept", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "sslmode=verify-full",
     .note_warn = 0},
    {"sslaccept=accept_invalid_certs dropped",
     "postgresql://h/db?sslaccept=accept_invalid_certs",
     0,
     {{"sslaccept", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"sslaccept\"",
     .note_warn = 0},
    {"sslidentity dropped",
     "postgresql://h/db?sslidentity=id.p12",
     0,
     {{"sslidentity", NULL}, {"sslcert", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped Prisma parameter \"sslidentity\"",
     .note_warn = 0},
    {"sslpassword dropped (it belongs to sslidentity)",
     "postgresql://h/db?sslidentity=id.p12&sslpassword=pk12secret",
     0,
     {{"sslpassword", NULL}},
     .nkw = 3,
     .nnotes = 2,
     .note = "dropped Prisma parameter \"sslpassword\"",
     .note_warn = 0,
     .redacted = "postgresql://h/db?sslidentity=id.p12&sslpassword=***"},
    {"unknown parameter dropped with a warning",
     "postgresql://h/db?foo=bar",
     0,
     {{"foo", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped unknown parameter \"foo\"",
     .note_warn = 1},
    {"ssl=false is not libpq's: dropped with a warning",
     "postgresql://h/db?ssl=false",
     0,
     {{"sslmode", NULL}},
     .nkw = 3,
     .nnotes = 1,
     .note = "dropped unknown parameter \"ssl\"",
     .note_warn = 1},
    {"ssl=true kept: libpq reads it as sslmode=require",
     "postgresql://h/db?ssl=true",
     0,
     {{"sslmode", "require"}},
     .nkw = 4,
     NO_NOTES},
    {"Prisma mix: schema, pool parameters, libpq and unknown ones",
     "postgresql://app:pw@h:5432/db?schema=s&pgbouncer=true"
     "&connection_limit=1&sslmode=require&foo=1",
     0,
     {{"sslmode", "require"}, {"schema", NULL}},
     .nkw = 7,
     .schema = "s",
     .pgbouncer = 1,
     .nnotes = 3,
     .note = "dropped unknown parameter \"foo\"",
     .note_warn = 1},

    /* libpq parameters in the query. */
    {"libpq parameters kept",
     "postgresql://h/db?sslmode=require&application_name=my%20app"
     "&options=-c%20statement_timeout%3D5s",
     0,
     {{"sslmode", "require"},
      {"application_name", "my app"},
      {"options", "-c statement_timeout=5s"}},
     .nkw = 6,
     NO_NOTES},
    {"unencoded = in a value is accepted",
     "postgresql://h/db?options=-c%20search_path=x",
     0,
     {{"options", "-c search_path=x"}},
     .nkw = 4,
     NO_NOTES},
    {"connect_timeout given in the URL is kept",
     "postgresql://h/db?connect_timeout=3",
     0,
     {{"connect_timeout", "3"}},
     .nkw = 3,
     NO_NOTES},
    {"host in the query (socket directory)",
     "postgresql:///db?host=%2Fvar%2Frun%2Fpostgresql",
     0,
     {{"host", "/var/run/postgresql"}, {"dbname", "db"}},
     .nkw = 3,
     NO_NOTES},
    {"password in the query",
     "postgresql://app@h/db?password=q%26s3cret",
     0,
     {{"password", "q&s3cret"}, {"user", "app"}},
     .nkw = 5,
     NO_NOTES,
     .redacted = "postgresql://app@h/db?password=***"},
    {"empty pairs and a percent-encoded key",
     "postgresql://h/db?&&sslm%6Fde=require&",
     0,
     {{"sslmode", "require"}},
     .nkw = 4,
     NO_NOTES},

    /* Malformed input: an error that shows no password. */
    {"bad percent-encoding in the password",
     "postgresql://app:p%zzhunter2@h/db",
     2,
     {{NULL, NULL}},
     .msg_has = "invalid database URL \"postgresql://app:***@h/db\"",
     .detail_has = "invalid percent-encoded token: \"***\"",
     .hint_has = "%40",
     .secret = {"hunter2", "p%zz"}},
    {"unterminated [ of an IPv6 host",
     "postgresql://app:hunter2@[::1/db",
     2,
     {{NULL, NULL}},
     .msg_has = "postgresql://app:***@[::1/db",
     .detail_has = "looking for matching \"]\"",
     .secret = {"hunter2"}},
    {"whole URL echoed by libpq comes back redacted",
     "postgresql://app:hunter2@[::1]x/db",
     2,
     {{NULL, NULL}},
     .detail_has = "\"postgresql://app:***@[::1]x/db\"",
     .secret = {"hunter2"}},
    {"mysql:// refused",
     "mysql://root:hunter2@h/db",
     2,
     {{NULL, NULL}},
     .msg_has = "unsupported scheme \"mysql\"",
     .hint_has = FORM,
     .secret = {"hunter2"}},
    {"prisma+postgres:// refused",
     "prisma+postgres://accelerate.prisma-data.net/?api_key=eyJhunter2",
     2,
     {{NULL, NULL}},
     .msg_has = "\"prisma+postgres\"",
     .detail_has = "direct",
     .hint_has = FORM,
     .secret = {"eyJhunter2"}},
    {"http:// refused",
     "http://example.com/",
     2,
     {{NULL, NULL}},
     .msg_has = "unsupported scheme \"http\"",
     .hint_has = FORM},
    {"empty string",
     "",
     2,
     {{NULL, NULL}},
     .msg_has = "database URL is empty",
     .hint_has = FORM},
    {"white space only",
     " \t\n",
     2,
     {{NULL, NULL}},
     .msg_has = "database URL is empty"},
    {"key=value with an unknown key",
     "host=h password=hunter2 foo=bar",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .detail_has = "neither a postgresql:// URL nor key=value pairs",
     .secret = {"hunter2", "foo"}},
    {"key=value with an unterminated quote",
     "host=h password='hunter2 dbname=x",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .secret = {"hunter2", "dbname"}},
    {"key=value password with an unquoted space",
     "host=h password=my hunter2 dbname=x",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .hint_has = "single quotes",
     .secret = {"hunter2", "my"}},
    {"garbage string",
     "this is not a url",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .secret = {"this", "not a url"}},
    {"not a URL, with a password in it",
     "not a url my-secret-pw",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .hint_has = "postgresql://USER:PASSWORD@HOST:5432/DATABASE",
     .secret = {"my-secret-pw", "url"}},
    {"key=value with an empty value before password=",
     "host= password=S3cr3tPW dbname=x",
     2,
     {{NULL, NULL}},
     .msg_has = "the value of \"host\" is empty",
     .hint_has = "host=''",
     .secret = {"S3cr3tPW"}},
    {"key=value: options may hold -c key=value",
     "host=h options='-c statement_timeout=5'",
     0,
     {{"options", "-c statement_timeout=5"}},
     .nnotes = -1},
    {"sslmode with a value libpq does not accept",
     "postgresql://u:hunter2@h/db?sslmode=bogus-mode",
     2,
     {{NULL, NULL}},
     .msg_has = "\"sslmode\" has a value libpq does not accept",
     .hint_has = "verify-full",
     .secret = {"hunter2", "bogus-mode"}},
    {"target_session_attrs with a bad value",
     "postgresql://u@h/db?target_session_attrs=writable",
     2,
     {{NULL, NULL}},
     .msg_has = "\"target_session_attrs\"",
     .hint_has = "read-write"},
    {"connect_timeout that is not a number",
     "postgresql://u@h/db?connect_timeout=abc",
     2,
     {{NULL, NULL}},
     .msg_has = "\"connect_timeout\"",
     .hint_has = "whole number"},
    {"key=value gssencmode with a bad value",
     "host=h gssencmode=maybe",
     2,
     {{NULL, NULL}},
     .msg_has = "\"gssencmode\"",
     .hint_has = "disable prefer require"},
    {"an unencoded & in a password= parameter",
     "postgresql://u@h/db?password=ab&restSecret",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .detail_has = "unencoded \"&\"",
     .hint_has = "%26",
     .secret = {"restSecret"}},
    {"URL without a scheme",
     "app:hunter2@db.example.com/app",
     2,
     {{NULL, NULL}},
     .msg_has = "the database URL could not be read (its text is not shown",
     .secret = {"hunter2", "example"}},
    {"unencoded / in the password",
     "postgresql://app:hunt/er2@h/db",
     2,
     {{NULL, NULL}},
     .msg_has = "postgresql://app:***@h/db",
     .hint_has = "%2F",
     .secret = {"hunt", "er2"}},
    {"unencoded / in the password, numeric start",
     "postgresql://app:5432/hunter2@h/db",
     2,
     {{NULL, NULL}},
     .hint_has = "%2F",
     .secret = {"hunter2"}},
    {"unencoded @ and ? in the password",
     "postgresql://app:hu@nt?er2@h/db",
     2,
     {{NULL, NULL}},
     .hint_has = "%3F",
     .secret = {"hu@nt", "nt?er2", "er2"}},
    {"non-numeric port",
     "postgresql://app:hunter2@h:abc/db",
     2,
     {{NULL, NULL}},
     .detail_has = "port",
     .secret = {"hunter2"}},
    {"quoted URL from a .env file",
     "\"postgresql://app:hunter2@h/db\"",
     2,
     {{NULL, NULL}},
     .hint_has = "quotes",
     .secret = {"hunter2"}},
    {"bad percent-encoding in a query password",
     "postgresql://app@h/db?password=hun%zzter2",
     2,
     {{NULL, NULL}},
     .detail_has = "percent-encoded",
     .secret = {"hun%zz", "zzter2"}},
    {"bad percent-encoding in the schema",
     "postgresql://app:hunter2@h/db?schema=a%zz",
     2,
     {{NULL, NULL}},
     .detail_has = "schema",
     .secret = {"hunter2"}},
    {"IPv6 host empty",
     "postgresql://app:hunter2@[]/db",
     2,
     {{NULL, NULL}},
     .detail_has = "may not be empty",
     .secret = {"hunter2"}},
    {"NUL encoded in the password",
     "postgresql://app:hun%00ter2@h/db",
     2,
     {{NULL, NULL}},
     .detail_has = "%00",
     .secret = {"ter2", "hun"}},
};

static int has_note(const struct dbh_conninfo *ci, const char *sub, int warn)
{
	for (size_t i = 0; i < ci->nnotes; i++)
		if (strstr(ci->notes[i], sub) && ci->warn[i] == warn)
			return 1;
	return 0;
}

/* Adds a failure line to `why`; returns 1 so callers can count. */
static int bad(char *why, size_t sz, const char *what)
{
	size_t n = strlen(why);

	snprintf(why + n, sz - n, "%s%s", n ? "; " : "", what);
	return 1;
}

static int secret_in(const struct dbh_error *e, const char *s)
{
	return s && (strstr(e->message, s) || strstr(e->detail, s) ||
		     strstr(e->hint, s));
}

static void run_parse_case(const struct pcase *c)
{
	struct dbh_conninfo ci;
	struct dbh_error err;
	char why[1024] = "";
	int rc, nbad = 0;

	memset(&err, 0, sizeof(err));
	rc = dbh_url_parse(c->url, &ci, &err);
	if (rc != c->code)
		nbad += bad(why, sizeof(why), "return code");
	if (c->code == 0 && rc == 0) {
		for (const struct kv *p = c->kv; p->k; p++) {
			const char *got = dbh_conninfo_get(&ci, p->k);

			if ((!got) != (!p->v) || (got && strcmp(got, p->v)))
				nbad += bad(why, sizeof(why), p->k);
		}
		if (c->nkw && ci.n != (size_t)c->nkw)
			nbad += bad(why, sizeof(why), "keyword count");
		if (ci.keywords[ci.n] || ci.values[ci.n])
			nbad += bad(why, sizeof(why), "not NULL-terminated");
		if ((!ci.schema) != (!c->schema) ||
		    (ci.schema && strcmp(ci.schema, c->schema)))
			nbad += bad(why, sizeof(why), "schema");
		if (ci.pgbouncer_param != c->pgbouncer)
			nbad += bad(why, sizeof(why), "pgbouncer_param");
		if (c->nnotes >= 0 && ci.nnotes != (size_t)c->nnotes)
			nbad += bad(why, sizeof(why), "note count");
		if (c->note && !has_note(&ci, c->note, c->note_warn))
			nbad += bad(why, sizeof(why), "note");
		if (c->redacted && strcmp(ci.redacted, c->redacted))
			nbad += bad(why, sizeof(why), "redacted");
		for (size_t i = 0; i < ci.nnotes; i++)
			if (strstr(ci.notes[i], "s3cret") ||
			    strstr(ci.notes[i], "pk12secret"))
				nbad += bad(why, sizeof(why), "secret in note");
	}
	if (c->code) {
		if (rc && err.code != c->code)
			nbad += bad(why, sizeof(why), "err.code");
		if (ci.n || ci.keywords || ci.redacted || ci.nnotes)
			nbad += bad(why, sizeof(why), "ci not left empty");
		if (!err.message[0])
			nbad += bad(why, sizeof(why), "no message");
		if (c->msg_has && !strstr(err.message, c->msg_has))
			nbad += bad(why, sizeof(why), "message");
		if (c->detail_has && !strstr(err.detail, c->detail_has))
			nbad += bad(why, sizeof(why), "detail");
		if (c->hint_has && !strstr(err.hint, c->hint_has))
			nbad += bad(why, sizeof(why), "hint");
		for (int i = 0; i < 3; i++)
			if (secret_in(&err, c->secret[i]))
				nbad += bad(why, sizeof(why), "SECRET SHOWN");
	}
	ok(nbad == 0, "parse: %s", c->name);
	if (nbad)
		printf("#   failed checks: %s (%s / %s)\n", why, err.message,
		       err.hint);
	dbh_conninfo_release(&ci);
}

struct rcase {
	const char *name, *in, *want;
};

static const struct rcase redact_cases[] = {
    {"URL", "postgresql://app:s3cret@db.example.com:5432/app?sslmode=require",
     "postgresql://app:***@db.example.com:5432/app?sslmode=require"},
    {"key=value", "host=localhost user=app password=s3cret dbname=x",
     "host=localhost user=app password=*** dbname=x"},
    {"key=value, quoted with an escaped quote",
     "host=h password='a b\\' c' dbname=x", "host=h password=*** dbname=x"},
    {"key=value, unquoted password with a space",
     "host=h password=my s3cret dbname=x", "host=h password=*** dbname=x"},
    {"key=value, unterminated quote", "host=h password='unterminated s3cret",
     "host=h password=***"},
    {"key=value, upper-case key", "PASSWORD=s3cret host=h",
     "PASSWORD=*** host=h"},
    {"query password= last",
     "postgresql://h/db?sslmode=require&password=s3cret",
     "postgresql://h/db?sslmode=require&password=***"},
    {"query password= first hides the rest",
     "postgresql://h/db?password=s3&cret&sslmode=require",
     "postgresql://h/db?password=***"},
    {"query key percent-encoded", "postgresql://h/db?pass%77ord=s3cret",
     "postgresql://h/db?pass%77ord=***"},
    {"malformed URL with @ and / in the password",
     "postgresql://app:p@ss/w@rd@h/db", "postgresql://app:***@h/db"},
    {"user without password", "postgresql://app@h/db", "postgresql://app@h/db"},
    {"empty password", "postgresql://app:@h/db", "postgresql://app:@h/db"},
    {"no user", "postgresql://h:5432/db", "postgresql://h:5432/db"},
    {"IPv6 host", "postgresql://app:s3cret@[::1]:5432/db",
     "postgresql://app:***@[::1]:5432/db"},
    {"other scheme", "mysql://root:s3cret@h/db", "mysql://root:***@h/db"},
    {"URL without a scheme", "app:s3cret@h/db", "app:***@h/db"},
    {"quoted URL", "\"postgresql://app:s3cret@h/db\"",
     "\"postgresql:***@h/db\""},
    {"Accelerate api_key", "prisma+postgres://x.net/?api_key=eyJs3cret",
     "prisma+postgres://x.net/?api_key=***"},
    {"an @ in the query hides more, not less",
     "postgresql://app:s3cret@h/db?application_name=me@home",
     "postgresql://app:***@home"},
    {"several hosts", "postgresql://app:s3cret@h1:1,h2:2/db",
     "postgresql://app:***@h1:1,h2:2/db"},
    {"another scheme, then a key=value password (found by fuzzing)",
     "mysql://u password=Kq9Gv2Lm7Wz4", "mysql://u password=***"},
    {"a URL followed by a key=value password",
     "postgresql://u@h/db password=Kq9Gv2Lm7Wz4 x",
     "postgresql://u@h/db password=***"},
};

static void run_redact_cases(void)
{
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]); i++) {
		const struct rcase *c = &redact_cases[i];

		dbh_url_redact(c->in, out, sizeof(out));
		ok(strcmp(out, c->want) == 0 && !strstr(out, "s3"),
		   "redact: %s", c->name);
	}
	/* Truncation keeps the mask whole up to the cut. */
	dbh_url_redact(redact_cases[0].in, out, 20);
	is_str(out, "postgresql://app:**", "redact: truncated to the buffer");
	ok(dbh_url_redact(NULL, out, sizeof(out)) == out && out[0] == '\0',
	   "redact: NULL gives an empty string");
}

/* Parses `url` (must succeed), scrubs `text` and compares. */
static void scrub_case(const char *name, const char *url, const char *set_pw,
		       const char *text, const char *want)
{
	struct dbh_conninfo ci;
	struct dbh_error err;
	char buf[256];
	int rc;

	dbh_secrets_forget(); /* each case sees only its own secrets */
	rc = dbh_url_parse(url, &ci, &err);
	if (rc == 0 && set_pw)
		dbh_conninfo_set(&ci, "password", set_pw);
	snprintf(buf, sizeof(buf), "%s", text);
	if (rc == 0)
		dbh_secrets_scrub(buf);
	ok(rc == 0 && strcmp(buf, want) == 0, "scrub: %s", name);
	if (rc == 0 && strcmp(buf, want))
		printf("#   want: '%s'\n", want);
	dbh_conninfo_release(&ci);
}

static void run_scrub_cases(void)
{
	scrub_case("decoded and encoded password",
		   "postgresql://app:p%40ss%2Fw0rd@h/db", NULL,
		   "auth failed: p@ss/w0rd, p%40ss%2Fw0rd.",
		   "auth failed: ***, ***.");
	scrub_case("a 1-3 byte password is not scrubbed (it would garble "
		   "every word)",
		   "postgresql://app:ab@h/db", NULL, "port 1 failed: xaby",
		   "port 1 failed: xaby");
	scrub_case("a 4-byte password is scrubbed",
		   "postgresql://app:abcd@h/db", NULL, "x abcd y", "x *** y");
	scrub_case("key=value with an escaped quote",
		   "host=h password='it\\'s s3cret'", NULL,
		   "it's s3cret / it\\'s s3cret", "*** / ***");
	scrub_case("query password, both spellings",
		   "postgresql://app@h/db?password=a%26bcdef", NULL,
		   "a&bcdef a%26bcdef", "*** ***");
	scrub_case("unencoded @ in the password, as given",
		   "postgresql://app:p@ssword@h/db", NULL,
		   "p@ssword p%40ssword", "*** ***");
	scrub_case("unencoded @ in the user name and the password",
		   "postgresql://me@corp:pa@ss@h/db", NULL,
		   "pa@ss pa%40ss me@corp", "*** *** me@corp");
	scrub_case("password replaced by dbh_conninfo_set",
		   "postgresql://app:oldpass@h/db", "newpass1",
		   "newpass1 oldpass", "*** ***");
	scrub_case("a query password that libpq reads as part of the user "
		   "name (an \"@\" further on)",
		   "postgresql://host?password=Kq9Gv2Lm7Wz4&st=h conn@h/db",
		   NULL, "for user \"host?password=Kq9Gv2Lm7Wz4&st=h conn\"",
		   "for user \"host?password=***&st=h conn\"");
	scrub_case("a password= word after a space",
		   "postgresql://h/db password=Kq9Gv2Lm7Wz4 x", NULL,
		   "database \"db password=Kq9Gv2Lm7Wz4 x\"",
		   "database \"db password=***\"");
	{
		/* Two secrets that overlap in the text: replacing the longer
		 * first would cut the other apart and show its start. */
		char t[64] = "x abcdefXYZ123456789 y";

		dbh_secrets_forget();
		dbh_secrets_add("abcdefXYZ", 9);
		dbh_secrets_add("XYZ123456789", 12);
		dbh_secrets_scrub(t);
		ok(strcmp(t, "x *** y") == 0,
		   "scrub: overlapping secrets are hidden as one");
		if (strcmp(t, "x *** y"))
			printf("#   got: '%s'\n", t);
	}
	scrub_case("text without the password unchanged",
		   "postgresql://app:s3cret@h/db", NULL, "connection refused",
		   "connection refused");
}

static void target_case(const char *name, const char *url, const char *want)
{
	struct dbh_conninfo ci;
	struct dbh_error err;
	char out[128] = "";
	int rc = dbh_url_parse(url, &ci, &err);

	if (rc == 0)
		dbh_conninfo_target(&ci, out, sizeof(out));
	ok(rc == 0 && strcmp(out, want) == 0, "target: %s", name);
	if (rc == 0 && strcmp(out, want))
		printf("#   got: '%s' want: '%s'\n", out, want);
	dbh_conninfo_release(&ci);
}

static void run_target_cases(void)
{
	target_case("host and port",
		    "postgresql://app:pw@db.example.com:6543/x",
		    "db.example.com:6543");
	target_case("default port", "postgresql://h/x", "h:5432");
	target_case("a password that libpq reads as the host is scrubbed",
		    "postgresql://u?s@&password=Kq9Gv2Lm7Wz4&h/db",
		    "&password=***&h:5432");
	target_case("IPv6", "postgresql://[2001:db8::1]:6543/x",
		    "[2001:db8::1]:6543");
	target_case("IPv6 default port", "postgresql://[::1]/x", "[::1]:5432");
	target_case("first of several hosts", "postgresql://h1:5433,h2:5434/x",
		    "h1:5433");
	target_case("socket directory",
		    "postgresql:///x?host=%2Fvar%2Frun%2Fpostgresql",
		    "/var/run/postgresql");
	target_case("no host", "dbname=x", "localhost:5432");
	target_case("hostaddr alone", "hostaddr=10.0.0.1 port=6000",
		    "10.0.0.1:6000");
}

static void run_misc(void)
{
	struct dbh_conninfo ci;
	struct dbh_error err;
	int rc;

	memset(&ci, 0, sizeof(ci));
	dbh_conninfo_release(&ci);
	rc = dbh_url_parse(NULL, &ci, &err);
	ok(rc == DBH_EUSAGE && strstr(err.message, "empty") != NULL,
	   "parse: NULL is an empty URL");

	rc = dbh_url_parse("postgresql://app:pw@h/db", &ci, &err);
	if (rc == 0) {
		dbh_conninfo_set(&ci, "sslmode", "require");
		dbh_conninfo_set(&ci, "dbname", "other");
	}
	ok(rc == 0 && ci.n == 6 &&
	       strcmp(dbh_conninfo_get(&ci, "sslmode"), "require") == 0 &&
	       strcmp(dbh_conninfo_get(&ci, "dbname"), "other") == 0 &&
	       !ci.keywords[ci.n] && !ci.values[ci.n],
	   "set: adds and replaces, arrays stay NULL-terminated");
	dbh_conninfo_release(&ci);
	dbh_conninfo_release(&ci);
	ok(ci.n == 0 && !ci.keywords && !ci.values,
	   "release: twice is safe and leaves the struct empty");
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		run_parse_case(&parse_cases[i]);
	run_redact_cases();
	run_scrub_cases();
	run_target_cases();
	run_misc();
	return tap_done();
}
