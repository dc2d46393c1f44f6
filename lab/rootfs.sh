#!/usr/bin/env bash
# The root of a systemd lab host (lab/nspawn.ts): a minimal Debian made with debootstrap,
# built once per machine and kept as a tarball, so later labs start in seconds.
#
#   lab/rootfs.sh <cache dir>      prints the tarball's path (building it first when missing)
#
# It holds what an Ubuntu cloud image has that matters here: systemd as PID 1, sshd, python3,
# sudo (and dbus, which systemd's tools want), and ca-certificates, which every Ubuntu cloud image
# ships (cloud-init and snapd fetch over HTTPS): installed on a fresh host, its postinst hashes
# ~140 certificates one process at a time, 20 s of CPU per host here that no EC2 host spends.
# Everything else a playbook needs it installs itself, from an empty package cache. Made generic: no host keys, no machine id, no
# hostname, no package lists (each host makes its own at first boot / first install).
# Unattended apt (apt-daily timers) is masked so a test never waits on a lock it did not take.
# dpkg as in a minimized Ubuntu cloud image (no man pages, docs or translations installed) and
# as in Debian's container images (no fsync per file: a lab host's disk holds nothing to
# lose) — the packages and what the playbooks do with them are the same, installs are faster.
# Two builds at once (two test files on a fresh machine) wait for each other (flock).
# Progress goes to stderr; the first build takes a few minutes (downloads ~120 packages).
# LAB_DEBIAN_MIRROR overrides the mirror (default: the one this machine's apt uses).
set -euo pipefail
CACHE=${1:?usage: rootfs.sh <cache dir>}
SUITE=bookworm
INCLUDE=systemd,systemd-sysv,dbus,openssh-server,python3,sudo,ca-certificates
RECIPE="$SUITE $INCLUDE v2"
TAG=$(printf '%s' "$RECIPE" | sha256sum | cut -c1-8)
TAR="$CACHE/debian-$SUITE-$TAG.tar"
mkdir -p "$CACHE"
[ -s "$TAR" ] && { echo "$TAR"; exit 0; }

exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
  echo "lab: another process is building the Debian root; waiting for it" >&2
  flock 9
fi
[ -s "$TAR" ] && { echo "$TAR"; exit 0; }

mirror() {
  if [ -n "${LAB_DEBIAN_MIRROR:-}" ]; then echo "$LAB_DEBIAN_MIRROR"; return; fi
  local m
  m=$(grep -hs -m1 -E '^(URIs:|deb) ' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
  echo "${m:-http://deb.debian.org/debian}"
}

# what makes a lab host's dpkg quicker (see the top): applied to the root before it is packed
tune() {
  mkdir -p "$1/etc/dpkg/dpkg.cfg.d"
  printf '%s\n' '# multitier lab: as a minimized cloud image, no manuals, docs or translations' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/locale/*/LC_MESSAGES/*.mo' 'path-exclude=/usr/share/info/*' >"$1/etc/dpkg/dpkg.cfg.d/01multitier-minimal"
  printf '%s\n' '# multitier lab: no fsync per unpacked file (the lab host holds nothing to lose)' 'force-unsafe-io' >"$1/etc/dpkg/dpkg.cfg.d/02multitier-unsafe-io"
}

BUILD="$CACHE/build-$TAG"
if [ ! -e "$BUILD/.debootstrap-done" ]; then
  rm -rf "$BUILD"
  MIRROR=$(mirror)
  echo "lab: building the Debian $SUITE root for systemd hosts (once per machine, a few minutes) from $MIRROR" >&2
  n=0
  debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$BUILD" "$MIRROR" 2>&1 | while IFS= read -r line; do
    case "$line" in
      "I: Retrieving "*) n=$((n + 1)); [ $((n % 25)) -eq 0 ] && echo "lab: debootstrap: $n packages downloaded" >&2 ;;
      "I: Installing core packages"* | "I: Unpacking the base system"* | "I: Configuring the base system"* | "I: Base system installed"*) echo "lab: debootstrap: ${line#I: }" >&2 ;;
      "E: "* | "W: Failure"*) echo "lab: debootstrap: $line" >&2 ;;
    esac
  done
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "lab: debootstrap failed (log: $BUILD/debootstrap/debootstrap.log)" >&2; exit 1; }
  touch "$BUILD/.debootstrap-done"
fi

# generic: every host makes its own identity
rm -f "$BUILD"/etc/ssh/ssh_host_*
: > "$BUILD/etc/machine-id"
rm -f "$BUILD/var/lib/dbus/machine-id"
: > "$BUILD/etc/hostname"
rm -rf "$BUILD"/var/log/journal/* "$BUILD"/var/lib/apt/lists/* "$BUILD"/var/cache/apt/*.bin "$BUILD"/var/cache/apt/archives/*.deb
mkdir -p "$BUILD/var/lib/apt/lists/partial"
for t in apt-daily.timer apt-daily-upgrade.timer; do ln -sfn /dev/null "$BUILD/etc/systemd/system/$t"; done
tune "$BUILD"
rm -f "$BUILD/.debootstrap-done"
tar -C "$BUILD" --numeric-owner -cf "$TAR.tmp" .
mv "$TAR.tmp" "$TAR"
rm -rf "$BUILD"
echo "lab: cached the Debian root: $TAR ($(du -m "$TAR" | cut -f1) MB)" >&2
echo "$TAR"
