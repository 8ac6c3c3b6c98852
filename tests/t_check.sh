#!/usr/bin/env bash
# The safety check: `dbhook check` and the check before `deploy` and
# vercel-build apply anything.
#  1. The corpus (tests/safety/corpus): every rule, each migration checked
#     against a database with the tables empty and one with "User" past
#     the big-table threshold (1,000,000 rows) and "Team" past the warning
#     one (20,000 rows); findings compared exactly (tests/safety/expected).
#  2. `dbhook check`: exit codes, --warnings-ok, --offline, --json shape,
#     GitHub annotations (escaped), file and line.
#  3. Silencing directives: a reason is required, unknown ids reported.
#  4. Live blockers: an idle-in-transaction session holding a lock on a
#     touched table (DH401 names its pid); --safety block applies nothing.
#  5. deploy and vercel-build: findings printed, applied by default,
#     --safety block / MIGRATE_SAFETY=block refuse (exit 7; vercel-build
#     builds unless --strict), off, bad values; the report and the webhook
#     carry the check; newer syntax is applied unaffected.
#  6. The no-op path reads no file and sends no extra query.
# shellcheck disable=SC2016 # literal $X in jq programs and patterns
. "$(dirname "$0")/lib.sh"
need_db

SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
VB=${VERCEL_BUILD:-$BUILDDIR/vercel-build}
CORPUS=$SRC/tests/safety/corpus
# shellcheck source=tests/safety/dbs.sh
. "$SRC/tests/safety/dbs.sh"
trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$1"; }
findings() { # findings JSON : "RULE SEVERITY LINE, ..." or "-"
	local f
	f=$(printf '%s' "$1" | jq -r '[.findings[] | select(.silenced == null) | "\(.rule) \(.severity) \(.line)"] | join(", ")')
	printf '%s' "${f:--}"
}

# --- 1. the corpus ---------------------------------------------------------------
corpus_dbs

ncases=0
while IFS='|' read -r name want_empty want_big; do
	name=$(trim "$name")
	case $name in '' | '#'*) continue ;; esac
	want_empty=$(trim "$want_empty")
	want_big=$(trim "$want_big")
	ncases=$((ncases + 1))
	d=$WORK/corpus/$name
	migdir "$d"
	cp -r "$CORPUS/$name" "$d/20240101000000_$name"
	for which in empty big; do
		db=${!which}
		want=want_$which
		run env DATABASE_URL="$(url_for "$db")" "$DBHOOK" check --json --dir "$d"
		is "$(findings "$OUT")" "${!want}" "$name on $which tables: ${!want}"
		is "$(printf '%s' "$OUT" | jq --arg f "$d/20240101000000_$name/migration.sql" '[.findings[] | select(.file != $f)] | length')" 0 \
			"$name on $which tables: every finding names the migration's file"
	done
done <"$SRC/tests/safety/expected"
# The real-world case: Prisma's migration for a renamed field.
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --json --dir "$WORK/corpus/04_prisma_rename"
like "$(printf '%s' "$OUT" | jq -r '.findings[0].message')" '^column "name" of "User" is dropped and another added in the same migration: this is how Prisma writes a renamed field, and it discards the column.s data \(about 1,000,000 rows' \
	"DH104: says it looks like Prisma's rename, and what it discards"
like "$(printf '%s' "$OUT" | jq -r '.findings[0].fix')" 'rename the field in schema\.prisma with @map\("old_name"\)' "DH104: the fix is Prisma's @map"
is "$ncases" "$(find "$CORPUS" -mindepth 1 -maxdepth 1 -type d | wc -l)" "every corpus migration has its expected findings"
for id in $(sed -n 's/^    {"\(DH[0-9]*\)".*/\1/p' "$SRC/build-hook/safety.c"); do
	case $id in DH401 | DH404) continue ;; esac # sections 3 and 4
	like "$(cut -d'|' -f2- "$SRC/tests/safety/expected")" "$id " "the corpus covers $id"
done

# --- 2. dbhook check: output, exit codes, JSON, annotations ---------------------------
C=$WORK/c
migdir "$C"
cp -r "$CORPUS/11_index" "$C/20240101000000_index"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$C"
is "$RC" 7 "check: an error → exit 7"
like "$OUT" '^Safety check of 1 pending migration: 1 error \(with live sizes and locks from the database\)$' "check: the summary line"
like "$OUT" "^$C/20240101000000_index/migration.sql:2: error DH201 \(index-lock\): CREATE INDEX on \"User\" \(about 1,000,000 rows, [0-9]+ MB\) blocks every write to it until the index is built\$" \
	"check: file:line, severity, rule, the table and its live size"
unlike "$ERR" "this role cannot see" "check: no lock holders, no word about seeing them"
like "$OUT" '^  fix: Use CREATE INDEX CONCURRENTLY, alone in its own migration \(`prisma migrate dev --create-only`, then edit the SQL\)\.$' \
	"check: the fix names Prisma's way"
run env DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$C"
is "$RC" 0 "check: info only → exit 0"
like "$OUT" '^Safety check of 1 pending migration: 1 info ' "check: an info counts, and is shown"
rm -rf "$C" && migdir "$C" && cp -r "$CORPUS/23_unique" "$C/20240101000000_unique"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$C"
is "$RC" 6 "check: warnings only → exit 6"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$C" --warnings-ok
is "$RC" 0 "check --warnings-ok: warnings only → exit 0"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$C" --json
is "$RC" 6 "check --json: the same exit code"
is "$(printf '%s' "$OUT" | jq -c '{summary, live, offline_reason, partial_view, keys: (.findings[0] | keys)}')" \
	'{"summary":{"migrations":1,"errors":0,"warnings":1,"notes":0,"silenced":0},"live":true,"offline_reason":null,"partial_view":true,"keys":["file","fix","line","message","migration","name","rule","severity","silenced"]}' \
	"check --json: the shape (a role without pg_read_all_stats: partial_view)"
is "$(printf '%s' "$OUT" | jq -r '.findings[0] | "\(.rule) \(.name) \(.severity) \(.migration) \(.line)"')" \
	"DH201 index-lock warning 20240101000000_unique 2" "check --json: a finding's fields"
# Offline: no database, every migration of the folder, size unknown.
run env -u DATABASE_URL "$DBHOOK" check --offline --dir "$C"
is "$RC" 0 "check --offline: the whole folder, where \"Team\" is created first (exempt): exit 0"
like "$OUT" '^Safety check of 2 migrations: no findings \(offline: table sizes and locks unknown\)$' "check --offline: says it is offline"
like "$ERR" 'offline: all 2 migrations of .* are checked \(which are pending is unknown without a database\)' "check --offline: says what it checks"
O=$WORK/offline
mkdir -p "$O"
cp -r "$CORPUS/23_unique" "$O/20240101000000_unique"
run env -u DATABASE_URL "$DBHOOK" check --offline --dir "$O"
is "$RC" 6 "check --offline: a warning (size unknown) → exit 6"
like "$OUT" '^Safety check of 1 migration: 1 warning \(offline: table sizes and locks unknown\)$' "check --offline: the summary"
like "$OUT" 'CREATE UNIQUE INDEX on "Team" \(size unknown\)' "check --offline: size unknown, marked so"
like "$ERR" 'offline: the 1 migration of .* is checked \(which are pending is unknown without a database\)' "check --offline: says what it checks"
# Nothing pending: clean.
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" deploy --dir "$C" --safety off
is "$RC" 0 "deploy --safety off: applied"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$C"
is "$RC" 0 "check: nothing pending → exit 0"
like "$OUT" '^Safety check of 0 pending migrations: no findings ' "check: nothing pending, no findings"
# GitHub annotations: on the file and line, properties and message escaped.
A="$WORK/ann"
migdir "$A"
mkmig "$A" '20240101000000_a,b:c' 'ALTER TABLE "Team" ADD COLUMN "pct" INTEGER DEFAULT (random() * 100)::int;'
run env GITHUB_ACTIONS=true DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$A"
like "$OUT" "^::notice file=$A/20240101000000_a%2Cb%3Ac/migration.sql,line=1,title=DH202 table-rewrite::a default calling random\(\) on \"Team\" \(empty\) rewrites" \
	"annotation: kind, file (',' and ':' escaped), line, title, message"
run env GITHUB_ACTIONS=true DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$A" --json
unlike "$OUT" '^::' "check --json under GitHub Actions: no annotation on stdout"
like "$ERR" '^::notice file=' "check --json under GitHub Actions: annotations on stderr"
mkmig "$A" '20240101000000_a,b:c' '-- 100% sure
ALTER TABLE "Team" RENAME COLUMN "name" TO "title%";'
run env GITHUB_ACTIONS=true DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$A"
like "$OUT" '^::error file=.*,line=2,title=DH103 rename::renaming column "name" of "Team" to "title%25"' "annotation: % escaped"
# A finding quotes the file: a password in it is hidden in the text, the
# JSON and the annotations alike (run checks every byte printed).
mkmig "$A" '20240101000000_a,b:c' "ALTER TABLE \"Team\" RENAME COLUMN \"name\" TO \"$TEST_DB_PASSWORD\";"
for mode in "" --json; do
	run env GITHUB_ACTIONS=true DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$A" $mode
	like "$OUT$ERR" 'renaming column "name" of "Team" to "\*\*\*"' "a password quoted from the file is *** (check ${mode:-text})"
done
# Usage errors.
run "$DBHOOK" check --safety block
is "$RC" 2 "check --safety: not an option of check, exit 2"
run "$DBHOOK" deploy --safety maybe
is "$RC" 2 "--safety maybe: exit 2"
like "$ERR" '^dbhook: error: --safety takes warn, block or off' "--safety maybe: says the values"
run env DATABASE_URL="$(url_for "$empty")" "$DBHOOK" check --dir "$WORK/nowhere"
is "$RC" 2 "check: a missing folder → exit 2"
run "$DBHOOK" check --help
for id in $(sed -n 's/^    {"\(DH[0-9]*\)", "\([a-z-]*\)".*/\1/p' "$SRC/build-hook/safety.c"); do
	like "$OUT" "$id [a-z-]+" "check --help lists $id"
done

# --- 3. silencing -----------------------------------------------------------------------
S=$WORK/s
migdir "$S"
mkmig "$S" 20240101000000_s '-- dbhook:ignore-file DH201 built at night by the ops team
CREATE INDEX "User_score_idx" ON "User"("score");
-- dbhook:ignore DH101,DH205 the column was never used
ALTER TABLE "User" DROP COLUMN "bio";
-- dbhook:ignore DH106
ALTER TABLE "User" ALTER COLUMN "role" DROP NOT NULL;
-- dbhook:ignore DH999 no such rule
ALTER TABLE "Team" ADD COLUMN "x" INTEGER;'
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$S" --json
is "$(findings "$OUT")" "DH106 warning 6, DH404 warning 6, DH205 error 8, DH404 warning 8" \
	"silencing: the file and statement directives silence, a missing reason and an unknown id are reported"
is "$(printf '%s' "$OUT" | jq -r '[.findings[] | select(.silenced) | "\(.rule) \(.line) \(.silenced)"] | join("; ")')" \
	"DH201 2 built at night by the ops team; DH101 4 the column was never used" "silencing: the silenced findings keep their reasons"
is "$(printf '%s' "$OUT" | jq -r '.summary.silenced')" 2 "silencing: counted"
like "$(printf '%s' "$OUT" | jq -r '.findings[] | select(.rule == "DH404") | .message')" 'without a reason' "DH404: says the reason is missing"
like "$(printf '%s' "$OUT" | jq -r '.findings[] | select(.rule == "DH404") | .message')" 'unknown rule "DH999"' "DH404: names the unknown id"

# --- 4. live blockers ---------------------------------------------------------------------
B=$WORK/b
migdir "$B"
cp -r "$CORPUS/19_invalid_index" "$B/20240101000000_note"
fifo=$WORK/holder.in
mkfifo "$fifo"
# A session of another role that inserted a row into "Legacy" and went
# idle in its transaction: it holds ROW EXCLUSIVE on the table until it
# ends.
psql -X -q -A -t "${TEST_ADMIN_CONNINFO/dbname=postgres/dbname=$big}" <"$fifo" >"$WORK/holder.out" 2>&1 &
HOLDER=$!
BG_PIDS+=("$HOLDER")
exec 7>"$fifo"
echo 'BEGIN; INSERT INTO "Legacy" VALUES (1, $$x$$); SELECT pg_backend_pid() \g '"$WORK/holder.pid" >&7
poll 10 test -s "$WORK/holder.pid"
hpid=$(tr -dc 0-9 <"$WORK/holder.pid")
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$B"
like "$ERR" "this role cannot see other sessions' details: lock holders are named by pid only \\(GRANT pg_read_all_stats" \
	"check: says when a lock holder's details are hidden, and how to see them"
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" check --dir "$B" --json
like "$(printf '%s' "$OUT" | jq -r '.findings[] | select(.rule == "DH401") | "\(.severity) \(.message)"')" \
	"^warning \"Legacy\" is locked right now by pid $hpid \\(RowExclusiveLock, details hidden from this role\\)" \
	"DH401: names the pid holding a lock on the touched table (its state hidden: a warning)"
# As a superuser (pg_read_all_stats): the session's state too.
run env PGPORT="$TEST_PG_PORT" DATABASE_URL="postgresql://postgres@/$big?host=$TEST_PG_SOCK" "$DBHOOK" check --dir "$B" --json
like "$(printf '%s' "$OUT" | jq -r '.findings[] | select(.rule == "DH401") | "\(.severity) \(.message)"')" \
	"^error .*pid $hpid \\(RowExclusiveLock, idle in transaction for [0-9]+ s\\)" \
	"DH401: with pg_read_all_stats, the state and age (idle in a transaction: an error, it will not let go)"
is "$(printf '%s' "$OUT" | jq -r '.partial_view')" false "a role with pg_read_all_stats sees everything"
SU="postgresql://postgres@/$big?host=$TEST_PG_SOCK"
run env PGPORT="$TEST_PG_PORT" DATABASE_URL="$SU" "$DBHOOK" deploy --dir "$B" --safety block --timeout 20
is "$RC" 7 "deploy --safety block with a lock holder: exit 7"
like "$ERR" '^dbhook: error: the safety check found 1 error: nothing was applied \(--safety block\)$' "--safety block: says nothing was applied"
like "$ERR" '^dbhook: hint: Change the migrations as each finding.s fix says' "--safety block: the hint"
is "$(admin "$big" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240101000000_note'")" 0 "--safety block: no history row"
is "$(admin "$big" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'Legacy' AND column_name = 'note'")" 0 "--safety block: the column was not added"
# Without block the deploy waits on the lock, retries and names the holder.
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" deploy --dir "$B" --lock-timeout-statement 0.2 --timeout 4
is "$RC" 1 "deploy while the lock is held: fails after its retries"
like "$ERR" "retrying in [0-9]+ s \\(attempt 2\\); the safety check saw: \"Legacy\" is locked right now by pid $hpid" \
	"the lock retry names the pid the check saw"
# The holder's transaction has been open for seconds by now: long only
# for a limit below that (DBHOOK_LONG_TRANSACTION, default 60 s).
long_finding() { printf '%s' "$OUT" | jq -r '.findings[] | select(.rule == "DH401" and (.message | startswith("transactions open for long"))) | "\(.severity) \(.message)"'; }
run env PGPORT="$TEST_PG_PORT" DATABASE_URL="$SU" DBHOOK_LONG_TRANSACTION=1 "$DBHOOK" check --dir "$B" --json
like "$(long_finding)" "^warning transactions open for long right now: pid $hpid \\(idle in transaction for [0-9]+ s\\)$" \
	"DBHOOK_LONG_TRANSACTION=1: the open transaction is DH401, with its pid, state and age"
run env PGPORT="$TEST_PG_PORT" DATABASE_URL="$SU" DBHOOK_LONG_TRANSACTION=3600 "$DBHOOK" check --dir "$B" --json
is "$(long_finding)" "" "DBHOOK_LONG_TRANSACTION=3600: a transaction open for seconds is not long"
run env PGPORT="$TEST_PG_PORT" DATABASE_URL="$SU" DBHOOK_LONG_TRANSACTION=soon "$DBHOOK" check --dir "$B" --json
like "$ERR" '^dbhook: warning: DBHOOK_LONG_TRANSACTION is not a number of seconds from 1 to 86400; the default, 60 s, applies$' \
	"DBHOOK_LONG_TRANSACTION=soon: a warning naming the variable, the default applies"
is "$(printf '%s' "$OUT" | jq -r '.summary | type')" object "DBHOOK_LONG_TRANSACTION=soon: the check still runs"
echo 'ROLLBACK;' >&7
exec 7>&-
wait "$HOLDER" 2>/dev/null
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" deploy --dir "$B"
is "$RC" 0 "the holder gone: deploy applies"

# --- 5. deploy and vercel-build ------------------------------------------------------------
db=$(schema_db)
as_app "$db" 'INSERT INTO "User" (name, email) VALUES ($$a$$, NULL)'
D=$WORK/d
migdir "$D"
cp -r "$CORPUS/14_set_not_null_nulls" "$D/20240101000000_email_required"
run env DATABASE_URL="$(url_for "$db")" "$DBHOOK" deploy --dir "$D" --safety block
is "$RC" 7 "deploy --safety block: a certain failure (DH301) → exit 7"
like "$OUT" "^$D/20240101000000_email_required/migration.sql:2: error DH301 \\(will-fail\\): column \"email\" of \"User\" has NULLs right now" \
	"deploy: the finding is printed before anything is applied"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 1 "--safety block: no history row (the init migration's only)"
run env DATABASE_URL="$(url_for "$db")" MIGRATE_SAFETY=block "$DBHOOK" deploy --dir "$D"
is "$RC" 7 "MIGRATE_SAFETY=block: the same"
run env DATABASE_URL="$(url_for "$db")" MIGRATE_SAFETY=nope "$DBHOOK" deploy --dir "$D" --dry-run
like "$ERR" '^dbhook: warning: MIGRATE_SAFETY is not warn, block or off; warn applies$' "MIGRATE_SAFETY=nope: a warning naming the variable"
is "$RC" 0 "MIGRATE_SAFETY=nope: warn applies (the dry run goes on)"
like "$OUT" 'error DH301' "dry run: the check runs"
run env DATABASE_URL="$(url_for "$db")" "$DBHOOK" deploy --dir "$D" --safety off
unlike "$OUT$ERR" 'Safety check|DH301' "--safety off: no check"
is "$RC" 1 "--safety off: applied, and it failed as DH301 said"
like "$ERR" 'column "email" of relation "User" contains null values' "the failure DH301 foretold"
# vercel-build: block refuses, the build goes on; --strict fails it.
admin "$db" "DELETE FROM _prisma_migrations WHERE migration_name <> '$INIT'" >/dev/null
hook() { run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$(url_for "$db")" "$@"; }
start_httpd '{"POST /hook": [{"status": 200, "raw": "ok"}, {"status": 200, "raw": "ok"}]}' "$WORK/httpd"
BG_PIDS+=("$HTTPD_PID")
hook MIGRATE_SAFETY=block MIGRATE_NOTIFY_URL="http://127.0.0.1:$HTTPD_PORT/hook" "$VB" --dir "$D" --report "$WORK/report.json" -- sh -c 'echo build ran'
is "$RC" 0 "vercel-build, block: exit 0 (the build goes on)"
like "$OUT" '^build ran$' "vercel-build, block: handed off"
like "$OUT$ERR" 'error DH301 \(will-fail\)' "vercel-build: the finding in the build log"
like "$ERR" 'the safety check found 1 error: nothing was applied' "vercel-build: says nothing was applied"
is "$(jq -r '.safety.summary.errors, .safety.findings[0].rule, .error.exit_code' "$WORK/report.json" | tr '\n' ' ')" "1 DH301 7 " \
	"the run report carries the check and exit code 7"
is "$(jq -r '.body | fromjson | .safety.findings[0].rule' "$HTTPD_REQS" 2>/dev/null | head -n1)" DH301 "the webhook carries the findings"
like "$(jq -r '.body | fromjson | .text' "$HTTPD_REQS" 2>/dev/null | head -n1)" 'Safety check: 1 error\.$' "the webhook's text names the counts"
hook MIGRATE_SAFETY=block "$VB" --strict --dir "$D" -- sh -c 'echo build ran'
is "$RC" 7 "vercel-build --strict, block: exit 7"
unlike "$OUT" 'build ran' "vercel-build --strict, block: no build"
# Newer syntax: not analysed, applied as written.
N=$WORK/newer
ndb=$(newdb)
mkmig "$N" 20240101000000_t 'CREATE TABLE t (id int);'
mkmig "$N" 20240102000000_u 'ALTER TABLE t ADD COLUMN v int;
UPDATE t SET v = 0x1F;'
run env DATABASE_URL="$(url_for "$ndb")" "$DBHOOK" deploy --dir "$N" --safety block
like "$OUT" '20240102000000_u/migration.sql:2: info DH402 \(not-analysed\)' "newer syntax: DH402, info"
# PostgreSQL 15 itself rejects 0x1F: the migration fails as the server says.
is "$RC" 1 "newer syntax: applied (the server decides), not blocked"
like "$ERR" 'trailing junk after numeric literal' "newer syntax: the server's own error, not the check's"

# --- 6. the no-op path ---------------------------------------------------------------------------
run env DATABASE_URL="$(url_for "$big")" "$DBHOOK" deploy --dir "$B"
is "$RC" 0 "no-op deploy: exit 0"
unlike "$OUT$ERR" 'Safety check' "no-op deploy: no check (nothing pending)"

finish
