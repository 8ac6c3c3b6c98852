#!/usr/bin/env bash
# The real Vercel CLI (npm package `vercel`, 64.0.2; 41.7.8 under a Node.js older than 20) running `vercel build`
# offline, as Vercel's build step does, with vercel-build as buildCommand:
# --prod migrates and then builds, a preview build does not migrate, a
# failing migration still yields the build output (and with MIGRATE_STRICT=1
# fails the deployment), and the repository's own vercel.json works as it
# is, installCommand included (it installs dbhook from npm), and an app
# whose only dbhook is the npm package builds with `vercel build --prod`:
# npm's registry is tests/npm-registry.js inside the namespace, serving the
# packages of scripts/package. No compiler is involved.
#
# The CLI is installed once, by this test, into a cache outside the
# repository (notes/vercel.md §3.1: `npm init -y`, an npm "overrides" entry
# for `sandbox`, `npm install vercel@64.0.2`); later runs reuse it. Without
# npm, or when the install fails, the test FAILS (it never skips).
#
# Isolation: every `vercel build` runs under `env -i` and, when possible, in
# a new network namespace (`unshare -n`, or `unshare -rn` for a non-root
# user): no network at all. The new namespace has its own loopback, so the
# test PostgreSQL is reached over its Unix socket (the file system is
# shared): postgresql://user:pw@/db?host=<socket dir>&port=<port>.
# shellcheck disable=SC2016,SC2317 # literal $X and `..` in patterns; helpers run via check
. "$(dirname "$0")/lib.sh"
need_db

VB=${VERCEL_BUILD:-$BUILDDIR/vercel-build}
SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# --- the CLI, installed once ------------------------------------------------
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	diag "npm or node missing: running scripts/install-deps (nodejs, npm)"
	run "$SRC/scripts/install-deps"
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	ok 1 "npm and node are installed (scripts/install-deps installs nodejs and npm; it failed: $LOGDIR/run$RUN_N.err)"
	finish
fi
# vercel 64 needs Node.js >= 20 (this machine's image has it); Debian 12's
# own nodejs is 18, for which 41.7.8 is the newest CLI (engines >= 18).
# VERCEL_CLI_VERSION overrides the choice.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
	VVERSION=${VERCEL_CLI_VERSION:-64.0.2}
else
	VVERSION=${VERCEL_CLI_VERSION:-41.7.8}
fi
VDIR=${XDG_CACHE_HOME:-$HOME/.cache}/dbhook-test-vercel-$VVERSION
VERCEL=$VDIR/node_modules/.bin/vercel
diag "Node.js $(node --version), vercel CLI $VVERSION"
# What `vercel pull` would write; CLI 64 needs only "settings", older ones
# also want the ids (any well-formed ones: nothing is looked up offline).
PROJECT_JSON='{"projectId":"prj_offlinetest0000000000000000","orgId":"team_offlinetest000000000000000","settings":{}}'
installed() {
	[ -x "$VERCEL" ] &&
		[ "$(node -p 'require(process.argv[1]).version' \
			"$VDIR/node_modules/vercel/package.json" 2>/dev/null)" = "$VVERSION" ]
}
if ! installed; then
	mkdir -p "$(dirname "$VDIR")"
	exec 9>"$VDIR.lock" # one installer at a time
	flock -w 900 9
	if ! installed; then
		diag "installing vercel@$VVERSION into $VDIR (once; later runs reuse it)"
		rm -rf "$VDIR"
		mkdir -p "$VDIR"
		cd "$VDIR" || exit 1
		run npm init -y
		run node -e 'const p=require("./package.json");p.overrides={sandbox:"4.5.0"};require("fs").writeFileSync("package.json",JSON.stringify(p,null,2))'
		run npm install "vercel@$VVERSION"
		install_log=$LOGDIR/run$RUN_N.err
		cd "$WORK" || exit 1
	fi
	exec 9>&-
fi
if ! installed; then
	ok 1 "vercel@$VVERSION installed in $VDIR (npm install failed; see ${install_log:-the npm log})"
	tail -n 15 "${install_log:-/dev/null}" 2>/dev/null | sed 's/^/#   | /'
	finish
fi
run "$VERCEL" --version
like "$OUT$ERR" "$VVERSION" "the Vercel CLI $VVERSION is installed in $VDIR"

# --- isolation ----------------------------------------------------------------
ISOLATE=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	ISOLATE=(unshare -n)
elif unshare -rn true 2>/dev/null; then
	ISOLATE=(unshare -rn)
else
	diag "no network namespace available: running vercel build without network isolation"
fi
# vbuild DIR ARGS... : `vercel build ARGS` in DIR, offline, scrubbed env.
vbuild() {
	local dir=$1
	shift
	cd "$dir" || return 1
	run timeout -k 5 120 "${ISOLATE[@]}" env -i \
		PATH="$VDIR/node_modules/.bin:/usr/local/bin:/usr/bin:/bin" \
		HOME="$HOME" NO_UPDATE_NOTIFIER=1 VERCEL_TELEMETRY_DISABLED=1 \
		vercel build "$@"
	# The CLI's own words when it fails, for whoever reads the log.
	[ "$RC" = 0 ] || diag "vercel build $* exited $RC; its stderr ends: $(without_secrets "$(printf '%s\n' "$ERR" | tail -n 8 | tr "\n" "|")")"
	cd "$WORK" || return 1
}
# vbuild_npm DIR ARGS... : vbuild, with our npm registry running inside the
# namespace (whose loopback is brought up first).
vbuild_npm() {
	local dir=$1 pf=$WORK/regport.$RUN_N
	shift
	rm -f "$pf"
	cd "$dir" || return 1
	run timeout -k 5 240 "${ISOLATE[@]}" sh -c '
		reg=$1 npmdir=$2 pf=$3 path=$4 cache=$5
		shift 5
		ip link set lo up 2>/dev/null || true
		node "$reg" "$npmdir" "$pf" >"$pf.log" 2>&1 &
		regpid=$!
		i=0
		while [ ! -s "$pf" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		env -i PATH="$path" HOME="$HOME" NO_UPDATE_NOTIFIER=1 VERCEL_TELEMETRY_DISABLED=1 \
			npm_config_registry="http://127.0.0.1:$(cat "$pf")/" npm_config_cache="$cache" \
			npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
			vercel build "$@"
		rc=$?
		kill $regpid
		exit $rc' _ "$SRC/tests/npm-registry.js" "$SRC/dist/npm" "$pf" \
		"$VDIR/node_modules/.bin:/usr/local/bin:/usr/bin:/bin" "$WORK/npm-cache" "$@"
	cd "$WORK" || return 1
}
socket_url() { # socket_url DB : the app user's URL over the Unix socket
	echo "postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@/$1?host=$TEST_PG_SOCK&port=$TEST_PG_PORT"
}
has_table() { # has_table DB NAME : prints t or f
	admin "$1" "SELECT to_regclass('public.$2') IS NOT NULL"
}
no_password_in() { # no_password_in DIR : no test password in any file
	! grep -rqF -e "$TEST_DB_PASSWORD" -e "$TEST_DB_PASSWORD_ENC" "$1"
}

# project DIR DB : a Vercel project (as `vercel pull` leaves it, settings in
# vercel.json) whose build is vercel-build, then the demo build writing
# dist/index.html; MIGRATE_DATABASE_URL only in the production env file.
project() {
	local dir=$1 db=$2
	mkdir -p "$dir/.vercel"
	cp "$SRC/scripts/demo-build" "$dir/build.sh"
	echo "$PROJECT_JSON" >"$dir/.vercel/project.json"
	printf '%s\n' VERCEL=1 CI=1 VERCEL_ENV=production VERCEL_TARGET_ENV=production \
		VERCEL_GIT_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567 \
		VERCEL_GIT_COMMIT_REF=main "MIGRATE_DATABASE_URL=$(socket_url "$db")" \
		>"$dir/.vercel/.env.production.local"
	printf '%s\n' VERCEL=1 CI=1 VERCEL_ENV=preview VERCEL_TARGET_ENV=preview \
		VERCEL_GIT_COMMIT_REF=feature-x >"$dir/.vercel/.env.preview.local"
	jq -n --arg cmd "$VB -- sh build.sh dist" \
		'{buildCommand: $cmd, installCommand: "", framework: null, outputDirectory: "dist"}' \
		>"$dir/vercel.json"
}
target_of() { jq -r .target "$1/.vercel/output/builds.json" 2>/dev/null; }
error_of() { jq -c .error "$1/.vercel/output/builds.json" 2>/dev/null; }
page() { cat "$1/.vercel/output/static/index.html" 2>/dev/null; }

# --- 1. preview, then production -------------------------------------------------
db=$(newdb)
P=$WORK/app
project "$P" "$db"
mkmig "$P/migrations" 20240101000000_users 'CREATE TABLE users (id int PRIMARY KEY, email text);'
mkmig "$P/migrations" 20240102000000_posts 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);'
APPLIED2=$'20240101000000_users|true|false\n20240102000000_posts|true|false'

vbuild "$P"
is "$RC" 0 "vercel build (preview): exit 0"
like "$OUT" '^vercel-build: skipping migrations: environment "preview" is not in --environments \(production\)$' \
	"preview: vercel-build says why it does not migrate"
is "$(has_table "$db" _prisma_migrations)" f "preview: the database is untouched"
like "$(page "$P")" 'Built for the <b>preview</b> environment' "preview: .vercel/output/static/index.html was built"
is "$(target_of "$P")" preview "preview: builds.json target preview"
is "$(error_of "$P")" null "preview: builds.json has no error"

vbuild "$P" --prod
is "$RC" 0 "vercel build --prod: exit 0"
like "$OUT" '^vercel-build: applying migrations: environment "production" is in --environments \(production\)$' \
	"--prod: vercel-build migrates, and says why"
is "$(rows "$db")" "$APPLIED2" "--prod: both migrations are in the database"
is "$(printf '%s\n' "$OUT" | sed -nE 's/^(All migrations have been successfully applied|demo-build: wrote).*/\1/p' | tr '\n' '|')" \
	"All migrations have been successfully applied|demo-build: wrote|" "--prod: migrations first, then the build"
like "$OUT" "^vercel-build: database postgresql://$TEST_DB_USER:\*\*\*@/$db\?host=" "--prod: the URL is shown redacted"
like "$(page "$P")" 'Built for the <b>production</b> environment from commit <code>0123456</code>' \
	"--prod: .vercel/output/static/index.html was built"
is "$(target_of "$P")" production "--prod: builds.json target production"
is "$(error_of "$P")" null "--prod: builds.json has no error"
like "$ERR" 'Build Completed in .vercel/output' "--prod: the CLI reports the build completed"
check "--prod: no password in .vercel/output" no_password_in "$P/.vercel/output"

vbuild "$P" --prod
is "$RC" 0 "second vercel build --prod: exit 0"
like "$OUT" '^No pending migrations to apply\.$' "second --prod: nothing pending"
is "$(rows "$db")" "$APPLIED2" "second --prod: history unchanged"

# --- 2. a failing migration under --prod --------------------------------------------
db=$(newdb)
F=$WORK/failing
project "$F" "$db"
mkmig "$F/migrations" 20240101000000_ok 'CREATE TABLE ok_t (id int);'
mkmig "$F/migrations" 20240102000000_broken $'CREATE TABLE half_t (id int);\nCREATE TABLEX oops (id int);'
vbuild "$F" --prod
is "$RC" 0 "failing migration, vercel build --prod: exit 0 (the deploy goes on)"
like "$ERR" '^vercel-build: error: migration "20240102000000_broken" failed: syntax error at or near "TABLEX"' \
	"failing migration: error line"
like "$ERR" '^vercel-build: hint: ' "failing migration: hint line"
like "$ERR" '^vercel-build: warning: the migration step failed; the build goes on without it' \
	"failing migration: says the build goes on"
like "$(page "$F")" 'Built for the <b>production</b> environment' "failing migration: the build output exists"
is "$(target_of "$F")" production "failing migration: builds.json target production"
is "$(error_of "$F")" null "failing migration: builds.json has no error"
is "$(rows "$db" | sort -u)" $'20240101000000_ok|true|false\n20240102000000_broken|false|true' \
	"failing migration: the good one applied, the failed one rolled back"
is "$(has_table "$db" half_t)" f "failing migration: nothing of it is applied"

# MIGRATE_STRICT=1 set as a Production environment variable: the deployment fails.
echo MIGRATE_STRICT=1 >>"$F/.vercel/.env.production.local"
vbuild "$F" --prod
is "$RC" 1 "MIGRATE_STRICT=1: vercel build --prod fails (exit 1)"
like "$OUT" '^vercel-build: --strict: not building after the failed migration step$' "MIGRATE_STRICT=1: says it does not build"
like "$(error_of "$F")" '"code":"BUILD_UTILS_SPAWN_1"' "MIGRATE_STRICT=1: builds.json records the build command's exit 1"
check "MIGRATE_STRICT=1: no build output" test ! -e "$F/.vercel/output/static/index.html"

# --- 3. a custom environment --------------------------------------------------------
printf '%s\n' VERCEL=1 CI=1 VERCEL_ENV=preview VERCEL_TARGET_ENV=staging \
	"MIGRATE_DATABASE_URL=$(socket_url "$db")" >"$P/.vercel/.env.staging.local"
vbuild "$P" --target=staging
is "$RC" 0 "vercel build --target=staging: exit 0"
like "$OUT" '^vercel-build: skipping migrations: environment "staging" is not in --environments \(production\)$' \
	"staging: not in the default --environments, skipped (VERCEL_TARGET_ENV wins over VERCEL_ENV=preview)"
like "$(page "$P")" 'Built for the <b>staging</b> environment' "staging: built"

# --- 4. this repository's vercel.json, as it is ----------------------------------------
# A copy of what the build needs; installCommand installs dbhook from npm,
# buildCommand runs its vercel-build on migrations/ and hands off to
# scripts/demo-build, whose page is the outputDirectory.
if ! ls "$SRC"/dist/npm/dbhook-*.tgz >/dev/null 2>&1; then
	ok 1 "scripts/package built the npm packages in $SRC/dist/npm: run scripts/package"
	finish
fi
R=$WORK/repo
mkdir -p "$R/scripts" "$R/.vercel"
cp -r "$SRC/migrations" "$SRC/vercel.json" "$R/"
cp "$SRC/scripts/demo-build" "$R/scripts/"
check "vercel.json: valid JSON" jq -e . "$R/vercel.json"
is "$(jq -r '[.framework, .installCommand, .outputDirectory] | map(tostring) | join("|")' "$R/vercel.json")" \
	"null|npm install --no-save --no-package-lock dbhook|build/demo-site" "vercel.json: framework, installCommand, outputDirectory"
like "$(jq -r .buildCommand "$R/vercel.json")" '^node_modules/\.bin/vercel-build .*-- sh scripts/demo-build$' \
	"vercel.json: buildCommand runs vercel-build from npm, then the demo build"
db=$(newdb)
echo "$PROJECT_JSON" >"$R/.vercel/project.json"
printf '%s\n' VERCEL=1 CI=1 VERCEL_ENV=production VERCEL_TARGET_ENV=production \
	"MIGRATE_DATABASE_URL=$(socket_url "$db")" >"$R/.vercel/.env.production.local"
vbuild_npm "$R" --prod
is "$RC" 0 "repository vercel.json: vercel build --prod exits 0"
like "$ERR$OUT" 'Running "install" command: `npm install --no-save --no-package-lock dbhook`' "repository vercel.json: the CLI runs the installCommand"
check "repository vercel.json: the binary came from npm" test -x "$R/node_modules/dbhook-linux-x64/bin/dbhook"
nmig=$(find "$SRC/migrations" -mindepth 2 -name migration.sql | wc -l)
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL" 2>/dev/null)" "$nmig" \
	"repository vercel.json: all $nmig migrations of migrations/ applied"
first=$(basename "$(find "$SRC/migrations" -mindepth 1 -maxdepth 1 -type d | sort | head -n 1)")
like "$(page "$R")" "<li><code>$first</code></li>" "repository vercel.json: the demo page (outputDirectory) was built"
is "$(target_of "$R")" production "repository vercel.json: builds.json target production"
is "$(error_of "$R")" null "repository vercel.json: builds.json has no error"
check "repository vercel.json: no password in .vercel/output" no_password_in "$R/.vercel/output"

# --- 5. an app whose only dbhook is the npm package -----------------------------------
# package.json as the README says: dbhook a dependency, "vercel-build":
# "vercel-build" (Vercel runs that script by itself), no vercel.json
# buildCommand or installCommand: the CLI runs `npm install` itself.
N=$WORK/npmapp
db=$(newdb)
mkdir -p "$N/.vercel"
cp "$SRC/scripts/demo-build" "$N/build.sh"
echo "$PROJECT_JSON" >"$N/.vercel/project.json"
printf '%s\n' VERCEL=1 CI=1 VERCEL_ENV=production VERCEL_TARGET_ENV=production \
	VERCEL_GIT_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567 \
	"MIGRATE_DATABASE_URL=$(socket_url "$db")" >"$N/.vercel/.env.production.local"
V=$(. "$SRC/dist/portable/env" && echo "$PORTABLE_VERSION")
jq -n --arg v "$V" '{name: "acme-web", version: "1.0.0", private: true,
	scripts: {build: "sh build.sh dist", "vercel-build": "vercel-build"},
	dependencies: {dbhook: $v}}' >"$N/package.json"
jq -n '{framework: null, outputDirectory: "dist"}' >"$N/vercel.json"
mkmig "$N/prisma/migrations" 20240101000000_users 'CREATE TABLE users (id int PRIMARY KEY, email text);'
mkmig "$N/prisma/migrations" 20240102000000_posts 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);'
vbuild_npm "$N" --prod
is "$RC" 0 "npm app: vercel build --prod exits 0"
check "npm app: dbhook came from npm (node_modules/dbhook-linux-x64)" test -x "$N/node_modules/dbhook-linux-x64/bin/dbhook"
like "$OUT" '^vercel-build: applying migrations: environment "production" is in --environments \(production\)$' \
	"npm app: the vercel-build script migrates"
is "$(rows "$db")" "$APPLIED2" "npm app: both migrations of prisma/migrations applied"
like "$(page "$N")" 'Built for the <b>production</b> environment' "npm app: then the build script built the page"
is "$(error_of "$N")" null "npm app: builds.json has no error"
check "npm app: no password in .vercel/output" no_password_in "$N/.vercel/output"

finish
