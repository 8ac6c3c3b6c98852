#!/usr/bin/env bash
# Contract tests for both binaries: --help, --version, bad options, usage
# errors. No database needed.
. "$(dirname "$0")/lib.sh"
unset DATABASE_URL_DIRECT MIGRATE_DATABASE_URL DATABASE_URL

run "$DBHOOK" --help
is "$RC" 0 "dbhook --help exits 0"
like "$OUT" '^Usage: dbhook COMMAND' "dbhook --help prints usage on stdout"
like "$OUT" '^  5  status: failed, modified' "dbhook --help documents exit codes"
is "$ERR" "" "dbhook --help prints nothing on stderr"

run "$DBHOOK" --version
is "$RC" 0 "dbhook --version exits 0"
like "$OUT" '^dbhook [0-9]+\.[0-9]+\.[0-9]+ ' "dbhook --version prints the version"

run "$DBHOOK" status --help
is "$RC" 0 "dbhook status --help exits 0"

run "$DBHOOK" --bogus
is "$RC" 2 "dbhook --bogus exits 2"
like "$ERR" '^dbhook: error: unknown option .*--bogus' "bad option named"
like "$ERR" "^dbhook: hint: Try 'dbhook --help'" "bad option hints at --help"

run "$DBHOOK" -x
is "$RC" 2 "dbhook -x exits 2"
like "$ERR" 'unknown option "-x"' "bad short option named"

run "$DBHOOK"
is "$RC" 2 "no command exits 2"
like "$ERR" 'no command given' "no command: message"

run "$DBHOOK" frobnicate
is "$RC" 2 "unknown command exits 2"
like "$ERR" 'unknown command "frobnicate"' "unknown command named"

run "$DBHOOK" deploy --dir
is "$RC" 2 "option without its value exits 2"
like "$ERR" '"--dir" needs a value' "missing value named"

run "$DBHOOK" deploy --lock-timeout soon
is "$RC" 2 "non-numeric --lock-timeout exits 2"
like "$ERR" 'takes a number of seconds' "bad number explained"

run "$DBHOOK" deploy --timeout -5
is "$RC" 2 "negative --timeout exits 2"

run "$DBHOOK" resolve
is "$RC" 2 "resolve without a flag exits 2"
like "$ERR" 'exactly one of --applied NAME or --rolled-back NAME' "resolve flags explained"

run "$DBHOOK" resolve --applied a --rolled-back b
is "$RC" 2 "resolve with both flags exits 2"

run "$DBHOOK" status --baseline x
is "$RC" 2 "--baseline outside deploy exits 2"

run "$DBHOOK" deploy --json
is "$RC" 2 "--json outside status exits 2"

run "$DBHOOK" new
is "$RC" 2 "new without a name exits 2"

# A URL pasted on the command line is refused and never echoed.
TEST_EXTRA_SECRET='argv-Secret-42'
run "$DBHOOK" deploy "postgresql://app:argv-Secret-42@db.example.com/app"
is "$RC" 2 "a URL given as an argument is refused"
like "$ERR" '^dbhook: error: unexpected argument \(its text is not shown: it may be a secret\)$' \
	"the argument is not shown at all"
unlike "$ERR" 'example\.com' "not even its host"
run "$DBHOOK" deploy --timeout "hunter2-not-a-number"
is "$RC" 2 "a bad --timeout value exits 2"
like "$ERR" '^dbhook: error: --timeout takes a number of seconds from 0 to 86400$' "names the option, not the value"
unlike "$ERR" 'hunter2' "the value is not echoed"
run "$DBHOOK" stauts
like "$ERR" '^dbhook: error: unknown command "stauts"$' "a command-like word is still shown"
like "$ERR" '^dbhook: hint: Did you mean .dbhook status.\? ' "a typo of a command: the nearest one suggested"
run "$DBHOOK" status --jsno
is "$RC" 2 "a typo of an option: exit 2"
like "$ERR" '^dbhook: hint: Did you mean --json\? ' "the nearest option suggested"
run "$DBHOOK" frobnicate
unlike "$ERR" 'Did you mean' "nothing suggested for a word near no command"
run "$DBHOOK" deploy --url=postgresql://app:argv-Secret-42@h/app
is "$RC" 2 "a URL given to --url= (--url-env abbreviated) is refused"
like "$ERR" 'takes the name of an environment variable' "--url-env wants a name"
run "$DBHOOK" deploy --url-env 'postgresql://app:argv-Secret-42@h/app'
is "$RC" 2 "a URL given to --url-env is refused"
TEST_EXTRA_SECRET=

run "$DBHOOK" status --dir "$SRCDIR/migrations"
is "$RC" 2 "no URL in the environment exits 2"
like "$ERR" 'error: no database URL' "missing URL: message"
like "$ERR" 'hint: Set DATABASE_URL_DIRECT' "missing URL: hint names the variables"

run env -u NOPE_URL "$DBHOOK" status --url-env NOPE_URL
is "$RC" 2 "--url-env naming an unset variable exits 2"
like "$ERR" 'environment variable NOPE_URL is not set' "unset --url-env variable named"

run "$VERCEL_BUILD" --help
is "$RC" 0 "vercel-build --help exits 0"
like "$OUT" '^Usage: vercel-build' "vercel-build --help prints usage on stdout"
like "$OUT" '^Exit codes' "vercel-build --help documents exit codes"

run "$VERCEL_BUILD" --version
is "$RC" 0 "vercel-build --version exits 0"
like "$OUT" '^vercel-build [0-9]+\.[0-9]+\.[0-9]+ ' "vercel-build --version prints the version"

run "$VERCEL_BUILD" --bogus
is "$RC" 2 "vercel-build --bogus exits 2"
like "$ERR" "^vercel-build: hint: Try 'vercel-build --help'" "vercel-build bad option hints at --help"

# ---- one command table, one parser -----------------------------------------
# Global options go before or after the command.
run "$DBHOOK" --quiet new --dir "$WORK/m" first_one
is "$RC" 0 "--quiet before the command is taken"
like "$OUT" '^Created .*_first_one/migration\.sql$' "and the outcome is printed"
unlike "$OUT" '^Next:' "without the progress lines"
run "$DBHOOK" --quiet run --config "$WORK/none" --password-fd 9
is "$RC" 2 "--quiet before \`run\` is taken (the error is about --password-fd)"
like "$ERR" '^dbhook: error: --password-fd 9: that file descriptor is not open$' "the command's own error"
# Each command has its own help, and --version works everywhere.
for c in status deploy resolve new setup run profiles; do
	run "$DBHOOK" "$c" --help
	is "$RC" 0 "dbhook $c --help exits 0"
	like "$OUT" "^Usage: dbhook $c" "dbhook $c --help is the help of $c"
	like "$OUT" '^  -h, --help ' "and lists --help"
	run "$DBHOOK" help "$c"
	is "$OUT" "$("$DBHOOK" "$c" --help)" "dbhook help $c is the same"
	run "$DBHOOK" "$c" --version
	is "$RC:$ERR" "0:" "dbhook $c --version exits 0"
	like "$OUT" '^dbhook [0-9]+\.[0-9]+\.[0-9]+ ' "dbhook $c --version prints the version"
done
run "$DBHOOK" status --help
unlike "$OUT" '--baseline' "the help of status does not list deploy's options"
like "$OUT" '^  --json ' "but its own"
# The help cannot drift from what is accepted: every option a command's
# help lists is taken by it, every other command's option is refused.
all_opts=$(for c in status deploy resolve new setup run profiles; do
	"$DBHOOK" "$c" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'
done | sort -u)
drift=""
for c in status deploy resolve new setup run profiles; do
	mine=$("$DBHOOK" "$c" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+( [A-Z]+)?' | sed 's/^ *\(-., \)\?//')
	while read -r opt arg; do
		[ "$opt" = --help ] || [ "$opt" = --version ] && continue
		if [ -n "$arg" ]; then
			"$DBHOOK" "$c" "$opt=" >/dev/null 2>"$WORK/err"
		else
			"$DBHOOK" "$c" "$opt" --help >/dev/null 2>"$WORK/err"
		fi
		grep -qE 'unknown option|does not apply' "$WORK/err" && drift+=" $c:$opt(listed,refused)"
	done <<<"$mine"
	for opt in $all_opts; do
		grep -qxF -- "$opt" <<<"$(sed 's/ .*//' <<<"$mine")" && continue
		"$DBHOOK" "$c" "$opt" >/dev/null 2>"$WORK/err"
		grep -qE 'does not apply|unknown option' "$WORK/err" || drift+=" $c:$opt(not listed,taken)"
	done
done
is "$drift" "" "every command takes exactly the options its help lists"
# An option of another command: whose it is.
run "$DBHOOK" deploy --json
like "$ERR" '^dbhook: error: option --json does not apply to `dbhook deploy`$' "an option of another command: named"
like "$ERR" '^dbhook: hint: --json belongs to `dbhook status`, `dbhook check`\.' "and whose it is"
run "$DBHOOK" --baseline x status
is "$RC" 2 "an option before the command is checked against it too"
like "$ERR" 'belongs to `dbhook deploy`, `dbhook run`' "every command that takes it"
# Typos: the nearest valid option of that command.
run "$DBHOOK" deploy --alow-unrelated
like "$ERR" '^dbhook: hint: Did you mean --allow-unrelated\? Try .dbhook deploy --help.' "deploy: nearest option"
run "$DBHOOK" run --profle x
is "$RC" 2 "run: a typo exits 2"
like "$ERR" '^dbhook: hint: Did you mean --profile\? ' "run: nearest option"
run "$DBHOOK" setup --bogus
is "$(wc -l <<<"$ERR")" 2 "a vault command's usage error is printed once (error and hint)"
run "$DBHOOK" new
like "$ERR" '^dbhook: error: `dbhook new` needs a NAME$' "new without NAME"
run "$DBHOOK" status --json=yes
like "$ERR" '^dbhook: error: option "--json" takes no value$' "a flag given a value"
run "$VERCEL_BUILD" --json
like "$ERR" '^vercel-build: error: unknown option "--json"$' "dbhook's options are unknown to vercel-build"
run "$VERCEL_BUILD" --dry-run --stirct
like "$ERR" '^vercel-build: hint: Did you mean --strict\? ' "vercel-build: nearest option"

# ---- configuration read once -------------------------------------------------
others=$(grep -l 'getenv(' "$SRCDIR"/build-hook/*.c | grep -v '/config\.c$')
is "$others" "" "only config.c reads the environment"
table=$(sed -n '/^### Every environment variable/,/^## /p' "$SRCDIR/README.md" |
	grep '^| `' | cut -d'|' -f2 | grep -o '`[A-Za-z_]*`' | tr -d '`' | sort -u)
read_names=$(grep -oE '(text|flag)\("[A-Za-z_]+"\)' "$SRCDIR/build-hook/config.c" |
	grep -oE '"[A-Za-z_]+"' | tr -d '"' | sort -u)
check "config.c reads some variables (the check below is not empty)" [ "$(wc -l <<<"$read_names")" -gt 20 ]
is "$(comm -23 <(echo "$read_names") <(echo "$table"))" "" "the README's table lists every variable config.c reads"

finish
