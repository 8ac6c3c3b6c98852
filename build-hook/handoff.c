/* handoff.c - choosing the build command `vercel-build` hands off to:
 * the words after --, package.json's "build" script through the package
 * manager of the lockfile, or the framework preset's default (handoff.h).
 * The scripts are walked in pkgscripts.c, the JSON files read by
 * jsonfile.c, and the exec is in handoffexec.c. */
#include "dbhook/handoff.h"
#include "dbhook/alloc.h"
#include "dbhook/config.h"
#include "dbhook/fileio.h"
#include "dbhook/jsonfile.h"
#include "dbhook/pkgscripts.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dbhook/sbuf.h"

#define SELF "vercel-build"

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

static int exists(const char *dir, const char *name)
{
	char *path = dbh_path_join(dir, name);
	struct stat st;
	int r;

	r = stat(path, &st) == 0;
	free(path);
	return r;
}

static int in_list(const char *w, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(w, *list) == 0)
			return 1;
	return 0;
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

void dbh_handoff_manager(const char *dir, const cJSON *pkg, char *pm,
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
	bin = dbh_path_join(dir, "node_modules/.bin");
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
	j = dbh_json_read(dir, "vercel.json", skipped, rep, &absent);
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
	j = dbh_json_read(dir, ".vercel/project.json", skipped, rep, &absent);
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
	struct dbh_pkgscripts s = {0};
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

	pkg = dbh_json_read(dir, "package.json", skipped, rep, &absent);
	if (pkg) {
		const char *build;
		char where[256];
		int self;

		dbh_pkgscripts_init(
		    &s, cJSON_GetObjectItemCaseSensitive(pkg, "scripts"));
		build = dbh_pkgscripts_text(&s, "build");
		while (build && (*build == ' ' || *build == '\t'))
			build++;
		if (dbh_pkgscripts_goes_on(&s, dbh_config()->npm_event)) {
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
		self = build && *build && dbh_pkgscripts_runs_self(&s, "build");
		if (!build || !*build) {
			why_none = "no \"build\" script in package.json";
		} else if (self) {
			const char *ev = dbh_config()->npm_event;

			/* `ev` is one of the scripts the walk went through. */
			if (dbh_pkgscripts_walked(&s, ev)) {
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

			dbh_handoff_manager(dir, pkg, pm, sizeof(pm), why,
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
	dbh_pkgscripts_free(&s);
	cJSON_Delete(pkg);
	cJSON_Delete(vj);
	return 0;
}
