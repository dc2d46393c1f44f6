/**
 * Health gates: wait_for and http_check (alias uri) — what a rolling deploy checks on a host
 * before its batch counts as done and the next one starts (runner/README.md "Rolling
 * deploys"). Never a change ("ok" or "failed"); a gate is probed at its turn, after the changes
 * before it. Under --check a gate does not wait: it reports what it would check, as skipped
 * (`check_mode: false` on the task makes it check for real).
 *
 * wait_for arguments:
 *   port      TCP port                                                       required
 *   host      address to connect to (default: 127.0.0.1 on the host; the host's private
 *             address from the controller)
 *   state     started (accepts connections, default) | stopped (refuses them)
 *   delay     seconds before the first try (default 0)
 *   timeout   seconds to keep trying (default 60)
 *   from      host (default: checked on the host by the agent) | controller (through the
 *             bastion, as the load balancer reaches it)
 *
 *   - name: emissionpy listens
 *     wait_for: { port: 8080, timeout: 30 }
 *
 * http_check / uri arguments:
 *   url            full URL (http or https); or path + port + scheme, the host being
 *                  127.0.0.1 on the host and its private address from the controller
 *   path, port, scheme   (default /, 80, http)
 *   status         expected status code or list (default 200); redirects are not followed
 *   body           a substring the body must hold
 *   body_regex     a regular expression the body must match
 *   retries        tries after the first (default 5); delay  seconds between them (default 2)
 *   timeout        seconds per request (default 5)
 *   validate_certs default true (false: a self-signed certificate, e.g. the lab's)
 *   from           host (default) | controller
 *
 *   - name: the site answers
 *     http_check: { url: "https://127.0.0.1/ping", validate_certs: false, retries: 10, delay: 1 }
 */
import { z } from "zod";
import { facts } from "../facts";
import type { HealthCheck, HealthResult, HttpCheck, TcpCheck } from "../facts/health";
import { checkFromController } from "../health";
import { masked } from "./results";
import type { Module, Plan, TaskContext } from "./types";

const from = z.enum(["host", "controller"]).default("host");
const seconds = (d: number) => z.number().nonnegative().max(3600).default(d);

const waitArgs = z
  .object({
    port: z.number().int().min(1).max(65535),
    host: z.string().min(1).optional(),
    state: z.enum(["started", "stopped"]).default("started"),
    delay: seconds(0),
    timeout: seconds(60),
    from,
  })
  .strict();
type WaitArgs = z.output<typeof waitArgs>;

const httpArgs = z
  .object({
    url: z.string().regex(/^https?:\/\/[^\s/]+/, "expected an http:// or https:// URL").optional(),
    path: z.string().startsWith("/", { message: "expected a path starting with /" }).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    scheme: z.enum(["http", "https"]).default("http"),
    status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200),
    body: z.string().min(1).optional(),
    body_regex: z
      .string()
      .min(1)
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, "expected a regular expression")
      .optional(),
    retries: z.number().int().min(0).max(1000).default(5),
    delay: seconds(2),
    timeout: z.number().positive().max(600).default(5),
    validate_certs: z.boolean().default(true),
    from,
  })
  .strict()
  .refine((a) => !(a.url && (a.path || a.port)), { message: "expected url, or path/port/scheme: not both", path: ["url"] });
type HttpArgs = z.output<typeof httpArgs>;

function tcpCheck(a: WaitArgs, ctx: TaskContext): TcpCheck {
  return { kind: "tcp", host: a.host ?? (a.from === "controller" ? ctx.host.privateIp : "127.0.0.1"), port: a.port, state: a.state, delay: a.delay, timeout: a.timeout };
}

function httpCheck(a: HttpArgs, ctx: TaskContext): HttpCheck {
  const host = a.from === "controller" ? ctx.host.privateIp : "127.0.0.1";
  const url = a.url ?? `${a.scheme}://${host}${a.port ? `:${a.port}` : ""}${a.path ?? "/"}`;
  return {
    kind: "http",
    url,
    status: Array.isArray(a.status) ? a.status : [a.status],
    ...(a.body !== undefined ? { body: a.body } : {}),
    ...(a.body_regex !== undefined ? { bodyRegex: a.body_regex } : {}),
    retries: a.retries,
    delay: a.delay,
    timeout: a.timeout,
    validateCerts: a.validate_certs,
  };
}

/** What a check is, in words: "https://127.0.0.1/ping answers 200" / "127.0.0.1:8080 open". */
export function describeCheck(c: HealthCheck, where: "host" | "controller"): string {
  const side = where === "controller" ? " (from the controller)" : "";
  if (c.kind === "tcp") return `${c.host}:${c.port} ${c.state === "started" ? "open" : "closed"}${side}`;
  const body = [c.body !== undefined ? `body holds ${JSON.stringify(c.body)}` : "", c.bodyRegex !== undefined ? `body matches /${c.bodyRegex}/` : ""].filter(Boolean).join(", ");
  return `${c.url} answers ${c.status.join(" or ")}${body ? `, ${body}` : ""}${side}`;
}

/** The gate's plan from what the check saw: ok or failed, never a change. */
export function planGate(c: HealthCheck, r: HealthResult, where: "host" | "controller"): Plan {
  const what = describeCheck(c, where);
  const tries = `${r.tries} ${r.tries === 1 ? "try" : "tries"}`;
  if (r.passed) return { status: "ok", msg: `healthy: ${what} (${tries})` };
  const saw = c.kind === "http" ? `${r.status == null ? "no answer" : `status ${r.status}`}${r.detail ? `: ${r.detail}` : ""}` : r.detail;
  return { status: "failed", msg: `health check failed: expected ${what}; after ${tries}${c.kind === "tcp" ? ` (${c.timeout}s)` : ""}: ${saw}` };
}

/** --check: a gate does not wait for health; it says what it would check. */
const checkOnly = (c: HealthCheck, where: "host" | "controller"): Plan => ({ status: "skipped", msg: `--check: would check ${describeCheck(c, where)}` });

function gate<A extends { from: "host" | "controller" }>(name: string, doc: string, args: z.ZodType<A, z.ZodTypeDef, unknown>, build: (a: A, ctx: TaskContext) => HealthCheck): Module<A> {
  return {
    name,
    doc,
    args,
    gate: true,
    probe: (a, ctx) => (ctx.check || a.from === "controller" ? [] : [facts.health.op(build(a, ctx))]),
    plan(a, [r], ctx) {
      const c = build(a, ctx);
      if (ctx.check) return checkOnly(c, a.from);
      return masked(planGate(c, facts.health.read(r, `${name} on the host`), "host"), ctx);
    },
    onController(a, ctx, dial) {
      if (a.from !== "controller") return undefined;
      const c = build(a, ctx);
      if (ctx.check) return Promise.resolve(checkOnly(c, "controller"));
      return checkFromController(dial, c).then((r) => masked(planGate(c, r, "controller"), ctx));
    },
  };
}

export const waitFor = gate("wait_for", "health gate: wait until a TCP port is open (or closed), on the host or from the controller", waitArgs, tcpCheck);
export const httpCheckModule = gate("http_check", "health gate: a URL answers the expected status (and body), retried, on the host or from the controller", httpArgs, httpCheck);
export const uri = { ...httpCheckModule, name: "uri", doc: "http_check under Ansible's name (a health gate: GET only)" };
