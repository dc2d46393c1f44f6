/**
 * The health reader: is a TCP port open (or closed), does a URL answer with the expected
 * status and body — as seen ON the host, retried for a while (the health gates wait_for and
 * http_check). Read with a command: `python3 -` running the small program below, sent on
 * stdin with its arguments (nothing but `python3 -` on the command line; urllib and socket are
 * imported by that process, never by the agent). It prints one JSON line; `read` parses it.
 * The same checks from the controller (through the bastion) are runner/health.ts.
 */
import type { ShResult } from "../agent/protocol";
import { shAnswer } from "./parse";
import type { Reader } from "./types";

export interface TcpCheck {
  kind: "tcp";
  host: string;
  port: number;
  /** started: wait until it accepts a connection; stopped: until it refuses one */
  state: "started" | "stopped";
  /** seconds to wait before the first try */
  delay: number;
  /** seconds to keep trying */
  timeout: number;
}

export interface HttpCheck {
  kind: "http";
  url: string;
  /** acceptable status codes */
  status: number[];
  /** a substring the body must hold */
  body?: string;
  /** a regular expression the body must match (Python re.search on the host; JavaScript RegExp from the controller) */
  bodyRegex?: string;
  /** tries after the first */
  retries: number;
  /** seconds between tries */
  delay: number;
  /** seconds per request */
  timeout: number;
  validateCerts: boolean;
}

export type HealthCheck = TcpCheck | HttpCheck;

/** What a health check saw: passed or not, after how many tries, and the last answer. */
export interface HealthResult {
  passed: boolean;
  tries: number;
  /** http: the last status code (null: no answer) */
  status?: number | null;
  /** the last answer's reason: the connection error, "port open", a body excerpt */
  detail: string;
}

/** How long a check may take at most (the sh op's timeout gets a margin on top). */
export function checkSeconds(c: HealthCheck): number {
  return c.kind === "tcp" ? c.delay + c.timeout : (c.retries + 1) * (c.timeout + c.delay);
}

const b64 = (t: string) => Buffer.from(t).toString("base64");

const PROGRAM = String.raw`
import base64, json, re, socket, ssl, time, urllib.error, urllib.request
def tcp(a):
    time.sleep(a["delay"])
    end, tries = time.time() + a["timeout"], 0
    while True:
        tries += 1
        try:
            socket.create_connection((a["host"], a["port"]), timeout=max(0.5, min(5, end - time.time()))).close()
            up, why = True, "port open"
        except OSError as e:
            up, why = False, str(e)
        if up == (a["state"] == "started") or time.time() >= end:
            return {"passed": up == (a["state"] == "started"), "tries": tries, "detail": why}
        time.sleep(max(0, min(1, end - time.time())))
class Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None
def http(a):
    ctx = ssl.create_default_context()
    if not a["validateCerts"]:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx), Keep)
    last = {"passed": False, "tries": 0, "status": None, "detail": "not tried"}
    for i in range(a["retries"] + 1):
        if i:
            time.sleep(a["delay"])
        try:
            r = opener.open(urllib.request.Request(a["url"], method="GET"), timeout=a["timeout"])
            status, body = r.status, r.read(65536)
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read(65536)
        except Exception as e:
            last = {"passed": False, "tries": i + 1, "status": None, "detail": str(getattr(e, "reason", e))}
            continue
        text = body.decode("utf-8", "replace")
        ok = status in a["status"] and (a.get("body") is None or a["body"] in text) and (a.get("bodyRegex") is None or re.search(a["bodyRegex"], text) is not None)
        last = {"passed": ok, "tries": i + 1, "status": status, "detail": " ".join(text.split())[:120]}
        if ok:
            break
    return last
a = json.loads(base64.b64decode(ARGS).decode())
print(json.dumps(tcp(a) if a["kind"] == "tcp" else http(a)))
`;

export const health: Reader<HealthCheck, HealthResult> = {
  name: "health",
  doc: "a TCP port open/closed or a URL's status and body, as the host sees them, retried (python3 on stdin)",
  native: false,
  op: (c) => ({ op: "sh", script: "python3 -", stdin: b64(`ARGS = "${b64(JSON.stringify(c))}"\n${PROGRAM}`), timeout: Math.ceil(checkSeconds(c)) + 15 }),
  read(r, what) {
    const out: ShResult = shAnswer(r, what);
    const line = out.stdout.trim().split("\n").pop() ?? "";
    if (out.rc !== 0 || !line.startsWith("{")) throw new Error(`${what}: the check did not run (rc ${out.rc}): ${(out.stderr || out.stdout).trim().split("\n").pop() || "no output"}`);
    const j = JSON.parse(line) as HealthResult;
    return { passed: Boolean(j.passed), tries: Number(j.tries) || 0, ...(j.status !== undefined ? { status: j.status } : {}), detail: String(j.detail ?? "") };
  },
};
