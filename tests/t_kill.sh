#!/usr/bin/env bash
# Killed mid-migration: the deploy process killed with SIGKILL, and its
# server session terminated. In atomic mode nothing is half-applied and no
# failed row remains, so the next deploy applies the migration once. In
# Prisma's mode (the file has its own BEGIN/COMMIT) a failed row remains,
# as Prisma would leave it, and blocks deploys until resolved.
. "$(dirname "$0")/lib.sh"
need_db

# sleeping_backend DB : succeeds when dbhook's session in DB is inside
# pg_sleep; its pid goes to BACKEND.
sleeping_backend() {
	BACKEND=$(admin "$1" "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'dbhook/%' AND state = 'active' AND wait_event = 'PgSleep' AND query LIKE '%pg_sleep(20)%'" 2>/dev/null)
	[ -n "$BACKEND" ]
}

sleeping_or_ended() { # sleeping_or_ended DB : as sleeping_backend, or the deploy ended
	sleeping_backend "$1" || ended "$DPID"
}

# finish_bg NAME : waits up to 30 s for the background deploy to end (a
# hung one is killed), then sets OUT ERR RC.
finish_bg() {
	check "$1: the deploy ends within 30 s" poll 30 ended "$DPID" ||
		kill -9 "$DPID"
	bg_result "$1" "$DPID" 2>/dev/null
}

# no_session DB : succeeds when no session other than ours is in DB.
no_session() {
	[ "$(admin "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" 2>/dev/null)" = 0 ]
}

alive() { # alive PID : the process runs (a zombie counts as ended)
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}
ended() { ! alive "$1"; }

has_table() { # has_table DB NAME : prints t or f
	admin "$1" "SELECT to_regclass('public.$2') IS NOT NULL"
}
dirty_rows() { # dirty_rows DB : rows with finished_at and rolled_back_at NULL
	admin "$1" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL"
}
applied_rows() { # applied_rows DB NAME
	admin "$1" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '$2' AND finished_at IS NOT NULL AND rolled_back_at IS NULL"
}

# start_slow_deploy NAME DB DIR : starts a deploy in the background and
# waits until its session sleeps in the middle of the migration (k1 created
# in the open transaction, k2 not yet). Sets DPID and BACKEND.
start_slow_deploy() {
	DATABASE_URL_DIRECT=$(url_for "$2") run_bg "$1" \
		"$DBHOOK" deploy --dir "$3" >/dev/null
	DPID=$!
	BACKEND=
	poll 30 sleeping_or_ended "$2"
	if [ -n "$BACKEND" ]; then
		ok 0 "$1: the deploy is in the middle of the migration (pid $BACKEND in pg_sleep)"
	else
		ok 1 "$1: the deploy is in the middle of the migration"
		sed 's/^/#   | /' "$LOGDIR/$1.out" "$LOGDIR/$1.err"
	fi
}

SLOW="CREATE TABLE k1 (id int);
SELECT pg_sleep(20);
CREATE TABLE k2 (id int);
"
FAST="CREATE TABLE k1 (id int);
CREATE TABLE k2 (id int);
"
K=20240501000001_k_tables

# --- (a) the deploy process is killed with SIGKILL ---------------------
db=$(newdb)
mkmig "$WORK/a" $K "$SLOW"
start_slow_deploy killed "$db" "$WORK/a"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
is "$?" 137 "(a) the deploy process was killed by SIGKILL"
# The session checks its client every second (client_connection_check_
# interval), so the server ends the orphaned transaction at once rather
# than after the 20 s sleep, when it would commit.
check "(a) the server ends the killed deploy's session within 15 s" \
	poll 15 no_session "$db"
is "$(has_table "$db" k1)" f "(a) nothing half-applied: k1 does not exist"
is "$(has_table "$db" k2)" f "(a) k2 does not exist"
is "$(dirty_rows "$db")" 0 "(a) no failed (dirty) row"
is "$(applied_rows "$db" $K)" 0 "(a) the migration is not recorded as applied"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" status --dir "$WORK/a"
is "$RC" 4 "(a) status: the migration is pending (exit 4)"

# Same name, fast now: it was never applied, so its checksum may change.
mkmig "$WORK/a" $K "$FAST"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" deploy --dir "$WORK/a"
is "$RC" 0 "(a) the next deploy exits 0"
like "$OUT" "Applied migration \`$K\`" "(a) it applied the migration"
is "$(rows "$db")" "$K|true|false" "(a) applied exactly once, no other row"
is "$(has_table "$db" k1)$(has_table "$db" k2)" tt "(a) k1 and k2 exist"

# --- (b) the server terminates the deploy's session ---------------------
db=$(newdb)
mkmig "$WORK/b" $K "$SLOW"
start_slow_deploy terminated "$db" "$WORK/b"
is "$(admin postgres "SELECT pg_terminate_backend(${BACKEND:-0})")" t \
	"(b) the session is terminated by the server"
finish_bg terminated
is "$RC" 3 "(b) the deploy exits 3: connection lost (retryable)"
like "$ERR" "^dbhook: error: migration \"$K\" failed: terminating connection due to administrator command\$" \
	"(b) stderr: the error names the migration and why the connection ended"
is "$(grep -c '^dbhook: error:' <<<"$ERR")" 1 \
	"(b) stderr: one error line (no raw multi-line libpq text)"
like "$ERR" "^dbhook: hint: The connection was lost while \"$K\" ran in one transaction\. Run the deploy again" \
	"(b) stderr: the hint says the connection was lost and to run the deploy again"
unlike "$OUT" 'have been applied' "(b) stdout does not claim success"
check "(b) no session of the deploy remains" poll 15 no_session "$db"
is "$(has_table "$db" k1)" f "(b) nothing half-applied: k1 does not exist"
is "$(dirty_rows "$db")" 0 "(b) no failed (dirty) row"
is "$(applied_rows "$db" $K)" 0 "(b) the migration is not recorded as applied"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" status --dir "$WORK/b"
is "$RC" 4 "(b) status: the migration is pending (exit 4)"

mkmig "$WORK/b" $K "$FAST"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" deploy --dir "$WORK/b"
is "$RC" 0 "(b) the next deploy exits 0"
is "$(applied_rows "$db" $K)" 1 "(b) applied exactly once"
is "$(dirty_rows "$db")" 0 "(b) still no failed row"
is "$(has_table "$db" k1)$(has_table "$db" k2)" tt "(b) k1 and k2 exist"

# --- (c) Prisma's mode: the file commits on its own --------------------
db=$(newdb)
P=20240501000001_own_transaction
mkmig "$WORK/c" $P "BEGIN;
CREATE TABLE p1 (id int);
COMMIT;
SELECT pg_sleep(20);
"
start_slow_deploy prisma-mode "$db" "$WORK/c"
is "$(admin postgres "SELECT pg_terminate_backend(${BACKEND:-0})")" t \
	"(c) the session is terminated by the server"
finish_bg prisma-mode
is "$RC" 1 "(c) the deploy exits 1: a failed migration now blocks deploys"
like "$ERR" "^dbhook: note: .*$P/migration.sql\" has its own BEGIN" \
	"(c) stderr: the note says the file runs in Prisma's mode"
like "$ERR" "^dbhook: error: migration \"$P\" failed: terminating connection due to administrator command\$" \
	"(c) stderr: the error names the migration and why the connection ended"
is "$(grep -c '^dbhook: error:' <<<"$ERR")" 1 \
	"(c) stderr: one error line (no raw multi-line libpq text)"
# Running it again cannot help: the file ran outside a transaction and its
# failed row blocks deploys; the hint must say so and name resolve.
like "$ERR" '^dbhook: hint: .*outside a transaction.*dbhook resolve' \
	"(c) stderr: the hint says part of it may be applied and to resolve it"
is "$(has_table "$db" p1)" t "(c) what the file committed itself remains (p1)"
is "$(rows "$db")" "$P|false|false" \
	"(c) a failed row remains (finished_at and rolled_back_at NULL), as Prisma leaves it"

DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" status --dir "$WORK/c"
is "$RC" 5 "(c) status: a failed migration (exit 5)"

DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" deploy --dir "$WORK/c"
is "$RC" 1 "(c) the next deploy exits 1"
like "$ERR" "^dbhook: error: migration \"$P\" failed earlier and blocks new migrations$" \
	"(c) stderr: the failed migration blocks deploys"
like "$ERR" "^dbhook: hint: .*dbhook resolve --applied \"$P\".*P3009" \
	"(c) stderr: the hint names resolve and P3009"
is "$(rows "$db")" "$P|false|false" "(c) the blocked deploy changed nothing"

DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" resolve --applied "$P" --dir "$WORK/c"
is "$RC" 0 "(c) resolve --applied exits 0"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" status --dir "$WORK/c"
is "$RC" 0 "(c) status then exits 0"
is "$(dirty_rows "$db")" 0 "(c) no failed row remains"
is "$(applied_rows "$db" $P)" 1 "(c) the migration is recorded as applied once"
DATABASE_URL_DIRECT=$(url_for "$db") run "$DBHOOK" deploy --dir "$WORK/c"
is "$RC" 0 "(c) deploy exits 0"
like "$OUT" '^No pending migrations to apply\.$' "(c) deploy has nothing to do"

finish
