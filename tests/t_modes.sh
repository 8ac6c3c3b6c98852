#!/usr/bin/env bash
# Files that cannot run in dbhook's single transaction, line ends, edited
# migrations, bad files, P3005 and --baseline.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db")
M=$WORK/m
mkmig "$M" 20240101000000_table 'CREATE TABLE items (id int, name text);'
mkmig "$M" 20240102000000_concurrent_index 'CREATE INDEX CONCURRENTLY items_name_idx ON items (name);'
mkmig "$M" 20240103000000_own_transaction 'BEGIN;
CREATE TABLE own_a (id int);
CREATE TABLE own_b (id int);
COMMIT;'
printf 'CREATE TABLE crlf_t (id int);\r\nINSERT INTO crlf_t VALUES (1);\r\n' >"$WORK/crlf.sql"
mkdir -p "$M/20240104000000_crlf" && cp "$WORK/crlf.sql" "$M/20240104000000_crlf/migration.sql"

run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy with CIC, own BEGIN/COMMIT and CRLF exits 0"
like "$ERR" 'note: ".*20240102000000_concurrent_index/migration.sql" cannot run inside a transaction block; running it as Prisma does' \
	"CREATE INDEX CONCURRENTLY falls back to Prisma's sequence, with a note"
like "$ERR" 'note: ".*20240103000000_own_transaction/migration.sql" has its own BEGIN \(line 1\)' \
	"a file with its own BEGIN runs as Prisma runs it, with a note"
is "$(admin "$db" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name_idx'::regclass")" t \
	"the concurrent index exists and is valid"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename IN ('own_a', 'own_b', 'crlf_t')")" 3 \
	"own-transaction and CRLF tables exist"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL AND applied_steps_count = 1")" 4 \
	"4 applied rows"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 4 "no extra rows (the fallback left no attempt row)"
is "$(admin "$db" "SELECT checksum FROM _prisma_migrations WHERE migration_name = '20240104000000_crlf'")" \
	"$(sha256sum "$WORK/crlf.sql" | cut -d' ' -f1)" "CRLF file: checksum of its raw bytes"

# The CRLF file checked out with LF later: not a modification.
tr -d '\r' <"$WORK/crlf.sql" >"$M/20240104000000_crlf/migration.sql"
mkmig "$M" 20240104100000_pending_a 'CREATE TABLE pending_a (id int);'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy after an LF checkout of a CRLF migration"
unlike "$ERR" 'modified' "line ends alone are not a modification"

# An edited applied migration: nothing runs; the no-op path reads no file
# (it costs one query), the next deploy with work to do warns.
echo 'CREATE TABLE sneaky (id int);' >>"$M/20240101000000_table/migration.sql"
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "no-op deploy with an edited applied migration exits 0"
like "$OUT" 'No pending migrations to apply' "and has nothing to do"
mkmig "$M" 20240104200000_pending_b 'CREATE TABLE pending_b (id int);'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy with an edited applied migration still exits 0"
like "$ERR" '^dbhook: warning: migration "20240101000000_table" was modified after it was applied' \
	"warning names the edited migration"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename = 'sneaky'")" 0 "the edit is not applied"

# A file with its own transaction that fails: Prisma's failed row, P3009.
mkmig "$M" 20240105000000_own_fails 'BEGIN;
CREATE TABLE fails_a (id int);
COMMIT;
INSERT INTO no_such_table VALUES (1);'
mkmig "$M" 20240106000000_after 'CREATE TABLE after_t (id int);'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "own-transaction failure: exit 1"
like "$ERR" 'relation "no_such_table" does not exist' "server error shown"
like "$ERR" 'migration.sql:4:13 \(SQLSTATE 42P01\)' "position in the file"
like "$ERR" 'hint: This migration ran outside a transaction, so part of it may be applied' \
	"hint says part of it may be applied"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename = 'fails_a'")" 1 "its committed part remains"
is "$(rows "$db" | grep 20240105000000_own_fails)" "20240105000000_own_fails|false|false" \
	"a failed row as Prisma leaves it"
like "$(admin "$db" "SELECT logs FROM _prisma_migrations WHERE migration_name = '20240105000000_own_fails'")" \
	'no_such_table' "its logs hold the error"
run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "next deploy is blocked: exit 1"
like "$ERR" 'error: migration "20240105000000_own_fails" failed earlier and blocks new migrations' "P3009 message"
like "$ERR" 'resolve --rolled-back "20240105000000_own_fails"' "hint gives the resolve command"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename = 'after_t'")" 0 "nothing after it was applied"
# Two failed rows, the older one stored last: the refusal names the older
# first, whatever order the server returns the rows in.
admin "$db" "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
	VALUES ('x-older', 'c', '20240104000000_older_fail', now() - interval '1 day', 0)" >/dev/null
run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "two failed rows: exit 1"
like "$ERR" 'error: migration "20240104000000_older_fail" failed earlier and blocks new migrations' \
	"two failed rows: the older one is named"
is "$(printf '%s\n' "$ERR" | grep -o 'The migration "[^"]*" started at' | tr '\n' '|')" \
	'The migration "20240104000000_older_fail" started at|The migration "20240105000000_own_fails" started at|' \
	"two failed rows: both listed, oldest first"
admin "$db" "DELETE FROM _prisma_migrations WHERE id = 'x-older'" >/dev/null

# Bad files: refused before anything changes.
db2=$(newdb)
M2=$WORK/m2
mkmig "$M2" 20240101000000_ok 'CREATE TABLE ok_t (id int);'
mkdir -p "$M2/20240102000000_empty" && : >"$M2/20240102000000_empty/migration.sql"
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" deploy --dir "$M2"
is "$RC" 2 "an empty migration file: exit 2"
like "$ERR" 'error: migration "20240102000000_empty" is empty' "empty file named"
like "$ERR" 'hint: Write the migration.s SQL into the file' "empty file: hint"
is "$(admin "$db2" "SELECT count(*) FROM pg_tables WHERE tablename IN ('ok_t', '_prisma_migrations')")" 0 \
	"nothing applied, not even the good one before it, no history table"
printf -- '-- nothing to do\n' >"$M2/20240102000000_empty/migration.sql"
printf "INSERT INTO ok_t VALUES (1); -- caf\xe9\n" >"$M2/20240103000000_latin1.sql" # a file: ignored
mkdir -p "$M2/20240103000000_latin1"
printf "CREATE TABLE l1 (name text DEFAULT 'caf\xe9');\n" >"$M2/20240103000000_latin1/migration.sql"
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" deploy --dir "$M2"
is "$RC" 2 "invalid UTF-8: exit 2"
like "$ERR" 'is not valid UTF-8' "invalid UTF-8 named"
like "$ERR" 'line 1, column 40 \(byte offset 39\)' "its position"
rm -r "$M2/20240103000000_latin1"
printf 'CREATE TABLE open_c (id int); /* never closed\n' >"$WORK/open.sql"
mkdir -p "$M2/20240104000000_open" && cp "$WORK/open.sql" "$M2/20240104000000_open/migration.sql"
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" deploy --dir "$M2"
is "$RC" 2 "file ending inside a comment: exit 2"
rm -r "$M2/20240104000000_open"
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" deploy --dir "$M2"
is "$RC" 0 "comment-only migration is applied on purpose"
is "$(admin "$db2" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" 2 "both recorded"

# P3005 and --baseline.
db3=$(newdb)
admin "$db3" "CREATE TABLE items (id int, name text)" >/dev/null
export DATABASE_URL_DIRECT=$(url_for "$db3")
M3=$WORK/m3
mkmig "$M3" 20240101000000_items 'CREATE TABLE items (id int, name text);'
mkmig "$M3" 20240102000000_more 'CREATE TABLE more (id int);'
run "$DBHOOK" deploy --dir "$M3"
is "$RC" 2 "non-empty database without history: exit 2"
like "$ERR" 'error: schema "public" is not empty and has no migration history' "P3005 message"
like "$ERR" 'P3005' "names Prisma's code"
like "$ERR" 'hint: Baseline it: .*--baseline NAME' "hint: --baseline"
is "$(admin "$db3" "SELECT count(*) FROM pg_tables WHERE tablename IN ('_prisma_migrations', 'more')")" 0 \
	"nothing created"
run "$DBHOOK" deploy --dir "$M3" --baseline 20240199999999_nope
is "$RC" 2 "--baseline with an unknown name: exit 2"
like "$ERR" '--baseline: no migration "20240199999999_nope"' "unknown baseline named"
run "$DBHOOK" deploy --dir "$M3" --baseline 20240101000000_items
is "$RC" 0 "--baseline: exit 0"
like "$OUT" 'Baselined migration `20240101000000_items` \(recorded as applied, not run\)' "baseline line"
like "$OUT" 'Applied migration `20240102000000_more`' "later migrations applied"
is "$(admin "$db3" "SELECT logs = '' AND started_at = finished_at AND applied_steps_count = 0 FROM _prisma_migrations WHERE migration_name = '20240101000000_items'")" \
	t "baselined row as Prisma's resolve --applied writes it"
is "$(admin "$db3" "SELECT count(*) FROM pg_tables WHERE tablename = 'more'")" 1 "the rest ran"
run "$DBHOOK" status --dir "$M3"
is "$RC" 0 "status after baseline: up to date"

finish
