# multitier agent: runs on each managed host for the length of one run.
# Started as `python3 -S -c <bootstrap>` which reads this source from stdin (its length on the
# first line, then the bytes), so nothing but the bootstrap is ever on a command line. It then
# answers JSON-line requests:
#   {"id": n, "ops": [...]}  ->  {"id": n, "results": [...]}
# Operations are described in runner/agent/protocol.ts. The agent never writes anything
# except what a "write", "path" or "sh" op asks for, and the host lock's record ("lock"),
# and keeps no state between runs. It ends when its stdin ends (the runner closed the channel,
# or died): the lock goes with it.
#
# Every import here is paid on every host in every run, before the first answer. A bare
# `python3 -S` starts in ~9 ms; the modules a naive agent imports would add ~35 ms more:
# json (~10 ms: its decoder compiles regular expressions with re), signal (~6 ms: enum),
# hashlib (~4 ms: loads OpenSSL), subprocess (~14 ms), socket (~8 ms). So: JSON through the
# C accelerator _json, _signal, the interpreter's built-in SHA-256 for small files, the host
# name from os.uname(), users and crontabs read natively (no getent, id or crontab process),
# and subprocess/shutil imported only by the ops that run a process or remove a tree.
import binascii, grp, os, pwd, stat, sys

try:
    import _signal as signal
except ImportError:  # not CPython
    import signal

TMP_PREFIX = ".multitier-"


def b64d(s):
    return binascii.a2b_base64(s or "")


def b64e(data):
    return binascii.b2a_base64(data, newline=False).decode()


def which(name):
    """shutil.which without importing shutil: the first executable `name` on PATH."""
    for d in os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(os.pathsep):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


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


def json_codec():
    """(loads, dumps) for the protocol's JSON lines, straight from CPython's C accelerator
    (_json, the scanner and encoder json itself uses) without importing json; the json module
    where _json is missing or differs."""
    try:
        import _json

        class Options:  # what json.JSONDecoder hands the C scanner
            strict = True
            object_hook = object_pairs_hook = None
            parse_float, parse_int, parse_constant = float, int, float

        def unserializable(o):
            raise TypeError("not JSON serializable: %s" % type(o).__name__)

        scan = _json.make_scanner(Options())
        encode = _json.make_encoder(None, unserializable, _json.encode_basestring_ascii, None, ":", ",", False, False, True)

        def loads(text):
            start = len(text) - len(text.lstrip(" \t\r\n"))
            try:
                obj, end = scan(text, start)
            except StopIteration:
                raise ValueError("invalid JSON request")
            if text[end:].strip(" \t\r\n"):
                raise ValueError("extra data after the JSON request")
            return obj

        def dumps(obj):
            return "".join(encode(obj, 0))

        if loads('{"a": [1, 2.5, "\\u00e9", null, true]}') == {"a": [1, 2.5, "\u00e9", None, True]} and dumps({"b": "\u00e9"}) == '{"b":"\\u00e9"}':
            return loads, dumps
    except Exception:  # another Python: the json module is always right
        pass
    import json
    return json.loads, lambda obj: json.dumps(obj, separators=(",", ":"))


json_loads, json_dumps = json_codec()

BIG_FILE = 1 << 20


def sha256(size):
    """A SHA-256 object: the interpreter's built-in one for files up to 1 MiB (no OpenSSL to
    load), hashlib's (OpenSSL: several times faster) for bigger ones."""
    if size <= BIG_FILE:
        for name in ("_sha2", "_sha256"):  # 3.12+, up to 3.11
            try:
                return __import__(name).sha256()
            except ImportError:
                pass
    import hashlib
    return hashlib.sha256()


def sha256_bytes(data):
    h = sha256(len(data))
    h.update(data)
    return h.hexdigest()


def sha256_file(path, size):
    h = sha256(size)
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
        res["sha256"] = sha256_file(path, st.st_size)
        if op.get("content") and st.st_size <= op.get("maxBytes", 1 << 20):
            with open(path, "rb") as f:
                res["content"] = b64e(f.read())
    return res


def demote(user):
    pw = pwd.getpwnam(user)

    def run():
        os.setgid(pw.pw_gid)
        os.initgroups(user, pw.pw_gid)
        os.setuid(pw.pw_uid)
    return run, pw


def op_sh(op):
    import subprocess
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


def op_account(op):
    """A user's passwd entry and groups, as `getent passwd` and `id -nG` show them (through
    NSS too), without their processes: exists false, or uid, gid, home, shell, groups."""
    try:
        pw = pwd.getpwnam(op["name"])
    except KeyError:
        return {"ok": True, "exists": False}
    groups = []
    for gid in os.getgrouplist(pw.pw_name, pw.pw_gid):
        name = group_name(gid)
        if name not in groups:
            groups.append(name)
    return {"ok": True, "exists": True, "uid": pw.pw_uid, "gid": pw.pw_gid, "home": pw.pw_dir, "shell": pw.pw_shell,
            "groups": groups}


DEBIAN_CRON_SPOOL = "/var/spool/cron/crontabs"
DEBIAN_CRON_HEADER = "# DO NOT EDIT THIS FILE"


def op_crontab(op):
    """A user's crontab as `crontab -l -u <user>` lists it: {exists, content}. Debian and
    Ubuntu's is read from the spool without a crontab process: their `crontab -l` skips up to
    3 leading comment lines (the header their `crontab` writes), and so does this. Another
    layout (cronie), or a file that starts with comments but not that header (another cron
    on Debian's layout would show them), is left to `crontab -l` itself."""
    user = op["user"]
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise RuntimeError("no such user: %s" % user)
    if not which("crontab"):
        raise RuntimeError("no crontab command: is cron installed?")
    # CRONTAB_NOHEADER=N makes Debian's crontab -l show the header: ask crontab itself then
    if os.path.isdir(DEBIAN_CRON_SPOOL) and os.environ.get("CRONTAB_NOHEADER", "")[:1].upper() != "N":
        try:
            with open(os.path.join(DEBIAN_CRON_SPOOL, user), "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return {"ok": True, "exists": False, "content": ""}
        except OSError:  # not root: crontab (setgid crontab) can read it
            text = None
        if text is not None and (text.startswith(DEBIAN_CRON_HEADER) or not text.startswith("#")):
            pos = 0
            for _ in range(3):
                if not text.startswith("#", pos):
                    break
                nl = text.find("\n", pos)
                pos = len(text) if nl < 0 else nl + 1
            return {"ok": True, "exists": True, "content": text[pos:]}
    listed = op_sh({"script": "crontab -l -u '%s'" % user.replace("'", "'\\''")})
    if listed["rc"] == 0:
        return {"ok": True, "exists": True, "content": listed["stdout"]}
    if "no crontab for" in listed["stderr"].lower():
        return {"ok": True, "exists": False, "content": ""}
    raise RuntimeError("crontab -l -u %s: %s" % (user, (listed["stderr"] or listed["stdout"]).strip().split("\n")[0] or "exit %d" % listed["rc"]))


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
    want_sha = sha256_bytes(data)
    uid, gid = ids(op)
    mode = int(op["mode"], 8) if op.get("mode") else None
    if op.get("parents"):
        os.makedirs(directory, mode=0o755, exist_ok=True)
    clean_stale_temps(directory)
    try:
        st = os.stat(path)
        same = (stat.S_ISREG(st.st_mode) and sha256_file(path, st.st_size) == want_sha and (mode is None or stat.S_IMODE(st.st_mode) == mode)
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
            import subprocess
            cmd = op["validate"].replace("%s", "'" + tmp.replace("'", "'\\''") + "'")
            p = subprocess.run(["/bin/sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                raise RuntimeError("validate failed (%s): %s" % (op["validate"], p.stdout.decode("utf-8", "replace").strip()[-2000:]))
        backup = None
        if op.get("backup") and st is not None:
            import shutil, time
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


def ids(op):
    """uid, gid for chown from the op's owner/group names (-1: leave as is)."""
    try:
        uid = pwd.getpwnam(op["owner"]).pw_uid if op.get("owner") else -1
    except KeyError:
        raise RuntimeError("no such user: %s" % op["owner"])
    try:
        gid = grp.getgrnam(op["group"]).gr_gid if op.get("group") else -1
    except KeyError:
        raise RuntimeError("no such group: %s" % op["group"])
    return uid, gid


def set_attrs(path, uid, gid, mode, is_link=False):
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid, follow_symlinks=False)
    if mode is not None and not is_link:  # a link has no mode of its own
        os.chmod(path, mode)


def op_path(op):
    """A path made what it should be, in this process (no mkdir, touch, ln, rm, chown or
    chmod process per task): state directory | touch | link | absent | attrs, then
    owner/group/mode, with recurse also on everything below (links: owner/group only)."""
    path, state = op["path"], op["state"]
    if state == "absent":
        if os.path.isdir(path) and not os.path.islink(path):
            import shutil
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        return {"ok": True}
    if state == "link":
        # a temp link renamed over the old one: replaced atomically, never followed into
        tmp = os.path.join(os.path.dirname(path) or ".", "%s%d-%s.tmp" % (TMP_PREFIX, os.getpid(), os.urandom(4).hex()))
        os.symlink(op["src"], tmp)
        try:
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return {"ok": True}
    uid, gid = ids(op)
    mode = int(op["mode"], 8) if op.get("mode") else None
    if state == "directory":
        os.makedirs(path, exist_ok=True)
    elif state == "touch" and not os.path.lexists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    set_attrs(path, uid, gid, mode)
    if op.get("recurse"):
        for top, dirs, files in os.walk(path):
            for name in dirs + files:
                p = os.path.join(top, name)
                set_attrs(p, uid, gid, mode, os.path.islink(p))
    return {"ok": True}


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


def ipv6_text(hex32):
    """fd000000000000000000000000000002 -> fd00::2 (RFC 5952: the longest run of zero groups)"""
    groups = ["%x" % int(hex32[i:i + 4], 16) for i in range(0, 32, 4)]
    best_start, best_len, start = 0, 0, None
    for i, g in enumerate(groups + ["end"]):
        if g == "0":
            start = i if start is None else start
        elif start is not None:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = None
    if best_len < 2:
        return ":".join(groups)
    return ":".join(groups[:best_start]) + "::" + ":".join(groups[best_start + best_len:])


def addresses():
    """The host's own addresses, read from /proc (no `ip` process, no socket import):
    IPv4 from the kernel's local routing table, global IPv6 from if_inet6; no loopback."""
    out = {"ipv4": [], "ipv6": []}
    try:
        with open("/proc/net/fib_trie") as f:
            lines = f.read().split("\n")
        for prev, line in zip(lines, lines[1:]):
            addr = prev.strip()[4:] if prev.strip().startswith("|-- ") else ""
            if line.strip() == "/32 host LOCAL" and addr and not addr.startswith("127.") and addr not in out["ipv4"]:
                out["ipv4"].append(addr)
    except OSError:
        pass
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 4 and fields[3] == "00":  # scope 00: global
                    out["ipv6"].append(ipv6_text(fields[0]))
    except OSError:
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
    pkg = "apt" if which("apt-get") else "dnf" if which("dnf") else "yum" if which("yum") else "unknown"
    pw = pwd.getpwuid(os.getuid())
    name = os.uname().nodename
    return {"ok": True, "hostname": name, "fqdn": name, "os": os_release(), "pkgManager": pkg,
            "init": "systemd" if init == "systemd" else "other", "hasSupervisorctl": bool(which("supervisorctl")),
            "user": pw.pw_name, "uid": os.getuid(), "python": sys.version.split()[0], "addresses": addresses(),
            "deviceMapper": device_mapper(), "kernel": os.uname().release}


# The host lock (see op_lock): the open file whose flock this agent holds, for its lifetime.
LOCK_FD = None


def read_holder(fd, patience=0.5):
    """The holder record in a lock file (None: empty). A run that has just taken the lock may
    not have written it yet: read again for up to `patience` seconds."""
    import time
    end = time.time() + patience
    while True:
        data = os.pread(fd, 65536, 0)
        if data.strip() or time.time() >= end:
            break
        time.sleep(0.05)
    if not data.strip():
        return None
    try:
        return json_loads(data.decode("utf-8", "replace"))
    except ValueError:
        return {"unreadable": data[:200].decode("utf-8", "replace")}


def op_lock(op):
    """Take the host lock: an exclusive flock on op["path"] (default /run/multitier/lock, a
    tmpfs: it survives nothing but the run), held until this agent ends, so it is released
    with the process however that ends (a killed agent included). The file records who holds
    it (the runner's `holder` plus this agent's pid and the host's time); a clean end empties
    it. Busy: try again until `wait` seconds have passed (0: once), and stop waiting if the
    runner goes away (stdin at EOF). Result: acquired true (tookOver: the record a holder
    that ended without releasing left), or acquired false with the holder's record and how
    long it has held the lock (heldFor, seconds on the host's clock)."""
    global LOCK_FD
    import fcntl, select, time
    if LOCK_FD is not None:
        return {"ok": True, "acquired": True}
    path = op["path"]
    os.makedirs(os.path.dirname(path) or ".", mode=0o755, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:  # not root: a read-only descriptor locks as well, records nothing
        fd = os.open(path, os.O_RDONLY)
    deadline = time.time() + max(0, op.get("wait", 0))
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            left = deadline - time.time()
            gone = False
            if left > 0:
                gone = bool(select.select([sys.stdin.fileno()], [], [], min(0.2, left))[0])
            if left <= 0 or gone:
                holder = read_holder(fd) or {}
                os.close(fd)
                since = holder.get("since")
                res = {"ok": True, "acquired": False, "holder": holder}
                if isinstance(since, (int, float)):
                    res["heldFor"] = max(0.0, time.time() - since)
                return res
    previous = read_holder(fd, 0)
    record = dict(op.get("holder") or {})
    record.update({"pid": os.getpid(), "since": time.time(), "login": owner_name(os.getuid())})
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json_dumps(record) + "\n").encode(), 0)
    except OSError:  # read-only descriptor: locked all the same
        pass
    LOCK_FD = fd
    res = {"ok": True, "acquired": True}
    if previous:
        pid = previous.get("pid")
        previous["alive"] = isinstance(pid, int) and pid_alive(pid)
        res["tookOver"] = previous
    return res


def release_lock():
    """A clean end: empty the record (so the next run knows nobody was cut off), then unlock."""
    global LOCK_FD
    if LOCK_FD is None:
        return
    try:
        os.ftruncate(LOCK_FD, 0)
    except OSError:
        pass
    os.close(LOCK_FD)
    LOCK_FD = None


OPS = {"stat": op_stat, "sh": op_sh, "write": op_write, "path": op_path, "account": op_account, "crontab": op_crontab,
       "facts": op_facts, "lock": op_lock}


def serve(inp, out):
    """Answer requests until the runner closes the channel. A request is a whole line: the
    bytes after the last newline when stdin ends are a request the runner never finished
    sending (killed mid-upload) and are dropped, so a cut-off upload is never acted on. An op
    in flight when the runner goes is finished (a command is not cut halfway; a write is
    atomic), its answer has nobody to read it, and the agent ends."""
    for line in inp:
        if not line.endswith(b"\n"):
            return
        if not line.strip():
            continue
        req = json_loads(line.decode("utf-8"))
        results = []
        for op in req.get("ops", []):
            try:
                results.append(OPS[op["op"]](op))
            except RuntimeError as e:  # the agent's own words (validate failed, no such user)
                results.append({"ok": False, "error": str(e)})
            except Exception as e:  # one failed op never kills the agent
                results.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
        try:
            out.write((json_dumps({"id": req.get("id"), "results": results}) + "\n").encode())
            out.flush()
        except OSError:  # the runner is gone (broken pipe, closed channel)
            return


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when to stop: it closes stdin
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    finally:
        release_lock()
    try:
        sys.stdout.flush()
    except OSError:
        pass
    os._exit(0)  # nothing left to flush to a runner that may be gone (no "Exception ignored" noise)


main()
