#!/usr/bin/env bash
# Install everything multitier needs on a Debian machine: the Debian packages the lab and
# the tests use (only those missing; needs root) and the npm dependencies (npm ci, exact
# versions from package-lock.json). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package that provides it
declare -A PKG=(
  [sshd]=openssh-server [ssh]=openssh-client [supervisord]=supervisor [crontab]=cron
  [mkfs.xfs]=xfsprogs [cryptsetup]=cryptsetup-bin [nginx]=nginx-light [ansible-playbook]=ansible
  [ip]=iproute2 [nft]=nftables [mkfs.ext4]=e2fsprogs [findmnt]=util-linux [losetup]=mount [chronyd]=chrony
  [sudo]=sudo [useradd]=passwd [nsenter]=util-linux [openssl]=openssl [python3]=python3 [git]=git [make]=make [bc]=bc [/usr/bin/time]=time
  [promtool]=prometheus [amtool]=prometheus-alertmanager [prometheus-node-exporter]=prometheus-node-exporter
  [/usr/bin/chromium]=chromium [jupyter-notebook]=jupyter-notebook [/usr/lib/python3/dist-packages/yaml]=python3-yaml [/usr/share/doc/python3-venv]=python3-venv
  # the lab's systemd hosts: a debootstrapped Debian booted by systemd-nspawn, packages through apt-cacher-ng
  [systemd-nspawn]=systemd-container [debootstrap]=debootstrap [apt-cacher-ng]=apt-cacher-ng [flock]=util-linux
)
missing=()
for cmd in "${!PKG[@]}"; do
  case "$cmd" in
    /*) [ -x "$cmd" ] || missing+=("${PKG[$cmd]}") ;;   # a path: the shell builtin of the same name does not count
    *) command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${PKG[$cmd]}") ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root on Debian/Ubuntu, or install them)" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts these on install; the lab runs its own copies inside namespaces.
for svc in nginx supervisor cron chrony ssh prometheus prometheus-alertmanager prometheus-node-exporter apt-cacher-ng; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# the command line's compiled cache (it also rebuilds itself at the first start after a change)
node bin/compile-cache.js || true
echo "setup: done"
