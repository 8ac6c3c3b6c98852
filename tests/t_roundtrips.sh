#!/usr/bin/env bash
# Round trips through scripts/rtproxy.py, a proxy that counts them: the
# proxy's own counting against psql, and dbhook's no-op deploy and status
# at the floor (libpq's connect plus one query). Counts, not times: they
# are the same on every run. TLS is off (sslmode=disable) so the count
# does not depend on how the TLS library rounds its handshake.
. "$(dirname "$0")/lib.sh"
need_db

PROXY=${SRCDIR:-$(dirname "$0")/..}/scripts/rtproxy.py
db=$(newdb)
python3 "$PROXY" --target "127.0.0.1:$TEST_PG_PORT" --port-file "$WORK/port" \
	--stats-file "$WORK/stats" >"$LOGDIR/proxy.log" 2>&1 &
BG_PIDS+=("$!")
poll 10 test -s "$WORK/port" || diag "the proxy did not start"
PPORT=$(cat "$WORK/port")
U=$(url_for "$db" "$PPORT" sslmode=disable)

# counts : "connections round_trips" so far.
counts() {
	jq -r '"\(.connections) \(.round_trips)"' "$WORK/stats"
}
# after_run N : waits until the proxy has seen N connections close.
after_run() {
	poll 10 test "$(jq '.per_connection | length' "$WORK/stats")" -ge "$1"
}
# last : round trips of the last closed connection.
last() {
	jq '.per_connection[-1]' "$WORK/stats"
}

# psql: connect (startup, SCRAM's two exchanges) plus one query.
run env PGPASSWORD="$TEST_DB_PASSWORD" psql -X -q -A -t "host=127.0.0.1 port=$PPORT dbname=$db user=$TEST_DB_USER sslmode=disable" -c 'SELECT 1'
is "$RC" 0 "psql through the proxy: exit 0"
is "$OUT" 1 "psql through the proxy: the answer"
after_run 1
floor=$(last)
is "$floor" 4 "the proxy counts psql's connect and one query as 4 round trips"
run env PGPASSWORD="$TEST_DB_PASSWORD" psql -X -q -A -t "host=127.0.0.1 port=$PPORT dbname=$db user=$TEST_DB_USER sslmode=disable" -c 'SELECT 1' -c 'SELECT 2'
after_run 2
is "$(last)" $((floor + 1)) "one more query, one more round trip"

M=$WORK/m
mkmig "$M" 20240101000000_one 'CREATE TABLE one (id int);'
mkmig "$M" 20240102000000_two 'CREATE TABLE two (id int);'
run env DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "deploy through the proxy: exit 0"
is "$(rows "$db")" '20240101000000_one|true|false
20240102000000_two|true|false' "deploy through the proxy: applied"
after_run 3

# The no-op deploy of every build: one connection, one query after
# authentication, as the floor.
before=$(counts)
run env DATABASE_URL_DIRECT="$U" "$DBHOOK" deploy --dir "$M"
is "$RC" 0 "no-op deploy: exit 0"
after_run 4
is "$(last)" "$floor" "no-op deploy: $floor round trips, libpq's connect and one query (the floor)"
is "$(($(counts | cut -d' ' -f1) - ${before%% *}))" 1 "no-op deploy: one connection"

run env DATABASE_URL_DIRECT="$U" "$DBHOOK" status --dir "$M"
is "$RC" 0 "status: exit 0"
after_run 5
is "$(last)" "$floor" "status: the floor too (one query)"

finish
