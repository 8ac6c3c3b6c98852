/* initcmd.c - `dbhook init` (see initcmd.h). */
#include "dbhook/initcmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dbh_workflow.h"
#include "dbhook/alloc.h"
#include "dbhook/fileio.h"
#include "dbhook/handoff.h"
#include "dbhook/jsonfile.h"
#include "dbhook/log.h"
#include "dbhook/migdir.h"
#include "dbhook/options.h"
#include "dbhook/pkgedit.h"
#include "dbhook/pkgscripts.h"
#include "dbhook/prismaenv.h"
#include "dbhook/secrets.h"
#include "dbhook/textdiff.h"

#define PKG "package.json"
#define WORKFLOW ".github/workflows/migrate.yml"
#define FILE_MAX (8u << 20)

static const char workflow[] = DBH_WORKFLOW_YML;

/* Whether `cmd` is plain words, so `vercel-build -- CMD` runs it as is. */
static int plain(const char *cmd)
{
	return !strpbrk(cmd, "&|;<>$`()'\"\\*?~#\n");
}

/* A reporter that keeps the first warning (to make it an error) and
 * drops the rest. */
static void keep_warning(void *ctx, enum dbh_level level, const char *line)
{
	char *buf = ctx;

	if (level == DBH_WARN && !buf[0])
		snprintf(buf, 512, "%s", line);
}

struct init {
	struct dbh_reporter rep;
	int dry_run, changes;
	int yours; /* things left for the user to change (warned about) */
	cJSON *pkg;
	struct dbh_pkgscripts s;
	char pm[16];
};

/* ---- what is there ---- */

static void find_manager(struct init *in)
{
	struct dbh_handoff h;
	struct dbh_error err;

	dbh_error_clear(&err);
	/* The hand-off's own choice: what vercel-build will run. */
	if (dbh_handoff_resolve(0, NULL, ".", NULL, &h, &err) == 0 &&
	    h.kind == DBH_HANDOFF_SCRIPT) {
		const char *why = strstr(h.source, " (");
		char q[1024];

		snprintf(in->pm, sizeof(in->pm), "%s", h.argv[0]);
		dbh_report(&in->rep, DBH_INFO, "Package manager: %s%s", in->pm,
			   why ? why : "");
		dbh_report(&in->rep, DBH_INFO,
			   "Build: package.json \"build\" script (%s); "
			   "vercel-build hands off to it: %s",
			   dbh_url_redact(dbh_pkgscripts_text(&in->s, "build"),
					  q, sizeof(q)),
			   h.display);
	} else {
		char why[128];

		dbh_handoff_manager(".", in->pkg, in->pm, sizeof(in->pm), why,
				    sizeof(why), &in->rep);
		dbh_report(&in->rep, DBH_INFO, "Package manager: %s (%s)",
			   in->pm, why);
		dbh_report(&in->rep, DBH_INFO, "Build: %s", h.source);
	}
	dbh_handoff_release(&h);
}

static void find_migrations(struct init *in)
{
	const char *dir = dbh_migdir_default();
	struct dbh_migdir md = {0};
	struct dbh_error err;
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		dbh_report(&in->rep, DBH_INFO,
			   "Migrations: none yet (prisma/migrations or "
			   "migrations; `dbhook new NAME` creates one)");
		return;
	}
	dbh_error_clear(&err);
	if (dbh_migdir_open(dir, &md, &err) == 0)
		dbh_report(&in->rep, DBH_INFO,
			   "Migrations: %s (%zu migration%s)", dir, md.n,
			   md.n == 1 ? "" : "s");
	else
		dbh_report(&in->rep, DBH_INFO, "Migrations: %s (%s)", dir,
			   err.message);
	dbh_migdir_release(&md);
}

static void find_prisma(struct init *in)
{
	struct dbh_prisma_vars v = {0};

	dbh_prisma_vars_find(".", &v, &in->rep);
	for (size_t i = 0; i < v.n; i++)
		if (v.v[i].direct)
			dbh_report(&in->rep, DBH_INFO, "Prisma: %s (%s)",
				   v.v[i].name, v.v[i].from);
}

/* vercel.json's buildCommand replaces the vercel-build script. */
static void check_vercel_json(struct init *in)
{
	int absent = 0, p;
	cJSON *vj =
	    dbh_json_read(NULL, "vercel.json",
			  "its buildCommand is not checked", &in->rep, &absent);
	const cJSON *bc = cJSON_GetObjectItemCaseSensitive(vj, "buildCommand");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(in->pkg, "scripts");
	cJSON *scripts =
	    cJSON_IsObject(sc) ? cJSON_Duplicate(sc, 1) : cJSON_CreateObject();
	struct dbh_pkgscripts s = {0};
	char q[1024]; /* quoted text: the password of any URL in it hidden */

	if (absent || !vj) {
		dbh_report(&in->rep, DBH_INFO, "vercel.json: %s",
			   absent ? "none" : "not used");
	} else if (!cJSON_IsString(bc) || !bc->valuestring[0]) {
		dbh_report(&in->rep, DBH_INFO, "vercel.json: no buildCommand");
	} else {
		/* Walk it as a script, so `npm run vercel-build` counts. */
		cJSON_AddStringToObject(scripts, " buildCommand",
					bc->valuestring);
		dbh_pkgscripts_init(&s, scripts);
		p = plain(bc->valuestring);
		dbh_url_redact(bc->valuestring, q, sizeof(q));
		if (dbh_pkgscripts_runs_self(&s, " buildCommand")) {
			dbh_report(
			    &in->rep, DBH_INFO,
			    "vercel.json: buildCommand runs vercel-build");
		} else {
			dbh_report(&in->rep, DBH_WARN,
				   "vercel.json: \"buildCommand\": \"%s\" is "
				   "what Vercel runs instead of the "
				   "vercel-build script, so nothing would be "
				   "migrated; %s%s%sremove it",
				   q,
				   p ? "change it to \"vercel-build -- " : "",
				   p ? q : "", p ? "\", or " : "");
			in->yours++;
		}
		dbh_pkgscripts_free(&s);
	}
	cJSON_Delete(scripts);
	cJSON_Delete(vj);
}

/* ---- package.json ---- */

/* The scripts to add; says why an existing one is kept. */
static size_t plan_scripts(struct init *in, struct dbh_pkgedit_script *add)
{
	static const struct dbh_pkgedit_script migrate[] = {
	    {"migrate:setup", "dbhook setup"}, {"migrate:run", "dbhook run"}};
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(in->pkg, "scripts");
	const char *vb = dbh_pkgscripts_text(&in->s, "vercel-build");
	size_t n = 0;

	if (cJSON_GetObjectItemCaseSensitive(sc, "vercel-build")) {
		if (vb && dbh_pkgscripts_runs_self(&in->s, "vercel-build")) {
			dbh_report(&in->rep, DBH_INFO,
				   "Kept: the \"vercel-build\" script runs "
				   "vercel-build already");
		} else {
			char q[1024]; /* the password of any URL hidden */

			dbh_url_redact(vb, q, sizeof(q));
			dbh_report(
			    &in->rep, DBH_WARN,
			    "package.json: the \"vercel-build\" script "
			    "(\"%s\") does not run vercel-build, and "
			    "Vercel runs it instead of \"build\": change "
			    "it to \"vercel-build%s%s\", or to "
			    "\"vercel-build\" to hand off to \"build\"",
			    vb ? q : "not text",
			    !vb		? ""
			    : plain(vb) ? " -- "
					: " && ",
			    vb ? q : "");
			in->yours++;
		}
	} else if (dbh_pkgscripts_text(&in->s, "build") &&
		   dbh_pkgscripts_runs_self(&in->s, "build")) {
		dbh_report(&in->rep, DBH_INFO,
			   "Kept: the \"build\" script runs vercel-build "
			   "already (no \"vercel-build\" script needed)");
	} else {
		add[n].name = "vercel-build";
		add[n++].command = "vercel-build";
	}
	for (size_t i = 0; i < 2; i++)
		if (!cJSON_GetObjectItemCaseSensitive(sc, migrate[i].name))
			add[n++] = migrate[i];
	return n;
}

/* Prints each line of the diff (sanitised by the reporter), the password
 * of any URL in a quoted script hidden. */
static void show_diff(struct init *in, const char *a, size_t alen,
		      const char *b, size_t blen)
{
	char *d = dbh_text_diff(PKG, a, alen, b, blen), *line, *save = NULL;
	char q[1024];

	for (line = strtok_r(d, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		dbh_report(&in->rep, DBH_INFO, "%s",
			   dbh_url_redact(line, q, sizeof(q)));
	free(d);
}

static int edit_package(struct init *in, const char *text, size_t len,
			struct dbh_error *err)
{
	struct dbh_pkgedit_script add[3];
	size_t n = plan_scripts(in, add), outlen;
	char *out, names[128] = "";
	struct stat st;
	int rc;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s\"%s\"", i ? ", " : "", add[i].name);
	if (dbh_pkgedit_add_scripts(text, len, add, n, &out, &outlen, err)) {
		dbh_error_prefix(err, PKG);
		dbh_error_hint(err, "Add the scripts %s by hand.", names);
		return DBH_EUSAGE;
	}
	in->changes++;
	if (in->dry_run) {
		dbh_report(&in->rep, DBH_INFO, "Would add to " PKG ": %s",
			   names);
		show_diff(in, text, len, out, outlen);
		free(out);
		return 0;
	}
	rc = lstat(PKG, &st) == 0 && S_ISREG(st.st_mode)
		 ? dbh_write_atomic(PKG, out, outlen, st.st_mode & 07777,
				    DBH_WRITE_REPLACE, PKG, err)
		 : dbh_error_set(err, DBH_EUSAGE,
				 PKG " is not a regular file: not editing it");
	if (rc == 0)
		dbh_report(&in->rep, DBH_INFO, "Added to " PKG ": %s", names);
	free(out);
	return rc;
}

/* ---- the workflow ---- */

static int mkdir_one(const char *dir, struct dbh_error *err)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return dbh_error_set(err, DBH_EUSAGE, "cannot create \"%s\": %s", dir,
			     strerror(errno));
}

static int add_workflow(struct init *in, struct dbh_error *err)
{
	size_t len, wlen = sizeof(workflow) - 1;
	char *text = NULL;
	int r = dbh_text_read(WORKFLOW, FILE_MAX, &text, &len, &in->rep);

	if (r == 0 && len == wlen && memcmp(text, workflow, wlen) == 0) {
		dbh_report(&in->rep, DBH_INFO, "Up to date: " WORKFLOW);
	} else if (r != 1) {
		dbh_report(&in->rep, DBH_WARN,
			   WORKFLOW " differs from the workflow of this "
				    "dbhook: left as it is; compare them with "
				    "`dbhook init workflow | diff -u " WORKFLOW
				    " -`");
		in->yours++;
	} else if (in->dry_run) {
		in->changes++;
		dbh_report(&in->rep, DBH_INFO,
			   "Would create " WORKFLOW
			   " (`dbhook init workflow` prints it)");
	} else {
		in->changes++;
		if (mkdir_one(".github", err) ||
		    mkdir_one(".github/workflows", err) ||
		    dbh_write_atomic(WORKFLOW, workflow, wlen, 0644,
				     DBH_WRITE_NEW, "workflow", err)) {
			free(text);
			return DBH_EUSAGE;
		}
		dbh_report(&in->rep, DBH_INFO, "Created " WORKFLOW);
	}
	free(text);
	return 0;
}

/* ---- what is left to do ---- */

static void install_hint(struct init *in)
{
	static const char *const kinds[] = {"dependencies", "devDependencies"};

	for (size_t i = 0; i < 2; i++)
		if (cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(in->pkg, kinds[i]),
			"dbhook")) {
			dbh_report(&in->rep, DBH_INFO, "dbhook: in %s",
				   kinds[i]);
			return;
		}
	/* npm, pnpm, yarn or bun: the hand-off's choice */
	dbh_report(&in->rep, DBH_INFO, "Install it: %s %s dbhook", in->pm,
		   strcmp(in->pm, "npm") == 0 ? "i" : "add");
}

/* The secrets the workflow reads (${{ secrets.NAME }}), each once. */
static void workflow_secrets(struct init *in)
{
	static const char *const known[][2] = {
	    {"DATABASE_URL_DIRECT",
	     "in each environment (staging, production): that "
	     "database's direct or session-mode URL"},
	    {"STAGING_DATABASE_URL",
	     "in production: staging's URL, only read (the promotion "
	     "gate; a read-only role is enough)"}};
	const char *p = workflow;
	char seen[1024] = " ";

	while ((p = strstr(p, "secrets."))) {
		size_t l =
		    strspn(p += 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz0123456789_");
		char name[128];
		const char *what = "";

		if (l == 0 || l >= 100)
			continue;
		snprintf(name, sizeof(name), " %.*s ", (int)l, p);
		if (strstr(seen, name) ||
		    strlen(seen) + strlen(name) >= sizeof(seen))
			continue;
		strcat(seen, name + 1);
		for (size_t i = 0; i < 2; i++)
			if (strncmp(known[i][0], p, l) == 0 && !known[i][0][l])
				what = known[i][1];
		dbh_report(&in->rep, DBH_INFO, "    %-22.*s %s", (int)l, p,
			   what);
	}
}

static void variables(struct init *in)
{
	int envs = strstr(workflow, "environment:") != NULL;

	dbh_report(&in->rep, DBH_INFO, "Set these variables:");
	dbh_report(&in->rep, DBH_INFO,
		   "  On Vercel (Project → Settings → Environment "
		   "Variables), for Production only:");
	dbh_report(&in->rep, DBH_INFO, "    %-22s %s", "MIGRATE_DATABASE_URL",
		   "a direct or session-pooler URL (port 5432), never a "
		   "transaction pooler (port 6543)");
	dbh_report(&in->rep, DBH_INFO, "  On GitHub (%s), for " WORKFLOW ":",
		   envs ? "Settings → Environments → the workflow's "
			  "environment → Environment secrets"
			: "Settings → Secrets and variables → Actions → "
			  "Repository secrets");
	workflow_secrets(in);
}

int dbh_init_run(const struct dbh_opts *o)
{
	struct init in = {
	    dbh_log_reporter(o->quiet), o->dry_run, 0, 0, NULL, {0}, ""};
	char warning[512] = "", *text = NULL;
	struct dbh_reporter keep = {keep_warning, warning, NULL};
	struct dbh_error err;
	size_t len = 0;
	int absent = 0, rc = 0;

	dbh_error_clear(&err);
	if (o->nwords == 1 && strcmp(o->words[0], "workflow") == 0) {
		fputs(workflow, stdout);
		return 0;
	}
	if (o->nwords > 0) {
		dbh_error_set(&err, DBH_EUSAGE, "unexpected argument \"%s\"",
			      o->words[0]);
		dbh_error_hint(&err, "`dbhook init [--dry-run]` sets up the "
				     "app in the current folder; `dbhook init "
				     "workflow` prints the GitHub workflow.");
		dbh_log_error(&err);
		return DBH_EUSAGE;
	}
	rc = dbh_text_read(PKG, FILE_MAX, &text, &len, &keep);
	if (rc == 0)
		in.pkg = dbh_json_read(NULL, PKG, "dbhook init changes nothing",
				       &keep, &absent);
	if (rc == 1) {
		dbh_error_set(&err, DBH_EUSAGE, "no " PKG " in this folder");
		dbh_error_hint(&err, "Run dbhook init in the app's folder, "
				     "where its package.json is.");
	} else if (!in.pkg) {
		char *cut = strstr(warning, "; ignoring");

		if (cut)
			*cut = '\0';
		dbh_error_set(&err, DBH_EUSAGE, "%s", warning);
		dbh_error_hint(&err,
			       "Fix " PKG ", then run dbhook init again.");
	}
	if (err.code) {
		dbh_log_error(&err);
		free(text);
		return DBH_EUSAGE;
	}
	dbh_pkgscripts_init(
	    &in.s, cJSON_GetObjectItemCaseSensitive(in.pkg, "scripts"));
	find_manager(&in);
	find_migrations(&in);
	find_prisma(&in);
	check_vercel_json(&in);
	rc = edit_package(&in, text, len, &err);
	if (rc == 0)
		rc = add_workflow(&in, &err);
	if (rc) {
		dbh_log_error(&err);
	} else {
		install_hint(&in);
		variables(&in);
		if (!in.changes)
			dbh_report(&in.rep, DBH_RESULT, "Nothing to change%s.",
				   in.yours ? " (see the warnings above)" : "");
		else
			dbh_report(&in.rep, DBH_RESULT, "%s%d change%s%s.",
				   in.dry_run ? "Dry run, nothing written: "
					      : "Done: ",
				   in.changes, in.changes == 1 ? "" : "s",
				   in.yours ? "; see the warnings above" : "");
	}
	dbh_pkgscripts_free(&in.s);
	cJSON_Delete(in.pkg);
	free(text);
	return rc;
}
