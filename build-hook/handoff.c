/* handoff.c - choosing the build command `vercel-build` hands off to, and
 * exec'ing it. */
#include "dbhook/handoff.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/fileio.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbhook/sbuf.h"

#define SELF "vercel-build"
#define JSON_MAX (8u << 20) /* larger "JSON" files are not config files */
#define SCAN_DEPTH 8	    /* `sh -c` inside `sh -c` followed this deep */

/* Default build commands of Vercel's framework presets, from
 * settings.buildCommand.value in @vercel/frameworks. Presets whose default
 * needs a shell (scully: "ng build && scully") or changed between releases
 * (svelte: "rollup -c", later "vite build") are left out: the hand-off runs
 * words, never a shell, and a wrong guess would build the wrong thing. */
static const struct {
	const char *slug;
	const char *command;
} frameworks[] = {
    {"angular", "ng build"},
    {"astro", "astro build"},
    {"blitzjs", "blitz build"},
    {"brunch", "brunch build --production"},
    {"create-react-app", "react-scripts build"},
    {"docusaurus", "docusaurus-build"},
    {"docusaurus-2", "docusaurus build"},
    {"dojo", "dojo build"},
    {"eleventy", "npx @11ty/eleventy"},
    {"ember", "ember build"},
    {"gatsby", "gatsby build"},
    {"gridsome", "gridsome build"},
    {"hexo", "hexo generate"},
    {"hugo", "hugo -D --gc"},
    {"ionic-angular", "ng build"},
    {"ionic-react", "react-scripts build"},
    {"jekyll", "jekyll build"},
    {"middleman", "bundle exec middleman build"},
    {"nextjs", "next build"},
    {"nuxtjs", "nuxt build"},
    {"parcel", "parcel build"},
    {"polymer", "polymer build"},
    {"preact", "preact build"},
    {"redwoodjs", "yarn rw deploy vercel"},
    {"remix", "remix build"},
    {"saber", "saber build"},
    {"sapper", "sapper export"},
    {"stencil", "stencil build"},
    {"sveltekit", "vite build"},
    {"sveltekit-1", "vite build"},
    {"umijs", "umi build"},
    {"vite", "vite build"},
    {"vue", "vue-cli-service build"},
    {"zola", "zola build"},
};

/* Lockfiles in order of preference when several exist: bun can write a
 * yarn.lock beside its own, and a stray package-lock.json is the usual
 * accident next to another manager's lockfile. */
static const struct {
	const char *file;
	const char *pm;
} lockfiles[] = {
    {"bun.lock", "bun"},	  {"bun.lockb", "bun"},
    {"pnpm-lock.yaml", "pnpm"},	  {"yarn.lock", "yarn"},
    {"package-lock.json", "npm"}, {"npm-shrinkwrap.json", "npm"},
};

const char *dbh_handoff_framework(const char *slug)
{
	size_t i;

	if (!slug)
		return NULL;
	for (i = 0; i < sizeof(frameworks) / sizeof(frameworks[0]); i++)
		if (strcmp(frameworks[i].slug, slug) == 0)
			return frameworks[i].command;
	return NULL;
}

/* Words a shell would take as they are; anything else is single-quoted in
 * the display so the line can be pasted into a shell. */
static int shell_safe(const char *w)
{
	if (!*w)
		return 0;
	for (; *w; w++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789_@%+=:,./-",
			*w))
			return 0;
	return 1;
}

static char *join_display(char *const *argv)
{
	struct dbh_sbuf b = {0};
	size_t i;

	for (i = 0; argv[i]; i++) {
		const char *p;

		if (i)
			dbh_sbuf_add(&b, " ");
		if (shell_safe(argv[i])) {
			dbh_sbuf_add(&b, argv[i]);
			continue;
		}
		dbh_sbuf_add(&b, "'");
		for (p = argv[i]; *p; p++) {
			if (*p == '\'')
				dbh_sbuf_add(&b, "'\\''");
			else
				dbh_sbuf_addn(&b, p, 1);
		}
		dbh_sbuf_add(&b, "'");
	}
	if (!b.s)
		dbh_sbuf_add(&b, "");
	return b.s;
}

static void free_argv(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Splits `cmd` on spaces into a NULL-terminated, owned argv. */
static char **split_words(const char *cmd)
{
	size_t n = 0, i = 0;
	const char *p;
	char **argv;

	for (p = cmd; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n++;
		while (*p && *p != ' ')
			p++;
	}
	argv = dbh_xcalloc(n + 1, sizeof(*argv));
	for (p = cmd; *p;) {
		size_t len;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		len = strcspn(p, " ");
		argv[i++] = dbh_xstrndup(p, len);
		p += len;
	}
	return argv;
}

static char **copy_argv(int argc, char **words)
{
	char **argv = dbh_xcalloc((size_t)argc + 1, sizeof(*argv));

	for (int i = 0; i < argc; i++)
		argv[i] = dbh_xstrdup(words[i]);
	return argv;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static char *join_path(const char *dir, const char *name)
{
	if (!dir || strcmp(dir, ".") == 0)
		return dbh_xstrdup(name);
	return dbh_xasprintf("%s%s%s", dir,
			     dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
			     name);
}

static int exists(const char *dir, const char *name)
{
	char *path = join_path(dir, name);
	struct stat st;
	int r;

	r = stat(path, &st) == 0;
	free(path);
	return r;
}

/* Reads `path` into a NUL-terminated buffer. Returns 0 (free *out), 1 when
 * it does not exist, -1 after a warning naming the file. */
static int slurp(const char *path, char **out, const struct dbh_reporter *rep)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		dbh_report(rep, DBH_WARN, "cannot read \"%s\": %s; ignoring it",
			   path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > JSON_MAX) {
		dbh_report(rep, DBH_WARN,
			   "\"%s\" is not a regular file under 8 MiB; "
			   "ignoring it",
			   path);
		close(fd);
		return -1;
	}
	buf = dbh_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	return 0;
}

/* Line and column (1-based; the column counts UTF-8 characters) of byte
 * `off` in `text`. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* Parses <dir>/<name> as a JSON object. Returns the object (free it with
 * cJSON_Delete), or NULL: file absent (*absent = 1), or a warning was
 * reported that names the file, the line:column and `skipped` (what is not
 * used because of it). */
static cJSON *read_json(const char *dir, const char *name, const char *skipped,
			const struct dbh_reporter *rep, int *absent)
{
	const char *end = NULL;
	char *path = join_path(dir, name), *text;
	cJSON *j;
	int r;

	*absent = 0;
	r = slurp(path, &text, rep);
	if (r != 0) {
		*absent = r == 1;
		free(path);
		return NULL;
	}
	/* cJSON returns NULL for invalid JSON and when memory runs out
	 * alike; taken as invalid JSON (what it nearly always is), the file
	 * is skipped with a warning. */
	j = cJSON_ParseWithOpts(text, &end, 1);
	if (!j) {
		size_t off = end && end >= text ? (size_t)(end - text) : 0;
		char near[40];
		size_t n = 0;
		int line, col;

		if (off > strlen(text))
			off = strlen(text);
		/* cJSON points one past a token it could not start (a '}'
		 * after a trailing comma); at a line end, step back onto it. */
		if (off > 0 && (text[off] == '\n' || text[off] == '\r') &&
		    !strchr(" \t\r\n", text[off - 1]))
			off--;
		line_col(text, off, &line, &col);
		while (text[off + n] && text[off + n] != '\n' &&
		       text[off + n] != '\r' && n < 16)
			n++;
		/* Do not cut a UTF-8 character in two. */
		while (n > 0 && text[off + n] &&
		       ((unsigned char)text[off + n] & 0xc0) == 0x80)
			n--;
		if (n)
			snprintf(near, sizeof(near), "near \"%.*s\"", (int)n,
				 text + off);
		else
			snprintf(near, sizeof(near), "at the %s",
				 text[off] ? "end of the line" : "end of file");
		dbh_report(rep, DBH_WARN,
			   "%s:%d:%d: invalid JSON %s; ignoring %s (%s)", path,
			   line, col, near, name, skipped);
		free(text);
		free(path);
		return NULL;
	}
	free(text);
	if (!cJSON_IsObject(j)) {
		dbh_report(rep, DBH_WARN,
			   "\"%s\" is JSON but not an object; ignoring it (%s)",
			   path, skipped);
		cJSON_Delete(j);
		j = NULL;
	}
	free(path);
	return j;
}

/* Following package.json scripts to find a call of vercel-build.
 *
 * Every script is examined at most once (its slot's `seen`), and names are
 * looked up in a hash table: scripts that call each other, in cycles or
 * all of them each other, cost one look at each script, so the walk is
 * linear in the size of "scripts", and a chain of any length is followed
 * to its end. The walk keeps its own stack (no recursion per script), so a
 * long chain cannot exhaust the C stack either. */
struct scan_slot {
	const cJSON *item; /* a member of "scripts", or NULL: a free slot */
	int seen;	   /* its text was examined by this walk */
};

struct scan {
	const cJSON *scripts; /* package.json "scripts", or NULL */
	/* The members of "scripts" by name (open addressing); of members
	 * with the same name the first wins, as with
	 * cJSON_GetObjectItemCaseSensitive. NULL when there are none. */
	struct scan_slot *slots;
	size_t mask;	      /* number of slots - 1 */
	const char *found_in; /* the script whose text calls vercel-build */
};

/* What one script's text runs, in order: for each script it runs the
 * slots of "pre<name>", "<name>" and "post<name>" that exist (as npm runs
 * them); a NULL entry, always the last, is vercel-build itself. */
struct scan_refs {
	struct scan_slot **v;
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
static struct scan_slot *slot_for(const struct scan *s, const char *name)
{
	size_t i = name_hash(name) & s->mask;

	while (s->slots[i].item && strcmp(s->slots[i].item->string, name) != 0)
		i = (i + 1) & s->mask;
	return &s->slots[i];
}

static void scan_init(struct scan *s, const cJSON *scripts)
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
		struct scan_slot *slot;

		if (!m->string)
			continue;
		slot = slot_for(s, m->string);
		if (!slot->item)
			slot->item = m;
	}
}

static void scan_free(struct scan *s)
{
	free(s->slots);
	s->slots = NULL;
}

/* Forgets what a walk saw, for another walk over the same scripts. */
static void scan_forget(struct scan *s)
{
	size_t i;

	for (i = 0; s->slots && i <= s->mask; i++)
		s->slots[i].seen = 0;
	s->found_in = NULL;
}

/* The slot of the script `name` when it is a string, else NULL. */
static struct scan_slot *scan_find(const struct scan *s, const char *name)
{
	struct scan_slot *slot;

	if (!s->slots || !name)
		return NULL;
	slot = slot_for(s, name);
	return cJSON_IsString(slot->item) ? slot : NULL;
}

static const char *script_text(const struct scan *s, const char *name)
{
	const struct scan_slot *slot = scan_find(s, name);

	return slot ? slot->item->valuestring : NULL;
}

static void refs_add(struct scan_refs *r, struct scan_slot *slot)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 8;
		r->v = dbh_xrealloc(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = slot;
}

/* The script `name` is run: "pre<name>", "<name>" and "post<name>", as npm
 * runs them. */
static void refs_add_script(struct scan *s, struct scan_refs *r,
			    const char *name)
{
	static const char *const fmt[] = {"pre%s", "%s", "post%s"};
	char variant[300];
	size_t k;

	if (strlen(name) > 255)
		return;
	for (k = 0; k < sizeof(fmt) / sizeof(fmt[0]); k++) {
		struct scan_slot *slot;

		snprintf(variant, sizeof(variant), fmt[k], name);
		slot = scan_find(s, variant);
		if (slot)
			refs_add(r, slot);
	}
}

static int text_refs(struct scan *s, const char *text, int depth,
		     struct scan_refs *out);

static int in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
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
static int command_refs(struct scan *s, char **w, int n, int depth,
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
		if (script_text(s, w[i])) {
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
static int text_refs(struct scan *s, const char *text, int depth,
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
	const struct scan_slot *script; /* NULL: the walk's start */
	struct scan_refs refs;
	size_t next;
};

/* Runs "pre<name>", "<name>" and "post<name>" as npm does: does any of
 * them call vercel-build, directly or through the scripts they run? Depth
 * first, in the order the commands run, like the scripts themselves;
 * scripts seen already (a cycle, or reached twice) are skipped. Sets
 * s->found_in to the script whose own text calls vercel-build. */
static int script_runs_self(struct scan *s, const char *name)
{
	struct scan_frame *stack;
	size_t depth = 1, cap = 16;
	int found = 0;

	stack = dbh_xcalloc(cap, sizeof(*stack));
	refs_add_script(s, &stack[0].refs, name);
	while (depth > 0) {
		struct scan_frame *f = &stack[depth - 1];
		struct scan_slot *next;

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
static int script_goes_on(struct scan *s, const char *ev)
{
	const char *text = ev ? script_text(s, ev) : NULL;
	int calls;

	if (!text)
		return 0;
	calls = script_runs_self(s, ev);
	scan_forget(s); /* a walk of its own: the caller walks from scratch */
	return calls &&
	       (strstr(text, "&&") || strchr(text, ';') || strstr(text, "||"));
}

/* Whether `dir` holds any lockfile. */
static int has_lockfile(const char *dir)
{
	for (size_t i = 0; i < sizeof(lockfiles) / sizeof(lockfiles[0]); i++)
		if (exists(dir, lockfiles[i].file))
			return 1;
	return 0;
}

/* The folder whose lockfile names the package manager: `dir`, else the
 * nearest parent up to the repository or workspace top (a monorepo's
 * app folder has no lockfile of its own). Writes "" when none has one. */
static void lockfile_dir(const char *dir, char *out, size_t outsz)
{
	if (!dbh_find_up(dir, has_lockfile, out, outsz))
		out[0] = '\0';
}

/* The package manager for package.json scripts, and why. */
static void choose_manager(const char *dir, const cJSON *pkg, char *pm,
			   size_t pmsz, char *why, size_t whysz,
			   const struct dbh_reporter *rep)
{
	const char *first = NULL, *first_pm = NULL;
	char others[256] = "", top[4096], here[4096];
	size_t i;
	const cJSON *field;

	lockfile_dir(dir, top, sizeof(top));
	if (top[0] && realpath(dir, here) && strcmp(top, here) != 0)
		dir = top; /* the lockfile of the monorepo's root */
	for (i = 0; i < sizeof(lockfiles) / sizeof(lockfiles[0]); i++) {
		if (!exists(dir, lockfiles[i].file))
			continue;
		if (!first) {
			first = lockfiles[i].file;
			first_pm = lockfiles[i].pm;
		} else if (strcmp(lockfiles[i].pm, first_pm) != 0) {
			size_t used = strlen(others);

			snprintf(others + used, sizeof(others) - used, "%s%s",
				 used ? ", " : "", lockfiles[i].file);
		}
	}
	if (first) {
		snprintf(pm, pmsz, "%s", first_pm);
		if (dir == top)
			snprintf(why, whysz, "%s in %s", first, top);
		else
			snprintf(why, whysz, "%s", first);
		if (others[0])
			dbh_report(rep, DBH_NOTE,
				   "several lockfiles: using %s (%s), "
				   "ignoring %s",
				   first, first_pm, others);
		return;
	}
	/* corepack's "packageManager": "pnpm@9.1.0+sha512...." */
	field = cJSON_GetObjectItemCaseSensitive(pkg, "packageManager");
	if (cJSON_IsString(field)) {
		static const char *const known[] = {"npm", "pnpm", "yarn",
						    "bun", NULL};
		char name[16];
		size_t len = strcspn(field->valuestring, "@");

		if (len < sizeof(name)) {
			memcpy(name, field->valuestring, len);
			name[len] = '\0';
			if (in_list(name, known)) {
				snprintf(pm, pmsz, "%s", name);
				snprintf(why, whysz,
					 "\"packageManager\" in package.json");
				return;
			}
		}
	}
	snprintf(pm, pmsz, "npm");
	snprintf(why, whysz, "no lockfile");
}

void dbh_handoff_release(struct dbh_handoff *h)
{
	free_argv(h->argv);
	free(h->display);
	free(h->source);
	free(h->bin_dir);
	memset(h, 0, sizeof(*h));
}

/* Sets display, and bin_dir for commands no package manager runs. */
static void finish(struct dbh_handoff *h, const char *dir)
{
	char *bin, real[PATH_MAX];
	struct stat st;

	h->display = join_display(h->argv);
	if (h->kind == DBH_HANDOFF_SCRIPT)
		return;
	bin = join_path(dir, "node_modules/.bin");
	if (stat(bin, &st) == 0 && S_ISDIR(st.st_mode) && realpath(bin, real))
		h->bin_dir = dbh_xstrdup(real);
	free(bin);
}

/* The "framework" of vercel.json, else of .vercel/project.json's settings.
 * Returns 1 with *slug (owned by *doc) and *from set; 0 when neither names
 * one. */
static int find_framework(const char *dir, const struct dbh_reporter *rep,
			  cJSON **doc, const char **slug, const char **from)
{
	static const char skipped[] = "its \"framework\" is not used";
	cJSON *j, *f;
	int absent;

	*doc = NULL;
	j = read_json(dir, "vercel.json", skipped, rep, &absent);
	if (j && (f = cJSON_GetObjectItemCaseSensitive(j, "framework"))) {
		*doc = j;
		*from = "vercel.json";
		if (cJSON_IsString(f) && f->valuestring[0]) {
			*slug = f->valuestring;
			return 1;
		}
		if (!cJSON_IsNull(f))
			dbh_report(rep, DBH_WARN,
				   "\"framework\" in vercel.json is not a "
				   "string; ignoring it");
		return 0; /* null: "Other", no framework default */
	}
	cJSON_Delete(j);
	j = read_json(dir, ".vercel/project.json", skipped, rep, &absent);
	f = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "settings"), "framework");
	*doc = j;
	*from = ".vercel/project.json";
	if (cJSON_IsString(f) && f->valuestring[0]) {
		*slug = f->valuestring;
		return 1;
	}
	return 0;
}

int dbh_handoff_resolve(int argc, char **argv, const char *project_dir,
			const struct dbh_reporter *rep, struct dbh_handoff *h,
			struct dbh_error *err)
{
	static const char skipped[] = "its \"build\" script is not used";
	const char *dir = project_dir ? project_dir : ".";
	const char *why_none = "no \"build\" script in package.json";
	const char *slug = NULL, *from = NULL, *cmd;
	cJSON *pkg = NULL, *vj = NULL;
	struct scan s = {0};
	int absent = 0;

	memset(h, 0, sizeof(*h));

	if (argc > 0 && argv && argv[0]) {
		if (!argv[0][0])
			return dbh_error_set(err, DBH_EUSAGE,
					     "empty build command after --");
		if (strcmp(base_name(argv[0]), SELF) == 0) {
			dbh_error_set(err, DBH_EUSAGE,
				      "refusing to hand off to \"%s\" itself",
				      argv[0]);
			dbh_error_hint(err, "Give the real build command "
					    "after --, e.g. vercel-build -- "
					    "npm run build");
			return DBH_EUSAGE;
		}
		h->kind = DBH_HANDOFF_ARGS;
		h->argv = copy_argv(argc, argv);
		h->source = dbh_xstrdup("command after --");
		finish(h, dir);
		return 0;
	}

	pkg = read_json(dir, "package.json", skipped, rep, &absent);
	if (pkg) {
		const char *build;
		char where[256];
		int self;

		scan_init(&s, cJSON_GetObjectItemCaseSensitive(pkg, "scripts"));
		build = script_text(&s, "build");
		while (build && (*build == ' ' || *build == '\t'))
			build++;
		if (script_goes_on(&s, dbh_config()->npm_event)) {
			/* e.g. "vercel-build": "vercel-build && next build",
			 * which Vercel prefers to "build": what follows us in
			 * that script is the build; handing off too would
			 * build twice. */
			const char *ev = dbh_config()->npm_event;

			dbh_report(
			    rep, DBH_NOTE,
			    "running inside the package.json \"%s\" "
			    "script, which goes on after vercel-build: "
			    "not handing off, the rest of that script is "
			    "the build",
			    ev);
			h->source = dbh_xasprintf(
			    "no build command: the package.json \"%s\" script "
			    "that runs vercel-build goes on with the build",
			    ev);
			goto out;
		}
		self = build && *build && script_runs_self(&s, "build");
		if (!build || !*build) {
			why_none = "no \"build\" script in package.json";
		} else if (self) {
			const char *ev = dbh_config()->npm_event;
			const struct scan_slot *evs = scan_find(&s, ev);

			/* `ev` is one of the scripts the walk went through. */
			if (evs && evs->seen) {
				dbh_report(rep, DBH_NOTE,
					   "running inside the package.json "
					   "\"%s\" script, which calls "
					   "vercel-build: not handing off, "
					   "the rest of that script is the "
					   "build",
					   ev);
				h->source = dbh_xasprintf(
				    "no build command: the package.json "
				    "\"%s\" script that runs vercel-build "
				    "goes on with the build",
				    ev);
				goto out;
			}
			if (!s.found_in || strcmp(s.found_in, "build") == 0)
				where[0] = '\0';
			else
				snprintf(where, sizeof(where),
					 " (in the \"%.200s\" script)",
					 s.found_in);
			dbh_report(rep, DBH_WARN,
				   "the package.json \"build\" script runs "
				   "vercel-build itself%s; not using it, so "
				   "the hand-off cannot loop",
				   where);
			why_none = "the package.json \"build\" script runs "
				   "vercel-build itself";
		} else {
			char pm[16], why[64];

			choose_manager(dir, pkg, pm, sizeof(pm), why,
				       sizeof(why), rep);
			h->kind = DBH_HANDOFF_SCRIPT;
			h->argv = dbh_xcalloc(4, sizeof(*h->argv));
			h->argv[0] = dbh_xstrdup(pm);
			h->argv[1] = dbh_xstrdup("run");
			h->argv[2] = dbh_xstrdup("build");
			h->source = dbh_xasprintf(
			    "package.json \"build\" script via %s (%s)", pm,
			    why);
			finish(h, dir);
			goto out;
		}
	} else if (absent) {
		why_none = "no package.json";
	} else {
		why_none = "an unusable package.json";
	}

	if (!find_framework(dir, rep, &vj, &slug, &from)) {
		h->source = dbh_xasprintf("no build command: %s and no "
					  "\"framework\" in vercel.json",
					  why_none);
		goto out;
	}
	cmd = dbh_handoff_framework(slug);
	if (!cmd) {
		dbh_report(rep, DBH_WARN,
			   "%s names framework \"%s\", which has no known "
			   "default build command; give the build command "
			   "after --",
			   from, slug);
		h->source = dbh_xasprintf("no build command: %s and no known "
					  "default for framework \"%s\"",
					  why_none, slug);
		goto out;
	}
	h->kind = DBH_HANDOFF_FRAMEWORK;
	h->argv = split_words(cmd);
	h->source = dbh_xasprintf("framework \"%s\" in %s", slug, from);
	finish(h, dir);
out:
	scan_free(&s);
	cJSON_Delete(pkg);
	cJSON_Delete(vj);
	return 0;
}

int dbh_handoff_inside(void)
{
	return dbh_config()->inside_handoff;
}

/* Variables only dbhook reads, all of them secrets, removed from the
 * build's environment: the build, its dependencies' install and build
 * scripts and the framework's plugins run with what we hand on, none of
 * them needs these, and any of them could leak them (a log line, a bundled
 * process.env, a compromised package). MIGRATE_DATABASE_URL is the URL
 * migrations run with (often the owner's, with more rights than the app's
 * DATABASE_URL), MIGRATE_NOTIFY_URL is a webhook whose URL holds a token,
 * SUPABASE_ACCESS_TOKEN manages every project of the Supabase account.
 * DATABASE_URL and DATABASE_URL_DIRECT stay: apps (and Prisma's schema)
 * read them themselves. DBHOOK_KEEP_ENV=1 keeps these too. */
static const char *const dbhook_only_env[] = {
    "MIGRATE_DATABASE_URL",
    "MIGRATE_NOTIFY_URL",
    "SUPABASE_ACCESS_TOKEN",
};
#define N_DBHOOK_ONLY (sizeof(dbhook_only_env) / sizeof(dbhook_only_env[0]))

/* DBHOOK_KEEP_ENV is 1, true or yes (as MIGRATE_STRICT). */
static int keep_env(void)
{
	return dbh_config()->keep_env;
}

/* Restores an environment variable saved before the exec. */
static void restore_env(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static char *saved_env(const char *name)
{
	const char *v = dbh_config_var(name);

	return v ? dbh_xstrdup(v) : NULL;
}

/* PATH with `dir` first, unless it is first already. */
static char *path_with(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (!path || !*path)
		return dbh_xstrdup(dir);
	if (strncmp(path, dir, n) == 0 && (path[n] == ':' || !path[n]))
		return dbh_xstrdup(path);
	return dbh_xasprintf("%s:%s", dir, path);
}

static void exec_hint(const struct dbh_handoff *h, struct dbh_error *err)
{
	const char *cmd = h->argv[0];

	switch (h->kind) {
	case DBH_HANDOFF_SCRIPT:
		if (strcmp(cmd, "npm") == 0) {
			dbh_error_hint(err, "npm comes with Node.js: install "
					    "Node.js, or give the build "
					    "command after --.");
			break;
		}
		dbh_error_hint(err,
			       "The lockfile names %s, which is not installed "
			       "here: install it (\"corepack enable\", or "
			       "\"npm install -g %s\"), delete the stale "
			       "lockfile, or give the build command after "
			       "--.",
			       cmd, cmd);
		break;
	case DBH_HANDOFF_FRAMEWORK:
		dbh_error_hint(err,
			       "\"%s\" comes with the project's dependencies: "
			       "install dependencies first (e.g. \"npm ci\"), "
			       "add a \"build\" script to package.json, or "
			       "give the build command after --.",
			       cmd);
		break;
	default:
		dbh_error_hint(err,
			       "Check the command after -- (spelling, PATH); "
			       "a tool from node_modules needs the "
			       "dependencies installed first.");
		break;
	}
}

int dbh_handoff_exec(const struct dbh_handoff *h, struct dbh_error *err)
{
	char *old_marker, *old_path = NULL, *new_path = NULL;
	char *old_secret[N_DBHOOK_ONLY] = {NULL};
	struct sigaction dfl, old_pipe;
	sigset_t none, old_mask;
	int saved, code, keep;
	size_t i;

	if (!h->argv || !h->argv[0])
		return dbh_error_set(err, DBH_EUSAGE,
				     "no build command to hand off to");
	old_marker = saved_env(DBH_HANDOFF_ENV);
	setenv(DBH_HANDOFF_ENV, "1", 1);
	if (h->bin_dir) {
		old_path = saved_env("PATH");
		new_path = path_with(h->bin_dir, old_path);
		setenv("PATH", new_path, 1);
	}
	keep = keep_env();
	for (i = 0; !keep && i < N_DBHOOK_ONLY; i++) {
		old_secret[i] = saved_env(dbhook_only_env[i]);
		unsetenv(dbhook_only_env[i]);
	}
	fflush(NULL);
	/* The build gets signals as if started directly: an ignored SIGPIPE
	 * (network code's habit) and blocked signals would survive exec.
	 * Handlers reset by themselves. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGPIPE, &dfl, &old_pipe);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, &old_mask);
	execvp(h->argv[0], h->argv);
	saved = errno;

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	restore_env(DBH_HANDOFF_ENV, old_marker);
	if (h->bin_dir)
		restore_env("PATH", old_path);
	free(new_path);
	for (i = 0; !keep && i < N_DBHOOK_ONLY; i++)
		restore_env(dbhook_only_env[i], old_secret[i]);

	code = saved == ENOENT || saved == ENOTDIR ? 127 : 126;
	if (code == 127) {
		dbh_error_set(err, code,
			      "cannot run build command \"%s\": \"%s\" not "
			      "found",
			      h->display, h->argv[0]);
		exec_hint(h, err);
	} else {
		dbh_error_set(err, code, "cannot run build command \"%s\": %s",
			      h->display, strerror(saved));
		if (saved == EACCES)
			dbh_error_hint(err,
				       "Make \"%s\" executable (chmod +x), or "
				       "check the build script.",
				       h->argv[0]);
		else if (saved == ENOEXEC)
			dbh_error_hint(err,
				       "\"%s\" is neither a program nor a "
				       "script with a #! line.",
				       h->argv[0]);
		else
			dbh_error_hint(err, "Check the build script or the "
					    "command after --.");
	}
	dbh_error_detail(err, "The command was chosen from: %s.", h->source);
	return code;
}
