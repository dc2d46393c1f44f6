#!/usr/bin/env python3
"""What the node exporter cannot see, as Prometheus text for its textfile collector.

Run every collectorInterval (systemd timer, or cron where there is no systemd) on every host:
    textfile-collector.py --config /etc/multitier/collector.json \
        --output /var/lib/prometheus/node-exporter/multitier.prom
The configuration is rendered by the playbooks (templates/collector.json.hbs) from the
environment file: this host's declared volumes and the checks of its tier (services,
pipelines, certificates). Metrics:
  multitier_volume_mounted{volume,mountpoint,encrypted}  1 when mounted where declared
                                                         (a LUKS volume: from its opened mapping)
  multitier_volume_luks_open{volume}                     1 when /dev/mapper/<volume>_crypt exists
  multitier_service_up{service,manager}                  1 when the supervisord program or
                                                         systemd unit runs (manager: which knows it)
  multitier_pipeline_last_success_timestamp_seconds{pipeline}  written by multitier-job; 0 = never
  multitier_tls_certificate_expiry_timestamp_seconds{path}     openssl x509 -enddate
  multitier_tls_certificate_readable{path}               0 when the file is missing or unreadable
  multitier_clock_offset_seconds, multitier_clock_synchronized  chronyc -c tracking
  multitier_collector_last_run_timestamp_seconds, multitier_collector_errors
The file is written to a temporary name and renamed, so the exporter never reads half of it.
--root, --supervisor-conf and --chrony-tracking let tests feed recorded inputs.
"""
import argparse
import calendar
import json
import os
import shutil
import subprocess
import sys
import time


def esc(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self):
        self.families = {}  # name -> (type, help, [(labels, value)])

    def add(self, name, kind, help_text, value, **labels):
        fam = self.families.setdefault(name, (kind, help_text, []))
        fam[2].append((labels, value))

    def text(self):
        out = []
        for name in sorted(self.families):
            kind, help_text, samples = self.families[name]
            out.append("# HELP %s %s" % (name, help_text))
            out.append("# TYPE %s %s" % (name, kind))
            for labels, value in samples:
                lab = ",".join('%s="%s"' % (k, esc(v)) for k, v in sorted(labels.items()))
                out.append("%s%s %s" % (name, "{%s}" % lab if lab else "", repr(float(value)) if isinstance(value, float) else value))
        return "\n".join(out) + "\n"


def unescape_mountinfo(field):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = "", 0
    while i < len(field):
        if field[i] == "\\" and len(field[i + 1:i + 4]) == 3 and field[i + 1:i + 4].isdigit():
            out += chr(int(field[i + 1:i + 4], 8))
            i += 4
        else:
            out += field[i]
            i += 1
    return out


def read_mounts(root):
    """mount point -> (source, major:minor), the last mount on a point winning (it hides the others)."""
    mounts = {}
    with open(os.path.join(root, "proc/self/mountinfo")) as f:
        for line in f:
            left, sep, right = line.rstrip("\n").partition(" - ")
            a, b = left.split(), right.split()
            if not sep or len(a) < 5 or len(b) < 2:
                continue
            mounts[unescape_mountinfo(a[4])] = (unescape_mountinfo(b[1]), a[2])
    return mounts


def check_volumes(m, cfg, root, errors):
    try:
        mounts = read_mounts(root)
    except OSError as e:
        errors.append("mountinfo: %s" % e)
        return
    for name, vol in sorted((cfg.get("volumes") or {}).items()):
        point = vol["mountPoint"]
        luks = vol.get("encryption") == "luks"
        mapper = "/dev/mapper/%s_crypt" % name
        mapper_file = os.path.join(root, mapper.lstrip("/"))
        opened = os.path.exists(mapper_file)
        mounted = point in mounts
        if mounted and luks:
            source, devno = mounts[point]
            same_device = False
            if opened:
                try:
                    rdev = os.stat(mapper_file).st_rdev
                    same_device = devno == "%d:%d" % (os.major(rdev), os.minor(rdev)) and rdev != 0
                except OSError:
                    pass
            mounted = source == mapper or same_device
        m.add("multitier_volume_mounted", "gauge", "1 when the declared volume is mounted where the environment file says (LUKS: from its opened mapping)",
              1 if mounted else 0, volume=name, mountpoint=point, encrypted="true" if luks else "false")
        if luks:
            m.add("multitier_volume_luks_open", "gauge", "1 when the volume's LUKS mapping is open", 1 if opened else 0, volume=name)


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, timeout=20)
        return p.returncode, p.stdout
    except (OSError, subprocess.TimeoutExpired):
        return None, ""


def supervisor_states(conf):
    """program -> RUNNING?, from one `supervisorctl status` (empty when supervisord is not there)."""
    if not shutil.which("supervisorctl") or not os.path.exists(conf):
        return {}
    code, out = run(["supervisorctl", "-c", conf, "status"])
    states = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("RUNNING", "STARTING", "STOPPED", "STOPPING", "BACKOFF", "EXITED", "FATAL", "UNKNOWN"):
            states[parts[0]] = parts[1] == "RUNNING"
            states.setdefault(parts[0].split(":")[-1], parts[1] == "RUNNING")  # group:program
    return states


def systemd_state(name, root):
    if not os.path.isdir(os.path.join(root, "run/systemd/system")) or not shutil.which("systemctl"):
        return None
    code, out = run(["systemctl", "show", "-p", "LoadState,ActiveState", "--", name])
    props = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    if props.get("LoadState") in (None, "not-found"):
        return None
    return props.get("ActiveState") == "active"


def check_services(m, checks, args):
    names = checks.get("services") or []
    supervised = supervisor_states(args.supervisor_conf) if names else {}
    for name in names:
        manager, up = "none", False
        state = supervised.get(name)
        if state is not None:
            manager, up = "supervisord", state
        else:
            state = systemd_state(name, args.root)
            if state is not None:
                manager, up = "systemd", state
        m.add("multitier_service_up", "gauge", "1 when the service runs (supervisord program or systemd unit)", 1 if up else 0, service=name, manager=manager)


def check_pipelines(m, checks, cfg, root):
    directory = os.path.join(root, cfg.get("pipelineDir", "/var/lib/multitier/pipelines").lstrip("/"))
    for name in checks.get("pipelines") or []:
        value = 0
        try:
            with open(os.path.join(directory, name + ".last-success")) as f:
                value = int(f.read().strip() or 0)
        except (OSError, ValueError):
            value = 0
        m.add("multitier_pipeline_last_success_timestamp_seconds", "gauge", "end of the pipeline's last successful run (multitier-job); 0 = never", value, pipeline=name)


def check_certificates(m, checks, root, errors):
    for path in checks.get("certificates") or []:
        code, out = run(["openssl", "x509", "-enddate", "-noout", "-in", os.path.join(root, path.lstrip("/"))])
        expiry = None
        if code == 0 and out.startswith("notAfter="):
            try:
                expiry = calendar.timegm(time.strptime(out.strip()[len("notAfter="):].replace(" GMT", ""), "%b %d %H:%M:%S %Y"))
            except ValueError:
                errors.append("certificate %s: unreadable date %r" % (path, out.strip()))
        m.add("multitier_tls_certificate_readable", "gauge", "0 when the certificate file is missing or not a PEM certificate", 0 if expiry is None else 1, path=path)
        if expiry is not None:
            m.add("multitier_tls_certificate_expiry_timestamp_seconds", "gauge", "notAfter of the certificate (openssl x509 -enddate)", expiry, path=path)


def check_clock(m, args, errors):
    if args.chrony_tracking:
        with open(args.chrony_tracking) as f:
            code, out = 0, f.read()
    elif shutil.which("chronyc"):
        code, out = run(["chronyc", "-c", "tracking"])
    else:
        return  # no chrony here: no clock metrics (node_timex_* still are)
    fields = out.strip().split(",")
    if code != 0 or len(fields) < 14:
        m.add("multitier_clock_synchronized", "gauge", "1 when chronyd is synchronised to a source", 0)
        return
    try:
        m.add("multitier_clock_offset_seconds", "gauge", "system clock minus chrony's estimate of true time (chronyc tracking: System time)", float(fields[4]))
    except ValueError:
        errors.append("chronyc: unexpected output %r" % out[:80])
    m.add("multitier_clock_synchronized", "gauge", "1 when chronyd is synchronised to a source", 0 if fields[13].strip() == "Not synchronised" else 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="/etc/multitier/collector.json")
    ap.add_argument("--output", default="/var/lib/prometheus/node-exporter/multitier.prom", help="a .prom file in the node exporter's textfile directory; - for stdout")
    ap.add_argument("--root", default="/", help="where /proc, /dev and the checked files are read (tests)")
    ap.add_argument("--supervisor-conf", default="/etc/supervisor/supervisord.conf")
    ap.add_argument("--chrony-tracking", help="recorded `chronyc -c tracking` output instead of asking chronyd (tests)")
    args = ap.parse_args(argv)
    try:
        with open(args.config) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("textfile-collector: %s: %s\n" % (args.config, e))
        return 1
    checks = (cfg.get("checks") or {}).get(cfg.get("tier"), {}) or {}
    m, errors = Metrics(), []
    check_volumes(m, cfg, args.root, errors)
    check_services(m, checks, args)
    check_pipelines(m, checks, cfg, args.root)
    check_certificates(m, checks, args.root, errors)
    check_clock(m, args, errors)
    for e in errors:
        sys.stderr.write("textfile-collector: %s\n" % e)
    m.add("multitier_collector_errors", "gauge", "checks of the last run that could not be made", len(errors))
    m.add("multitier_collector_last_run_timestamp_seconds", "gauge", "when the collector last ran", int(time.time()))
    text = m.text()
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    tmp = "%s.%d.tmp" % (args.output, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
