#!/usr/bin/env bash
# Command-line start-up (issue 21): `--help` (median of N warm runs), the first run after the
# compiled cache was removed (it is rebuilt), `validate --help`, and a 4-target deploy's time
# from process start to its first SSH connection attempt (MULTITIER_TRACE_START=1) against
# bench/startup/fixture, whose bastion is 127.0.0.1:1 (nothing listens: no lab needed, exit 4).
# Also the same through tsx (MULTITIER_NO_COMPILE_CACHE=1: a read-only checkout's fallback)
# and `node -e 0`, the floor. Prints figures; asserts nothing. N=7 by default.
set -eu
cd "$(dirname "$0")/.."
N=${N:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N "" -f "$tmp/key"
F=bench/startup/fixture

ms() { local a b; a=$(date +%s%N); "$@" >/dev/null 2>&1 || true; b=$(date +%s%N); echo $(((b - a) / 1000000)); }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
runs() { for _ in $(seq "$N"); do ms "$@"; done | median; }
first_connection() {
  MULTITIER_TRACE_START=1 MULTITIER_HOSTS_DIR=$F/hosts MULTITIER_PLAYBOOKS_DIR=$F/playbooks MULTITIER_TEMPLATES_DIR=$F/templates \
    SSH_AUTH_SOCK= HOME="$tmp" node bin/multitier.js deploy svc --env startup -i "$tmp/key" 2>&1 >/dev/null | { grep '^start-up trace' || true; } |
    sed -n 's/^start-up trace: connecting to .* at \([0-9]*\) ms since the process started$/\1/p' | head -1
}
deploy() { MULTITIER_HOSTS_DIR=$F/hosts MULTITIER_PLAYBOOKS_DIR=$F/playbooks MULTITIER_TEMPLATES_DIR=$F/templates SSH_AUTH_SOCK= HOME="$tmp" node bin/multitier.js deploy svc --env startup -i "$tmp/key"; }

rm -rf .cache/dist
cold=$(ms node bin/multitier.js --help)
floor=$(runs node -e 0)
help=$(runs node bin/multitier.js --help)
vhelp=$(runs node bin/multitier.js validate --help)
conn=$(for _ in $(seq "$N"); do first_connection; done | median)
dep=$(runs deploy)
export MULTITIER_NO_COMPILE_CACHE=1
node bin/multitier.js --help >/dev/null # tsx's own cache warm
thelp=$(runs node bin/multitier.js --help)
tconn=$(for _ in $(seq "$N"); do first_connection; done | median)
unset MULTITIER_NO_COMPILE_CACHE

printf "bench/startup (median of %s runs, ms; load average %s)\n" "$N" "$(cut -d' ' -f1 /proc/loadavg)"
printf "  node -e 0 (floor)                          %5s\n" "$floor"
printf "  --help                                     %5s   goal ≤ 300\n" "$help"
printf "  --help, first run (compiled cache rebuilt) %5s\n" "$cold"
printf "  validate --help                            %5s\n" "$vhelp"
printf "  deploy: start to first connection          %5s   goal ≤ 350\n" "$conn"
printf "  deploy: whole run (bastion refused, exit 4) %4s\n" "$dep"
printf "  through tsx (no compiled cache): --help %s, first connection %s\n" "$thelp" "$tconn"
