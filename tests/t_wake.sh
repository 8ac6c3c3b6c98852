#!/usr/bin/env bash
# A failing connection to a Supabase host asks the Management API (a local
# server here) whether the project is paused, and with
# MIGRATE_SUPABASE_RESTORE=1 restores it and connects once it is healthy.
# The "Supabase host" is dialled through hostaddr=127.0.0.1: no name is
# ever resolved, nothing leaves loopback.
. "$(dirname "$0")/lib.sh"
need_db
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY GITHUB_ACTIONS MIGRATE_SUPABASE_RESTORE
REF=abcdefghijklmnopqrst
TOKEN=sbp_W4keT0kenNeverPrinted91b2
TEST_EXTRA_SECRET=$TOKEN
export SUPABASE_ACCESS_TOKEN=$TOKEN
FAKEPG="$(dirname "$0")/fakepg.py"

M=$WORK/m
mkmig "$M" 20240101000000_woken 'CREATE TABLE woken (id int);'

fakepg() { # fakepg DIR MODE [ARGS...] : starts tests/fakepg.py; sets FPID, FPORT
	local d=$1 i
	shift
	mkdir -p "$d"
	rm -f "$d/port"
	python3 "$FAKEPG" "$@" --port-file "$d/port" --lifetime 90 >>"$d/log" 2>&1 &
	FPID=$!
	BG_PIDS+=("$FPID")
	for i in $(seq 200); do
		[ -f "$d/port" ] && break
		sleep 0.05
	done
	FPORT=$(cat "$d/port" 2>/dev/null || echo 0)
}

supabase_url() { # supabase_url DB PORT
	echo "postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@db.$REF.supabase.co:$2/$1?hostaddr=127.0.0.1&sslmode=prefer"
}

api() { # api ROUTES_JSON NAME : a Management API on loopback
	start_httpd "$1" "$WORK/$2"
	BG_PIDS+=("$HTTPD_PID")
	export SUPABASE_API_URL=http://127.0.0.1:$HTTPD_PORT
}

nget() { grep -c "\"method\": \"$1\", \"path\": \"$2" "$HTTPD_REQS"; }

# A: paused, no restore wanted: one API call, a precise error, fast.
db=$(newdb)
fakepg "$WORK/fa" close
api '{"GET /v1/projects/'$REF'": [{"status": 200, "body": {"ref": "'$REF'", "status": "INACTIVE"}}]}' a
t0=$(date +%s)
run env DATABASE_URL_DIRECT="$(supabase_url "$db" "$FPORT")" "$DBHOOK" deploy --timeout 30 --dir "$M"
is "$RC" 3 "paused project: exit 3"
like "$ERR" "note: Supabase reports project $REF as INACTIVE" "the API's answer is shown"
like "$ERR" "^dbhook: error: Supabase project $REF is paused\$" "error: the project is paused"
like "$ERR" 'hint: Restore it in the Supabase dashboard, or set MIGRATE_SUPABASE_RESTORE=1' "hint: how to restore"
check "gave up at once instead of retrying for the whole budget" [ $(($(date +%s) - t0)) -le 10 ]
is "$(nget GET "/v1/projects/$REF")" 1 "one status request"
check "the request carried the token as a bearer token" grep -qF "Bearer $TOKEN" "$HTTPD_REQS"
is "$(nget POST "/v1/projects/$REF/restore")" 0 "no restore without MIGRATE_SUPABASE_RESTORE"
is "$(admin "$db" "SELECT count(*) FROM pg_tables WHERE tablename IN ('woken', '_prisma_migrations')")" 0 "nothing applied"
kill "$HTTPD_PID" "$FPID" 2>/dev/null

# The same through the build hook: the build still runs.
fakepg "$WORK/fa2" close
api '{"GET /v1/projects/'$REF'": [{"status": 200, "body": {"status": "INACTIVE"}}]}' a2
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$(supabase_url "$db" "$FPORT")" \
	"$VERCEL_BUILD" --timeout 30 --dir "$M" -- touch "$WORK/built"
is "$RC" 0 "vercel-build with a paused project: exit 0"
check "the build ran" test -f "$WORK/built"
like "$ERR" "^vercel-build: error: Supabase project $REF is paused\$" "vercel-build names the paused project"
kill "$HTTPD_PID" "$FPID" 2>/dev/null

# B: paused, MIGRATE_SUPABASE_RESTORE=1: restore, wait, connect, migrate.
db=$(newdb)
fakepg "$WORK/fb" close
P=$FPORT
CLOSER=$FPID
api '{"GET /v1/projects/'$REF'": [{"status": 200, "body": {"status": "INACTIVE"}},
	{"status": 200, "body": {"status": "COMING_UP"}},
	{"status": 200, "body": {"status": "ACTIVE_HEALTHY"}}],
 "POST /v1/projects/'$REF'/restore": [{"status": 200, "body": {}}],
 "GET /v1/projects/'$REF'/health": [{"status": 200, "body": [
	{"name": "db", "status": "ACTIVE_HEALTHY"}, {"name": "pooler", "status": "ACTIVE_HEALTHY"}]}]}' b
# Once the restore is asked for, the "project" comes back: the closing
# listener gives way to a relay to the real server on the same port.
(
	for i in $(seq 600); do
		grep -q '"method": "POST"' "$HTTPD_REQS" && break
		sleep 0.05
	done
	kill "$CLOSER" 2>/dev/null
	wait "$CLOSER" 2>/dev/null
	sleep 0.2
	exec python3 "$FAKEPG" starting 0 "$TEST_PG_PORT" --port "$P" \
		--port-file "$WORK/fb/relay-port" --lifetime 60 >>"$WORK/fb/log" 2>&1
) &
BG_PIDS+=($!)
run env MIGRATE_SUPABASE_RESTORE=1 DATABASE_URL_DIRECT="$(supabase_url "$db" "$P")" \
	"$DBHOOK" deploy --timeout 60 --dir "$M"
is "$RC" 0 "paused project restored: deploy exits 0"
like "$OUT" "Supabase project $REF is paused: restoring it \(MIGRATE_SUPABASE_RESTORE=1\)" "says it restores"
like "$OUT" "Supabase project $REF is healthy" "says when it is healthy"
like "$OUT" 'Applied migration `20240101000000_woken`' "then migrates"
is "$(nget POST "/v1/projects/$REF/restore")" 1 "one restore request"
is "$(admin "$db" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL")" 1 "the migration is applied"
kill "$HTTPD_PID" 2>/dev/null

# C: the API says healthy: not paused, the hint says so.
db=$(newdb)
fakepg "$WORK/fc" close
api '{"GET /v1/projects/'$REF'": [{"status": 200, "body": {"status": "ACTIVE_HEALTHY"}}]}' c
run env DATABASE_URL_DIRECT="$(supabase_url "$db" "$FPORT")" "$DBHOOK" deploy --timeout 4 --dir "$M"
is "$RC" 3 "healthy project, failing connection: exit 3"
like "$ERR" "hint: .*Supabase reports project $REF as ACTIVE_HEALTHY, so it is not paused" \
	"the hint rules pausing out"

# D: API refuses the token: a warning, the connection error stands.
api '{"GET /v1/projects/'$REF'": [{"status": 401, "body": {"message": "Unauthorized"}}]}' d
run env DATABASE_URL_DIRECT="$(supabase_url "$db" "$FPORT")" "$DBHOOK" deploy --timeout 4 --dir "$M"
is "$RC" 3 "token refused: exit 3"
like "$ERR" "warning: could not ask Supabase about project $REF" "a warning about the API"
like "$ERR" 'error: cannot connect to the database' "the connection error stands"

# E: no token, or not a Supabase host: the API is never asked.
api '{}' e
run env -u SUPABASE_ACCESS_TOKEN DATABASE_URL_DIRECT="$(supabase_url "$db" "$FPORT")" \
	"$DBHOOK" deploy --timeout 3 --dir "$M"
is "$RC" 3 "no token: exit 3"
run env DATABASE_URL_DIRECT="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@db.example.test:$FPORT/$db?hostaddr=127.0.0.1&sslmode=prefer" \
	"$DBHOOK" deploy --timeout 3 --dir "$M"
is "$RC" 3 "not a Supabase host: exit 3"
is "$(grep -c . "$HTTPD_REQS")" 0 "the API was not asked in either case"

finish
