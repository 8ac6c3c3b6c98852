/* test_handoff.c - choosing the build command to hand off to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dbhook/config.h"
#include "dbhook/handoff.h"
#include "tap.h"

static char root[256];
static char warnings[4096], notes[4096];
static int nwarn, nnote;

static void collect(void *ctx, enum dbh_level level, const char *line)
{
	char *buf = level == DBH_WARN ? warnings : notes;
	size_t used = strlen(buf);

	(void)ctx;
	if (level == DBH_WARN)
		nwarn++;
	else if (level == DBH_NOTE)
		nnote++;
	else
		return;
	snprintf(buf + used, 4096 - used, "%s\n", line);
}

static const struct dbh_reporter rep = {collect, NULL, NULL};

struct file {
	const char *name, *text;
};

/* Creates root/<dir> with the files; returns its path (static). */
static const char *project(const char *dir, const struct file *files)
{
	static char path[512];
	char f[1024];

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	mkdir(path, 0755);
	for (; files && files->name; files++) {
		FILE *fp;
		char *slash;

		snprintf(f, sizeof(f), "%s/%s", path, files->name);
		slash = strrchr(f, '/');
		/* one level of sub-folder (.vercel/, node_modules/.bin) */
		if (slash && strchr(files->name, '/')) {
			char d[1024];

			snprintf(d, sizeof(d), "%.*s", (int)(slash - f), f);
			if (strstr(files->name, "node_modules/")) {
				char nm[1024];

				snprintf(nm, sizeof(nm), "%s/node_modules",
					 path);
				mkdir(nm, 0755);
			}
			mkdir(d, 0755);
		}
		if (!files->text) { /* a directory */
			mkdir(f, 0755);
			continue;
		}
		fp = fopen(f, "w");
		if (fp) {
			fputs(files->text, fp);
			fclose(fp);
		}
	}
	return path;
}

static void reset_report(void)
{
	warnings[0] = notes[0] = '\0';
	nwarn = nnote = 0;
}

#define PKG_BUILD "{\"scripts\": {\"build\": \"next build\"}}"
#define PKG_NOBUILD "{\"name\": \"app\", \"scripts\": {\"dev\": \"next\"}}"
#define VJ_NEXT "{\"framework\": \"nextjs\"}"

static const struct {
	const char *dir;
	struct file files[5];
	const char *display; /* NULL: nothing to run */
	const char *source;  /* a substring of h.source */
	const char *warning; /* a substring of the warnings, or NULL: none */
} cases[] = {
    {"pnpm",
     {{"package.json", PKG_BUILD}, {"pnpm-lock.yaml", ""}},
     "pnpm run build",
     "package.json \"build\" script via pnpm (pnpm-lock.yaml)",
     NULL},
    {"yarn",
     {{"package.json", PKG_BUILD}, {"yarn.lock", ""}},
     "yarn run build",
     "package.json \"build\" script via yarn (yarn.lock)",
     NULL},
    {"bunb",
     {{"package.json", PKG_BUILD}, {"bun.lockb", ""}},
     "bun run build",
     "via bun (bun.lockb)",
     NULL},
    {"bun",
     {{"package.json", PKG_BUILD}, {"bun.lock", ""}},
     "bun run build",
     "via bun (bun.lock)",
     NULL},
    {"npm",
     {{"package.json", PKG_BUILD}, {"package-lock.json", "{}"}},
     "npm run build",
     "via npm (package-lock.json)",
     NULL},
    {"nolock",
     {{"package.json", PKG_BUILD}},
     "npm run build",
     "via npm (no lockfile)",
     NULL},
    {"corepack",
     {{"package.json", "{\"packageManager\": \"pnpm@9.1.0+sha512.abc\", "
		       "\"scripts\": {\"build\": \"vite build\"}}"}},
     "pnpm run build",
     "via pnpm (\"packageManager\" in package.json)",
     NULL},
    {"twolocks",
     {{"package.json", PKG_BUILD}, {"yarn.lock", ""}, {"bun.lockb", ""}},
     "bun run build",
     "via bun (bun.lockb)",
     NULL},
    {"script-wins",
     {{"package.json", PKG_BUILD},
      {"vercel.json", "{\"framework\": \"vite\"}"}},
     "npm run build",
     "package.json \"build\" script",
     NULL},
    {"bom",
     {{"package.json", "\xef\xbb\xbf" PKG_BUILD "\r\n"}},
     "npm run build",
     "via npm (no lockfile)",
     NULL},
    {"trailing",
     {{"package.json", PKG_BUILD " x\n"}},
     NULL,
     "an unusable package.json",
     "package.json:1:38: invalid JSON near \"x\""},
    {"framework",
     {{"package.json", PKG_NOBUILD}, {"vercel.json", VJ_NEXT}},
     "next build",
     "framework \"nextjs\" in vercel.json",
     NULL},
    {"framework-nopkg",
     {{"vercel.json", "{\"framework\": \"hugo\"}"}},
     "hugo -D --gc",
     "framework \"hugo\" in vercel.json",
     NULL},
    {"empty-build",
     {{"package.json", "{\"scripts\": {\"build\": \"  \"}}"},
      {"vercel.json", VJ_NEXT}},
     "next build",
     "framework \"nextjs\"",
     NULL},
    {"project-json",
     {{"package.json", PKG_NOBUILD},
      {".vercel/project.json", "{\"settings\": {\"framework\": \"vite\"}}"}},
     "vite build",
     "framework \"vite\" in .vercel/project.json",
     NULL},
    {"vercel-json-wins",
     {{"vercel.json", "{\"framework\": \"astro\"}"},
      {".vercel/project.json", "{\"settings\": {\"framework\": \"vite\"}}"}},
     "astro build",
     "framework \"astro\" in vercel.json",
     NULL},
    {"framework-null",
     {{"package.json", PKG_NOBUILD},
      {"vercel.json", "{\"framework\": null, \"buildCommand\": \"x\"}"}},
     NULL,
     "no build command: no \"build\" script in package.json",
     NULL},
    {"framework-unknown",
     {{"vercel.json", "{\"framework\": \"no-such-preset\"}"}},
     NULL,
     "no known default for framework \"no-such-preset\"",
     "vercel.json names framework \"no-such-preset\", which has no known "
     "default build command"},
    {"nothing", {{NULL, NULL}}, NULL, "no package.json", NULL},
    {"bad-pkg",
     {{"package.json", "{\n  \"scripts\": {\n    \"build\": \"next build\",\n"
		       "  }\n}\n"},
      {"pnpm-lock.yaml", ""},
      {"vercel.json", VJ_NEXT}},
     "next build",
     "framework \"nextjs\" in vercel.json",
     "package.json:4:3: invalid JSON near \"}\"; ignoring"},
    {"bad-pkg-utf8",
     {{"package.json", "{\"name\": \"caf\xc3\xa9\" x}"}},
     NULL,
     "an unusable package.json",
     "package.json:1:17: invalid JSON near \"x}\""},
    {"bad-pkg-eof",
     {{"package.json", "{\"scripts\": {\"build\": \"next build\""}},
     NULL,
     "no build command",
     "package.json:1:35: invalid JSON at the end of file"},
    {"pkg-not-object",
     {{"package.json", "[1, 2]"}, {"vercel.json", VJ_NEXT}},
     "next build",
     "framework",
     "is JSON but not an object"},
    {"bad-vercel-json",
     {{"package.json", PKG_NOBUILD},
      {"vercel.json", "{\"framework\": nextjs}"}},
     NULL,
     "no build command",
     "vercel.json:1:15: invalid JSON near \"nextjs}\"; ignoring"},
    {"self-and",
     {{"package.json",
       "{\"scripts\": {\"build\": \"vercel-build && next build\"}}"},
      {"vercel.json", VJ_NEXT}},
     "next build",
     "framework \"nextjs\" in vercel.json",
     "the package.json \"build\" script runs vercel-build itself; not using "
     "it"},
    {"self-dashdash",
     {{"package.json",
       "{\"scripts\": {\"build\": \"vercel-build -- next build\"}}"}},
     NULL,
     "the package.json \"build\" script runs vercel-build itself",
     "runs vercel-build itself"},
    {"self-chain",
     {{"package.json", "{\"scripts\": {\"build\": \"npm run -s migrate && "
		       "next build\", \"migrate\": \"FOO=1 "
		       "./node_modules/.bin/vercel-build\"}}"},
      {"yarn.lock", ""}},
     NULL,
     "no build command",
     "(in the \"migrate\" script)"},
    {"self-prebuild",
     {{"package.json", "{\"scripts\": {\"prebuild\": \"npx vercel-build\", "
		       "\"build\": \"next build\"}}"}},
     NULL,
     "no build command",
     "(in the \"prebuild\" script)"},
    {"self-sh-c",
     {{"package.json",
       "{\"scripts\": {\"build\": \"sh -c 'vercel-build; next build'\"}}"}},
     NULL,
     "no build command",
     "runs vercel-build itself"},
    {"self-yarn-script",
     {{"package.json", "{\"scripts\": {\"build\": \"yarn db && next build\", "
		       "\"db\": \"cd . && vercel-build\"}}"}},
     NULL,
     "no build command",
     "(in the \"db\" script)"},
    {"self-cycle",
     {{"package.json", "{\"scripts\": {\"build\": \"npm run a\", \"a\": "
		       "\"npm run b\", \"b\": \"npm run a\"}}"}},
     "npm run build",
     "via npm",
     NULL},
    {"not-self-echo",
     {{"package.json",
       "{\"scripts\": {\"build\": \"echo vercel-build && next build # "
       "vercel-build\"}}"}},
     "npm run build",
     "via npm",
     NULL},
    {"not-self-other",
     {{"package.json", "{\"scripts\": {\"build\": \"vercel build --prod && "
		       "my-vercel-build\"}}"}},
     "npm run build",
     "via npm",
     NULL},
};

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dbh_handoff h;
		struct dbh_error err;
		const char *dir = project(cases[i].dir, cases[i].files);
		int r;

		reset_report();
		dbh_error_clear(&err);
		r = dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
		ok(r == 0, "%s: resolves (0)", cases[i].dir);
		if (cases[i].display) {
			ok(h.argv != NULL, "%s: a command", cases[i].dir);
			is_str(h.display, cases[i].display, cases[i].dir);
		} else {
			ok(h.argv == NULL, "%s: nothing to run (argv NULL)",
			   cases[i].dir);
		}
		ok(h.source && strstr(h.source, cases[i].source),
		   "%s: source says \"%s\"", cases[i].dir, cases[i].source);
		if (!(h.source && strstr(h.source, cases[i].source)))
			printf("#   source: %s\n", h.source ? h.source : "");
		if (cases[i].warning) {
			ok(strstr(warnings, cases[i].warning) != NULL,
			   "%s: warns \"%s\"", cases[i].dir, cases[i].warning);
			if (!strstr(warnings, cases[i].warning))
				printf("#   warnings: %s\n", warnings);
		} else {
			ok(nwarn == 0, "%s: no warning", cases[i].dir);
			if (nwarn)
				printf("#   warnings: %s\n", warnings);
		}
		dbh_handoff_release(&h);
	}
}

static void test_argv_shapes(void)
{
	static const struct file files[] = {
	    {"package.json", "{\"scripts\": {\"build\": \"x\"}}"},
	    {"node_modules/.bin", NULL},
	    {"vercel.json", "{\"framework\": \"hugo\"}"},
	    {NULL, NULL}};
	const char *dir = project("shapes", files);
	char *words[] = {"sh", "-c", "echo it's && make", "", NULL};
	char *self[] = {"./bin/vercel-build", "--", "next", NULL};
	char *empty[] = {"", NULL};
	struct dbh_handoff h;
	struct dbh_error err;
	int r;

	reset_report();
	r = dbh_handoff_resolve(4, words, dir, &rep, &h, &err);
	ok(r == 0 && h.kind == DBH_HANDOFF_ARGS,
	   "-- words win over package.json");
	is_str(h.source, "command after --", "-- source");
	ok(h.argv && strcmp(h.argv[2], "echo it's && make") == 0 &&
	       strcmp(h.argv[3], "") == 0 && h.argv[4] == NULL,
	   "-- words are kept as argv words, no shell splitting");
	is_str(h.display, "sh -c 'echo it'\\''s && make' ''",
	       "display single-quotes words with shell characters");
	ok(h.bin_dir && strstr(h.bin_dir, "/shapes/node_modules/.bin") &&
	       h.bin_dir[0] == '/',
	   "node_modules/.bin is found (absolute) for a -- command");
	dbh_handoff_release(&h);
	ok(h.argv == NULL && h.display == NULL && h.source == NULL,
	   "release clears the struct");
	dbh_handoff_release(&h);
	ok(1, "release twice is safe");

	r = dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
	ok(r == 0 && h.kind == DBH_HANDOFF_SCRIPT && h.bin_dir == NULL,
	   "a package manager adds node_modules/.bin itself (no bin_dir)");
	dbh_handoff_release(&h);

	r = dbh_handoff_resolve(3, self, dir, &rep, &h, &err);
	ok(r == DBH_EUSAGE && strstr(err.message, "refusing to hand off"),
	   "-- vercel-build itself is refused (exit 2)");
	dbh_handoff_release(&h);
	r = dbh_handoff_resolve(1, empty, dir, &rep, &h, &err);
	ok(r == DBH_EUSAGE && strstr(err.message, "empty build command"),
	   "an empty command after -- is refused (exit 2)");
	dbh_handoff_release(&h);
}

static void test_frameworks(void)
{
	static const char *const table[][2] = {
	    {"nextjs", "next build"},
	    {"vite", "vite build"},
	    {"remix", "remix build"},
	    {"astro", "astro build"},
	    {"sveltekit", "vite build"},
	    {"sveltekit-1", "vite build"},
	    {"nuxtjs", "nuxt build"},
	    {"gatsby", "gatsby build"},
	    {"create-react-app", "react-scripts build"},
	    {"hugo", "hugo -D --gc"},
	    {"angular", "ng build"},
	    {"eleventy", "npx @11ty/eleventy"},
	};
	struct file files[] = {{"vercel.json", NULL}, {NULL, NULL}};
	char json[128], dir[64];
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct dbh_handoff h;
		struct dbh_error err;

		is_str(dbh_handoff_framework(table[i][0]), table[i][1],
		       table[i][0]);
		snprintf(json, sizeof(json), "{\"framework\": \"%s\"}",
			 table[i][0]);
		snprintf(dir, sizeof(dir), "fw-%s", table[i][0]);
		files[0].text = json;
		reset_report();
		dbh_handoff_resolve(0, NULL, project(dir, files), &rep, &h,
				    &err);
		ok(h.kind == DBH_HANDOFF_FRAMEWORK && h.display &&
		       strcmp(h.display, table[i][1]) == 0,
		   "vercel.json framework %s runs %s", table[i][0],
		   table[i][1]);
		dbh_handoff_release(&h);
	}
	ok(dbh_handoff_framework("svelte") == NULL &&
	       dbh_handoff_framework(NULL) == NULL &&
	       dbh_handoff_framework("") == NULL,
	   "no default for unknown or ambiguous presets");
	{
		struct dbh_handoff h;
		struct dbh_error err;

		files[0].text = "{\"framework\": \"hugo\"}";
		dbh_handoff_resolve(0, NULL, project("fw-split", files), &rep,
				    &h, &err);
		ok(h.argv && strcmp(h.argv[0], "hugo") == 0 &&
		       strcmp(h.argv[1], "-D") == 0 &&
		       strcmp(h.argv[2], "--gc") == 0 && h.argv[3] == NULL,
		   "a framework default is split on spaces into words");
		dbh_handoff_release(&h);
	}
}

static void test_lifecycle(void)
{
	static const struct file files[] = {
	    {"package.json", "{\"scripts\": {\"build\": \"vercel-build && next "
			     "build\"}}"},
	    {"vercel.json", VJ_NEXT},
	    {NULL, NULL}};
	const char *dir = project("lifecycle", files);
	struct dbh_handoff h;
	struct dbh_error err;

	setenv("npm_lifecycle_event", "build", 1);

	dbh_config_load();
	reset_report();
	dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
	ok(h.argv == NULL && nwarn == 0,
	   "inside `npm run build` whose script calls vercel-build: no "
	   "hand-off, no warning");
	ok(strstr(notes, "the rest of that script is the build") != NULL,
	   "a note says the rest of the script is the build");
	ok(h.source && strstr(h.source, "\"build\" script"),
	   "source names the script");
	dbh_handoff_release(&h);

	setenv("npm_lifecycle_event", "dev", 1);

	dbh_config_load();
	reset_report();
	dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
	ok(h.argv && strcmp(h.display, "next build") == 0 && nwarn == 1,
	   "inside another script: warning, framework default");
	dbh_handoff_release(&h);
	unsetenv("npm_lifecycle_event");
	dbh_config_load();
}

static void test_inside_and_exec(void)
{
	static const struct file files[] = {
	    {"vercel.json", "{\"framework\": \"nextjs\"}"},
	    {"node_modules/.bin", NULL},
	    {"notexec", "#!/bin/sh\nexit 0\n"},
	    {NULL, NULL}};
	const char *dir = project("exec", files);
	char *missing[] = {"dbhook-no-such-command-xyz", "build", NULL};
	char notexec[600], *path_before;
	char *notexec_argv[] = {notexec, NULL};
	struct dbh_handoff h;
	struct dbh_error err;
	int r;

	unsetenv(DBH_HANDOFF_ENV);

	dbh_config_load();
	ok(!dbh_handoff_inside(), "not inside a hand-off without the marker");
	setenv(DBH_HANDOFF_ENV, "1", 1);
	dbh_config_load();
	ok(dbh_handoff_inside(), "inside with DBHOOK_HANDOFF=1");
	setenv(DBH_HANDOFF_ENV, "0", 1);
	dbh_config_load();
	ok(!dbh_handoff_inside(), "not inside with DBHOOK_HANDOFF=0");
	setenv(DBH_HANDOFF_ENV, "", 1);
	dbh_config_load();
	ok(!dbh_handoff_inside(), "not inside with DBHOOK_HANDOFF empty");
	unsetenv(DBH_HANDOFF_ENV);
	dbh_config_load();

	memset(&h, 0, sizeof(h));
	ok(dbh_handoff_exec(&h, &err) == DBH_EUSAGE,
	   "exec without a command: exit 2");

	path_before = strdup(getenv("PATH") ? getenv("PATH") : "");
	dbh_handoff_resolve(2, missing, dir, &rep, &h, &err);
	r = dbh_handoff_exec(&h, &err);
	ok(r == 127, "a command that is not found: 127");
	ok(strstr(err.message, "\"dbhook-no-such-command-xyz\" not found") !=
	       NULL,
	   "the message names the command");
	ok(strstr(err.hint, "command after --") != NULL,
	   "the hint says to check the command after --");
	ok(getenv(DBH_HANDOFF_ENV) == NULL,
	   "the marker is removed again after a failed exec");
	ok(strcmp(getenv("PATH"), path_before) == 0,
	   "PATH is restored after a failed exec with node_modules/.bin");
	dbh_handoff_release(&h);

	dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
	setenv("PATH", "/nonexistent-dir", 1);
	dbh_config_load();
	r = dbh_handoff_exec(&h, &err);
	setenv("PATH", path_before, 1);
	dbh_config_load();
	ok(r == 127 && strstr(err.hint, "install dependencies first"),
	   "framework default missing: 127, hint to install dependencies");
	ok(strstr(err.detail, "framework \"nextjs\" in vercel.json") != NULL,
	   "detail says where the command came from");
	dbh_handoff_release(&h);

	snprintf(notexec, sizeof(notexec), "%s/notexec", dir);
	dbh_handoff_resolve(1, notexec_argv, dir, &rep, &h, &err);
	r = dbh_handoff_exec(&h, &err);
	ok(r == 126 && strstr(err.hint, "chmod +x"),
	   "a file that is not executable: 126, hint chmod +x");
	dbh_handoff_release(&h);
	free(path_before);
}

/* package.json: "build" runs s1; s<i> runs the next `fan` scripts
 * ("npm run s2 && npm run s3"), or with `fan` 0 every other script (cycles
 * everywhere); a script that runs none runs `last`, and with `fan` 0 the
 * last script also runs `last` after the others. Owned. */
static char *script_web(int n, int fan, const char *last)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int i, j;

	if (!fp)
		return NULL;
	fprintf(fp, "{\"scripts\": {\"build\": \"npm run s1\"");
	for (i = 1; i <= n; i++) {
		const char *sep = "";

		fprintf(fp, ",\n\"s%d\": \"", i);
		for (j = fan ? i + 1 : 1; j <= (fan ? i + fan : n) && j <= n;
		     j++) {
			if (j == i)
				continue;
			fprintf(fp, "%snpm run s%d", sep, j);
			sep = " && ";
		}
		if (!*sep || (!fan && i == n))
			fprintf(fp, "%s%s", sep, last);
		fprintf(fp, "\"");
	}
	fprintf(fp, "}}\n");
	fclose(fp);
	return text;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Scripts that call each other: each is examined once, so a web of many
 * scripts takes no time, and a chain of any length is followed to its
 * end (the old walk stopped after four `npm run` levels and remembered 32
 * names). */
static void test_script_walk(void)
{
	static const struct {
		const char *dir;
		int n, fan;
		const char *last;
		const char *warning; /* NULL: no warning, "npm run build" */
	} webs[] = {
	    {"web", 120, 2, "next build", NULL},
	    {"web-self", 120, 2, "FOO=1 vercel-build",
	     "(in the \"s120\" script)"},
	    {"chain", 40, 1, "npx vercel-build", "(in the \"s40\" script)"},
	    {"dense", 200, 0, "next build", NULL},
	    {"dense-self", 200, 0, "vercel-build", "(in the \"s200\" script)"},
	};
	size_t i;

	for (i = 0; i < sizeof(webs) / sizeof(webs[0]); i++) {
		struct file files[] = {{"package.json", NULL}, {NULL, NULL}};
		char *json = script_web(webs[i].n, webs[i].fan, webs[i].last);
		struct dbh_handoff h;
		struct dbh_error err;
		struct timespec t0;
		const char *dir;
		double took;
		int r;

		files[0].text = json ? json : "";
		dir = project(webs[i].dir, files);
		reset_report();
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = dbh_handoff_resolve(0, NULL, dir, &rep, &h, &err);
		took = seconds_since(&t0);
		ok(r == 0, "%s: resolves (0)", webs[i].dir);
		ok(took < 2.0, "%s: %d scripts walked quickly (%.3f s)",
		   webs[i].dir, webs[i].n, took);
		if (webs[i].warning) {
			ok(h.argv == NULL, "%s: nothing to run (argv NULL)",
			   webs[i].dir);
			ok(strstr(warnings, webs[i].warning) != NULL,
			   "%s: warns \"%s\"", webs[i].dir, webs[i].warning);
			if (!strstr(warnings, webs[i].warning))
				printf("#   warnings: %s\n", warnings);
		} else {
			ok(h.argv && strcmp(h.display, "npm run build") == 0,
			   "%s: npm run build", webs[i].dir);
			ok(nwarn == 0, "%s: no warning", webs[i].dir);
			if (nwarn)
				printf("#   warnings: %s\n", warnings);
		}
		dbh_handoff_release(&h);
		free(json);
	}

	{
		struct dbh_handoff h;
		struct dbh_error err;

		/* The chain's 35th script is ours: deeper than 32 names. */
		setenv("npm_lifecycle_event", "s35", 1);
		dbh_config_load();
		reset_report();
		dbh_handoff_resolve(0, NULL, project("chain", NULL), &rep, &h,
				    &err);
		ok(h.argv == NULL && nwarn == 0 &&
		       strstr(notes, "\"s35\" script, which calls") != NULL,
		   "inside the 35th script of a chain that calls vercel-build: "
		   "no hand-off, a note");
		dbh_handoff_release(&h);
		unsetenv("npm_lifecycle_event");
		dbh_config_load();
	}
}

/* Runs h in a child (as vercel-build would, after migrating) and returns
 * the first line the build printed (static). */
static const char *build_output(const struct dbh_handoff *h)
{
	static char out[1024];
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds) != 0)
		return out;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct dbh_error err;

		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		dbh_handoff_exec(h, &err);
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && len + 1 < sizeof(out)) {
		ssize_t n = read(fds[0], out + len, sizeof(out) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (pid > 0)
		waitpid(pid, &status, 0);
	return out;
}

/* The secrets only dbhook reads are not handed on to the build. */
static void test_build_env(void)
{
	char *show[] = {
	    "sh", "-c",
	    "echo \"${MIGRATE_DATABASE_URL-unset} "
	    "${MIGRATE_NOTIFY_URL-unset} "
	    "${SUPABASE_ACCESS_TOKEN-unset} ${DATABASE_URL-unset} "
	    "${DATABASE_URL_DIRECT-unset} ${DBHOOK_HANDOFF-unset}\"",
	    NULL};
	char *missing[] = {"dbhook-no-such-command-xyz", NULL};
	const char *dir = project("env", NULL);
	struct dbh_handoff h;
	struct dbh_error err;

	setenv("MIGRATE_DATABASE_URL", "postgresql://owner:pw@db/x", 1);

	dbh_config_load();
	setenv("MIGRATE_NOTIFY_URL", "https://hooks.example/T0/secret", 1);
	dbh_config_load();
	setenv("SUPABASE_ACCESS_TOKEN", "sbp_secret", 1);
	dbh_config_load();
	setenv("DATABASE_URL", "postgresql://app:pw@pooler/x", 1);
	dbh_config_load();
	setenv("DATABASE_URL_DIRECT", "postgresql://app:pw@db/x", 1);
	dbh_config_load();
	unsetenv(DBH_HANDOFF_KEEP_ENV);
	dbh_config_load();

	dbh_handoff_resolve(3, show, dir, &rep, &h, &err);
	is_str(build_output(&h),
	       "unset unset unset postgresql://app:pw@pooler/x "
	       "postgresql://app:pw@db/x 1",
	       "the build gets no MIGRATE_DATABASE_URL, MIGRATE_NOTIFY_URL, "
	       "SUPABASE_ACCESS_TOKEN; DATABASE_URL(_DIRECT) stay");

	setenv(DBH_HANDOFF_KEEP_ENV, "1", 1);

	dbh_config_load();
	is_str(build_output(&h),
	       "postgresql://owner:pw@db/x https://hooks.example/T0/secret "
	       "sbp_secret postgresql://app:pw@pooler/x "
	       "postgresql://app:pw@db/x 1",
	       "DBHOOK_KEEP_ENV=1: the build keeps them");
	setenv(DBH_HANDOFF_KEEP_ENV, "0", 1);
	dbh_config_load();
	ok(strncmp(build_output(&h), "unset unset unset ", 18) == 0,
	   "DBHOOK_KEEP_ENV=0: removed");
	unsetenv(DBH_HANDOFF_KEEP_ENV);
	dbh_config_load();
	dbh_handoff_release(&h);

	unsetenv("MIGRATE_NOTIFY_URL");

	dbh_config_load();
	dbh_handoff_resolve(1, missing, dir, &rep, &h, &err);
	ok(dbh_handoff_exec(&h, &err) == 127, "a failed exec: 127");
	ok(getenv("MIGRATE_DATABASE_URL") &&
	       strcmp(getenv("MIGRATE_DATABASE_URL"),
		      "postgresql://owner:pw@db/x") == 0 &&
	       getenv("SUPABASE_ACCESS_TOKEN") &&
	       strcmp(getenv("SUPABASE_ACCESS_TOKEN"), "sbp_secret") == 0,
	   "a failed exec restores the removed variables");
	ok(getenv("MIGRATE_NOTIFY_URL") == NULL,
	   "a failed exec leaves an unset one unset");
	dbh_handoff_release(&h);

	unsetenv("MIGRATE_DATABASE_URL");

	dbh_config_load();
	unsetenv("SUPABASE_ACCESS_TOKEN");
	dbh_config_load();
	unsetenv("DATABASE_URL");
	dbh_config_load();
	unsetenv("DATABASE_URL_DIRECT");
	dbh_config_load();
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/dbhook-handoff-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	unsetenv("npm_lifecycle_event");
	dbh_config_load();
	unsetenv(DBH_HANDOFF_ENV);
	dbh_config_load();

	test_table();
	test_argv_shapes();
	test_frameworks();
	test_lifecycle();
	test_inside_and_exec();
	test_script_walk();
	test_build_env();

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", root);
	}
	return tap_done();
}
