#!/usr/bin/env bash
# Golden transcripts: for each command and each of its main outcomes, what a
# user sees (the command line, the exit code, stdout and stderr) is compared
# byte for byte with tests/golden/NAME.txt, after golden_normalise has hidden
# what varies between runs (durations, times, ports, temporary paths, the
# random database names, the version). A mismatch prints a unified diff.
#
#   GOLDEN_UPDATE=1 : write the transcripts instead of comparing them (every
#                     case passes); scripts/golden does this for a reviewed
#                     `git diff tests/golden`.
#
# Every command goes through lib.sh's `run`, so the secret scan still checks
# each one; the test database password is never in a transcript (the
# command lines show it as ***, as `run` logs them).
# shellcheck disable=SC2016 # literal `..` in migration SQL and names
. "$(dirname "$0")/lib.sh"
need_db

SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
GOLDEN_DIR=$SRC/tests/golden
UPDATE=${GOLDEN_UPDATE:-0}
# The project version, as --version prints it (the commit follows it).
VERSION=$(sed -n "s/^  version : '\([^']*\)',\$/\1/p" "$SRC/meson.build" | head -n 1)
DAY0=$(date -u +%Y%m%d)

# Nothing of the caller's environment may steer the programs: the URL
# variables, Vercel's, CI annotations, colour, libpq's own defaults.
unset VERCEL_ENV VERCEL_TARGET_ENV MIGRATE_DATABASE_URL MIGRATE_STRICT \
	MIGRATE_NOTIFY_URL MIGRATE_NOTIFY_ON GITHUB_ACTIONS CI NO_COLOR \
	DBHOOK_HANDOFF DBHOOK_KEEP_ENV npm_lifecycle_event VERCEL_GIT_COMMIT_SHA \
	GITHUB_SHA VERCEL_URL VERCEL_PROJECT_PRODUCTION_URL SUPABASE_ACCESS_TOKEN \
	MIGRATE_SUPABASE_RESTORE DATABASE_URL DATABASE_URL_DIRECT \
	POSTGRES_URL_NON_POOLING DATABASE_URL_UNPOOLED DIRECT_URL DIRECT_DATABASE_URL VERCEL \
	PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK PGHOST PGPORT PGUSER PGPASSWORD \
	PGDATABASE PGSSLMODE PGGSSENCMODE PGSERVICE PGCONNECT_TIMEOUT
export LC_ALL=C TERM=dumb

VAULT_PW='Golden-vault-pw-7'
export TEST_EXTRA_SECRET=$VAULT_PW # lib.sh's run fails a case that prints it
export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/bin" "$WORK/out"

# A port on loopback that nothing listens on (bound, then closed).
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# golden_normalise : stdin to stdout, with what varies between runs hidden.
# Each rule hides something a user sees, so only what differs from run to
# run (or machine to machine) is replaced:
#   $WORK (the test's mktemp folder, also as its real path) -> <work>
#   $BUILDDIR -> <build>; $SRCDIR (the checkout) -> <src>
#   the databases newdb creates (t_golden_<pid>_<n>) -> <db>
#   the test PostgreSQL's port and the closed port, after 127.0.0.1: /
#     localhost: or "port " -> <port> (fixed ports such as 6543 and 5432
#     stay)
#   "<version> (<commit>)" of --version -> <version>
#   ISO 8601 timestamps (2026-01-02T03:04:05.678Z) and dates -> <time>
#   the UTC timestamp `dbhook new` puts in a folder name (today's date,
#     14 digits, then "_") -> <time>_
#   measured durations: "12 ms" -> "<N> ms", "1.3 s" / "0.42s" -> "<N> s"
#     (whole seconds stay: they are settings, such as "after 1 s")
#   "pid 1234" -> "pid <pid>"
# The test database's user (dbhook_app) and host (127.0.0.1) are fixed by
# scripts/test-db and are kept.
golden_normalise() {
	local work_real port ports=() sedargs=()
	work_real=$(cd "$WORK" && pwd -P)
	golden_re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }
	sedargs+=(-e "s/$(golden_re "$WORK")/<work>/g")
	[ "$work_real" != "$WORK" ] && sedargs+=(-e "s/$(golden_re "$work_real")/<work>/g")
	[ -n "${BUILDDIR:-}" ] && sedargs+=(-e "s/$(golden_re "$BUILDDIR")/<build>/g")
	sedargs+=(-e "s/$(golden_re "$SRC")/<src>/g")
	sedargs+=(-e "s/\\bt_${T_NAME#t_}_$$_[0-9]+\\b/<db>/g")
	ports=("$TEST_PG_PORT" "$CLOSED")
	for port in "${ports[@]}"; do
		sedargs+=(-e "s/(127\\.0\\.0\\.1|localhost):$port\\b/\\1:<port>/g")
		sedargs+=(-e "s/\\bport $port\\b/port <port>/g")
	done
	sedargs+=(-e "s/\\b$(golden_re "$VERSION") \\(([0-9a-f]{7,40}|unknown)\\)/<version>/g")
	sedargs+=(-e 's/\b[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?\b/<time>/g')
	sedargs+=(-e "s/\\b($DAY0|$(date -u +%Y%m%d))[0-9]{6}_/<time>_/g")
	sedargs+=(-e 's/\b[0-9]+(\.[0-9]+)? ?ms\b/<N> ms/g')
	sedargs+=(-e 's/\b[0-9]+\.[0-9]+ ?s\b/<N> s/g')
	sedargs+=(-e 's/\bpid [0-9]+\b/pid <pid>/g')
	sed -E "${sedargs[@]}"
}

# golden_stream FILE : FILE normalised; a last line without its newline
# is marked as diff marks it.
golden_stream() {
	golden_normalise <"$1"
	if [ -s "$1" ] && [ "$(tail -c 1 "$1" | wc -l)" -eq 0 ]; then
		printf '\n\\ No newline at end\n'
	fi
}

# golden_word WORD : one word of the command line as it is typed: the
# programs by name, a word of plain characters as it is, any other in
# single quotes.
golden_word() {
	local q="'\\''"
	case $1 in
	"$DBHOOK") printf 'dbhook' ;;
	"$VERCEL_BUILD") printf 'vercel-build' ;;
	*)
		if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
			printf '%s' "$1"
		else
			printf "'%s'" "${1//\'/$q}"
		fi
		;;
	esac
}

# golden NAME [--in3 FILE] [VAR=VALUE...] CMD... : runs CMD in the current
# folder with the VAR=VALUE assignments in its environment only (they are
# not passed as arguments, so no URL reaches a log line) and FILE, if
# given, open as descriptor 3; then compares its transcript with
# tests/golden/NAME.txt (one TAP line), or writes it under GOLDEN_UPDATE=1.
GOLDEN_SEEN=" "
golden() {
	local g_name=$1 g_in3="" g_line="" g_cwd g_w g_s g_base g_got g_want
	shift
	if [ "${1:-}" = --in3 ]; then
		g_in3=$2
		shift 2
	fi
	while [[ ${1:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		local -x "$1"
		g_line+="${1%%=*}=$(golden_word "${1#*=}") "
		shift
	done
	for g_w in "$@"; do
		g_line+="$(golden_word "$g_w") "
	done
	g_line=${g_line% }
	[ -n "$g_in3" ] && g_line+=" 3<$(golden_word "$g_in3")"
	while IFS= read -r g_s; do
		g_line=${g_line//"$g_s"/***}
	done < <(secrets)
	case $GOLDEN_SEEN in *" $g_name "*)
		ok 1 "golden $g_name: the name is used twice"
		return ;;
	esac
	GOLDEN_SEEN+="$g_name "

	if [ -n "$g_in3" ]; then
		run "$@" 3<"$g_in3"
	else
		run "$@"
	fi
	g_base=$LOGDIR/run$RUN_N
	g_cwd=$(pwd)
	g_got=$WORK/out/$g_name.txt
	g_want=$GOLDEN_DIR/$g_name.txt
	{
		printf '%s$ %s\n' "$g_cwd" "$g_line" | golden_normalise
		printf 'exit %s\n--- stdout\n' "$RC"
		golden_stream "$g_base.out"
		printf -- '--- stderr\n'
		golden_stream "$g_base.err"
	} >"$g_got"

	if [ "$UPDATE" = 1 ]; then
		mkdir -p "$GOLDEN_DIR"
		if cmp -s "$g_got" "$g_want"; then
			ok 0 "golden $g_name (unchanged)"
		else
			cp "$g_got" "$g_want"
			ok 0 "golden $g_name (written)"
		fi
	elif [ ! -f "$g_want" ]; then
		ok 1 "golden $g_name"
		diag "tests/golden/$g_name.txt is missing: run scripts/golden to create it, then review git diff tests/golden"
	elif cmp -s "$g_got" "$g_want"; then
		ok 0 "golden $g_name"
	else
		ok 1 "golden $g_name"
		diag "the transcript differs from tests/golden/$g_name.txt (- golden, + this run); scripts/golden rewrites it"
		diff -u --label "tests/golden/$g_name.txt" --label "this run" "$g_want" "$g_got" |
			sed 's/^/# /'
	fi
}

# The build the hand-off runs: one line, and its arguments.
cat >"$WORK/bin/fake-build" <<'EOF'
#!/bin/sh
echo "fake build ran${*:+: $*}"
EOF
chmod +x "$WORK/bin/fake-build"
export PATH="$WORK/bin:$PATH"

# The project: two migrations in the default folder, and folders for the
# other outcomes beside it.
APP=$WORK/app
mkdir -p "$APP"
printf '{"name": "@acme/shop-web", "private": true}\n' >"$APP/package.json"
mkmig "$APP/migrations" 20240101000000_users 'CREATE TABLE users (id int PRIMARY KEY, email text);'
mkmig "$APP/migrations" 20240102000000_posts 'CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users);'
printf 'provider = "postgresql"\n' >"$APP/migrations/migration_lock.toml"
cp -r "$APP/migrations" "$APP/broken"
mkmig "$APP/broken" 20240103000000_add_title $'ALTER TABLE posts ADD COLUMN title text;\nALTER TABLEX posts ADD COLUMN body text;'
mkmig "$APP/hotfix" 20240101000000_base 'CREATE TABLE base (id int);'
mkmig "$APP/hotfix" 20240102000000_hotfix $'BEGIN;\nCREATE TABLE hot (id int);\nCOMMIT;\nALTER TABLE missing_table ADD COLUMN x int;'
mkmig "$APP/other" 20250101000000_unrelated_one 'CREATE TABLE unrelated_one (id int);'
mkmig "$APP/other" 20250102000000_unrelated_two 'CREATE TABLE unrelated_two (id int);'
cd "$APP" || exit 1

# --- the command line -------------------------------------------------------
golden dbhook-help "$DBHOOK" --help
golden dbhook-version "$DBHOOK" --version
golden dbhook-no-command "$DBHOOK"
golden dbhook-typo "$DBHOOK" stauts
golden deploy-option-typo "$DBHOOK" deploy --allow-unrelatedd

# --- status and deploy --------------------------------------------------------
db=$(newdb)
U=$(url_for "$db")
golden status-fresh-pending DATABASE_URL_DIRECT="$U" "$DBHOOK" status
golden status-json-pending DATABASE_URL_DIRECT="$U" "$DBHOOK" status --json
golden deploy-dry-run-pending DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dry-run
golden deploy-applies-two DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy
golden deploy-nothing-pending DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy
golden deploy-dry-run-nothing-pending DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dry-run
golden status-up-to-date DATABASE_URL_DIRECT="$U" "$DBHOOK" status
golden status-json-up-to-date DATABASE_URL_DIRECT="$U" "$DBHOOK" status --json
golden deploy-wrong-folder DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir other
golden deploy-syntax-error DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir broken
golden status-rolled-back-attempt DATABASE_URL_DIRECT="$U" "$DBHOOK" status --dir broken

# A migration with its own BEGIN fails half-way: a failed row blocks deploys.
db=$(newdb)
U=$(url_for "$db")
golden deploy-failed-outside-transaction DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir hotfix
golden status-failed DATABASE_URL_DIRECT="$U" "$DBHOOK" status --dir hotfix
golden status-json-failed DATABASE_URL_DIRECT="$U" "$DBHOOK" status --json --dir hotfix
golden deploy-blocked-by-failed DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir hotfix

# --- resolve -----------------------------------------------------------------
golden resolve-unknown-migration DATABASE_URL_DIRECT="$U" "$DBHOOK" resolve --dir hotfix --applied 20240199999999_nope
golden resolve-applied-already-applied DATABASE_URL_DIRECT="$U" "$DBHOOK" resolve --dir hotfix --applied 20240101000000_base
golden resolve-rolled-back-not-failed DATABASE_URL_DIRECT="$U" "$DBHOOK" resolve --dir hotfix --rolled-back 20240101000000_base
golden resolve-rolled-back DATABASE_URL_DIRECT="$U" "$DBHOOK" resolve --dir hotfix --rolled-back 20240102000000_hotfix
db=$(newdb)
U=$(url_for "$db")
deploy_to() { # deploy_to URL ARGS... : the URL only in the environment
	local -x DATABASE_URL_DIRECT=$1
	shift
	run "$DBHOOK" deploy "$@"
}
deploy_to "$U" --dir hotfix
is "$RC" 1 "setup: a second database with the failed migration"
golden resolve-applied DATABASE_URL_DIRECT="$U" "$DBHOOK" resolve --dir hotfix --applied 20240102000000_hotfix

# --- the database URL -----------------------------------------------------------
golden status-cannot-connect DATABASE_URL_DIRECT="$(url_for "$db" "$CLOSED")" "$DBHOOK" status --timeout 0.5
golden status-json-cannot-connect DATABASE_URL_DIRECT="$(url_for "$db" "$CLOSED")" "$DBHOOK" status --json --timeout 0.5
golden deploy-no-url "$DBHOOK" deploy
golden deploy-unreadable-url DATABASE_URL_DIRECT="not a url" "$DBHOOK" deploy
# Refused from the URL alone, before connecting: whatever listens on 6543
# (scripts/test's PgBouncer) is never reached.
golden deploy-transaction-pooler DATABASE_URL_DIRECT="$(url_for "$db" 6543 pgbouncer=true)" "$DBHOOK" deploy

# --- the migrations folder -------------------------------------------------------
golden deploy-missing-folder DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir nope
mkdir -p "$WORK/empty"
cd "$WORK/empty" || exit 1
golden deploy-no-default-folder DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy

# --- new ---------------------------------------------------------------------------
golden new-migration "$DBHOOK" new "Add users table"
golden new-bad-name "$DBHOOK" new '!!!'
cd "$APP" || exit 1

# --- the vault: setup, profiles, run (password by --password-fd) ------------------
db=$(newdb)
printf '%s\n%s\n' "$(url_for "$db")" "$VAULT_PW" >"$WORK/setup-input"
printf '%s\n' "$VAULT_PW" >"$WORK/password"
printf 'not-the-password\n' >"$WORK/wrong-password"
golden vault-setup --in3 ../setup-input "$DBHOOK" setup --scrypt-n 32768 --url-fd 3 --password-fd 3
golden vault-profiles "$DBHOOK" profiles
golden vault-run --in3 ../password "$DBHOOK" run --password-fd 3
golden vault-run-wrong-password --in3 ../wrong-password "$DBHOOK" run --password-fd 3

# --- vercel-build ----------------------------------------------------------------------
golden vercel-build-help "$VERCEL_BUILD" --help
golden vercel-build-version "$VERCEL_BUILD" --version
db=$(newdb)
U=$(url_for "$db")
golden vercel-build-preview-skips VERCEL_ENV=preview MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" -- fake-build
golden vercel-build-dry-run VERCEL_ENV=production MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" --dry-run -- fake-build
golden vercel-build-production-applies VERCEL_ENV=production MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" -- fake-build --prod
golden vercel-build-production-nothing-pending VERCEL_ENV=production MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" -- fake-build
golden vercel-build-production-fails VERCEL_ENV=production MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" --dir broken -- fake-build
golden vercel-build-production-fails-strict VERCEL_ENV=production MIGRATE_DATABASE_URL="$U" "$VERCEL_BUILD" --strict --dir broken -- fake-build
golden vercel-build-production-no-url VERCEL_ENV=production "$VERCEL_BUILD" -- fake-build

# A transcript file no case writes any more: removed when updating, else a
# failure (its case was renamed or dropped without scripts/golden).
stale=""
for f in "$GOLDEN_DIR"/*.txt; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .txt)
	case $GOLDEN_SEEN in *" $n "*) continue ;; esac
	if [ "$UPDATE" = 1 ]; then
		rm -f "$f"
		diag "removed tests/golden/$n.txt (no case writes it)"
	else
		stale+=" $n"
	fi
done
is "$stale" "" "every file in tests/golden has its case (scripts/golden removes the others)"

finish
