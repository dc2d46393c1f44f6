#!/usr/bin/env bash
# What a first `deploy all` on fresh systemd lab hosts costs (issue 17's demo time): wall clock,
# and the CPU each host's container spent (its cgroup's cpu.stat, boot included), the machine's
# CPU in all, and that CPU divided by the cores: the least wall-clock time a first deploy can
# take on this machine, however well it is spread. Lab up (root cached), one deploy, lab down.
# Needs root (the lab). Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench/first-deploy: the lab needs root" >&2; exit 1; }
trap 'node --import tsx lab/cli.ts down >/dev/null 2>&1 || true' EXIT
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # jiffies (1/100 s) of all cores
node --import tsx lab/cli.ts up >/dev/null
[ -f hosts/lab.vault.yml ] || ./bin/multitier.js vault create --env lab >/dev/null
load=$(cut -d' ' -f1 /proc/loadavg)
b0=$(busy)
t0=$(date +%s.%N)
./bin/multitier.js deploy all --env lab --json >/dev/null
t1=$(date +%s.%N)
b1=$(busy)
cores=$(nproc)
printf "bench/first-deploy (%s cores, load average %s at the start)\n" "$cores" "$load"
printf "  %-28s %8.0f s\n" "first deploy all, wall" "$(echo "$t1 - $t0" | bc -l)"
total=0
for d in /sys/fs/cgroup/unified/multitier-lab/*/ /sys/fs/cgroup/multitier-lab/*/; do
  [ -f "$d/cpu.stat" ] || continue
  us=$(awk '/^usage_usec/{print $2}' "$d/cpu.stat")
  total=$((total + us))
  printf "  %-28s %8.0f CPU-s\n" "host $(basename "$d" | sed 's/^mtlab-//')" "$(echo "$us / 1000000" | bc -l)"
done
printf "  %-28s %8.0f CPU-s\n" "the hosts in all" "$(echo "$total / 1000000" | bc -l)"
printf "  %-28s %8.0f CPU-s\n" "the machine in all" "$(echo "($b1 - $b0) / 100" | bc -l)"
printf "  %-28s %8.0f s\n" "machine CPU / cores (floor)" "$(echo "($b1 - $b0) / 100 / $cores" | bc -l)"
