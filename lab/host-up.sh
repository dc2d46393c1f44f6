#!/usr/bin/env bash
# Bring up one lab host (lab.ts runs it once per host, several at a time). Its network
# namespace NS is already made and wired. This makes:
#   - the holder: a `sleep` in NS with a private mount + UTS namespace that it keeps alive for
#     the lab's lifetime (sshd can be killed and restarted without losing the host's mounts);
#   - an overlay root over / (lowerdir=/, writes go to DIR/upper, never to the machine's files);
#   - private /proc (its /proc/sys read-only except net.*, which is per namespace), read-only
#     /sys, tmpfs /tmp /run /root, and the paths in HIDE covered by an empty read-only tmpfs
#     (the project checkout, the lab's key and state: a host must not see the operator's files);
#   - a private /dev: tmpfs with the usual nodes, its own devpts, and a node for each of the
#     host's loop devices with its Nitro link /dev/disk/by-id/<name> (LOOPS);
#   - its identity: /etc/hostname, /etc/hosts, /etc/machine-id, an empty /etc/fstab, a DNS-less
#     /etc/resolv.conf (lookups fail at once, no packet leaves), the login user USER_ with PUBKEY
#     and passwordless sudo, a fresh ed25519 host key, the lab's sshd config;
#   - and starts sshd (lab/sshd.sh).
# Arguments are environment variables:
#   NS DIR HOSTNAME_ ADDR USER_ PUBKEY   EXTRA_ADDRS="10.213.0.1" (more addresses sshd listens on)   LOOPS="/dev/loop7:nvme-Amazon_..._vol0123... ..."   HIDE="/work/main /root/x"
# Prints the holder's pid.
set -euo pipefail
: "${NS:?}" "${DIR:?}" "${HOSTNAME_:?}" "${ADDR:?}" "${USER_:?}" "${PUBKEY:?}"
export R="$DIR/root" UPPER="$DIR/upper" WORK="$DIR/work" PIDFILE="$DIR/holder.pid" HOSTNAME_ ADDR USER_ PUBKEY
export LOOPS="${LOOPS:-}" HIDE="${HIDE:-}" EXTRA_ADDRS="${EXTRA_ADDRS:-}"
mkdir -p "$UPPER" "$WORK" "$R"
rm -f "$PIDFILE"

setsid -f nsenter --net="/run/netns/$NS" unshare --mount --uts --propagation private -- /bin/sh -ec '
  hostname "$HOSTNAME_"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$UPPER,workdir=$WORK" "$R"
  for d in $HIDE; do
    if [ -d "$R$d" ]; then mount -t tmpfs -o ro,size=4k,mode=0755 lab-hidden "$R$d"; fi
  done
  mount -t tmpfs -o size=256m,mode=0700 lab-root "$R/root"
  mount -t proc proc "$R/proc"
  mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
  mount --rbind "$R/proc/sys" "$R/proc/sys"
  mount -o remount,bind,ro "$R/proc/sys"
  mount -t sysfs -o ro sysfs "$R/sys"
  mount -t tmpfs -o mode=1777 lab-tmp "$R/tmp"
  mount -t tmpfs -o mode=0755 lab-run "$R/run"
  mkdir -m 1777 "$R/run/lock"
  mount -t tmpfs -o mode=0755,size=1m lab-dev "$R/dev"
  for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $n; mknod -m 666 "$R/dev/$1" c "$2" "$3"
  done
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/disk/by-id" "$R/dev/mapper"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"
  ln -s /proc/self/fd "$R/dev/fd"
  ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
  mount -t tmpfs -o mode=1777 lab-shm "$R/dev/shm"
  for pair in $LOOPS; do
    dev=${pair%%:*}; name=${pair#*:}; n=${dev#/dev/loop}
    mknod -m 660 "$R/dev/loop$n" b 7 "$n"
    chgrp disk "$R/dev/loop$n"
    ln -s "../../loop$n" "$R/dev/disk/by-id/$name"
  done
  echo $$ > "$PIDFILE"
  exec sleep infinity
' </dev/null >"$DIR/holder.log" 2>&1

for _ in $(seq 1 200); do [ -s "$PIDFILE" ] && break; sleep 0.025; done
[ -s "$PIDFILE" ] || { echo "lab: $HOSTNAME_: the namespace holder did not start: $(cat "$DIR/holder.log")" >&2; exit 1; }
HOLDER=$(cat "$PIDFILE")

# identity, inside the host (the overlay exists only in its mount namespace)
nsenter -t "$HOLDER" -m -n -u chroot "$R" /bin/sh -e <<'SETUP'
echo "$HOSTNAME_" > /etc/hostname
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n%s %s\n' "$ADDR" "$HOSTNAME_" > /etc/hosts
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > /etc/machine-id
rm -f /etc/resolv.conf
printf '# lab host: no DNS server (no packet may leave the lab); names are in /etc/hosts\noptions timeout:1 attempts:1\n' > /etc/resolv.conf
printf '# lab host %s: its volumes are mounted by the playbooks\n' "$HOSTNAME_" > /etc/fstab
# "*": no password, but not locked either (sshd refuses locked accounts)
id -u "$USER_" >/dev/null 2>&1 || useradd -m -s /bin/bash -p '*' "$USER_"
install -d -m 0700 -o "$USER_" -g "$USER_" "/home/$USER_/.ssh"
echo "$PUBKEY" > "/home/$USER_/.ssh/authorized_keys"
chmod 0600 "/home/$USER_/.ssh/authorized_keys"
chown "$USER_:$USER_" "/home/$USER_/.ssh/authorized_keys"
echo "$USER_ ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-lab
chmod 0440 /etc/sudoers.d/90-lab
# this host's own host key, where a real host keeps it (the machine's keys are removed from view)
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
ssh-keygen -q -t ed25519 -N "" -C "root@$HOSTNAME_" -f /etc/ssh/ssh_host_ed25519_key
mkdir -p /etc/ssh/lab
cat > /etc/ssh/lab/sshd_config <<CONF
# The lab's sshd (lab/host-up.sh). Separate from /etc/ssh/sshd_config so that playbooks can
# template the real one without cutting the runner's way in.
ListenAddress $ADDR
$(for a in $EXTRA_ADDRS; do echo "ListenAddress $a"; done)
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
# PAM's session modules want a whole system (logind, loginuid), which a chroot is not
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
AllowTcpForwarding yes
AllowAgentForwarding no
X11Forwarding no
ClientAliveInterval 15
# Ansible with many forks opens one TCP connection per target through the bastion at once:
# sshd's default (10:30:100) starts dropping unauthenticated connections beyond 10
MaxStartups 100:30:200
LogLevel INFO
Subsystem sftp internal-sftp
CONF
SETUP

# the host's public key, for the lab's known_hosts (read from outside the host)
cat "/proc/$HOLDER/root$R/etc/ssh/ssh_host_ed25519_key.pub" > "$DIR/host_ed25519_key.pub"
"$(dirname "$0")/sshd.sh" start "$DIR"
echo "$HOLDER"
