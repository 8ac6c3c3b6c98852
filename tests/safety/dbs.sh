# shellcheck shell=bash
# The corpus's databases, for tests/t_check.sh and tests/t_squawk.sh
# (sourced after tests/lib.sh, with SRC and DBHOOK set):
#   as_app DB SQL   runs SQL as the app user (the tables are its own)
#   migdir DIR      a migrations folder holding the init migration
#   schema_db       a new database with the tables of schema.sql, applied
#                   as a first migration (as an app's history starts), so
#                   the check sees only what follows
#   corpus_dbs      sets $empty (the tables empty) and $big ("User"
#                   1,000,000 rows, "Team" 20,000), both analysed, each
#                   with an invalid index on "Legacy"
as_app() {
	local db=$1
	shift
	PGOPTIONS='--client-min-messages=warning' psql -X -A -t -q -v ON_ERROR_STOP=1 "$(url_for "$db")" -c "$*"
}
INIT=20230101000000_init
mkdir -p "$WORK/init/$INIT"
cp "$SRC/tests/safety/schema.sql" "$WORK/init/$INIT/migration.sql"
migdir() {
	mkdir -p "$1"
	cp -r "$WORK/init/$INIT" "$1/"
}
schema_db() {
	local db
	db=$(newdb)
	DATABASE_URL="$(url_for "$db")" "$DBHOOK" deploy --dir "$WORK/init" --safety off -q >/dev/null
	echo "$db"
}
corpus_dbs() {
	local db
	empty=$(schema_db)
	big=$(schema_db)
	for db in "$empty" "$big"; do
		# An invalid index, as a failed CREATE INDEX CONCURRENTLY leaves one.
		admin "$db" "UPDATE pg_index SET indisvalid = false WHERE indexrelid = '\"Legacy_code_idx\"'::regclass" >/dev/null
	done
	# No autovacuum on them: its worker holds a lock on the table it
	# visits, and the findings must not depend on when it comes by.
	for db in "$empty" "$big"; do
		as_app "$db" 'ALTER TABLE "User" SET (autovacuum_enabled = off); ALTER TABLE "Team" SET (autovacuum_enabled = off)'
	done
	as_app "$big" "INSERT INTO \"Team\" (name) SELECT 't' || g FROM generate_series(1, 20000) g;
INSERT INTO \"User\" (email, name, bio, score) SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'u' || g || '@example.com' END, 'n' || g, 'b', g FROM generate_series(1, 1000000) g"
	admin "$empty" 'ANALYZE' >/dev/null
	admin "$big" 'ANALYZE' >/dev/null
}
