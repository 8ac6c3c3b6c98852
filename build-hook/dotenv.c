/* dotenv.c - a project's .env file (see dotenv.h). */
#include "dbhook/dotenv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbhook/alloc.h"
#include "dbhook/fileio.h"
#include "dbhook/secrets.h"

#define DOTENV_MAX (1u << 20) /* a larger .env is not a .env */

static void put(struct dbh_dotenv *env, const char *key, size_t klen, char *val)
{
	for (size_t i = 0; i < env->n; i++) {
		if (strlen(env->key[i]) == klen &&
		    memcmp(env->key[i], key, klen) == 0) {
			dbh_wipe_free(env->val[i]); /* the later line wins */
			env->val[i] = val;
			return;
		}
	}
	env->key = dbh_xrealloc(env->key, env->n + 1, sizeof(*env->key));
	env->val = dbh_xrealloc(env->val, env->n + 1, sizeof(*env->val));
	env->key[env->n] = dbh_xstrndup(key, klen);
	env->val[env->n++] = val;
}

static int is_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* The value of one line (`p` just after the '='), or NULL when it is
 * malformed: an unclosed quote, or text after the closing one. */
static char *value_of(const char *p)
{
	struct dbh_wbuf b = {0};
	char *v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"' || *p == '\'' || *p == '`') {
		char q = *p++;
		const char *end = p;

		while (*end && *end != q)
			end += end[0] == '\\' && end[1] == q ? 2 : 1;
		if (!*end)
			return NULL;
		for (const char *s = p; s < end; s++) {
			if (q == '"' && s[0] == '\\' && s[1] == 'n') {
				dbh_wbuf_addn(&b, "\n", 1);
				s++;
			} else if (q == '"' && s[0] == '\\' && s[1] == 'r') {
				dbh_wbuf_addn(&b, "\r", 1);
				s++;
			} else {
				dbh_wbuf_addn(&b, s, 1);
			}
		}
		for (p = end + 1; *p == ' ' || *p == '\t'; p++)
			;
		if (*p && *p != '#') {
			dbh_wbuf_wipe(&b);
			return NULL;
		}
	} else {
		size_t n = strcspn(p, "#");

		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		dbh_wbuf_addn(&b, p, n);
	}
	v = dbh_xstrdup(b.p ? b.p : "");
	dbh_wbuf_wipe(&b);
	return v;
}

/* One line (NUL-terminated, no newline): 0 when used or blank, -1 when
 * malformed. */
static int one_line(struct dbh_dotenv *env, char *line)
{
	char *p = line, *key, *val;
	size_t klen;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
		p += 6;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	key = p;
	while (is_key_char(*p))
		p++;
	klen = (size_t)(p - key);
	while (*p == ' ' || *p == '\t')
		p++;
	if (klen == 0 || *p != '=')
		return -1;
	val = value_of(p + 1);
	if (!val)
		return -1;
	/* A URL's password is registered by the parser that reads it; the
	 * hidden spans of any URL-looking value are registered here, so a
	 * value is scrubbed even before it is parsed. */
	if (strstr(val, "://") || strchr(val, '='))
		dbh_secrets_add_hidden(val);
	put(env, key, klen, val);
	return 0;
}

void dbh_dotenv_read(const char *path, struct dbh_dotenv *env,
		     const struct dbh_reporter *rep)
{
	char *text, *line;
	size_t len, lineno = 0;

	if (dbh_text_read(path, DOTENV_MAX, &text, &len, rep) != 0)
		return;
	env->read = 1;
	line = text;
	while (line < text + len) {
		char *nl = memchr(line, '\n', (size_t)(text + len - line));
		char *end = nl ? nl : text + len;
		int nul = memchr(line, '\0', (size_t)(end - line)) != NULL;

		lineno++;
		*end = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (nul || one_line(env, line) != 0)
			dbh_report(rep, DBH_WARN,
				   "%s:%zu: not a KEY=VALUE line (its text is "
				   "not shown: it may hold a password); "
				   "ignoring it",
				   path, lineno);
		line = end + 1;
	}
	dbh_secret_wipe(text, len);
	free(text);
}

const char *dbh_dotenv_get(const struct dbh_dotenv *env, const char *key)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->key[i], key) == 0)
			return env->val[i][0] ? env->val[i] : NULL;
	return NULL;
}

void dbh_dotenv_release(struct dbh_dotenv *env)
{
	for (size_t i = 0; i < env->n; i++) {
		free(env->key[i]);
		dbh_wipe_free(env->val[i]);
	}
	free(env->key);
	free(env->val);
	memset(env, 0, sizeof(*env));
}
