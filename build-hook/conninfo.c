/* conninfo.c - the connection settings a database URL became: the
 * keyword/value pairs handed to libpq, read and changed by name, the target
 * shown in messages, and the checks of values that libpq itself makes only
 * when it connects.
 */
#include "dbhook/conninfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/secrets.h"

int dbh_conninfo_is_secret(const char *keyword)
{
	return strcmp(keyword, "password") == 0 ||
	       strcmp(keyword, "sslpassword") == 0;
}

void dbh_conninfo_release(struct dbh_conninfo *ci)
{
	size_t i;

	if (!ci)
		return;
	for (i = 0; i < ci->n; i++) {
		/* Every value, not only the password: cheaper than being
		 * wrong about which ones matter. */
		dbh_wipe_free(ci->values ? ci->values[i] : NULL);
		free(ci->keywords ? ci->keywords[i] : NULL);
	}
	free(ci->keywords);
	free(ci->values);
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

void dbh_conninfo_set(struct dbh_conninfo *ci, const char *keyword,
		      const char *value)
{
	char *v = dbh_xstrdup(value);
	size_t i;

	if (dbh_conninfo_is_secret(keyword))
		dbh_secrets_add(value, strlen(value));
	for (i = 0; i < ci->n; i++) {
		if (strcmp(ci->keywords[i], keyword) == 0) {
			dbh_wipe_free(ci->values[i]);
			ci->values[i] = v;
			return;
		}
	}
	ci->keywords = dbh_xrealloc(ci->keywords, ci->n + 2, sizeof(char *));
	ci->values = dbh_xrealloc(ci->values, ci->n + 2, sizeof(char *));
	ci->keywords[ci->n] = dbh_xstrdup(keyword);
	ci->values[ci->n] = v;
	ci->n++;
	ci->keywords[ci->n] = NULL;
	ci->values[ci->n] = NULL;
}

static int host_is_local(const char *h)
{
	return !*h || *h == '/' || *h == '@' || strcmp(h, "localhost") == 0 ||
	       strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0;
}

int dbh_conninfo_is_local(const struct dbh_conninfo *ci)
{
	const char *hosts = dbh_conninfo_get(ci, "host");
	char one[256];

	if (!hosts)
		hosts = dbh_conninfo_get(ci, "hostaddr");
	if (!hosts)
		return 1; /* libpq's default: the local Unix socket */
	while (*hosts) {
		size_t len = strcspn(hosts, ",");

		snprintf(one, sizeof(one), "%.*s", (int)len, hosts);
		if (!host_is_local(one))
			return 0;
		hosts += len;
		if (*hosts == ',')
			hosts++;
	}
	return 1;
}

char *dbh_conninfo_target(const struct dbh_conninfo *ci, char *out,
			  size_t outsz)
{
	const char *host = dbh_conninfo_get(ci, "host");
	const char *port = dbh_conninfo_get(ci, "port");
	char full[1024];
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
		snprintf(full, sizeof(full), "%.*s", (int)hlen, host);
	else if (memchr(host, ':', hlen))
		snprintf(full, sizeof(full), "[%.*s]:%.*s", (int)hlen, host,
			 (int)plen, port);
	else
		snprintf(full, sizeof(full), "%.*s:%.*s", (int)hlen, host,
			 (int)plen, port);
	/* A malformed URL can make a piece of the password the host
	 * ("postgresql://u?x@&password=pw&h/db"): scrubbed before the cut,
	 * like every text that is printed. */
	if (outsz)
		dbh_secrets_copy(out, outsz, full);
	return out;
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

int dbh_conninfo_check(const struct dbh_conninfo *ci, struct dbh_error *err)
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
