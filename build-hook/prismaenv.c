/* prismaenv.c - the variables a project's Prisma files name (see
 * prismaenv.h). A small reader of just enough of schema.prisma and
 * prisma.config.ts: comments and strings are told apart, the datasource
 * block is found, and each url/directUrl is either a plain env("NAME") or
 * skipped with a note. */
#include "dbhook/prismaenv.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dbhook/alloc.h"
#include "dbhook/dotenv.h"
#include "dbhook/fileio.h"
#include "dbhook/jsonfile.h"

#define PRISMA_FILE_MAX (4u << 20)
#define MAX_PACKAGES 500 /* workspace folders looked into, at most */

/* Blanks out comments in place (newlines kept): // to the end of the line
 * and, in TypeScript (`ts`), block comments; quoted strings are kept. */
static void strip_comments(char *s, int ts)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == q)
				q = 0;
		} else if (*s == '"' || (ts && (*s == '\'' || *s == '`'))) {
			q = *s;
		} else if (s[0] == '/' && s[1] == '/') {
			while (*s && *s != '\n')
				*s++ = ' ';
			if (!*s)
				return;
		} else if (ts && s[0] == '/' && s[1] == '*') {
			char *end = strstr(s + 2, "*/");
			char *stop = end ? end + 2 : s + strlen(s);

			for (; s < stop; s++)
				if (*s != '\n')
					*s = ' ';
			s--;
		}
	}
}

static const char *skip_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Whether `v` (n bytes) is exactly env("NAME") (or env('NAME') with `ts`),
 * blanks allowed around the parts; NAME into `name`. */
static int plain_env(const char *v, size_t n, int ts, char *name, size_t namesz)
{
	char buf[256], q;
	const char *p, *start;
	size_t len;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	p = skip_ws(buf);
	if (strncmp(p, "env", 3) != 0)
		return 0;
	p = skip_ws(p + 3);
	if (*p++ != '(')
		return 0;
	p = skip_ws(p);
	q = *p++;
	if (q != '"' && !(ts && q == '\''))
		return 0;
	start = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	len = (size_t)(p - start);
	if (len == 0 || len >= namesz || *p++ != q)
		return 0;
	p = skip_ws(p);
	if (*p++ != ')' || *skip_ws(p))
		return 0;
	memcpy(name, start, len);
	name[len] = '\0';
	return 1;
}

static void add_var(struct dbh_prisma_vars *out, const char *name,
		    const char *file, const char *prop, int direct)
{
	if (out->n == DBH_PRISMA_VARS)
		return;
	snprintf(out->v[out->n].name, sizeof(out->v[0].name), "%s", name);
	snprintf(out->v[out->n].from, sizeof(out->v[0].from), "%s's %s", file,
		 prop);
	out->v[out->n++].direct = direct;
}

/* The word `word` at p, not inside a longer identifier. */
static int word_at(const char *text, const char *p, const char *word)
{
	size_t n = strlen(word);

	return strncmp(p, word, n) == 0 && !ident_char(p[n]) &&
	       (p == text || !ident_char(p[-1]));
}

/* schema.prisma: the datasource block's url and directUrl. Returns 1 when
 * the file has a datasource block. */
static int schema_vars(const char *path, struct dbh_prisma_vars *out,
		       const struct dbh_reporter *rep)
{
	char *text, *p, *end, name[128];
	size_t len;

	if (dbh_text_read(path, PRISMA_FILE_MAX, &text, &len, rep) != 0)
		return 0;
	strip_comments(text, 0);
	for (p = text; (p = strstr(p, "datasource")) != NULL; p++) {
		const char *q;

		if (!word_at(text, p, "datasource"))
			continue;
		q = skip_ws(p + 10);
		while (ident_char(*q))
			q++;
		q = skip_ws(q);
		if (*q == '{') {
			p = (char *)q + 1;
			break;
		}
	}
	if (!p || !(end = strchr(p, '}'))) {
		free(text);
		return 0;
	}
	*end = '\0';
	for (char *line = p; line && *line;) {
		char *nl = strchr(line, '\n'), *key, *v;
		size_t klen;

		if (nl)
			*nl = '\0';
		key = (char *)skip_ws(line);
		for (klen = 0; ident_char(key[klen]); klen++)
			;
		v = (char *)skip_ws(key + klen);
		if (*v == '=' &&
		    ((klen == 3 && strncmp(key, "url", 3) == 0) ||
		     (klen == 9 && strncmp(key, "directUrl", 9) == 0))) {
			int direct = klen == 9;
			size_t vlen;

			v = (char *)skip_ws(v + 1);
			for (vlen = strlen(v);
			     vlen && isspace((unsigned char)v[vlen - 1]);
			     vlen--)
				;
			key[klen] = '\0';
			if (plain_env(v, vlen, 0, name, sizeof(name))) {
				add_var(out, name, path, key, direct);
			} else {
				dbh_report(rep, DBH_NOTE,
					   "%s: the datasource's %s is %s: "
					   "skipped",
					   path, key,
					   *v == '"'
					       ? "a URL written in the file (a "
						 "password in the repository; "
						 "use env(\"NAME\") instead)"
					       : "not a plain env(\"NAME\")");
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return 1;
}

/* The end of a TypeScript value starting at p: the ',' or '}' closing it
 * at its own depth (strings and brackets skipped). */
static const char *ts_value_end(const char *p)
{
	int depth = 0;
	char q = 0;

	for (; *p; p++) {
		if (q) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'' || *p == '`') {
			q = *p;
		} else if (*p == '(' || *p == '[' || *p == '{') {
			depth++;
		} else if (*p == ')' || *p == ']' || *p == '}') {
			if (depth-- == 0)
				return p;
		} else if (*p == ',' && depth == 0) {
			return p;
		}
	}
	return p;
}

/* prisma.config.ts: its datasource's url and directUrl. */
static void config_vars(const char *path, struct dbh_prisma_vars *out,
			const struct dbh_reporter *rep)
{
	char *text, *p, name[128];
	const char *urlv = NULL;
	size_t len, urln = 0;
	int has_direct = 0;

	if (dbh_text_read(path, PRISMA_FILE_MAX, &text, &len, rep) != 0)
		return;
	strip_comments(text, 1);
	for (p = text; (p = strstr(p, "datasource")) != NULL; p++)
		if (word_at(text, p, "datasource") && *skip_ws(p + 10) == ':')
			break;
	if (!p) {
		free(text);
		return;
	}
	p = (char *)skip_ws(skip_ws(p + 10) + 1);
	if (*p != '{') {
		dbh_report(rep, DBH_NOTE,
			   "%s: the datasource is skipped: not a plain "
			   "{ url: env(\"NAME\") }",
			   path);
		free(text);
		return;
	}
	for (p++;;) {
		const char *key, *v, *vend;
		size_t klen;

		p = (char *)skip_ws(p);
		while (*p == ',')
			p = (char *)skip_ws(p + 1);
		if (!*p || *p == '}')
			break;
		key = p;
		if (*p == '"' || *p == '\'')
			key++;
		for (klen = 0; ident_char(key[klen]); klen++)
			;
		v = skip_ws(key + klen + (*p == '"' || *p == '\''));
		vend = ts_value_end(*v == ':' ? v + 1 : v);
		if (*v == ':' &&
		    ((klen == 3 && strncmp(key, "url", 3) == 0) ||
		     (klen == 9 && strncmp(key, "directUrl", 9) == 0))) {
			size_t vlen;

			v = skip_ws(v + 1);
			for (vlen = (size_t)(vend - v);
			     vlen && isspace((unsigned char)v[vlen - 1]);
			     vlen--)
				;
			if (!plain_env(v, vlen, 1, name, sizeof(name)))
				dbh_report(rep, DBH_NOTE,
					   "%s: the datasource's %.*s is "
					   "skipped: not a plain env(\"NAME\")",
					   path, (int)klen, key);
			else if (klen == 9) {
				has_direct = 1;
				add_var(out, name, path, "directUrl", 1);
			} else {
				urlv = v;
				urln = vlen;
			}
		}
		if (!*vend || *vend == '}')
			break;
		p = (char *)vend + 1;
	}
	/* Prisma 7 has no directUrl: its url is the one Migrate uses. */
	if (urlv && plain_env(urlv, urln, 1, name, sizeof(name)))
		add_var(out, name, path, "url", !has_direct);
	free(text);
}

/* A schema path that is a folder (Prisma's multi-file schema): the first
 * *.prisma file in it with a datasource block. */
static void schema_path_vars(const char *path, struct dbh_prisma_vars *out,
			     const struct dbh_reporter *rep)
{
	struct stat st;
	struct dirent **ents = NULL;
	int n;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		schema_vars(path, out, rep);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0, found = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f);

		if (!found && len > 7 && strcmp(f + len - 7, ".prisma") == 0) {
			char *full = dbh_path_join(path, f);

			found = schema_vars(full, out, rep);
			free(full);
		}
		free(ents[i]);
	}
	free(ents);
}

/* The Prisma files of one folder; 1 when it has any. */
static int folder_vars(const char *dir, const cJSON *pkg,
		       struct dbh_prisma_vars *out,
		       const struct dbh_reporter *rep)
{
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(pkg, "prisma"), "schema");
	char *config = dbh_path_join(dir, "prisma.config.ts");
	char *path;
	struct stat st;
	int any = 0;

	if (stat(config, &st) == 0) {
		config_vars(config, out, rep);
		any = 1;
	}
	free(config);
	if (cJSON_IsString(schema) && schema->valuestring[0])
		path = dbh_path_join(dir, schema->valuestring);
	else
		path = dbh_path_join(dir, "prisma/schema.prisma");
	if (stat(path, &st) == 0) {
		schema_path_vars(path, out, rep);
		any = 1;
	}
	free(path);
	return any;
}

/* The workspace patterns of `dir`: package.json's "workspaces" (a list,
 * or {"packages": [...]}) and pnpm-workspace.yaml's packages list. */
static size_t workspace_patterns(const char *dir, const cJSON *pkg, char **pat,
				 size_t max, const struct dbh_reporter *rep)
{
	const cJSON *ws = cJSON_GetObjectItemCaseSensitive(pkg, "workspaces");
	const cJSON *it;
	char *path = dbh_path_join(dir, "pnpm-workspace.yaml"), *text, *line;
	size_t n = 0, len;
	int in_list = 0;

	if (cJSON_IsObject(ws))
		ws = cJSON_GetObjectItemCaseSensitive(ws, "packages");
	if (!cJSON_IsArray(ws))
		ws = NULL;
	for (it = ws ? ws->child : NULL; it; it = it->next)
		if (cJSON_IsString(it) && n < max)
			pat[n++] = dbh_xstrdup(it->valuestring);
	if (dbh_text_read(path, PRISMA_FILE_MAX, &text, &len, rep) != 0) {
		free(path);
		return n;
	}
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *p = skip_ws(line);
		size_t vlen;

		if (line[0] && !isspace((unsigned char)line[0]) &&
		    line[0] != '-' && line[0] != '#')
			in_list = strncmp(line, "packages:", 9) == 0;
		else if (in_list && *p == '-') {
			p = skip_ws(p + 1);
			if (*p == '"' || *p == '\'')
				p++;
			vlen = strcspn(p, "\"' #\r");
			if (vlen && n < max)
				pat[n++] = dbh_xstrndup(p, vlen);
		}
	}
	free(text);
	free(path);
	return n;
}

/* Whether the package folder has Prisma files. */
static int has_prisma(const char *pkgdir)
{
	char *a = dbh_path_join(pkgdir, "prisma/schema.prisma");
	char *b = dbh_path_join(pkgdir, "prisma.config.ts");
	struct stat st;
	int yes = stat(a, &st) == 0 || stat(b, &st) == 0;

	free(a);
	free(b);
	return yes;
}

/* The workspace packages of `dir` with Prisma files, into found[] (at
 * most `max`, owned); returns how many there are in all. */
static size_t prisma_packages(const char *dir, const cJSON *pkg, char **found,
			      size_t max, const struct dbh_reporter *rep)
{
	char *pat[32];
	size_t npat = workspace_patterns(dir, pkg, pat, 32, rep), n = 0;
	size_t looked = 0;

	for (size_t i = 0; i < npat; i++) {
		char *p = pat[i], *base;
		size_t len;
		struct dirent **ents = NULL;
		int ne;

		if (strncmp(p, "./", 2) == 0)
			p += 2;
		len = strlen(p);
		if (p[0] == '!' ||
		    (strpbrk(p, "*?[{") &&
		     (len < 2 || strcmp(p + len - 2, "/*") != 0 ||
		      strpbrk(p, "?[{") || memchr(p, '*', len - 1)))) {
			free(pat[i]);
			continue; /* deeper globs are not followed */
		}
		if (!strpbrk(p, "*")) {
			char *d = dbh_path_join(dir, p);

			if (has_prisma(d) && n++ < max)
				found[n - 1] = dbh_xstrdup(d);
			free(d);
			free(pat[i]);
			continue;
		}
		p[len - 2] = '\0';
		base = dbh_path_join(dir, p);
		ne = scandir(base, &ents, NULL, alphasort);
		for (int k = 0; k < ne; k++) {
			struct stat st;
			char *d = dbh_path_join(base, ents[k]->d_name);

			if (ents[k]->d_name[0] != '.' &&
			    looked++ < MAX_PACKAGES && stat(d, &st) == 0 &&
			    S_ISDIR(st.st_mode) && has_prisma(d) && n++ < max)
				found[n - 1] = dbh_xstrdup(d);
			free(d);
			free(ents[k]);
		}
		free(ents);
		free(base);
		free(pat[i]);
	}
	return n;
}

void dbh_prisma_vars_find(const char *dir, struct dbh_prisma_vars *out,
			  const struct dbh_reporter *rep)
{
	int absent;
	cJSON *pkg = dbh_json_read(dir, "package.json",
				   "its \"prisma\" and \"workspaces\" fields",
				   rep, &absent);
	char *found[4] = {NULL};
	size_t n;

	if (folder_vars(dir, pkg, out, rep) || !dbh_is_project_top(dir)) {
		cJSON_Delete(pkg);
		return;
	}
	n = prisma_packages(dir, pkg, found, 4, rep);
	cJSON_Delete(pkg);
	if (n == 1) {
		cJSON *sub =
		    dbh_json_read(found[0], "package.json",
				  "its \"prisma\" field", rep, &absent);

		dbh_report(rep, DBH_NOTE,
			   "the workspace package %s is the one with Prisma "
			   "files: reading them",
			   found[0]);
		folder_vars(found[0], sub, out, rep);
		cJSON_Delete(sub);
	} else if (n > 1) {
		dbh_report(
		    rep, DBH_NOTE,
		    "%zu workspace packages have Prisma files (%s, %s%s): "
		    "none is used; run from the package's folder, or "
		    "name the variable with --url-env",
		    n, found[0], found[1], n > 2 ? ", ..." : "");
	}
	for (size_t i = 0; i < 4; i++)
		free(found[i]);
}
