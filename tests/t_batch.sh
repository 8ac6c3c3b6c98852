#!/usr/bin/env bash
# Batched apply: a run of transactional migrations goes to the server as
# one message, each migration its own BEGIN; row; file; finished row;
# COMMIT. The server stops at the first error and skips the rest, so each
# migration is still applied whole, with its row, or not at all: a failure
# at k keeps 1..k-1, records k's failed attempt and leaves k+1.. alone;
# lock_timeout at k retries from k; a kill at any point leaves whole
# migrations only, and the next deploy applies the rest. A file that cannot
# run in our transaction splits the run, in order.
. "$(dirname "$0")/lib.sh"
need_db

has_table() { # has_table DB NAME : prints t or f
	admin "$1" "SELECT to_regclass('public.$2') IS NOT NULL"
}
# order DB : the finished migrations, in the order the history lists them.
order() {
	admin "$1" "SELECT string_agg(migration_name, ' ' ORDER BY started_at, migration_name) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
}
# series DIR N [K SQL] : N migrations m01..mN, each making table tI with
# one row; migration K (if given) gets SQL instead.
series() {
	local dir=$1 n=$2 k=${3:-0} sql=${4:-} i name
	rm -rf "$dir"
	for ((i = 1; i <= n; i++)); do
		name=$(printf '202401%02d000000_m%02d' "$i" "$i")
		if ((i == k)); then
			mkmig "$dir" "$name" "$sql"
		else
			mkmig "$dir" "$name" "CREATE TABLE t$i (id int);
INSERT INTO t$i VALUES ($i);"
		fi
	done
}
mname() { printf '202401%02d000000_m%02d' "$1" "$1"; }
# tables DB N : t or f for t1..tN, as one word
tables() {
	local i w=
	for ((i = 1; i <= $2; i++)); do w+=$(has_table "$1" "t$i"); done
	echo "$w"
}

# --- 1. a runtime error at k = 4 of 6 ------------------------------------
db=$(newdb)
series "$WORK/rt" 6 4 "CREATE TABLE t4 (id int);
INSERT INTO t4 VALUES (1 / 0);"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/rt"
is "$RC" 1 "runtime error at 4 of 6: exit 1"
is "$(rows "$db")" "$(mname 1)|true|false
$(mname 2)|true|false
$(mname 3)|true|false
$(mname 4)|false|true" "1..3 applied and recorded, 4 recorded as a rolled-back attempt, 5 and 6 untouched"
is "$(tables "$db" 6)" tttfff "tables of 1..3 exist, none of 4..6"
like "$ERR" "^dbhook: error: migration \"$(mname 4)\" failed: division by zero" "the error names migration 4"
like "$ERR" "^dbhook: detail: at $WORK/rt/$(mname 4)/migration.sql:2 \(SQLSTATE 22012\)" \
	"and its file and the line of the failed statement (an error without a position)"
like "$OUT" "Applied migration \`$(mname 3)\`" "stdout: 3 applied"
unlike "$OUT" "Applied migration \`$(mname 4)\`" "stdout: 4 not applied"
is "$(admin "$db" "SELECT logs LIKE '%Migration name: $(mname 4)%Database error code: 22012%' FROM _prisma_migrations WHERE migration_name = '$(mname 4)'")" t \
	"the attempt's logs: Prisma's P3018 shape, name and SQLSTATE"
mkmig "$WORK/rt" "$(mname 4)" "CREATE TABLE t4 (id int);
INSERT INTO t4 VALUES (4);"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/rt"
is "$RC" 0 "fixed: the next deploy exits 0"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")" 6 "all 6 applied"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL GROUP BY migration_name HAVING count(*) > 1")" "" \
	"none applied twice"
is "$(admin "$db" "SELECT sum(id) FROM (SELECT id FROM t1 UNION ALL SELECT id FROM t2 UNION ALL SELECT id FROM t3 UNION ALL SELECT id FROM t4 UNION ALL SELECT id FROM t5 UNION ALL SELECT id FROM t6) s")" 21 \
	"each table holds its one row (no statement ran twice)"

# --- 2. an error with a position: file and line of migration k ----------
db=$(newdb)
series "$WORK/pos" 5 3 "CREATE TABLE t3 (id int);

SELECT no_such_column FROM t3;"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/pos"
is "$RC" 1 "unknown column at 3 of 5: exit 1"
like "$ERR" "$WORK/pos/$(mname 3)/migration.sql:3:8" "the error points at migration 3, line 3, column 8"
is "$(tables "$db" 5)" ttfff "1..2 applied, 3..5 not"

# --- 3. a syntax error at k: the server refuses the whole message --------
# PostgreSQL parses a message whole before running any of it; the run is
# sent again without the broken file, which then fails alone.
db=$(newdb)
series "$WORK/syn" 5 4 "CREATE TABLE t4 (id int);
CREAT TABLE oops (id int);"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/syn"
is "$RC" 1 "syntax error at 4 of 5: exit 1"
like "$ERR" "$WORK/syn/$(mname 4)/migration.sql:2:1" "the error points at migration 4, line 2"
like "$ERR" 'syntax error at or near "CREAT"' "the server's message"
is "$(tables "$db" 5)" tttff "1..3 applied although the server refused the first message"
is "$(rows "$db" | tail -n 1)" "$(mname 4)|false|true" "4 recorded as a rolled-back attempt"
like "$OUT" "Applied migration \`$(mname 3)\`" "stdout: 3 applied"

# --- 4. files that cannot run in our transaction split the run ----------
db=$(newdb)
series "$WORK/split" 6
mkmig "$WORK/split" "$(mname 1)" "CREATE TABLE t1 (id int);
INSERT INTO t1 SELECT generate_series(1, 100);"
mkmig "$WORK/split" "$(mname 3)" "CREATE INDEX CONCURRENTLY t1_id ON t1 (id);"
mkmig "$WORK/split" "$(mname 5)" "BEGIN;
CREATE TABLE t5 (id int);
COMMIT;"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/split"
is "$RC" 0 "a run split by CONCURRENTLY (3) and an own BEGIN/COMMIT (5): exit 0"
like "$ERR" "\"$WORK/split/$(mname 3)/migration.sql\" cannot run inside a transaction block; running it as Prisma does" \
	"3 runs in Prisma's mode (note)"
like "$ERR" "\"$WORK/split/$(mname 5)/migration.sql\" has its own BEGIN \(line 1\)" "5 runs in Prisma's mode (note)"
is "$(order "$db")" "$(mname 1) $(mname 2) $(mname 3) $(mname 4) $(mname 5) $(mname 6)" \
	"all 6 applied, in order (the history's started_at order)"
is "$(admin "$db" "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 't1_id' AND i.indisvalid")" 1 \
	"the index of 3 exists and is valid"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 6 "one row each, no failed attempt"

# --- 5. lock_timeout at k: retried from k, nothing applied twice ---------
db=$(newdb)
series "$WORK/lk" 1
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/lk"
is "$RC" 0 "lock_timeout: the base migration applied"
series "$WORK/lk" 5 3 "ALTER TABLE t1 ADD COLUMN note text;"
fifo=$WORK/blocker.in
mkfifo "$fifo"
PGPASSWORD=$TEST_DB_PASSWORD psql -X -q -h 127.0.0.1 -p "$TEST_PG_PORT" -U "$TEST_DB_USER" -d "$db" \
	<"$fifo" >"$LOGDIR/blocker.out" 2>&1 &
BLOCKER=$!
exec 7>"$fifo"
echo "BEGIN; LOCK TABLE t1 IN ACCESS SHARE MODE; SELECT 'locked';" >&7
check "a session holds a lock on t1" poll 10 grep -qs locked "$LOGDIR/blocker.out"
DATABASE_URL_DIRECT=$(url_for "$db") run_bg lk "$DBHOOK" deploy --dir "$WORK/lk" --lock-timeout-statement 0.3 >/dev/null
DPID=$!
check "the deploy says it retries" poll 20 grep -qs retrying "$LOGDIR/lk.err"
is "$(tables "$db" 5)" ttfff "while it waits: 2 applied, 3..5 not"
echo "COMMIT;" >&7
exec 7>&-
wait "$BLOCKER"
bg_result lk "$DPID"
is "$RC" 0 "lock_timeout at 3 of 5: the deploy exits 0 once the lock is free"
like "$ERR" "warning: migration \"$(mname 3)\": .*lock timeout.* \(SQLSTATE 55P03\); nothing was applied; retrying in 1 s \(attempt 2\)" \
	"the retry names migration 3"
unlike "$ERR" "migration \"$(mname 2)\": .*retrying" "migration 2 is not retried"
is "$(order "$db")" "$(mname 1) $(mname 2) $(mname 3) $(mname 4) $(mname 5)" "all applied, in order"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 5 "one row each: nothing applied or recorded twice"
is "$(admin "$db" "SELECT count(*) FROM t2")" 1 "t2 holds one row (2 ran once)"
is "$(admin "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 't1' AND column_name = 'note'")" 1 \
	"3's column exists"

# --- 6. killed at a random point of a batch ------------------------------
# Each migration sleeps a little, so the batch of 30 runs for about 3 s;
# the deploy is killed (or its session terminated) somewhere in it.
slow_series() {
	local dir=$1 i
	rm -rf "$dir"
	for ((i = 1; i <= 30; i++)); do
		mkmig "$dir" "$(mname "$i")" "CREATE TABLE t$i (id int);
SELECT pg_sleep(0.1);
INSERT INTO t$i VALUES ($i);"
	done
}
# whole DB : every migration is applied with its finished row, or neither.
whole() {
	admin "$1" "SELECT count(*) FROM generate_series(1, 30) g WHERE (to_regclass('public.t' || g) IS NOT NULL) <> EXISTS (SELECT FROM _prisma_migrations WHERE migration_name = '202401' || lpad(g::text, 2, '0') || '000000_m' || lpad(g::text, 2, '0') AND finished_at IS NOT NULL AND rolled_back_at IS NULL)"
}
active() { # active DB : dbhook's session runs a statement; its pid in BACKEND
	BACKEND=$(admin "$1" "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'dbhook/%' AND state = 'active' AND wait_event = 'PgSleep'")
	[ -n "$BACKEND" ]
}
no_session() {
	[ "$(admin "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ]
}
for how in sigkill terminate; do
	db=$(newdb)
	slow_series "$WORK/$how"
	DATABASE_URL_DIRECT=$(url_for "$db") run_bg "$how" "$DBHOOK" deploy --dir "$WORK/$how" >/dev/null
	DPID=$!
	check "$how: the batch is running" poll 20 active "$db"
	pause=$(printf "%d.%03d" $((RANDOM % 2)) $((RANDOM % 1000)))
	diag "$how after $pause s more"
	sleep "$pause"
	if [ "$how" = sigkill ]; then
		kill -9 "$DPID"
		wait "$DPID" 2>/dev/null
	else
		admin postgres "SELECT pg_terminate_backend($BACKEND)" >/dev/null
		bg_result "$how" "$DPID"
		check "$how: the deploy exits 3 (connection lost) or 0 (it had finished)" test "$RC" = 3 -o "$RC" = 0
	fi
	check "$how: the session ends" poll 15 no_session "$db"
	done_before=$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")
	diag "$how: $done_before of 30 applied when it stopped"
	is "$(whole "$db")" 0 "$how: every migration applied with its finished row, or not at all"
	is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL")" 0 \
		"$how: no failed row left"
	run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/$how"
	is "$RC" 0 "$how: the next deploy exits 0"
	is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL")" 30 \
		"$how: the next deploy completed the rest"
	is "$(whole "$db")" 0 "$how: still whole"
	is "$(admin "$db" "SELECT count(DISTINCT migration_name) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" 30 \
		"$how: none applied twice"
done

# --- 7. the lock switched off (PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK) -------
db=$(newdb)
series "$WORK/nolock" 3
run env DATABASE_URL_DIRECT="$(url_for "$db")" PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK=1 "$DBHOOK" deploy --dir "$WORK/nolock"
is "$RC" 0 "without the lock: exit 0"
like "$ERR" "PRISMA_SCHEMA_DISABLE_ADVISORY_LOCK is set: migrating without the lock" "it warns once"
is "$(grep -c 'without the lock' <<<"$ERR")" 1 "once"
unlike "$ERR" "don't own" "no server warning about a lock it never took"
is "$(tables "$db" 3)" ttt "all applied"

finish
