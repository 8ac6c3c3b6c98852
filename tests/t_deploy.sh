#!/usr/bin/env bash
# deploy: from empty, incremental, the one-query no-op; the history table
# exactly as Prisma keeps it.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db")
M=$WORK/migrations
cp -r "$SRCDIR/migrations" "$M"

run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy from empty exits 0"
like "$OUT" '^5 migrations found in ' "counts the migrations"
is "$(printf '%s\n' "$OUT" | grep -c '^Applied migration `')" 5 "one progress line per migration"
like "$OUT" '^Applied migration `20240105093000_init` \([0-9]+ ms\)$' "each with its time"
like "$OUT" '^5 migrations applied in [0-9]+ ms\.$' "a summary at the end"
unlike "$OUT" 'Applying|└─' "no live line and no tree outside a terminal"
like "$OUT" '^All migrations have been successfully applied\.$' "success line"
like "$OUT" "^Datasource: postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$db\$" \
	"datasource shown redacted"

is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL AND applied_steps_count = 1 AND logs IS NULL")" 5 \
	"5 rows applied, as Prisma writes them (steps 1, logs NULL)"
is "$(admin "$db" "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable || ':' || coalesce(character_maximum_length::text, '-') || ':' || coalesce(column_default, '-'), ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '_prisma_migrations'")" \
	"id:character varying:NO:36:-,checksum:character varying:NO:64:-,finished_at:timestamp with time zone:YES:-:-,migration_name:character varying:NO:255:-,logs:text:YES:-:-,rolled_back_at:timestamp with time zone:YES:-:-,started_at:timestamp with time zone:NO:-:now(),applied_steps_count:integer:NO:-:0" \
	"history table has Prisma's exact columns"
is "$(admin "$db" "SELECT conname FROM pg_constraint WHERE conrelid = '_prisma_migrations'::regclass")" \
	"_prisma_migrations_pkey" "primary key named as Prisma's"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$'")" 5 \
	"ids are lowercase UUID v4"
want=$(sha256sum "$M/20240105093000_init/migration.sql" | cut -d' ' -f1)
is "$(admin "$db" "SELECT checksum FROM _prisma_migrations WHERE migration_name = '20240105093000_init'")" \
	"$want" "checksum is the sha256 of the file bytes"
is "$(admin "$db" "SELECT string_agg(migration_name, ',' ORDER BY started_at) FROM _prisma_migrations")" \
	"$(ls "$M" | grep -v toml | paste -sd,)" "applied in name order"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at >= started_at")" 5 \
	"finished_at is not before started_at"
is "$(admin "$db" "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'task_status'::regtype")" \
	"todo,doing,blocked,done" "the enum change is applied"
is "$(admin "$db" "SELECT count(*) FROM users WHERE display_name IS NOT NULL")" 3 "the backfill ran"
is "$(admin "$db" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'tasks_project_id_status_idx'::regclass")" \
	"t" "the concurrent index is built and valid"

# The no-op path: one connection, exactly one statement.
log_before=$(stat -c %s "$TESTDB_LOG")
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "no-op deploy exits 0"
like "$OUT" '^No pending migrations to apply\.$' "no-op says so"
unlike "$OUT" 'Applying' "no-op applies nothing"
sleep 0.2
stmts=$(tail -c +$((log_before + 1)) "$TESTDB_LOG" | grep -F " db=$db app=dbhook/" | grep -E 'LOG:  (statement|execute)' || true)
is "$(printf '%s\n' "$stmts" | grep -c .)" 1 "the server received exactly one statement for the no-op"
like "$stmts" 'statement: SELECT migration_name, CASE WHEN finished_at IS NULL .* FROM _prisma_migrations' \
	"that statement reads the history, in its lean form"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 5 "no-op wrote no row"

# Incremental.
mkmig "$M" 20240301000000_add_projects_archived 'ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false;'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "incremental deploy exits 0"
is "$(printf '%s\n' "$OUT" | grep -c '^Applied migration `')" 1 "only the new migration is applied"
like "$OUT" 'Applied migration `20240301000000_add_projects_archived`' "the new one is named"
like "$OUT" '^1 migration applied in [0-9]+ ms\.$' "singular summary"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 6 "one row added"
is "$(admin "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'archived'")" \
	1 "its column exists"

run "$DBHOOK" status --dir "$M"
is "$RC" 0 "status after deploy exits 0"

# --quiet: no progress and no notes; the outcome and errors stay.
mkmig "$M" 20240302000000_quiet 'CREATE TABLE quiet_t (id int);'
mkmig "$M" 20240303000000_quiet_own $'BEGIN;\nCREATE TABLE quiet_own (id int);\nCOMMIT;'
run "$DBHOOK" deploy --quiet --dir "$M"
is "$RC" 0 "quiet deploy exits 0"
is "$OUT" "All migrations have been successfully applied." "quiet deploy prints only the outcome on stdout"
is "$ERR" "" "and no note (not even for a file with its own BEGIN)"
run "$DBHOOK" deploy -q --dir "$M"
is "$OUT" "No pending migrations to apply." "quiet no-op: the outcome only"

# The default folder: prisma/migrations when present, else migrations.
mkdir -p "$WORK/app/prisma"
cp -r "$SRCDIR/migrations" "$WORK/app/prisma/migrations"
db2=$(newdb)
(cd "$WORK/app" && DATABASE_URL_DIRECT=$(url_for "$db2") "$DBHOOK" deploy) >"$WORK/default.out" 2>&1
is "$?" 0 "deploy without --dir uses prisma/migrations"
like "$(cat "$WORK/default.out")" 'found in prisma/migrations' "names the default folder"
is "$(admin "$db2" "SELECT count(*) FROM _prisma_migrations")" 5 "applied from the default folder"

# The URL variables, in order of precedence.
db3=$(newdb)
run env -u DATABASE_URL_DIRECT MIGRATE_DATABASE_URL="$(url_for "$db3")" DATABASE_URL="$(url_for nonexistent_db)" \
	"$DBHOOK" deploy --dir "$M"
is "$RC" 0 "MIGRATE_DATABASE_URL wins over DATABASE_URL"
is "$(admin "$db3" "SELECT count(*) FROM _prisma_migrations")" "$(find "$M" -mindepth 2 -name migration.sql | wc -l)" "deployed to MIGRATE_DATABASE_URL's database"
run env MY_URL="$(url_for "$db3")" "$DBHOOK" status --url-env MY_URL --dir "$M"
is "$RC" 0 "--url-env names the variable"

# Wrong folder or wrong database: a folder that shares nothing with a
# non-empty history, or lacks most of it, is refused before anything runs.
dbw=$(newdb)
run env DATABASE_URL_DIRECT="$(url_for "$dbw")" "$DBHOOK" deploy --dir "$SRCDIR/migrations"
is "$RC" 0 "wrong folder: the database holds the example app's migrations"
nex=$(admin "$dbw" "SELECT count(*) FROM _prisma_migrations")
mkmig "$WORK/other" 20250101000000_unrelated_one 'CREATE TABLE unrelated_one (id int);'
mkmig "$WORK/other" 20250102000000_unrelated_two 'CREATE TABLE unrelated_two (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$dbw")" "$DBHOOK" deploy --dir "$WORK/other"
is "$RC" 2 "a folder sharing no migration with the history: exit 2"
like "$ERR" '^dbhook: error: the migrations folder and the database share no migration: wrong folder or wrong database\?$' \
	"it asks: wrong folder or wrong database?"
like "$ERR" "^dbhook: detail: The database has $nex applied migrations, $nex of them missing in \"$WORK/other\" \(first: 2024[0-9]{10}_" \
	"the detail counts the database's side and names its first migration"
like "$ERR" 'the folder holds 2 \(first: 20250101000000_unrelated_one\), 2 of them pending\.$' "and the folder's side"
like "$ERR" '^dbhook: hint: .*--allow-unrelated' "the hint names --allow-unrelated"
is "$(admin "$dbw" "SELECT count(*) FROM _prisma_migrations")" "$nex" "nothing was applied"
is "$(admin "$dbw" "SELECT to_regclass('public.unrelated_one') IS NULL")" t "no table of the other folder exists"
run env DATABASE_URL_DIRECT="$(url_for "$dbw")" "$DBHOOK" deploy --dir "$WORK/other" --allow-unrelated
is "$RC" 0 "--allow-unrelated applies them"
is "$(admin "$dbw" "SELECT count(*) FROM _prisma_migrations")" "$((nex + 2))" "both applied"

# Most of the history missing from the folder (one shared, one new).
dbm=$(newdb)
run env DATABASE_URL_DIRECT="$(url_for "$dbm")" "$DBHOOK" deploy --dir "$SRCDIR/migrations"
first=$(basename "$(find "$SRCDIR/migrations" -mindepth 1 -maxdepth 1 -type d | sort | head -n 1)")
mkdir -p "$WORK/most"
cp -r "$SRCDIR/migrations/$first" "$WORK/most/"
mkmig "$WORK/most" 20990101000000_new 'CREATE TABLE newer (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$dbm")" "$DBHOOK" deploy --dir "$WORK/most"
is "$RC" 2 "most applied migrations missing from the folder: exit 2"
like "$ERR" '^dbhook: error: most migrations of the database are not in the folder: wrong folder or wrong database\?$' \
	"it says most are missing"
# A no-op deploy with some missing locally: one line, exit 0.
rm -r "$WORK/most/20990101000000_new"
run env DATABASE_URL_DIRECT="$(url_for "$dbm")" "$DBHOOK" deploy --dir "$WORK/most"
is "$RC" 0 "nothing pending, migrations missing locally: exit 0"
like "$ERR" "^dbhook: note: $((nex - 1)) migrations of the database are not in \"$WORK/most\" \(first: .*\); .dbhook status --dir $WORK/most. lists them\$" \
	"a no-op with migrations missing locally says so in one line"

# --dry-run: every check and the files read, then what would be applied;
# nothing changes (not even the history table is created).
dbd=$(newdb)
D=$WORK/dry
mkmig "$D" 20240101000000_a 'CREATE TABLE a (id int);'
mkmig "$D" 20240102000000_b 'CREATE TABLE b (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$dbd")" "$DBHOOK" deploy --dry-run --dir "$D"
is "$RC" 0 "deploy --dry-run: exit 0"
is "$OUT" "Using DATABASE_URL_DIRECT from the environment
Datasource: postgresql://$TEST_DB_USER:***@127.0.0.1:$TEST_PG_PORT/$dbd
2 migrations found in $D
Safety check of 2 pending migrations: no findings (with live sizes and locks from the database)
2 migrations to apply:
  20240101000000_a
  20240102000000_b
Dry run: nothing was changed." "deploy --dry-run: the safety check, then what would be applied, in order"
is "$(admin "$dbd" "SELECT to_regclass('_prisma_migrations') IS NULL AND to_regclass('a') IS NULL")" t \
	"deploy --dry-run: nothing created"
mkdir "$D/20240103000000_empty"
run env DATABASE_URL_DIRECT="$(url_for "$dbd")" "$DBHOOK" deploy --dry-run --dir "$D"
is "$RC" 2 "deploy --dry-run: a pending folder without migration.sql is refused as the real run would"
like "$ERR" 'migration folder "20240103000000_empty" has no migration.sql' "and named"
rmdir "$D/20240103000000_empty"
# A schema that holds tables but no history: the real run refuses it
# (P3005), so the dry run does too, and still creates nothing.
admin "$dbd" "CREATE TABLE legacy (id int)" >/dev/null
run env DATABASE_URL_DIRECT="$(url_for "$dbd")" "$DBHOOK" deploy --dry-run --dir "$D"
is "$RC" 2 "deploy --dry-run: a non-empty schema without history is refused as the real run would"
like "$ERR" '^dbhook: error: schema "public" is not empty and has no migration history$' "P3005 foreseen"
like "$ERR" 'It holds 1 table\(s\) but no _prisma_migrations table' "the count"
is "$(admin "$dbd" "SELECT to_regclass('_prisma_migrations') IS NULL")" t "deploy --dry-run: still nothing created"
admin "$dbd" "DROP TABLE legacy" >/dev/null
run env DATABASE_URL_DIRECT="$(url_for "$dbd")" "$DBHOOK" deploy --dir "$D"
is "$RC" 0 "the real deploy after the dry run"
run env DATABASE_URL_DIRECT="$(url_for "$dbd")" "$DBHOOK" -q deploy --dry-run --dir "$D"
is "$OUT" "No pending migrations to apply.
Dry run: nothing was changed." "deploy --dry-run with nothing pending (quiet)"

finish
