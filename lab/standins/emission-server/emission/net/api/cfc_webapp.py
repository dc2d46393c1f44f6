"""Lab stand-in for e-mission's web server: a tiny HTTP server on the configured host:port.
It reads conf/net/api/webserver.conf and conf/storage/db.conf as the real one does, and
answers every GET with a small JSON document (never the database password)."""
import http.server, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
with open(os.path.join(ROOT, "conf", "net", "api", "webserver.conf")) as f:
    server = json.load(f)["server"]
with open(os.path.join(ROOT, "conf", "storage", "db.conf")) as f:
    db_configured = bool(json.load(f)["timeseries"]["url"])

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"service": "emissionpy stand-in", "db_configured": db_configured}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer((server["host"], int(server["port"])), Handler).serve_forever()
