#!/usr/bin/env bash
# The hand-off to the build command, through tests/handoff_probe: which
# command runs, exec'd in place (its exit code and signals are the build's),
# the DBHOOK_HANDOFF marker, a missing command or package manager. Fake
# package managers stand in for npm, pnpm, yarn and bun. No database.
. "$(dirname "$0")/lib.sh"

PROBE=${HANDOFF_PROBE:-$BUILDDIR/tests/handoff_probe}
unset DBHOOK_HANDOFF npm_lifecycle_event
BIN=$WORK/bin
REC=$WORK/record
mkdir -p "$BIN" "$WORK/empty"
SYSPATH=$BIN:/usr/bin:/bin

# fake NAME : a program that records its name, words (one per line), the
# marker and its directory in $REC, says so on stdout, exits $FAKE_RC.
fake() {
	cat >"$1" <<'EOF'
#!/bin/sh
{
	printf 'argv0=%s\n' "${0##*/}"
	for a in "$@"; do printf 'arg=%s\n' "$a"; done
	printf 'DBHOOK_HANDOFF=%s\n' "${DBHOOK_HANDOFF-<unset>}"
	printf 'pwd=%s\n' "$PWD"
} >"$FAKE_RECORD"
echo "fake ${0##*/} ran"
exit "${FAKE_RC:-0}"
EOF
	chmod +x "$1"
}
for pm in npm pnpm yarn bun; do
	fake "$BIN/$pm"
done
export FAKE_RECORD=$REC

# project DIR [LOCKFILE] : a package.json with a "build" script.
project() {
	mkdir -p "$WORK/$1"
	echo '{"name": "app", "scripts": {"build": "next build"}}' >"$WORK/$1/package.json"
	if [ -n "${2:-}" ]; then : >"$WORK/$1/$2"; fi
}

probe() { # probe DIR [-- WORDS...] : with the fakes first on PATH
	rm -f "$REC"
	run env PATH="$SYSPATH" "$PROBE" "$@"
}

# Each lockfile names its manager, exec'd as `<pm> run build`.
for c in npm:package-lock.json pnpm:pnpm-lock.yaml yarn:yarn.lock \
	bun:bun.lockb bun:bun.lock npm:; do
	pm=${c%%:*}
	lock=${c#*:}
	d=$WORK/p-$pm-${lock:-none}
	project "p-$pm-${lock:-none}" "$lock"
	probe "$d"
	is "$RC" 0 "$pm (${lock:-no lockfile}): exit 0"
	is "$(grep -E '^(argv0|arg)=' "$REC" 2>/dev/null | tr '\n' ' ')" \
		"argv0=$pm arg=run arg=build " "$pm (${lock:-no lockfile}): '$pm run build' exec'd"
	like "$OUT" "^source: package.json \"build\" script via $pm \(${lock:-no lockfile}\)\$" \
		"$pm (${lock:-no lockfile}): source printed"
	like "$OUT" "^command: $pm run build\$" "$pm (${lock:-no lockfile}): command printed"
done
check "the build runs in the project folder" grep -qx "pwd=$WORK/p-npm-none" "$REC"
is "$(printf '%s\n' "$OUT" | head -n 3 | tr '\n' '|')" \
	"source: package.json \"build\" script via npm (no lockfile)|command: npm run build|fake npm ran|" \
	"our lines are flushed before the build writes"

# A monorepo app folder: the lockfile at the workspace root names the
# manager; the build still runs in the app's folder.
mkdir -p "$WORK/mono/.git" "$WORK/mono/apps"
: >"$WORK/mono/pnpm-lock.yaml"
project mono/apps/web
probe "$WORK/mono/apps/web"
like "$OUT" "^source: package.json \"build\" script via pnpm \(pnpm-lock.yaml in $WORK/mono\)\$" \
	"monorepo: the root's lockfile names the manager, and where it is"
check "monorepo: the build runs in the app's folder" grep -qx "pwd=$WORK/mono/apps/web" "$REC"
# A lockfile above the repository's top is not ours.
mkdir -p "$WORK/outer/repo/.git"
: >"$WORK/outer/yarn.lock"
project outer/repo/app
probe "$WORK/outer/repo/app"
like "$OUT" '^source: package.json "build" script via npm \(no lockfile\)$' \
	"a lockfile above the repository root is not used"

# The recursion marker reaches the build.
check "DBHOOK_HANDOFF=1 is set in the build's environment" grep -qx 'DBHOOK_HANDOFF=1' "$REC"

# The build's exit code is ours.
FAKE_RC=7 probe "$WORK/p-pnpm-pnpm-lock.yaml"
is "$RC" 7 "the build's exit code 7 passes through"

# Words after -- are exec'd as given: no shell, no splitting.
# shellcheck disable=SC2016 # a literal $HOME is the point
LIT='$HOME'
fake "$BIN/mybuild"
probe "$WORK/p-npm-none" -- mybuild 'a b' 'c;d' "$LIT"
is "$RC" 0 "-- command: exit 0"
is "$(grep '^arg=' "$REC" | tr '\n' '|')" "arg=a b|arg=c;d|arg=$LIT|" \
	"-- words arrive as argv words, unexpanded"
like "$OUT" "^source: command after --\$" "-- source printed"
like "$OUT" "^command: mybuild 'a b' 'c;d' '\\\$HOME'\$" "-- command displayed shell-quoted"

# A framework default finds the tool in the project's node_modules/.bin,
# as Vercel's PATH does.
mkdir -p "$WORK/fw/node_modules/.bin"
echo '{"framework": "nextjs"}' >"$WORK/fw/vercel.json"
fake "$WORK/fw/node_modules/.bin/next"
probe "$WORK/fw"
is "$RC" 0 "framework nextjs: exit 0"
is "$(grep -E '^(argv0|arg)=' "$REC" 2>/dev/null | tr '\n' ' ')" "argv0=next arg=build " \
	"framework nextjs: 'next build' from node_modules/.bin"
like "$OUT" '^source: framework "nextjs" in vercel.json$' "framework source printed"

# Nothing to run.
mkdir -p "$WORK/bare"
probe "$WORK/bare"
is "$RC" 0 "no package.json, no framework: exit 0"
like "$OUT" '^command: none$' "nothing to run"

# A build script that calls vercel-build is not used: no loop.
mkdir -p "$WORK/self"
echo '{"scripts": {"build": "vercel-build && next build"}}' >"$WORK/self/package.json"
probe "$WORK/self"
is "$RC" 0 "build script calling vercel-build: exit 0"
like "$ERR" '^handoff_probe: warning: the package.json "build" script runs vercel-build itself' \
	"warned that the build script runs vercel-build"
like "$OUT" '^command: none$' "and it is not run"
check "no package manager ran" test ! -e "$REC"
# ... unless we run inside that very script: then the rest of it builds.
rm -f "$REC"
run env PATH="$SYSPATH" npm_lifecycle_event=build "$PROBE" "$WORK/self"
is "$RC" 0 "inside the build script that calls vercel-build: exit 0"
unlike "$ERR" 'warning' "no warning inside the build script"
like "$ERR" 'note: running inside the package.json "build" script' "a note instead"

# A malformed package.json: warning with line:column, then the fallback.
mkdir -p "$WORK/badjson"
printf '{\n  "scripts": {\n    "build": "next build",\n  }\n}\n' >"$WORK/badjson/package.json"
echo '{"framework": "nextjs"}' >"$WORK/badjson/vercel.json"
probe "$WORK/badjson"
like "$ERR" "warning: $WORK/badjson/package.json:4:3: invalid JSON near \"}\"" \
	"malformed package.json: warning names file:line:column"
like "$OUT" '^source: framework "nextjs" in vercel.json$' "malformed package.json: falls back to the framework"
is "$RC" 127 "falls back to next build, which is not installed here: 127"

# A build that runs inside the hand-off sees the marker (what stops a
# second vercel-build from migrating and handing off again).
cat >"$BIN/nested" <<EOF
#!/bin/sh
exec "$PROBE" "$WORK/p-npm-none"
EOF
chmod +x "$BIN/nested"
probe "$WORK/bare" -- nested
like "$OUT" '^inside: yes$' "a vercel-build started by the build knows it runs inside a hand-off"

# Command not found: 127 and a clear message.
probe "$WORK/bare" -- dbhook-no-such-build --prod
is "$RC" 127 "command not found: exit 127"
like "$ERR" '^handoff_probe: error: cannot run build command "dbhook-no-such-build --prod": "dbhook-no-such-build" not found$' \
	"command not found: the message names the command"
like "$ERR" '^handoff_probe: hint: Check the command after --' "command not found: hint"

# The lockfile names a manager that is not installed.
rm -f "$REC"
run env PATH="$WORK/empty" "$PROBE" "$WORK/p-pnpm-pnpm-lock.yaml"
is "$RC" 127 "pnpm-lock.yaml without pnpm installed: exit 127"
like "$ERR" 'error: cannot run build command "pnpm run build": "pnpm" not found' \
	"missing package manager named"
like "$ERR" 'hint: The lockfile names pnpm, which is not installed here' "missing package manager: hint"
like "$ERR" 'detail: The command was chosen from: package.json "build" script via pnpm \(pnpm-lock.yaml\)' \
	"missing package manager: detail names the lockfile"

# Found but not executable: 126.
printf '#!/bin/sh\nexit 0\n' >"$WORK/notexec"
chmod -x "$WORK/notexec"
probe "$WORK/bare" -- "$WORK/notexec"
is "$RC" 126 "not executable: exit 126"
like "$ERR" 'hint: Make ".*/notexec" executable' "not executable: hint chmod +x"

# SIGTERM sent to the process after the hand-off reaches the build: exec
# replaced the process, so the pid is the build's. Run twice: as is, and
# with the caller blocking every signal and ignoring SIGPIPE before the
# hand-off (which must not leak into the build).
cat >"$BIN/slow-build" <<'EOF'
#!/bin/bash
yes 2>"$FAKE_DIR/sigpipe.err" | head -n 1 >/dev/null
echo $$ >"$FAKE_DIR/build.pid"
trap 'echo TERM >"$FAKE_DIR/trapped"; kill "$sleeper" 2>/dev/null; exit 42' TERM
sleep 30 &
sleeper=$!
wait "$sleeper"
echo "not interrupted" >"$FAKE_DIR/trapped"
EOF
chmod +x "$BIN/slow-build"
export FAKE_DIR=$WORK
for mode in plain blocked; do
	rm -f "$WORK/build.pid" "$WORK/trapped" "$WORK/sigpipe.err"
	block=
	if [ "$mode" = blocked ]; then block=1; fi
	run_bg "sigterm-$mode" env PATH="$SYSPATH" ${block:+PROBE_BLOCK_SIGNALS=1} \
		"$PROBE" "$WORK/bare" -- slow-build >/dev/null
	PID=$!
	for _ in $(seq 1 500); do
		[ -s "$WORK/build.pid" ] && break
		sleep 0.02
	done
	is "$(cat "$WORK/build.pid" 2>/dev/null)" "$PID" "$mode: the build runs in the probe's process (same pid)"
	t0=$SECONDS
	kill -TERM "$PID"
	bg_result "sigterm-$mode" "$PID"
	is "$(cat "$WORK/trapped" 2>/dev/null)" TERM "$mode: SIGTERM reached the build's trap"
	is "$RC" 42 "$mode: the build's exit code after the signal is ours"
	check "$mode: the probe did not wait for the build's sleep" [ $((SECONDS - t0)) -lt 10 ]
	is "$(cat "$WORK/sigpipe.err" 2>/dev/null)" "" "$mode: SIGPIPE is at its default in the build"
done

finish
