#!/usr/bin/env bash
# replay.sh TARGET CORPUS_DIR: runs every saved input of one fuzz target
# once (libFuzzer runs the files it is given and does not mutate them);
# one TAP line, so scripts/test counts each target as a check.
set -u
target=$1 corpus=$2
name=$(basename "$target")
shopt -s nullglob
files=("$corpus"/*)
echo "1..1"
if ((${#files[@]} == 0)); then
	echo "not ok 1 - $name: no inputs in $corpus"
	exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -timeout: an input that hangs fails in seconds, not 20 minutes.
if "$target" -runs=1 -timeout=10 "${files[@]}" >"$log" 2>&1; then
	echo "ok 1 - $name: ${#files[@]} inputs replayed"
else
	# The report, as TAP comments: the stack and the input that failed.
	sed 's/^/# /' "$log" | tail -n 60
	echo "not ok 1 - $name: an input of $corpus fails (see above)"
fi
