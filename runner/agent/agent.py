# multitier agent: runs on each managed host for the length of one run.
# Started as `python3 -S -c <bootstrap>` which reads this source as one JSON line from stdin, so
# nothing but the bootstrap is ever on a command line. It then answers JSON-line requests:
#   {"id": n, "ops": [...]}  ->  {"id": n, "results": [...]}
# Operations are described in runner/agent/protocol.ts. The agent never writes anything
# except what a "write" or "sh" op asks for, and keeps no state between runs.
# (no socket: importing it costs ~8 ms per host, and os.uname() has the host name)
import base64, grp, hashlib, json, os, pwd, shutil, signal, stat, subprocess, sys, time

TMP_PREFIX = ".multitier-"


def b64d(s):
    return base64.b64decode(s or "")


def owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def op_stat(op):
    path = op["path"]
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return {"ok": True, "exists": False}
    except NotADirectoryError:
        return {"ok": True, "exists": False}
    mode = st.st_mode
    kind = ("link" if stat.S_ISLNK(mode) else "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode)
            else "block" if stat.S_ISBLK(mode) else "other")
    res = {"ok": True, "exists": True, "type": kind, "mode": "0%03o" % stat.S_IMODE(mode), "uid": st.st_uid,
           "gid": st.st_gid, "owner": owner_name(st.st_uid), "group": group_name(st.st_gid), "size": st.st_size}
    if kind == "link":
        res["target"] = os.readlink(path)
    if kind == "file":
        res["sha256"] = sha256_file(path)
        if op.get("content") and st.st_size <= op.get("maxBytes", 1 << 20):
            with open(path, "rb") as f:
                res["content"] = base64.b64encode(f.read()).decode()
    return res


def demote(user):
    pw = pwd.getpwnam(user)

    def run():
        os.setgid(pw.pw_gid)
        os.initgroups(user, pw.pw_gid)
        os.setuid(pw.pw_uid)
    return run, pw


def op_sh(op):
    env = dict(os.environ)
    env.update({"LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"})
    preexec = None
    if op.get("user"):
        preexec, pw = demote(op["user"])
        env.update({"HOME": pw.pw_dir, "USER": pw.pw_name, "LOGNAME": pw.pw_name})
    env.update(op.get("env") or {})
    try:
        p = subprocess.run(["/bin/sh", "-c", op["script"]], input=b64d(op.get("stdin")), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=op.get("cwd") or None, env=env, preexec_fn=preexec,
                           timeout=op.get("timeout", 600))
    except subprocess.TimeoutExpired:
        return {"ok": True, "rc": 124, "stdout": "", "stderr": "timed out after %ss" % op.get("timeout", 600)}
    return {"ok": True, "rc": p.returncode, "stdout": p.stdout.decode("utf-8", "replace"),
            "stderr": p.stderr.decode("utf-8", "replace")}


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def clean_stale_temps(directory):
    """Remove temp files left by an agent that was killed mid-write (never another live one's)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(TMP_PREFIX) and name.endswith(".tmp"):
            try:
                pid = int(name[len(TMP_PREFIX):].split("-")[0])
            except ValueError:
                continue
            if pid != os.getpid() and not pid_alive(pid):
                try:
                    os.unlink(os.path.join(directory, name))
                except OSError:
                    pass


def op_write(op):
    path = op["path"]
    data = b64d(op["content"])
    directory = os.path.dirname(path) or "."
    want_sha = hashlib.sha256(data).hexdigest()
    uid = pwd.getpwnam(op["owner"]).pw_uid if op.get("owner") else -1
    gid = grp.getgrnam(op["group"]).gr_gid if op.get("group") else -1
    mode = int(op["mode"], 8) if op.get("mode") else None
    if op.get("parents"):
        os.makedirs(directory, mode=0o755, exist_ok=True)
    clean_stale_temps(directory)
    try:
        st = os.stat(path)
        same = (stat.S_ISREG(st.st_mode) and sha256_file(path) == want_sha and (mode is None or stat.S_IMODE(st.st_mode) == mode)
                and (uid == -1 or st.st_uid == uid) and (gid == -1 or st.st_gid == gid))
        if same:
            return {"ok": True, "changed": False, "sha256": want_sha}
        if mode is None:
            mode = stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        st = None
        if mode is None:
            mode = 0o644
    tmp = os.path.join(directory, "%s%d-%s.tmp" % (TMP_PREFIX, os.getpid(), os.urandom(4).hex()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        if op.get("validate"):
            cmd = op["validate"].replace("%s", "'" + tmp.replace("'", "'\\''") + "'")
            p = subprocess.run(["/bin/sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                raise RuntimeError("validate failed (%s): %s" % (op["validate"], p.stdout.decode("utf-8", "replace").strip()[-2000:]))
        backup = None
        if op.get("backup") and st is not None:
            backup = "%s.%s~" % (path, time.strftime("%Y%m%d%H%M%S"))
            shutil.copy2(path, backup)
        os.replace(tmp, path)
        tmp = None
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        res = {"ok": True, "changed": True, "sha256": want_sha}
        if backup:
            res["backup"] = backup
        return res
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def os_release():
    info = {}
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    info[k] = v.strip('"')
    except OSError:
        pass
    return {"id": info.get("ID", "unknown"), "version": info.get("VERSION_ID", ""), "codename": info.get("VERSION_CODENAME", ""),
            "like": info.get("ID_LIKE", "").split()}


def addresses():
    out = {"ipv4": [], "ipv6": []}
    ip = shutil.which("ip")
    if not ip:
        return out
    try:
        p = subprocess.run([ip, "-j", "addr", "show"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=5)
        for link in json.loads(p.stdout or b"[]"):
            for a in link.get("addr_info", []):
                if a.get("scope") == "host":
                    continue
                if a.get("family") == "inet":
                    out["ipv4"].append(a["local"])
                elif a.get("family") == "inet6" and a.get("scope") == "global":
                    out["ipv6"].append(a["local"])
    except Exception:
        pass
    return out


def device_mapper():
    """Usable only when the kernel has it (/proc/misc) AND the control node exists."""
    try:
        with open("/proc/misc") as f:
            loaded = any(line.split()[-1] == "device-mapper" for line in f if line.strip())
    except OSError:
        loaded = False
    return loaded and os.path.exists("/dev/mapper/control")


def op_facts(_op):
    # no DNS lookups here (getfqdn would query resolvers): the lab must send no traffic out
    try:
        init = os.path.basename(os.readlink("/proc/1/exe"))
    except OSError:
        init = "unknown"
    pkg = "apt" if shutil.which("apt-get") else "dnf" if shutil.which("dnf") else "yum" if shutil.which("yum") else "unknown"
    pw = pwd.getpwuid(os.getuid())
    name = os.uname().nodename
    return {"ok": True, "hostname": name, "fqdn": name, "os": os_release(), "pkgManager": pkg,
            "init": "systemd" if init == "systemd" else "other", "hasSupervisorctl": bool(shutil.which("supervisorctl")),
            "user": pw.pw_name, "uid": os.getuid(), "python": sys.version.split()[0], "addresses": addresses(),
            "deviceMapper": device_mapper(), "kernel": os.uname().release}


OPS = {"stat": op_stat, "sh": op_sh, "write": op_write, "facts": op_facts}


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when to stop: it closes stdin
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        req = json.loads(line)
        results = []
        for op in req.get("ops", []):
            try:
                results.append(OPS[op["op"]](op))
            except Exception as e:  # one failed op never kills the agent
                results.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
        out.write((json.dumps({"id": req.get("id"), "results": results}) + "\n").encode())
        out.flush()


main()
