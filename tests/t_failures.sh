#!/usr/bin/env bash
# A failing migration in atomic mode: exit 1, file:line:col, SQLSTATE,
# nothing half-applied, the attempt recorded as rolled back; the fixed file
# then deploys.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db")
M=$WORK/m
mkmig "$M" 20240101000000_base 'CREATE TABLE base (id int);'
cat >"$M/20240101000000_base/migration.sql" <<'SQL'
CREATE TABLE base (id int);
SQL
mkdir -p "$M/20240102000000_broken"
cat >"$M/20240102000000_broken/migration.sql" <<'SQL'
-- A table, then a typo on line 4.
CREATE TABLE half (id int);
INSERT INTO half VALUES (1);
SELEC * FROM half;
CREATE TABLE after_typo (id int);
SQL
mkmig "$M" 20240103000000_later 'CREATE TABLE later (id int);'

run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "failing migration: exit 1"
like "$OUT" 'Applied migration `20240101000000_base`' "the first migration ran"
like "$ERR" '^dbhook: error: migration "20240102000000_broken" failed: syntax error at or near "SELEC"$' \
	"error names the migration and the server's message"
like "$ERR" "^dbhook: detail: at .*/20240102000000_broken/migration.sql:4:1 \(SQLSTATE 42601\)\$" \
	"error shows file:line:col and SQLSTATE"
like "$ERR" '^dbhook: hint: Nothing of this migration was applied: it ran in one transaction\.' \
	"hint says nothing was applied"
unlike "$OUT" 'Applied migration `20240103000000_later`' "later migrations are not attempted"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename IN ('half', 'after_typo', 'later')")" 0 \
	"nothing of the failed migration (or later ones) exists"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename = 'base'")" 1 "the earlier migration is kept"
is "$(rows "$db")" "20240101000000_base|true|false
20240102000000_broken|false|true" "history: base applied, the attempt recorded as rolled back"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NULL AND rolled_back_at IS NULL")" 0 \
	"no failed (dirty) row: Prisma would not see P3009"
logs=$(admin "$db" "SELECT logs FROM _prisma_migrations WHERE migration_name = '20240102000000_broken'")
like "$logs" '^Database error code: 42601$' "logs keep the SQLSTATE"
like "$logs" 'syntax error at or near "SELEC"' "logs keep the message"
like "$logs" 'migration.sql:4:1$' "logs keep the location"

run "$DBHOOK" status --dir "$M"
is "$RC" 4 "after the failure: status says pending (4), not failed"

# A runtime error deep in the file (no position from the server).
db2=$(newdb)
mkmig "$M/../m2" 20240101000000_dup "CREATE TABLE u (id int PRIMARY KEY);
INSERT INTO u VALUES (1), (1);"
run env DATABASE_URL_DIRECT="$(url_for "$db2")" "$DBHOOK" deploy --dir "$WORK/m2"
is "$RC" 1 "constraint violation: exit 1"
like "$ERR" 'duplicate key value violates unique constraint "u_pkey"' "server message passed through"
like "$ERR" '^dbhook: detail: Key \(id\)=\(1\) already exists\.$' "server detail passed through"
like "$ERR" 'SQLSTATE 23505' "SQLSTATE shown"
is "$(admin "$db2" "SELECT count(*) FROM pg_tables WHERE tablename = 'u'")" 0 "table u rolled back"

# The error position counts characters: a multi-byte line before it.
db3=$(newdb)
mkdir -p "$WORK/m3/20240101000000_utf8"
printf -- "-- Ünïcödé comment\nSELECT 'é', nope_col FROM (SELECT 1) s;\n" >"$WORK/m3/20240101000000_utf8/migration.sql"
run env DATABASE_URL_DIRECT="$(url_for "$db3")" "$DBHOOK" deploy --dir "$WORK/m3"
is "$RC" 1 "unknown column: exit 1"
like "$ERR" 'migration.sql:2:13 \(SQLSTATE 42703\)' "position mapped to line 2, column 13 despite multi-byte text"

# Fix the file: the next deploy applies it, once.
cat >"$M/20240102000000_broken/migration.sql" <<'SQL'
-- A table, then the typo fixed.
CREATE TABLE half (id int);
INSERT INTO half VALUES (1);
SELECT * FROM half;
CREATE TABLE after_typo (id int);
SQL
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "fixed file: deploy exits 0"
like "$OUT" 'Applied migration `20240102000000_broken`' "the fixed migration is applied"
like "$OUT" 'Applied migration `20240103000000_later`' "then the later one"
is "$(admin "$db" "SELECT count(*) FROM half")" 1 "its data is there once"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240102000000_broken' AND finished_at IS NOT NULL AND rolled_back_at IS NULL")" 1 \
	"exactly one applied row for it"
run "$DBHOOK" status --dir "$M"
is "$RC" 0 "status: up to date"

# The file must not touch the history itself.
db4=$(newdb)
mkmig "$WORK/m4" 20240101000000_meddle 'DELETE FROM _prisma_migrations;'
run env DATABASE_URL_DIRECT="$(url_for "$db4")" "$DBHOOK" deploy --dir "$WORK/m4"
is "$RC" 1 "a migration deleting the history: exit 1"
like "$ERR" 'changed the migration history table' "explained"

# An object that already exists: drift or the wrong database, not a typo.
dbx=$(newdb)
mkmig "$WORK/exists" 20240101000000_init 'CREATE TABLE first_one (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$dbx")" "$DBHOOK" deploy --dir "$WORK/exists"
admin "$dbx" "CREATE TABLE made_by_hand (id int)" >/dev/null
mkmig "$WORK/exists" 20240102000000_made_by_hand 'CREATE TABLE made_by_hand (id int);'
run env DATABASE_URL_DIRECT="$(url_for "$dbx")" "$DBHOOK" deploy --dir "$WORK/exists"
is "$RC" 1 "CREATE TABLE of a table that exists: exit 1"
like "$ERR" '^dbhook: detail: .*SQLSTATE 42P07' "SQLSTATE 42P07"
like "$ERR" '^dbhook: hint: Nothing of this migration was applied\. The object already exists, so the database has drifted from its history .* or this is the wrong database: compare with .dbhook status --dir '"$WORK/exists"'.\. If the changes of "20240102000000_made_by_hand" are already there, record it with .dbhook resolve --applied "20240102000000_made_by_hand" --dir '"$WORK/exists"'.\.$' \
	"the hint names drift or a wrong database, status and resolve --applied"

finish
