/**
 * Health checks from the controller (`from: controller` on wait_for / http_check): the same
 * checks and answers as the host-side reader (runner/facts/health.ts), but over a TCP stream
 * the connector opens — through the bastion (SSH forwardOut) for real hosts — so a gate can
 * prove that a host answers from outside, as its load balancer would reach it.
 */
import * as http from "http";
import * as tls from "tls";
import type { Duplex } from "stream";
import type { HealthCheck, HealthResult, HttpCheck, TcpCheck } from "./facts/health";

/** Opens a TCP stream to host:port (the connector's way: through the bastion, or locally). */
export type Dial = (host: string, port: number) => Promise<Duplex>;

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${seconds}s`)), seconds * 1000)))]).finally(() => clearTimeout(timer));
}

async function tcp(dial: Dial, c: TcpCheck): Promise<HealthResult> {
  await sleep(c.delay);
  const end = Date.now() + c.timeout * 1000;
  for (let tries = 1; ; tries++) {
    let up: boolean;
    let detail: string;
    try {
      const s = await withTimeout(dial(c.host, c.port), Math.max(0.5, Math.min(5, (end - Date.now()) / 1000)), `${c.host}:${c.port}`);
      s.destroy();
      up = true;
      detail = "port open";
    } catch (e) {
      up = false;
      detail = (e as Error).message;
    }
    if (up === (c.state === "started") || Date.now() >= end) return { passed: up === (c.state === "started"), tries, detail };
    await sleep(Math.max(0, Math.min(1, (end - Date.now()) / 1000)));
  }
}

/** One GET over a dialed stream (TLS on top for https); no redirects followed, no proxy. */
async function get(dial: Dial, c: HttpCheck): Promise<{ status: number; body: string }> {
  const u = new URL(c.url);
  const https = u.protocol === "https:";
  const port = Number(u.port || (https ? 443 : 80));
  const raw = await dial(u.hostname, port);
  const sock: Duplex = https ? tls.connect({ socket: raw as any, servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname, rejectUnauthorized: c.validateCerts }) : raw;
  return new Promise((resolve, reject) => {
    const req = http.request({ method: "GET", host: u.hostname, port, path: `${u.pathname}${u.search}`, createConnection: () => sock as any, headers: { Connection: "close" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (d: Buffer) => size < 65536 && (chunks.push(d), (size += d.length)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  }).finally(() => raw.destroy()) as Promise<{ status: number; body: string }>;
}

async function httpCheck(dial: Dial, c: HttpCheck): Promise<HealthResult> {
  let last: HealthResult = { passed: false, tries: 0, status: null, detail: "not tried" };
  for (let i = 0; i <= c.retries; i++) {
    if (i) await sleep(c.delay);
    try {
      const { status, body } = await withTimeout(get(dial, c), c.timeout, c.url);
      const passed = c.status.includes(status) && (c.body === undefined || body.includes(c.body)) && (c.bodyRegex === undefined || new RegExp(c.bodyRegex).test(body));
      last = { passed, tries: i + 1, status, detail: body.split(/\s+/).join(" ").trim().slice(0, 120) };
      if (passed) break;
    } catch (e) {
      last = { passed: false, tries: i + 1, status: null, detail: (e as Error).message };
    }
  }
  return last;
}

export function checkFromController(dial: Dial, c: HealthCheck): Promise<HealthResult> {
  return c.kind === "tcp" ? tcp(dial, c) : httpCheck(dial, c);
}
