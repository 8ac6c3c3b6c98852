#!/usr/bin/env bash
# The failure/success webhook through tests/notify_probe against
# tests/httpd.py on loopback: the JSON payload field by field, the Slack
# text, 2xx/4xx/5xx answers, a redirect (not followed), a slow server (the
# total timeout), a closed port, and the URL's token never printed.
. "$(dirname "$0")/lib.sh"

PROBE=${NOTIFY_PROBE:-$BUILDDIR/tests/notify_probe}
HTTPD=${SRCDIR:-$(dirname "$0")/..}/tests/httpd.py
# Loopback only: no proxy may take the requests elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
TOKEN=XyZsecretTOKEN
export TEST_EXTRA_SECRET=$TOKEN # lib.sh's run fails a test that prints it
HOOK=/services/T000/B000/$TOKEN

cat >"$WORK/routes.json" <<EOF
{"POST $HOOK": [{"status": 200, "raw": "ok"}],
 "POST /created": [{"status": 201, "body": {"ok": true}}],
 "POST /services/T000/B500/$TOKEN": [{"status": 500,
     "raw": "internal error in /services/T000/B500/$TOKEN\nsee logs"}],
 "POST /slow": [{"status": 200, "raw": "ok", "delay": 10}],
 "POST /redirect": [{"status": 302, "raw": "",
     "headers": {"Location": "/followed/$TOKEN"}}]}
EOF
python3 "$HTTPD" "$WORK/routes.json" "$WORK/requests.jsonl" "$WORK/port" \
	--lifetime 120 >"$LOGDIR/httpd.log" 2>&1 &
HTTPD_PID=$!
trap 'kill "$HTTPD_PID" 2>/dev/null' EXIT
for _ in $(seq 1 500); do
	[ -s "$WORK/port" ] && break
	sleep 0.02
done
PORT=$(cat "$WORK/port" 2>/dev/null)
if [ -z "$PORT" ]; then
	ok 1 "tests/httpd.py started (no port file after 10 s)"
	finish
fi
BASE=http://127.0.0.1:$PORT

# request PATH : the body of the last request to PATH, as JSON.
request() {
	jq -c --arg p "$1" 'select(.path == $p)' "$WORK/requests.jsonl" | tail -n 1
}
field() { # field JSON KEY : the payload's KEY (jq -r), "null" when null
	printf '%s' "$1" | jq -r --arg k "$2" '.body | fromjson | .[$k]'
}

ms_since() { # ms_since EPOCHREALTIME : milliseconds elapsed
	echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000))
}

# A failure, every field given.
run "$PROBE" "$BASE$HOOK" 5 outcome=failure environment=production \
	project=app.example.com commit=abc1234 \
	migration=20240101000000_init sqlstate=42P07 \
	'message=relation "users" already exists' \
	'hint=Drop the table or mark the migration applied.' applied=2
is "$RC" 0 "failure event: exit 0 on HTTP 200"
is "$OUT" "sent to $BASE" "prints only scheme://host:port"
req=$(request "$HOOK")
is "$(printf '%s' "$req" | jq -r .method)" POST "sent as a POST"
is "$(printf '%s' "$req" | jq -r '.headers["Content-Type"]')" application/json \
	"Content-Type: application/json"
like "$(printf '%s' "$req" | jq -r '.headers["User-Agent"]')" '^dbhook/' "User-Agent names dbhook"
is "$(printf '%s' "$req" | jq -r '.body | fromjson | type')" object "the body is one JSON object"
for kv in outcome=failure environment=production project=app.example.com \
	commit=abc1234 migration=20240101000000_init sqlstate=42P07 \
	'message=relation "users" already exists' \
	'hint=Drop the table or mark the migration applied.' applied=2 tool=dbhook; do
	is "$(field "$req" "${kv%%=*}")" "${kv#*=}" "payload field ${kv%%=*}"
done
is "$(printf '%s' "$req" | jq -r '.body | fromjson | .applied | type')" number "applied is a number"
is "$(field "$req" text)" \
	':x: dbhook: migration 20240101000000_init failed in production (abc1234) for app.example.com: relation "users" already exists Hint: Drop the table or mark the migration applied.' \
	"text: one readable line for Slack"

# A success: absent fields are null, the text says what happened.
run "$PROBE" "$BASE/created" 5 outcome=success environment=preview applied=3
is "$RC" 0 "success event: exit 0 on HTTP 201"
req=$(request /created)
is "$(field "$req" text)" ':white_check_mark: dbhook: migrations succeeded in preview: 3 migrations applied' \
	"success text"
for k in project commit migration sqlstate message hint; do
	is "$(field "$req" "$k")" null "absent $k is null"
done
is "$(field "$req" applied)" 3 "applied count"

# Slack escaping in the text only; a long commit is shortened in the text.
run "$PROBE" "$BASE/created" 5 outcome=failure environment=production \
	commit=0123456789abcdef0123456789abcdef01234567 \
	"message=$(printf 'a <b> & c\nsecond line')"
req=$(request /created)
is "$(field "$req" text)" ':x: dbhook: migrations failed in production (0123456): a &lt;b&gt; &amp; c second line' \
	"text: &, <, > escaped, one line, commit shortened"
is "$(field "$req" message)" "$(printf 'a <b> & c\nsecond line')" "message field unescaped"
is "$(field "$req" commit)" 0123456789abcdef0123456789abcdef01234567 "commit field as given"

# HTTP 500: a clear message; the answer is shown without the token.
run "$PROBE" "$BASE/services/T000/B500/$TOKEN" 5 outcome=failure message=x
is "$RC" 1 "HTTP 500: exit 1"
like "$ERR" "^notify_probe: error: notification webhook at $BASE answered HTTP 500\$" \
	"HTTP 500: message names the status and the origin only"
like "$ERR" '^notify_probe: detail: The server said: internal error in .*\*\*\* see logs$' \
	"HTTP 500: the answer is shown, scrubbed of the URL's secret parts"

# An unknown hook (httpd answers 404 and echoes the path).
run "$PROBE" "$BASE/services/T000/B404/$TOKEN" 5 outcome=failure message=x
is "$RC" 1 "HTTP 404: exit 1"
like "$ERR" 'hint: The webhook may have been deleted or its token revoked' "HTTP 404: hint"

# A token in the query string or a password in the URL is not printed.
run "$PROBE" "http://hook:hunter2pw@127.0.0.1:$PORT/hook?token=$TOKEN" 5 outcome=failure message=x
is "$RC" 1 "query-string token: exit 1 (404)"
unlike "$OUT$ERR" 'hunter2pw|hook:' "the URL's user and password are not printed"
like "$ERR" "webhook at $BASE answered HTTP 404" "only scheme://host:port shown"

# A redirect is reported, not followed.
run "$PROBE" "$BASE/redirect" 5 outcome=failure message=x
is "$RC" 1 "HTTP 302: exit 1"
like "$ERR" "error: notification webhook at $BASE answered HTTP 302, a redirect \(not followed\)" \
	"HTTP 302: reported as a redirect"
is "$(jq -r 'select(.path | startswith("/followed")) | .path' "$WORK/requests.jsonl" | wc -l)" 0 \
	"the redirect target was never requested"

# A slow server: the total timeout holds.
t0=$EPOCHREALTIME
run "$PROBE" "$BASE/slow" 2 outcome=failure message=x
ms=$(ms_since "$t0")
is "$RC" 3 "slow server with timeout 2: exit 3"
check "returns within 4 s (took ${ms} ms)" [ "$ms" -lt 4000 ]
like "$ERR" "error: notification webhook at $BASE did not answer within 2 s" "timeout message"

# Server down: a closed port fails fast.
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
t0=$EPOCHREALTIME
run "$PROBE" "http://127.0.0.1:$CLOSED/services/T000/B000/$TOKEN" 5 outcome=failure message=x
ms=$(ms_since "$t0")
is "$RC" 3 "closed port: exit 3"
check "fails fast (took ${ms} ms)" [ "$ms" -lt 2000 ]
like "$ERR" "error: cannot reach the notification webhook at http://127.0.0.1:$CLOSED\$" \
	"closed port: clear message"
like "$ERR" 'detail: .*(connect|Connection refused)' "closed port: the cause"

# Not http(s).
run "$PROBE" "ftp://files.example.com/$TOKEN" 5 outcome=failure message=x
is "$RC" 2 "ftp:// URL: exit 2"
like "$ERR" 'error: notification webhook URL is not an http\(s\) URL \(ftp://files.example.com\)' \
	"ftp:// URL: explained, origin only"
run "$PROBE" "not a url $TOKEN" 5 outcome=failure message=x
is "$RC" 2 "not a URL: exit 2"
like "$ERR" 'unparsable URL' "not a URL: explained without echoing it"

check "every request was a POST to loopback" test "$(jq -r .method "$WORK/requests.jsonl" | sort -u)" = POST

finish
