# lib.sh - TAP helpers for the integration tests (sourced, bash).
#
# Every program run goes through `run`, which keeps its stdout, stderr and
# exit status in $OUT, $ERR and $RC, saves them under the test's log
# folder, and checks that no test secret appears in them.

set -u
TAP_N=0
TAP_FAILED=0
T_NAME=${DBHOOK_TEST_NAME:-$(basename "$0" .sh)}
LOGDIR="${BUILDDIR:-/tmp}/test-output/$T_NAME"
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
RUN_N=0
WORK=$(mktemp -d "/tmp/dbhook-$T_NAME-XXXXXX")

# Background processes a test starts (servers, blockers) go in BG_PIDS and
# are stopped when the test ends, however it ends; a signal (meson's
# timeout, Ctrl-C) ends the test through the EXIT trap.
BG_PIDS=()
stop_background() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
}
trap stop_background EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# poll SECONDS CMD... : runs CMD every 0.1 s until it succeeds; fails after
# SECONDS.
poll() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

ok() { # ok COND_STATUS "name"
	local status=$1
	shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $*"
	fi
	return "$status"
}

check() { # check "name" CMD... : ok when CMD succeeds
	local name=$1
	shift
	if "$@" >/dev/null; then ok 0 "$name"; else ok 1 "$name"; fi
}

is() { # is GOT WANT "name"
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() { # like TEXT REGEX "name" (grep -E, multi-line text)
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "$1" | sed 's/^/#   | /' | head -n 30
		echo "#   no line matches: $2"
	fi
}

unlike() { # unlike TEXT REGEX "name"
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '%s\n' "$1" | grep -E -- "$2" | sed 's/^/#   | /' | head -n 10
	else
		ok 0 "$3"
	fi
}

diag() { echo "# $*"; }

# Secrets that must never be printed by any program.
secrets() {
	printf '%s\n' "${TEST_DB_PASSWORD:-}" "${TEST_DB_PASSWORD_ENC:-}" \
		"${TEST_EXTRA_SECRET:-}" | grep -v '^$'
}

# Fails (one TAP line) when OUT or ERR holds a secret.
check_no_secret() {
	local what=$1 s leaked=""
	while IFS= read -r s; do
		if printf '%s%s' "$OUT" "$ERR" | grep -qF -- "$s"; then
			leaked=yes
		fi
	done < <(secrets)
	if [ -n "$leaked" ]; then
		ok 1 "no secret printed by: $what"
	else
		ok 0 "no secret printed by: $what"
	fi
}

# without_secrets TEXT: TEXT with every test secret (also as printf %q
# quotes it) replaced by ***, for what the tests themselves print.
without_secrets() {
	local text=$1 s
	while IFS= read -r s; do
		text=${text//"$s"/***}
		text=${text//"$(printf '%q' "$s")"/***}
	done < <(secrets)
	printf '%s' "$text"
}

run() { # run CMD... : sets OUT ERR RC; checks secrets
	RUN_N=$((RUN_N + 1))
	local base="$LOGDIR/run$RUN_N"
	# The command as run, for debugging, without the secrets its
	# environment assignments may hold.
	without_secrets "$(printf '%q ' "$@")" >"$base.cmd"
	echo >>"$base.cmd"
	"$@" >"$base.out" 2>"$base.err" </dev/null
	RC=$?
	OUT=$(cat "$base.out")
	ERR=$(cat "$base.err")
	echo "$RC" >"$base.rc"
	check_no_secret "$(without_secrets "$(basename "$1") ${2:-} ${3:-}")"
}

# Runs CMD in the background, its output to files; prints its pid.
run_bg() { # run_bg NAME CMD...
	local name=$1
	shift
	"$@" >"$LOGDIR/$name.out" 2>"$LOGDIR/$name.err" </dev/null &
	echo $!
}

bg_result() { # bg_result NAME PID : waits, sets OUT ERR RC, checks secrets
	wait "$2"
	RC=$?
	OUT=$(cat "$LOGDIR/$1.out")
	ERR=$(cat "$LOGDIR/$1.err")
	check_no_secret "$1"
}

need_db() {
	if [ -z "${TEST_DATABASE_URL:-}" ] || [ -z "${TEST_ADMIN_CONNINFO:-}" ]; then
		echo "not ok 1 - test database environment missing (run scripts/test, which starts scripts/test-db)"
		echo "1..1"
		exit 1
	fi
}

admin() { # admin DB SQL : runs SQL as superuser, unaligned tuples only
	local db=$1
	shift
	PGOPTIONS='--client-min-messages=warning' psql -X -A -t -q -v ON_ERROR_STOP=1 \
		"${TEST_ADMIN_CONNINFO/dbname=postgres/dbname=$db}" -c "$*"
}

newdb() { # newdb : creates an empty database owned by the app user
	# Called as $(newdb): a subshell, so the names go to a file.
	local n db
	n=0
	[ -f "$WORK/dbs" ] && n=$(wc -l <"$WORK/dbs")
	db="t_${T_NAME#t_}_$$_$n"
	echo "$db" >>"$WORK/dbs"
	admin postgres "CREATE DATABASE \"$db\" OWNER $TEST_DB_USER" >/dev/null
	echo "$db"
}

url_for() { # url_for DB [PORT] [QUERY]
	local port=${2:-$TEST_PG_PORT} q=${3:-}
	echo "postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@127.0.0.1:$port/$1${q:+?$q}"
}

# scram_role ROLE PASSWORD ITERATIONS: a login role whose SCRAM-SHA-256
# secret is computed here with ITERATIONS (PostgreSQL 15 always uses 4096
# for the passwords it hashes itself), owning a new database; prints the
# database's name. The client must salt with the server's count and salt.
scram_role() {
	local secret db
	secret=$(python3 -c '
import base64, hashlib, hmac, os, sys
pw, n = sys.argv[1].encode(), int(sys.argv[2])
salt = os.urandom(16)
salted = hashlib.pbkdf2_hmac("sha256", pw, salt, n)
key = lambda k: hmac.new(salted, k, "sha256").digest()
b = lambda x: base64.b64encode(x).decode()
stored = hashlib.sha256(key(b"Client Key")).digest()
print("SCRAM-SHA-256$%d:%s$%s:%s" % (n, b(salt), b(stored), b(key(b"Server Key"))))
' "$2" "$3") || return 1
	admin postgres "CREATE ROLE $1 LOGIN PASSWORD '$secret'" >/dev/null || return 1
	echo "$1" >>"$WORK/roles"
	db=${1}_db
	admin postgres "CREATE DATABASE $db OWNER $1" >/dev/null || return 1
	echo "$db" >>"$WORK/dbs"
	echo "$db"
}

mkmig() { # mkmig DIR NAME SQL
	mkdir -p "$1/$2"
	printf '%s\n' "$3" >"$1/$2/migration.sql"
}

rows() { # rows DB : the history as "name|finished|rolled_back" lines
	admin "$1" "SELECT migration_name || '|' || (finished_at IS NOT NULL) || '|' || (rolled_back_at IS NOT NULL) FROM _prisma_migrations ORDER BY started_at, migration_name"
}

# A loopback HTTP server (tests/httpd.py) answering ROUTES_JSON; sets
# HTTPD_PID, HTTPD_PORT and HTTPD_REQS (its request log, JSON lines).
start_httpd() { # start_httpd ROUTES_JSON DIR
	local i
	mkdir -p "$2"
	printf '%s\n' "$1" >"$2/routes.json"
	: >"$2/requests.jsonl"
	python3 "$(dirname "$0")/httpd.py" "$2/routes.json" "$2/requests.jsonl" \
		"$2/port" --lifetime 120 >"$2/httpd.log" 2>&1 &
	HTTPD_PID=$!
	for i in $(seq 200); do
		[ -f "$2/port" ] && break
		sleep 0.05
	done
	HTTPD_PORT=$(cat "$2/port" 2>/dev/null || echo 0)
	HTTPD_REQS=$2/requests.jsonl
}

finish() {
	local db
	if [ -f "$WORK/dbs" ]; then
		while read -r db; do
			admin postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
		done <"$WORK/dbs"
	fi
	if [ -f "$WORK/roles" ]; then
		while read -r db; do
			admin postgres "DROP ROLE IF EXISTS \"$db\"" >/dev/null 2>&1
		done <"$WORK/roles"
	fi
	rm -rf "$WORK"
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
