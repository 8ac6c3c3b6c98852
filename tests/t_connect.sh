#!/usr/bin/env bash
# Unreachable databases: a closed port, a listener that never answers, one
# that closes at once, a server starting up (tests/fakepg.py), a wrong
# password, an unknown database, and names that do not resolve or hosts
# without a route (inside a network namespace with no route out, so no
# query leaves the machine). Each ends within its --timeout budget, with
# the right classification in the retry notes and the right hint.
. "$(dirname "$0")/lib.sh"
need_db

FAKEPG="$(dirname "$0")/fakepg.py"
# The interpreter itself, not a version manager's shim.
PY=$(python3 -c 'import sys; print(sys.executable)')

M=$WORK/m
mkmig "$M" 20240101000000_init 'CREATE TABLE started (id int);'

# trun CMD... : run, and ELAPSED = wall time in milliseconds.
trun() {
	local t0
	t0=$(date +%s%N)
	run "$@"
	ELAPSED=$((($(date +%s%N) - t0) / 1000000))
}

within() { # within MS "name" : ELAPSED is at most MS
	if [ "$ELAPSED" -le "$1" ]; then
		ok 0 "$2 (${ELAPSED} ms)"
	else
		ok 1 "$2"
		echo "#   took ${ELAPSED} ms, more than $1 ms"
	fi
}

notes() { # notes : how many retry notes ERR holds
	printf '%s\n' "$ERR" | grep -c '^dbhook: note: connection attempt [0-9]* failed .*; retrying in ' || true
}
attempts() { # attempts : the attempt count of the final detail, else 0
	printf '%s\n' "$ERR" | sed -nE 's/.*\(([0-9]+) attempts in .*/\1/p' | tail -n 1 | grep . || echo 0
}

# fake MODE [ARGS] : starts tests/fakepg.py; sets FAKE_PORT and FAKE_LOG
# (one line per connection it accepted).
FAKE_N=0
fake() {
	local d
	FAKE_N=$((FAKE_N + 1))
	d=$WORK/fake$FAKE_N
	mkdir -p "$d"
	FAKE_LOG=$LOGDIR/fake$FAKE_N.out
	run_bg "fake$FAKE_N" "$PY" "$FAKEPG" "$@" --port-file "$d/port" --lifetime 60 >/dev/null
	BG_PIDS+=($!)
	for _ in $(seq 200); do
		[ -f "$d/port" ] && break
		sleep 0.05
	done
	FAKE_PORT=$(cat "$d/port" 2>/dev/null || echo 0)
	check "fakepg $1 listens" test "$FAKE_PORT" -gt 0
}

fake_conns() { grep -c '^conn ' "$FAKE_LOG" || true; }

# A port nothing listens on: bound by the kernel's choice, then released.
closed_port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- closed port -----------------------------------------------------------
export DATABASE_URL_DIRECT=$(url_for nodb "$closed_port")
trun "$DBHOOK" deploy --dir "$M" --timeout 4
is "$RC" 3 "closed port: exit 3"
within 5500 "closed port: ends within the 4 s budget"
like "$ERR" '^dbhook: note: connection attempt 1 failed \(refused\): .*Connection refused; retrying in [0-9.]+ s$' \
	"closed port: retry notes say refused"
check "closed port: retried several times" test "$(attempts)" -ge 2
is "$(notes)" 1 "closed port: one note for the first failure, not one per attempt"
like "$ERR" "^dbhook: error: cannot connect to the database at 127\.0\.0\.1:$closed_port\$" "closed port: error names the target"
like "$ERR" '^dbhook: hint: Nothing accepts connections there\. Check the host and port' "closed port: hint"

# --- a listener that never answers: the budget ends it -----------------------
fake silent
export DATABASE_URL_DIRECT=$(url_for nodb "$FAKE_PORT")
trun "$DBHOOK" deploy --dir "$M" --timeout 6 --connect-timeout 2
is "$RC" 3 "silent listener: exit 3"
within 8000 "silent listener: ends within the 6 s budget"
check "silent listener: waited for the connect timeout" test "$ELAPSED" -ge 2000
like "$ERR" '^dbhook: note: connection attempt 1 failed \(timeout\): .*timeout expired; retrying in ' \
	"silent listener: retry note says timeout"
like "$ERR" '^dbhook: hint: The server did not answer in time\.' "silent listener: timeout hint"
check "silent listener: at least two attempts reached it" test "$(fake_conns)" -ge 2

# --- a listener that closes at once ----------------------------------------
fake close
export DATABASE_URL_DIRECT=$(url_for nodb "$FAKE_PORT")
trun "$DBHOOK" deploy --dir "$M" --timeout 4
is "$RC" 3 "closing listener: exit 3"
within 5500 "closing listener: ends within the 4 s budget"
like "$ERR" '^dbhook: note: connection attempt 1 failed \(closed\): .*; retrying in ' \
	"closing listener: retry note says closed"
check "closing listener: retried" test "$(attempts)" -ge 2
check "closing listener: every attempt reached it" test "$(fake_conns)" -ge 3
like "$ERR" '^dbhook: hint: The server closed the connection during start-up\.' "closing listener: hint"

# --- a server starting up for 3 s, then the real one ------------------------
db=$(newdb)
fake starting 3 "$TEST_PG_PORT"
export DATABASE_URL_DIRECT=$(url_for "$db" "$FAKE_PORT")
trun "$DBHOOK" deploy --dir "$M" --timeout 30
is "$RC" 0 "starting up, then up: deploy exits 0"
like "$ERR" '^dbhook: note: connection attempt 1 failed \(starting\): .*the database system is starting up; retrying in ' \
	"starting up: retry notes name 57P03's message"
check "starting up: retried until the server was up" test "$(fake_conns)" -ge 2
like "$OUT" '^All migrations have been successfully applied\.$' "starting up, then up: applied"
is "$(rows "$db")" "20240101000000_init|true|false" "starting up, then up: history row"
like "$(cat "$FAKE_LOG")" '^conn [0-9]+ relay$' "starting up, then up: the last attempts reached the real server"
within 15000 "starting up, then up: done soon after the server is up"

# --- a server that stays starting up: the budget ends it --------------------
fake starting 60
export DATABASE_URL_DIRECT=$(url_for nodb "$FAKE_PORT")
trun "$DBHOOK" deploy --dir "$M" --timeout 4
is "$RC" 3 "still starting up: exit 3"
within 5500 "still starting up: ends within the 4 s budget"
check "still starting up: retried" test "$(attempts)" -ge 2
like "$ERR" '^dbhook: detail: .*the database system is starting up' "still starting up: detail"
like "$ERR" '^dbhook: hint: The server is starting up or shutting down\.' "still starting up: hint"

# --- wrong password: not retried --------------------------------------------
WRONG=Wr0ng-pw-Never-Printed
TEST_EXTRA_SECRET=$WRONG
export DATABASE_URL_DIRECT="postgresql://$TEST_DB_USER:$WRONG@127.0.0.1:$TEST_PG_PORT/$db"
trun "$DBHOOK" deploy --dir "$M" --timeout 30
is "$RC" 3 "wrong password: exit 3"
within 2000 "wrong password: at once"
is "$(notes)" 0 "wrong password: not retried"
like "$ERR" 'password authentication failed' "wrong password: detail"
like "$ERR" '^dbhook: hint: Check the user name and password' "wrong password: hint"
TEST_EXTRA_SECRET=

# --- SCRAM with the server's iteration count and salt -----------------------
# A secret made with 10000 iterations (the server's own use 4096): the
# client salts with what the server sends.
SCRAM_PW=Scr4m-10k-Dev
TEST_EXTRA_SECRET=$SCRAM_PW
role=scram_connect_$$
sdb=$(scram_role "$role" "$SCRAM_PW" 10000)
export DATABASE_URL_DIRECT="postgresql://$role:$SCRAM_PW@127.0.0.1:$TEST_PG_PORT/$sdb"
trun "$DBHOOK" deploy --dir "$M" --timeout 30
is "$RC" 0 "SCRAM with 10000 iterations: deploy exits 0"
is "$(admin "$sdb" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" \
	"$(find "$M" -mindepth 2 -name migration.sql | wc -l)" "SCRAM with 10000 iterations: every migration applied"
TEST_EXTRA_SECRET=

# --- unknown database: not retried ------------------------------------------
export DATABASE_URL_DIRECT=$(url_for "no_such_db_$$")
trun "$DBHOOK" deploy --dir "$M" --timeout 30
is "$RC" 3 "unknown database: exit 3"
within 2000 "unknown database: at once"
is "$(notes)" 0 "unknown database: not retried"
like "$ERR" "database \"no_such_db_$$\" does not exist" "unknown database: detail"
like "$ERR" '^dbhook: hint: Check the database name in the URL' "unknown database: hint"

# --- DNS and routes, inside a network namespace without a way out ----------
# The namespace has only its own loopback, so a name lookup or an IPv6
# connection fails right here and nothing is sent to the network. A private
# mount namespace also gives it "hosts: files dns" and a resolver on its own
# loopback (where nothing listens), and hides nscd's socket: name service
# daemons reached over a Unix socket (systemd-resolved, nscd) live outside
# the network namespace and would send the query out.
printf 'hosts: files dns\n' >"$WORK/nsswitch.conf"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$WORK/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$WORK/hosts"
export ISOLATED_ETC=$WORK
isolated() { # isolated CMD... : runs CMD in new net and mount namespaces
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -n -m sh -c '
		set -e
		for f in nsswitch.conf resolv.conf hosts; do
			mount --bind "$ISOLATED_ETC/$f" "/etc/$f"
		done
		for d in /run/nscd /var/run/nscd; do
			[ ! -d "$d" ] || mount -t tmpfs none "$d"
		done
		ip link set lo up
		exec "$@"' isolated "$@"
}
if ! isolated true 2>"$WORK/unshare.err"; then
	ok 1 "a private network namespace (unshare -n -m, mount --bind, ip link) works: the DNS and IPv6 cases need it, so run as root or with CAP_SYS_ADMIN; got: $(head -c 300 "$WORK/unshare.err" | tr '\n' ' ')"
	finish
fi
is "$(isolated ip -o link | grep -vc ': lo:')" 0 "the namespace has no interface but lo"
is "$(isolated cat /etc/resolv.conf | grep '^nameserver' | paste -sd' ')" "nameserver 127.0.0.1" \
	"the namespace asks only a resolver on its own loopback"

export DATABASE_URL_DIRECT="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@nosuch-$$.invalid:5432/db"
trun isolated "$DBHOOK" deploy --dir "$M" --timeout 3
is "$RC" 3 "*.invalid: exit 3"
within 4500 "*.invalid: ends within the 3 s budget"
like "$ERR" "^dbhook: note: connection attempt 1 failed \(dns\): could not translate host name \"nosuch-$$\.invalid\"" \
	"*.invalid: retry notes say dns"
like "$ERR" "^dbhook: hint: \"nosuch-$$\.invalid\" does not resolve\. Check the host name" "*.invalid: hint"

REF=abcdefghijklmnopqrst
export DATABASE_URL_DIRECT="postgresql://postgres:$TEST_DB_PASSWORD_ENC@db.$REF.supabase.co:5432/postgres"
trun isolated "$DBHOOK" deploy --dir "$M" --timeout 3
is "$RC" 3 "Supabase host without DNS: exit 3"
within 4500 "Supabase host without DNS: ends within the 3 s budget"
like "$ERR" "^dbhook: note: connection attempt 1 failed \(dns\): could not translate host name \"db\.$REF\.supabase\.co\"" \
	"Supabase host without DNS: retry notes say dns"
like "$ERR" '^dbhook: hint: .*A paused Supabase free-tier project disappears from DNS' \
	"Supabase host without DNS: the paused-project hint"

# Supabase's direct host is IPv6-only; a machine without IPv6 (a Vercel
# build) gets "Network is unreachable".
export DATABASE_URL_DIRECT="postgresql://postgres:$TEST_DB_PASSWORD_ENC@db.$REF.supabase.co:5432/postgres?hostaddr=2001:db8::1"
trun isolated "$DBHOOK" deploy --dir "$M" --timeout 3
is "$RC" 3 "IPv6-only direct host: exit 3"
within 4500 "IPv6-only direct host: ends within the 3 s budget"
like "$ERR" '^dbhook: note: connection attempt 1 failed \(unreachable\): .*Network is unreachable; retrying in ' \
	"IPv6-only direct host: retry notes say unreachable"
like "$ERR" "^dbhook: error: cannot connect to the database at db\.$REF\.supabase\.co:5432\$" \
	"IPv6-only direct host: error names the host"
like "$ERR" "^dbhook: hint: .*session pooler.*postgresql://postgres\.$REF:PASSWORD@[^ ]*pooler\.supabase\.com:5432/" \
	"IPv6-only direct host: the hint names the session pooler, user postgres.$REF, port 5432"

finish
