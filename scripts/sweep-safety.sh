#!/usr/bin/env bash
# sweep-safety.sh: the bad-input sweep of issue #16, as a new user would try
# it: missing, odd, truncated and adversarial captures, injection attempts in
# user values, fake tsharks that crash, hang or lie, signals, 100 files at
# once, and outputs equal to inputs (same spelling, symlink, relative path)
# for every path-taking flag. Every case is checked for: the expected exit
# code, one line on stderr when it fails, no panic, no hang (a timeout), the
# input files byte for byte intact, $TMPDIR empty, no tshark process group
# left behind, and nothing created by an injected command. It prints a
# Markdown table and exits 1 if any case failed.
#
# Not run by `make test` (about a minute, many tshark runs). Usage:
#   scripts/sweep-safety.sh            # from the repository root
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared/captures}
T=$(mktemp -d /tmp/pcapmeter-sweep.XXXXXX)
trap 'rm -rf "$T"' EXIT
bin=$T/pcapmeter
mwbin=$T/measure-webserver
(cd "$root" && go build -o "$bin" ./cmd/pcapmeter && go build -o "$mwbin" ./cmd/measure-webserver) || exit 1
real_tshark=$(command -v tshark) || { echo "no tshark" >&2; exit 1; }

in=$T/in tmp=$T/tmp work=$T/work
mkdir -p "$in" "$tmp" "$work/sub"
cp "$root/testdata/http/keepalive-v4.pcapng" "$in/k.pcapng"
cp "$root/testdata/http/synth-gaps-v6.pcap" "$in/g.pcap"
cp "$root/testdata/icmp/synth-node.pcap" "$in/ping.pcap"
gzip -c "$in/g.pcap" >"$in/g.pcap.gz"
head -c 3000 "$in/g.pcap" >"$in/cut.pcap"   # cut mid-packet
head -c 24 "$in/g.pcap" >"$in/hdr.pcap"     # header, no packet
: >"$in/empty.pcap"
echo "GET / HTTP/1.1" >"$in/text.pcap"
{ head -c 24 "$in/g.pcap"; head -c 4000 /dev/urandom; } >"$in/noise.pcap"
mkdir "$in/dir.pcap"
cp "$in/g.pcap" "$in/\$(touch pwned).pcap"
cp "$in/g.pcap" "$in/-dash.pcap"
for i in $(seq 1 100); do cp "$in/g.pcap" "$in/many-$i.pcap"; done
ln -s k.pcapng "$in/link.pcapng"
big=$shared/http/ndpi_1kxun.pcap
[ -f "$big" ] || big=$in/g.pcap

# tshark wrappers: each logs its pid (its process group: pcapmeter starts
# tshark as a group leader) and then behaves as named.
mkfake() { # name body
	printf '#!/bin/sh\necho $$ >>%s/pgids\n%s\n' "$T" "$2" >"$T/$1"
	chmod +x "$T/$1"
}
version='case "$*" in *--version*) echo "TShark (Wireshark) 4.0.17."; exit 0;; esac'
mkfake tshark-log "exec $real_tshark \"\$@\""
mkfake tshark-crash "$version
kill -SEGV \$\$"
mkfake tshark-hang "$version
sleep 300 & sleep 300"
mkfake tshark-lie "$version
echo '<html>not tshark</html>'"
mkfake tshark-old 'echo "TShark (Wireshark) 2.6.10"; exit 0'
mkfake tshark-hangversion "sleep 300 & sleep 300"

sum_inputs() { (cd "$in" && find . -type f -print0 | sort -z | xargs -0 md5sum | md5sum); }
inputs_sum=$(sum_inputs)
n=0 failed=0
table="| # | case | command | exit | result |\n|---|---|---|---|---|\n"

# check NAME CODES [EXTRA] -- records one case after it ran (rc, out, err).
check() {
	local name=$1 codes=$2 extra=${3:-} why=""
	n=$((n + 1))
	case " $codes " in *" $rc "*) ;; *) why+="exit $rc, want $codes; " ;; esac
	if [ "$rc" = 124 ]; then why+="hung; "; fi
	if [ -n "$extra" ] && ! eval "$extra" >/dev/null 2>&1; then why+="check failed: $extra; "; fi
	if grep -q 'panic:\|goroutine [0-9]' "$T/err"; then why+="panic; "; fi
	# A run killed by SIGKILL or SIGPIPE dies silently, as it should.
	if [ "$rc" != 0 ] && [ "$rc" != 3 ] && [ "$rc" != 124 ] && [ "$rc" != 137 ] && [ "$rc" != 141 ] && [ "$(grep -vc '^$' "$T/err")" != 1 ]; then
		why+="stderr has $(grep -vc '^$' "$T/err") lines; "
	fi
	if [ "$(sum_inputs)" != "$inputs_sum" ]; then why+="AN INPUT CHANGED; "; inputs_sum=$(sum_inputs); fi
	if [ -n "$(ls -A "$tmp")" ]; then why+="left in TMPDIR: $(ls -A "$tmp" | head -3 | tr '\n' ' '); "; rm -rf "${tmp:?}"/*; fi
	sleep 0.2
	if [ -f "$T/pgids" ]; then
		while read -r g; do
			# Zombies do not count: they have exited, and init here may
			# never reap what it inherits.
			if ps -eo pgid=,stat= | awk -v g="$g" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; then why+="tshark group $g survived; "; pkill -KILL -g "$g"; fi
		done <"$T/pgids"
		rm -f "$T/pgids"
	fi
	if find "$T" -name pwned | grep -q .; then why+="INJECTED COMMAND RAN; "; find "$T" -name pwned -delete; fi
	local res="ok"
	if [ -n "$why" ]; then res="FAIL: $why ($(head -c 160 "$T/err" | tr '\n|' ' /'))"; failed=$((failed + 1)); fi
	table+="| $n | $name | \`${shown:-}\` | $rc | $res |\n"
}

# t NAME CODES [EXTRA] -- CMD...: run CMD (pcapmeter as pm, measure-webserver
# as mw) with a 30 s limit in $work.
t() {
	local name=$1 codes=$2 extra=$3
	shift 4
	shown="$*"
	local args=()
	for a in "$@"; do
		case $a in pm) args+=("$bin") ;; mw) args+=("$mwbin") ;; *) args+=("$a") ;; esac
	done
	(cd "$work" && TMPDIR=$tmp TSHARK=${TSHARK_FAKE:-$T/tshark-log} timeout "${LIMIT:-30}" "${args[@]}" >"$T/out" 2>"$T/err" </dev/null)
	rc=$?
	check "$name" "$codes" "$extra"
}

# sig NAME SIGNAL CODES -- CMD...: start CMD, signal it after DELAY s.
sig() {
	local name=$1 s=$2 codes=$3
	shift 4
	shown="$* (then SIG$s)"
	(cd "$work" && TMPDIR=$tmp TSHARK=${TSHARK_FAKE:-$T/tshark-log} exec "$@" >"$T/out" 2>"$T/err" </dev/null) &
	local p=$!
	sleep "${DELAY:-1}"
	kill -"$s" "$p" 2>/dev/null
	local waited=0
	while kill -0 "$p" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
	if kill -0 "$p" 2>/dev/null; then kill -KILL "$p"; rc=124; wait "$p" 2>/dev/null; else wait "$p"; rc=$?; fi
	check "$name" "$codes"
}

K=$in/k.pcapng G=$in/g.pcap
# Missing and odd captures.
for c in http tcp summary icmp export; do t "$c: missing file" 1 'grep -q "no such file" '"$T/err" -- pm $c "$in/nope.pcap"; done
t "http: directory" 1 "" -- pm http "$in/dir.pcap"
t "http: empty file" 1 "! grep -q converts $T/err" -- pm http "$in/empty.pcap"
t "http: text file" 1 "" -- pm http "$in/text.pcap"
t "http: /dev/null" 1 "" -- pm http /dev/null
t "http: cut mid-packet" "3" 'grep -q PARTIAL '"$T/out" -- pm http "$in/cut.pcap"
t "http: header only" 1 "grep -qi 'cut short\|truncated\|no packet' $T/err" -- pm http "$in/hdr.pcap"
t "tcp: cut mid-packet" 3 "" -- pm tcp "$in/cut.pcap"
t "summary: cut mid-packet" 3 "" -- pm summary "$in/cut.pcap"
t "http: header then noise" "1 3" "" -- pm http "$in/noise.pcap"
t "export: header then noise" "0 1 3" "" -- pm export "$in/noise.pcap"
t "http: gzip capture" 0 "" -- pm http "$in/g.pcap.gz"
t "http: ICMP-only capture" 1 "" -- pm http "$in/ping.pcap"
t "measure-webserver: missing" 1 "" -- mw "$in/nope.pcap" 10.0.0.1 80
# Injection attempts in every user value.
t "file named \$(touch pwned)" 0 "" -- pm http "$in/\$(touch pwned).pcap"
t "file named -dash after --" 0 "" -- pm tcp -- "$in/-dash.pcap"
t "--server \$(touch pwned)" 2 "" -- pm http "$G" --server '$(touch pwned)'
t "--port 80;touch pwned" 2 "" -- pm http "$G" --port '80;touch pwned'
t "--http-port newline" 2 "" -- pm http "$G" --http-port $'8080\n8081'
t "export --filter ; touch pwned" "1 2" "" -- pm export "$G" --filter 'tcp; touch pwned'
t "export --filter closing paren" "1 2" "" -- pm export "$G" --filter 'tcp) or (udp'
t "export --fields \`touch pwned\`" "1 2" "" -- pm export "$G" --fields 'frame.number,`touch pwned`'
t "tcp --stream -1" 2 "" -- pm tcp "$G" --stream -1
t "icmp --name ctrl char" 2 "" -- pm icmp "$in/ping.pcap" --name $'a\x1bb'
t "--percentiles 50,,99" 2 "" -- pm http "$G" --percentiles 50,,99
t "--jobs -3" 2 "" -- pm http "$G" --jobs -3
t "measure-webserver ip;touch pwned" 2 "" -- mw "$G" '1.2.3.4;touch pwned' 80
t "measure-webserver port 99999" 2 "" -- mw "$G" 10.0.0.1 99999
# Fake tsharks that crash, hang or lie.
TSHARK_FAKE=/bin/false t "TSHARK=/bin/false" 1 "! grep -q 'not found' $T/err" -- pm http "$G"
TSHARK_FAKE=/no/such/tshark t "TSHARK missing" 1 "grep -q 'not found' $T/err" -- pm tcp "$G"
TSHARK_FAKE=$T/tshark-crash t "tshark crashes (SIGSEGV)" 1 "" -- pm http "$G" -j 1
TSHARK_FAKE=$T/tshark-crash t "tshark crashes, split run" 1 "" -- pm http "$G" -j 2
TSHARK_FAKE=$T/tshark-lie t "tshark prints HTML" 1 "grep -q 'real tshark' $T/err" -- pm summary "$G"
TSHARK_FAKE=$T/tshark-old t "tshark 2.6" 1 "grep -qi 'old\|newer' $T/err" -- pm export "$G"
TSHARK_FAKE=$T/tshark-hang sig "tshark hangs, Ctrl-C (http -j 2)" INT 130 -- "$bin" http "$G" -j 2
TSHARK_FAKE=$T/tshark-hang sig "tshark hangs, SIGTERM (export)" TERM 130 -- "$bin" export "$G"
TSHARK_FAKE=$T/tshark-hangversion sig "tshark --version hangs, Ctrl-C (export)" INT 130 -- "$bin" export "$G"
# Signals during a real run, and a dead reader.
for s in INT TERM HUP QUIT; do DELAY=0.7 sig "SIG$s during http -j 2" "$s" "0 130" -- "$bin" http "$big" -j 2 -f csv; done
DELAY=0.7 sig "SIGKILL of pcapmeter (Pdeathsig)" KILL "137" -- "$bin" http "$big" -j 2 -f csv
shown="pm http big -j 2 -f csv, piped to head -1"
(cd "$work" && TMPDIR=$tmp TSHARK=$T/tshark-log timeout 30 "$bin" http "$big" -j 2 -f csv 2>"$T/err" | head -1 >"$T/out"; exit "${PIPESTATUS[0]}")
rc=$?
check "SIGPIPE (head -1 closes the pipe)" "0 1 141" 'test "$(wc -l <'"$T/out"')" = 1'
# FIFOs and standard input.
mkfifo "$T/cap.fifo"
(cat "$G" >"$T/cap.fifo" &)
t "http FIFO -j 2" 0 "! grep -q /proc/ $T/out" -- pm http "$T/cap.fifo" -j 2 -f csv
(cat "$K" >"$T/cap.fifo" &)
t "measure-webserver FIFO" 0 "test \$(wc -l <$T/out) = 3" -- mw "$T/cap.fifo" 127.0.0.1 8080
exec 7<>"$T/cap.fifo" # a writer that never writes
sig "idle FIFO, Ctrl-C (measure-webserver)" INT 130 -- "$mwbin" "$T/cap.fifo" 127.0.0.1 8080
sig "idle FIFO, Ctrl-C (http -j 2)" INT 130 -- "$bin" http "$T/cap.fifo" -j 2
exec 7>&-
shown="pm http - -j 2 < pipe"
(cd "$work" && cat "$G" | TMPDIR=$tmp TSHARK=$T/tshark-log timeout 30 "$bin" http - -j 2 -f json >"$T/out" 2>"$T/err")
rc=$?
check "stdin pipe" 0 "grep -q '\"path\": \"standard input\"' $T/out"
shown="script -qc 'pm http -'"
script -qc "TMPDIR=$tmp timeout 10 $bin http -; echo exit=\$?" /dev/null </dev/null >"$T/err" 2>&1
rc=$(grep -o 'exit=[0-9]*' "$T/err" | cut -d= -f2); sed -i '/exit=/d; s/\r//' "$T/err"
check "stdin is a terminal" 1 "grep -q 'standard input is a terminal' $T/err"
# Many files, duplicates and the parallelism rule.
# 100 files: ~3 tshark runs each on two shared cores, minutes, not a hang.
LIMIT=600 t "http 100 files" 0 "grep -q '100 files\|many-' $T/out" -- pm http "$in"/many-*.pcap -f json
dup=(); for i in $(seq 1 100); do dup+=("$G"); done
t "http the same file 100 times" 2 "" -- pm http "${dup[@]}"
t "http g.pcap and ../in/./g.pcap" 2 "" -- pm http "$G" "$in/../in/./g.pcap"
t "http k.pcapng and its symlink" 2 "" -- pm http "$K" "$in/link.pcapng"
rm -f "$T/pgids"
t "-j 32 on 4 connections: tsharks" 0 "test \$(wc -l <$T/pgids) -le 6" -- pm http "$K" -j 32
# Outputs that are the input, for every path flag, three spellings.
cp "$K" "$in/cap.svg"
ln -s cap.svg "$in/caplink.svg"
inputs_sum=$(sum_inputs)
for spec in "http -o" "http --plot" "http --cpuprofile" "http --memprofile" "tcp -o" "summary -o" "summary --plot" "icmp -o" "export -o"; do
	set -- $spec
	for out in "$in/cap.svg" "$in/caplink.svg" "../in/sub/../cap.svg"; do
		mkdir -p "$in/sub"
		t "$1 $2 = input ($(basename "$out"))" "1 2" "grep -q 'is the input' $T/err" -- pm "$1" "$in/cap.svg" "$2" "$out"
	done
done
# A failed run keeps an existing output; a plot that cannot be written warns.
echo old >"$work/r.txt"; echo old >"$work/p.svg"
t "failed http keeps -o and --plot" 1 "grep -qx old $work/r.txt && grep -qx old $work/p.svg" -- pm http "$in/ping.pcap" -o r.txt --plot p.svg
t "rejected --filter keeps -o" "1 2" "grep -qx old $work/r.txt" -- pm export "$G" --filter 'tcp.port ==' -o r.txt
t "-o and --plot the same file" "1 2" "grep -qx old $work/r.txt" -- pm summary "$G" -o r.svg --plot ./r.svg
t "--plot in a missing dir, refused first" 1 "" -- pm http "$G" --plot nodir/x.svg

printf '%b' "$table"
echo
echo "$n cases, $failed failed"
[ "$failed" = 0 ]
