#!/usr/bin/env bash
# Transaction poolers are refused, session poolers pass: real PgBouncers in
# transaction mode on 6543 (the URL alone tells) and on an ordinary port
# (only the live probe tells), pgbouncer=true, --probe-pooler, status and
# resolve; the probe's verdict under concurrent load (tests/pooler_probe).
. "$(dirname "$0")/lib.sh"
need_db

: "${POOLER_PROBE:?POOLER_PROBE must name the tests/pooler_probe driver}"
TX=$TEST_PGB_TX_PORT
TX2=$TEST_PGB_TX2_PORT
SESS=$TEST_PGB_SESSION_PORT

M=$WORK/m
mkmig "$M" 20240101000000_init 'CREATE TABLE accounts (id int PRIMARY KEY, name text);'
mkmig "$M" 20240102000000_add_email 'ALTER TABLE accounts ADD COLUMN email text;'

# applied_nothing DB : the database has no history table and no table.
applied_nothing() {
	[ "$(admin "$1" "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")" = 0 ]
}

# logins LOGFILE DB : how many logins to DB a PgBouncer log shows.
logins() {
	grep -cF "login attempt: db=$2 " "$1" || true
}

# dbhook_sessions DB : how many log lines of the server come from dbhook
# in DB (its application_name starts with "dbhook/").
dbhook_sessions() {
	grep -cF " db=$1 app=dbhook/" "$TESTDB_LOG" || true
}

# --- port 6543: refused from the URL, before connecting ------------------
db=$(newdb)
tx_before=$(logins "$TEST_PGB_TX_LOG" "$db")
export DATABASE_URL_DIRECT=$(url_for "$db" "$TX")
run "$DBHOOK" deploy --dir "$M"
is "$RC" 2 "6543: deploy exits 2"
like "$ERR" "^dbhook: error: refusing to migrate through a transaction pooler \(port 6543 " \
	"6543: the error names the port"
like "$ERR" "^dbhook: hint: .*postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:5432/$db([. ]|\$)" \
	"6543: the hint shows the same URL on port 5432, redacted"
unlike "$ERR$OUT" "$TEST_DB_PASSWORD_ENC" "6543: the encoded password is not printed either"
unlike "$OUT" 'migrations? found|Applying' "6543: refused before reading the migrations"
check "6543: nothing applied (no _prisma_migrations, no table)" applied_nothing "$db"
sleep 0.2
is "$(logins "$TEST_PGB_TX_LOG" "$db")" "$tx_before" "6543: the pooler saw no login for this database"
is "$(dbhook_sessions "$db")" 0 "6543: the server saw no session of dbhook"

# --- pgbouncer=true: refused from the URL, even on a session pooler ------
export DATABASE_URL_DIRECT=$(url_for "$db" "$SESS" "pgbouncer=true")
sess_before=$(logins "$TEST_PGB_SESSION_LOG" "$db")
run "$DBHOOK" deploy --dir "$M"
is "$RC" 2 "pgbouncer=true: deploy exits 2"
like "$ERR" '^dbhook: error: refusing to migrate through a transaction pooler \(pgbouncer=true in the URL\)' \
	"pgbouncer=true: the error names the parameter"
like "$ERR" "^dbhook: hint: .*postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$SESS/$db([. ]|\$)" \
	"pgbouncer=true: the hint shows the URL without pgbouncer=true"
check "pgbouncer=true: nothing applied" applied_nothing "$db"
sleep 0.2
is "$(logins "$TEST_PGB_SESSION_LOG" "$db")" "$sess_before" "pgbouncer=true: no login"

# --- transaction mode on an ordinary port: only the live probe tells -----
export DATABASE_URL_DIRECT=$(url_for "$db" "$TX2")
run "$DBHOOK" deploy --dir "$M"
is "$RC" 2 "tx pooler on port $TX2: deploy exits 2"
like "$ERR" '^dbhook: error: refusing to migrate through a transaction pooler \(the live check found a pooler in transaction mode\)' \
	"tx pooler on port $TX2: the live check found it"
like "$ERR" '^dbhook: hint: Use a direct or session-mode connection' "tx pooler on port $TX2: hint"
# The live check has already decided: telling the user to pass
# --probe-pooler ("to let the live check decide") sends them in a circle.
unlike "$ERR" 'pass --probe-pooler' \
	"tx pooler on port $TX2: the hint does not suggest --probe-pooler after the live check refused"
check "tx pooler on port $TX2: nothing applied" applied_nothing "$db"

# --- --probe-pooler with the 6543 URL: the live probe refuses too ---------
export DATABASE_URL_DIRECT=$(url_for "$db" "$TX")
run "$DBHOOK" deploy --probe-pooler --dir "$M"
is "$RC" 2 "6543 --probe-pooler: deploy exits 2"
like "$ERR" '^dbhook: error: refusing to migrate through a transaction pooler \(the live check found a pooler in transaction mode\)' \
	"6543 --probe-pooler: refused by the live check"
like "$ERR" "^dbhook: hint: .*postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:5432/$db([. ]|\$)" \
	"6543 --probe-pooler: the hint still shows port 5432"
check "6543 --probe-pooler: nothing applied" applied_nothing "$db"
sleep 0.2
check "6543 --probe-pooler: this time it did connect" test "$(logins "$TEST_PGB_TX_LOG" "$db")" -gt "$tx_before"

# --- session mode: deploy works --------------------------------------------
export DATABASE_URL_DIRECT=$(url_for "$db" "$SESS")
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "session pooler: deploy exits 0"
like "$ERR" '^dbhook: note: connected through a pooler in session mode' "session pooler: a note says so"
like "$OUT" '^All migrations have been successfully applied\.$' "session pooler: success line"
is "$(rows "$db" | paste -sd' ')" \
	"20240101000000_init|true|false 20240102000000_add_email|true|false" \
	"session pooler: history rows"
is "$(admin "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'")" \
	1 "session pooler: the migrations ran"
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "session pooler: second deploy exits 0"
like "$OUT" '^No pending migrations to apply\.$' "session pooler: second deploy is a no-op"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 2 "session pooler: no row added"

# --- status through 6543 works, with a note ---------------------------------
export DATABASE_URL_DIRECT=$(url_for "$db" "$TX")
run "$DBHOOK" status --dir "$M"
is "$RC" 0 "status through 6543 exits 0"
like "$ERR" '^dbhook: note: this URL looks like a transaction pooler \(port 6543 .*deploy will refuse it' \
	"status through 6543: a note that deploy would refuse it"
unlike "$ERR" 'error:' "status through 6543: no error"

# --- resolve through a transaction pooler is refused -----------------------
mkmig "$M" 20240103000000_by_hand 'CREATE TABLE by_hand (id int);'
for port in "$TX" "$TX2"; do
	export DATABASE_URL_DIRECT=$(url_for "$db" "$port")
	run "$DBHOOK" resolve --applied 20240103000000_by_hand --dir "$M"
	is "$RC" 2 "resolve through the tx pooler on $port exits 2"
	like "$ERR" '^dbhook: error: refusing to migrate through a transaction pooler' \
		"resolve through the tx pooler on $port: refused"
	is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240103000000_by_hand'")" \
		0 "resolve through the tx pooler on $port: no row written"
done
export DATABASE_URL_DIRECT=$(url_for "$db" "$SESS")
run "$DBHOOK" resolve --applied 20240103000000_by_hand --dir "$M"
is "$RC" 0 "resolve through the session pooler exits 0"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240103000000_by_hand' AND finished_at IS NOT NULL")" \
	1 "resolve through the session pooler: recorded as applied"
unset DATABASE_URL_DIRECT

# --- the probe's verdict under concurrent load ------------------------------
# pgbench clients run short transactions through the same pooler while the
# probe runs 50 times on one connection; the password only in PGPASSWORD.
printf 'SELECT pg_sleep(0.005);\n' >"$WORK/load.sql"
load() { # load NAME PORT : starts pgbench through PORT; sets LOAD_PID
	PGPASSWORD=$TEST_DB_PASSWORD run_bg "$1" "$PGBIN/pgbench" -n -c 6 -j 2 \
		-T 30 -P 1 -f "$WORK/load.sql" -h 127.0.0.1 -p "$2" \
		-U "$TEST_DB_USER" "$db" >/dev/null
	LOAD_PID=$!
	BG_PIDS+=("$LOAD_PID")
}
progress() { # progress NAME : a pgbench progress line with transactions
	grep -Eq '^progress: .* [1-9][0-9.]* tps' "$LOGDIR/$1.err"
}
t0=$SECONDS
load load-tx2 "$TX2"
tx_load=$LOAD_PID
load load-session "$SESS"
sess_load=$LOAD_PID
check "load through the tx pooler is running" poll 10 progress load-tx2
check "load through the session pooler is running" poll 10 progress load-session
POOLER_PROBE_URL=$(url_for "$db" "$TX2") run_bg probe-tx2 "$POOLER_PROBE" 50 >/dev/null
probe_tx=$!
BG_PIDS+=("$probe_tx")
POOLER_PROBE_URL=$(url_for "$db" "$SESS") run_bg probe-session "$POOLER_PROBE" 50 >/dev/null
probe_sess=$!
BG_PIDS+=("$probe_sess")
bg_result probe-tx2 "$probe_tx"
is "$RC" 0 "probe under load, tx pooler: exits 0"
is "$(printf '%s\n' "$OUT" | sort | uniq -c | sed 's/^ *//')" "50 transaction" \
	"probe under load, tx pooler: 50 of 50 say transaction"
bg_result probe-session "$probe_sess"
is "$RC" 0 "probe under load, session pooler: exits 0"
is "$(printf '%s\n' "$OUT" | sort | uniq -c | sed 's/^ *//')" "50 session" \
	"probe under load, session pooler: 50 of 50 say session"
check "the load ran through the whole probe (tx pooler)" kill -0 "$tx_load"
check "the load ran through the whole probe (session pooler)" kill -0 "$sess_load"
kill "$tx_load" "$sess_load" 2>/dev/null
bg_result load-tx2 "$tx_load"
bg_result load-session "$sess_load"
BG_PIDS=()
diag "probes under load took $((SECONDS - t0)) s"

POOLER_PROBE_URL=$(url_for "$db") run "$POOLER_PROBE" 5
is "$RC" 0 "probe, direct: exits 0"
is "$(printf '%s\n' "$OUT" | sort | uniq -c | sed 's/^ *//')" "5 none" "probe, direct: none"

finish
