/* pkgedit.c - scripts added to a package.json as text, the rest of the
 * file left byte for byte (see pkgedit.h). */
#include "dbhook/pkgedit.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "dbhook/alloc.h"
#include "dbhook/sbuf.h"

#define DEPTH_MAX 1000 /* deeper nesting: not a package.json */

/* One member of an object: byte offsets into the text. */
struct member {
	size_t key, keyend; /* the key's opening quote; past its closing one */
	size_t val, valend; /* the value's first byte; past its last */
};

struct object {
	size_t open, close; /* the offsets of '{' and '}' */
	struct member *m;
	size_t n, cap;
};

struct text {
	const char *t;
	size_t n;
	const char *nl; /* "\n", or "\r\n" when the file uses it */
};

static size_t skip_ws(const struct text *x, size_t i)
{
	while (i < x->n && strchr(" \t\r\n", x->t[i]) && x->t[i])
		i++;
	return i;
}

/* At a '"': moves *i past the closing quote. -1 when unterminated. */
static int skip_string(const struct text *x, size_t *i)
{
	size_t j = *i + 1;

	while (j < x->n && x->t[j] != '"')
		j += x->t[j] == '\\' ? 2 : 1;
	if (j >= x->n)
		return -1;
	*i = j + 1;
	return 0;
}

/* Moves *i past one JSON value. -1 when it is not one. */
static int skip_value(const struct text *x, size_t *i)
{
	size_t j = *i;
	int depth = 0;

	if (j >= x->n)
		return -1;
	if (x->t[j] == '"')
		return skip_string(x, i);
	if (x->t[j] != '{' && x->t[j] != '[') {
		while (j < x->n && !strchr(",}] \t\r\n", x->t[j]) && x->t[j])
			j++;
		if (j == *i)
			return -1;
		*i = j;
		return 0;
	}
	while (j < x->n) {
		char c = x->t[j];

		if (c == '"') {
			if (skip_string(x, &j) < 0)
				return -1;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > DEPTH_MAX)
				return -1;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				*i = j + 1;
				return 0;
			}
		}
		j++;
	}
	return -1;
}

/* The members of the object whose '{' is at `open`. -1 on a surprise. */
static int scan_object(const struct text *x, size_t open, struct object *o)
{
	size_t i = skip_ws(x, open + 1);

	memset(o, 0, sizeof(*o));
	o->open = open;
	if (i < x->n && x->t[i] == '}') {
		o->close = i;
		return 0;
	}
	for (;;) {
		struct member m;

		if (i >= x->n || x->t[i] != '"')
			return -1;
		m.key = i;
		if (skip_string(x, &i) < 0)
			return -1;
		m.keyend = i;
		i = skip_ws(x, i);
		if (i >= x->n || x->t[i] != ':')
			return -1;
		i = skip_ws(x, i + 1);
		m.val = i;
		if (skip_value(x, &i) < 0)
			return -1;
		m.valend = i;
		if (o->n == o->cap) {
			o->cap = o->cap ? 2 * o->cap : 16;
			o->m = dbh_xrealloc(o->m, o->cap, sizeof(*o->m));
		}
		o->m[o->n++] = m;
		i = skip_ws(x, i);
		if (i < x->n && x->t[i] == ',') {
			i = skip_ws(x, i + 1);
			continue;
		}
		if (i < x->n && x->t[i] == '}') {
			o->close = i;
			return 0;
		}
		return -1;
	}
}

static int key_is(const struct text *x, const struct member *m,
		  const char *name)
{
	size_t len = strlen(name);

	return m->keyend - m->key == len + 2 &&
	       memcmp(x->t + m->key + 1, name, len) == 0;
}

/* Whether bytes [from, to) hold a newline; *indent gets the white space
 * after the last one (offset and length). */
static int line_break(const struct text *x, size_t from, size_t to,
		      size_t *indent, size_t *indentlen)
{
	size_t i = to;

	while (i > from && x->t[i - 1] != '\n')
		i--;
	if (i == from)
		return 0;
	*indent = i;
	*indentlen = to - i;
	return 1;
}

/* The white space that starts the line holding offset `at`. */
static void indent_of_line(const struct text *x, size_t at, size_t *off,
			   size_t *len)
{
	size_t i = at;

	while (i > 0 && x->t[i - 1] != '\n')
		i--;
	*off = i;
	*len = 0;
	while (i + *len < at &&
	       (x->t[i + *len] == ' ' || x->t[i + *len] == '\t'))
		(*len)++;
}

/* "name": "command", JSON-escaped. */
static void add_member(struct dbh_sbuf *b, const struct dbh_pkgedit_script *s,
		       const char *colon)
{
	const char *parts[2] = {s->name, s->command};

	for (int k = 0; k < 2; k++) {
		dbh_sbuf_add(b, "\"");
		for (const char *p = parts[k]; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '"' || c == '\\')
				dbh_sbuf_addf(b, "\\%c", c);
			else if (c < 0x20)
				dbh_sbuf_addf(b, "\\u%04x", c);
			else
				dbh_sbuf_addn(b, p, 1);
		}
		dbh_sbuf_add(b, "\"");
		if (k == 0)
			dbh_sbuf_add(b, colon);
	}
}

/* The members of `add`, each on its own line (NL + indent) or inline. */
static void add_members(struct dbh_sbuf *b, const struct text *x,
			const struct dbh_pkgedit_script *add, size_t n,
			const char *indent, int lines, int trailing_comma)
{
	for (size_t k = 0; k < n; k++) {
		if (lines) {
			dbh_sbuf_add(b, x->nl);
			dbh_sbuf_add(b, indent);
		}
		add_member(b, &add[k], ": ");
		if (k + 1 < n || trailing_comma)
			dbh_sbuf_add(b, lines ? "," : ", ");
	}
}

/* New text for an existing "scripts" object: where to insert, what. */
static void into_scripts(const struct text *x, const struct object *top,
			 const struct object *sc,
			 const struct dbh_pkgedit_script *add, size_t n,
			 struct dbh_sbuf *ins, size_t *at, size_t *drop)
{
	size_t ind, indlen;
	char *indent;

	*at = sc->open + 1;
	*drop = 0;
	if (sc->n > 0) {
		if (!line_break(x, sc->open + 1, sc->m[0].key, &ind, &indlen)) {
			*at = sc->m[0].key;
			add_members(ins, x, add, n, "", 0, 1);
			return;
		}
		indent = dbh_xasprintf("%.*s", (int)indlen, x->t + ind);
		add_members(ins, x, add, n, indent, 1, 1);
		free(indent);
		return;
	}
	/* An empty object: indented one level more than its closing brace,
	 * or than the line of its key; the unit is the top level's. */
	if (line_break(x, sc->open + 1, sc->close, &ind, &indlen)) {
		size_t u, ulen;

		if (top->n == 0 ||
		    !line_break(x, top->open + 1, top->m[0].key, &u, &ulen))
			u = 0, ulen = 0;
		indent = dbh_xasprintf("%.*s%.*s", (int)indlen, x->t + ind,
				       (int)ulen, x->t + u);
		add_members(ins, x, add, n, ulen ? indent : "  ", 1, 0);
		free(indent);
		return;
	}
	*drop = sc->close - (sc->open + 1);
	if (top->n > 0 &&
	    line_break(x, top->open + 1, top->m[0].key, &ind, &indlen)) {
		size_t li, lilen;

		indent_of_line(x, sc->open, &li, &lilen);
		indent = dbh_xasprintf("%.*s%.*s", (int)lilen, x->t + li,
				       (int)indlen, x->t + ind);
		add_members(ins, x, add, n, indent, 1, 0);
		dbh_sbuf_add(ins, x->nl);
		dbh_sbuf_addn(ins, x->t + li, lilen);
		free(indent);
		return;
	}
	add_members(ins, x, add, n, "", 0, 0);
}

/* New text for a package.json without "scripts". */
static void new_scripts(const struct text *x, const struct object *top,
			const struct dbh_pkgedit_script *add, size_t n,
			struct dbh_sbuf *ins, size_t *at)
{
	static const char *const deps[] = {"dependencies", "devDependencies",
					   "peerDependencies",
					   "optionalDependencies"};
	size_t ind = 0, indlen = 0;
	int lines = top->n == 0 ||
		    line_break(x, top->open + 1, top->m[0].key, &ind, &indlen);
	char *indent = indlen ? dbh_xasprintf("%.*s", (int)indlen, x->t + ind)
			      : dbh_xstrdup(lines ? "  " : "");
	char *inner = dbh_xasprintf("%s%s", indent, indent);
	const struct member *before = NULL;

	for (size_t i = 0; i < top->n && !before; i++)
		for (size_t d = 0; d < sizeof(deps) / sizeof(*deps); d++)
			if (key_is(x, &top->m[i], deps[d]))
				before = &top->m[i];
	/* Before "dependencies", at the start of its line: added lines only. */
	if (before && lines && before->key >= indlen + 1 &&
	    x->t[before->key - indlen - 1] == '\n') {
		*at = before->key - indlen;
		dbh_sbuf_addf(ins, "%s\"scripts\": {", indent);
		add_members(ins, x, add, n, inner, 1, 0);
		dbh_sbuf_addf(ins, "%s%s},%s", x->nl, indent, x->nl);
	} else if (before && !lines) {
		*at = before->key;
		dbh_sbuf_add(ins, "\"scripts\": {");
		add_members(ins, x, add, n, "", 0, 0);
		dbh_sbuf_add(ins, "}, ");
	} else {
		int empty_inline =
		    top->n == 0 &&
		    !memchr(x->t + top->open, '\n', top->close - top->open);

		*at = top->n ? top->m[top->n - 1].valend : top->open + 1;
		if (top->n)
			dbh_sbuf_add(ins, ",");
		if (lines)
			dbh_sbuf_addf(ins, "%s%s", x->nl, indent);
		else if (top->n)
			dbh_sbuf_add(ins, " ");
		dbh_sbuf_add(ins, "\"scripts\": {");
		add_members(ins, x, add, n, inner, lines, 0);
		dbh_sbuf_addf(ins, "%s%s}", lines ? x->nl : "",
			      lines ? indent : "");
		if (empty_inline)
			dbh_sbuf_add(ins, x->nl);
	}
	free(indent);
	free(inner);
}

/* Whether `out` parses and holds every added script, as given. */
static int check(const char *out, const struct dbh_pkgedit_script *add,
		 size_t n)
{
	cJSON *j = cJSON_Parse(out);
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(j, "scripts");
	int good = j && (n == 0 || cJSON_IsObject(sc));

	for (size_t k = 0; good && k < n; k++) {
		const cJSON *v =
		    cJSON_GetObjectItemCaseSensitive(sc, add[k].name);

		good = cJSON_IsString(v) &&
		       strcmp(v->valuestring, add[k].command) == 0;
	}
	cJSON_Delete(j);
	return good;
}

int dbh_pkgedit_add_scripts(const char *text, size_t len,
			    const struct dbh_pkgedit_script *add, size_t n,
			    char **out, size_t *outlen, struct dbh_error *err)
{
	struct text x = {text, len, "\n"};
	struct object top = {0}, sc = {0};
	const struct member *scripts = NULL;
	struct dbh_sbuf ins = {0}, res = {0};
	size_t i, at = 0, drop = 0;
	int rc = DBH_EUSAGE;

	*out = NULL;
	*outlen = 0;
	if (memchr(text, '\0', len) || (i = skip_ws(&x, 0)) >= len ||
	    text[i] != '{' || scan_object(&x, i, &top) < 0 ||
	    skip_ws(&x, top.close + 1) != len) {
		dbh_error_set(err, DBH_EUSAGE, "not one JSON object");
		goto out;
	}
	if (strstr(text, "\r\n"))
		x.nl = "\r\n";
	for (i = 0; i < top.n; i++) {
		if (!key_is(&x, &top.m[i], "scripts"))
			continue;
		if (scripts) {
			dbh_error_set(err, DBH_EUSAGE,
				      "\"scripts\" appears twice");
			goto out;
		}
		scripts = &top.m[i];
	}
	if (scripts && (text[scripts->val] != '{' ||
			scan_object(&x, scripts->val, &sc) < 0)) {
		dbh_error_set(err, DBH_EUSAGE, "\"scripts\" is not an object");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		for (i = 0; i < sc.n; i++)
			if (key_is(&x, &sc.m[i], add[k].name)) {
				dbh_error_set(err, DBH_EUSAGE,
					      "script \"%s\" exists already",
					      add[k].name);
				goto out;
			}
	if (n > 0 && scripts)
		into_scripts(&x, &top, &sc, add, n, &ins, &at, &drop);
	else if (n > 0)
		new_scripts(&x, &top, add, n, &ins, &at);
	dbh_sbuf_addn(&res, text, at);
	if (ins.len)
		dbh_sbuf_addn(&res, ins.s, ins.len);
	dbh_sbuf_addn(&res, text + at + drop, len - at - drop);
	if (!res.s)
		res.s = dbh_xstrdup("");
	if (!check(res.s, add, n)) {
		dbh_error_set(err, DBH_EUSAGE,
			      "the scripts could not be added safely");
		free(res.s);
		goto out;
	}
	*out = res.s;
	*outlen = res.len;
	rc = 0;
out:
	free(top.m);
	free(sc.m);
	free(ins.s);
	return rc;
}
