#!/usr/bin/env bash
# Command-line start-up (issue 21): `--help` (median of N warm runs), the first run after the
# compiled cache was removed (it is rebuilt), `validate --help`, and a 4-target deploy's time
# from process start to its first SSH connection attempt (MULTITIER_TRACE_START=1) against
# bench/startup/fixture, whose bastion is 127.0.0.1:1 (nothing listens: no lab needed, exit 4).
# The deploy is measured after one warm-up run, which makes the bundle's V8 code cache
# (bin/code-cache.js; the first deploy after a source change makes it), and once more without
# that cache (MULTITIER_NO_CODE_CACHE=1). Also the same through tsx (MULTITIER_NO_COMPILE_CACHE=1:
# a read-only checkout's fallback) and `node -e 0`, the floor. Each figure: wall-clock ms and CPU ms (user + system), medians;
# on a busy machine the CPU figure is the one that compares. Prints figures; asserts nothing.
set -eu
cd "$(dirname "$0")/.."
N=${N:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N "" -f "$tmp/key"
F=bench/startup/fixture
export MULTITIER_HOSTS_DIR=$F/hosts MULTITIER_PLAYBOOKS_DIR=$F/playbooks MULTITIER_TEMPLATES_DIR=$F/templates SSH_AUTH_SOCK= HOME="$tmp"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'; }
# one run: "wall cpu" in ms
one() { /usr/bin/time -f "%e %U %S" -o "$tmp/t" "$@" >/dev/null 2>&1 || true; tail -1 "$tmp/t" | awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}'; } # time's last line: a failed command adds one before it
# N runs: "wall cpu" medians
runs() { for _ in $(seq "$N"); do one "$@"; done >"$tmp/r"; echo "$(cut -d' ' -f1 "$tmp/r" | median) $(cut -d' ' -f2 "$tmp/r" | median)"; }
# N deploys: "wall cpu" medians at the first connection attempt
connection() {
  for _ in $(seq "$N"); do
    MULTITIER_TRACE_START=1 node bin/multitier.js deploy svc --env startup -i "$tmp/key" 2>&1 >/dev/null |
      sed -n 's/^start-up trace: connecting to .* at \([0-9]*\) ms since the process started (cpu \([0-9]*\) ms)$/\1 \2/p' | head -1
  done >"$tmp/c"
  echo "$(cut -d' ' -f1 "$tmp/c" | median) $(cut -d' ' -f2 "$tmp/c" | median)"
}
row() { printf "  %-44s %6s %6s   %s\n" "$1" "$2" "$3" "${4:-}"; }

rm -rf .cache/dist
read -r cold_w cold_c < <(one node bin/multitier.js --help)
read -r floor_w floor_c < <(runs node -e 0)
read -r help_w help_c < <(runs node bin/multitier.js --help)
read -r vh_w vh_c < <(runs node bin/multitier.js validate --help)
MULTITIER_NO_CODE_CACHE=1 node bin/multitier.js deploy svc --env startup -i "$tmp/key" >/dev/null 2>&1 || true
read -r ncc_w ncc_c < <(MULTITIER_NO_CODE_CACHE=1 connection)
node bin/multitier.js deploy svc --env startup -i "$tmp/key" >/dev/null 2>&1 || true # makes deploy.js's V8 code cache
read -r conn_w conn_c < <(connection)
read -r dep_w dep_c < <(runs node bin/multitier.js deploy svc --env startup -i "$tmp/key")
export MULTITIER_NO_COMPILE_CACHE=1
node bin/multitier.js --help >/dev/null # tsx's own cache warm
read -r th_w th_c < <(runs node bin/multitier.js --help)
read -r tc_w tc_c < <(connection)
unset MULTITIER_NO_COMPILE_CACHE

printf "bench/startup (medians of %s runs; load average %s)\n" "$N" "$(cut -d' ' -f1 /proc/loadavg)"
row "" "wall ms" "cpu ms"
row "node -e 0 (the floor)" "$floor_w" "$floor_c"
row "--help" "$help_w" "$help_c" "goal ≤ 300"
row "--help, first run (compiled cache rebuilt)" "$cold_w" "$cold_c"
row "validate --help" "$vh_w" "$vh_c"
row "deploy: process start to first connection" "$conn_w" "$conn_c" "goal ≤ 350"
row "deploy: whole run (bastion refused, exit 4)" "$dep_w" "$dep_c"
row "deploy to first connection, no V8 code cache" "$ncc_w" "$ncc_c" "MULTITIER_NO_CODE_CACHE=1"
row "through tsx: --help" "$th_w" "$th_c"
row "through tsx: deploy to first connection" "$tc_w" "$tc_c"
