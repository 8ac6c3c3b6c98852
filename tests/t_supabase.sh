#!/usr/bin/env bash
# The Supabase Management API client (build-hook/supabase.c) against
# tests/httpd.py on loopback, through tests/supabase_probe: status answers,
# token and ref errors, rate limits, retries, time-outs, broken answers,
# restore and the wait until healthy, and the token never printed (lib.sh's
# `run` checks TEST_EXTRA_SECRET in every output). No database needed.
#
# One server per section, one project ref per case: each case has its own
# routes and its own lines in the request log, and starting Python once per
# section keeps the test quick on a busy machine.
. "$(dirname "$0")/lib.sh"

if [ -z "${SUPABASE_PROBE:-}" ] || [ ! -x "$SUPABASE_PROBE" ]; then
	echo "not ok 1 - SUPABASE_PROBE is not set to the built tests/supabase_probe"
	echo "1..1"
	exit 1
fi
HTTPD="$(dirname "$0")/httpd.py"
# The interpreter itself, not a version manager's shim.
PY=$(python3 -c 'import sys; print(sys.executable)')
TOKEN=sbp_T0kenMustNeverPrint7f3a9c0d4e
TEST_EXTRA_SECRET=$TOKEN
export SUPABASE_ACCESS_TOKEN=$TOKEN
# Loopback only: no proxy, no inherited knobs.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
	no_proxy NO_PROXY DBHOOK_HTTP_DEBUG DBHOOK_API_TIMEOUT GITHUB_ACTIONS

HTTPD_PIDS=()
cleanup() {
	local p
	for p in "${HTTPD_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT

SECTION=0
serve() { # serve ROUTES_JSON : starts httpd.py; sets PORT, REQS, SUPABASE_API_URL
	local d i
	SECTION=$((SECTION + 1))
	d=$WORK/s$SECTION
	mkdir -p "$d"
	printf '%s\n' "$1" >"$d/routes.json"
	: >"$d/requests.jsonl"
	"$PY" "$HTTPD" "$d/routes.json" "$d/requests.jsonl" "$d/port" \
		--lifetime 120 >"$d/httpd.log" 2>&1 &
	HTTPD_PID=$!
	HTTPD_PIDS+=("$HTTPD_PID")
	for i in $(seq 200); do
		[ -f "$d/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$d/port" 2>/dev/null || echo 0)
	REQS=$d/requests.jsonl
	export SUPABASE_API_URL=http://127.0.0.1:$PORT
	check "section $SECTION: httpd.py listens" test "$PORT" -gt 0
}

stop() { # stops the section's server; keeps its request log, token redacted
	kill "$HTTPD_PID" 2>/dev/null && wait "$HTTPD_PID" 2>/dev/null
	sed "s/$TOKEN/***/g" "$REQS" >"$LOGDIR/section$SECTION.requests.jsonl"
}

p() { echo "/v1/projects/$1"; } # p REF : the project's API path

nreq() { # nreq METHOD PATH : how many such requests the server saw
	grep -cF "\"method\": \"$1\", \"path\": \"$2\"" "$REQS"
}

req_has() { # req_has METHOD PATH TEXT : a METHOD PATH request holds TEXT
	grep -F "\"method\": \"$1\", \"path\": \"$2\"" "$REQS" | grep -qF -- "$3"
}

T0=0
start_clock() { T0=$(date +%s.%N); }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
at_least() { awk -v e="$1" -v m="$2" 'BEGIN { exit !(e >= m) }'; }
below() { awk -v e="$1" -v m="$2" 'BEGIN { exit !(e < m) }'; }

ok200() { # ok200 STATUS : one answer with that project status
	echo '{"status": 200, "body": {"status": "'"$1"'"}}'
}

# --- 1. status answers, token and ref errors, debug output ----------------
serve '{
"GET '"$(p inactive)"'": [{"status": 200, "body": {"ref": "inactive", "name": "app", "status": "INACTIVE"}}],
"GET '"$(p healthy)"'": [{"status": 200, "body": {"status": "ACTIVE_HEALTHY", "database": {"host": "x"}}}],
"GET '"$(p unauth)"'": [{"status": 401, "body": {"message": "Invalid token '"$TOKEN"'"}}],
"GET '"$(p forbidden)"'": [{"status": 403, "body": {"message": "Forbidden resource"}}],
"GET '"$(p missing)"'": [{"status": 404, "body": {"message": "Project not found"}}],
"GET '"$(p debug)"'": ['"$(ok200 INACTIVE)"']
}'

run "$SUPABASE_PROBE" status inactive
is "$RC" 0 "paused project: exit 0"
is "$OUT" INACTIVE "paused project: status INACTIVE"
is "$ERR" "" "nothing on stderr without DBHOOK_HTTP_DEBUG"
is "$(nreq GET "$(p inactive)")" 1 "one GET /v1/projects/<ref>"
check "the request carries Authorization: Bearer <token>" \
	req_has GET "$(p inactive)" "\"Authorization\": \"Bearer $TOKEN\""
check "and User-Agent dbhook/<version>" req_has GET "$(p inactive)" '"User-Agent": "dbhook/0.'
check "and Accept: application/json" req_has GET "$(p inactive)" '"Accept": "application/json"'

run "$SUPABASE_PROBE" status healthy
is "$RC" 0 "healthy project: exit 0"
is "$OUT" ACTIVE_HEALTHY "healthy project: status ACTIVE_HEALTHY"
SUPABASE_API_URL=$SUPABASE_API_URL/ run "$SUPABASE_PROBE" status healthy
is "$OUT" ACTIVE_HEALTHY "a base URL with a trailing slash works"
is "$(nreq GET "$(p healthy)")" 2 "and asks the same path"

run "$SUPABASE_PROBE" status unauth
is "$RC" 2 "401: exit 2"
like "$ERR" '^supabase_probe: error: the Supabase Management API rejected SUPABASE_ACCESS_TOKEN \(HTTP 401\)$' "401: token rejected"
like "$ERR" 'detail: The API said: Invalid token \*\*\*$' "401: the API's message, the echoed token scrubbed"
like "$ERR" 'hint: Create a personal access token .*projects:read.*SUPABASE_ACCESS_TOKEN' "401: hint on creating a token"
is "$(nreq GET "$(p unauth)")" 1 "401: not retried"

run "$SUPABASE_PROBE" status forbidden
is "$RC" 2 "403: exit 2"
like "$ERR" 'rejected SUPABASE_ACCESS_TOKEN \(HTTP 403\)' "403: token rejected"

run "$SUPABASE_PROBE" status missing
is "$RC" 2 "404: exit 2"
like "$ERR" 'error: Supabase project "missing" not found' "404: project not found"
like "$ERR" 'detail: The API said: Project not found' "404: the API's message"
like "$ERR" "hint: Check the project ref.*organisation" "404: hint on the ref and the organisation"

run env -u SUPABASE_ACCESS_TOKEN "$SUPABASE_PROBE" status noreq
is "$RC" 2 "no token: exit 2"
like "$ERR" 'error: SUPABASE_ACCESS_TOKEN is not set' "no token: said so"
run env SUPABASE_ACCESS_TOKEN="bad token" "$SUPABASE_PROBE" status noreq
is "$RC" 2 "a token with a space: exit 2"
like "$ERR" 'error: SUPABASE_ACCESS_TOKEN is malformed' "a token with a space: malformed"
run "$SUPABASE_PROBE" status 'ABC/../x'
is "$RC" 2 "a malformed ref: exit 2"
like "$ERR" 'error: invalid Supabase project ref "ABC/\.\./x"' "a malformed ref: named"
check "no request sent for them" sh -c "! grep -qE 'noreq|ABC|/x\"' '$REQS'"
run env SUPABASE_API_URL=ftp://127.0.0.1/ "$SUPABASE_PROBE" status inactive
is "$RC" 2 "an ftp:// API URL: exit 2"
like "$ERR" 'SUPABASE_API_URL must be an http or https URL' "an ftp:// API URL: refused"

DBHOOK_HTTP_DEBUG=1 run "$SUPABASE_PROBE" status debug
is "$RC" 0 "DBHOOK_HTTP_DEBUG=1: exit 0"
is "$OUT" INACTIVE "DBHOOK_HTTP_DEBUG=1: result unchanged on stdout"
like "$ERR" "^> GET $(p debug) HTTP/1.1\$" "DBHOOK_HTTP_DEBUG=1: request line on stderr"
like "$ERR" '^> Authorization: \*\*\*$' "DBHOOK_HTTP_DEBUG=1: Authorization: ***"
like "$ERR" '^< HTTP/1\.[01] 200' "DBHOOK_HTTP_DEBUG=1: response status line"
unlike "$ERR" 'Bearer' "DBHOOK_HTTP_DEBUG=1: no Bearer value"
DBHOOK_HTTP_DEBUG=0 run "$SUPABASE_PROBE" status debug
is "$ERR" "" "DBHOOK_HTTP_DEBUG=0: no debug output"
stop

# --- 2. rate limits and 5xx ---------------------------------------------
serve '{
"GET '"$(p limitonce)"'": [{"status": 429, "headers": {"Retry-After": "1"}, "body": {"message": "Too many requests"}}, '"$(ok200 INACTIVE)"'],
"GET '"$(p limitever)"'": [{"status": 429, "headers": {"Retry-After": "1"}, "body": {"message": "Too many requests"}}],
"GET '"$(p limithour)"'": [{"status": 429, "headers": {"Retry-After": "3600"}}],
"GET '"$(p err500once)"'": [{"status": 500, "body": {"message": "Internal error"}}, '"$(ok200 COMING_UP)"'],
"GET '"$(p err503ever)"'": [{"status": 503, "body": {"message": "Service Unavailable"}}]
}'

start_clock
run "$SUPABASE_PROBE" status limitonce
el=$(elapsed)
is "$RC" 0 "429 then 200: exit 0"
is "$OUT" INACTIVE "429 then 200: the status after the retry"
is "$(nreq GET "$(p limitonce)")" 2 "429 then 200: two GETs"
check "429 then 200: waited Retry-After: 1 (${el} s)" at_least "$el" 1

start_clock
run "$SUPABASE_PROBE" -d 2.5 status limitever
el=$(elapsed)
is "$RC" 3 "429 forever: exit 3"
like "$ERR" 'error: the Supabase Management API rate limit was hit \(HTTP 429\)' "429 forever: rate-limit message"
like "$ERR" 'detail: Still limited after 3 requests; waiting 1 s more \(Retry-After\) does not fit in the time budget\.$' \
	"429 forever: how often, and why it stopped"
like "$ERR" 'hint: .*wait a minute' "429 forever: hint"
check "429 forever: gave up inside the 2.5 s budget (${el} s)" below "$el" 3

start_clock
run "$SUPABASE_PROBE" status limithour
el=$(elapsed)
is "$RC" 3 "429 with Retry-After: 3600: exit 3 at once"
like "$ERR" 'detail: The API asks to wait 3600 s, longer than the 120 s dbhook waits out\.$' "429 with Retry-After: 3600: said why"
check "429 with Retry-After: 3600: no hour-long wait (${el} s)" below "$el" 2

run "$SUPABASE_PROBE" status err500once
is "$RC" 0 "500 then 200: exit 0"
is "$OUT" COMING_UP "500 then 200: retried"
is "$(nreq GET "$(p err500once)")" 2 "500 then 200: two GETs"

start_clock
run "$SUPABASE_PROBE" status err503ever
el=$(elapsed)
is "$RC" 3 "503 forever: exit 3"
like "$ERR" 'error: the Supabase Management API is unavailable \(HTTP 503\)' "503 forever: API unavailable"
like "$ERR" 'detail: The API said: Service Unavailable' "503 forever: the API's message"
is "$(nreq GET "$(p err503ever)")" 4 "503 forever: four attempts"
check "503 forever: with backoff (${el} s)" at_least "$el" 3
stop

# --- 3. time-outs, broken connections, broken answers -------------------
big=$(head -c 5000 /dev/zero | tr '\0' 'x')
huge=$(head -c 1100000 /dev/zero | tr '\0' 'y')
serve '{
"GET '"$(p slow)"'": [{"status": 200, "body": {"status": "INACTIVE"}, "delay": 4}],
"GET '"$(p closed)"'": [{"close": true}],
"GET '"$(p garbage)"'": [{"status": 200, "raw": "<html>\u001b[31mBad gateway page</html>\n"}],
"GET '"$(p biggarbage)"'": [{"status": 200, "raw": "'"$big"'"}],
"GET '"$(p huge)"'": [{"status": 200, "raw": "'"$huge"'"}],
"GET '"$(p nostatus)"'": [{"status": 200, "body": {"ref": "nostatus", "name": "app"}}],
"GET '"$(p numstatus)"'": [{"status": 200, "body": {"status": 7}}],
"GET '"$(p moved)"'": [{"status": 301, "headers": {"Location": "http://127.0.0.1:1/elsewhere"}}]
}'
unset huge

start_clock
DBHOOK_API_TIMEOUT=1 run "$SUPABASE_PROBE" status slow
el=$(elapsed)
is "$RC" 3 "slow answer: exit 3"
like "$ERR" 'error: the Supabase Management API did not answer within 1 s' "slow answer: time-out named"
like "$ERR" 'hint: .*DBHOOK_API_TIMEOUT' "slow answer: hint names DBHOOK_API_TIMEOUT"
check "slow answer: gave up after the 1 s time-out (${el} s)" below "$el" 2.5
start_clock
DBHOOK_API_TIMEOUT=30 run "$SUPABASE_PROBE" -d 1 status slow
el=$(elapsed)
is "$RC" 3 "slow answer, short deadline: exit 3"
like "$ERR" 'did not answer before the time budget ran out' "slow answer, short deadline: budget named"
check "slow answer, short deadline: gave up at the deadline (${el} s)" below "$el" 2.5

run "$SUPABASE_PROBE" -d 1.2 status closed
is "$RC" 3 "connection closed without an answer: exit 3"
like "$ERR" "error: the Supabase Management API at http://127.0.0.1:$PORT closed the connection without answering" \
	"connection closed without an answer: said so"
check "connection closed without an answer: retried" test "$(nreq GET "$(p closed)")" -ge 2

run "$SUPABASE_PROBE" status garbage
is "$RC" 3 "garbage body: exit 3"
like "$ERR" 'error: the Supabase Management API sent an unexpected answer \(HTTP 200\): not a JSON object' "garbage body: said so"
like "$ERR" 'detail: The answer begins: <html>\?\[31mBad gateway page</html> ?$' "garbage body: quoted, control characters neutralised"
unlike "$ERR" $'\e' "garbage body: no escape character printed"

run "$SUPABASE_PROBE" status biggarbage
is "$RC" 3 "large garbage body: exit 3"
like "$ERR" '^supabase_probe: detail: The answer begins: x{200}\.\.\.$' "large garbage body: only the first 200 characters"

run "$SUPABASE_PROBE" status huge
is "$RC" 3 "answer over 1 MiB: exit 3"
like "$ERR" 'error: the Supabase Management API sent an answer larger than 1024 KiB' "answer over 1 MiB: refused"

run "$SUPABASE_PROBE" status nostatus
is "$RC" 3 "JSON without status: exit 3"
like "$ERR" 'unexpected answer \(HTTP 200\): no "status" field' "JSON without status: names the missing field"
like "$ERR" 'detail: The answer begins: \{"ref": "nostatus"' "JSON without status: quotes the start"

run "$SUPABASE_PROBE" status numstatus
is "$RC" 3 "non-string status: exit 3"
like "$ERR" '"status" is not a string' "non-string status: said so"

run "$SUPABASE_PROBE" status moved
is "$RC" 2 "redirect: exit 2"
like "$ERR" 'answered with a redirect \(HTTP 301\)' "redirect: not followed, said so"
is "$(grep -c elsewhere "$REQS")" 0 "redirect: the Location is not asked"
dead=$PORT
stop

# Nothing listening: the port of the server just stopped.
start_clock
run env SUPABASE_API_URL="http://user:pw-in-url@127.0.0.1:$dead" "$SUPABASE_PROBE" -d 1.2 status inactive
el=$(elapsed)
is "$RC" 3 "nothing listening: exit 3"
like "$ERR" "error: cannot reach the Supabase Management API at http://\*\*\*@127.0.0.1:$dead\$" \
	"nothing listening: names the API URL, user-info redacted"
like "$ERR" 'detail: .*(onnect|refused)' "nothing listening: libcurl's reason"
unlike "$ERR" 'pw-in-url' "nothing listening: no password from the URL"
check "nothing listening: bounded by the deadline (${el} s)" below "$el" 2.5

# --- 4. restore and wait ------------------------------------------------
serve '{
"POST '"$(p restored)"'/restore": [{"status": 200, "body": {}}],
"GET '"$(p restored)"'": ['"$(ok200 COMING_UP)"', '"$(ok200 COMING_UP)"', '"$(ok200 ACTIVE_HEALTHY)"'],
"GET '"$(p restored)"'/health": [
	{"status": 200, "body": [{"name": "db", "status": "COMING_UP"}, {"name": "pooler", "status": "ACTIVE_HEALTHY"}]},
	{"status": 200, "body": [{"name": "db", "status": "ACTIVE_HEALTHY"}, {"name": "pooler", "status": "ACTIVE_HEALTHY"}]}],
"GET '"$(p failed)"'": ['"$(ok200 RESTORING)"', '"$(ok200 RESTORE_FAILED)"'],
"GET '"$(p fellback)"'": ['"$(ok200 COMING_UP)"', '"$(ok200 INACTIVE)"'],
"GET '"$(p nohealth)"'": ['"$(ok200 ACTIVE_HEALTHY)"'],
"GET '"$(p stuck)"'": ['"$(ok200 COMING_UP)"'],
"GET '"$(p hiccup)"'": ['"$(ok200 COMING_UP)"', {"status": 503}, {"close": true}, '"$(ok200 COMING_UP)"',
	{"status": 200, "body": {"status": "COMING_UP"}, "delay": 2}, '"$(ok200 ACTIVE_HEALTHY)"'],
"GET '"$(p hiccup)"'/health": [{"status": 200, "body": [{"name": "db", "status": "ACTIVE_HEALTHY"}]}],
"GET '"$(p waitunauth)"'": [{"status": 401, "body": {"message": "Unauthorized"}}],
"POST '"$(p pausing)"'/restore": [{"status": 400, "body": {"message": "This project is no longer in a paused state, it is PAUSING, it may take a while to fully restore."}}],
"POST '"$(p boom)"'/restore": [{"status": 500, "body": {"message": "boom"}}]
}'

R=$(p restored)
run "$SUPABASE_PROBE" restore restored
is "$RC" 0 "restore: exit 0"
is "$OUT" "restore requested" "restore: accepted"
is "$(nreq POST "$R/restore")" 1 "restore: one POST /v1/projects/<ref>/restore"
check "restore: the POST carries Authorization: Bearer <token>" \
	req_has POST "$R/restore" "\"Authorization\": \"Bearer $TOKEN\""
check "restore: and no body" req_has POST "$R/restore" '"body": ""}'
check "restore: and no form Content-Type" sh -c "! grep -F '\"method\": \"POST\"' '$REQS' | grep -q 'Content-Type'"
start_clock
run "$SUPABASE_PROBE" -p 0.2 -d 20 wait restored
el=$(elapsed)
is "$RC" 0 "wait: exit 0 once healthy"
like "$OUT" '^Supabase project restored is COMING_UP \(0 s\)$' "wait: progress line for COMING_UP"
is "$(printf '%s\n' "$OUT" | grep -c '^Supabase project restored is COMING_UP')" 1 "wait: one line per change, not per poll"
like "$OUT" '^Supabase project restored is ACTIVE_HEALTHY \([0-9]+ s\)$' "wait: progress line for ACTIVE_HEALTHY"
like "$OUT" '^Supabase project restored: db is COMING_UP, pooler is ACTIVE_HEALTHY \([0-9]+ s\)$' "wait: the services still coming up"
like "$OUT" '^Supabase project restored is healthy \([0-9]+ s\)$' "wait: healthy at the end"
is "$(nreq GET "$R")" 3 "wait: three status polls, then only health checks"
is "$(nreq GET "$R/health?services=db,pooler")" 2 "wait: two health checks of db and pooler"
check "wait: polled every 0.2 s (${el} s)" at_least "$el" 0.6

run "$SUPABASE_PROBE" -p 0.1 -d 10 wait failed
is "$RC" 3 "RESTORE_FAILED: exit 3"
like "$OUT" 'Supabase project failed is RESTORING' "RESTORE_FAILED: progress before"
like "$ERR" 'error: Supabase project "failed" is RESTORE_FAILED' "RESTORE_FAILED: said so"
like "$ERR" 'hint: .*dashboard.*support' "RESTORE_FAILED: dashboard and support hint"

run "$SUPABASE_PROBE" -p 0.1 -d 10 wait fellback
is "$RC" 3 "back to INACTIVE while coming up: exit 3"
like "$ERR" 'went back to INACTIVE while coming up' "back to INACTIVE while coming up: said so"

run "$SUPABASE_PROBE" -p 0.1 -d 10 wait nohealth
is "$RC" 0 "health endpoint 404: skipped, exit 0"
is "$(nreq GET "$(p nohealth)/health?services=db,pooler")" 1 "health endpoint 404: asked once"

start_clock
run "$SUPABASE_PROBE" -p 0.3 -d 1.5 wait stuck
el=$(elapsed)
is "$RC" 3 "stuck COMING_UP: exit 3 at the deadline"
like "$ERR" 'error: Supabase project "stuck" was not healthy after [12] s' "stuck COMING_UP: said so"
like "$ERR" 'detail: Last status: COMING_UP\.' "stuck COMING_UP: last status"
check "stuck COMING_UP: stopped at the deadline (${el} s)" below "$el" 2.5

DBHOOK_API_TIMEOUT=0.5 run "$SUPABASE_PROBE" -p 0.1 -d 10 wait hiccup
is "$RC" 0 "API hiccups while waiting: waited out, exit 0"
is "$(nreq GET "$(p hiccup)")" 6 "API hiccups while waiting: a 503 and a drop retried at once, a time-out at the next poll"
like "$ERR" '^supabase_probe: note: the Supabase Management API did not answer within 0.5 s; still waiting$' \
	"API hiccups while waiting: the time-out noted"
like "$OUT" '^Supabase project hiccup is healthy' "API hiccups while waiting: healthy at the end"

run "$SUPABASE_PROBE" -p 0.1 -d 10 wait waitunauth
is "$RC" 2 "401 while waiting: exit 2 at once"
is "$(nreq GET "$(p waitunauth)")" 1 "401 while waiting: no more polls"

run "$SUPABASE_PROBE" restore pausing
is "$RC" 3 "restore refused (400): exit 3"
like "$ERR" 'error: Supabase refused to restore project "pausing" \(HTTP 400\)' "restore refused (400): said so"
like "$ERR" 'detail: The API said: This project is no longer in a paused state, it is PAUSING' "restore refused (400): the API's message"

run "$SUPABASE_PROBE" restore boom
is "$RC" 3 "restore 500: exit 3"
is "$(nreq POST "$(p boom)/restore")" 1 "restore 500: not sent again"
like "$ERR" 'may still have been carried out' "restore 500: says the restore may have started"
stop

finish
