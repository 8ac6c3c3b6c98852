/* test_vault.c - the encrypted profile file: format, crypto, file safety,
 * and a loop of random corruptions (run under ASan by scripts/test).
 *
 * Cost: one real-cost seal and open (scrypt N=2^17, the default), the
 * rest with small N through the test-only `limits` argument of
 * dbh_vault_open (the command line always uses the default limits, which
 * refuse N < 2^15; a test below checks that too). No secret is printed.
 */
#include "dbhook/config.h"
#include "dbhook/vault.h"
#include "dbhook/vaultcrypt.h"
#include "dbhook/vaultfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

#define PW1 "pw-One-correct-horse"
#define PW2 "pw-Two-battery-staple"
#define WRONG_MSG                                                              \
	"cannot decrypt profile \"production\": wrong password or the file "   \
	"was changed"

/* The stored time of the test's profiles: 2024-01-05 09:30:00 UTC. */
#define T0 INT64_C(1704447000)

static const char b64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const struct dbh_vault_kdf small = {256, 8, 1};
static const struct dbh_vault_limits test_limits = {2, 1 << 12};

static const char *const urls[] = {
    "postgresql://app:s3cret@db.example.com:5432/app",
    "postgresql://u:p%40ss%3Aw%2Fo%25rd%23%3F@[2001:db8::1]:5432/d?"
    "sslmode=require&schema=my%20schema&application_name=a%26b",
    "host=localhost port=5432 user=app password='it''s \\\\ a \"test\"' "
    "dbname=x",
    "postgres://\xc3\xa9l\xc3\xa8ve:\xe2\x82\xac\xf0\x9f\x94\x91@h/db#frag",
    "postgresql://u:\t~!$&()*+,;=[]{}|^`<>@h/db",
    "x",
};

static char *long_url(void)
{
	static char buf[DBH_VAULT_SECRET_MAX + 1];

	memcpy(buf, "postgresql://u:", 15);
	for (size_t i = 15; i < DBH_VAULT_SECRET_MAX; i++)
		buf[i] = (char)('!' + (i * 7) % 90);
	buf[DBH_VAULT_SECRET_MAX] = '\0';
	return buf;
}

static int roundtrip(const char *url, const struct dbh_vault_kdf *kdf,
		     const struct dbh_vault_limits *lim)
{
	struct dbh_vault v = {0}, back;
	struct dbh_error err;
	char *text = NULL, *got = NULL;
	int same = 0;

	if (dbh_vault_seal(&v, "production", PW1, url, kdf, T0, &err))
		goto out;
	text = dbh_vault_format(&v);
	if (!text || dbh_vault_parse(text, strlen(text), "t", &back, &err))
		goto out;
	if (dbh_vault_open(&back, "production", PW1, lim, &got, &err) == 0)
		same = strcmp(got, url) == 0;
	dbh_vault_release(&back);
out:
	dbh_wipe_free(got);
	free(text);
	dbh_vault_release(&v);
	return same;
}

static void test_names(void)
{
	char big[DBH_VAULT_NAME_MAX + 2];

	ok(dbh_vault_valid_name("production") && dbh_vault_valid_name("a") &&
	       dbh_vault_valid_name("eu-west_1.staging"),
	   "valid profile names");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(!dbh_vault_valid_name("") && !dbh_vault_valid_name("-x") &&
	       !dbh_vault_valid_name(".x") && !dbh_vault_valid_name("a b") &&
	       !dbh_vault_valid_name("a/b") && !dbh_vault_valid_name("é") &&
	       !dbh_vault_valid_name(big),
	   "invalid profile names refused (empty, leading - or ., space, "
	   "slash, non-ASCII, 65 characters)");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_app_name(const char *tmp)
{
	char dir[600], path[700], out[101];
	struct dbh_error err;

	snprintf(dir, sizeof(dir), "%s/My App!", tmp);
	mkdir(dir, 0700);
	dbh_vault_app_name(dir, out, sizeof(out));
	is_str(out, "My-App", "no package.json: the folder name, sanitised");
	snprintf(path, sizeof(path), "%s/package.json", dir);
	write_file(path, "{\"name\": \"@acme/web\", \"version\": \"1.0.0\"}");
	dbh_vault_app_name(dir, out, sizeof(out));
	is_str(out, "acme-web", "package.json name \"@acme/web\" -> acme-web");
	write_file(path, "{\"name\": \"../../etc/x y\"}");
	dbh_vault_app_name(dir, out, sizeof(out));
	is_str(out, "etc-x-y", "no path tricks: \"../../etc/x y\" -> etc-x-y");
	write_file(path, "{\"name\": 42}");
	dbh_vault_app_name(dir, out, sizeof(out));
	is_str(out, "My-App", "a name that is not a string: the folder name");
	write_file(path, "{not json");
	dbh_vault_app_name(dir, out, sizeof(out));
	is_str(out, "My-App", "invalid package.json: the folder name");
	write_file(path, "{\"name\": \"shop\"}");
	if (chdir(dir) == 0) {
		setenv("HOME", "/home/someone", 1);
		dbh_config_load();
		ok(dbh_vault_default_path(path, sizeof(path), &err) == 0 &&
		       strcmp(path, "/home/someone/.shop-migrate-config") == 0,
		   "default path: ~/.<package name>-migrate-config");
		if (chdir(tmp) != 0)
			ok(0, "chdir back");
	} else {
		ok(0, "chdir into the app folder");
	}
	dbh_vault_app_name("/", out, sizeof(out));
	is_str(out, "app", "nothing usable: \"app\"");
}

static void test_crypto(void)
{
	struct dbh_vault v = {0}, back;
	struct dbh_error err;
	char *text, *got = NULL, *text2;
	int all = 1;

	/* The real cost once: default parameters, default limits. */
	ok(roundtrip(urls[0], NULL, NULL),
	   "round trip with the default scrypt cost (N=2^17)");
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		all &= roundtrip(urls[i], &small, &test_limits);
	ok(all,
	   "URLs with special characters round-trip byte for byte "
	   "(%zu of them)",
	   sizeof(urls) / sizeof(urls[0]));
	ok(roundtrip(long_url(), &small, &test_limits),
	   "a URL of the maximum length (%d bytes) round-trips",
	   DBH_VAULT_SECRET_MAX);
	ok(dbh_vault_seal(&v, "production", PW1, "", &small, T0, &err) ==
		   DBH_EUSAGE &&
	       v.n == 0,
	   "an empty URL is refused");

	dbh_vault_seal(&v, "production", PW1, urls[1], &small, T0, &err);
	dbh_vault_seal(&v, "staging", PW2, urls[2], &small, T0, &err);
	text = dbh_vault_format(&v);
	ok(text && strncmp(text, "dbhook-vault 2\n", 15) == 0 &&
	       strstr(text,
		      "\nprofile production scrypt N=256 r=8 p=1 salt=") &&
	       strstr(text, " stored=1704447000 nonce=") &&
	       strstr(text, "\nprofile staging scrypt ") &&
	       strcmp(text + strlen(text) - 5, "\nend\n") == 0,
	   "format: header, one line per profile, end line");
	ok(text && !strstr(text, "s3cret") && !strstr(text, "p%40ss") &&
	       !strstr(text, PW1) && !strstr(text, PW2) &&
	       !strstr(text, "example") && !strstr(text, "localhost"),
	   "no plaintext URL or password in the file text");
	ok(dbh_vault_parse(text, strlen(text), "t", &back, &err) == 0 &&
	       back.n == 2,
	   "the text parses back");
	text2 = dbh_vault_format(&back);
	ok(text2 && strcmp(text, text2) == 0,
	   "parse then format gives the same bytes (canonical)");
	free(text2);
	ok(dbh_vault_open(&back, "production", PW1, &test_limits, &got, &err) ==
		   0 &&
	       strcmp(got, urls[1]) == 0,
	   "profile 1 opens with its password");
	dbh_wipe_free(got);
	got = NULL;
	ok(dbh_vault_open(&back, "staging", PW2, &test_limits, &got, &err) ==
		   0 &&
	       strcmp(got, urls[2]) == 0,
	   "profile 2 opens with its own, different password");
	dbh_wipe_free(got);
	got = NULL;
	ok(dbh_vault_open(&back, "production", PW2, &test_limits, &got, &err) ==
		   DBH_EUSAGE &&
	       !got,
	   "profile 1 does not open with profile 2's password");
	is_str(err.message, WRONG_MSG, "the wrong-password message");
	ok(dbh_vault_open(&back, "nope", PW1, &test_limits, &got, &err) ==
		   DBH_EUSAGE &&
	       strstr(err.message, "no profile \"nope\""),
	   "unknown profile: clear error");
	ok(dbh_vault_open(&back, "production", PW1, NULL, &got, &err) ==
		   DBH_EUSAGE &&
	       strstr(err.message, "unsafe"),
	   "default limits refuse a profile with N < 2^15 as unsafe");
	dbh_vault_release(&back);

	/* Replacing one profile keeps the other, in place; fresh salt and
	 * nonce for every write. */
	{
		unsigned char salt[16], nonce[12];
		const struct dbh_vault_profile *p;

		p = dbh_vault_find(&v, "production");
		memcpy(salt, p->salt, 16);
		memcpy(nonce, p->nonce, 12);
		dbh_vault_seal(&v, "production", PW1, urls[1], &small, T0,
			       &err);
		p = dbh_vault_find(&v, "production");
		ok(v.n == 2 && p == &v.p[0] && memcmp(salt, p->salt, 16) &&
		       memcmp(nonce, p->nonce, 12),
		   "re-sealing a profile keeps the others and its place, with "
		   "a fresh salt and nonce");
	}
	ok(dbh_vault_remove(&v, "production") == 0 && v.n == 1 &&
	       strcmp(v.p[0].name, "staging") == 0 &&
	       dbh_vault_remove(&v, "production") == -1,
	   "remove a profile; removing it twice fails");
	dbh_vault_release(&v);
	free(text);
}

/* Replaces the first `from` in `text` with `to` (same length). */
static int patch(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);

	if (!at || strlen(from) != strlen(to))
		return -1;
	memcpy(at, to, strlen(to));
	return 0;
}

static int opens(const char *text, const char *name, const char *pw,
		 struct dbh_error *err)
{
	struct dbh_vault v;
	char *got = NULL;
	int ret = dbh_vault_parse(text, strlen(text), "t", &v, err);

	if (ret)
		return ret;
	ret = dbh_vault_open(&v, name, pw, &test_limits, &got, err);
	dbh_wipe_free(got);
	dbh_vault_release(&v);
	return ret;
}

static void test_tamper(void)
{
	struct dbh_vault v = {0};
	struct dbh_error err;
	char *text, *t;
	char *ct;

	dbh_vault_seal(&v, "production", PW1, urls[0], &small, T0, &err);
	dbh_vault_seal(&v, "xroduction", PW1, urls[0], &small, T0, &err);
	text = dbh_vault_format(&v);
	dbh_vault_release(&v);

	ok(opens(text, "production", PW1, &err) == 0 &&
	       opens(text, "xroduction", PW1, &err) == 0,
	   "untouched file opens");
	t = strdup(text);
	ok(patch(t, "profile production", "profile qroduction") == 0 &&
	       patch(t, "profile xroduction", "profile production") == 0 &&
	       opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "the profile name is authenticated: a record renamed to "
	   "\"production\" does not open");
	free(t);
	t = strdup(text);
	patch(t, "N=256 ", "N=512 ");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "the KDF parameters are authenticated (N changed: same message)");
	free(t);
	t = strdup(text);
	patch(t, "dbhook-vault 2\n", "dbhook-vault 3\n");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "format version 3") &&
	       strstr(err.message, "reads versions 1 and 2"),
	   "unsupported version: clear message");
	free(t);
	t = strdup(text);
	patch(t, "dbhook-vault", "dbhook-vaulT");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "not a dbhook profile file"),
	   "flipped header byte: not a profile file");
	free(t);
	/* One ciphertext byte changed to another base64 digit. */
	t = strdup(text);
	ct = strstr(t, " ct=") + 6;
	*ct = *ct == 'A' ? 'B' : 'A';
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "changed ciphertext: the same message as a wrong password");
	free(t);
	t = strdup(text);
	ct = strstr(t, " tag=") + 7;
	*ct = *ct == 'A' ? 'B' : 'A';
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "changed tag: the same message as a wrong password");
	free(t);
	/* A non-canonical spelling of the same salt bytes ("..xg==" and
	 * "..xh==" decode alike when the unused bits differ). */
	t = strdup(text);
	ct = strstr(t, " stored=") - 3; /* last digit before "==" */
	*ct = b64_digits[(strchr(b64_digits, *ct) - b64_digits) ^ 1];
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "damaged") && strstr(err.message, "salt"),
	   "non-canonical base64 is refused, so no byte can change "
	   "unnoticed");
	free(t);
	t = strdup(text);
	t[strlen(t) - 4] = '\0'; /* "...\ne" */
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "truncated"),
	   "truncated inside the end line: damaged (truncated?)");
	free(t);
	t = strdup(text);
	*strstr(t, "end\n") = '\0';
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "truncated"),
	   "truncated at a line boundary: the missing end line is noticed");
	free(t);
	{
		int all = 1;
		size_t n = strlen(text);

		for (size_t len = 0; len < n; len++) {
			struct dbh_vault pv;

			if (dbh_vault_parse(text, len, "t", &pv, &err) == 0) {
				all = 0;
				dbh_vault_release(&pv);
			}
		}
		ok(all, "every one of the %zu truncations is refused", n);
	}
	free(text);
}

/* ---- format versions and the stored time ---- */

/* A file written by the dbhook before profiles recorded their time
 * (format version 1, scrypt N=2^15): "legacy" under LEGACY_PW, "other"
 * under another password. */
#define LEGACY_PW "Legacy-vault-pw-1"
#define LEGACY_URL "postgresql://legacy_user:Legacy-db-pw-9@127.0.0.1:1/legacy"
static const char legacy_file[] =
    "dbhook-vault 1\n"
    "# dbhook encrypted profiles (dbhook setup / dbhook run). Do not edit: "
    "see \"Vault file format\" in dbhook's README.\n"
    "profile legacy scrypt N=32768 r=8 p=1 salt=2Aw5Ug2iDVCkfcYY/SDdJw== "
    "nonce=NlngqOi3gkfpJ2lp "
    "ct=K15DyeNM7/PEkCGbwTY14bfp7gr4ypfmj4j+TrUAoz/"
    "t6Jb398otC695uKv/6vE0OX71UBOL+SymWQ== tag=y1CjA1VR9L+cJOSXwElbXQ==\n"
    "profile other scrypt N=32768 r=8 p=1 salt=2mIgAE7OAvb5yy2msm/bMA== "
    "nonce=md2IUtkGawqNwcGv "
    "ct=gY9sjp3BkrMiS0rZwT3FbdNlwx06PGNIzUx803Ort1hdHFPzZFXqzOQXMhhFYxbABVHGHZ"
    "A+3utl tag=ciT4stqBkKPHVjNRdRcXOg==\n"
    "end\n";
static const struct dbh_vault_limits legacy_limits = {2, 1 << 15};

static void test_versions(void)
{
	struct dbh_vault v, back;
	struct dbh_error err;
	struct dbh_vault_profile *p;
	char *text = NULL, *got = NULL, *t, stamp[64];
	char line[600];

	ok(dbh_vault_parse(legacy_file, strlen(legacy_file), "t", &v, &err) ==
		   0 &&
	       v.n == 2 && v.p[0].version == 1 && v.p[1].version == 1,
	   "a version-1 file parses: two records of version 1");
	p = dbh_vault_find(&v, "legacy");
	ok(p && dbh_vault_age_days(p, T0) == -1,
	   "a version-1 record has no stored time: age unknown (-1)");
	ok(dbh_vault_aad(p, line, sizeof(line)) > 0 &&
	       strncmp(line, "dbhook-vault 1\nprofile legacy scrypt ", 37) ==
		   0 &&
	       !strstr(line, "stored="),
	   "its associated data is version 1's, without a time");
	ok(dbh_vault_open(&v, "legacy", LEGACY_PW, &legacy_limits, &got,
			  &err) == 0 &&
	       strcmp(got, LEGACY_URL) == 0,
	   "a profile written by the earlier dbhook opens");
	dbh_wipe_free(got);
	got = NULL;
	text = dbh_vault_format(&v);
	is_str(text, legacy_file,
	       "formatted again: the same bytes (still version 1, readable "
	       "by the earlier dbhook)");
	free(text);

	/* A version-2 record beside them: the header goes to 2, the
	 * version-1 records keep their bytes and still open. */
	dbh_vault_seal(&v, "legacy", "New-vault-pw-22", LEGACY_URL, &small, T0,
		       &err);
	text = dbh_vault_format(&v);
	snprintf(stamp, sizeof(stamp), " stored=%lld nonce=", (long long)T0);
	ok(text && strncmp(text, "dbhook-vault 2\n", 15) == 0 &&
	       strstr(text, stamp),
	   "re-sealed: header 2, the record holds its stored time");
	t = strstr(legacy_file, "profile other ");
	ok(text && t && strstr(text, t) == text + strlen(text) - strlen(t),
	   "the version-1 record beside it is kept byte for byte");
	ok(text && dbh_vault_parse(text, strlen(text), "t", &back, &err) == 0 &&
	       dbh_vault_find(&back, "other")->version == 1 &&
	       dbh_vault_find(&back, "legacy")->version == 2 &&
	       dbh_vault_find(&back, "legacy")->stored == T0,
	   "a file of both versions parses");
	if (back.n == 2) {
		ok(dbh_vault_open(&back, "legacy", "New-vault-pw-22",
				  &test_limits, &got, &err) == 0 &&
		       strcmp(got, LEGACY_URL) == 0,
		   "the version-2 record opens with its new password");
		dbh_wipe_free(got);
		got = NULL;
		ok(dbh_vault_open(&back, "legacy", LEGACY_PW, &test_limits,
				  &got, &err) == DBH_EUSAGE &&
		       strcmp(err.message,
			      "cannot decrypt profile \"legacy\": wrong "
			      "password or the file was changed") == 0,
		   "the old password no longer opens it");
		ok(dbh_vault_open(&back, "other", "Legacy-vault-pw-2",
				  &legacy_limits, &got, &err) == 0,
		   "the version-1 record opens in a version-2 file");
		dbh_wipe_free(got);
		got = NULL;
		dbh_vault_release(&back);
	}
	free(text);
	dbh_vault_release(&v);

	/* Ages in whole days. */
	{
		struct dbh_vault_profile q;

		memset(&q, 0, sizeof(q));
		q.version = 2;
		q.stored = T0;
		ok(dbh_vault_age_days(&q, T0) == 0 &&
		       dbh_vault_age_days(&q, T0 + 86399) == 0 &&
		       dbh_vault_age_days(&q, T0 + 86400) == 1 &&
		       dbh_vault_age_days(&q, T0 + 90 * 86400 + 5) == 90 &&
		       dbh_vault_age_days(&q, T0 - 3600) == 0,
		   "age: whole days; under a day (or a clock set back) is 0");
	}

	/* The stored time is authenticated, and has one spelling. */
	memset(&v, 0, sizeof(v));
	dbh_vault_seal(&v, "production", PW1, urls[0], &small, T0, &err);
	text = dbh_vault_format(&v);
	dbh_vault_release(&v);
	t = strdup(text);
	patch(t, " stored=1704447000 ", " stored=1704447001 ");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "a changed stored time: the same message as a wrong password");
	free(t);
	t = strdup(text);
	{
		char *at = strstr(t, " stored=");

		memmove(at, at + 18, strlen(at + 18) + 1); /* the field gone */
		patch(t, "dbhook-vault 2\n", "dbhook-vault 1\n");
	}
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strcmp(err.message, WRONG_MSG) == 0,
	   "the stored time removed (read as version 1): does not open");
	free(t);
	t = strdup(text);
	patch(t, " stored=1704447000 ", " stored=0170444700 ");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "bad stored time"),
	   "a stored time with a leading zero is refused (one spelling)");
	free(t);
	t = strdup(text);
	patch(t, "dbhook-vault 2\n", "dbhook-vault 1\n");
	ok(opens(t, "production", PW1, &err) == DBH_EUSAGE &&
	       strstr(err.message, "line 3: a version-2 profile"),
	   "a version-2 record under a header of version 1: damaged");
	free(t);
	free(text);
	t = strdup(legacy_file);
	patch(t, "dbhook-vault 1\n", "dbhook-vault 2\n");
	ok(opens(t, "legacy", LEGACY_PW, &err) == DBH_EUSAGE &&
	       strstr(err.message, "no version-2 profile"),
	   "a header of version 2 over version-1 records only: damaged");
	free(t);
	memset(&v, 0, sizeof(v));
	ok(dbh_vault_seal(&v, "production", PW1, urls[0], &small, -1, &err) ==
		   DBH_EUSAGE &&
	       v.n == 0,
	   "sealing refuses a time before 1970");
	text = dbh_vault_format(&v);
	ok(text && strncmp(text, "dbhook-vault 1\n", 15) == 0,
	   "an empty file is written as version 1");
	free(text);
}

/* ---- random corruptions ---- */

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return n ? (unsigned)((rng_state >> 33) % n) : 0;
}

static size_t mutate(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = len, k;
	int rounds = 1 + (int)rnd(3);

	memcpy(out, in, len);
	while (rounds--) {
		size_t at;

		if (n == 0)
			break;
		at = rnd((unsigned)n);
		switch (rnd(8)) {
		case 0: /* flip a bit */
			out[at] = (char)(out[at] ^ (1 << rnd(8)));
			break;
		case 1: /* any byte */
			out[at] = (char)rnd(256);
			break;
		case 2: /* truncate */
			n = at;
			break;
		case 3: /* delete a range */
			k = 1 + rnd(16);
			if (at + k > n)
				k = n - at;
			memmove(out + at, out + at + k, n - at - k);
			n -= k;
			break;
		case 4: /* insert bytes */
			k = 1 + rnd(8);
			if (n + k > cap)
				break;
			memmove(out + at + k, out + at, n - at);
			for (size_t i = 0; i < k; i++)
				out[at + i] = (char)rnd(256);
			n += k;
			break;
		case 5: /* duplicate a chunk elsewhere */
			k = 1 + rnd(40);
			if (at + k > n || n + k > cap)
				break;
			{
				size_t to = rnd((unsigned)n);
				char chunk[40];

				memcpy(chunk, out + at, k);
				memmove(out + to + k, out + to, n - to);
				memcpy(out + to, chunk, k);
				n += k;
			}
			break;
		default: /* another base64 digit: often still parses */
			out[at] = b64_digits[rnd(64)];
			break;
		}
	}
	return n;
}

static void test_fuzz(const char *tmp)
{
	struct dbh_vault v = {0};
	struct dbh_error err;
	char *text, *buf, path[700];
	const char *env = getenv("VAULT_FUZZ_SEED");
	size_t len, cap;
	int iterations = 2000, bad = 0, parse_err = 0, open_err = 0, intact = 0;
	const char *names[2] = {"production", "staging"};
	const char *pws[2] = {PW1, PW2};
	const char *want[2] = {urls[1], urls[3]};

	rng_state = env ? strtoull(env, NULL, 10) : 20240105093000ULL;
	dbh_vault_seal(&v, names[0], pws[0], want[0], &small, T0, &err);
	dbh_vault_seal(&v, names[1], pws[1], want[1], &small, T0, &err);
	text = dbh_vault_format(&v);
	dbh_vault_release(&v);
	len = strlen(text);
	cap = len * 2 + 64;
	buf = malloc(cap);
	snprintf(path, sizeof(path), "%s/fuzz-config", tmp);
	for (int it = 0; it < iterations; it++) {
		size_t n = mutate(text, len, buf, cap);
		struct dbh_vault fv;
		int ret;

		if (it % 10 == 0) {
			/* Through the file, too. */
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
				bad++;
			if (fd >= 0)
				close(fd);
			ret = dbh_vault_load(path, &fv, NULL, &err);
		} else {
			ret = dbh_vault_parse(buf, n, "fuzz", &fv, &err);
		}
		if (ret) {
			parse_err++;
			if (ret != DBH_EUSAGE || !err.message[0])
				bad++;
			continue;
		}
		for (int i = 0; i < 2; i++) {
			char *got = NULL;

			ret = dbh_vault_open(&fv, names[i], pws[i],
					     &test_limits, &got, &err);
			if (ret == 0 && strcmp(got, want[i]) == 0)
				intact++;
			else if (ret == DBH_EUSAGE && err.message[0] && !got)
				open_err++;
			else
				bad++; /* a changed URL got through */
			dbh_wipe_free(got);
		}
		{
			/* Whatever parsed formats and parses again. */
			char *again = dbh_vault_format(&fv);
			struct dbh_vault rv;

			if (!again || dbh_vault_parse(again, strlen(again),
						      "re", &rv, &err)) {
				bad++;
			} else {
				dbh_vault_release(&rv);
			}
			free(again);
		}
		dbh_vault_release(&fv);
	}
	unlink(path);
	printf("# %d corruptions: %d refused when parsing, %d refused when "
	       "decrypting, %d profiles untouched and intact\n",
	       iterations, parse_err, open_err, intact);
	ok(bad == 0,
	   "%d random corruptions: always a clean error or the original URL "
	   "(%d bad)",
	   iterations, bad);
	ok(parse_err > 100 && open_err > 100,
	   "the corruptions reach both the parser and the decryption");
	free(buf);
	free(text);
}

/* ---- the file on disk ---- */

static void test_files(const char *tmp)
{
	struct dbh_vault v = {0}, back;
	struct dbh_error err;
	struct stat st;
	char path[700], link[700], dir[700], *got = NULL, buf[8192];
	int missing = -1, fd, lockfd = -1, lock2 = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cfg", tmp);
	snprintf(link, sizeof(link), "%s/cfg-link", tmp);
	ok(dbh_vault_load(path, &back, &missing, &err) == 0 && missing == 1 &&
	       back.n == 0,
	   "missing file: reported as missing, not an error");
	ok(dbh_vault_load(path, &back, NULL, &err) == DBH_EUSAGE &&
	       strstr(err.message, "no config file"),
	   "missing file when one is required: error");
	dbh_vault_seal(&v, "production", PW1, urls[1], &small, T0, &err);
	umask(0);
	ok(dbh_vault_save(path, &v, &err) == 0 && stat(path, &st) == 0 &&
	       (st.st_mode & 07777) == 0600,
	   "saved with mode 0600 under umask 000");
	umask(022);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	ok(n > 0 && !strstr(buf, "p%40ss") && !strstr(buf, PW1) &&
	       !strstr(buf, "2001:db8"),
	   "no URL or password bytes in the saved file");
	ok(dbh_vault_load(path, &back, NULL, &err) == 0 &&
	       dbh_vault_open(&back, "production", PW1, &test_limits, &got,
			      &err) == 0 &&
	       strcmp(got, urls[1]) == 0,
	   "load + open gives the URL back");
	dbh_wipe_free(got);
	dbh_vault_release(&back);

	chmod(path, 0640);
	ok(dbh_vault_load(path, &back, NULL, &err) == DBH_EUSAGE &&
	       strstr(err.message, "0640") && strstr(err.hint, "chmod 600 "),
	   "group-readable file refused, with the chmod that fixes it");
	chmod(path, 0602);
	ok(dbh_vault_load(path, &back, NULL, &err) == DBH_EUSAGE &&
	       strstr(err.message, "too open"),
	   "world-writable file refused");
	chmod(path, 0600);
	if (geteuid() == 0) {
		ok(chown(path, 65534, 65534) == 0 &&
		       dbh_vault_load(path, &back, NULL, &err) == DBH_EUSAGE &&
		       strstr(err.message, "owned by uid 65534"),
		   "file owned by another user refused");
		if (chown(path, 0, 0) != 0)
			ok(0, "chown back");
	} else {
		ok(1, "# SKIP owner check needs root (t_vault.sh covers it)");
	}
	unlink(link);
	ok(symlink(path, link) == 0 &&
	       dbh_vault_load(link, &back, NULL, &err) == DBH_EUSAGE &&
	       strstr(err.message, "symbolic link"),
	   "a symbolic link is not followed when reading");
	ok(dbh_vault_save(link, &v, &err) == DBH_EUSAGE &&
	       strstr(err.message, "symbolic link") && lstat(link, &st) == 0 &&
	       S_ISLNK(st.st_mode),
	   "nor written through (the link stays a link)");
	unlink(link);
	snprintf(dir, sizeof(dir), "%s/adir", tmp);
	mkdir(dir, 0700);
	ok(dbh_vault_load(dir, &back, NULL, &err) == DBH_EUSAGE &&
	       dbh_vault_save(dir, &v, &err) == DBH_EUSAGE,
	   "a folder in place of the file is refused");
	rmdir(dir);
	ok(dbh_vault_lock(path, 5, &lockfd, &err) == 0 &&
	       dbh_vault_lock(path, 0.2, &lock2, &err) == DBH_EUSAGE &&
	       strstr(err.message, "another dbhook"),
	   "the writers' lock excludes a second writer");
	dbh_vault_unlock(lockfd);
	ok(dbh_vault_lock(path, 1, &lock2, &err) == 0,
	   "and is free again once released");
	dbh_vault_unlock(lock2);
	{
		char cmd[800];
		FILE *p;
		int strays = -1;

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c tmp", tmp);
		p = popen(cmd, "r");
		if (p) {
			if (fscanf(p, "%d", &strays) != 1)
				strays = -1;
			pclose(p);
		}
		ok(strays == 0, "no temporary file left behind");
	}
	unlink(path);
	dbh_vault_release(&v);
}

int main(void)
{
	char tmp[] = "/tmp/test_vault-XXXXXX";

	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_names();
	test_app_name(tmp);
	test_crypto();
	test_tamper();
	test_versions();
	test_files(tmp);
	test_fuzz(tmp);
	{
		char cmd[100];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			ok(0, "clean up");
	}
	return tap_done();
}
