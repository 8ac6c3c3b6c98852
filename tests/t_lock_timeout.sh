#!/usr/bin/env bash
# Waiting for locks: the migration lock (72707369) held by another session,
# and a table lock held by a long transaction that a migration needs.
. "$(dirname "$0")/lib.sh"
need_db

sql_is() { # sql_is DB SQL WANT : succeeds when the query prints WANT
	[ "$(admin "$1" "$2" 2>/dev/null)" = "$3" ]
}

# A session of the app user, fed through a pipe so the test decides when
# it ends: session_start NAME DB APPNAME opens it on fd 7 (lock holder) or
# 8 (table blocker); the password goes through the environment only.
session_start() { # session_start FD DB APPNAME
	local fd=$1 fifo="$WORK/session$1.in"
	rm -f "$fifo"
	mkfifo "$fifo"
	PGPASSWORD=$TEST_DB_PASSWORD PGAPPNAME=$3 psql -X -q -h 127.0.0.1 \
		-p "$TEST_PG_PORT" -U "$TEST_DB_USER" -d "$2" \
		<"$fifo" >"$LOGDIR/session$fd.out" 2>&1 &
	SESSION_PID[$fd]=$!
	eval "exec $fd>\"\$fifo\""
}
session_send() { # session_send FD SQL (a psql that quit is no SIGPIPE here)
	(
		trap '' PIPE
		printf '%s\n' "$2" >&"$1"
	)
}
session_end() { # session_end FD : closes its input; psql quits, the session ends
	eval "exec $1>&-"
	wait "${SESSION_PID[$1]}" 2>/dev/null
}
declare -a SESSION_PID
alive() { # alive PID : the process runs (a zombie counts as ended)
	local st
	st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]
}

# The pid of the session holding the migration lock in DB, or nothing.
lock_holder() {
	admin "$1" "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = 72707369 AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
has_table() { # has_table DB NAME : prints t or f
	admin "$1" "SELECT to_regclass('public.$2') IS NOT NULL"
}

# --- 1. The migration lock held elsewhere ------------------------------
db=$(newdb)
URL=$(url_for "$db")
mkmig "$WORK/m" 20240401000001_widgets "CREATE TABLE widgets (id int);
"
session_start 7 "$db" lock-holder-test
session_send 7 "SELECT pg_advisory_lock(72707369);"
if poll 15 sql_is "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 72707369 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" 1; then
	ok 0 "the holder session took the migration lock"
else
	ok 1 "the holder session took the migration lock"
	sed 's/^/#   | /' "$LOGDIR/session7.out"
fi
HOLDER=$(lock_holder "$db")

ms_since() { # ms_since EPOCHREALTIME : milliseconds elapsed
	echo $(( (${EPOCHREALTIME/./} - ${1/./}) / 1000 ))
}
t0=$EPOCHREALTIME
DATABASE_URL_DIRECT=$URL run_bg held "$DBHOOK" deploy --dir "$WORK/m" --lock-timeout 2 >/dev/null
DEPLOY_PID=$!
# The wait starts when the first try fails, which it reports at once.
tw=
for _ in $(seq 1 1500); do
	if grep -q '^Waiting for the migration lock' "$LOGDIR/held.out"; then
		tw=$EPOCHREALTIME
		break
	fi
	alive "$DEPLOY_PID" || break
	sleep 0.02
done
bg_result held "$DEPLOY_PID"
total_ms=$(ms_since "$t0")
wait_ms=$(ms_since "${tw:-$t0}")
is "$RC" 3 "deploy while the lock is held elsewhere exits 3 after --lock-timeout"
check "it waited the whole --lock-timeout 2 (ran ${total_ms} ms)" test "$total_ms" -ge 2000
# It gives up at --lock-timeout, not a whole back-off step later: the last
# pause is cut to the time left. (The sleeps alone of a back-off that grows
# past 1 s, 0.05+0.1+0.2+0.4+0.8+1.6, already exceed 3.1 s; the 1.1 s above
# --lock-timeout is slack for a slow, loaded machine.)
check "it gave up at --lock-timeout (waited ${wait_ms} ms after its first try, want < 3100)" \
	test -n "$tw" -a "$wait_ms" -lt 3100
like "$OUT" "^Waiting for the migration lock \(held by pid $HOLDER, application_name \"lock-holder-test\", user \"$TEST_DB_USER\"" \
	"stdout: it says it waits, naming the holder's pid, application_name and user"
like "$ERR" '^dbhook: error: timed out after 2 s waiting for the migration lock$' \
	"stderr: the error names the timeout"
like "$ERR" "^dbhook: detail: Advisory lock 72707369 is held by pid $HOLDER, application_name \"lock-holder-test\"" \
	"stderr: the detail names the lock, the holder's pid and application_name"
like "$ERR" "^dbhook: hint: .*raise --lock-timeout.*end it with: SELECT pg_terminate_backend\\($HOLDER\\);\$" \
	"stderr: the hint gives the command with the holder's real pid"
unlike "$OUT" 'Applied migration' "nothing was attempted"
is "$(has_table "$db" widgets)" f "the pending migration was not applied"
is "$(has_table "$db" _prisma_migrations)" f \
	"nothing was written: the history table is created under the lock only"
is "$(lock_holder "$db")" "$HOLDER" "the holder still holds the lock"

# Advisory locks are per database: a lock held in $db does not block a
# deploy of another database.
db2=$(newdb)
DATABASE_URL_DIRECT=$(url_for "$db2") run "$DBHOOK" deploy --dir "$WORK/m" --lock-timeout 2
is "$RC" 0 "the lock held in another database does not block this deploy"
unlike "$OUT" 'Waiting for the migration lock' "it did not wait"
is "$(rows "$db2")" "20240401000001_widgets|true|false" "it applied the migration there"

# The holder goes away: the next deploy applies the migration once.
kill "${SESSION_PID[7]}"
session_end 7
check "the killed holder's lock is released" poll 15 sql_is "$db" \
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" 0
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/m" --lock-timeout 2
is "$RC" 0 "deploy after the holder is gone exits 0"
unlike "$OUT" 'Waiting for the migration lock' "it did not wait"
like "$OUT" '^All migrations have been successfully applied\.$' "it applied the migration"
is "$(rows "$db")" "20240401000001_widgets|true|false" "applied exactly once"
is "$(has_table "$db" widgets)" t "the table exists"
is "$(lock_holder "$db")" "" "the deploy released the migration lock"

# --- 2. A table lock held by a long transaction ------------------------
db=$(newdb)
URL=$(url_for "$db")
A1=20240401000001_accounts
A2=20240401000002_note
mkmig "$WORK/t" $A1 "CREATE TABLE accounts (id int PRIMARY KEY);
"
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/t"
is "$RC" 0 "the first migration (accounts) is applied"
mkmig "$WORK/t" $A2 "ALTER TABLE accounts ADD COLUMN note text;
"

# blocker_start DB : a transaction holding ACCESS SHARE on accounts, as a
# long report query would, until blocker_end.
blocker_start() {
	session_start 8 "$1" table-blocker-test
	session_send 8 "BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE;"
	if poll 15 sql_is "$1" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'table-blocker-test' AND l.relation = 'accounts'::regclass AND l.mode = 'AccessShareLock' AND l.granted" 1; then
		ok 0 "a long transaction holds a lock on accounts"
	else
		ok 1 "a long transaction holds a lock on accounts"
		sed 's/^/#   | /' "$LOGDIR/session8.out"
	fi
}
blocker_end() {
	session_send 8 "COMMIT;"
	session_end 8
}
has_note() { # has_note DB : prints 1 when accounts.note exists
	admin "$1" "SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'note' AND NOT attisdropped"
}
stderr_has() { # stderr_has NAME REGEX : the background run's stderr matches
	grep -Eq -- "$2" "$LOGDIR/$1.err"
}
retrying_or_ended() { # the deploy said it retries, or it ended
	stderr_has retry 'retrying' || ! alive "$DEPLOY_PID"
}

# 2a. The blocker ends while dbhook retries: the migration then succeeds.
blocker_start "$db"
DATABASE_URL_DIRECT=$URL run_bg retry "$DBHOOK" deploy --dir "$WORK/t" \
	--lock-timeout-statement 0.5 >/dev/null
DEPLOY_PID=$!
poll 20 retrying_or_ended
check "the migration hits the statement lock_timeout and dbhook says it retries" \
	stderr_has retry 'retrying'
is "$(has_note "$db")" 0 "while blocked, the column does not exist"
blocker_end
bg_result retry "$DEPLOY_PID"
is "$RC" 0 "the deploy succeeds once the blocking transaction ends"
like "$ERR" "^dbhook: warning: migration \"$A2\": .*lock timeout.* \(SQLSTATE 55P03\); nothing was applied; retrying in [0-9]+ s \(attempt 2\)" \
	"stderr: a warning with SQLSTATE 55P03 says nothing was applied and it retries"
unlike "$ERR" 'error:' "no error printed"
like "$OUT" "Applied migration \`$A2\`" "stdout lists the migration as applied"
is "$(has_note "$db")" 1 "the column exists"
is "$(rows "$db")" "$A1|true|false
$A2|true|false" "history: one applied row for it, no failed or rolled-back row (retries add no rows)"

# 2b. The blocker outlasts the retries (--timeout 3): the migration fails,
# nothing of it is applied, the attempt is recorded as rolled back.
db=$(newdb)
URL=$(url_for "$db")
rm -rf "$WORK/t/$A2"
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/t"
is "$RC" 0 "second database: accounts is applied"
mkmig "$WORK/t" $A2 "ALTER TABLE accounts ADD COLUMN note text;
"
blocker_start "$db"
t0=$EPOCHREALTIME
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/t" --timeout 3 --lock-timeout-statement 0.5
elapsed_ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
is "$RC" 1 "blocked beyond --timeout: the deploy exits 1"
check "it gave up within the --timeout budget, not after every retry (took ${elapsed_ms} ms)" \
	test "$elapsed_ms" -lt 8000
like "$ERR" 'retrying' "it retried before giving up"
like "$ERR" "^dbhook: error: migration \"$A2\" failed: .*lock timeout" \
	"stderr: the error names the migration and the lock timeout"
like "$ERR" "^dbhook: detail: at .*$A2/migration.sql.*\(SQLSTATE 55P03\)" \
	"stderr: the detail names the file and SQLSTATE 55P03"
like "$ERR" '^dbhook: hint: Another transaction held a lock this migration needs\. Nothing was applied\..*--lock-timeout-statement' \
	"stderr: the hint explains and says what to do"
is "$(has_note "$db")" 0 "the column does not exist"
is "$(rows "$db")" "$A1|true|false
$A2|false|true" "history: the failed attempt is one row with rolled_back_at set"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL")" 0 \
	"no failed (dirty) row"
like "$(admin "$db" "SELECT logs FROM _prisma_migrations WHERE migration_name = '$A2'")" '55P03' \
	"the attempt's logs name SQLSTATE 55P03"

blocker_end
DATABASE_URL_DIRECT=$URL run "$DBHOOK" deploy --dir "$WORK/t"
is "$RC" 0 "after the blocker ends, a plain deploy exits 0"
like "$OUT" "Applied migration \`$A2\`" "it applied the migration"
is "$(has_note "$db")" 1 "the column exists"
is "$(rows "$db")" "$A1|true|false
$A2|false|true
$A2|true|false" "history: the old attempt, then one applied row"

finish
