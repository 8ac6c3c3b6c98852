/* suphost.c - Supabase's host names (see suphost.h). */
#include "dbhook/suphost.h"

#include <ctype.h>
#include <string.h>

#define POOLER ".pooler.supabase.com"
#define PROJECT ".supabase.co"

/* `host` lower-cased into `h` without a trailing dot; its length, or 0 for
 * what is no DNS name (IPv6 literals, brackets, spaces, too long). */
static size_t lower_host(const char *host, char *h, size_t hsz)
{
	size_t n = host ? strlen(host) : 0, i;

	if (n == 0 || n >= hsz)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!isalnum(c) && c != '.' && c != '-')
			return 0;
		h[i] = (char)tolower(c);
	}
	if (h[n - 1] == '.')
		n--;
	h[n] = '\0';
	return n;
}

int dbh_suphost_valid_ref(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > DBH_SUPABASE_REF_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int put_ref(const char *s, size_t n, char *ref, size_t refsz)
{
	if (!dbh_suphost_valid_ref(s, n) || n + 1 > refsz)
		return 0;
	memcpy(ref, s, n);
	ref[n] = '\0';
	return 1;
}

int dbh_suphost_ref(const char *host, const char *user, char *ref, size_t refsz)
{
	char h[256];
	size_t n;

	if (!ref || refsz == 0)
		return 0;
	ref[0] = '\0';
	n = lower_host(host, h, sizeof(h));
	if (ends_with(h, n, POOLER)) {
		const char *dot;

		/* The shared pooler: the tenant is in the user name. */
		if (n == strlen(POOLER) || h[0] == '.' || !user)
			return 0;
		dot = strrchr(user, '.');
		if (!dot || dot == user)
			return 0;
		return put_ref(dot + 1, strlen(dot + 1), ref, refsz);
	}
	if (ends_with(h, n, PROJECT)) {
		size_t k = n - strlen(PROJECT);

		if (k > 3 && memcmp(h, "db.", 3) == 0)
			return put_ref(h + 3, k - 3, ref, refsz);
		return put_ref(h, k, ref, refsz);
	}
	return 0;
}

enum dbh_suphost dbh_suphost_kind(const char *host)
{
	char h[256];
	size_t n = lower_host(host, h, sizeof(h));

	if (ends_with(h, n, POOLER) && n > strlen(POOLER))
		return DBH_SUPHOST_POOLER;
	if (ends_with(h, n, PROJECT) && n > strlen(PROJECT))
		return strncmp(h, "db.", 3) == 0 ? DBH_SUPHOST_DIRECT
						 : DBH_SUPHOST_PROJECT;
	return DBH_SUPHOST_NONE;
}
