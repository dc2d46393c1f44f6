#!/usr/bin/env bash
# Bring up one systemd lab host (lab.ts runs it per host, several at a time): a Debian root
# booted with systemd as PID 1 by systemd-nspawn inside the host's network namespace NS
# (already made and wired: eth0 with its address and default route).
#   - root: an overlay on DIR/root, lower LOWER (the lab's copy of the cached Debian root,
#     lab/rootfs.sh), writes in DIR/upper; mounted under the lab dir, so lab-down unmounts it;
#   - identity, written before boot: /etc/hostname, /etc/hosts, /etc/machine-id, a DNS-less
#     /etc/resolv.conf (no packet may leave the lab: packages come through the apt proxy the
#     environment file names), the login user USER_ with PUBKEY and passwordless sudo (what
#     cloud-init does on EC2), a fresh ed25519 host key for Debian's own sshd (ssh.service);
#   - volumes: each loop device of LOOPS bound into the container (--bind of the device node:
#     nothing else of the machine's /dev), and its Nitro link /dev/disk/by-id/<name> made at
#     every boot by systemd-tmpfiles (/etc/tmpfiles.d/lab-volumes.conf: udev does not run in a
#     container). Mounting needs CAP_SYS_ADMIN, which nspawn keeps by default: no capability
#     is added;
#   - cgroups: nspawn without a host systemd (--register=no --keep-unit) puts the container
#     below its own cgroup, so it is started from a cgroup of its own per host
#     (multitier-lab/MACHINE in the named systemd and unified hierarchies);
#   - a keeper loop (DIR/keeper.pid, cwd DIR) that runs nspawn again when the container
#     reboots (nspawn exits 133 on `systemctl reboot`, as systemd-nspawn@.service does), and
#     writes the container's PID 1 to DIR/holder.pid at each boot.
# Arguments are environment variables:
#   NS DIR LOWER MACHINE HOSTNAME_ ADDR USER_ PUBKEY   LOOPS="/dev/loop7:nvme-Amazon_... ..."
# Prints the pid of the container's systemd once it runs.
set -euo pipefail
: "${NS:?}" "${DIR:?}" "${LOWER:?}" "${MACHINE:?}" "${HOSTNAME_:?}" "${ADDR:?}" "${USER_:?}" "${PUBKEY:?}"
LOOPS="${LOOPS:-}"
R="$DIR/root"
mkdir -p "$DIR/upper" "$DIR/work" "$R"
rm -f "$DIR/holder.pid" "$DIR/nspawn.pid"
mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$DIR/upper,workdir=$DIR/work" "$R"

# identity (files only: nothing runs in the root before it boots, except useradd/ssh-keygen)
echo "$HOSTNAME_" > "$R/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n%s %s\n' "$ADDR" "$HOSTNAME_" > "$R/etc/hosts"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$R/etc/machine-id"
rm -f "$R/etc/resolv.conf"
printf '# lab host: no DNS server (no packet may leave the lab); names are in /etc/hosts\noptions timeout:1 attempts:1\n' > "$R/etc/resolv.conf"
printf '# lab host %s: its volumes are mounted by the playbooks\n' "$HOSTNAME_" > "$R/etc/fstab"
chroot "$R" useradd -m -s /bin/bash -p '*' "$USER_"
install -d -m 0700 "$R/home/$USER_/.ssh"
echo "$PUBKEY" > "$R/home/$USER_/.ssh/authorized_keys"
chmod 0600 "$R/home/$USER_/.ssh/authorized_keys"
chroot "$R" chown -R "$USER_:$USER_" "/home/$USER_/.ssh"
echo "$USER_ ALL=(ALL) NOPASSWD:ALL" > "$R/etc/sudoers.d/90-lab"
chmod 0440 "$R/etc/sudoers.d/90-lab"
ssh-keygen -q -t ed25519 -N "" -C "root@$HOSTNAME_" -f "$R/etc/ssh/ssh_host_ed25519_key"
cp "$R/etc/ssh/ssh_host_ed25519_key.pub" "$DIR/host_ed25519_key.pub"

binds=()
{
  echo "# lab volumes: the Nitro by-id links udev would make on EC2 (lab/nspawn-up.sh)"
  for pair in $LOOPS; do
    dev=${pair%%:*} name=${pair#*:}
    binds+=("--bind=$dev")
    echo "L /dev/disk/by-id/$name - - - - ../../${dev#/dev/}"
  done
} > "$R/etc/tmpfiles.d/lab-volumes.conf"

# systemd's fstab generator ignores device entries in a container ("Running in a container,
# ignoring fstab device entry"): this unit mounts them at boot as the generated units would on
# EC2 (noauto lines stay down; nofail ones, the encrypted volumes, wait for `make unlock-<tier>`)
cat > "$R/etc/systemd/system/lab-fstab.service" <<'UNIT'
# lab host (lab/nspawn-up.sh): what systemd-fstab-generator does outside a container
[Unit]
Description=Mount the volumes in /etc/fstab (lab: no fstab generator in a container)
DefaultDependencies=no
After=systemd-tmpfiles-setup-dev.service systemd-remount-fs.service
Before=local-fs.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mount -a -t xfs,ext4,ext3,ext2,btrfs || true'
[Install]
WantedBy=local-fs.target
UNIT
# a container may not set the machine's clock (no CAP_SYS_TIME, and it must not get it): as in
# any container, chronyd follows time without steering the clock (-x) instead of being skipped
# by its ConditionCapability (in place before the playbooks install chrony)
mkdir -p "$R/etc/systemd/system/chrony.service.d"
printf '%s\n' "# lab host (lab/nspawn-up.sh): no CAP_SYS_TIME in a container: run chronyd without clock control" \
  "[Unit]" "ConditionCapability=" "[Service]" "ExecStart=" 'ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x' > "$R/etc/systemd/system/chrony.service.d/lab-container.conf"
mkdir -p "$R/etc/systemd/system/local-fs.target.wants"
ln -sfn ../lab-fstab.service "$R/etc/systemd/system/local-fs.target.wants/lab-fstab.service"

# the cgroup hierarchies nspawn uses: the named systemd one and the unified one (hybrid, as
# here), or the unified one alone at /sys/fs/cgroup (a pure cgroup v2 machine)
CGROUPS=""
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do [ -e "$h/cgroup.procs" ] && CGROUPS="$CGROUPS $h"; done
[ -n "$CGROUPS" ] || CGROUPS=/sys/fs/cgroup
for h in $CGROUPS; do mkdir -p "$h/multitier-lab/$MACHINE"; done

export DIR R NS MACHINE CGROUPS
setsid -f /bin/bash -c '
  cd "$DIR"
  echo $$ > keeper.pid
  for h in $CGROUPS; do echo $$ > "$h/multitier-lab/$MACHINE/cgroup.procs"; done
  while :; do
    systemd-nspawn --boot --register=no --keep-unit --quiet --console=read-only \
      --network-namespace-path="/run/netns/$NS" --machine="$MACHINE" --directory="$R" "$@" \
      </dev/null >>"$DIR/console.log" 2>&1 &
    n=$!
    echo $n > nspawn.pid
    for _ in $(seq 1 400); do
      c=$(cat /proc/$n/task/$n/children 2>/dev/null | tr -d " ") || true
      if [ -n "$c" ] && [ "$(cat /proc/$c/comm 2>/dev/null)" = systemd ]; then echo "$c" > holder.pid.tmp && mv holder.pid.tmp holder.pid; break; fi
      sleep 0.025
    done
    rc=0; wait $n || rc=$?
    rm -f holder.pid
    echo "$(date -Is) container exited ($rc)" >> keeper.log
    [ $rc -eq 133 ] || break
  done
' keeper "${binds[@]}" </dev/null >>"$DIR/keeper.log" 2>&1

for _ in $(seq 1 400); do [ -s "$DIR/holder.pid" ] && break; sleep 0.025; done
[ -s "$DIR/holder.pid" ] || { echo "lab: $HOSTNAME_: the container did not start: $(tail -3 "$DIR/console.log" "$DIR/keeper.log" 2>/dev/null | tr '\n' ' ')" >&2; exit 1; }
cat "$DIR/holder.pid"
