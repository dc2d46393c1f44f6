#!/usr/bin/env bash
# make demo — the whole rehearsal on this machine: bring the lab up (systemd hosts: a minimal
# Debian booted by systemd-nspawn per host; LAB_KIND=overlay for the old chroot hosts), create
# its vault if needed, deploy every tier (every package installed by the playbooks; in the
# steps of playbooks/order.yml), show the recap and how many packages were installed, deploy again to show 0 changed,
# say where the monitoring is, tear down. The first run on a machine builds and caches the
# Debian root and the packages (minutes); later runs reuse both.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: the lab needs root (network namespaces, loop devices): sudo make demo" >&2; exit 1; }
if [ -z "${MULTITIER_VAULT_PASSWORD:-}" ] && [ ! -f vault-key.lab ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 > vault-key.lab)
  echo "demo: made vault-key.lab (the lab vault's password, mode 0600)"
fi
start=$SECONDS
log=$(mktemp /tmp/multitier-demo.XXXXXX)
trap 'rm -f "$log"; echo; echo "== tearing the lab down"; node --import tsx lab/cli.ts down' EXIT
echo "== bringing the lab up"
node --import tsx lab/cli.ts up
[ -f hosts/lab.vault.yml ] || ./bin/multitier.js vault create --env lab
echo; echo "== first deploy of every tier (every package from an empty cache: 3-4 minutes on 2 cores, CPU-bound; the first run on a machine also downloads them)"
./bin/multitier.js deploy all --env lab | tee "$log"
n=$( (grep -oE ' — install .* \(apt\) \(' "$log" || true) | sed -E 's/^ — install //; s/ \(apt\) \($//' | tr ',' '\n' | grep -c . || true)
echo "first deploy: $n packages installed by the playbooks ($(grep -cE ' — install .* \(apt\) \(' "$log" || true) package tasks)"
echo; echo "== second deploy: nothing should change"
out=$(./bin/multitier.js deploy all --env lab --json | tail -1)
node -e 'const r=JSON.parse(process.argv[1]); let c=0; for (const [h,x] of Object.entries(r.hosts)) { console.log(`  ${h.padEnd(10)} ok ${x.ok}  changed ${x.changed}  failed ${x.failed}`); c+=x.changed+x.failed; } console.log(c===0 ? "second run: 0 changed" : "second run CHANGED something"); process.exit(c===0?0:1)' "$out"
echo "demo: $((SECONDS - start))s from lab-up to the second deploy's recap"
if grep -q '^  monitoring:' hosts/lab.yaml 2>/dev/null; then
  echo
  echo "== monitoring: Prometheus and Alertmanager on the monitoring host, node exporters everywhere"
  echo "   to look yourself: make lab-up deploy-all ENV=lab, then make tunnel-monitoring ENV=lab and open http://127.0.0.1:9090/alerts"
  echo "   (Alertmanager: make tunnel-alertmanager ENV=lab, http://127.0.0.1:9093/)"
fi
