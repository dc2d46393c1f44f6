#!/usr/bin/env bash
# Start or stop the sshd of one lab host:  lab/sshd.sh start|stop <host dir>
# Overlay hosts (and the bastion): the host's namespaces are held by the pid in
# <host dir>/holder.pid, so sshd can come and go (a test can cut every connection by stopping
# it). `start` returns once sshd has daemonized; lab.ts waits for its listening socket. sshd
# logs to /var/log/lab-sshd.log inside the host.
# Systemd hosts (<host dir>/keeper.pid exists): Debian's ssh.service, through systemctl inside
# the container (holder.pid is its systemd); it logs to the journal.
set -euo pipefail
action=${1:?usage: sshd.sh start|stop <host dir>} dir=${2:?usage: sshd.sh start|stop <host dir>}
holder=$(cat "$dir/holder.pid")
if [ -e "$dir/keeper.pid" ]; then
  case "$action" in
    start | stop) exec nsenter -t "$holder" -m -u -i -n -p -- systemctl "$action" ssh ;;
    *) echo "usage: sshd.sh start|stop <host dir>" >&2; exit 1 ;;
  esac
fi
case "$action" in
  start)
    nsenter -t "$holder" -m -n -u chroot "$dir/root" /bin/sh -c \
      'install -d -m 0755 /run/sshd && exec /usr/sbin/sshd -f /etc/ssh/lab/sshd_config -E /var/log/lab-sshd.log'
    ;;
  stop)
    pid=$(cat "/proc/$holder/root$dir/root/run/sshd.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    ;;
  *) echo "usage: sshd.sh start|stop <host dir>" >&2; exit 1 ;;
esac
