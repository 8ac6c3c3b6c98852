#!/usr/bin/env bash
# Secrets never reach the output, on the odd paths too: CI annotations,
# a password as a query parameter, a server message quoting it.
. "$(dirname "$0")/lib.sh"
need_db

db=$(newdb)
M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'

# password= as a query parameter instead of in the user-info.
run env DATABASE_URL_DIRECT="postgresql://$TEST_DB_USER@127.0.0.1:$TEST_PG_PORT/$db?password=$TEST_DB_PASSWORD_ENC" \
	"$DBHOOK" deploy --dir "$M"
is "$RC" 0 "password as a query parameter works"
like "$OUT" 'Datasource: postgresql://.*password=\*\*\*' "and is shown redacted"

# A server message that quotes the password (here: the file casts it).
mkmig "$M" 20240102000000_quote "SELECT '$TEST_DB_PASSWORD'::int;"
run env DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "a migration whose error quotes the password fails"
like "$ERR" 'invalid input syntax for type integer: "\*\*\*"' "the password is scrubbed from the server's message"
unlike "$(admin "$db" "SELECT logs FROM _prisma_migrations WHERE migration_name = '20240102000000_quote'")" \
	"$(printf '%s' "$TEST_DB_PASSWORD" | sed 's/[]\/$*.^[]/\\&/g')" "nor stored in the history logs"
rm -r "$M/20240102000000_quote"

# GitHub Actions annotations carry the error, never the secret.
mkmig "$M" 20240103000000_broken 'CREATE TABLE broken (id int'
run env GITHUB_ACTIONS=true DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$M"
is "$RC" 1 "failing migration on GitHub Actions: exit 1"
like "$OUT" '^::error title=dbhook::migration "20240103000000_broken" failed: syntax error at or near ";"%0A' \
	"an ::error:: annotation on stdout, newlines escaped"
like "$ERR" 'migration.sql:1:28 \(SQLSTATE 42601\)' "an incomplete last statement points at the end of the file"
like "$ERR" 'detail: The file ends in the middle of a statement' "and says so"
rm -r "$M/20240103000000_broken"
TEST_EXTRA_SECRET='An0ther-Wr0ng'
run env GITHUB_ACTIONS=true DATABASE_URL_DIRECT="postgresql://$TEST_DB_USER:An0ther-Wr0ng@127.0.0.1:$TEST_PG_PORT/$db" \
	"$DBHOOK" status --dir "$M"
is "$RC" 3 "wrong password on GitHub Actions: exit 3"
like "$OUT" '^::error title=dbhook::cannot connect' "annotation for the connection failure"
run env GITHUB_ACTIONS=true DATABASE_URL_DIRECT="postgresql://u:An0ther-Wr0ng@h:5432:6543/db" "$DBHOOK" status --dir "$M"
is "$RC" 2 "malformed URL on GitHub Actions: exit 2"
TEST_EXTRA_SECRET=
run env NO_COLOR=1 DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" status --dir "$M"
is "$RC" 0 "status"
unlike "$OUT$ERR" $'\e\\[' "no colour codes when not on a terminal"

# Text from outside cannot issue CI commands: a server notice and a
# folder name holding a newline and "::error::" never start a line.
db=$(newdb)
N=$WORK/inject
mkmig "$N" 20240101000000_notice "DO \$\$ BEGIN RAISE NOTICE E'hello\\n::error::injected-by-notice %', '$TEST_DB_PASSWORD'; END \$\$;"
mkmig "$N" $'20240102000000_x\n::error::injected-by-name' 'SELECT 1;'
run env GITHUB_ACTIONS=true DATABASE_URL_DIRECT="$(url_for "$db")" "$DBHOOK" deploy --dir "$N"
is "$RC" 0 "injection attempts: the deploy itself works"
like "$ERR" '^dbhook: note: server: NOTICE:  hello$' "a server notice is printed as a note"
like "$ERR" '^dbhook: note: ::error::injected-by-notice \*\*\*$' "each of its lines prefixed, the password scrubbed"
unlike "$OUT$ERR" '^::error::injected' "no injected command starts a line"
is "$(printf '%s\n' "$OUT" "$ERR" | grep -E '^(::|##\[)' | grep -cvE '^::(error title=dbhook|warning)::')" 0 \
	"every line that starts like a command is one of dbhook's own annotations"

# The server log holds no password either (statements are logged).
check "the server log never holds the password" sh -c "! grep -qF -- '$TEST_DB_PASSWORD_ENC' '$TESTDB_LOG'"

finish
