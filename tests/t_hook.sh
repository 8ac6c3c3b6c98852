#!/usr/bin/env bash
# The build hook `vercel-build` end to end, as Vercel runs it (the real
# binary, the real test PostgreSQL): the environment decision, every
# failure kind with the graceful fallback and --strict, the hand-off to the
# build (package managers, framework defaults, the command after --, exit
# code and SIGTERM, the recursion guard), a dead database and a long
# migration inside the time budget, --dry-run, --report, the webhook, CI
# annotations and colour. A build is a fake that appends a line to $MARK:
# "the build ran" means that file has exactly one line.
# shellcheck disable=SC2016,SC2317 # literal $X and `..` in patterns; helpers run via check
. "$(dirname "$0")/lib.sh"
need_db

VB=${VERCEL_BUILD:-$BUILDDIR/vercel-build}
HTTPD=${SRCDIR:-$(dirname "$0")/..}/tests/httpd.py
PTYDRIVE=${PTYDRIVE:-$BUILDDIR/tests/ptydrive}

# Nothing of the caller's environment may steer the hook; loopback only.
unset VERCEL_ENV VERCEL_TARGET_ENV MIGRATE_DATABASE_URL MIGRATE_STRICT \
	MIGRATE_NOTIFY_URL MIGRATE_NOTIFY_ON GITHUB_ACTIONS NO_COLOR \
	DBHOOK_HANDOFF npm_lifecycle_event VERCEL_GIT_COMMIT_SHA GITHUB_SHA \
	VERCEL_URL VERCEL_PROJECT_PRODUCTION_URL SUPABASE_ACCESS_TOKEN \
	MIGRATE_SUPABASE_RESTORE DATABASE_URL DATABASE_URL_DIRECT \
	POSTGRES_URL_NON_POOLING DATABASE_URL_UNPOOLED DIRECT_URL DIRECT_DATABASE_URL \
	PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSSLMODE PGSERVICE \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
TOKEN=HkTok9secretWEBHOOK
export TEST_EXTRA_SECRET=$TOKEN # lib.sh's run fails a test that prints it

# Background helpers go in BG_PIDS (lib.sh stops them on any exit).
unbg() { # unbg PID : waited for already, no longer ours to stop
	local i
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" = "$1" ] && unset "BG_PIDS[$i]"
	done
}

SYSPATH=$PATH
BIN=$WORK/bin # fake package managers, frameworks and builds
MARK=$WORK/marker
REC=$WORK/record
export MARK REC
mkdir -p "$BIN"

# The build: one line per run in $MARK, exit $BUILD_RC.
cat >"$BIN/mark-build" <<'EOF'
#!/bin/sh
echo "build $*" >>"$MARK"
# Which descriptors the build inherited (a leaked database socket shows).
ls -l /proc/$$/fd >"$MARK.fds" 2>/dev/null
echo "BUILD RAN"
exit "${BUILD_RC:-0}"
EOF
# Package managers and framework CLIs: record the words, then build.
for f in npm pnpm yarn bun next vite; do
	cat >"$BIN/$f" <<'EOF'
#!/bin/sh
echo "${0##*/} $*" >>"$REC"
echo "build via ${0##*/} $*" >>"$MARK"
echo "fake ${0##*/} ran"
EOF
done
chmod +x "$BIN"/*

built_once() { [ -f "$MARK" ] && [ "$(wc -l <"$MARK")" -eq 1 ]; }
no_build() { [ ! -e "$MARK" ]; }

# hook ARGS... : vercel-build in $PROJ_DIR (default $PROJ) with $FAKES
# (default $BIN) first on PATH; marker and record reset first. Variables
# given as assignments before `hook` reach vercel-build's environment and
# never appear in a logged command line.
hook() {
	rm -f "$MARK" "$MARK.fds" "$REC"
	cd "${PROJ_DIR:-$PROJ}" || return 1
	PATH="${FAKES:-$BIN}:$SYSPATH" run "$VB" "$@"
	cd "$WORK" || return 1
}

has_table() { # has_table DB NAME : prints t or f
	admin "$1" "SELECT to_regclass('public.$2') IS NOT NULL"
}
no_history() { [ "$(has_table "$1" _prisma_migrations)" = f ]; }

free_port() { # a loopback port nothing listens on (bound, then closed)
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ms_since() { # ms_since EPOCHREALTIME : milliseconds elapsed
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}
wait_file() { # wait_file FILE SECONDS : until FILE is non-empty
	local i
	for ((i = 0; i < $2 * 50; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# The project: two migrations in the default folder migrations/.
PROJ=$WORK/proj
M=$PROJ/migrations
mkmig "$M" 20240101000000_users 'CREATE TABLE users (id int PRIMARY KEY, email text);'
mkmig "$M" 20240102000000_posts 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);'
printf 'provider = "postgresql"\n' >"$M/migration_lock.toml"
APPLIED2=$'20240101000000_users|true|false\n20240102000000_posts|true|false'

# --- 0. --help names every environment variable the hook reads -------------
run "$VB" --help
is "$RC" 0 "--help exits 0"
missing=""
# The README's table of every variable (kept equal to config.c by
# t_contract): each one vercel-build reads is in its --help.
for v in $(sed -n '/^### Every environment variable/,/^## /p' "$SRCDIR/README.md" |
	grep '^| `' | awk -F'|' '$3 ~ /vercel-build|both/ {print $2}' | grep -o '`[A-Z][A-Z0-9_]*`' | tr -d '`' | sort -u); do
	case $v in GITHUB_ACTIONS | GITHUB_SHA | DBHOOK_HANDOFF | HOME) continue ;; esac # CI's own or internal, not settings
	grep -q "$v" <<<"$OUT" || missing+=" $v"
done
is "$missing" "" "--help lists every variable read by the hook's sources"

# --- 1. The decision matrix ---------------------------------------------
# decision LABEL VERCEL_ENV VERCEL_TARGET_ENV URL(yes|no) EXPECT REASON [OPTS...]
# EXPECT: migrate, skip (one info line) or warn (no URL in an environment
# that migrates: a warning, then skip). "-" means unset.
decision() {
	local label=$1 venv=$2 tenv=$3 url=$4 expect=$5 reason=$6 db
	shift 6
	db=$(newdb)
	if [ "$venv" != - ]; then local -x VERCEL_ENV=$venv; fi
	if [ "$tenv" != - ]; then local -x VERCEL_TARGET_ENV=$tenv; fi
	if [ "$url" = yes ]; then local -x MIGRATE_DATABASE_URL; MIGRATE_DATABASE_URL=$(url_for "$db"); fi
	hook "$@" -- mark-build
	is "$RC" 0 "$label: exit 0"
	check "$label: the build ran" built_once
	case $expect in
	migrate)
		like "$OUT" "^vercel-build: applying migrations: $reason\$" "$label: migrates, and says why"
		is "$(rows "$db")" "$APPLIED2" "$label: both migrations are in the database"
		is "$(has_table "$db" posts)" t "$label: the posts table exists"
		;;
	skip)
		like "$OUT" "^vercel-build: skipping migrations: $reason\$" "$label: skips, and says why"
		is "$(printf '%s\n' "$OUT" "$ERR" | grep -c 'migrations:')" 1 "$label: the reason is one line"
		check "$label: the database is untouched" no_history "$db"
		;;
	warn)
		like "$ERR" "^vercel-build: warning: skipping migrations: $reason" "$label: warns and skips"
		check "$label: the database is untouched" no_history "$db"
		;;
	esac
	unlike "$OUT$ERR" 'vercel-build: error:' "$label: no error line"
}

P='\(production\)'
decision "production + URL" production - yes migrate "environment \"production\" is in --environments $P"
decision "production, no URL" production - no warn 'MIGRATE_DATABASE_URL is not set for the "production" environment'
decision "preview + URL" preview - yes skip "environment \"preview\" is not in --environments $P"
decision "preview, no URL" preview - no skip "environment \"preview\" is not in --environments $P"
decision "development + URL" development - yes skip "environment \"development\" is not in --environments $P"
decision "development, no URL" development - no skip "environment \"development\" is not in --environments $P"
decision "VERCEL_ENV unset + URL" - - yes skip "VERCEL_ENV is not set \(a local build\); migrations run in production builds only"
decision "VERCEL_ENV unset, no URL" - - no skip "VERCEL_ENV is not set \(a local build\); migrations run in production builds only"
decision "custom staging (VERCEL_ENV=preview) + URL" preview staging yes skip "environment \"staging\" is not in --environments $P"
decision "staging in --environments + URL" preview staging yes migrate \
	'environment "staging" is in --environments \(production,staging\)' --environments production,staging
decision "staging in --environments, no URL" preview staging no warn \
	'MIGRATE_DATABASE_URL is not set for the "staging" environment' --environments production,staging
decision "production with --environments production,staging" production production yes migrate \
	'environment "production" is in --environments \(production,staging\)' --environments production,staging
decision "preview with --environments production,staging" preview preview yes skip \
	'environment "preview" is not in --environments \(production,staging\)' --environments production,staging
decision "VERCEL_ENV empty + URL" "" - yes skip "VERCEL_ENV is not set \(a local build\); migrations run in production builds only"

# The migration step runs before the build, and its connection is closed
# before the hand-off (no database socket leaks into the build).
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook -- mark-build
is "$(printf '%s\n' "$OUT" | grep -nE '^(All migrations have been successfully applied|BUILD RAN)' | cut -d: -f2 | tr '\n' '|')" \
	"All migrations have been successfully applied.|BUILD RAN|" "the migrations finish before the build starts"
unlike "$(cat "$MARK.fds" 2>/dev/null)" 'socket:' "no socket (database connection) is inherited by the build"
# Again: nothing pending, the build runs.
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook -- mark-build
like "$OUT" '^No pending migrations to apply\.$' "second production build: nothing pending"
check "second production build: the build ran" built_once

# --- 2. Failure kinds: graceful fallback, --strict ------------------------
# failure LABEL CODE ERROR_REGEX HINT_REGEX [OPTS...] : MIGRATE_DATABASE_URL
# and VERCEL_ENV come from the caller's assignments.
failure() {
	local label=$1 code=$2 eregex=$3 hregex=$4
	shift 4
	hook "$@" -- mark-build
	is "$RC" 0 "$label: exit 0 (graceful fallback)"
	like "$ERR" "^vercel-build: error: $eregex" "$label: error line"
	like "$ERR" "^vercel-build: hint: $hregex" "$label: hint line"
	like "$ERR" '^vercel-build: warning: the migration step failed; the build goes on without it' \
		"$label: says the build goes on"
	check "$label: the build ran" built_once
	hook --strict "$@" -- mark-build
	is "$RC" "$code" "$label: --strict exits $code"
	like "$ERR" "^vercel-build: error: $eregex" "$label: --strict: error line"
	like "$OUT" '^vercel-build: --strict: not building after the failed migration step$' \
		"$label: --strict: says it does not build"
	check "$label: --strict: no build" no_build
}

export VERCEL_ENV=production
CLOSED=$(free_port)
MIGRATE_DATABASE_URL=$(url_for postgres "$CLOSED") failure "unreachable (closed port)" 3 \
	"cannot connect to the database at 127.0.0.1:$CLOSED" 'Nothing accepts connections there' --timeout 3
MIGRATE_DATABASE_URL=$(url_for postgres "$CLOSED") MIGRATE_STRICT=1 hook --timeout 3 -- mark-build
is "$RC" 3 "unreachable, MIGRATE_STRICT=1: exits 3"
check "unreachable, MIGRATE_STRICT=1: no build" no_build
MIGRATE_DATABASE_URL=$(url_for postgres "$CLOSED") MIGRATE_STRICT=0 hook --timeout 3 -- mark-build
is "$RC" 0 "unreachable, MIGRATE_STRICT=0: not strict, exit 0"
check "unreachable, MIGRATE_STRICT=0: the build ran" built_once

db=$(newdb)
MIGRATE_DATABASE_URL="postgresql://$TEST_DB_USER:wrong-Pass1@127.0.0.1:$TEST_PG_PORT/$db" \
	failure "wrong password" 3 "cannot connect to the database at 127.0.0.1:$TEST_PG_PORT" \
	'Check the user name and password' --timeout 10
like "$ERR" 'password authentication failed' "wrong password: the server's reason is shown"
check "wrong password: the database is untouched" no_history "$db"

MIGRATE_DATABASE_URL=$TEST_PGB_TX_URL failure "pooled URL (port 6543)" 2 \
	'refusing to migrate through a transaction pooler' 'Use a direct or session-mode connection.*:5432/'

db=$(newdb)
BAD=$WORK/bad
mkmig "$BAD" 20240101000000_ok 'CREATE TABLE ok_t (id int);'
mkmig "$BAD" 20240102000000_broken $'CREATE TABLE half_t (id int);\nCREATE TABLEX oops (id int);'
MIGRATE_DATABASE_URL=$(url_for "$db") failure "failed migration (syntax error)" 1 \
	'migration "20240102000000_broken" failed: syntax error at or near "TABLEX"' \
	'Nothing of this migration was applied' --dir "$BAD"
like "$ERR" "detail: at $BAD/20240102000000_broken/migration.sql:2:8 \(SQLSTATE 42601\)" \
	"failed migration: file:line:col and SQLSTATE"
is "$(rows "$db" | sort -u)" $'20240101000000_ok|true|false\n20240102000000_broken|false|true' \
	"failed migration: the good one applied, the failed one recorded rolled back"
is "$(has_table "$db" half_t)" f "failed migration: nothing of it is applied"
MIGRATE_DATABASE_URL=$(url_for "$db") MIGRATE_STRICT=1 hook --dir "$BAD" -- mark-build
is "$RC" 1 "failed migration, MIGRATE_STRICT=1: exits 1"
check "failed migration, MIGRATE_STRICT=1: no build" no_build

# Lock timeout: another session holds the migration lock.
db=$(newdb)
PGAPPNAME=t_hook_lock_holder run_bg lock-holder psql -X -q \
	"${TEST_ADMIN_CONNINFO/dbname=postgres/dbname=$db}" \
	-c 'SELECT pg_advisory_lock(72707369)' -c 'SELECT pg_sleep(120)' >/dev/null
HOLDER=$!
BG_PIDS+=("$HOLDER")
held=
for _ in $(seq 1 250); do
	[ "$(admin "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND granted")" = 1 ] && held=1 && break
	sleep 0.02
done
ok "$([ -n "$held" ]; echo $?)" "lock timeout: a background session holds advisory lock 72707369"
MIGRATE_DATABASE_URL=$(url_for "$db") failure "lock timeout" 3 \
	'timed out after 1 s waiting for the migration lock' 'Wait for that deploy to finish' --lock-timeout 1
like "$ERR" 'detail: Advisory lock 72707369 is held by pid [0-9]+, application_name "t_hook_lock_holder"' \
	"lock timeout: names the holder"
finished_rows() { # finished_rows DB : applied migrations (0 without a history)
	if [ "$(has_table "$1" _prisma_migrations)" = t ]; then
		admin "$1" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"
	else
		echo 0
	fi
}
is "$(finished_rows "$db")" 0 "lock timeout: nothing applied"
is "$(has_table "$db" users)" f "lock timeout: no table created"
admin postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 't_hook_lock_holder'" >/dev/null
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
unbg "$HOLDER"

# Bad migrations folders.
db=$(newdb)
MIGRATE_DATABASE_URL=$(url_for "$db") failure "missing migrations folder" 2 \
	'cannot open migrations folder "nope"' 'Run from the project root, or pass --dir' --dir nope
MY=$WORK/mysql
mkmig "$MY" 20240101000000_a 'CREATE TABLE a (id int);'
printf 'provider = "mysql"\n' >"$MY/migration_lock.toml"
MIGRATE_DATABASE_URL=$(url_for "$db") failure "mysql migration_lock.toml" 2 \
	"\"$MY/migration_lock.toml\" names provider \"mysql\", not \"postgresql\"" \
	'Point --dir at the PostgreSQL migrations' --dir "$MY"
check "bad folders: the database is untouched" no_history "$db"

# A malformed URL (with the real password in it: it must be redacted).
MIGRATE_DATABASE_URL="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@127.0.0.1:notaport/x" \
	failure "malformed URL" 2 'MIGRATE_DATABASE_URL: invalid database URL "postgresql://dbhook_app:\*\*\*@127.0.0.1:notaport/x"' \
	'Percent-encode special characters'

# Production without MIGRATE_DATABASE_URL.
hook -- mark-build
is "$RC" 0 "production without URL: exit 0"
like "$ERR" '^vercel-build: warning: skipping migrations: MIGRATE_DATABASE_URL is not set' "production without URL: warning"
check "production without URL: the build ran" built_once
hook --strict -- mark-build
is "$RC" 2 "production without URL, --strict: exit 2"
like "$ERR" '^vercel-build: error: MIGRATE_DATABASE_URL is not set for the "production" environment' \
	"production without URL, --strict: error line"
like "$ERR" '^vercel-build: hint: Add MIGRATE_DATABASE_URL' "production without URL, --strict: hint line"
check "production without URL, --strict: no build" no_build
like "$ERR" 'MIGRATE_DATABASE_URL is not set .*, nor any of DATABASE_URL_DIRECT, .*DATABASE_URL \(the variables looked at; --url-env NAME picks another\)' \
	"production without URL: it names the variables it looked at"
# --url-env: the URL in a variable of the user's choice.
dbu=$(newdb)
DIRECT_DATABASE_URL=$(url_for "$dbu") hook --url-env DIRECT_DATABASE_URL -- mark-build
is "$RC" 0 "--url-env DIRECT_DATABASE_URL: exit 0"
like "$OUT" "^vercel-build: database postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$dbu\$" \
	"--url-env: the URL comes from that variable"
check "--url-env: migrated" test "$(has_table "$dbu" _prisma_migrations)" = t
hook --url-env UNSET_URL_VAR -- mark-build
like "$ERR" 'UNSET_URL_VAR is not set for the "production" environment \(the variable looked at: UNSET_URL_VAR, named by --url-env\)' \
	"--url-env of an unset variable: named in the warning"
hook --url-env "postgresql://u:$TEST_DB_PASSWORD_ENC@h/db" -- mark-build
is "$RC" 2 "--url-env given a URL: exit 2"
like "$ERR" '^vercel-build: error: --url-env takes the name of an environment variable, not \(its text is not shown' \
	"--url-env given a URL: refused without echoing it"
unset VERCEL_ENV

# --- 3. The hand-off ------------------------------------------------------
# Each lockfile names its package manager: `<pm> run build`.
for c in npm:package-lock.json pnpm:pnpm-lock.yaml yarn:yarn.lock bun:bun.lockb bun:bun.lock npm:; do
	pm=${c%%:*}
	lock=${c#*:}
	d=$WORK/pm-$pm-${lock:-none}
	mkdir -p "$d"
	echo '{"name": "app", "scripts": {"build": "next build"}}' >"$d/package.json"
	[ -n "$lock" ] && : >"$d/$lock"
	PROJ_DIR=$d hook
	is "$RC" 0 "$pm (${lock:-no lockfile}): exit 0"
	is "$(cat "$REC" 2>/dev/null)" "$pm run build" "$pm (${lock:-no lockfile}): '$pm run build' ran"
	like "$OUT" "^vercel-build: building with: $pm run build \(package.json \"build\" script via $pm \(${lock:-no lockfile}\)\)\$" \
		"$pm (${lock:-no lockfile}): says what it builds with, and why"
	check "$pm (${lock:-no lockfile}): the build ran once" built_once
done

# Production: migrate, then hand off to pnpm.
db=$(newdb)
cp -r "$M" "$WORK/pm-pnpm-pnpm-lock.yaml/migrations"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") PROJ_DIR=$WORK/pm-pnpm-pnpm-lock.yaml hook
is "$RC" 0 "production + pnpm: exit 0"
is "$(rows "$db")" "$APPLIED2" "production + pnpm: migrated"
is "$(cat "$REC" 2>/dev/null)" "pnpm run build" "production + pnpm: then 'pnpm run build'"

# A framework's default build command from vercel.json.
for c in nextjs:next vite:vite; do
	fw=${c%%:*}
	cli=${c#*:}
	d=$WORK/fw-$fw
	mkdir -p "$d"
	echo "{\"framework\": \"$fw\"}" >"$d/vercel.json"
	PROJ_DIR=$d hook
	is "$RC" 0 "framework $fw: exit 0"
	is "$(cat "$REC" 2>/dev/null)" "$cli build" "framework $fw: '$cli build' ran"
	like "$OUT" "^vercel-build: building with: $cli build \(framework \"$fw\" in vercel.json\)\$" \
		"framework $fw: says why"
done
# node_modules/.bin comes first, as on Vercel.
mkdir -p "$WORK/fw-nextjs/node_modules/.bin"
cat >"$WORK/fw-nextjs/node_modules/.bin/next" <<'EOF'
#!/bin/sh
echo "local next $*" >>"$REC"
echo "build" >>"$MARK"
EOF
chmod +x "$WORK/fw-nextjs/node_modules/.bin/next"
PROJ_DIR=$WORK/fw-nextjs hook
is "$(cat "$REC" 2>/dev/null)" "local next build" "framework nextjs: node_modules/.bin/next is preferred"

# Nothing to build: exit 0 and say so.
mkdir -p "$WORK/empty"
PROJ_DIR=$WORK/empty hook
is "$RC" 0 "no build command anywhere: exit 0"
like "$OUT" '^vercel-build: no build command: no package.json and no "framework" in vercel.json$' "no build command: says why, once"

# The command after --: words as given, no shell; the exit code is the build's.
hook -- mark-build 'a b' '$HOME' 'c;d'
is "$(cat "$MARK" 2>/dev/null)" 'build a b $HOME c;d' "-- command: words passed as given, no shell"
BUILD_RC=7 hook -- mark-build
is "$RC" 7 "the build's exit code 7 passes through"
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") BUILD_RC=7 hook --dir "$BAD" -- mark-build
is "$RC" 7 "after a failed migration (not strict) the build's exit code 7 passes through"
hook -- no-such-build-tool
is "$RC" 127 "a build command that does not exist: exit 127"
like "$ERR" '^vercel-build: error: cannot run build command "no-such-build-tool"' "missing build command: error line"
like "$ERR" '^vercel-build: hint: ' "missing build command: hint line"

# SIGTERM to vercel-build after the hand-off reaches the build: the pid is
# the build's.
cat >"$BIN/slow-build" <<'EOF'
#!/bin/bash
trap 'echo TERM >"$MARK.term"; kill "$child" 2>/dev/null; exit 143' TERM
echo $$ >"$MARK.pid"
sleep 60 &
child=$!
wait "$child"
echo "not interrupted" >"$MARK.term"
EOF
chmod +x "$BIN/slow-build"
rm -f "$MARK.pid" "$MARK.term"
db=$(newdb)
cd "$PROJ" || exit 1
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") PATH="$BIN:$SYSPATH" \
	run_bg sigterm "$VB" -- slow-build >/dev/null
PID=$!
BG_PIDS+=("$PID")
cd "$WORK" || exit 1
wait_file "$MARK.pid" 30
is "$(cat "$MARK.pid" 2>/dev/null)" "$PID" "SIGTERM: after the hand-off the build has vercel-build's pid"
t0=$SECONDS
kill -TERM "$PID"
bg_result sigterm "$PID"
unbg "$PID"
is "$(cat "$MARK.term" 2>/dev/null)" TERM "SIGTERM: reached the build's trap"
is "$RC" 143 "SIGTERM: the build's exit status is returned"
check "SIGTERM: no wait for the build's sleep" [ $((SECONDS - t0)) -lt 10 ]
is "$(rows "$db")" "$APPLIED2" "SIGTERM: the migrations were applied before the build"

# The recursion guard. The real binary is on PATH as `vercel-build`, and a
# fake npm runs package.json scripts through sh as npm does (setting
# npm_lifecycle_event).
RBIN=$WORK/rbin
mkdir -p "$RBIN"
ln -s "$VB" "$RBIN/vercel-build"
cat >"$RBIN/npm" <<'EOF'
#!/bin/sh
echo "npm $*" >>"$REC.npm"
[ "$1" = run ] || exit 1
n=$(wc -l <"$REC.npm")
[ "$n" -le 3 ] || { echo "fake npm: called $n times: a loop" >&2; exit 99; }
script=$(jq -r --arg s "$2" '.scripts[$s] // empty' package.json)
[ -n "$script" ] || { echo "npm: missing script: $2" >&2; exit 1; }
export npm_lifecycle_event="$2"
exec sh -c "$script"
EOF
chmod +x "$RBIN/npm"
RP=$WORK/recursive
mkdir -p "$RP"
cp -r "$M" "$RP/migrations"
: >"$RP/package-lock.json"
echo '{"name": "app", "scripts": {"build": "vercel-build && echo built >>\"$MARK\""}}' >"$RP/package.json"

# (a) Vercel runs the "build" script (no buildCommand): npm run build.
db=$(newdb)
rm -f "$MARK" "$REC.npm"
cd "$RP" || exit 1
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") PATH="$RBIN:$SYSPATH" \
	run timeout 120 npm run build
cd "$WORK" || exit 1
is "$RC" 0 "build script calling vercel-build, via npm run build: exit 0 (terminates)"
is "$(rows "$db")" "$APPLIED2" "npm run build: migrations applied"
is "$(printf '%s\n' "$OUT" | grep -c '^Applied migration')" 2 "npm run build: each migration applied once"
is "$(cat "$MARK" 2>/dev/null)" built "npm run build: the marker shows one build"
is "$(wc -l <"$REC.npm")" 1 "npm run build: npm was not started again"

# (b) buildCommand is vercel-build itself, without --: it must not run that
# "build" script again (it calls vercel-build), and it must not loop.
db=$(newdb)
rm -f "$REC.npm"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") FAKES=$RBIN PROJ_DIR=$RP hook
is "$RC" 0 "vercel-build with a build script that calls vercel-build: exit 0 (terminates)"
like "$ERR" 'warning: the package.json "build" script runs vercel-build itself' "it says why it does not use that script"
is "$(rows "$db")" "$APPLIED2" "vercel-build entry: migrations applied"
is "$(printf '%s\n' "$OUT" | grep -c '^Applied migration')" 2 "vercel-build entry: each migration applied once"
check "vercel-build entry: npm was not started (no loop)" [ ! -e "$REC.npm" ]
check "vercel-build entry: at most one build" [ "$(wc -l <"$MARK" 2>/dev/null || echo 0)" -le 1 ]

# (c) The call is hidden in a script file: the hand-off runs npm run build,
# whose vercel-build sees DBHOOK_HANDOFF and neither migrates nor hands off.
RP2=$WORK/recursive2
mkdir -p "$RP2"
cp -r "$M" "$RP2/migrations"
: >"$RP2/package-lock.json"
echo '{"name": "app", "scripts": {"build": "sh ./ci-build.sh"}}' >"$RP2/package.json"
printf '#!/bin/sh\nset -e\nvercel-build\necho built >>"$MARK"\n' >"$RP2/ci-build.sh"
db=$(newdb)
rm -f "$REC.npm"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") FAKES=$RBIN PROJ_DIR=$RP2 hook
is "$RC" 0 "hidden recursion: exit 0 (terminates)"
is "$(rows "$db")" "$APPLIED2" "hidden recursion: migrations applied"
is "$(printf '%s\n' "$OUT" | grep -c '^Applied migration')" 2 "hidden recursion: each migration applied once"
like "$OUT" 'skipping migrations: this build was started by vercel-build itself' "hidden recursion: the inner run says why it skips"
is "$(cat "$MARK" 2>/dev/null)" built "hidden recursion: the marker shows one build"
is "$(wc -l <"$REC.npm" 2>/dev/null)" 1 "hidden recursion: npm ran once"

# (d) Prisma's documented wiring: a "vercel-build" script (which Vercel
# prefers over "build") that runs vercel-build and then the build, next to
# an ordinary "build" script. Running inside a package.json script, the
# hand-off must leave the build to the rest of that script: one build.
RP3=$WORK/recursive3
mkdir -p "$RP3"
cp -r "$M" "$RP3/migrations"
: >"$RP3/package-lock.json"
echo '{"name": "app", "scripts": {"build": "next build", "vercel-build": "vercel-build && next build"}}' >"$RP3/package.json"
db=$(newdb)
rm -f "$MARK" "$REC" "$REC.npm"
cd "$RP3" || exit 1
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") PATH="$RBIN:$BIN:$SYSPATH" \
	run timeout 120 npm run vercel-build
cd "$WORK" || exit 1
is "$RC" 0 "\"vercel-build\": \"vercel-build && next build\": exit 0"
is "$(rows "$db")" "$APPLIED2" "\"vercel-build && next build\": migrations applied"
is "$(cat "$MARK" 2>/dev/null)" "build via next build" "\"vercel-build && next build\": the marker shows one build"

# --- 3b. A database host that refuses: the build is not held up --------------
# --timeout is long, the unreachable budget short: the hook gives up on a
# host that refuses after --unreachable-timeout, with one note, and builds.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t0=$(date +%s%N)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for nodb "$closed") \
	hook --timeout 120 --unreachable-timeout 3 -- mark-build
took=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 0 "refusing host: exit 0 (the build goes on)"
check "refusing host, --unreachable-timeout 3: gave up within 8 s although --timeout is 120 (took $took ms)" [ "$took" -lt 8000 ]
is "$(grep -c 'connection attempt\|still connecting' <<<"$ERR")" 1 "refusing host: one note about the attempts"
like "$ERR" '^vercel-build: detail: Gave up after 3 s: the host refuses, does not resolve or cannot be reached \(--unreachable-timeout\)\.$' \
	"refusing host: the detail says why it gave up early"
check "refusing host: the build ran" built_once
# The default: 20 s.
t0=$(date +%s%N)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for nodb "$closed") hook -- mark-build
took=$((($(date +%s%N) - t0) / 1000000))
check "refusing host, defaults: gave up after about 20 s, not the 180 s budget (took $took ms)" \
	test "$took" -ge 15000 -a "$took" -lt 30000
like "$ERR" 'Gave up after 20 s' "refusing host, defaults: after 20 s"
check "refusing host, defaults: the build ran" built_once

# --- 4. A dead database: accepts, never answers --------------------------
FAKEPG=${SRCDIR:-$(dirname "$0")/..}/tests/fakepg.py
if [ -f "$FAKEPG" ]; then
	python3 "$FAKEPG" silent --port-file "$WORK/dead.port" --lifetime 120 >"$LOGDIR/dead.log" 2>&1 &
else # the same, inline, for a tree without tests/fakepg.py
	python3 -c '
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
s.settimeout(1)
end = time.time() + 120
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$WORK/dead.port" >"$LOGDIR/dead.log" 2>&1 &
fi
DEAD=$!
BG_PIDS+=("$DEAD")
wait_file "$WORK/dead.port" 10
t0=$EPOCHREALTIME
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for x "$(cat "$WORK/dead.port")") hook --timeout 6 -- mark-build
took=$(ms_since "$t0")
is "$RC" 0 "dead database: exit 0"
check "dead database, --timeout 6: returns within 11 s (took $took ms)" [ "$took" -lt 11000 ]
like "$ERR" '^vercel-build: error: cannot connect to the database' "dead database: error line"
like "$ERR" '^vercel-build: hint: ' "dead database: hint line"
check "dead database: the build ran" built_once
if [ -f "$FAKEPG" ]; then
	like "$(cat "$LOGDIR/dead.log")" '^conn 1 silent' "dead database: the hook did connect to it (fakepg's log)"
fi
kill "$DEAD" 2>/dev/null
wait "$DEAD" 2>/dev/null
unbg "$DEAD"

# --- 5. A long migration inside the time budget ---------------------------
db=$(newdb)
LONG=$WORK/long
mkmig "$LONG" 20240101000000_slow $'CREATE TABLE before_sleep (id int);\nSELECT pg_sleep(25);\nCREATE TABLE after_sleep (id int);'
t0=$EPOCHREALTIME
# DBHOOK_HEARTBEAT=1: a progress line every second instead of every 10.
DBHOOK_HEARTBEAT=1 VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") \
	hook --dir "$LONG" --timeout 4 -- mark-build
took=$(ms_since "$t0")
is "$RC" 0 "long migration: exit 0"
like "$OUT" '^still applying `20240101000000_slow` \(1 s\)$' "long migration: heartbeat after 1 s (DBHOOK_HEARTBEAT=1)"
like "$OUT" '^still applying `20240101000000_slow` \(2 s\)$' "long migration: and again after 2 s"
like "$ERR" 'warning: time budget used up after [2-4] s: cancelling `20240101000000_slow`' \
	"long migration: cancelled when the budget runs out"
like "$ERR" '^vercel-build: error: ' "long migration: error line"
like "$ERR" '^vercel-build: hint: ' "long migration: hint line"
check "long migration: returned within 10 s (took $took ms)" [ "$took" -lt 10000 ]
is "$(has_table "$db" before_sleep)" f "long migration: nothing of it is applied"
is "$(rows "$db")" '20240101000000_slow|false|true' "long migration: history holds a rolled-back attempt"
check "long migration: the build ran" built_once
is "$(admin "$db" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(25)%' AND pid <> pg_backend_pid()")" 0 \
	"long migration: the statement no longer runs on the server"

# --- 6. --dry-run -----------------------------------------------------------
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dry-run -- mark-build
is "$RC" 0 "dry run: exit 0"
like "$OUT" '^vercel-build: planning migrations: environment "production" is in --environments \(production\)$' \
	"dry run: the decision"
like "$OUT" "^vercel-build: database postgresql://$TEST_DB_USER:\*\*\*@127.0.0.1:$TEST_PG_PORT/$db\$" "dry run: the redacted URL"
like "$OUT" '^vercel-build: 2 pending migrations:$' "dry run: the number pending"
like "$OUT" '^  20240101000000_users$' "dry run: first pending name"
like "$OUT" '^  20240102000000_posts$' "dry run: second pending name"
like "$OUT" '^vercel-build: would build with: mark-build \(command after --\)$' "dry run: would build with"
check "dry run: no _prisma_migrations table created" no_history "$db"
check "dry run: nothing built" no_build
# What the real run would refuse, foreseen: a folder without
# migration.sql, a schema with tables but no history (P3005).
mkdir "$M/20240109000000_no_file"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dry-run -- mark-build
is "$RC" 0 "dry run, folder without migration.sql: exit 0"
like "$ERR" '^vercel-build: warning: the real run would stop here: migration folder "20240109000000_no_file" has no migration.sql$' \
	"dry run: the folder without migration.sql foreseen"
rmdir "$M/20240109000000_no_file"
admin "$db" "CREATE TABLE legacy (id int)" >/dev/null
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dry-run -- mark-build
like "$ERR" '^vercel-build: warning: the real run would stop here: schema "public" is not empty and has no migration history$' \
	"dry run: P3005 foreseen"
like "$ERR" '^vercel-build: note: Baseline it: .*dbhook deploy --baseline NAME' "dry run: and what to do about it"
check "dry run with P3005 foreseen: no history created" no_history "$db"
admin "$db" "DROP TABLE legacy" >/dev/null
# With one of the two applied: one pending, the history unchanged.
ONE=$WORK/one
mkdir -p "$ONE" && cp -r "$M/20240101000000_users" "$ONE/"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dir "$ONE" -- true
before=$(admin "$db" "SELECT migration_name, checksum, finished_at FROM _prisma_migrations")
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dry-run -- mark-build
like "$OUT" '^vercel-build: 1 pending migration:$' "dry run on a partly migrated database: 1 pending"
unlike "$OUT" '^  20240101000000_users$' "dry run: the applied one is not listed"
is "$(admin "$db" "SELECT migration_name, checksum, finished_at FROM _prisma_migrations")" "$before" "dry run: history rows unchanged"
is "$(has_table "$db" posts)" f "dry run: the pending migration is not applied"
check "dry run: nothing built" no_build
# Nothing pending: says so, not "0 pending migrations:".
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dir "$ONE" --dry-run -- mark-build
like "$OUT" '^vercel-build: nothing to apply: all 1 migration is applied$' "dry run, nothing pending: says so"
unlike "$OUT" 'pending migration' "dry run, nothing pending: no empty list"
# In preview: the skip and the build it would run.
VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") PROJ_DIR=$WORK/pm-yarn-yarn.lock hook --dry-run
like "$OUT" '^vercel-build: skipping migrations: environment "preview"' "dry run in preview: the skip"
like "$OUT" '^vercel-build: would build with: yarn run build \(package.json "build" script via yarn \(yarn.lock\)\)$' \
	"dry run in preview: would build with yarn"
check "dry run in preview: nothing built" no_build

# --- 7. --report FILE ------------------------------------------------------
secret_free() { # secret_free FILE : no test password in it
	! grep -qF -e "$TEST_DB_PASSWORD" -e "$TEST_DB_PASSWORD_ENC" "$1"
}
db=$(newdb)
R=$WORK/report-ok.json
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --report "$R" -- mark-build
check "report: written" jq -e . "$R"
is "$(jq -r '[.environment, .decision, .outcome, .build_command] | join("|")' "$R")" \
	"production|migrate|applied|mark-build" "report: environment, decision, outcome, build command"
is "$(jq -r '[.applied[].name] | join(",")' "$R")" "20240101000000_users,20240102000000_posts" "report: the applied migrations"
check "report: each applied migration has a duration_ms" \
	jq -e '(.applied | length) == 2 and all(.applied[]; (.duration_ms | type) == "number" and .duration_ms >= 0)' "$R"
check "report: timings (migrate_ms, total_ms)" \
	jq -e '(.timings.migrate_ms | type) == "number" and (.timings.total_ms | type) == "number" and .timings.total_ms >= .timings.migrate_ms' "$R"
check "report: error is null" jq -e '.error == null' "$R"
is "$(jq -r .database "$R")" "postgresql://$TEST_DB_USER:***@127.0.0.1:$TEST_PG_PORT/$db" "report: the database, redacted"
check "report: no password in it" secret_free "$R"

R=$WORK/report-fail.json
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dir "$BAD" --report "$R" -- mark-build
is "$(jq -r '[.decision, .outcome] | join("|")' "$R")" "migrate|failed" "failure report: decision, outcome"
is "$(jq -r '[.error.sqlstate, .error.migration, (.error.exit_code | tostring)] | join("|")' "$R")" \
	"42601|20240102000000_broken|1" "failure report: SQLSTATE, migration, exit code"
like "$(jq -r .error.message "$R")" 'syntax error at or near "TABLEX"' "failure report: the message"
like "$(jq -r .error.hint "$R")" 'Nothing of this migration was applied' "failure report: the hint"
is "$(jq -r '[.applied[].name] | join(",")' "$R")" "20240101000000_ok" "failure report: what was applied before"
check "failure report: no password in it" secret_free "$R"

R=$WORK/report-auth.json
VERCEL_ENV=production MIGRATE_DATABASE_URL="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@127.0.0.1:$CLOSED/x" \
	hook --timeout 2 --report "$R" -- mark-build
is "$(jq -r '[.outcome, (.error.exit_code | tostring)] | join("|")' "$R")" "failed|3" "unreachable report: outcome, exit code"
check "unreachable report: no password in it" secret_free "$R"

R=$WORK/report-skip.json
VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") hook --report "$R" -- mark-build
is "$(jq -r '[.environment, .decision, .outcome] | join("|")' "$R")" "preview|skip|skipped" "skip report: decision, outcome"
like "$(jq -r .reason "$R")" 'environment "preview" is not in --environments' "skip report: the reason"

R=$WORK/report-dry.json
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dry-run --report "$R" -- mark-build
is "$(jq -r '[.decision, .outcome] | join("|")' "$R")" "dry-run|planned" "dry-run report: decision, outcome"
check "dry-run report: no history table created" no_history "$db"

# A link planted where the report goes is replaced, never written through,
# and no temporary file is left beside it.
R=$WORK/report-link.json
echo "keep me" >"$WORK/victim"
ln -s "$WORK/victim" "$R"
VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") hook --report "$R" -- mark-build
is "$(cat "$WORK/victim")" "keep me" "report over a symlink: the link's target is untouched"
check "report over a symlink: the report is a regular file now" test -f "$R" -a ! -L "$R"
is "$(jq -r .outcome "$R")" skipped "report over a symlink: the report is complete"
is "$(find "$WORK" -maxdepth 1 -name '.report-link.json.tmp-*' | wc -l)" 0 "report: no temporary file left"
mkdir -p "$WORK/ro" && chmod 555 "$WORK/ro"
VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") hook --report "$WORK/ro/r.json" -- mark-build
if [ "$(id -u)" = 0 ]; then
	diag "root writes into a mode-555 folder: the unwritable-report case is checked with a missing folder"
	VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") hook --report "$WORK/missing/r.json" -- mark-build
fi
like "$ERR" 'cannot write the report ".*/r\.json": (Permission denied|No such file or directory)' "unwritable report: says which file and why"
check "unwritable report: the build still runs" test -s "$MARK"

# --- 8. The webhook ----------------------------------------------------------
HOOKPATH=/services/T0/B0/$TOKEN
cat >"$WORK/routes.json" <<EOF
{"POST $HOOKPATH": [{"status": 200, "raw": "ok"}],
 "POST /slow/$TOKEN": [{"status": 200, "raw": "ok", "delay": 20}]}
EOF
python3 "$HTTPD" "$WORK/routes.json" "$WORK/requests.jsonl" "$WORK/http.port" \
	--lifetime 200 >"$LOGDIR/httpd.log" 2>&1 &
HTTPD_PID=$!
BG_PIDS+=("$HTTPD_PID")
if ! wait_file "$WORK/http.port" 10; then
	ok 1 "tests/httpd.py started (no port file after 10 s)"
	finish
fi
BASE=http://127.0.0.1:$(cat "$WORK/http.port")
nreq() { [ -f "$WORK/requests.jsonl" ] && wc -l <"$WORK/requests.jsonl" || echo 0; }
last_body() { # the last request's JSON body; also kept in $WORK/body.json
	tail -n 1 "$WORK/requests.jsonl" | jq -c '.body | fromjson' | tee "$WORK/body.json"
}

export VERCEL_GIT_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567
export VERCEL_PROJECT_PRODUCTION_URL=app.example.com
db=$(newdb)
n0=$(nreq)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") MIGRATE_NOTIFY_URL=$BASE$HOOKPATH \
	hook --dir "$BAD" -- mark-build
is "$RC" 0 "webhook on failure: exit 0"
check "webhook on failure: the build ran" built_once
is "$(($(nreq) - n0))" 1 "webhook on failure: one request"
body=$(last_body)
is "$(printf '%s' "$body" | jq -r '[.outcome, .environment, .migration, .sqlstate, .commit, .project] | join("|")')" \
	"failure|production|20240102000000_broken|42601|0123456|app.example.com" \
	"failure payload: outcome, environment, migration, sqlstate, commit, project"
like "$(printf '%s' "$body" | jq -r .message)" 'syntax error at or near "TABLEX"' "failure payload: message"
like "$(printf '%s' "$body" | jq -r .text)" '20240102000000_broken.*failed.*production' "failure payload: Slack text"
is "$(tail -n 1 "$WORK/requests.jsonl" | jq -r '.headers["Content-Type"]')" application/json "failure payload: JSON content type"
unlike "$body" "$TOKEN" "failure payload: no webhook token in it"
check "failure payload: no password in it" secret_free "$WORK/body.json"

# An auth failure: the message must not carry the password either.
n0=$(nreq)
VERCEL_ENV=production MIGRATE_DATABASE_URL="postgresql://$TEST_DB_USER:wrong-Pass1@127.0.0.1:$TEST_PG_PORT/$db" \
	MIGRATE_NOTIFY_URL=$BASE$HOOKPATH hook --timeout 5 -- mark-build
is "$(($(nreq) - n0))" 1 "webhook on a connection failure: one request"
body=$(last_body)
unlike "$body" 'wrong-Pass1' "connection failure payload: no password in it"
is "$(printf '%s' "$body" | jq -r '[.outcome, (.migration // "")] | join("|")')" "failure|" "connection failure payload: outcome, no migration"

# Success: only with MIGRATE_NOTIFY_ON=always.
db=$(newdb)
n0=$(nreq)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") MIGRATE_NOTIFY_URL=$BASE$HOOKPATH hook -- mark-build
is "$(($(nreq) - n0))" 0 "success without MIGRATE_NOTIFY_ON: no request"
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") MIGRATE_NOTIFY_URL=$BASE$HOOKPATH MIGRATE_NOTIFY_ON=always \
	hook -- mark-build
is "$(($(nreq) - n0))" 1 "MIGRATE_NOTIFY_ON=always: a request on success"
body=$(last_body)
is "$(printf '%s' "$body" | jq -r '[.outcome, .environment, (.applied | tostring), (.sqlstate // "")] | join("|")')" \
	"success|production|2|" "success payload: outcome, environment, applied, no sqlstate"
check "MIGRATE_NOTIFY_ON=always: the build ran" built_once
n0=$(nreq)
VERCEL_ENV=preview MIGRATE_DATABASE_URL=$(url_for "$db") MIGRATE_NOTIFY_URL=$BASE$HOOKPATH MIGRATE_NOTIFY_ON=always \
	hook -- mark-build
is "$(($(nreq) - n0))" 0 "skipped migrations (preview): no request"

# The webhook server down: a warning, the build runs.
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") \
	MIGRATE_NOTIFY_URL="http://127.0.0.1:$CLOSED$HOOKPATH" hook --dir "$BAD" -- mark-build
is "$RC" 0 "webhook server down: exit 0"
like "$ERR" "^vercel-build: warning: .*webhook.*not delivered" "webhook server down: a warning"
check "webhook server down: the build ran" built_once

# A slow webhook server: the run is not held beyond its 5 s timeout.
t0=$EPOCHREALTIME
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") \
	MIGRATE_NOTIFY_URL="$BASE/slow/$TOKEN" hook --dir "$BAD" -- mark-build
took=$(ms_since "$t0")
is "$RC" 0 "slow webhook: exit 0"
check "slow webhook: the whole run took under 8 s (took $took ms)" [ "$took" -lt 8000 ]
like "$ERR" "^vercel-build: warning: .*webhook.*not delivered" "slow webhook: a warning"
check "slow webhook: the build ran" built_once
unset VERCEL_GIT_COMMIT_SHA VERCEL_PROJECT_PRODUCTION_URL

# --- 9. CI annotations and colour -------------------------------------------
db=$(newdb)
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") GITHUB_ACTIONS=true hook --dir "$BAD" -- mark-build
like "$OUT" '^::error title=vercel-build::migration "20240102000000_broken" failed' "GITHUB_ACTIONS=true: ::error annotation"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") hook --dir "$BAD" -- mark-build
unlike "$OUT$ERR" '^::error' "outside GitHub Actions: no annotation"
ESC=$(printf '\033')
unlike "$OUT$ERR" "$ESC" "not a terminal: no escape codes"
: >"$WORK/pty.script"
ptyrun() { # ptyrun : the failing hook on a terminal; transcript in $OUT
	cd "$PROJ" || return 1
	PATH="$BIN:$SYSPATH" run "$PTYDRIVE" -t 60 -s "$WORK/pty.script" -- "$VB" --dir "$BAD" -- mark-build
	cd "$WORK" || return 1
}
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") ptyrun
like "$OUT" "${ESC}\[" "on a terminal: colour (the control case)"
like "$OUT" 'BUILD RAN' "on a terminal: the build ran"
VERCEL_ENV=production MIGRATE_DATABASE_URL=$(url_for "$db") NO_COLOR=1 ptyrun
unlike "$OUT" "$ESC" "NO_COLOR on a terminal: no escape codes"
like "$OUT" 'vercel-build: error: migration "20240102000000_broken" failed' "NO_COLOR on a terminal: the error line, plain"

finish
