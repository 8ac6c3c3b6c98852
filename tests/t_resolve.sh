#!/usr/bin/env bash
# resolve --applied / --rolled-back with Prisma's semantics and errors.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db")
M=$WORK/m
mkmig "$M" 20240101000000_base 'CREATE TABLE base (id int);'
# Runs in Prisma's mode (own COMMIT) and fails: a failed row remains.
mkmig "$M" 20240102000000_hotfix 'BEGIN;
CREATE TABLE hot (id int);
COMMIT;
ALTER TABLE missing_table ADD COLUMN x int;'
mkmig "$M" 20240103000000_after 'CREATE TABLE after_t (id int);'

run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "setup: the Prisma-mode migration fails"
is "$(rows "$db" | grep hotfix)" "20240102000000_hotfix|false|false" "setup: a failed row"

# Errors first.
run "$DBHOOK" resolve --dir "$M" --applied 20240199999999_nope
is "$RC" 2 "--applied with no such folder: exit 2"
like "$ERR" 'error: no migration "20240199999999_nope" in ' "names the missing migration"
like "$ERR" 'P3017' "Prisma's code"
run "$DBHOOK" resolve --dir "$M" --applied 20240101000000_base
is "$RC" 2 "--applied on an applied migration: exit 2"
like "$ERR" 'is already recorded as applied' "P3008 wording"
run "$DBHOOK" resolve --dir "$M" --rolled-back 20240103000000_after
is "$RC" 2 "--rolled-back on a never-applied migration: exit 2"
like "$ERR" 'it was never applied to this database' "P3011 wording"
run "$DBHOOK" resolve --dir "$M" --rolled-back 20240101000000_base
is "$RC" 2 "--rolled-back on an applied (not failed) migration: exit 2"
like "$ERR" 'it is not in a failed state' "P3012 wording"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations")" 2 "errors changed no row"

# --rolled-back: the failed row is marked; the next deploy retries it.
run "$DBHOOK" resolve --dir "$M" --rolled-back 20240102000000_hotfix
is "$RC" 0 "--rolled-back on the failed migration: exit 0"
like "$OUT" '^Migration 20240102000000_hotfix marked as rolled back\.$' "confirmation line"
is "$(rows "$db" | grep hotfix)" "20240102000000_hotfix|false|true" "the row is rolled back"
run "$DBHOOK" status --dir "$M"
is "$RC" 4 "status: pending again"
admin "$db" "DROP TABLE hot" >/dev/null
mkmig "$M" 20240102000000_hotfix 'BEGIN;
CREATE TABLE hot (id int);
COMMIT;'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "fixed, the migration deploys"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240102000000_hotfix' AND finished_at IS NOT NULL AND rolled_back_at IS NULL")" \
	1 "applied once"

# --applied: a failed row becomes applied without running anything.
db2=$(newdb)
export DATABASE_URL_DIRECT=$(url_for "$db2")
mkmig "$M" 20240102000000_hotfix 'BEGIN;
CREATE TABLE hot (id int);
COMMIT;
ALTER TABLE missing_table ADD COLUMN x int;'
run "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "setup 2: failed row"
run "$DBHOOK" resolve --dir "$M" --applied 20240102000000_hotfix
is "$RC" 0 "--applied on the failed migration: exit 0"
like "$OUT" '^Migration 20240102000000_hotfix marked as applied\.$' "confirmation line"
is "$(rows "$db2" | grep hotfix)" "20240102000000_hotfix|false|true
20240102000000_hotfix|true|false" "failed row rolled back, a new applied row added"
is "$(admin "$db2" "SELECT logs = '' AND started_at = finished_at AND applied_steps_count = 0 AND checksum = '$(sha256sum "$M/20240102000000_hotfix/migration.sql" | cut -d' ' -f1)' FROM _prisma_migrations WHERE migration_name = '20240102000000_hotfix' AND finished_at IS NOT NULL")" \
	t "the new row is as Prisma writes it (logs '', started = finished, checksum of the file)"
run "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploys are unblocked"
like "$OUT" 'Applied migration `20240103000000_after`' "the rest is applied"
run "$DBHOOK" status --dir "$M"
is "$RC" 0 "status: up to date"

# --applied on a database without history creates the table (baseline).
db3=$(newdb)
admin "$db3" "CREATE TABLE base (id int)" >/dev/null
run env DATABASE_URL_DIRECT="$(url_for "$db3")" "$DBHOOK" resolve --dir "$M" --applied 20240101000000_base
is "$RC" 0 "--applied on a database without history: exit 0"
is "$(rows "$db3")" "20240101000000_base|true|false" "history created with the one row"

# --rolled-back on a database without history.
db4=$(newdb)
run env DATABASE_URL_DIRECT="$(url_for "$db4")" "$DBHOOK" resolve --dir "$M" --rolled-back 20240101000000_base
is "$RC" 2 "--rolled-back without history: exit 2"
like "$ERR" 'nothing to roll back: the database has no migration history' "explained"

# Hints work when pasted: the resolve hint of a failed deploy repeats the
# options of the invocation (a folder with a space, a URL under another
# name), and pasted into a shell it resolves the migration.
db3=$(newdb)
unset DATABASE_URL_DIRECT
export MY_DIRECT_URL=$(url_for "$db3")
P="$WORK/my app/migs"
mkmig "$P" 20240101000000_boom 'BEGIN;
CREATE TABLE boom (id int);
COMMIT;
ALTER TABLE missing_table ADD COLUMN x int;'
run "$DBHOOK" deploy --dir "$P" --url-env MY_DIRECT_URL
is "$RC" 1 "paste: the deploy fails"
hint=$(grep -o '`dbhook resolve --rolled-back [^`]*`' <<<"$ERR" | head -n 1 | tr -d '`')
is "$hint" "dbhook resolve --rolled-back \"20240101000000_boom\" --dir '$P' --url-env MY_DIRECT_URL" \
	"the resolve hint repeats --dir (quoted) and --url-env"
run bash -c "DBHOOK=\"\$1\"; ${hint/dbhook/\"\$DBHOOK\"}" _ "$DBHOOK"
is "$RC" 0 "pasted, the hint runs and resolves"
is "$(rows "$db3" | grep boom)" "20240101000000_boom|false|true" "the migration is marked rolled back"
run "$DBHOOK" status --dir "$P" --url-env MY_DIRECT_URL
like "$OUT" 'run `dbhook deploy --dir '"'$P'"' --url-env MY_DIRECT_URL` to apply' "status's next step repeats them too"
unset MY_DIRECT_URL

finish
