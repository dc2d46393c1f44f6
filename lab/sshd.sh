#!/usr/bin/env bash
# Start or stop the sshd of one lab host: lab/sshd.sh start|stop <host dir>
# (the host's mount namespace is held by holder.pid, so sshd can come and go).
set -euo pipefail
action=$1 dir=$2
holder=$(cat "$dir/holder.pid")
case "$action" in
  start)
    nsenter -t "$holder" -m -n -u chroot "$dir/root" /bin/sh -c 'mkdir -p /run/sshd && chmod 0755 /run/sshd && /usr/sbin/sshd -f /etc/ssh/lab/sshd_config'
    ;;
  stop)
    pid=$(nsenter -t "$holder" -m cat "$dir/root/run/sshd.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    ;;
  *) echo "usage: sshd.sh start|stop <host dir>" >&2; exit 1 ;;
esac
