/* pkgscripts.c - following package.json scripts to find a call of
 * vercel-build (see pkgscripts.h).
 *
 * Every script is examined at most once (its slot's `seen`), and names are
 * looked up in a hash table: scripts that call each other, in cycles or
 * all of them each other, cost one look at each script, so the walk is
 * linear in the size of "scripts", and a chain of any length is followed
 * to its end. The walk keeps its own stack (no recursion per script), so a
 * long chain cannot exhaust the C stack either. */
#include "dbhook/pkgscripts.h"
#include "dbhook/alloc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELF "vercel-build"
#define SCAN_DEPTH 8 /* `sh -c` inside `sh -c` followed this deep */

struct dbh_pkgscripts_slot {
	const cJSON *item; /* a member of "scripts", or NULL: a free slot */
	int seen;	   /* its text was examined by this walk */
};

/* What one script's text runs, in order: for each script it runs the
 * slots of "pre<name>", "<name>" and "post<name>" that exist (as npm runs
 * them); a NULL entry, always the last, is vercel-build itself. */
struct scan_refs {
	struct dbh_pkgscripts_slot **v;
	size_t n, cap;
};

static size_t name_hash(const char *name)
{
	size_t h = 2166136261u; /* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* The slot of `name`, or the free slot where it would go. */
static struct dbh_pkgscripts_slot *slot_for(const struct dbh_pkgscripts *s,
					    const char *name)
{
	size_t i = name_hash(name) & s->mask;

	while (s->slots[i].item && strcmp(s->slots[i].item->string, name) != 0)
		i = (i + 1) & s->mask;
	return &s->slots[i];
}

void dbh_pkgscripts_init(struct dbh_pkgscripts *s, const struct cJSON *scripts)
{
	const cJSON *m;
	size_t n = 0, size = 16;

	memset(s, 0, sizeof(*s));
	s->scripts = scripts;
	if (!cJSON_IsObject(scripts))
		return;
	for (m = scripts->child; m; m = m->next)
		n++;
	while (size < 2 * n) /* at most half full */
		size *= 2;
	s->slots = dbh_xcalloc(size, sizeof(*s->slots));
	s->mask = size - 1;
	for (m = scripts->child; m; m = m->next) {
		struct dbh_pkgscripts_slot *slot;

		if (!m->string)
			continue;
		slot = slot_for(s, m->string);
		if (!slot->item)
			slot->item = m;
	}
}

void dbh_pkgscripts_free(struct dbh_pkgscripts *s)
{
	free(s->slots);
	s->slots = NULL;
}

/* Forgets what a walk saw, for another walk over the same scripts. */
static void scan_forget(struct dbh_pkgscripts *s)
{
	size_t i;

	for (i = 0; s->slots && i <= s->mask; i++)
		s->slots[i].seen = 0;
	s->found_in = NULL;
}

/* The slot of the script `name` when it is a string, else NULL. */
static struct dbh_pkgscripts_slot *scan_find(const struct dbh_pkgscripts *s,
					     const char *name)
{
	struct dbh_pkgscripts_slot *slot;

	if (!s->slots || !name)
		return NULL;
	slot = slot_for(s, name);
	return cJSON_IsString(slot->item) ? slot : NULL;
}

const char *dbh_pkgscripts_text(const struct dbh_pkgscripts *s,
				const char *name)
{
	const struct dbh_pkgscripts_slot *slot = scan_find(s, name);

	return slot ? slot->item->valuestring : NULL;
}

int dbh_pkgscripts_walked(const struct dbh_pkgscripts *s, const char *name)
{
	const struct dbh_pkgscripts_slot *slot = scan_find(s, name);

	return slot && slot->seen;
}

static void refs_add(struct scan_refs *r, struct dbh_pkgscripts_slot *slot)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->v = dbh_xrealloc(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = slot;
}

/* The script `name` is run: "pre<name>", "<name>" and "post<name>", as npm
 * runs them. */
static void refs_add_script(struct dbh_pkgscripts *s, struct scan_refs *r,
			    const char *name)
{
	static const char *const fmt[] = {"pre%s", "%s", "post%s"};
	char variant[300];
	size_t k;

	if (strlen(name) > 255)
		return;
	for (k = 0; k < sizeof(fmt) / sizeof(fmt[0]); k++) {
		struct dbh_pkgscripts_slot *slot;

		snprintf(variant, sizeof(variant), fmt[k], name);
		slot = scan_find(s, variant);
		if (slot)
			refs_add(r, slot);
	}
}

static int text_refs(struct dbh_pkgscripts *s, const char *text, int depth,
		     struct scan_refs *out);

static int in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int is_assignment(const char *w)
{
	const char *p = w;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	      (*p >= 'a' && *p <= 'z')))
		return 0;
	while (*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return *p == '=';
}

/* One simple command, as unquoted words: does it run vercel-build? The
 * scripts it runs (`npm run NAME`, ...) are added to `out`. */
static int command_refs(struct dbh_pkgscripts *s, char **w, int n, int depth,
			struct scan_refs *out)
{
	static const char *const wrappers[] = {
	    "env",   "exec",	  "time",   "nohup", "command", "nice",
	    "sudo",  "cross-env", "dotenv", "npx",   "pnpx",	"bunx",
	    "xargs", "timeout",	  "stdbuf", NULL};
	static const char *const shells[] = {"sh",  "bash", "dash",
					     "zsh", "ksh",  NULL};
	static const char *const managers[] = {"npm", "pnpm", "yarn", "bun",
					       NULL};
	static const char *const run_words[] = {"run", "run-script", "rum",
						"urn", NULL};
	static const char *const exec_words[] = {"exec", "x", "dlx", NULL};
	static const char *const npm_scripts[] = {"start", "test", "stop",
						  "restart", NULL};
	const char *base;
	int i = 0;

	while (i < n && is_assignment(w[i]))
		i++;
	if (i == n)
		return 0;
	base = base_name(w[i]);
	if (strcmp(base, SELF) == 0)
		return 1;
	if (in_list(base, wrappers)) {
		/* Whatever the wrapper's options, vercel-build among its
		 * words is the command it runs. */
		for (i++; i < n; i++)
			if (strcmp(base_name(w[i]), SELF) == 0)
				return 1;
		return 0;
	}
	if (in_list(base, shells)) {
		for (i++; i + 1 < n; i++)
			if (w[i][0] == '-' && w[i][1] != '-' &&
			    strchr(w[i], 'c'))
				return text_refs(s, w[i + 1], depth + 1, out);
		return 0;
	}
	if (in_list(base, managers)) {
		int npm = strcmp(base, "npm") == 0;

		for (i++; i < n && w[i][0] == '-'; i++)
			;
		if (i == n)
			return 0;
		if (in_list(w[i], run_words)) {
			for (i++; i < n && w[i][0] == '-'; i++)
				;
			if (i < n)
				refs_add_script(s, out, w[i]);
			return 0;
		}
		if (in_list(w[i], exec_words)) {
			for (i++; i < n; i++)
				if (strcmp(base_name(w[i]), SELF) == 0)
					return 1;
			return 0;
		}
		if (npm) {
			if (in_list(w[i], npm_scripts))
				refs_add_script(s, out, w[i]);
			return 0;
		}
		/* yarn/pnpm/bun NAME: the script NAME, else the binary. */
		if (dbh_pkgscripts_text(s, w[i])) {
			refs_add_script(s, out, w[i]);
			return 0;
		}
		return strcmp(base_name(w[i]), SELF) == 0;
	}
	return 0;
}

/* Shell metacharacters that end a word; "$(" ends one too. */
static int word_end(const char *p)
{
	return strchr(" \t\r;&|()`\n", *p) || (p[0] == '$' && p[1] == '(');
}

/* Reads one shell word at `p` into `word` (quotes removed, backslashes
 * applied, truncated to `wsz`). Sets *have when there was a word (even an
 * empty '' one). Returns the position after it. */
static const char *read_word(const char *p, char *word, size_t wsz, int *have)
{
	size_t len = 0;
	char q = 0;

	*have = 0;
	while (*p) {
		if (!q && word_end(p))
			break;
		if (!q && (*p == '\'' || *p == '"')) {
			q = *p++;
			*have = 1;
			continue;
		}
		if (q && *p == q) {
			q = 0;
			p++;
			continue;
		}
		if (*p == '\\' && q != '\'' && p[1]) {
			p++;
			if (*p == '\n') { /* a line continuation */
				p++;
				continue;
			}
		}
		if (len + 1 < wsz)
			word[len++] = *p;
		*have = 1;
		p++;
	}
	word[len] = '\0';
	return p;
}

/* A small shell lexer: words split into simple commands at ; & | ( ) `
 * $( and newlines, comments skipped. Good enough to see which programs a
 * package.json script starts. Returns 1 at the first command that runs
 * vercel-build; the scripts run before it are added to `out`. `depth`
 * counts `sh -c` texts inside texts. */
static int text_refs(struct dbh_pkgscripts *s, const char *text, int depth,
		     struct scan_refs *out)
{
	char *words[64];
	char word[1024];
	const char *p = text;
	int n = 0, found = 0;

	if (depth > SCAN_DEPTH)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
		}
		if (*p && !word_end(p)) {
			int have;

			p = read_word(p, word, sizeof(word), &have);
			if (have && n < (int)(sizeof(words) / sizeof(words[0])))
				words[n++] = dbh_xstrdup(word);
			continue;
		}
		/* The end of a simple command. */
		if (n > 0) {
			found = command_refs(s, words, n, depth, out);
			while (n > 0)
				free(words[--n]);
		}
		if (found || !*p)
			break;
		p += (p[0] == '$') ? 2 : 1;
	}
	return found;
}

/* A script being examined: what its text runs, and how far we are. */
struct scan_frame {
	const struct dbh_pkgscripts_slot *script; /* NULL: the walk's start */
	struct scan_refs refs;
	size_t next;
};

/* Runs "pre<name>", "<name>" and "post<name>" as npm does: does any of
 * them call vercel-build, directly or through the scripts they run? Depth
 * first, in the order the commands run, like the scripts themselves;
 * scripts seen already (a cycle, or reached twice) are skipped. Sets
 * s->found_in to the script whose own text calls vercel-build. */
int dbh_pkgscripts_runs_self(struct dbh_pkgscripts *s, const char *name)
{
	struct scan_frame *stack;
	size_t depth = 1, cap = 16;
	int found = 0;

	stack = dbh_xcalloc(cap, sizeof(*stack));
	refs_add_script(s, &stack[0].refs, name);
	while (depth > 0) {
		struct scan_frame *f = &stack[depth - 1];
		struct dbh_pkgscripts_slot *next;

		if (f->next == f->refs.n) {
			free(f->refs.v);
			depth--;
			continue;
		}
		next = f->refs.v[f->next++];
		if (!next) { /* this script's text calls vercel-build */
			s->found_in =
			    f->script ? f->script->item->string : NULL;
			found = 1;
			break;
		}
		if (next->seen)
			continue; /* a cycle of scripts, or seen already */
		next->seen = 1;
		if (depth == cap) {
			cap *= 2;
			stack = dbh_xrealloc(stack, cap, sizeof(*stack));
		}
		memset(&stack[depth], 0, sizeof(stack[depth]));
		stack[depth].script = next;
		if (text_refs(s, next->item->valuestring, 0,
			      &stack[depth].refs))
			refs_add(&stack[depth].refs, NULL);
		depth++;
	}
	while (depth > 0)
		free(stack[--depth].refs.v);
	free(stack);
	return found;
}

/* Nonzero when we run inside package.json script `ev` (npm sets
 * npm_lifecycle_event), that script calls vercel-build, and it has more
 * commands chained after it ("&&", ";", "||"). */
int dbh_pkgscripts_goes_on(struct dbh_pkgscripts *s, const char *ev)
{
	const char *text = ev ? dbh_pkgscripts_text(s, ev) : NULL;
	int calls;

	if (!text)
		return 0;
	calls = dbh_pkgscripts_runs_self(s, ev);
	scan_forget(s); /* a walk of its own: the caller walks from scratch */
	return calls &&
	       (strstr(text, "&&") || strchr(text, ';') || strstr(text, "||"));
}