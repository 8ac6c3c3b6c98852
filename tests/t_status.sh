#!/usr/bin/env bash
# status: every state, its wording and its exit code, text and JSON.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db")
M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'
mkmig "$M" 20240102000000_two 'CREATE TABLE two (id int);'
mkmig "$M" 20240103000000_three 'CREATE TABLE three (id int);'

json_field() { # json_field JSON JQ-FILTER
	printf '%s' "$1" | jq -r "$2"
}

# A fresh database: everything pending, no table.
run "$DBHOOK" status --dir "$M"
is "$RC" 4 "fresh database: status exits 4 (pending)"
like "$OUT" 'has no migration history \(_prisma_migrations\)\.$' "says there is no history"
like "$OUT" '^Not yet applied:' "pending section"
like "$OUT" '^  20240103000000_three$' "pending migration listed"
like "$OUT" '^3 migrations are pending; run `dbhook deploy --dir '"$WORK/m"'` to apply\.$' "pending verdict"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename = '_prisma_migrations'")" 0 \
	"status created nothing"

run "$DBHOOK" status --json --dir "$M"
is "$RC" 4 "status --json exits 4 too"
is "$(json_field "$OUT" '.exit_code')" 4 "JSON exit_code"
is "$(json_field "$OUT" '.counts.pending')" 3 "JSON counts pending"
is "$(json_field "$OUT" '.history_table')" false "JSON history_table false"
is "$(json_field "$OUT" '.migrations[0].state')" pending "JSON per-migration state"
unlike "$OUT" 'Datasource' "JSON output is pure JSON"

# In GitHub Actions an error's annotation goes to stderr: stdout stays JSON.
run env GITHUB_ACTIONS=true DATABASE_URL_DIRECT="$(url_for "$db" 1)" "$DBHOOK" status --json --dir "$M" --unreachable-timeout 1
is "$RC" 3 "status --json, unreachable, in GitHub Actions: exit 3"
is "$(json_field "$OUT" '.error.exit_code')" 3 "stdout is only the JSON (it parses)"
like "$ERR" '^::error title=dbhook::' "the ::error annotation is on stderr"

# Up to date.
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy"
run "$DBHOOK" status --dir "$M"
is "$RC" 0 "up to date: exit 0"
like "$OUT" '^Database schema is up to date! \(3 applied\)$' "up-to-date wording"
run "$DBHOOK" status --json --dir "$M"
is "$(json_field "$OUT" '.counts.applied')" 3 "JSON counts applied"
like "$(json_field "$OUT" '.migrations[0].started_at')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$' \
	"JSON timestamps are ISO 8601 in UTC"
like "$(json_field "$OUT" '.migrations[0].finished_at')" 'Z$' "finished_at too"
is "$(json_field "$OUT" '.migrations[1].checksum_applied == .migrations[1].checksum_local')" true \
	"JSON shows both checksums"

# Pending.
mkmig "$M" 20240104000000_four 'CREATE TABLE four (id int);'
run "$DBHOOK" status --dir "$M"
is "$RC" 4 "one pending: exit 4"
like "$OUT" '^1 migration is pending' "singular wording"

# CRLF checkout of an applied file is not a modification.
sed -i 's/$/\r/' "$M/20240101000000_one/migration.sql"
run "$DBHOOK" status --dir "$M"
is "$RC" 4 "CRLF-converted applied file is still unchanged (exit stays 4)"
unlike "$OUT" 'Modified' "no modified finding for line ends"

# Modified.
echo 'CREATE TABLE two_b (id int);' >>"$M/20240102000000_two/migration.sql"
run "$DBHOOK" status --dir "$M"
is "$RC" 5 "modified: exit 5 (wins over pending)"
like "$OUT" '^Modified since they were applied' "modified section"
like "$OUT" '^  20240102000000_two \(applied [0-9a-f]{64}, now [0-9a-f]{64}\)$' "shows both checksums"
like "$OUT" 'needs attention: 0 failed, 1 modified, 0 missing locally, 1 pending' "verdict counts"
run "$DBHOOK" status --json --dir "$M"
is "$(json_field "$OUT" '.migrations[] | select(.name == "20240102000000_two") | .state')" modified "JSON modified"
printf 'CREATE TABLE two (id int);\n' >"$M/20240102000000_two/migration.sql"

# migration.sql of an applied migration deleted.
mv "$M/20240103000000_three/migration.sql" "$WORK/three.sql"
run "$DBHOOK" status --dir "$M"
is "$RC" 5 "applied migration without its file: exit 5"
like "$OUT" '^  20240103000000_three \(migration.sql is missing\)$' "missing file named"
mv "$WORK/three.sql" "$M/20240103000000_three/migration.sql"

# Missing locally.
mv "$M/20240103000000_three" "$WORK/"
run "$DBHOOK" status --dir "$M"
is "$RC" 5 "applied but missing locally: exit 5"
like "$OUT" '^Applied in the database but missing from this folder:' "missing section"
like "$OUT" '^  20240103000000_three$' "missing one listed"
mv "$WORK/20240103000000_three" "$M/"

# Failed (a row as Prisma leaves it).
admin "$db" "INSERT INTO _prisma_migrations (id, checksum, migration_name, logs) VALUES ('00000000-0000-4000-8000-000000000001', 'x', '20240104000000_four', 'A migration failed to apply.

Migration name: 20240104000000_four

Database error code: 42P01

Database error:
relation \"nope\" does not exist')" >/dev/null
run "$DBHOOK" status --dir "$M"
is "$RC" 5 "failed: exit 5"
like "$OUT" '^Failed migrations \(they block deploys' "failed section"
like "$OUT" '^  20240104000000_four \(started .*\): relation "nope" does not exist$' "failed one with its error"
run "$DBHOOK" status --json --dir "$M"
is "$(json_field "$OUT" '.counts.failed')" 1 "JSON counts failed"

# A rolled-back attempt alone is pending, not failed.
admin "$db" "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240104000000_four'" >/dev/null
run "$DBHOOK" status --dir "$M"
is "$RC" 4 "rolled-back attempt: pending again (exit 4)"
like "$OUT" '^  20240104000000_four \(its last attempt was rolled back: the next deploy applies it again\)$' \
	"a rolled-back attempt has its own state in the text"
like "$OUT" '^1 migration is pending; ' "and counts as to apply"
run "$DBHOOK" status --json --dir "$M"
is "$(json_field "$OUT" '[.migrations[] | select(.name == "20240104000000_four") | .state] | .[0]')" rolled_back \
	"JSON: state rolled_back"
is "$(json_field "$OUT" '.counts.rolled_back'):$(json_field "$OUT" '.counts.pending')" 1:0 "JSON counts: rolled_back 1, pending 0"
# One plan: the hook's dry run lists the same migration as to apply.
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$DATABASE_URL_DIRECT" "$VERCEL_BUILD" --dry-run --dir "$M" -- true
like "$OUT" '^vercel-build: 1 pending migration:$' "dry run: the same count"
like "$OUT" '^  20240104000000_four$' "dry run: the same migration"
run "$DBHOOK" deploy --dir "$M"
like "$OUT" '^Applied migration `20240104000000_four` \([0-9]+ ms\)$' "deploy applies it again"
run "$DBHOOK" status --dir "$M"
is "$RC" 0 "then it is applied"

# A database with tables but no history.
db2=$(newdb)
admin "$db2" "CREATE TABLE legacy (id int)" >/dev/null
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" status --dir "$M"
is "$RC" 4 "untracked database: exit 4"
like "$OUT" 'already holds tables: deploy will refuse it until you baseline' "says deploy will refuse it"

# A DBHOOK_HEARTBEAT that is not a number of seconds: a warning, the default.
run env DBHOOK_HEARTBEAT=often DBHOOK_API_TIMEOUT=-3 "$DBHOOK" status --dir "$WORK/nope"
like "$ERR" '^dbhook: warning: DBHOOK_HEARTBEAT is not a number of seconds from 0\.1 to 3600; the default, 10 s, applies$' \
	"bad DBHOOK_HEARTBEAT: a warning naming the variable and the default"
like "$ERR" '^dbhook: warning: DBHOOK_API_TIMEOUT is not a number of seconds from 0\.1 to 86400; the default, 10 s, applies$' \
	"bad DBHOOK_API_TIMEOUT: the same warning (it used to be ignored silently)"
lacks "$ERR" "often" "bad DBHOOK_HEARTBEAT: its value is not echoed"

# No folder.
run "$DBHOOK" status --dir "$WORK/nope"
is "$RC" 2 "missing folder: exit 2"

# --json when the database cannot be reached: stdout is still JSON.
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run env DATABASE_URL_DIRECT="$(url_for nodb "$closed")" "$DBHOOK" status --json --dir "$M" --timeout 0.5
is "$RC" 3 "status --json, database down: exit 3"
is "$(json_field "$OUT" '.error.exit_code')" 3 "stdout: a JSON object with the exit code"
like "$(json_field "$OUT" '.error.message')" '^cannot connect to the database at 127\.0\.0\.1:' "and the message"
like "$(json_field "$OUT" '.error.hint')" 'Nothing accepts connections there' "and the hint"
like "$ERR" '^dbhook: error: cannot connect' "stderr keeps the error lines"
# --timeout 0 is no limit: a refusing host is still given up on after
# --unreachable-timeout (default 20 s), as vercel-build does.
t0=$SECONDS
run env DATABASE_URL_DIRECT="$(url_for nodb "$closed")" "$DBHOOK" status --dir "$M" --timeout 0 --unreachable-timeout 1.5
is "$RC" 3 "status --timeout 0 --unreachable-timeout 1.5, host refuses: exit 3"
like "$ERR" '^dbhook: detail: Gave up after 1.5 s: the host refuses, does not resolve or cannot be reached \(--unreachable-timeout\)\.$' \
	"status: gave up on the refusing host after --unreachable-timeout although --timeout is 0 (no limit)"
check "status: within 6 s" [ $((SECONDS - t0)) -lt 6 ]
run env DATABASE_URL_DIRECT="not a url $TEST_DB_PASSWORD" "$DBHOOK" status --json --dir "$M"
is "$RC" 2 "status --json, unreadable URL: exit 2"
is "$(json_field "$OUT" '.error.exit_code')" 2 "stdout: the JSON error (and, as everywhere, no password)"

finish
