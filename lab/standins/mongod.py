#!/usr/bin/env python3
"""Lab stand-in for mongod (MongoDB cannot be downloaded on the lab machine).

Reads the rendered mongod.conf like mongod would (`mongod --config /etc/mongod.conf`),
refuses to start when its paths are missing, then listens on every bindIp at net.port and
answers each connection with one line naming itself. Nothing else: it stores no data.
"""
import socket, sys, threading, time, os
import yaml

def main():
    args = sys.argv[1:]
    conf_path = args[args.index("--config") + 1] if "--config" in args else "/etc/mongod.conf"
    with open(conf_path) as f:
        conf = yaml.safe_load(f)
    db_path = conf["storage"]["dbPath"]
    log_path = conf["systemLog"]["path"]
    for p, what in ((db_path, "storage.dbPath"), (os.path.dirname(log_path), "systemLog.path directory")):
        if not os.path.isdir(p):
            sys.exit("mongod stand-in: %s %s does not exist; refusing to start" % (what, p))
    bind = conf["net"]["bindIp"]
    if " " in bind:
        sys.exit("mongod stand-in: bindIp %r contains a space (mongod would fail the same way)" % bind)
    port = int(conf["net"].get("port", 27017))
    with open(log_path, "a") as log:
        log.write("%s stand-in mongod listening on %s:%d\n" % (time.strftime("%FT%T"), bind, port))
    listeners = []
    for ip in bind.split(","):
        fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.listen(16)
        listeners.append(s)

    def serve(s):
        while True:
            c, _ = s.accept()
            try:
                c.sendall(b"multitier mongod stand-in\n")
            finally:
                c.close()

    for s in listeners:
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    while True:
        time.sleep(3600)

main()
