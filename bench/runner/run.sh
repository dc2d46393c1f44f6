#!/usr/bin/env bash
# make bench: multitier vs Ansible vs Ansible with Mitogen in the lab (needs root); writes bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "bench/runner: multitier vs Ansible vs Ansible + Mitogen (BENCH_SIZES=${BENCH_SIZES:-1,5,10} hosts per tier, BENCH_REPS=${BENCH_REPS:-3})"
# Mitogen's strategy for Ansible comes from Debian's package; the bench installs it when missing
if [ ! -d /usr/lib/python3/dist-packages/ansible_mitogen ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "bench/runner: installing ansible-mitogen"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible-mitogen >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible-mitogen >/dev/null; }
fi
extra=""
if [ "${BENCH_SUITE:-1}" = "1" ] && [ "$(id -u)" -eq 0 ]; then
  t0=$(date +%s.%N); make -s demo >/dev/null 2>&1 || true; t1=$(date +%s.%N)
  t2=$(date +%s.%N); npx --no-install jest --ci >/dev/null 2>&1 || true; t3=$(date +%s.%N)
  extra=$(printf '\nOther figures: `make demo` %.0f s; the jest suite (`make test` without the type check) %.0f s.\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)")
fi
BENCH_EXTRA="$extra" node --import tsx bench/runner/run.ts
echo "(written to bench/RESULTS.md)"
