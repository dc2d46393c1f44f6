#!/usr/bin/env bash
# Bring up one lab host (called by lab.ts, once per host, in parallel):
#   its network namespace (already created and wired by lab.ts), a private mount namespace
#   held by a `sleep` process, an overlay root over / (writes go to UPPER, never the
#   machine's files), private /proc /sys /dev /tmp /run, a login user with the lab key and
#   passwordless sudo, and a real OpenSSH sshd chrooted into the overlay.
# Arguments come as environment variables: NS DIR HOSTNAME ADDR USER PUBKEY LOOPS
# (LOOPS: space-separated "loopdev:by-id-name" pairs to present inside the host).
set -euo pipefail
: "${NS:?}" "${DIR:?}" "${HOSTNAME_:?}" "${ADDR:?}" "${USER_:?}" "${PUBKEY:?}"
ROOT="$DIR/root"
mkdir -p "$DIR/upper" "$DIR/work" "$ROOT"

# the holder: owns the host's mount namespace for the lab's lifetime (sshd can be killed and
# restarted without losing the host's files)
setsid -f ip netns exec "$NS" unshare -m -u --propagation private -- /bin/sh -c '
  set -e
  R='"$ROOT"'
  hostname '"$HOSTNAME_"'
  mount -t overlay overlay -o lowerdir=/,upperdir='"$DIR/upper"',workdir='"$DIR/work"' "$R"
  mount -t proc proc "$R/proc"
  mount -t sysfs sysfs "$R/sys"
  mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
  mount -t tmpfs -o mode=0755 tmpfs "$R/run"
  mount -t tmpfs -o mode=0755 tmpfs "$R/dev"
  for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $n; mknod -m 666 "$R/dev/$1" c "$2" "$3"
  done
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/disk/by-id" "$R/dev/mapper"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"
  mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
  for pair in '"${LOOPS:-}"'; do
    dev=${pair%%:*}; name=${pair#*:}; n=${dev#/dev/loop}
    mknod -m 660 "$R/dev/loop$n" b 7 "$n"
    ln -s "../../loop$n" "$R/dev/disk/by-id/$name"
  done
  echo $$ > '"$DIR/holder.pid"'
  exec sleep infinity
' </dev/null >"$DIR/holder.log" 2>&1

for _ in $(seq 1 100); do [ -s "$DIR/holder.pid" ] && break; sleep 0.05; done
[ -s "$DIR/holder.pid" ] || { echo "lab: $HOSTNAME_: the namespace holder did not start: $(cat "$DIR/holder.log")" >&2; exit 1; }
HOLDER=$(cat "$DIR/holder.pid")

# identity of the host: its own name, hosts file, login user, host key, sshd config — all
# written inside the host's mount namespace (the overlay exists only there)
nsenter -t "$HOLDER" -m -n -u chroot "$ROOT" /bin/sh -s <<SETUP
set -e
echo "$HOSTNAME_" > /etc/hostname
printf '127.0.0.1 localhost\n%s %s\n' "${ADDR%/*}" "$HOSTNAME_" > /etc/hosts
id -u "$USER_" >/dev/null 2>&1 || useradd -m -s /bin/bash -p "*" "$USER_"  # "*": no password, not locked (sshd refuses locked accounts)
install -d -m 0700 -o "$USER_" -g "$USER_" "/home/$USER_/.ssh"
echo "$PUBKEY" > "/home/$USER_/.ssh/authorized_keys"
chmod 0600 "/home/$USER_/.ssh/authorized_keys"
chown "$USER_:$USER_" "/home/$USER_/.ssh/authorized_keys"
echo "$USER_ ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-lab
chmod 0440 /etc/sudoers.d/90-lab
mkdir -p /etc/ssh/lab
rm -f /etc/ssh/lab/host_ed25519_key /etc/ssh/lab/host_ed25519_key.pub
ssh-keygen -q -t ed25519 -N "" -C "$HOSTNAME_" -f /etc/ssh/lab/host_ed25519_key
cat > /etc/ssh/lab/sshd_config <<'CONF'
ListenAddress ${ADDR%/*}
Port 22
HostKey /etc/ssh/lab/host_ed25519_key
PidFile /run/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AllowAgentForwarding no
AllowTcpForwarding yes
X11Forwarding no
MaxSessions 10
ClientAliveInterval 15
LogLevel ERROR
Subsystem sftp internal-sftp
CONF
SETUP
# the host key, for the lab's known_hosts (read from outside the host)
nsenter -t "$HOLDER" -m cat "$ROOT/etc/ssh/lab/host_ed25519_key.pub" > "$DIR/host_ed25519_key.pub"
echo "$HOLDER"
