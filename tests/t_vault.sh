#!/usr/bin/env bash
# Local secure migration: dbhook setup / run / profiles.
#
# setup and run are driven through a real pseudo-terminal (tests/ptydrive:
# it types the answers after each prompt and records the screen), the
# rest through --url-fd / --password-fd. Every refusal must exit 2 and
# leave the database untouched (no _prisma_migrations). Most profiles use
# the cheapest allowed scrypt cost (--scrypt-n 32768) to keep the test
# fast; one uses the default (2^17).
. "$(dirname "$0")/lib.sh"
need_db
: "${PTYDRIVE:?PTYDRIVE must name the tests/ptydrive binary}"

VP1='Vault pw 1: ünï©ode!'
VP2='2nd-Vault#pw$x%40'
VP3='Third-vault-pw-333'
VP4='Rotated-vault-pw-4'
VP5='Rotated-vault-pw-5'
# A file written by the dbhook before profiles recorded their time
# (format version 1): two profiles, their URLs on a closed port.
LP1='Legacy-vault-pw-1'
LP2='Legacy-vault-pw-2'
LEGACY_DB_PW1='Legacy-db-pw-9'
LEGACY_DB_PW2='Legacy-db-pw-8'
ARGV_SECRET='Argv-secret-77' # typed on a command line by mistake
TEST_EXTRA_SECRET=$(printf '%s\n' "$VP1" "$VP2" "$VP3" "$VP4" "$VP5" "$LP1" "$LP2" \
	"$LEGACY_DB_PW1" "$LEGACY_DB_PW2" "$ARGV_SECRET")
WRONG='cannot decrypt profile "production": wrong password or the file was changed'
FAST=(--scrypt-n 32768)

export HOME=$WORK/home
mkdir -p "$HOME" "$WORK/app"
printf '{"name": "@acme/shop-web", "private": true}\n' >"$WORK/app/package.json"
M=$WORK/app/migrations
cp -r "$SRCDIR/migrations" "$M"
DEFAULT_CFG=$HOME/.acme-shop-web-migrate-config

db1=$(newdb)
db2=$(newdb)
dbx=$(newdb) # every refusal below must leave it without history
URL1=$(url_for "$db1")
URL2=$(url_for "$db2")

printf '%s\n' "$VP1" >"$WORK/pw1"
printf '%s\n' "$VP2" >"$WORK/pw2"
printf '%s\n' "$VP3" >"$WORK/pw3"
printf 'not-the-password\n' >"$WORK/pwbad"

pty() { # pty SCRIPT CMD... : runs CMD on a pty, typing SCRIPT's answers
	local script=$1
	shift
	run "$PTYDRIVE" -t 90 -s "$script" -- "$@"
	# Messages may be coloured on a terminal: match the plain text.
	OUT=$(printf '%s\n' "$OUT" | sed $'s/\e\\[[0-9;]*[mK]//g')
}

lacks() { # lacks TEXT NEEDLE NAME : NEEDLE (fixed string) is not in TEXT
	if printf '%s' "$1" | grep -qF -- "$2"; then ok 1 "$3"; else ok 0 "$3"; fi
}

applied() { # applied DB : number of applied migrations
	admin "$1" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL"
}

untouched() { # untouched NAME : one TAP line, dbx has no history table
	is "$(admin "$dbx" "SELECT to_regclass('_prisma_migrations') IS NULL")" t "$1: nothing applied"
}

run "$DBHOOK" --help
like "$OUT" '^  setup \[--profile P\] ' "dbhook --help lists setup"
like "$OUT" '^  run \[--profile P\] ' "and run"
like "$OUT" '^  profiles ' "and profiles"
run "$DBHOOK" setup --help
is "$RC" 0 "dbhook setup --help: exit 0"
like "$OUT" '^  --password-fd N ' "documents --password-fd"

# ---- setup on a terminal -------------------------------------------------
cat >"$WORK/setup1.pty" <<EOF
expect Direct database URL for profile "production" (input hidden):
echo-state
send postgresql://broken:url@host:port:port/x
expect try again
expect Direct database URL
send $URL1
expect New password for profile "production"
echo-state
send $VP1
expect Repeat the password:
send $VP1-typo
expect do not match
expect New password
send $VP1
expect Repeat the password:
send $VP1
EOF
pty "$WORK/setup1.pty" env -C "$WORK/app" "$DBHOOK" setup
is "$RC" 0 "setup on a terminal: exit 0"
like "$OUT" '^Direct database URL for profile "production" \(input hidden\): \[ptydrive: echo off\]' \
	"the URL prompt is on the terminal, with echo off"
like "$OUT" '^New password for profile "production" \(input hidden\): \[ptydrive: echo off\]' \
	"the password prompt has echo off"
like "$OUT" 'the passwords do not match; try again \(2 tries left\)' "a mismatch asks again"
like "$OUT" 'error: .*postgresql://broken:\*\*\*@' "an invalid URL is refused (redacted) and asked again"
lacks "$OUT" "$VP1" "the typed password does not appear in the transcript"
lacks "$OUT" "$URL1" "the typed URL does not appear in the transcript"
like "$OUT" "^Datasource: postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$db1\$" \
	"the stored URL is shown redacted"
like "$OUT" '^\[ptydrive: exit 0, echo on\]$' "the terminal's echo is back on afterwards"
check "default file: ~/.<package.json name, sanitised>-migrate-config" test -f "$DEFAULT_CFG"
is "$(stat -c %a "$DEFAULT_CFG")" 600 "created with mode 0600"
like "$(cat "$DEFAULT_CFG")" '^profile production scrypt N=131072 r=8 p=1 salt=' "default scrypt cost N=2^17, r=8, p=1"
for s in "$VP1" "$URL1" "$TEST_DB_PASSWORD" "$TEST_DB_PASSWORD_ENC" "127.0.0.1" "$db1"; do
	if grep -qF -- "$s" "$DEFAULT_CFG"; then leak=1; else leak=0; fi
	ok "$leak" "no plaintext URL or password bytes in the file (${#s}-character value)"
done

# ---- run on a terminal ----------------------------------------------------
# It shows what is pending and asks; "n" applies nothing.
cat >"$WORK/run0.pty" <<EOF
expect Password for profile "production":
send $VP1
expect [y/N]
send n
expect Nothing was applied.
EOF
pty "$WORK/run0.pty" env -C "$WORK/app" "$DBHOOK" run --dir "$M"
is "$RC" 0 "run on a terminal, answered no: exit 0"
like "$OUT" '^5 migrations to apply:$' "run shows how many are pending"
like "$OUT" '^  20240105093000_init$' "and their names"
like "$OUT" "^Apply these migrations to 127\.0\.0\.1:$TEST_PG_PORT/$db1 \(profile production\)\? \[y/N\] n\$" \
	"then asks, naming the database and the profile"
like "$OUT" '^Nothing was applied\. Run `dbhook run --yes --dir [^`]*` to apply without the question\.$' "no: nothing applied, and how to skip the question"
is "$(admin "$db1" "SELECT to_regclass('_prisma_migrations') IS NULL")" t "answered no: nothing applied (no history table either)"
# "y" applies.
cat >"$WORK/run1.pty" <<EOF
expect Password for profile "production":
echo-state
send $VP1
expect [y/N]
send y
expect All migrations have been successfully applied.
EOF
pty "$WORK/run1.pty" env -u CI -u GITHUB_ACTIONS -C "$WORK/app" TERM=xterm "$DBHOOK" run --dir "$M"
is "$RC" 0 "run on a terminal: exit 0"
like "$OUT" '^Password for profile "production": \[ptydrive: echo off\]' "run asks the password with echo off"
lacks "$OUT" "$VP1" "the typed password does not appear"
like "$OUT" "^Datasource: postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$db1\$" "run shows the datasource redacted"
like "$OUT" '^\[ptydrive: exit 0, echo on\]$' "echo is back on after run"
is "$(applied "$db1")" 5 "run decrypted the URL and deployed the migrations"
like "$OUT" '\[1/5\] Applying migration `20240105093000_init`\.\.\.' "on a terminal: a live progress line"
unlike "$OUT" '^Applied migration `[^`]*` \([0-9]+ ms\)$' "instead of one line per migration (each step overwrites the last)"

# --password-fd 0 on a terminal: what is typed is not echoed either.
cat >"$WORK/fd0.pty" <<EOF
sleep 400
echo-state
send $VP1
expect No pending migrations to apply.
EOF
pty "$WORK/fd0.pty" env -C "$WORK/app" "$DBHOOK" run --dir "$M" --password-fd 0
is "$RC" 0 "run --password-fd 0 on a terminal: exit 0"
like "$OUT" '^\[ptydrive: echo off\]' "--password-fd 0 on a terminal reads with echo off"
lacks "$OUT" "$VP1" "--password-fd 0: the typed password does not appear"
like "$OUT" '^\[ptydrive: exit 0, echo on\]$' "--password-fd 0: echo is back on afterwards"

# A wrong --dir is refused before the password is asked.
printf '# no answers: nothing should be asked\n' >"$WORK/nodir.pty"
pty "$WORK/nodir.pty" env -C "$WORK/app" "$DBHOOK" run --dir "$WORK/no-such-folder"
is "$RC" 2 "run with a missing --dir: exit 2"
like "$OUT" 'cannot open migrations folder' "it names the folder problem"
lacks "$OUT" "Password for profile" "and never asked for the password"
mkdir -p "$WORK/nofile/20240101000000_x"
pty "$WORK/nodir.pty" env -C "$WORK/app" "$DBHOOK" run --dir "$WORK/nofile"
is "$RC" 2 "run with a folder without migration.sql: exit 2"
like "$OUT" 'migration folder "20240101000000_x" has no migration.sql' "it names the folder"
lacks "$OUT" "Password for profile" "and never asked for the password (folder without migration.sql)"

# Interrupted at the password prompt: the terminal is restored.
printf 'expect Password for profile\nctrl C\n' >"$WORK/intr.pty"
pty "$WORK/intr.pty" env -C "$WORK/app" "$DBHOOK" run --dir "$M"
is "$RC" 130 "Ctrl-C at the password prompt ends run (SIGINT)"
like "$OUT" '^\[ptydrive: signal 2, echo on\]$' "and the terminal's echo is restored"

# Three mismatches: nothing stored.
cat >"$WORK/mismatch.pty" <<EOF
expect Direct database URL
send $URL2
expect New password
send $VP2
expect Repeat
send x$VP2
expect New password
send $VP2
expect Repeat
send y$VP2
expect New password
send short
EOF
pty "$WORK/mismatch.pty" env -C "$WORK/app" "$DBHOOK" setup --profile staging "${FAST[@]}"
is "$RC" 2 "three failed password rounds: exit 2"
like "$OUT" 'error: the password is too short' "a too-short password is refused too"
like "$OUT" 'Nothing was stored' "says nothing was stored"
run env -C "$WORK/app" "$DBHOOK" profiles
is "$OUT" "production  stored today" "profiles: still only production, with its age"

# A second profile, another password, on the terminal too.
cat >"$WORK/setup2.pty" <<EOF
expect Direct database URL for profile "staging"
send $URL2
expect New password
send $VP2
expect Repeat
send $VP2
EOF
pty "$WORK/setup2.pty" env -C "$WORK/app" "$DBHOOK" setup --profile staging "${FAST[@]}"
is "$RC" 0 "setup --profile staging: exit 0"
like "$OUT" 'Stored profile "staging" in .*\.acme-shop-web-migrate-config' "stored in the same file"
run env -C "$WORK/app" "$DBHOOK" profiles
is "$OUT" "$(printf 'production  stored today\nstaging     stored today')" "profiles lists both names and ages, no secrets"
is "$ERR" "" "profiles: no note when every profile is recent"
is "$(stat -c %a "$DEFAULT_CFG")" 600 "still mode 0600 after the update"

run env -C "$WORK/app" "$DBHOOK" run --profile staging --dir "$M" --password-fd 3 3<"$WORK/pw1"
is "$RC" 2 "staging with production's password: exit 2"
like "$ERR" '^dbhook: error: cannot decrypt profile "staging": wrong password or the file was changed$' "the wrong-password message"
is "$(admin "$db2" "SELECT to_regclass('_prisma_migrations') IS NULL")" t "nothing applied to staging's database"
run env -C "$WORK/app" "$DBHOOK" run --profile staging --dir "$M" --password-fd 3 3<"$WORK/pw2"
is "$RC" 0 "staging with its own password (--password-fd): exit 0"
is "$(applied "$db2")" 5 "staging's database migrated"

# ---- setup --rotate on a terminal ------------------------------------------
# The current password first; a wrong one changes nothing, with run's message.
cp "$DEFAULT_CFG" "$WORK/before-rotate"
cat >"$WORK/rot-wrong.pty" <<EOF
expect Current password for profile "production":
echo-state
send $VP2
EOF
pty "$WORK/rot-wrong.pty" env -C "$WORK/app" "$DBHOOK" setup --rotate
is "$RC" 2 "setup --rotate with a wrong current password: exit 2"
like "$OUT" '^Current password for profile "production": \[ptydrive: echo off\]' "the current password is asked first, echo off"
like "$OUT" "error: $WRONG" "the same message as run with a wrong password"
lacks "$OUT" "New direct database URL" "nothing else is asked"
is "$(cmp -s "$DEFAULT_CFG" "$WORK/before-rotate" && echo same)" same "the file is unchanged"
# Keep the URL (empty answer), new password (asked twice).
cat >"$WORK/rot1.pty" <<EOF
expect Current password for profile "production":
send $VP1
expect New direct database URL for profile "production" (input hidden; empty keeps the stored one):
echo-state
send
expect New password for profile "production" (input hidden; empty keeps the current one):
echo-state
send $VP4
expect Repeat the password:
send $VP4
expect Deploy with
EOF
pty "$WORK/rot1.pty" env -C "$WORK/app" "$DBHOOK" setup --rotate
is "$RC" 0 "setup --rotate on a terminal: exit 0"
like "$OUT" 'New direct database URL for profile "production" \(input hidden; empty keeps the stored one\): \[ptydrive: echo off\]' \
	"the new URL is asked with echo off"
like "$OUT" 'New password for profile "production" \(input hidden; empty keeps the current one\): \[ptydrive: echo off\]' \
	"the new password too"
like "$OUT" '^Rotated profile "production" in .*\.acme-shop-web-migrate-config: new password, same URL \(AES-256-GCM, scrypt N=131072\)\.$' \
	"says what changed (and keeps the profile's scrypt cost)"
like "$OUT" '^The old password no longer opens it\.$' "and that the old password is void"
lacks "$OUT" "$VP1" "rotate: the current password does not appear"
lacks "$OUT" "$VP4" "rotate: the new password does not appear"
is "$(grep '^profile staging ' "$DEFAULT_CFG")" "$(grep '^profile staging ' "$WORK/before-rotate")" \
	"the other profile's line is kept byte for byte"
is "$(stat -c %a "$DEFAULT_CFG")" 600 "still mode 0600 after the rotation"
run env -C "$WORK/app" "$DBHOOK" run --dir "$M" --password-fd 3 3<"$WORK/pw1"
is "$RC" 2 "after rotating the password, the old one: exit 2"
like "$ERR" "error: $WRONG" "the old password no longer opens the profile"
printf '%s\n' "$VP4" >"$WORK/pw4"
run env -C "$WORK/app" "$DBHOOK" run --dir "$M" --password-fd 3 3<"$WORK/pw4"
is "$RC" 0 "the new password opens it, with the URL kept"
like "$OUT" "^Datasource: postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$db1\$" "the same database"
lacks "$ERR" "due for rotation" "a profile stored today: no age warning (default --max-age 90)"
run env -C "$WORK/app" "$DBHOOK" run --dir "$M" --max-age 0 --password-fd 3 3<"$WORK/pw4"
is "$RC" 0 "run --max-age 0: exit 0 (a warning only)"
like "$ERR" '^dbhook: warning: profile production is due for rotation: stored today \(--max-age 0\)\. Change the database password, then store the new URL with `dbhook setup --rotate`$' \
	"--max-age 0: always warns, with what to do"
run env -C "$WORK/app" "$DBHOOK" profiles --max-age 0
like "$OUT" '^production  stored today, due for rotation$' "profiles --max-age 0 marks every profile"
like "$ERR" 'note: a profile stored 0 days ago or more is due for rotation .*`dbhook setup --rotate --profile NAME`' \
	"and says how to rotate"
# Unknown profile: refused before anything is asked (no terminal here).
run setsid -w env -C "$WORK/app" "$DBHOOK" setup --rotate --profile qa
is "$RC" 2 "setup --rotate of a profile that is not stored: exit 2"
like "$ERR" '^dbhook: error: cannot rotate profile "qa": there is no such profile in ' "says there is no such profile"
like "$ERR" 'detail: Profiles: production, staging' "lists the stored ones"
like "$ERR" 'hint: .*`dbhook setup --profile qa` \(without --rotate\)' "and says plain setup creates it"
run env -C "$WORK/app" "$DBHOOK" setup --rotate --delete staging
is "$RC" 2 "--rotate with --delete: exit 2"
for bad in -1 abc 36501 1.5 "" 99999999999999999999; do
	run env -C "$WORK/app" "$DBHOOK" run --max-age "$bad"
	is "$RC" 2 "run --max-age '$bad': exit 2"
	like "$ERR" 'error: --max-age takes a whole number of days from 0 to 36500' "run --max-age '$bad': the usage error"
done
run env -C "$WORK/app" "$DBHOOK" setup --max-age 5
is "$RC" 2 "setup does not take --max-age"
run "$DBHOOK" setup --help
like "$OUT" '^  --rotate ' "setup --help documents --rotate"
run "$DBHOOK" run --help
like "$OUT" '^  --max-age DAYS ' "run --help documents --max-age"

# ---- automation: --url-fd / --password-fd -----------------------------------
C=$WORK/c/config
mkdir -p "$WORK/c"
# Special characters that must survive exactly: a schema name with a quote,
# a space and a non-ASCII letter, percent-encoded; an application_name
# with an ampersand.
db3=$(newdb)
URL3="$(url_for "$db3")?schema=we%22ird%20sch%C3%A9ma&application_name=a%26b"
printf '%s\n%s\n' "$URL3" "$VP3" >"$WORK/in3"
run sh -c 'umask 000 && exec "$@"' _ "$DBHOOK" setup --config "$C" "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/in3"
is "$RC" 0 "setup with --url-fd/--password-fd (same fd: URL line, then password)"
is "$(stat -c %a "$C")" 600 "mode 0600 under umask 000"
run "$DBHOOK" run --config "$C" --dir "$M" --password-fd 3 3<"$WORK/pw3"
is "$RC" 0 "run with the special-character URL"
is "$(admin "$db3" "SELECT count(*) FROM \"we\"\"ird schéma\"._prisma_migrations WHERE finished_at IS NOT NULL")" 5 \
	"the URL round-tripped exactly: migrations in schema we\"ird schéma"
cp "$C" "$WORK/good"

restore() { cat "$WORK/good" >"$C" && chmod 600 "$C"; }

# Re-point the good profile at dbx: a successful decrypt would migrate it.
URLX=$(url_for "$dbx")
printf '%s\n%s\n' "$URLX" "$VP3" >"$WORK/inx"
run "$DBHOOK" setup --config "$C" "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/inx"
is "$RC" 0 "setup replaces a profile"
cp "$C" "$WORK/good"

# A transaction pooler is refused before anything is stored, as deploy
# would refuse it: by the URL (port 6543), and by the live check (--check).
printf '%s\n%s\n' "$(url_for "$dbx" "$TEST_PGB_TX_PORT")" "$VP3" >"$WORK/inpool"
run "$DBHOOK" setup --config "$C" --profile pooled "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/inpool"
is "$RC" 2 "setup of a port-6543 URL: exit 2"
like "$ERR" 'refusing to migrate through a transaction pooler' "setup refuses the transaction pooler, as deploy would"
is "$(cmp -s "$C" "$WORK/good" && echo same)" same "nothing was stored"
printf '%s\n%s\n' "$(url_for "$dbx" "$TEST_PGB_TX2_PORT")" "$VP3" >"$WORK/inpool2"
run "$DBHOOK" setup --config "$C" --profile pooled "${FAST[@]}" --check --url-fd 3 --password-fd 3 3<"$WORK/inpool2"
is "$RC" 2 "setup --check of a transaction pooler on an ordinary port: exit 2"
like "$ERR" 'Nothing was stored\.$' "the live check refuses it before storing"
is "$(cmp -s "$C" "$WORK/good" && echo same)" same "nothing was stored by --check either"

# A monorepo: the file is named after the workspace's top, whichever of
# its folders setup and run are started from; a file stored before under
# the app folder's name stays in use.
mkdir -p "$WORK/mono/.git" "$WORK/mono/apps/web"
printf '{"name": "rallly", "private": true}\n' >"$WORK/mono/package.json"
printf '{"name": "@rallly/web", "private": true}\n' >"$WORK/mono/apps/web/package.json"
run env -C "$WORK/mono/apps/web" "$DBHOOK" setup "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/inx"
is "$RC" 0 "setup in a monorepo's app folder: exit 0"
check "the file is named after the repository top: ~/.rallly-migrate-config" test -f "$HOME/.rallly-migrate-config"
like "$OUT" "$HOME/\.rallly-migrate-config" "setup says which file it used"
run env -C "$WORK/mono" "$DBHOOK" profiles
like "$OUT" '^production  stored today$' "profiles at the repository top finds the same file"
mkdir -p "$WORK/mono2/.git" "$WORK/mono2/apps/api"
printf '{"name": "@acme/api"}\n' >"$WORK/mono2/apps/api/package.json"
cp "$WORK/good" "$HOME/.acme-api-migrate-config" && chmod 600 "$HOME/.acme-api-migrate-config"
run env -C "$WORK/mono2/apps/api" "$DBHOOK" profiles
is "$RC" 0 "a file stored before under the app folder's name: still found"
like "$OUT" '^production  stored today$' "and used"

runx() { # runx [PASSWORD FILE] : run the production profile of $C (-> dbx)
	run "$DBHOOK" run --config "$C" --dir "$M" --password-fd 3 3<"${1:-$WORK/pw3}"
}

runx "$WORK/pwbad"
is "$RC" 2 "wrong password: exit 2"
is "$ERR" "dbhook: error: $WRONG
dbhook: hint: Type the password given to \`dbhook setup --profile production --config $C\`. If it is lost, or the file was damaged, store the URL again with that command." \
	"wrong password: the one clear message"
untouched "wrong password"

# flip_b64 FIELD INDEX : changes one base64 digit of FIELD= in the profile
flip_b64() {
	local field=$1 i=$2 line val c new
	line=$(grep -m1 '^profile ' "$C")
	val=${line#* "$field"=}
	val=${val%% *}
	c=${val:i:1}
	if [ "$c" = A ]; then new=B; else new=A; fi
	new=${line/ $field=$val/ $field=${val:0:i}$new${val:i+1}}
	while IFS= read -r l; do
		if [ "$l" = "$line" ]; then printf '%s\n' "$new"; else printf '%s\n' "$l"; fi
	done <"$WORK/good" >"$C"
}

for f in "ct 0" "ct 9" "tag 3" "salt 5" "nonce 2"; do
	restore
	# shellcheck disable=SC2086
	flip_b64 $f
	runx
	is "$RC" 2 "changed ${f% *} byte: exit 2"
	like "$ERR" "^dbhook: error: $WRONG\$" "changed ${f% *} byte: same message as a wrong password"
	untouched "changed ${f% *}"
done

restore
sed -i '1s/vault/vaulu/' "$C"
runx
is "$RC" 2 "flipped header byte: exit 2"
like "$ERR" 'is not a dbhook profile file' "flipped header: says it is not a profile file"
untouched "flipped header"

restore
sed -i '1s/ [0-9]*$/ 7/' "$C"
runx
is "$RC" 2 "unsupported version: exit 2"
like "$ERR" 'has format version 7; this dbhook reads versions 1 and 2' "unsupported version: clear message"
untouched "unsupported version"

restore
printf '\377' | dd of="$C" bs=1 seek=200 conv=notrunc status=none
runx
is "$RC" 2 "a raw 0xff byte in the record: exit 2"
like "$ERR" 'is damaged: line 3' "raw byte: damaged, with the line"
untouched "raw byte"

restore
head -c $(($(stat -c %s "$C") / 2)) "$WORK/good" >"$C"
runx
is "$RC" 2 "truncated file: exit 2"
like "$ERR" 'damaged.*truncated\?' "truncated: says so"
untouched "truncated file"

restore
grep -v '^end$' "$WORK/good" >"$C"
runx
is "$RC" 2 "file truncated at a line boundary: exit 2"
like "$ERR" 'ends before its "end" line' "the missing end line is noticed"
untouched "truncated at a line boundary"

restore
sed -i 's/ N=32768 / N=1024 /' "$C"
run setsid -w "$DBHOOK" run --config "$C" --dir "$M"
is "$RC" 2 "a profile claiming N=1024: exit 2"
like "$ERR" 'refuses as unsafe' "refused as unsafe, before any password is asked"
untouched "weak KDF parameters"

restore
run "$DBHOOK" run --config "$C" --dir "$M" --profile nope --password-fd 3 3<"$WORK/pw3"
is "$RC" 2 "unknown profile: exit 2"
like "$ERR" 'no profile "nope" in' "unknown profile: named"
like "$ERR" 'detail: Profiles: production' "and the stored ones listed"

chmod 644 "$C"
runx
is "$RC" 2 "world-readable file: exit 2"
like "$ERR" "permissions 0644 for config file \"$C\" are too open" "names the permissions"
like "$ERR" "hint: Run: chmod 600 $C\$" "with the chmod that fixes it"
untouched "world-readable file"
chmod 620 "$C"
runx
is "$RC" 2 "group-writable file: exit 2"
run "$DBHOOK" profiles --config "$C"
is "$RC" 2 "profiles refuses it too"
run env -C "$WORK/app" "$DBHOOK" setup --config "$C" --url-fd 3 --password-fd 3 3<"$WORK/inx"
is "$RC" 2 "setup refuses to update it (before asking anything)"
chmod 600 "$C"

if [ "$(id -u)" = 0 ]; then
	chown 65534 "$C"
	runx
	is "$RC" 2 "file owned by another user: exit 2"
	like "$ERR" 'is owned by uid 65534, not by you' "says who owns it"
	untouched "foreign owner"
	chown 0 "$C"
else
	ok 0 "# SKIP owner check needs root"
fi

mv "$C" "$WORK/c/real"
ln -s "$WORK/c/real" "$C"
runx
is "$RC" 2 "a symlink in place of the file: exit 2 (run)"
like "$ERR" 'is a symbolic link' "names the symlink"
untouched "symlink"
sum=$(sha256sum <"$WORK/c/real")
run "$DBHOOK" setup --config "$C" "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/inx"
is "$RC" 2 "setup refuses to write through a symlink"
check "the link is still a link" test -L "$C"
is "$(sha256sum <"$WORK/c/real")" "$sum" "and its target is unchanged"
rm "$C"
mv "$WORK/c/real" "$C"

run setsid -w "$DBHOOK" run --config "$C" --dir "$M"
is "$RC" 2 "no terminal and no --password-fd: exit 2"
like "$ERR" 'no terminal to ask on' "says there is no terminal"
like "$ERR" 'hint: .*--password-fd N' "and points to --password-fd"
untouched "no terminal"
run "$DBHOOK" run --config "$C" --dir "$M" --password-fd 7
is "$RC" 2 "--password-fd of a closed descriptor: exit 2"
run "$DBHOOK" run --config "$C" --dir "$M" "--password=$ARGV_SECRET"
is "$RC" 2 "a password on the command line is refused"
run "$DBHOOK" run --config "$C" --dir "$M" "--secret=$ARGV_SECRET"
is "$RC" 2 "an unknown --name=VALUE option: exit 2 (and the value is not echoed: see the secret check)"
run "$DBHOOK" setup --config "$C" "postgresql://app:$ARGV_SECRET@db.example.com/x"
is "$RC" 2 "a URL as an argument is refused"
like "$ERR" 'unexpected argument \(its text is not shown: it may be a secret\)' "and not shown"
untouched "argv refusals"

# After all that, the file still works.
run "$DBHOOK" run --config "$C" --dir "$M" --password-fd 3 3<"$WORK/pw3"
is "$RC" 0 "the restored file decrypts and deploys"
is "$(applied "$dbx")" 5 "(the control: a good run does migrate dbx)"

# --check connects before storing.
printf '%s\n%s\n' "postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@127.0.0.1:1/x" "$VP3" >"$WORK/in-down"
run "$DBHOOK" setup --config "$C" --profile down --check "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/in-down"
is "$RC" 3 "setup --check with an unreachable database: exit 3"
like "$ERR" 'Nothing was stored' "nothing stored"
run "$DBHOOK" setup --config "$C" --profile checked --check "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/inx"
is "$RC" 0 "setup --check with a good URL: exit 0"
like "$OUT" "^Connected to 127\.0\.0\.1:$TEST_PG_PORT\.\$" "says it connected"
run "$DBHOOK" profiles --config "$C"
is "$OUT" "$(printf 'production  stored today\nchecked     stored today')" "profiles: down was not stored, checked was"
run "$DBHOOK" setup --config "$C" --delete checked
is "$RC" 0 "setup --delete"
run "$DBHOOK" profiles --config "$C"
is "$OUT" "production  stored today" "the deleted profile is gone, the other kept"
run "$DBHOOK" setup --config "$C" --delete checked
is "$RC" 2 "deleting an unknown profile: exit 2"
run "$DBHOOK" profiles --config "$WORK/none"
is "$RC" 2 "profiles without a file: exit 2"
like "$ERR" 'hint: Store a profile first' "with a hint"

# ---- a file of format version 1; setup --rotate through file descriptors -------
# Written by the dbhook before profiles recorded their time (scrypt N=2^15;
# URLs postgresql://legacy_user:$LEGACY_DB_PW1@127.0.0.1:1/legacy and
# ...:$LEGACY_DB_PW2@127.0.0.1:1/other, under $LP1 and $LP2).
L=$WORK/legacy/config
mkdir -p "$WORK/legacy"
cat >"$L" <<'EOF'
dbhook-vault 1
# dbhook encrypted profiles (dbhook setup / dbhook run). Do not edit: see "Vault file format" in dbhook's README.
profile legacy scrypt N=32768 r=8 p=1 salt=2Aw5Ug2iDVCkfcYY/SDdJw== nonce=NlngqOi3gkfpJ2lp ct=K15DyeNM7/PEkCGbwTY14bfp7gr4ypfmj4j+TrUAoz/t6Jb398otC695uKv/6vE0OX71UBOL+SymWQ== tag=y1CjA1VR9L+cJOSXwElbXQ==
profile other scrypt N=32768 r=8 p=1 salt=2mIgAE7OAvb5yy2msm/bMA== nonce=md2IUtkGawqNwcGv ct=gY9sjp3BkrMiS0rZwT3FbdNlwx06PGNIzUx803Ort1hdHFPzZFXqzOQXMhhFYxbABVHGHZA+3utl tag=ciT4stqBkKPHVjNRdRcXOg==
end
EOF
chmod 600 "$L"
cp "$L" "$WORK/legacy-good"
printf '%s\n' "$LP1" >"$WORK/lp1"
printf '%s\n' "$LP2" >"$WORK/lp2"
run "$DBHOOK" profiles --config "$L"
is "$RC" 0 "profiles reads a version-1 file"
is "$OUT" "$(printf 'legacy  age unknown (stored by an older dbhook)\nother   age unknown (stored by an older dbhook)')" \
	"profiles: the age of a profile without a stored time is unknown"
like "$ERR" 'note: age unknown: `dbhook setup --rotate --profile NAME --config [^`]*` stores a profile again with the date' \
	"and says how to give it one"
run "$DBHOOK" run --config "$L" --profile legacy --dir "$M" --max-age 0 --timeout 1 --password-fd 3 3<"$WORK/lp1"
is "$RC" 3 "run decrypts a version-1 profile (then cannot reach its closed port: exit 3)"
like "$ERR" '^dbhook: note: profile legacy was stored by an older dbhook, so its age is unknown; `dbhook setup --rotate --profile legacy --config [^`]*` stores it again with the date$' \
	"run: one note that its age is unknown, with the rotation to run"
is "$(printf '%s\n' "$ERR" | grep -c 'age is unknown')" 1 "said once"
lacks "$ERR" "due for rotation" "and no age warning, even with --max-age 0"
is "$(cmp -s "$L" "$WORK/legacy-good" && echo same)" same "reading a version-1 file does not rewrite it"

dbr=$(newdb)
dbr2=$(newdb)
URLR=$(url_for "$dbr")
URLR2=$(url_for "$dbr2")
# fd order: the current password, the new URL, the new password.
printf '%s\n%s\n%s\n' "$LP1" "$URLR" "$VP5" >"$WORK/rin1"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy "${FAST[@]}" --url-fd 3 --password-fd 3 3<"$WORK/rin1"
is "$RC" 0 "setup --rotate through one fd (current password, new URL, new password): exit 0"
like "$OUT" '^Rotated profile "legacy" in .*: new URL and new password \(AES-256-GCM, scrypt N=32768\)\.$' "says both changed"
like "$OUT" "^Datasource: postgresql://$TEST_DB_USER:\*\*\*@127\.0\.0\.1:$TEST_PG_PORT/$dbr\$" "shows the new datasource, redacted"
is "$(head -1 "$L")" "dbhook-vault 2" "the file now holds a version-2 profile: header 2"
like "$(grep '^profile legacy ' "$L")" '^profile legacy scrypt N=32768 r=8 p=1 salt=[^ ]* stored=[1-9][0-9]* nonce=' \
	"the rotated profile records when it was stored"
is "$(grep '^profile other ' "$L")" "$(grep '^profile other ' "$WORK/legacy-good")" \
	"the version-1 profile beside it is kept byte for byte"
run "$DBHOOK" profiles --config "$L"
is "$OUT" "$(printf 'legacy  stored today\nother   age unknown (stored by an older dbhook)')" "profiles: one dated, one of unknown age"
run "$DBHOOK" run --config "$L" --profile legacy --dir "$M" --password-fd 3 3<"$WORK/lp1"
is "$RC" 2 "the old password no longer opens the rotated profile"
like "$ERR" 'cannot decrypt profile "legacy": wrong password or the file was changed' "with the wrong-password message"
printf '%s\n' "$VP5" >"$WORK/pw5"
run "$DBHOOK" run --config "$L" --profile legacy --dir "$M" --password-fd 3 3<"$WORK/pw5"
is "$RC" 0 "the new password and the new URL deploy"
is "$(applied "$dbr")" 5 "to the new database"
lacks "$ERR" "age is unknown" "no age note for a dated profile"
run "$DBHOOK" run --config "$L" --profile other --dir "$M" --timeout 1 --password-fd 3 3<"$WORK/lp2"
is "$RC" 3 "the version-1 profile still opens in the version-2 file (its closed port: exit 3)"

# Only the URL (an empty password line keeps the password), separate fds.
cp "$L" "$WORK/legacy-before"
printf '%s\n\n' "$LP2" >"$WORK/rpw2"
printf '%s\n' "$URLR2" >"$WORK/rurl2"
run "$DBHOOK" setup --rotate --config "$L" --profile other "${FAST[@]}" --password-fd 3 --url-fd 4 3<"$WORK/rpw2" 4<"$WORK/rurl2"
is "$RC" 0 "setup --rotate of the URL only: exit 0"
like "$OUT" 'Rotated profile "other" in .*: new URL, same password' "says the password is the same"
unlike "$OUT" 'no longer opens' "and does not claim the old password is void"
is "$(grep '^profile legacy ' "$L")" "$(grep '^profile legacy ' "$WORK/legacy-before")" "the other profile is kept byte for byte"
run "$DBHOOK" run --config "$L" --profile other --dir "$M" --password-fd 3 3<"$WORK/lp2"
is "$RC" 0 "the same password opens the new URL"
is "$(applied "$dbr2")" 5 "which deploys to the new database"

# Refusals and no-ops leave the file as it was.
cp "$L" "$WORK/legacy-before"
same_l() { is "$(cmp -s "$L" "$WORK/legacy-before" && echo same)" same "$1: the file is unchanged"; }
printf 'not-the-password\n%s\n%s\n' "$URLR" "$VP4" >"$WORK/rbad"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rbad"
is "$RC" 2 "rotate with a wrong current password (fd): exit 2"
like "$ERR" '^dbhook: error: cannot decrypt profile "legacy": wrong password or the file was changed$' "run's message"
same_l "wrong current password"
printf '%s\n\n\n' "$VP5" >"$WORK/rnone"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rnone"
is "$RC" 0 "rotate with both answers empty: exit 0"
like "$OUT" '^Nothing changed: the new URL and the new password were both left empty' "says nothing changed"
same_l "both answers empty"
printf '%s\n%s\n\n' "$VP5" "$URLR" >"$WORK/rsame"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rsame"
is "$RC" 0 "rotate with the stored URL again: exit 0"
like "$ERR" 'warning: the URL given is the one stored' "warns that the URL is the same"
same_l "the same URL, no new password"
printf '%s\n%s\nshort\n' "$VP5" "$URLR2" >"$WORK/rshort"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rshort"
is "$RC" 2 "rotate with a too-short new password: exit 2"
like "$ERR" 'the password is too short' "says why"
same_l "too-short new password"
printf '%s\n%s\n' "$VP5" "$URLR2" >"$WORK/rtrunc"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rtrunc"
is "$RC" 2 "rotate without the new-password line: exit 2"
like "$ERR" 'no line for the new password on file descriptor 3' "says which line is missing"
same_l "missing line"
printf '%s\n%s\n\n' "$VP5" "$(url_for "$dbx" "$TEST_PGB_TX_PORT")" >"$WORK/rpool"
run "$DBHOOK" setup --rotate --config "$L" --profile legacy --url-fd 3 --password-fd 3 3<"$WORK/rpool"
is "$RC" 2 "rotate to a transaction pooler's URL: exit 2"
like "$ERR" 'refusing to migrate through a transaction pooler' "refused as setup refuses it"
same_l "transaction pooler"
# The stored time is authenticated: changed, or removed, it does not open.
cp "$L" "$WORK/legacy-good2"
t=$(grep '^profile legacy ' "$L" | sed 's/.* stored=\([0-9]*\) .*/\1/')
sed -i "s/ stored=$t / stored=$((t - 200 * 86400)) /" "$L"
run "$DBHOOK" profiles --config "$L"
like "$OUT" '^legacy  stored 200 days ago, due for rotation$' "profiles shows the stored time as written (it asks no password)"
run "$DBHOOK" run --config "$L" --profile legacy --dir "$M" --password-fd 3 3<"$WORK/pw5"
is "$RC" 2 "a changed stored time: exit 2"
like "$ERR" '^dbhook: error: cannot decrypt profile "legacy": wrong password or the file was changed$' "the same message as a wrong password"
cp "$WORK/legacy-good2" "$L"
sed -i "s/ stored=$t / /" "$L"
run "$DBHOOK" run --config "$L" --profile legacy --dir "$M" --password-fd 3 3<"$WORK/pw5"
is "$RC" 2 "a stored time removed (read as version 1): exit 2"
like "$ERR" '^dbhook: error: cannot decrypt profile "legacy": wrong password or the file was changed$' "the same message"
cp "$WORK/legacy-good2" "$L"
sed -i '1s/ 2$/ 1/' "$L"
run "$DBHOOK" profiles --config "$L"
is "$RC" 2 "a version-2 profile in a file whose header says 1: exit 2"
like "$ERR" 'is damaged: line 3: a version-2 profile' "damaged, with the line"

# ---- two (four) setups at once keep a valid file --------------------------------
CC=$WORK/cc/config
mkdir -p "$WORK/cc"
pids=()
cdbs=()
for i in 1 2 3 4; do
	cdbs[i]=$(newdb)
	printf '%s\n%s-%d\n' "$(url_for "${cdbs[i]}")" "$VP3" "$i" >"$WORK/cin$i"
	printf '%s-%d\n' "$VP3" "$i" >"$WORK/cpw$i"
done
for i in 1 2 3 4; do
	"$DBHOOK" setup --config "$CC" --profile "p$i" "${FAST[@]}" --url-fd 3 --password-fd 3 \
		3<"$WORK/cin$i" >"$LOGDIR/cset$i.out" 2>"$LOGDIR/cset$i.err" </dev/null &
	pids[i]=$!
done
all=0
for i in 1 2 3 4; do
	bg_result "cset$i" "${pids[i]}"
	[ "$RC" = 0 ] || all=1
done
ok "$all" "four setups at once all exit 0"
run "$DBHOOK" profiles --config "$CC"
is "$(printf '%s\n' "$OUT" | awk '{print $1}' | sort | paste -sd,)" "p1,p2,p3,p4" "the file is valid and holds all four profiles"
all=0
for i in 1 4; do
	run "$DBHOOK" run --config "$CC" --profile "p$i" --dir "$M" --quiet --password-fd 3 3<"$WORK/cpw$i"
	[ "$RC" = 0 ] && [ "$(applied "${cdbs[i]}")" = 5 ] || all=1
done
ok "$all" "profiles written concurrently decrypt and deploy"
is "$(find "$WORK/cc" -name '*tmp*' | wc -l)" 0 "no temporary file left behind"

finish
