#!/usr/bin/env bash
# The portable binaries of scripts/package (dist/portable/linux-*/dbhook):
# what they link, the glibc they need, and that they work where a user runs
# them: on this machine (with its libcurl: the webhook is delivered), in a
# Debian bullseye root (glibc 2.31) made with debootstrap, in a root holding
# nothing but glibc's own files (no libcurl: the deploy works, the webhook
# says in one line why it cannot be sent, the build goes on), and arm64
# under qemu-user-static. Every database connection is TCP with TLS
# (sslmode=require) to the test PostgreSQL on 127.0.0.1.
#
# scripts/test runs scripts/package before the tests; without its output
# this test FAILS (it never skips).
# shellcheck disable=SC2016 # literal $X in patterns
. "$(dirname "$0")/lib.sh"
need_db

SRC=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
P=$SRC/dist/portable
if [ ! -f "$P/env" ] || [ ! -x "$P/linux-x64/dbhook" ] || [ ! -x "$P/linux-arm64/dbhook" ]; then
	ok 1 "scripts/package built $P (linux-x64, linux-arm64 and env): run scripts/package"
	finish
fi
# shellcheck source=/dev/null
. "$P/env"
X64=$P/linux-x64/dbhook
ARM=$P/linux-arm64/dbhook
NMIG=$(find "$SRC/migrations" -mindepth 2 -name migration.sql | wc -l)
tls_url() { url_for "$1" "$TEST_PG_PORT" sslmode=require; }
finished() { admin "$1" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL"; }

# --- 1. what the binaries link ---------------------------------------------------------
for a in x64 arm64; do
	B=$P/linux-$a/dbhook
	needed=$(readelf -d "$B" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	like "$needed" '^(libc\.so\.6 |libdl\.so\.2 |libm\.so\.6 |libpthread\.so\.0 |ld-linux[-a-z0-9_.]* )+$' \
		"linux-$a: NEEDs only glibc's libraries ($needed)"
	unlike "$needed" 'libpq|libssl|libcrypto|libcjson|libcurl' "linux-$a: no libpq, OpenSSL, cJSON or libcurl NEEDED"
	maxv=$(readelf -V "$B" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -n 1)
	is "$(printf '%s\n' "$maxv" 2.31 | sort -V | tail -n 1)" 2.31 "linux-$a: newest glibc symbol version $maxv <= 2.31"
	size=$(stat -c %s "$B")
	check "linux-$a: stripped, $size bytes (< 8 MB)" test "$size" -lt 8000000
	like "$(file -b "$B")" "$([ $a = x64 ] && echo x86-64 || echo aarch64)" "linux-$a: an $a ELF file"
	# The layout (meson.build, scripts/portable.order): the link map shows
	# the listed code sections in the listed order (a section the link
	# dropped has address 0), and OpenSSL's assembly and libpg_query under
	# names of their own (scripts/package).
	M=$P/profile/linux-$a/dbhook.map
	# digest.c salts SCRAM passwords with OpenSSL's PBKDF2 (section 6).
	like "$(readelf -sW "$P/profile/linux-$a/dbhook.full" | awk '$8 == "__wrap_scram_SaltedPassword" { print $4 }')" '^FUNC$' \
		"linux-$a: libpq's SCRAM salting is wrapped"
	buildid() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
	like "$(buildid "$B")" '^[0-9a-f]{16,}$' "linux-$a: the binary has a build ID"
	is "$(buildid "$P/profile/linux-$a/dbhook.full")" "$(buildid "$B")" "linux-$a: the link map is this binary's (same build ID)"
	# gold without --rosegment would put the tables in the code's segment.
	loads=$(readelf -lW "$B" | awk '$1 == "LOAD" { f = ""; for (i = 7; i < NF; i++) f = f $i; print $3, $6, f }')
	is "$(printf '%s\n' "$loads" | grep -c 'E$')" 1 "linux-$a: one executable segment"
	ro=$(readelf -SW "$B" | awk '{ for (i = 1; i < NF; i++) if ($i == ".rodata") print "0x" $(i + 2) }')
	ro_flags=
	while read -r va memsz flags; do
		if ((va <= ro && ro < va + memsz)); then ro_flags=$flags; fi
	done <<<"$loads"
	is "$ro_flags" R "linux-$a: .rodata is in a read-only segment, not an executable one"
	addrs=$(awk '
		NR == FNR { if ($1 ~ /^[.]text[.]/ && !($1 in rank)) rank[$1] = ++n; next }
		/^ [.]text[.]/ && NF == 1 { pending = $1; next }
		/^ [.]text[.]/ { name = $1; addr = $2 }
		pending != "" && /^ +0x/ { name = pending; addr = $1 }
		{ pending = "" }
		name != "" && addr !~ /^0x0+$/ { if ((name in rank) && !(name in seen)) { seen[name] = 1; print rank[name], addr } }
		{ name = "" }
	' "$SRC/scripts/portable.order" "$M" | sort -n | awk '{print $2}')
	placed=$(printf '%s\n' "$addrs" | grep -c .)
	check "linux-$a: the link map places $placed sections of scripts/portable.order (> 1000)" test "$placed" -gt 1000
	is "$(printf '%s\n' "$addrs" | awk '{ a = $1 "" } NR > 1 && a <= last { bad++ } { last = a } END { print bad + 0 }')" 0 \
		"linux-$a: they are placed in the order the file lists them"
	like "$(grep -c '^ [.]text[.]o[.]libcrypto-lib-' "$M")" '^[1-9][0-9]*$' "linux-$a: OpenSSL's assembly has sections of its own"
	like "$(grep -c '^ [.]rodata[.]o[.]src_backend_parser_gram' "$M")" '^[1-9]' "linux-$a: so has libpg_query's grammar"
done

# --- 2. on this machine: the version, and the webhook through the system's libcurl ---------
run "$X64" --version
is "$RC" 0 "host: --version exits 0"
like "$OUT" "^dbhook $PORTABLE_VERSION \([0-9a-f]+|unknown\)$" "host: --version prints the project version $PORTABLE_VERSION"
ln -s "$X64" "$WORK/vercel-build"
run "$WORK/vercel-build" --version
like "$OUT" "^vercel-build $PORTABLE_VERSION " "host: called vercel-build, the binary is the build hook"

db=$(newdb)
mkdir -p "$WORK/app"
mkmig "$WORK/app/migrations" 20240101000000_ok 'CREATE TABLE ok_t (id int);'
mkmig "$WORK/app/migrations" 20240102000000_bad 'CREATE TABLE bad_t (id int);
SELECT 1/0;'
start_httpd '{"POST /hook": [{"status": 200, "raw": "ok"}]}' "$WORK/httpd"
BG_PIDS+=("$HTTPD_PID")
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$(tls_url "$db")" \
	MIGRATE_NOTIFY_URL="http://127.0.0.1:$HTTPD_PORT/hook" \
	"$WORK/vercel-build" --dir "$WORK/app/migrations" -- sh -c 'echo build ran'
is "$RC" 0 "host: failing migration, the hook exits 0 (the build goes on)"
like "$OUT" '^build ran$' "host: the build was handed off"
like "$ERR" 'division by zero' "host: the migration error is shown"
is "$(jq -r '.body | fromjson | .outcome' "$HTTPD_REQS" 2>/dev/null)" failure \
	"host: the failure webhook was delivered through the system's libcurl"
unlike "$ERR" 'not delivered' "host: no delivery warning"

# --- 3. a Debian bullseye root (debootstrap minbase, glibc 2.31) ---------------------------------
R=$PORTABLE_BASE_ROOT
check "bullseye root exists ($R)" test -x "$R/bin/sh"
T=$(mktemp -d "$R/tmp/dbhook-test-XXXXXX")
trap 'rm -rf "$T"; stop_background' EXIT
cp "$X64" "$T/dbhook"
cp -r "$SRC/migrations" "$T/migrations"
mkdir -p "$T/bad"
mkmig "$T/bad" 20240101000000_ok 'CREATE TABLE ok_t (id int);'
mkmig "$T/bad" 20240102000000_broken 'CREATE TABLE half_t (id int);
CREATE TABLEX oops (id int);'
inroot() { run chroot "$R" "$@"; }
Tin=/tmp/$(basename "$T")
inroot "$Tin/dbhook" --version
like "$OUT" "^dbhook $PORTABLE_VERSION " "bullseye: --version"
check "bullseye: the root has no libcurl" test -z "$(find "$R/usr/lib" "$R/lib" -name 'libcurl*' 2>/dev/null)"
db=$(newdb)
inroot env DATABASE_URL_DIRECT="$(tls_url "$db")" "$Tin/dbhook" status --dir "$Tin/migrations"
is "$RC" 4 "bullseye: status over TLS exits 4 (pending)"
like "$OUT" 'pending' "bullseye: status lists pending migrations"
inroot env DATABASE_URL_DIRECT="$(tls_url "$db")" "$Tin/dbhook" deploy --dir "$Tin/migrations"
is "$RC" 0 "bullseye: deploy of the example migrations exits 0"
is "$(finished "$db")" "$NMIG" "bullseye: all $NMIG example migrations are applied"
db=$(newdb)
inroot env DATABASE_URL_DIRECT="$(tls_url "$db")" "$Tin/dbhook" deploy --dir "$Tin/bad"
is "$RC" 1 "bullseye: a failing migration exits 1"
like "$ERR" 'migration "20240102000000_broken" failed: syntax error at or near "TABLEX"' "bullseye: the error names the migration"
like "$ERR" 'migration.sql:2:' "bullseye: and the file and line"
is "$(rows "$db" | sort -u)" $'20240101000000_ok|true|false\n20240102000000_broken|false|true' \
	"bullseye: the good one applied, the failed one rolled back"

# --- 4. a root holding nothing but glibc (and /etc/hosts, /etc/passwd) ---------------------------
M=$WORK/minroot
mkdir -p "$M/lib/x86_64-linux-gnu" "$M/lib64" "$M/etc" "$M/tmp" "$M/app"
for l in libc.so.6 libdl.so.2 libpthread.so.0 libm.so.6 libnss_files.so.2 libresolv.so.2; do
	cp -L "$R/lib/x86_64-linux-gnu/$l" "$M/lib/x86_64-linux-gnu/"
done
# (lib64/ld-linux-x86-64.so.2 is an absolute link: take its target)
cp -L "$R/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$M/lib64/"
printf '127.0.0.1 localhost\n' >"$M/etc/hosts"
printf 'root:x:0:0:root:/root:/nonexistent\n' >"$M/etc/passwd"
cp "$X64" "$M/dbhook"
ln -s dbhook "$M/vercel-build"
cp -r "$SRC/migrations" "$M/app/migrations"
cp -r "$T/bad" "$M/app/bad"
is "$(find "$M" -type f -name '*.so*' | wc -l)" 7 "minimal root: seven glibc files, nothing else"
run chroot "$M" /dbhook --version
like "$OUT" "^dbhook $PORTABLE_VERSION " "minimal root: --version"
db=$(newdb)
lurl="postgresql://$TEST_DB_USER:$TEST_DB_PASSWORD_ENC@localhost:$TEST_PG_PORT/$db?sslmode=require"
run env DATABASE_URL_DIRECT="$lurl" chroot "$M" /dbhook deploy --dir /app/migrations
is "$RC" 0 "minimal root: deploy to localhost (resolved through /etc/hosts) over TLS exits 0"
is "$(finished "$db")" "$NMIG" "minimal root: all $NMIG migrations applied"
run env DATABASE_URL_DIRECT="$lurl" chroot "$M" /dbhook status --dir /app/migrations
is "$RC" 0 "minimal root: status afterwards exits 0 (up to date)"

db=$(newdb)
: >"$HTTPD_REQS"
run env VERCEL_ENV=production MIGRATE_DATABASE_URL="$(tls_url "$db")" \
	MIGRATE_NOTIFY_URL="http://127.0.0.1:$HTTPD_PORT/hook" \
	chroot "$M" /vercel-build --dir /app/bad -- /dbhook --version
is "$RC" 0 "no libcurl: the hook exits 0 after a failed migration"
is "$(grep -c 'webhook' <<<"$ERR")" 1 "no libcurl: exactly one line about the webhook"
like "$ERR" '^vercel-build: warning: the failure webhook was not delivered: no libcurl found \(tried libcurl\.so\.4, libcurl-gnutls\.so\.4, libcurl-nss\.so\.4\)$' \
	"no libcurl: the line says why the webhook cannot be sent"
like "$OUT" "^dbhook $PORTABLE_VERSION " "no libcurl: the build command still ran"
is "$(wc -l <"$HTTPD_REQS")" 0 "no libcurl: nothing reached the webhook server"
is "$(rows "$db" | sort -u)" $'20240101000000_ok|true|false\n20240102000000_broken|false|true' \
	"no libcurl: the deploy itself worked up to the failing migration"

# --- 5. arm64 under qemu-user-static ------------------------------------------------------
QEMU=$(command -v qemu-aarch64-static || true)
check "qemu-aarch64-static is installed (scripts/install-deps)" test -n "$QEMU"
S=$PORTABLE_ARM64_SYSROOT
run "$QEMU" -L "$S" "$ARM" --version
is "$RC" 0 "arm64: --version exits 0"
like "$OUT" "^dbhook $PORTABLE_VERSION " "arm64: --version prints the version"
db=$(newdb)
run env DATABASE_URL_DIRECT="$(tls_url "$db")" "$QEMU" -L "$S" "$ARM" status --dir "$SRC/migrations"
is "$RC" 4 "arm64: status over TLS exits 4 (pending)"
run env DATABASE_URL_DIRECT="$(tls_url "$db")" "$QEMU" -L "$S" "$ARM" deploy --dir "$SRC/migrations"
is "$RC" 0 "arm64: deploy exits 0"
is "$(finished "$db")" "$NMIG" "arm64: all $NMIG migrations applied"
run env DATABASE_URL_DIRECT="$(tls_url "$db")" "$QEMU" -L "$S" "$ARM" status --dir "$SRC/migrations"
is "$RC" 0 "arm64: status afterwards exits 0"

# --- 6. SCRAM salted with the server's iteration count and salt ---------------------------
# The portable binaries compute SCRAM's salted password with OpenSSL's
# PBKDF2 in place of libpq's loop (digest.c): a secret made with 10000
# iterations (the server's own are always 4096) must still log in, and a
# wrong password must still fail.
SCRAM_PW=Scr4m-10k-Pw
TEST_EXTRA_SECRET=$SCRAM_PW
role=scram_portable_$$
sdb=$(scram_role "$role" "$SCRAM_PW" 10000)
surl="postgresql://$role:$SCRAM_PW@127.0.0.1:$TEST_PG_PORT/$sdb?sslmode=require"
run env DATABASE_URL_DIRECT="$surl" "$X64" deploy --dir "$SRC/migrations"
is "$RC" 0 "x64: SCRAM with 10000 iterations: deploy exits 0"
is "$(finished "$sdb")" "$NMIG" "x64: SCRAM with 10000 iterations: all $NMIG migrations applied"
run env DATABASE_URL_DIRECT="$surl" "$QEMU" -L "$S" "$ARM" status --dir "$SRC/migrations"
is "$RC" 0 "arm64: SCRAM with 10000 iterations: status exits 0 (up to date)"
# Under gdb (the unstripped copy of the same link): OpenSSL's PBKDF2 did
# the salting, libpq's own loop (only a fallback now) never ran.
run env DATABASE_URL_DIRECT="$surl" gdb -q -batch -ex 'set startup-with-shell off' \
	-ex 'dprintf PKCS5_PBKDF2_HMAC,"salted-by:openssl\n"' \
	-ex 'dprintf scram_SaltedPassword,"salted-by:libpq\n"' \
	-ex run --args "$P/profile/linux-x64/dbhook.full" status --dir "$SRC/migrations"
is "$(grep -o 'salted-by:[a-z]*' <<<"$OUT" | sort | uniq -c | sed 's/^ *//')" "1 salted-by:openssl" \
	"x64: the SCRAM password was salted once, by OpenSSL's PBKDF2, not by libpq's loop"
run env DATABASE_URL_DIRECT="${surl/:$SCRAM_PW@/:Scr4m-10k-Px@}" "$X64" status --dir "$SRC/migrations"
is "$RC" 3 "x64: SCRAM, one letter of the password wrong: exit 3"
like "$ERR" "password authentication failed for user \"$role\"" "x64: SCRAM, wrong password: the server's reason"
TEST_EXTRA_SECRET=

finish
